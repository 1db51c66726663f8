"""Matrix products (BLAS through numpy), einsum, trace, cholesky_inverse and the ops
behind numgrad.linalg (vector_norm, norm, det, inv, solve, solve_triangular, cholesky).

Forward passes call numpy (BLAS / LAPACK, batched over leading dims); the
derivative rules are the standard matrix-calculus formulas written with
numgrad ops, so they differentiate again and accept leading batch dims.
"""
from __future__ import annotations

import string
from collections import Counter

import math

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, apply
from numgrad.oplib._util import (as_tensor_arg, check_broadcast, normalize_dim, sum_to,
                                 to_dtype_tensor)
from numgrad.oplib.indexing import tril, triu
from numgrad.oplib.pointwise import add, mul, neg, sub
from numgrad.oplib.reduction import amax, amin, sum, vector_norm
from numgrad.oplib.shape import expand, reshape, transpose
from numgrad.ops.registry import primitive

__all__ = ["linear", "matmul", "mm", "bmm", "dot", "outer", "einsum", "trace", "det", "inverse",
           "cholesky_inverse"]
# functions that are also Tensor methods
METHODS = ("matmul", "mm", "bmm", "dot", "outer", "trace", "det", "inverse", "cholesky_inverse")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()


def _mT(x: Tensor) -> Tensor:
    return transpose(x, -1, -2)


def _same_dtype(*ts: Tensor) -> tuple[Tensor, ...]:
    dt = np.result_type(*[t.dtype for t in ts])
    return tuple(t if t.dtype == dt else to_dtype_tensor(t, dt) for t in ts)


# ---------------------------------------------------------------- matmul and friends


