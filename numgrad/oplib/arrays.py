"""numpy-style array building, reshaping and small linear-algebra functions, composed from registry ops.

Every function here is a composition of existing ops (views, cat, index, matmul,
pointwise arithmetic), so gradients of any order, forward mode and batched
cotangents / tangents come from those ops' rules. What depends on shapes alone
(index arrays, permutations) is planned once per shape and cached.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, apply, mark_view
from numgrad.creation import _dt, _new
from numgrad.oplib._util import check_broadcast, normalize_dim
from numgrad.oplib.indexing import INDEX, INDEX_PUT, _Index, gather
from numgrad.oplib.linalg import dot, linear, matmul
from numgrad.oplib.pointwise import add, div, logical_xor, mul, sub
from numgrad.oplib.reduction import cumsum, sum
from numgrad.oplib.shape import (_FULL, CAT, RESHAPE, _zeros, basic_index, cat, clone, expand,
                                 flip, movedim, permute, transpose)

__all__ = ["meshgrid", "kron", "diff", "atleast_1d", "atleast_2d", "atleast_3d", "hstack",
           "vstack", "dstack", "column_stack", "rot90", "fliplr", "flipud", "moveaxis",
           "unflatten", "repeat_interleave", "take", "take_along_dim", "tensor_split", "hsplit",
           "vsplit", "dsplit", "broadcast_tensors", "broadcast_shapes", "block_diag",
           "cartesian_prod", "combinations", "logspace", "tensordot", "inner", "vdot", "mv",
           "addmm", "addmv", "baddbmm", "cross", "trapezoid", "trapz", "cumulative_trapezoid",
           "chain_matmul", "adjoint"]
# functions that are also Tensor methods
METHODS = ("unflatten", "moveaxis", "repeat_interleave", "take", "take_along_dim", "mv", "kron",
           "diff", "tensor_split", "hsplit", "vsplit", "dsplit", "inner", "vdot", "cross",
           "rot90", "fliplr", "flipud", "addmm", "addmv", "baddbmm", "adjoint")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()

moveaxis = movedim


def _view(x: Tensor, shape: tuple) -> Tensor:
    """reshape(x, shape) for a `shape` known to hold x's elements (reshape's parsing and
    checks are most of the cost of these small calls)."""
    if shape == x._data.shape:
        return x
    return mark_view(apply(RESHAPE, (x,), {"shape": shape}), x)


def _slice(x: Tensor, d: int, start: int, stop: int) -> Tensor:
    """The view x[..., start:stop, ...] along dim `d` (0 <= start <= stop <= size)."""
    return basic_index(x, (_FULL,) * d + (slice(start, stop, 1),) + (_FULL,) * (x.ndim - d - 1))


def _tensors(args: tuple) -> tuple:
    """Varargs tensors or one list / tuple of them."""
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return tuple(args[0])
    return args


def _check_same_dtype(tensors, message: str) -> None:
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(message)


# ---------------------------------------------------------------- grids and products


def meshgrid(*tensors, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids (broadcast views) from 0-D / 1-D tensors; indexing 'ij'
    (matrix, the default, with PyTorch's warning when omitted) or 'xy' (Cartesian)."""
    tensors = _tensors(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    elif indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    _check_same_dtype(tensors, "meshgrid expects all tensors to have the same dtype")
    k = len(tensors)
    pos = list(range(k))
    if indexing == "xy" and k > 1:
        pos[0], pos[1] = 1, 0
    shape = [0] * k
    for t, p in zip(tensors, pos):
        shape[p] = t._data.size
    shape = tuple(shape)
    out = []
    for t, p in zip(tensors, pos):
        out.append(expand(_view(t, (1,) * p + (shape[p],) + (1,) * (k - p - 1)), shape))
    return tuple(out)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: blocks input[i...] * other (the shorter shape padded with 1s in front)."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + input.shape
    sb = (1,) * (n - other.ndim) + other.shape
    a = _view(input, tuple(v for s in sa for v in (s, 1)))
    b = _view(other, tuple(v for s in sb for v in (1, s)))
    return _view(mul(a, b), tuple(x * y for x, y in zip(sa, sb)))


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """The Cartesian product of 1-D tensors as rows of a (prod of sizes, k) tensor
    (a single tensor is returned as it is)."""
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    _check_same_dtype(tensors, "meshgrid expects all tensors to have the same dtype")
    k = len(tensors)
    sizes = tuple(t._data.shape[0] for t in tensors)
    grid = sizes + (1,)
    cols = [expand(_view(t, (1,) * i + (sizes[i],) + (1,) * (k - i)), grid)
            for i, t in enumerate(tensors)]
    # one copy: numpy concatenates the broadcast views directly
    return _view(apply(CAT, cols, {"axis": -1}), (math.prod(sizes), k))


_COMBINATIONS: dict = {}


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:
    """The length-`r` combinations of the elements of a 1-D tensor, as rows (itertools order)."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool):
        raise TypeError(f"combinations(): argument 'r' (position 2) must be int, not "
                        f"{type(r).__name__}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return Tensor._make(np.empty(0, input.dtype))
    key = (input._data.shape[0], int(r), bool(with_replacement))
    ix = _COMBINATIONS.get(key)
    if ix is None:
        gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
        idx = np.array(list(gen(range(key[0]), key[1])), dtype=np.intp).reshape(-1, key[1])
        ix = _Index(None, (idx,), False, 2)
        if len(_COMBINATIONS) < 256:
            _COMBINATIONS[key] = ix
    return apply(INDEX, (input,), {"ix": ix, "ndim": 1})


def logspace(start, end, steps: int, base: float = 10.0, *, dtype=None,
             requires_grad: bool = False, device=None) -> Tensor:
    """`steps` values from base**start to base**end, evenly spaced in the exponent."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    start, end = (float(v) if isinstance(v, Tensor) else v for v in (start, end))
    a = np.logspace(start, end, steps, base=base)
    return _new(a.astype(_dt(dtype)), requires_grad, device)


# ---------------------------------------------------------------- differences and integrals


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The n-th forward difference along `dim` (after concatenating prepend / append);
    logical xor for bool tensors."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = normalize_dim(dim, input.ndim)
    parts = []
    for name, t in (("prepend", prepend), ("input", input), ("append", append)):
        if t is None:
            continue
        if t is not input:
            if not isinstance(t, Tensor):
                raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
            if t.ndim != input.ndim:
                raise RuntimeError("diff expects prepend or append to be the same dimension as "
                                   "input")
            for k in range(input.ndim):
                if k != d and t.shape[k] != input.shape[k]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of "
                        "input except along the differencing dimension; input.size("
                        f"{k}) = {input.shape[k]}, but got tensor.size({k}) = {t.shape[k]}")
        parts.append(t)
    x = cat(parts, d) if len(parts) > 1 else input
    op = logical_xor if x.dtype == np.bool_ else sub
    for _ in range(min(n, x.shape[d])):
        m = x.shape[d]
        x = op(_slice(x, d, 1, m), _slice(x, d, 0, m - 1))
    return x


