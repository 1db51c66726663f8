"""Reductions: sum, mean, var, std, prod, amax/amin, max/min, argmax/argmin,
logsumexp, softmax, log_softmax, cumsum, cumprod, sort, topk, norm. dim/keepdim as in PyTorch.

Forward passes are Numba row kernels (numgrad/kernels/cpu.py) on a view of
the input whose rows hold the reduced dims. Most reductions have derivative
d out / d x = W(x) elementwise; their rules come from `_linear_rules(W)`:
vjp = broadcast(g) * W, jvp = sum(t * W) over the reduced dims.
"""
from __future__ import annotations

import builtins
import math
from collections import namedtuple

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, _grad_enabled, apply, mark_view
from numgrad.kernels import cpu as K
from numgrad.oplib._util import normalize_dim, normalize_dims
from numgrad.oplib import pointwise
from numgrad.oplib.pointwise import add, div, eq, exp, mul, pow, sub, where
import numgrad.oplib.indexing as _indexing  # sort's gather (indexing imports this module through _util)
from numgrad.oplib.shape import EXPAND, flip, permute, reshape
from numgrad.ops.registry import primitive

__all__ = ["sum", "mean", "var", "std", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
           "any", "all", "logsumexp", "softmax", "log_softmax", "cumsum", "norm", "cumprod", "sort", "topk"]
# functions that are also Tensor methods
METHODS = ("sum", "mean", "var", "std", "prod", "amax", "amin", "max", "min", "argmax", "argmin",
           "any", "all", "logsumexp", "softmax", "log_softmax", "cumsum", "norm", "cumprod", "sort",
           "topk")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()

_max_result = namedtuple("max", ["values", "indices"])
_min_result = namedtuple("min", ["values", "indices"])


def rows_view(x: np.ndarray, dims: tuple) -> tuple[np.ndarray, tuple]:
    """`x` as a C-contiguous (outer, inner) array whose rows hold the reduced
    `dims`, and the output shape without them."""
    keep = [d for d in range(x.ndim) if d not in dims]
    out_shape = tuple(x.shape[d] for d in keep)
    if dims != tuple(range(x.ndim - len(dims), x.ndim)):
        x = x.transpose(keep + list(dims))
    inner = math.prod([x.shape[i] for i in range(len(keep), x.ndim)])
    outer = math.prod(out_shape)
    return np.ascontiguousarray(x).reshape(outer, inner), out_shape


def reduction_dims(dim, ndim: int) -> tuple[int, ...]:
    """normalize_dims for reductions, where an empty list of dims means every dim (PyTorch)."""
    if dim is not None and not isinstance(dim, int) and len(dim) == 0:
        dim = None
    return normalize_dims(dim, ndim)


def keepdim_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if d in dims else n for d, n in enumerate(shape))


def expand_reduced(ctx, g: Tensor) -> Tensor:
    """Broadcast a cotangent of a reduction back over the reduced dims
    (keeping leading batch dims)."""
    gshape = g._data.shape
    b = len(gshape) - len(ctx.out_shape)
    in_shape = ctx.in_shapes[0]
    params = ctx.params
    dims = params["dims"]
    # numpy broadcasting re-inserts leading reduced dims by itself (unbatched case)
    if not params["keepdim"] and (b or dims != tuple(range(len(dims)))):
        g = reshape(g, gshape[:b] + keepdim_shape(in_shape, dims))
    shape = gshape[:b] + in_shape
    if g._data.shape == shape:
        return g
    # the expand op itself: the shapes broadcast by construction
    return mark_view(apply(EXPAND, (g,), {"shape": shape}), g)


def _kd(ctx, y: Tensor) -> Tensor:
    """The op's output `y` with its reduced dims kept (size 1), to broadcast against the input."""
    if ctx.params["keepdim"]:
        return y
    return reshape(y, keepdim_shape(ctx.in_shapes[0], ctx.params["dims"]))


def _tangent_dims(ctx, t):
    """Reduction dims shifted past a tangent's leading batch dims."""
    b = t._data.ndim - len(ctx.in_shapes[0])
    return tuple(d + b for d in ctx.params["dims"])