def _matmul_cpu(op, a, b):
    if a.ndim == 2 and b.ndim == 2:
        return _mm(a, b)
    return np.matmul(a, b)


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for matrices, as a C-contiguous array.

    numpy's OpenBLAS runs x @ W.T (W stored row-major, so b is a transposed
    view) up to 2.5x slower when x has fewer rows than W (a small batch
    through a linear layer: 16x1000 @ (100x1000).T takes 65 us) than the same
    product computed transposed, (W @ x.T).T (32 us with the copy back to C
    order); benchmarks/compare_torch.py's TinyModel runs this case.
    """
    if a.shape[0] < b.shape[1] and b.flags.f_contiguous and not b.flags.c_contiguous:
        return np.ascontiguousarray(np.matmul(b.T, a.T).T)
    return np.matmul(a, b)


def _matmul_vjp(ctx, g):
    """Rank-polymorphic: 1-D operands are lifted to matrices, batch dims kept."""
    a, b = ctx.saved
    sa, sb = ctx.in_shapes
    nb = g.ndim - len(ctx.out_shape)
    need = ctx.needs_input_grad
    if len(sa) <= 2 and len(sb) <= 2:
        # matrices and vectors: each gradient is one product (or an outer product)
        # over g's leading batch dims, no lifting or summing
        lead = g.shape[:nb]
        if len(sa) == 2 and len(sb) == 2:
            return (matmul(g, _mT(b)) if need[0] else None,
                    matmul(_mT(a), g) if need[1] else None)
        if len(sa) == 2:  # matrix @ vector, g (*lead, m)
            return (mul(reshape(g, lead + (sa[0], 1)), b) if need[0] else None,
                    matmul(g, a) if need[1] else None)
        if len(sb) == 2:  # vector @ matrix, g (*lead, n)
            return (matmul(g, _mT(b)) if need[0] else None,
                    mul(reshape(a, (sa[0], 1)), reshape(g, lead + (1, sb[1]))) if need[1] else None)
        g1 = reshape(g, lead + (1,))  # dot
        return (mul(g1, b) if need[0] else None, mul(g1, a) if need[1] else None)
    a2 = reshape(a, (1,) + sa) if len(sa) == 1 else a
    b2 = reshape(b, sb + (1,)) if len(sb) == 1 else b
    g2 = reshape(g, g.shape[:nb] + _lifted_out(ctx))
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = matmul(g2, _mT(b2))
        ga = reshape(sum_to(ga, a2.shape, nb), g.shape[:nb] + sa)
    if ctx.needs_input_grad[1]:
        gb = matmul(_mT(a2), g2)
        gb = reshape(sum_to(gb, b2.shape, nb), g.shape[:nb] + sb)
    return ga, gb


def _lifted_out(ctx) -> tuple:
    """The output shape with 1-D operands lifted to (1, n) / (n, 1) matrices."""
    sa, sb = ctx.in_shapes
    out = ctx.out_shape
    if len(sa) == 1:
        out = out[:-1] + (1,) + out[-1:] if len(sb) > 1 else out + (1,)
    if len(sb) == 1:
        out = out + (1,)
    return out


def _matmul_jvp(ctx, ta, tb):
    a, b = ctx.saved
    sa, sb = ctx.in_shapes
    if len(sa) <= 2 and len(sb) <= 2:
        # matrices and vectors: numpy's matmul broadcasting carries the tangents'
        # leading batch dims; a tangent of the right operand is moved to the left of a
        # single product (one GEMM for the whole batch)
        terms = []
        if ta is not None:
            terms.append(matmul(ta, b))
        if tb is not None:
            terms.append(matmul(a, tb) if len(sb) == 2 else matmul(tb, _mT(a) if len(sa) == 2 else a))
        return terms[0] if len(terms) == 1 else add(terms[0], terms[1])
    out2 = _lifted_out(ctx)

    def lift(x, s, vec_shape):
        # 1-D -> matrix, then pad with singleton dims so leading batch dims line up
        nb = x.ndim - len(s)
        s2 = vec_shape if len(s) == 1 else s
        return reshape(x, x.shape[:nb] + (1,) * (len(out2) - len(s2)) + s2)

    def term(x, y):
        r = matmul(lift(x, sa, (1,) + sa), lift(y, sb, sb + (1,)))
        return reshape(r, r.shape[:r.ndim - len(out2)] + ctx.out_shape)
    if ta is None:
        return term(a, tb)
    if tb is None:
        return term(ta, b)
    return add(term(ta, b), term(a, tb))


MATMUL = primitive("matmul", _matmul_cpu, _matmul_vjp, _matmul_jvp, save=(0, 1),
                   node_name="MmBackward0")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with numpy/PyTorch broadcasting rules."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other if isinstance(input, Tensor) else input).__name__}")
    a, b = input, other
    sa, sb = a._data.shape, b._data.shape
    if not sa or not sb:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{len(sa)}D and {len(sb)}D")
    da, db = a._data.dtype, b._data.dtype
    if da != db:  # PyTorch does not promote here
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                               f"{_dtype.torch_name(da)} and {_dtype.torch_name(db)}")
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{_dtype.c_name(da)} != {_dtype.c_name(db)}")
    k_a = sa[-1]
    k_b = sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{k_a}] and src [{k_b}] to have the "
                f"same number of elements, but got {k_a} and {k_b} elements respectively")
        if a.ndim <= 2 and b.ndim <= 2:
            ra = f"{a.shape[0]}x{a.shape[1]}" if a.ndim == 2 else f"1x{a.shape[0]}"
            rb = f"{b.shape[0]}x{b.shape[1]}" if b.ndim == 2 else f"{b.shape[0]}x1"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ra} and {rb})")
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{list(a.shape)}, {k_a}] but got: {list(b.shape)} (matmul shapes {list(a.shape)} and "
            f"{list(b.shape)} do not match)")
    if len(sa) > 2 and len(sb) > 2:
        check_broadcast(sa[:-2], sb[:-2])
    return apply(MATMUL, (a, b))


def _linear_cpu(op, x, w, b):
    n_in = w.shape[1]
    out = _mm(x.reshape(-1, n_in), w.T).reshape(x.shape[:-1] + (w.shape[0],))
    out += b
    return out


def _linear_vjp(ctx, g):
    """Rank-polymorphic: g is (*batch, *lead, out); weight/bias grads keep the batch dims."""
    x, w, _ = ctx.saved
    n_in, n_out = ctx.in_shapes[1][1], ctx.in_shapes[1][0]
    nb = g.ndim - len(ctx.out_shape)
    need = ctx.needs_input_grad
    gx = matmul(g, w) if need[0] else None
    # rows of x (all its leading dims in one); explicit sizes, so that a 2-D x and g
    # pass through reshape untouched
    rows = math.prod(ctx.in_shapes[0]) // n_in
    g2 = reshape(g, g.shape[:nb] + (rows, n_out)) if need[1] or need[2] else None
    gw = matmul(_mT(g2), reshape(x, (rows, n_in))) if need[1] else None
    gb = sum(g2, -2) if need[2] else None
    return gx, gw, gb


def _linear_jvp(ctx, tx, tw, tb):
    x, w, _ = ctx.saved
    terms = []
    if tx is not None:
        terms.append(matmul(tx, _mT(w)))
    if tw is not None:
        twt = _mT(tw)  # (*batch, in, out); pad so x's leading dims broadcast against it
        lead = len(ctx.in_shapes[0]) - 2
        if lead > 0:
            twt = reshape(twt, twt.shape[:-2] + (1,) * lead + twt.shape[-2:])
        terms.append(matmul(x, twt))
    if tb is not None:  # (*batch, out) -> (*batch, 1, ..., out), expanded to the output
        lead = tb.shape[:-1]
        tb = reshape(tb, lead + (1,) * (len(ctx.out_shape) - 1) + tb.shape[-1:])
        terms.append(expand(tb, lead + ctx.out_shape))
    out = terms[0]
    for t in terms[1:]:
        out = add(out, t)
    return out


LINEAR = primitive("linear", _linear_cpu, _linear_vjp, _linear_jvp, save=((0, 1), (1, 0)),
                   node_name="AddmmBackward0")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias in one op (nn.Linear's computation)."""
    if bias is None:
        return matmul(input, _mT(weight))
    if weight.ndim != 2 or bias.shape != (weight.shape[0],):
        raise RuntimeError(f"linear: expected weight [out, in] and bias [out], got weight "
                           f"{list(weight.shape)} and bias {list(bias.shape)}")
    if input.shape[-1] != weight.shape[1]:
        rows = math.prod(input.shape[:-1])
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    # PyTorch does not promote here either
    if input.dtype != weight.dtype:
        raise RuntimeError("mat1 and mat2 must have the same dtype, but got "
                           f"{_dtype.torch_name(input.dtype)} and {_dtype.torch_name(weight.dtype)}")
    if bias.dtype != input.dtype:
        raise RuntimeError("self and mat2 must have the same dtype, but got "
                           f"{_dtype.torch_name(bias.dtype)} and {_dtype.torch_name(input.dtype)}")
    return apply(LINEAR, (input, weight, bias))


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices (no broadcasting)."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if mat2.shape[:2] != (input.shape[0], input.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{input.shape[0]}, {input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    return matmul(input, mat2)