def _trapezoid_dim(name: str, y: Tensor, x, dx, dim: int) -> int:
    if x is not None and dx is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got (Tensor, "
                        "Tensor, dx=...), but expected one of:\n * (Tensor y, Tensor x, *, int dim "
                        "= -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if y.dtype == np.bool_ or isinstance(x, Tensor) and x.dtype == np.bool_:
        raise RuntimeError(f"{name}: received a bool input for `x` or `y`, but bool is not "
                           "supported")
    return normalize_dim(dim, y.ndim)


def _spacing(name: str, y: Tensor, x: Tensor, d: int) -> Tensor:
    """The differences of the sample points `x` along dim `d`, shaped to broadcast
    against y's neighbour pairs (PyTorch's rules: a 1-D x lies along `d`, a shorter x
    is padded in front, then dx and dy broadcast)."""
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        x = _view(x, (1,) * d + x.shape + (1,) * (y.ndim - d - 1))
    elif x.ndim < y.ndim:
        x = _view(x, (1,) * (y.ndim - x.ndim) + x.shape)
    m = x.shape[d]
    return sub(_slice(x, d, min(1, m), m), _slice(x, d, 0, max(m - 1, 0)))


def _pair_sums(y: Tensor, d: int) -> Tensor:
    """y[..., :-1, ...] + y[..., 1:, ...] along `d`."""
    m = y.shape[d]
    return add(_slice(y, d, 0, max(m - 1, 0)), _slice(y, d, min(1, m), m))


def trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
              dim: int = -1) -> Tensor:
    """The trapezoidal rule along `dim`: with sample points `x`, or a constant spacing `dx` (1)."""
    d = _trapezoid_dim("trapezoid", y, x, dx, dim)
    if y.shape[d] == 0:  # no samples: 0, as numpy
        return Tensor._make(np.zeros(y.shape[:d] + y.shape[d + 1:], y.dtype))
    if x is None:
        dx = 1.0 if dx is None else float(dx)
        ends = add(basic_index(y, (_FULL,) * d + (0,) + (_FULL,) * (y.ndim - d - 1)),
                   basic_index(y, (_FULL,) * d + (y.shape[d] - 1,) + (_FULL,) * (y.ndim - d - 1)))
        r = sub(sum(y, d), mul(ends, 0.5))
        return r if dx == 1.0 else mul(r, dx)
    return div(sum(mul(_pair_sums(y, d), _spacing("trapezoid", y, x, d)), d), 2.0)