def _linear_rules(weight):
    """vjp and jvp of a reduction of input 0 whose elementwise derivative is
    `weight(ctx, dtype)` (a tensor of the input's shape, written with numgrad ops)."""

    def vjp(ctx, g):
        gx = mul(expand_reduced(ctx, g), weight(ctx, g.dtype))
        n = len(ctx.in_shapes)
        return gx if n == 1 else (gx,) + (None,) * (n - 1)

    def jvp(ctx, t, *rest):
        if t is None:
            return None
        return sum(mul(t, weight(ctx, t.dtype)), _tangent_dims(ctx, t), ctx.params["keepdim"])
    return vjp, jvp


def _reduce(x: np.ndarray, dims, keepdim, kernel, *args) -> np.ndarray:
    if len(dims) == x.ndim and x.flags.c_contiguous:  # a full reduction: one row
        out = np.empty((1,) * x.ndim if keepdim else (), dtype=x.dtype)
        kernel(x.reshape(1, -1), *args, out.reshape(1))
        return out
    x2, out_shape = rows_view(x, dims)
    # allocate in the final shape (the kernel fills a flat view): results own their memory
    out = np.empty(keepdim_shape(x.shape, dims) if keepdim else out_shape, dtype=x.dtype)
    kernel(x2, *args, out.reshape(-1))
    return out


def _numel(shape, dims) -> int:
    return math.prod([shape[d] for d in dims])


# ---------------------------------------------------------------- sum, mean


def _sum_cpu(op, x, dims, keepdim):
    if not dims:
        return x.copy()
    if x.dtype.kind != "f":
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    if len(dims) == x.ndim and x.flags.c_contiguous:
        out = np.empty((1,) * x.ndim if keepdim else (), dtype=x.dtype)
        K.sum_all(x, out.reshape(()) if keepdim else out)
        return out
    if x.size <= _SMALL_SUM:  # numpy's call costs less; its loops lose on larger arrays
        return np.add.reduce(x, axis=dims, keepdims=keepdim)
    first, last = dims[0], dims[-1] + 1
    if last - first == len(dims) and last < x.ndim:
        # a block of dims followed by kept ones: sum down the middle of (outer, n, inner)
        shape = x.shape
        inner = math.prod(shape[last:])
        outer = math.prod(shape[:first])
        out = np.empty(keepdim_shape(shape, dims) if keepdim else shape[:first] + shape[last:],
                       dtype=x.dtype)
        K.sum_middle(np.ascontiguousarray(x).reshape(outer, -1, inner), out.reshape(outer, inner))
        return out
    return _reduce(x, dims, keepdim, K.sum_rows)


_SMALL_SUM = 1024


SUM = primitive("sum", _sum_cpu, vjp=lambda ctx, g: expand_reduced(ctx, g),
                jvp=lambda ctx, t: apply(SUM, (t,), {"dims": _tangent_dims(ctx, t),
                                                     "keepdim": ctx.params["keepdim"]}))


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over `dim` (all dims if None)."""
    if dtype is not None:
        input = input.type(dtype)
    dims = reduction_dims(dim, input.ndim)
    return apply(SUM, (input,), {"dims": dims, "keepdim": keepdim})


def _mean_cpu(op, x, dims, keepdim):
    n = _numel(x.shape, dims)
    s = _sum_cpu(op, x, dims, keepdim)
    with np.errstate(invalid="ignore"):  # the mean of nothing is nan, as in PyTorch
        return (s / x.dtype.type(n)).astype(x.dtype)


def _mean_vjp(ctx, g):
    n = _numel(ctx.in_shapes[0], ctx.params["dims"])
    return div(expand_reduced(ctx, g), float(builtins.max(n, 1)))


MEAN = primitive("mean", _mean_cpu, _mean_vjp,
                 jvp=lambda ctx, t: mean(t, _tangent_dims(ctx, t), ctx.params["keepdim"]))


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over `dim` (all dims if None)."""
    if dtype is not None:
        input = input.type(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            f"complex dtype. Got: {_dtype.torch_name(input.dtype)}")
    dims = reduction_dims(dim, input.ndim)
    return apply(MEAN, (input,), {"dims": dims, "keepdim": keepdim})


# ---------------------------------------------------------------- var, std