def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.shape != tensor.shape:
        n, m = input.shape[0], tensor.shape[0]
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
            f"of elements, but got {n} and {m} elements respectively")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_dtype.torch_name(input.dtype)} and {_dtype.torch_name(tensor.dtype)}")
    return matmul(input, tensor)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-D tensors."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, but got {input.ndim}D and {vec2.ndim}D")
    return mul(reshape(input, (-1, 1)), vec2)


# ---------------------------------------------------------------- einsum

_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _einsum_cpu(op, a, b, equation, subs, out):
    return np.einsum(equation, a, b)


def _einsum_vjp(ctx, g):
    """Operand i's gradient is an einsum of g and the other operand to i's
    subscripts: repeated labels (diagonals) go through identity matrices,
    labels only in operand i through ones vectors."""
    subs, out = ctx.params["subs"], ctx.params["out"]
    free = [c for c in _LETTERS if c not in set("".join(subs) + out)]
    nb = g.ndim - len(ctx.out_shape)
    batch = "".join(free[:nb])
    free = free[nb:]
    sizes = _label_sizes(subs, ctx.in_shapes)
    grads = []
    for i in range(2):
        if not ctx.needs_input_grad[i]:
            grads.append(None)
            continue
        terms, ops = [batch + out, subs[1 - i]], [g, ctx.saved[1 - i]]
        target, seen, extra = "", set(), iter(free)
        for c in subs[i]:
            if c in seen:
                f = next(extra)
                terms.append(c + f)
                ops.append(Tensor._make(np.eye(sizes[c], dtype=g.dtype)))
                target += f
            else:
                seen.add(c)
                target += c
        have = set("".join(terms))
        for c in dict.fromkeys(target):
            if c not in have:
                terms.append(c)
                ops.append(Tensor._make(np.ones(sizes[c], dtype=g.dtype)))
        grads.append(einsum(",".join(terms) + "->" + batch + target, *ops))
    return tuple(grads)