trapz = trapezoid


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None,
                         dim: int = -1) -> Tensor:
    """The running trapezoidal-rule integral along `dim` (one value fewer than samples)."""
    if y.ndim == 0:
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    d = _trapezoid_dim("cumulative_trapezoid", y, x, dx, dim)
    if x is None:
        step = 0.5 if dx is None else float(dx) / 2.0
        return cumsum(mul(_pair_sums(y, d), step), d)
    return cumsum(mul(div(_spacing("cumulative_trapezoid", y, x, d), 2.0), _pair_sums(y, d)), d)


# ---------------------------------------------------------------- reshaping and stacking


def _atleast(name: str, n: int, tensors: tuple):
    def lift(t):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(t).__name__}")
        k = t._data.ndim
        if k >= n:
            return t
        s = t._data.shape
        if n == 3:
            return _view(t, (1, 1, 1) if k == 0 else (1,) + s + (1,) if k == 1 else s + (1,))
        return _view(t, (1,) * (n - k) + s)
    if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
        return lift(tensors[0])
    return tuple(lift(t) for t in _tensors(tensors))


def atleast_1d(*tensors):
    """Each tensor viewed with at least 1 dim (a tensor for one argument, else a tuple)."""
    return _atleast("atleast_1d", 1, tensors)


def atleast_2d(*tensors):
    """Each tensor viewed with at least 2 dims (new dims in front)."""
    return _atleast("atleast_2d", 2, tensors)


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims: (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    return _atleast("atleast_3d", 3, tensors)


def _tensor_list(name: str, tensors) -> tuple:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return tuple(tensors)


def hstack(tensors) -> Tensor:
    """Concatenation along dim 1 (dim 0 for 1-D tensors), after atleast_1d."""
    ts = _atleast("hstack", 1, (_tensor_list("hstack", tensors),))
    return cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    """Concatenation along dim 0 after atleast_2d."""
    return cat(_atleast("vstack", 2, (_tensor_list("vstack", tensors),)), 0)


def dstack(tensors) -> Tensor:
    """Concatenation along dim 2 after atleast_3d."""
    return cat(_atleast("dstack", 3, (_tensor_list("dstack", tensors),)), 2)


def column_stack(tensors) -> Tensor:
    """0-D and 1-D tensors as columns, concatenated along dim 1 with the 2-D ones."""
    ts = _tensor_list("column_stack", tensors)
    return cat([_view(t, (t._data.size, 1)) if t.ndim <= 1 else t for t in ts], 1)


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """`input` with dim `dim` split into `sizes` (one may be -1); a view."""
    if input.ndim == 0:
        raise RuntimeError(f"unflatten got an unexpected error:\nDimension specified as {dim} but "
                           "tensor has no dimensions")
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes and known == 0 and n == 0:
        raise RuntimeError(
            f"unflatten got an unexpected error:\ncannot reshape tensor of 0 elements into shape "
            f"{list(sizes)} because the unspecified dimension size -1 can be any value and is "
            "ambiguous")
    if (known == 0 or n % known) if -1 in sizes else known != n:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size "
                           f"of dim {d} ({n}) in the input tensor")
    if -1 in sizes:
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    return _view(input, input.shape[:d] + sizes + input.shape[d + 1:])