def _var_cpu(op, x, dims, keepdim, correction):
    if not _numel(x.shape, dims):  # the variance of nothing is nan, as in PyTorch
        return np.full(keepdim_shape(x.shape, dims) if keepdim else
                       tuple(n for d, n in enumerate(x.shape) if d not in dims), np.nan, x.dtype)
    return _reduce(x, dims, keepdim, K.var_rows, correction)


def _std_cpu(op, x, dims, keepdim, correction):
    return np.sqrt(_var_cpu(op, x, dims, keepdim, correction))


def _centered(ctx):
    """(x - mean(x)) over the reduced dims, and the divisor N - correction."""
    x = ctx.saved[0]
    dims = ctx.params["dims"]
    dof = _numel(ctx.in_shapes[0], dims) - ctx.params["correction"]
    return sub(x, mean(x, dims, keepdim=True)), builtins.max(dof, 0)


def _var_weight(ctx, dtype):
    c, dof = _centered(ctx)
    return mul(c, 2.0 / dof if dof else math.inf)


def _std_weight(ctx, dtype):
    c, dof = _centered(ctx)
    s = _kd(ctx, ctx.output)
    # where the std is 0 the input is constant there: PyTorch's gradient is 0, not 0 / 0
    zero = eq(s, 0.0)
    return where(zero, 0.0, div(c, mul(where(zero, 1.0, s), float(dof))))


VAR = primitive("var", _var_cpu, *_linear_rules(_var_weight), save=(0,))
STD = primitive("std", _std_cpu, *_linear_rules(_std_weight), save=(0,), save_output=True)


def _var_args(name, input, dim, unbiased, keepdim, correction):
    if isinstance(dim, bool):  # var(x, unbiased) legacy overload
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError(f"{name}: Cannot pass both correction and unbiased arguments")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input.dtype.kind != "f":
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return {"dims": reduction_dims(dim, input.ndim), "keepdim": keepdim,
            "correction": int(correction) if float(correction).is_integer() else float(correction)}


def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Variance over `dim` with Bessel's correction by default (`correction=1`)."""
    return apply(VAR, (input,), _var_args("var", input, dim, unbiased, keepdim, correction))


def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction=None) -> Tensor:
    """Standard deviation over `dim` (unbiased by default, `correction=1`)."""
    return apply(STD, (input,), _var_args("std", input, dim, unbiased, keepdim, correction))


# ---------------------------------------------------------------- prod


def _prod_cpu(op, x, dims, keepdim):
    if x.dtype.kind != "f":
        return np.prod(x, axis=dims, keepdims=keepdim, dtype=np.int64)
    return _reduce(x, dims, keepdim, K.prod_rows)


def _prod_weight(ctx, dtype):
    """d prod / d x_i = product of the other elements; out / x_i when x has no zeros."""
    x = ctx.saved[0]
    if not (x._data == 0).any():
        return div(_kd(ctx, ctx.output), x)
    # with zeros: prod over rows of an (n, n) matrix whose diagonal is replaced by ones
    dims = ctx.params["dims"]
    shape = ctx.in_shapes[0]
    keep = [d for d in range(len(shape)) if d not in dims]
    perm = tuple(keep) + dims
    lead = tuple(shape[d] for d in keep)
    n = _numel(shape, dims)
    xr = reshape(permute(x, perm), lead + (1, n))
    eye = Tensor._make(np.eye(n, dtype=bool))
    others = prod(where(eye, 1.0, xr), -1)
    return permute(reshape(others, tuple(shape[d] for d in perm)), tuple(np.argsort(perm)))