def _einsum_jvp(ctx, ta, tb):
    subs, out = ctx.params["subs"], ctx.params["out"]
    free = [c for c in _LETTERS if c not in set("".join(subs) + out)]
    res = None
    for i, t in enumerate((ta, tb)):
        if t is None:
            continue
        batch = "".join(free[:t.ndim - len(ctx.in_shapes[i])])
        terms = [subs[0], subs[1]]
        terms[i] = batch + terms[i]
        ops = [ctx.saved[0], ctx.saved[1]]
        ops[i] = t
        r = einsum(",".join(terms) + "->" + batch + out, *ops)
        res = r if res is None else add(res, r)
    return res


EINSUM = primitive("einsum", _einsum_cpu, _einsum_vjp, _einsum_jvp, save=(0, 1))


def _label_sizes(subs, shapes) -> dict:
    sizes = {}
    for s, shape in zip(subs, shapes):
        for c, n in zip(s, shape):
            sizes[c] = max(sizes.get(c, 1), n)
    return sizes


def _parse_einsum(equation: str, shapes):
    """Explicit subscripts (ellipses replaced by fresh labels) and output subscript."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) != len(shapes):
        what = "more" if len(shapes) > len(subs) else "fewer"
        raise RuntimeError(f"einsum(): {what} operands were provided than specified in the equation")
    for c in eq.replace("...", "").replace(",", "").replace("->", ""):
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(c)} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
    free = iter(c for c in _LETTERS if c not in eq)
    ell_ndim = max((len(sh) - len(s) + 3 for s, sh in zip(subs, shapes) if "..." in s), default=0)
    ell = "".join(next(free) for _ in range(ell_ndim))
    explicit = []
    for i, (s, shape) in enumerate(zip(subs, shapes)):
        if "..." in s:
            k = len(shape) - len(s) + 3
            s = s.replace("...", ell[ell_ndim - k:])
        if len(s) != len(shape):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the "
                f"number of dimensions ({len(shape)}) for operand {i}"
                + ("" if "..." in subs[i] else " and no ellipsis was given"))
        explicit.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:
        counts = Counter(lhs.replace("...", "").replace(",", ""))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return explicit, out


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. einsum("bij,bjk->bik", a, b); ellipses broadcast."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    ops = _same_dtype(*[as_tensor_arg(o) for o in operands])
    subs, out = _parse_einsum(equation, [o.shape for o in ops])
    sizes = {}
    for i, (s, o) in enumerate(zip(subs, ops)):
        for c, n in zip(s, o.shape):
            m = sizes.setdefault(c, n)
            if m != n and m != 1 and n != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {i} which does not broadcast with "
                    f"previously seen size {m}")
            sizes[c] = max(m, n)
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for "
                               "any input operand")
    if len(set(out)) != len(out):
        raise RuntimeError("einsum(): output subscript appears more than once in the output")
    ops = [expand(o, tuple(sizes[c] for c in s)) for s, o in zip(subs, ops)]
    # contract pairwise, left to right; a single operand pairs with a scalar 1
    if len(ops) == 1:
        subs, ops = subs + [""], ops + [Tensor._make(np.ones((), dtype=ops[0].dtype))]
    cur, cur_sub = ops[0], subs[0]
    for k in range(1, len(ops)):
        later = set("".join(subs[k + 1:]) + out)
        if k == len(ops) - 1:
            res_sub = out
        else:
            res_sub = "".join(dict.fromkeys(c for c in cur_sub + subs[k] if c in later))
        eq = f"{cur_sub},{subs[k]}->{res_sub}"
        cur = apply(EINSUM, (cur, ops[k]), {"equation": eq, "subs": (cur_sub, subs[k]), "out": res_sub})
        cur_sub = res_sub
    return cur


# ---------------------------------------------------------------- trace


def _trace_cpu(op, x):
    return np.asarray(np.trace(x), dtype=x.dtype)


def _trace_vjp(ctx, g):
    eye = Tensor._make(np.eye(*ctx.in_shapes[0], dtype=g.dtype))
    return mul(reshape(g, g.shape + (1, 1)), eye)


def _trace_jvp(ctx, t):
    eye = Tensor._make(np.eye(*ctx.in_shapes[0], dtype=t.dtype))
    return sum(mul(t, eye), (-2, -1))


TRACE = primitive("trace", _trace_cpu, _trace_vjp, _trace_jvp)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return apply(TRACE, (input,))


# ---------------------------------------------------------------- numgrad.linalg


def _check_square(name: str, A: Tensor, arg: str = "A") -> None:
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_dtype.torch_name(A.dtype)}")


def _det_derivative(ctx) -> Tensor:
    """d det(A) / dA: det(A) inv(A)^T, or where a matrix is singular (det 0, no
    inverse) the cofactor matrix, which is the derivative everywhere."""
    A = ctx.saved[0]
    if np.all(ctx.output._data != 0):
        d = ctx.output
        return mul(reshape(d, d.shape + (1, 1)), _mT(inv(A)))
    return _cofactors(A)


def _cofactors(A: Tensor) -> Tensor:
    """C[..., i, j] = (-1)^(i+j) det(A without row i and column j)."""
    n = A.shape[-1]
    if n == 1:
        return A * 0.0 + 1.0
    keep = np.array([[k for k in range(n) if k != i] for i in range(n)])  # (n, n-1)
    rows = keep[:, None, :, None]  # minor (i, j): rows keep[i], columns keep[j]
    cols = keep[None, :, None, :]
    minors = A[..., rows, cols]  # (..., n, n, n-1, n-1)
    sign = np.where(np.add.outer(np.arange(n), np.arange(n)) % 2 == 0, 1.0, -1.0)
    return mul(det(minors), Tensor._make(sign.astype(A.dtype)))


def _det_vjp(ctx, g):
    return mul(reshape(g, g.shape + (1, 1)), _det_derivative(ctx))


def _det_jvp(ctx, t):
    return sum(mul(_det_derivative(ctx), t), (-2, -1))


DET = primitive("linalg_det", lambda op, A: np.asarray(np.linalg.det(A), dtype=A.dtype),
                _det_vjp, _det_jvp, save=(0,), save_output=True)


def det(A: Tensor) -> Tensor:
    """Determinant of a square matrix (or a batch of them); differentiable also
    at singular matrices (through cofactors there)."""
    _check_square("linalg.det", A)
    return apply(DET, (A,))


def _inv_cpu(op, A):
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.inv: The inversion could not be completed because the input "
                           "matrix is singular.") from None


def _inv_vjp(ctx, g):
    y = ctx.output
    return neg(matmul(matmul(_mT(y), g), _mT(y)))


def _inv_jvp(ctx, t):
    y = ctx.output
    return neg(matmul(matmul(y, t), y))


INV = primitive("linalg_inv", _inv_cpu, _inv_vjp, _inv_jvp, save_output=True,
                node_name="LinalgInvExBackward0")


def inv(A: Tensor) -> Tensor:
    """Inverse of a square matrix (or a batch of them)."""
    _check_square("linalg.inv", A)
    return apply(INV, (A,))


inverse = inv


def _solve_cpu(op, A, B):
    try:
        return np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.solve: The solver failed because the input matrix is "
                           "singular.") from None


def _solve_vjp(ctx, g):
    """With X = A^-1 B: gB = A^-T g, gA = -gB X^T (summed over broadcast batch dims)."""
    A = ctx.saved[0]
    nb = g.ndim - len(ctx.out_shape)
    gB = apply(SOLVE, (_mT(A), g))
    gA = None
    if ctx.needs_input_grad[0]:
        gA = sum_to(neg(matmul(gB, _mT(ctx.output))), ctx.in_shapes[0], nb)
    return gA, sum_to(gB, ctx.in_shapes[1], nb) if ctx.needs_input_grad[1] else None


def _solve_jvp(ctx, tA, tB):
    """dX = A^-1 (dB - dA X)."""
    n = len(ctx.out_shape)
    if tA is not None:
        tA = _pad_batch(tA, ctx.in_shapes[0], n)
    if tB is not None:
        tB = _pad_batch(tB, ctx.in_shapes[1], n)
    rhs = neg(matmul(tA, ctx.output)) if tB is None else (
        tB if tA is None else sub(tB, matmul(tA, ctx.output)))
    return apply(SOLVE, (ctx.saved[0], rhs))


def _pad_batch(t: Tensor, shape: tuple, ndim: int) -> Tensor:
    """Tangent `t` (leading batch dims + `shape`) with singleton dims inserted after
    its batch dims so that it has `ndim` primal dims (aligns broadcast batch dims)."""
    if len(shape) == ndim:
        return t
    nb = t.ndim - len(shape)
    return reshape(t, t.shape[:nb] + (1,) * (ndim - len(shape)) + shape)


SOLVE = primitive("linalg_solve", _solve_cpu, _solve_vjp, _solve_jvp, save=(0,), save_output=True,
                  node_name="LinalgSolveExBackward0")


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:
    """The solution X of A X = B (B a vector or matrices, batch dims broadcast);
    left=False solves X A = B."""
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    A, B = _same_dtype(A, as_tensor_arg(B, A))
    _check_square("linalg.solve", A)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    Bm = reshape(B, B.shape + (1,)) if vector else B
    if Bm.ndim < 2 or Bm.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {'x'.join(str(n) for n in Bm.shape)})")
    X = apply(SOLVE, (A, Bm))
    return reshape(X, X.shape[:-1]) if vector else X


def _phi_mask(n: int, dtype) -> Tensor:
    """Lower triangle with the diagonal halved: Phi(X) = X * mask."""
    m = np.tril(np.ones((n, n), dtype=dtype))
    np.fill_diagonal(m, 0.5)
    return Tensor._make(m)


def _cholesky_cpu(op, A):
    try:
        return np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise RuntimeError(_not_pd_message(A)) from None


def _not_pd_message(A: np.ndarray) -> str:
    """PyTorch's message: which batch element and leading minor failed."""
    flat = A.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                where = f"(Batch element {b}): " if A.ndim > 2 else ""
                return (f"linalg.cholesky: {where}The factorization could not be completed because "
                        f"the input is not positive-definite (the leading minor of order {k} is not "
                        "positive-definite).")
    return "linalg.cholesky: The factorization could not be completed."