def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """`input` rotated by k * 90 degrees in the plane of `dims` (from the first towards the second)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    n = input.ndim
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = normalize_dim(dims[0], n), normalize_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, d0, d1)
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    return clone(input)


def fliplr(input: Tensor) -> Tensor:
    """`input` with dim 1 reversed (a copy)."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    """`input` with dim 0 reversed (a copy)."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def adjoint(input: Tensor) -> Tensor:
    """The (conjugate) transpose of the last two dims, a view (real tensors: mT)."""
    if input.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. "
                           f"Got {input.ndim}-D tensor.")
    return transpose(input, -2, -1)


# ---------------------------------------------------------------- repeating and taking


def _check_long(name: str, t: Tensor) -> None:
    if t._data.dtype != np.int64:
        raise RuntimeError(f"{name}: Expected a long tensor for index, but got "
                           f"{_dtype.torch_name(t._data.dtype)}")


def _index_along(x: Tensor, d: int, idx: np.ndarray) -> Tensor:
    """x indexed with the intp vector `idx` along dim `d` (the index op: a copy)."""
    adv = (_FULL,) * d + (idx,) + (_FULL,) * (x.ndim - d - 1)
    return apply(INDEX, (x,), {"ix": _Index(None, adv, False, 1), "ndim": x.ndim})


def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *,
                      output_size: int | None = None) -> Tensor:
    """Each element (slice along `dim`; of the flattened input if dim is None) repeated
    `repeats` times (an int or one count per element). With only a tensor of counts,
    the indices 0, 1, ... repeated by those counts."""
    if repeats is None:
        r = input._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                      f"'{_dtype.torch_name(r.dtype)}'")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return Tensor._make(np.repeat(np.arange(r.shape[0], dtype=r.dtype), r))
    if dim is None or input.ndim == 0:
        x = _view(input, (input._data.size,))
        d = 0 if dim is None else normalize_dim(dim, 0)
    else:
        x = input
        d = normalize_dim(dim, input.ndim)
    n = x.shape[d]
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for "
                                      f"'{_dtype.torch_name(r.dtype)}'")
        if r.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.size == 1:
            repeats = int(r.reshape(()))
        else:
            if r.shape[0] != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {r.shape[0]} and input.size({d}) = {n}")
            if r.size and r.min() < 0:
                raise RuntimeError("repeats can not be negative")
            idx = np.repeat(np.arange(n, dtype=np.intp), r)
            if output_size is not None and output_size != idx.shape[0]:
                raise RuntimeError("allocated size does not match required size")
            return _index_along(x, d, idx)
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != n * repeats:
        raise RuntimeError("allocated size does not match required size")
    s = x.shape
    wide = expand(_view(x, s[:d + 1] + (1,) + s[d + 1:]), s[:d + 1] + (repeats,) + s[d + 1:])
    out = _view(wide, s[:d] + (n * repeats,) + s[d + 1:])
    # reshaping a broadcast view copies, except where it keeps a zero stride (n == 1)
    return clone(out) if out._base is not None else out


def take(input: Tensor, index: Tensor) -> Tensor:
    """The elements of the flattened `input` at `index` (any shape, negative counts from the end)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    _check_long("take()", index)
    n = input._data.size
    a = index._data
    if a.size:
        lo, hi = a.min(), a.max()
        if hi >= n or lo < -n:
            bad = int(a[(a >= n) | (a < -n)].flat[0])
            raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                             "elements.")
        if lo < 0:
            a = np.where(a < 0, a + n, a)
    a = a.astype(np.intp, copy=False)
    flat = _view(input, (n,))
    return apply(INDEX, (flat,), {"ix": _Index(None, (a,), False, a.ndim), "ndim": 1})


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of `input` at `indices` along `dim` (gather with input and indices broadcast
    against each other outside `dim`); of the flattened input if dim is None."""
    if indices._data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{_dtype.torch_name(indices._data.dtype)}")
    if dim is None:  # gather on the flattened input, which (as PyTorch's) refuses negative indices
        idx = indices._data.reshape(-1)
        if idx.size and idx.min() < 0:
            raise RuntimeError(f"index {int(idx[idx < 0][0])} is out of bounds for dimension 0 "
                               f"with size {input._data.size}")
        return gather(_view(input, (input._data.size,)), 0, idx)
    if input.ndim != indices.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input.ndim} dimensions for input, and {indices.ndim} dimensions for indices")
    d = normalize_dim(dim, input.ndim)
    si, sx = list(input.shape), list(indices.shape)
    si[d] = sx[d]
    idx = np.broadcast_to(indices._data, check_broadcast(tuple(si), indices.shape))
    sx[d] = input.shape[d]
    return gather(expand(input, check_broadcast(tuple(sx), input.shape)), d, idx)