PROD = primitive("prod", _prod_cpu, *_linear_rules(_prod_weight), save=(0,), save_output=True)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product over `dim` (all elements if None); exact gradients with zeros."""
    if dtype is not None:
        input = input.type(dtype)
    dims = normalize_dims(dim, input.ndim)
    return apply(PROD, (input,), {"dims": dims, "keepdim": keepdim})


# ---------------------------------------------------------------- amax, amin, max, min


def _check_nonempty(name, x, dims, dim):
    """A max/min has no identity: reducing nothing is an error (`dim` as given)."""
    if x.numel() and builtins.all(x.shape[d] for d in dims):
        return
    if dim is None or not isinstance(dim, int) and len(dim) == 0:
        raise RuntimeError(
            f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
            "the reduction dim with the 'dim' argument.")
    for d in dims:
        if x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _extreme_cpu(kind):
    def impl(op, x, dims, keepdim):
        x2, out_shape = rows_view(x, dims)
        idx = (np.argmax if kind == "max" else np.argmin)(x2, axis=1)
        out = x2[np.arange(x2.shape[0]), idx]
        return out.reshape(keepdim_shape(x.shape, dims) if keepdim else out_shape)
    return impl


def _ties_weight(ctx, dtype):
    """Gradient shared evenly among the elements equal to the extreme value (PyTorch)."""
    x = ctx.saved[0]._data
    out = ctx.output._data
    dims = ctx.params["dims"]
    if not ctx.params["keepdim"]:
        out = out.reshape(keepdim_shape(x.shape, dims))
    mask = (x == out).astype(dtype)
    count = np.maximum(mask.sum(axis=dims, keepdims=True), 1)
    return Tensor._make(mask / count)


def _extreme_op(name, kind, node_name=""):
    return primitive(name, _extreme_cpu(kind), *_linear_rules(_ties_weight), save=(0,),
                     save_output=True, node_name=node_name)


AMAX = _extreme_op("amax", "max")
AMIN = _extreme_op("amin", "min")
# max()/min() without dim: PyTorch's MaxBackward1 also spreads the gradient over ties
MAX = _extreme_op("max", "max", "MaxBackward1")
MIN = _extreme_op("min", "min", "MinBackward1")


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Maximum over `dim` (all dims if empty); the gradient is shared among ties."""
    dims = reduction_dims(dim, input.ndim)
    _check_nonempty("amax", input, dims, dim)
    return apply(AMAX, (input,), {"dims": dims, "keepdim": keepdim})