def _cholesky_vjp(ctx, g):
    """Murray (2016): S = L^-T Phi(L^T g) L^-1, gA = (S + S^T) / 2."""
    L = ctx.output
    Linv = inv(L)
    phi = mul(matmul(_mT(L), g), _phi_mask(L.shape[-1], g.dtype))
    S = matmul(matmul(_mT(Linv), phi), Linv)
    return mul(add(S, _mT(S)), 0.5)


def _cholesky_jvp(ctx, t):
    L = ctx.output
    Linv = inv(L)
    return matmul(L, mul(matmul(matmul(Linv, t), _mT(Linv)), _phi_mask(L.shape[-1], t.dtype)))


CHOLESKY = primitive("linalg_cholesky", _cholesky_cpu, _cholesky_vjp, _cholesky_jvp,
                     save_output=True, node_name="LinalgCholeskyExBackward0")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """Cholesky factor L (lower triangular, A = L L^T) of symmetric positive-definite
    matrices; upper=True returns L^T."""
    _check_square("linalg.cholesky", A)
    L = apply(CHOLESKY, (A,))
    return _mT(L) if upper else L


def _triangle(A: np.ndarray, upper: bool, unitriangular: bool) -> np.ndarray:
    """The triangle of A that solve_triangular reads (a new array), unit diagonal if asked."""
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        i = np.arange(A.shape[-1])
        T[..., i, i] = 1
    return T