# ---------------------------------------------------------------- splitting


def tensor_split(input: Tensor, indices_or_sections=None, dim: int = 0, *, sections=None,
                 indices=None, tensor_indices_or_sections=None) -> tuple[Tensor, ...]:
    """Views of `input` along `dim`: `sections` nearly equal parts (the first ones one
    longer), or the parts between `indices` (Python slice semantics)."""
    arg = next((a for a in (indices_or_sections, sections, indices, tensor_indices_or_sections)
                if a is not None), None)
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    if isinstance(arg, Tensor):
        a = arg._data
        if a.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {_dtype.torch_name(a.dtype)}")
        if a.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               f"zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{a.ndim} dims")
        arg = int(a) if a.ndim == 0 else a.tolist()
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(arg, (list, tuple)):
        bounds = [min(max(int(i) + n if i < 0 else int(i), 0), n) for i in arg]
    else:
        s = int(arg)
        if s <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {s}")
        q, r = divmod(n, s)
        bounds = [i * q + min(i, r) for i in range(1, s)]
    out, start = [], 0
    for stop in bounds + [n]:
        out.append(_slice(input, d, start, max(stop, start)))
        start = stop
    return tuple(out)


def _split_at(name: str, input: Tensor, indices_or_sections, dim: int, min_ndim: int):
    if input.ndim < min_ndim:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_ndim} dimension, "
                           f"but got a tensor with {input.ndim} dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)):
        s, n = int(indices_or_sections), input.shape[dim]
        if s == 0 or n % s:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the "
                               f"size of the dimension {n} is not divisible by the split_size {s}!")
    elif not isinstance(indices_or_sections, (list, tuple)):
        raise TypeError(f"{name}(): argument 'indices' must be tuple of ints, not "
                        f"{type(indices_or_sections).__name__}")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 for 1-D tensors); sections must divide evenly."""
    return _split_at("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of a tensor with at least 2 dims; sections must divide evenly."""
    return _split_at("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input: Tensor, indices_or_sections) -> tuple[Tensor, ...]:
    """tensor_split along dim 2 of a tensor with at least 3 dims; sections must divide evenly."""
    return _split_at("dsplit", input, indices_or_sections, 2, 3)


# ---------------------------------------------------------------- broadcasting, block_diag


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """The shape that all `shapes` (ints or sequences of ints) broadcast to."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes
              if s is not None]
    common = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for k in range(-1, -1 - len(shape), -1):
            if shape[k] == common[k]:
                continue
            if common[k] == 1:
                if shape[k] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[k] = shape[k]
            if shape[k] != 1 and shape[k] != common[k]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[k]} at {k}! Mismatching "
                    f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                    f"to {common}")
    return tuple(common)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded (as views) to their common broadcast shape."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not tensors:
        return ()
    shape = tensors[0]._data.shape
    for t in tensors[1:]:
        if t._data.shape != shape:
            shape = check_broadcast(shape, t._data.shape)
    return tuple(expand(t, shape) for t in tensors)


_BLOCK_DIAG: dict = {}


def _block_diag_plan(shapes: tuple):
    """(output shape, the index of block elements (row-major, block after block) in it)."""
    plan = _BLOCK_DIAG.get(shapes)
    if plan is None:
        rows, cols = [], []
        r0 = c0 = 0
        for h, w in shapes:
            rows.append(np.repeat(np.arange(r0, r0 + h, dtype=np.intp), w))
            cols.append(np.tile(np.arange(c0, c0 + w, dtype=np.intp), h))
            r0, c0 = r0 + h, c0 + w
        plan = ((r0, c0), _Index(None, (np.concatenate(rows), np.concatenate(cols)), False, 1))
        if len(_BLOCK_DIAG) < 256:
            _BLOCK_DIAG[shapes] = plan
    return plan


def block_diag(*tensors: Tensor) -> Tensor:
    """A block-diagonal matrix of the tensors (0-D: 1x1, 1-D: one row), zeros elsewhere."""
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {t.ndim} dimensions")
    if not tensors:
        return Tensor._make(np.zeros((1, 0), _dtype.get_default_dtype()))
    mats = [t if t.ndim == 2 else _view(t, (1, t._data.size)) for t in tensors]
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = _dtype.promote(dt, m.dtype)
    shape, ix = _block_diag_plan(tuple(m.shape for m in mats))
    flat = [_view(m if m.dtype == dt else m.type(dt), (m._data.size,)) for m in mats]
    # the block elements in one vector, written into zeros by one index_put: the
    # output is filled once (padding each block row with zeros would copy it twice)
    v = flat[0] if len(flat) == 1 else apply(CAT, flat, {"axis": -1})
    return apply(INDEX_PUT, (_zeros(shape, dt), v),
                 {"ix": ix, "accumulate": False, "ndim": 2, "vndim": 1})


# ---------------------------------------------------------------- products


def _dims_list(dims) -> list:
    if isinstance(dims, (int, np.integer)):
        return [int(dims)]
    if not isinstance(dims, (list, tuple)):
        raise TypeError(f"tensordot(): argument 'dims_other' (position 4) must be tuple of ints, "
                        f"not {type(dims).__name__}")
    return [int(d) for d in dims]


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    """Contraction of the last `dims` dims of `a` with the first `dims` of `b`, or of the
    dims listed in `dims = (dims_a, dims_b)` (one matrix product)."""
    if isinstance(dims, Tensor):
        dims = int(dims) if dims._data.size == 1 and dims.ndim <= 1 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        k = int(dims)
        if k < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={k}")
        if k > a.ndim or k > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={k}")
        da, db = list(range(-k, 0)), list(range(k))
    else:
        da, db = _dims_list(dims[0]), _dims_list(dims[1])
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    na = [normalize_dim(d, a.ndim) for d in da]
    nb = [normalize_dim(d, b.ndim) for d in db]
    for ds in (na, nb):
        for d in ds:
            if ds.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    for i, j, ri, rj in zip(na, nb, da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[i]} in dim {ri} and second has size {b.shape[j]} in dim "
                               f"{rj}")
    free_a = [d for d in range(a.ndim) if d not in na]
    free_b = [d for d in range(b.ndim) if d not in nb]
    ka = math.prod(a.shape[d] for d in na)
    out_shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    A = _view(permute(a, tuple(free_a + na)), (math.prod(out_shape[:len(free_a)]), ka))
    B = _view(permute(b, tuple(nb + free_b)), (ka, math.prod(out_shape[len(free_a):])))
    return _view(matmul(A, B), out_shape)


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dims of both tensors (a product if either is 0-D)."""
    if input.ndim == 0 or other.ndim == 0:
        return mul(input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got "
                           f"shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def vdot(input: Tensor, other: Tensor) -> Tensor:
    """Dot product of two 1-D tensors (real tensors: no conjugation)."""
    return dot(input, other)


def _scaled_sum(input: Tensor, prod: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * prod, input broadcast to prod's shape (ignored when beta is 0)."""
    if alpha != 1:
        prod = mul(prod, alpha)
    if input.shape != prod.shape:
        input = expand(input, prod.shape)
    if beta == 0:
        if input.requires_grad:  # PyTorch still gives input a (zero) gradient, NaN-free
            from numgrad.oplib.pointwise import where
            return where(Tensor._make(np.ones(prod.shape, bool)), prod, input)
        return prod
    return add(input if beta == 1 else mul(input, beta), prod)


def _addmv_checks(input: Tensor | None, mat: Tensor, vec: Tensor) -> None:
    k = 1 if input is None else input.ndim
    if mat.ndim != 2 or vec.ndim != 1 or k > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {k}, {mat.ndim}, {vec.ndim}")
    m, n = mat.shape
    size = m if input is None else input._data.size
    if n != vec.shape[0] or size not in (1, m):
        raise RuntimeError(f"size mismatch, got input ({size}), mat ({m}x{n}), vec ({vec.shape[0]})")
    first = vec if input is None else input
    if not first.dtype == mat.dtype == vec.dtype:
        raise RuntimeError(
            "addmv input tensors must have the same dtype, but got "
            f"{_dtype.torch_name(first.dtype)}, {_dtype.torch_name(mat.dtype)}, and "
            f"{_dtype.torch_name(vec.dtype)}")


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Product of a matrix and a vector."""
    _addmv_checks(None, input, vec)
    return matmul(input, vec)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    _addmv_checks(input, mat, vec)
    return _scaled_sum(input, matmul(mat, vec), beta, alpha)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x"
                           f"{mat1.shape[1]} and {mat2.shape[0]}x{mat2.shape[1]})")
    for name, m in (("self", input), ("mat1", mat1)):
        if m.dtype != mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got "
                               f"{_dtype.torch_name(m.dtype)} and {_dtype.torch_name(mat2.dtype)}")
    if beta == 1 and alpha == 1 and input.shape == mat2.shape[1:]:
        return linear(mat1, transpose(mat2, 0, 1), input)  # one op: nn.Linear's
    return _scaled_sum(input, matmul(mat1, mat2), beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for (b, n, m) and (b, m, p) batches."""
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if batch2.shape[:2] != (batch1.shape[0], batch1.shape[2]):
        raise RuntimeError(
            "Expected size for first two dimensions of batch2 tensor to be: "
            f"[{batch1.shape[0]}, {batch1.shape[2]}] but got: [{batch2.shape[0]}, "
            f"{batch2.shape[1]}].")
    expand(input, batch1.shape[:2] + batch2.shape[2:])  # PyTorch's broadcast error, before the product
    return _scaled_sum(input, matmul(batch1, batch2), beta, alpha)


def _chain_order(dims: list) -> list:
    """split[i][j]: where the cheapest product of matrices i..j splits (matrix-chain DP)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def chain_matmul(*matrices: Tensor) -> Tensor:
    """Product of 2-D matrices, multiplied in the cheapest order (deprecated in PyTorch,
    with its warning: use linalg.multi_dot)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch "
                  "release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return clone(matrices[0])
    for i, m in enumerate(matrices[1:], 1):
        if m.dtype != matrices[0].dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{_dtype.c_name(matrices[0].dtype)} and tensor {i} {_dtype.c_name(m.dtype)}")
        if m.shape[0] != matrices[i - 1].shape[1]:
            raise RuntimeError(f"multi_dot(): tensors {i - 1} and {i} with shapes "
                               f"{list(matrices[i - 1].shape)} and {list(m.shape)} cannot be "
                               "multiplied")
    if len(matrices) == 2:
        return matmul(*matrices)
    split = _chain_order([m.shape[0] for m in matrices] + [matrices[-1].shape[1]])

    def product(i, j):
        if i == j:
            return matrices[i]
        k = split[i][j]
        return matmul(product(i, k), product(k + 1, j))
    return product(0, len(matrices) - 1)


_CROSS_WARNING = ("Using torch.cross without specifying the dim arg is deprecated.\nPlease either "
                  "pass the dim explicitly or simply use torch.linalg.cross.\nThe default value of "
                  "dim will change to agree with that of linalg.cross in a future release.")


def _roll1(x: Tensor, d: int) -> Tensor:
    """x[1], x[2], x[0] along dim `d` (of size 3): one cat of two views, whose gradient
    is two slices (an index op's would scatter-add)."""
    return cat([_slice(x, d, 1, 3), _slice(x, d, 0, 1)], d)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along `dim` (None: the first dim of size 3, deprecated
    in PyTorch, with its warning); input and other broadcast."""
    if dim is None:
        warnings.warn(_CROSS_WARNING, UserWarning, stacklevel=2)
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_dtype.torch_name(input.dtype)} but found "
                           f"{_dtype.torch_name(other.dtype)}")
    if dim is None:
        d = next((k for k, s in enumerate(input.shape) if s == 3), None)
        if d is None:
            raise RuntimeError("no dimension of size 3 in input")
    else:
        d = normalize_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d if dim is None else dim} must have "
                           f"length 3. Got {input.shape[d]} and {other.shape[d]}")
    check_broadcast(input.shape, other.shape)
    if input.dtype == np.bool_:
        raise NotImplementedError("\"cross\" not implemented for 'Bool'")
    # with r the cyclic shift r(x)_i = x_{i+1}: a x b = r(a * r(b) - r(a) * b)
    return _roll1(sub(mul(input, _roll1(other, d)), mul(_roll1(input, d), other)), d)
