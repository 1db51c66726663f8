"""Reductions: sum, mean (more in later blocks). dim/keepdim as in PyTorch."""
from __future__ import annotations

import builtins

import numpy as np

from numgrad._tensor import Tensor, apply
from numgrad.kernels import cpu as K
from numgrad.oplib._util import batch_ndim, normalize_dims
from numgrad.ops.registry import primitive

__all__ = ["sum", "mean"]
# functions that are also Tensor methods
METHODS = ("sum", "mean")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()


def rows_view(x: np.ndarray, dims: tuple) -> tuple[np.ndarray, tuple]:
    """`x` as a C-contiguous (outer, inner) array whose rows hold the reduced
    `dims`, and the output shape without them."""
    keep = [d for d in range(x.ndim) if d not in dims]
    out_shape = tuple(x.shape[d] for d in keep)
    if dims != tuple(range(x.ndim - len(dims), x.ndim)):
        x = x.transpose(keep + list(dims))
    inner = int(np.prod([x.shape[i] for i in range(len(keep), x.ndim)], dtype=np.int64))
    x2 = np.ascontiguousarray(x).reshape(-1, inner) if x.size else x.reshape(-1, inner)
    return x2, out_shape


def keepdim_shape(shape: tuple, dims: tuple) -> tuple:
    return tuple(1 if d in dims else n for d, n in enumerate(shape))


def expand_reduced(ctx, g: Tensor) -> Tensor:
    """Broadcast a cotangent of a reduction back over the reduced dims
    (keeping leading batch dims)."""
    from numgrad.oplib.shape import expand, reshape
    b = batch_ndim(ctx, g)
    in_shape = ctx.in_shapes[0]
    if not ctx.params["keepdim"]:
        g = reshape(g, g.shape[:b] + keepdim_shape(in_shape, ctx.params["dims"]))
    return expand(g, g.shape[:b] + in_shape)


def _sum_cpu(op, x, dims, keepdim):
    if not dims:
        return x.copy()
    if x.dtype.kind != "f":
        return np.sum(x, axis=dims, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "biu" else None)
    x2, out_shape = rows_view(x, dims)
    out = K.sum_rows(x2, np.empty(x2.shape[0], dtype=x.dtype))
    return out.reshape(keepdim_shape(x.shape, dims) if keepdim else out_shape)


SUM = primitive("sum", _sum_cpu, vjp=lambda ctx, g: expand_reduced(ctx, g),
                jvp=lambda ctx, t: sum(t, _tangent_dims(ctx, t), ctx.params["keepdim"]))


def _tangent_dims(ctx, t):
    """Reduction dims shifted past a tangent's leading batch dims."""
    b = t.ndim - len(ctx.in_shapes[0])
    return tuple(d + b for d in ctx.params["dims"])


def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over `dim` (all dims if None)."""
    if dtype is not None:
        input = input.type(dtype)
    dims = normalize_dims(dim, input.ndim)
    return apply(SUM, (input,), {"dims": dims, "keepdim": keepdim})


def _mean_cpu(op, x, dims, keepdim):
    n = builtins.max(1, int(np.prod([x.shape[d] for d in dims], dtype=np.int64)))
    s = _sum_cpu(op, x, dims, keepdim)
    return (s / x.dtype.type(n)).astype(x.dtype) if n else s


def _mean_vjp(ctx, g):
    from numgrad.oplib.pointwise import div
    n = int(np.prod([ctx.in_shapes[0][d] for d in ctx.params["dims"]], dtype=np.int64))
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
            f"complex dtype. Got: {_torch_name(input.dtype)}")
    dims = normalize_dims(dim, input.ndim)
    return apply(MEAN, (input,), {"dims": dims, "keepdim": keepdim})


def _torch_name(dt) -> str:
    return {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(str(dt), str(dt))