def _substitute(T: np.ndarray, B: np.ndarray, upper: bool) -> np.ndarray:
    """Forward (or back) substitution, row by row: inf / nan where T is singular, as LAPACK's
    trsm, where LU factorization refuses."""
    n = T.shape[-1]
    batch = np.broadcast_shapes(T.shape[:-2], B.shape[:-2])
    X = np.zeros(batch + B.shape[-2:], np.result_type(T, B))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in (range(n - 1, -1, -1) if upper else range(n)):
            # rows of X not solved yet are 0, so the whole row of T may multiply X
            done = np.matmul(T[..., i:i + 1, :], X)[..., 0, :]
            X[..., i, :] = (B[..., i, :] - done) / T[..., i, i, None]
    return X


def _solve_triangular_cpu(op, A, B, upper, unitriangular):
    T = _triangle(A, upper, unitriangular)
    try:
        return np.linalg.solve(T, B)
    except np.linalg.LinAlgError:
        return _substitute(T, B, upper)


def _tri_tangent(t: Tensor, upper: bool, unitriangular: bool) -> Tensor:
    """The part of a (co)tangent of A that solve_triangular reads: its triangle, without the
    diagonal when that is taken as ones."""
    k = 1 if unitriangular else 0
    return triu(t, k) if upper else tril(t, -k)