def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Minimum over `dim` (all dims if empty); the gradient is shared among ties."""
    dims = reduction_dims(dim, input.ndim)
    _check_nonempty("amin", input, dims, dim)
    return apply(AMIN, (input,), {"dims": dims, "keepdim": keepdim})


def _take_cpu(op, x, idx, dims, keepdim):
    if not dims:
        return x.copy()
    out = np.take_along_axis(x, idx, axis=dims[0])
    return out if keepdim else out.reshape(idx.shape[:dims[0]] + idx.shape[dims[0] + 1:])


def _onehot_weight(ctx, dtype):
    """1 at the selected index along the reduced dim, 0 elsewhere."""
    shape = ctx.in_shapes[0]
    if not shape:
        return Tensor._make(np.ones((), dtype=dtype))
    d = ctx.params["dims"][0]
    ar = np.arange(shape[d]).reshape((-1,) + (1,) * (len(shape) - d - 1))
    return Tensor._make((ar == ctx.saved[1]._data).astype(dtype))


# max(dim)/min(dim): inputs (x, indices); the gradient goes to the returned index
MAX_DIM = primitive("max_dim", _take_cpu, *_linear_rules(_onehot_weight), save=(1,),
                    node_name="MaxBackward0")
MIN_DIM = primitive("min_dim", _take_cpu, *_linear_rules(_onehot_weight), save=(1,),
                    node_name="MinBackward0")


def _extreme_dim(kind, input, dim, keepdim):
    dims = (normalize_dim(dim, input.ndim),) if input.ndim else ()
    _check_nonempty(kind, input, dims, dim)
    idx = _argext(kind, input._data, dims, True)
    values = apply(MAX_DIM if kind == "max" else MIN_DIM, (input, Tensor._make(idx)),
                   {"dims": dims, "keepdim": keepdim})
    if not keepdim:
        idx = idx.reshape(values.shape)
    result = _max_result if kind == "max" else _min_result
    return result(values, Tensor._make(idx))


def _extreme(kind, input, dim, keepdim, op):
    if isinstance(dim, Tensor):
        return getattr(pointwise, "maximum" if kind == "max" else "minimum")(input, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{kind}() received an invalid combination of arguments: keepdim "
                            "requires dim")
        dims = tuple(range(input.ndim))
        _check_nonempty(kind, input, dims, None)
        return apply(op, (input,), {"dims": dims, "keepdim": False})
    return _extreme_dim(kind, input, dim, keepdim)


def max(input: Tensor, dim=None, keepdim: bool = False):
    """max(input) -> the largest value; max(input, dim, keepdim=False) ->
    (values, indices); max(input, other) -> elementwise maximum."""
    return _extreme("max", input, dim, keepdim, MAX)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """min(input) -> the smallest value; min(input, dim, keepdim=False) ->
    (values, indices); min(input, other) -> elementwise minimum."""
    return _extreme("min", input, dim, keepdim, MIN)


# ---------------------------------------------------------------- argmax, argmin (not differentiable)


def _argext(kind, x, dims, keepdim):
    x2, out_shape = rows_view(x, dims)
    # numpy's SIMD arg-reductions; like PyTorch: the first NaN wins, then the first of ties
    idx = (np.argmax if kind == "max" else np.argmin)(x2, axis=1).astype(np.int64, copy=False)
    return idx.reshape(keepdim_shape(x.shape, dims) if keepdim else out_shape)


def _arg_cpu(kind):
    def impl(op, x, dim, keepdim):
        if dim is None:
            idx = _argext(kind, x.reshape(-1), (0,), False)
            return idx.reshape((1,) * x.ndim) if keepdim else idx
        return _argext(kind, x, (dim,) if x.ndim else (), keepdim)
    return impl


ARGMAX = primitive("argmax", _arg_cpu("max"), differentiable=False)
ARGMIN = primitive("argmin", _arg_cpu("min"), differentiable=False)


def _arg(op, input, dim, keepdim):
    if dim is not None:
        dim = normalize_dim(dim, input.ndim)
    if input.numel() == 0:
        raise RuntimeError(f"{op.name}(): Expected reduction dim to be specified for "
                           "input.numel() == 0.")
    return apply(op, (input,), {"dim": dim, "keepdim": keepdim})


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the largest value (in the flattened input if `dim` is None); int64."""
    return _arg(ARGMAX, input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the smallest value (in the flattened input if `dim` is None); int64."""
    return _arg(ARGMIN, input, dim, keepdim)


# ---------------------------------------------------------------- any, all (not differentiable)


def _logical_cpu(np_fn):
    return lambda op, x, dims, keepdim: np.asarray(np_fn(x, axis=dims, keepdims=keepdim))


ANY = primitive("any", _logical_cpu(np.any), differentiable=False)
ALL = primitive("all", _logical_cpu(np.all), differentiable=False)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether any element over `dim` (every dim if None) is non-zero; bool."""
    return apply(ANY, (input,), {"dims": reduction_dims(dim, input.ndim), "keepdim": keepdim})


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """Whether every element over `dim` (every dim if None) is non-zero; bool."""
    return apply(ALL, (input,), {"dims": reduction_dims(dim, input.ndim), "keepdim": keepdim})


# ---------------------------------------------------------------- logsumexp


def _logsumexp_cpu(op, x, dims, keepdim):
    if _numel(x.shape, dims) == 0:
        shape = keepdim_shape(x.shape, dims) if keepdim else rows_view(x, dims)[1]
        return np.full(shape, -np.inf, dtype=x.dtype)
    return _reduce(x, dims, keepdim, K.logsumexp_rows)


def _logsumexp_weight(ctx, dtype):
    return exp(sub(ctx.saved[0], _kd(ctx, ctx.output)))


LOGSUMEXP = primitive("logsumexp", _logsumexp_cpu, *_linear_rules(_logsumexp_weight), save=(0,),
                      save_output=True)


def logsumexp(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over `dim`, computed stably in one fused pass."""
    if input.dtype.kind != "f":
        input = input.type(_dtype.get_default_dtype())
    dims = reduction_dims(dim, input.ndim)
    return apply(LOGSUMEXP, (input,), {"dims": dims, "keepdim": keepdim})


# ---------------------------------------------------------------- softmax, log_softmax, cumsum


def _along_dim(x: np.ndarray, dim: int, kernel, out_dtype=None) -> np.ndarray:
    """Apply a row kernel (rows -> rows of the same length) along axis `dim`."""
    if x.ndim == 0:
        return _along_dim(x.reshape(1), 0, kernel, out_dtype).reshape(())
    if x.size == 0:  # nothing to compute (and no rows to reshape into)
        return np.empty(x.shape, dtype=out_dtype or x.dtype)
    n = x.shape[dim]
    if dim == x.ndim - 1:  # rows already: no axis moves (np.moveaxis costs 3 us)
        x2 = np.ascontiguousarray(x).reshape(-1, n)
        return kernel(x2, np.empty(x2.shape, dtype=out_dtype or x.dtype)).reshape(x.shape)
    perm = [d for d in range(x.ndim) if d != dim] + [dim]
    xt = x.transpose(perm)
    x2 = np.ascontiguousarray(xt).reshape(-1, n)
    out = kernel(x2, np.empty(x2.shape, dtype=out_dtype or x.dtype)).reshape(xt.shape)
    back = list(range(x.ndim - 1))
    back.insert(dim, x.ndim - 1)
    return np.ascontiguousarray(out.transpose(back))


def _neg_dim(ctx) -> int:
    """The op's dim counted from the end (valid with leading batch dims)."""
    return ctx.params["dim"] - builtins.max(len(ctx.in_shapes[0]), 1)


def _softmax_rule(ctx, g):
    """y * (g - sum(g * y)) along dim; the same formula maps tangents."""
    if g is None:
        return None
    y = ctx.output
    gy = mul(g, y)
    return sub(gy, mul(y, sum(gy, _neg_dim(ctx) if y.ndim else None, keepdim=True)))


def _log_softmax_vjp(ctx, g):
    if not ctx.in_shapes[0]:
        return mul(g, 0.0)
    return sub(g, mul(exp(ctx.output), sum(g, _neg_dim(ctx), keepdim=True)))


def _log_softmax_jvp(ctx, t):
    if not ctx.in_shapes[0]:
        return mul(t, 0.0)
    return sub(t, sum(mul(exp(ctx.output), t), _neg_dim(ctx), keepdim=True))


SOFTMAX = primitive("softmax", lambda op, x, dim: _along_dim(x, dim, K.softmax_rows),
                    _softmax_rule, _softmax_rule, save_output=True)
LOG_SOFTMAX = primitive("log_softmax", lambda op, x, dim: _along_dim(x, dim, K.log_softmax_rows),
                        _log_softmax_vjp, _log_softmax_jvp, save_output=True)


def _softmax_args(name, input, dim, dtype):
    if dim is None:
        raise TypeError(f"{name}() missing 1 required positional argument: 'dim'")
    if dtype is not None:
        input = input.type(dtype)
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"{name}_lastdim_kernel_impl" not implemented for '
                           f"'{_dtype.torch_name(input.dtype)}'")
    return input, {"dim": normalize_dim(dim, input.ndim)}


def softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """exp(input) / sum(exp(input)) along `dim` (one fused, stable pass)."""
    input, params = _softmax_args("softmax", input, dim, dtype)
    return apply(SOFTMAX, (input,), params)


def log_softmax(input: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    """input - logsumexp(input) along `dim` (one fused, stable pass)."""
    input, params = _softmax_args("log_softmax", input, dim, dtype)
    return apply(LOG_SOFTMAX, (input,), params)


# ---------------------------------------------------------------- cross entropy of logits


def _cross_entropy_rows_cpu(op, x, p):
    # -sum_c p_c log_softmax(x)_c = sum(p) logsumexp(x) - sum_c p_c x_c, per row
    lse = np.empty(x.shape[0], dtype=x.dtype)
    K.logsumexp_rows(np.ascontiguousarray(x), lse)
    return (p.sum(1) * lse - np.einsum("ij,ij->i", p, x)).astype(x.dtype, copy=False)


def _cross_entropy_rows_weight(ctx, dtype):
    """d loss_i / d x_ij = softmax(x)_ij sum_c p_ic - p_ij."""
    x, p = ctx.saved
    return sub(mul(softmax(x, 1), sum(p, 1, keepdim=True)), p)


def _cross_entropy_rows_vjp(ctx, g):
    return mul(reshape(g, g.shape + (1,)), _cross_entropy_rows_weight(ctx, g.dtype)), None


def _cross_entropy_rows_jvp(ctx, t, tp):
    return None if t is None else sum(mul(t, _cross_entropy_rows_weight(ctx, t.dtype)), -1)


# nn.functional.cross_entropy's common case (logits (N, C), class-index targets) in one op
# instead of log_softmax, a product with the one-hot targets and a sum: 4x fewer ops
CROSS_ENTROPY_ROWS = primitive("cross_entropy_rows", _cross_entropy_rows_cpu,
                               _cross_entropy_rows_vjp, _cross_entropy_rows_jvp, save=(0, 1))


def cross_entropy_rows(input: Tensor, picked: Tensor) -> Tensor:
    """-sum_c picked[i, c] log_softmax(input)[i, c] for each row i of the (N, C) logits
    (`picked`: the one-hot targets times the class weights; it gets no gradient)."""
    return apply(CROSS_ENTROPY_ROWS, (input, picked))


def _cumsum_cpu(op, x, dim):
    if x.dtype.kind != "f":
        return np.cumsum(x, axis=dim if x.ndim else None, dtype=np.int64).reshape(x.shape)
    return _along_dim(x, dim, K.cumsum_rows)


def _cumsum_vjp(ctx, g):
    """Reversed cumulative sum: sum(g) - cumsum(g) + g."""
    if not ctx.in_shapes[0]:
        return g
    d = _neg_dim(ctx)
    return add(sub(sum(g, d, keepdim=True), cumsum(g, d)), g)


CUMSUM = primitive("cumsum", _cumsum_cpu, _cumsum_vjp,
                   jvp=lambda ctx, t: cumsum(t, _neg_dim(ctx)) if ctx.in_shapes[0] else t)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative sum along `dim`."""
    if dtype is not None:
        input = input.type(dtype)
    return apply(CUMSUM, (input,), {"dim": normalize_dim(dim, input.ndim)})


# ---------------------------------------------------------------- cumprod


def _cumprod_cpu(op, x, dim):
    if x.dtype.kind != "f":
        return np.cumprod(x, axis=dim if x.ndim else None, dtype=np.int64).reshape(x.shape)
    return np.cumprod(x, axis=dim) if x.ndim else x.copy()


def _reverse_cumsum(v: Tensor, dim: int) -> Tensor:
    """Sums from each position to the end along `dim` (summed from the end: no cancellation)."""
    return flip(cumsum(flip(v, dim), dim), dim)


def _zero_ranks(ctx, every: bool):
    """For the r-th zero along the dim of each row (r = 1, 2... up to the most zeros in a
    row; only r = 1 unless `every`): `at` (where that zero is), `after` (from it on) and
    `c`, the cumprod of the input with that zero replaced by one."""
    x = ctx.saved[0]
    axis = ctx.params["dim"]
    zero = x._data == 0
    rank = np.cumsum(zero, axis=axis)
    for r in range(1, (int(rank.max()) if every else 1) + 1):
        at = Tensor._make(zero & (rank == r))
        yield at, Tensor._make(rank >= r), cumprod(where(at, 1.0, x), axis)


def _cumprod_vjp(ctx, g):
    # where x_k != 0: d out_j / d x_k = out_j / x_k (j >= k), an identity near x, so its
    # derivatives are right too. At a zero: the products that leave it out, one cumprod per
    # zero rank. Ranks after the first add 0 and matter only when this gradient is
    # differentiated again (create_graph or forward-over-reverse), as in PyTorch.
    if not ctx.in_shapes[0]:
        return g
    x, out, d = ctx.saved[0], ctx.output, _neg_dim(ctx)
    zero = x._data == 0
    if not zero.any():
        return div(_reverse_cumsum(mul(g, out), d), x)
    z = Tensor._make(zero)
    gx = where(z, 0.0, div(_reverse_cumsum(mul(g, out), d), where(z, 1.0, x)))
    every = _grad_enabled() or g._fw is not None or x._fw is not None
    for at, after, c in _zero_ranks(ctx, every):
        gx = add(gx, where(at, sum(where(after, mul(g, c), 0.0), d, keepdim=True), 0.0))
    return gx


def _cumprod_jvp(ctx, t):
    if not ctx.in_shapes[0]:
        return t
    x, out, d = ctx.saved[0], ctx.output, _neg_dim(ctx)
    zero = x._data == 0
    if not zero.any():
        return mul(out, cumsum(div(t, x), d))
    z = Tensor._make(zero)
    tout = mul(out, cumsum(where(z, 0.0, div(t, where(z, 1.0, x))), d))
    for at, after, c in _zero_ranks(ctx, True):
        tout = add(tout, where(after, mul(sum(where(at, t, 0.0), d, keepdim=True), c), 0.0))
    return tout


CUMPROD = primitive("cumprod", _cumprod_cpu, _cumprod_vjp, _cumprod_jvp, save=(0,), save_output=True)


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along `dim` (exact gradients with zeros in the input)."""
    if dtype is not None:
        input = input.type(dtype)
    return apply(CUMPROD, (input,), {"dim": normalize_dim(dim, input.ndim)})


# ---------------------------------------------------------------- sort, topk


_sort_result = namedtuple("sort", ["values", "indices"])
_topk_result = namedtuple("topk", ["values", "indices"])


def _argsort(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """A stable sort order along `axis`, NaN counting as the largest value (PyTorch)."""
    if not descending:
        order = np.argsort(x, axis=axis, kind="stable")  # numpy puts NaN last
    elif x.dtype.kind == "f":
        order = np.lexsort((-x, ~np.isnan(x)), axis=axis)  # NaN first, then -x ascending
    else:
        order = np.argsort(~x, axis=axis, kind="stable")  # ~x reverses bool and integer order
    return order.astype(np.int64, copy=False)


def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """(values, indices) of `input` sorted along `dim` (stable: ties keep their order)."""
    d = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return _sort_result(input.clone(), Tensor._make(np.zeros((), np.int64)))
    idx = Tensor._make(_argsort(input._data, d, descending))
    return _sort_result(_indexing.gather(input, d, idx), idx)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the `k` largest (smallest) elements along `dim`, in order."""
    if input.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = normalize_dim(dim, input.ndim)
    if not 0 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return _topk_result(input.clone(), Tensor._make(np.zeros((), np.int64)))
    order = _argsort(input._data, d, largest)
    idx = Tensor._make(np.ascontiguousarray(order[(slice(None),) * d + (slice(0, k),)]))
    return _topk_result(_indexing.gather(input, d, idx), idx)


# ---------------------------------------------------------------- vector norms


def _vector_norm_cpu(op, x, dims, keepdim, ord):
    return _reduce(x, dims, keepdim, K.norm_rows, float(ord))


def _vector_norm_weight(ctx, dtype):
    x = ctx.saved[0]
    p = ctx.params["ord"]
    if p == 0:
        return Tensor._make(np.zeros(x.shape, dtype=dtype))
    sign = np.sign(x._data)
    if p == 1:
        return Tensor._make(sign)
    out = _kd(ctx, ctx.output)
    if math.isinf(p):
        mask = (np.abs(x._data) == out._data).astype(dtype)
        return Tensor._make(sign * mask / np.maximum(mask.sum(axis=ctx.params["dims"], keepdims=True), 1))
    safe = where(eq(out, 0), 1.0, out)  # a zero norm has zero gradient (PyTorch)
    if p == 2:
        return div(x, safe)
    absx = mul(x, Tensor._make(sign))
    if p < 1:  # |x|**(p-1) is inf at x = 0, where the sign makes the gradient 0 (PyTorch)
        absx = where(eq(absx, 0), 1.0, absx)
    return div(mul(Tensor._make(sign), pow(absx, p - 1.0)), pow(safe, p - 1.0))


VECTOR_NORM = primitive("linalg_vector_norm", _vector_norm_cpu, *_linear_rules(_vector_norm_weight),
                        save=(0,), save_output=True)


def vector_norm(x: Tensor, ord: float = 2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """The vector `ord`-norm over `dim` (all elements if None): sum(|x|**ord)**(1/ord);
    ord=inf / -inf give max / min |x|, ord=0 counts non-zeros."""
    if dtype is not None:
        x = x.type(dtype)
    if x.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {_dtype.torch_name(x.dtype)}")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    dims = reduction_dims(dim, x.ndim)
    if ord < 0 and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor "
                           "because the operation does not have an identity")
    return apply(VECTOR_NORM, (x,), {"dims": dims, "keepdim": keepdim, "ord": float(ord)})


def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The `p`-norm of `input` over `dim` (all elements if None); p='fro' is the 2-norm."""
    if p == "fro":
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm: p={p!r} is not supported (use 'fro' or a number)")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