def _solve_triangular_vjp(ctx, g):
    """With X = T^-1 B (T the triangle read): gB = T^-T g, gA = tri(-gB X^T)."""
    A = ctx.saved[0]
    p = ctx.params
    nb = g.ndim - len(ctx.out_shape)
    gB = apply(SOLVE_TRIANGULAR, (_mT(A), g),
               {"upper": not p["upper"], "unitriangular": p["unitriangular"]})
    gA = None
    if ctx.needs_input_grad[0]:
        gA = _tri_tangent(sum_to(neg(matmul(gB, _mT(ctx.output))), ctx.in_shapes[0], nb),
                          p["upper"], p["unitriangular"])
    return gA, sum_to(gB, ctx.in_shapes[1], nb) if ctx.needs_input_grad[1] else None


def _solve_triangular_jvp(ctx, tA, tB):
    """dX = T^-1 (dB - tri(dA) X)."""
    n = len(ctx.out_shape)
    p = ctx.params
    if tA is not None:
        tA = matmul(_tri_tangent(_pad_batch(tA, ctx.in_shapes[0], n), p["upper"],
                                 p["unitriangular"]), ctx.output)
    if tB is not None:
        tB = _pad_batch(tB, ctx.in_shapes[1], n)
    rhs = neg(tA) if tB is None else (tB if tA is None else sub(tB, tA))
    return apply(SOLVE_TRIANGULAR, (ctx.saved[0], rhs), p)


SOLVE_TRIANGULAR = primitive("linalg_solve_triangular", _solve_triangular_cpu,
                             _solve_triangular_vjp, _solve_triangular_jvp, save=(0,),
                             save_output=True, node_name="LinalgSolveTriangularBackward0")


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """The solution X of A X = B (left=False: X A = B) for triangular A: only its upper
    (upper=True) or lower triangle is read, its diagonal taken as ones if unitriangular.
    B has at least 2 dims; batch dims broadcast."""
    A, B = _same_dtype(A, as_tensor_arg(B, A))
    _check_square("linalg.solve_triangular", A)
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 "
                           "dimensions.")
    if not left:
        return _mT(solve_triangular(_mT(A), _mT(B), upper=not upper,
                                    unitriangular=unitriangular))
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve_triangular: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    check_broadcast(A.shape[:-2], B.shape[:-2])
    return apply(SOLVE_TRIANGULAR, (A, B), {"upper": bool(upper),
                                           "unitriangular": bool(unitriangular)})


def cholesky_inverse(input: Tensor, upper: bool = False) -> Tensor:
    """The inverse of A = L L^T from its Cholesky factor L (upper=True: A = U^T U from U);
    only the factor's triangle is read."""
    _check_square("cholesky_inverse", input)
    eye = Tensor._make(np.eye(input.shape[-1], dtype=input.dtype))
    Finv = solve_triangular(input, eye, upper=upper)
    return matmul(Finv, _mT(Finv)) if upper else matmul(_mT(Finv), Finv)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:
    """Matrix norm over the two dims `dim`: 'fro', 1, -1, inf or -inf."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    d0, d1 = (normalize_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord not in (1, -1, np.inf, -np.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported (numgrad has no SVD: "
                           "use 'fro', 1, -1, inf or -inf).")
    # 1-norms: max/min absolute column sum; inf-norms: max/min absolute row sum
    sum_dim, ext_dim = (d0, d1) if abs(ord) == 1 else (d1, d0)
    s = vector_norm(A, 1, sum_dim, keepdim=True, dtype=dtype)
    r = (amax if ord > 0 else amin)(s, ext_dim, keepdim=True)
    if keepdim:
        return r
    return reshape(r, tuple(n for i, n in enumerate(r.shape) if i not in (d0, d1)))


def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """numgrad.linalg.norm: a vector norm (1-D input or one dim), a matrix norm
    (2-D input or two dims), or the 2-norm of the flattened input (ord and dim None)."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                               f"1D or 2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 1:
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
