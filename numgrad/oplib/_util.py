"""Helpers shared by op definitions: argument handling and rank-polymorphic
cotangent reshaping (cotangents may carry leading batch dimensions)."""
from __future__ import annotations

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, apply, as_tensor, mark_view, to_tensor_like


def batch_ndim(ctx, g: Tensor) -> int:
    """Leading batch dims of cotangent `g` beyond the op's output shape."""
    return g._data.ndim - len(ctx.out_shape)


def unbroadcast(ctx, g: Tensor, i: int) -> Tensor:
    """Sum cotangent-shaped `g` (batch + output shape) down to input `i`'s shape,
    keeping the leading batch dims."""
    shape = ctx.in_shapes[i]
    gshape = g._data.shape
    if gshape == shape:  # unbatched, not broadcast (an input never has more dims than the output)
        return g
    b = len(gshape) - len(ctx.out_shape)
    if gshape[b:] == shape:
        return g
    return sum_to(g, shape, b)


def sum_to(g: Tensor, shape: tuple, b: int = 0) -> Tensor:
    """Sum `g` (with `b` leading batch dims) to `shape` after its batch dims."""
    gshape = g._data.shape
    key = (gshape, shape, b)
    plan = _SUM_TO_PLANS.get(key)
    if plan is None:
        tail = gshape[b:]
        lead = len(tail) - len(shape)
        dims = list(range(b, b + lead))
        for k, n in enumerate(shape):
            if n == 1 and tail[lead + k] != 1:
                dims.append(b + lead + k)
        plan = ({"dims": tuple(dims), "keepdim": True} if dims else None,
                {"shape": gshape[:b] + tuple(shape)})
        if len(_SUM_TO_PLANS) < 4096:
            _SUM_TO_PLANS[key] = plan
    # the ops themselves, not their public functions: dims and shapes are known valid
    sum_params, reshape_params = plan
    if sum_params is not None:
        g = apply(_reduction.SUM, (g,), sum_params)
    if g._data.shape != reshape_params["shape"]:
        g = mark_view(apply(_shape.RESHAPE, (g,), reshape_params), g)
    return g


# (g's shape, target shape, batch dims) -> the params of its sum and reshape
_SUM_TO_PLANS: dict = {}


def normalize_dim(dim: int, ndim: int) -> int:
    """`dim` as a non-negative axis of a tensor with `ndim` dims (PyTorch's error wording)."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def normalize_dims(dim, ndim: int) -> tuple[int, ...]:
    """Reduction dims as sorted non-negative axes; None means all."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int):
        dim = (dim,)
    if not ndim:
        return ()
    dims = [normalize_dim(d, ndim) for d in dim]
    if len(set(dims)) != len(dims):
        twice = next(d for d in dims if dims.count(d) > 1)
        raise RuntimeError(f"dim {twice} appears multiple times in the list of dims")
    return tuple(sorted(dims))


def binary_args(a, b) -> tuple[Tensor, Tensor]:
    """Wrap scalars, promote dtypes and check broadcasting for a binary op."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}")
        a = to_tensor_like(a, b)
    elif not isinstance(b, Tensor):
        b = to_tensor_like(b, a)
    if a._data.dtype != b._data.dtype:
        dt = _promote(a, b)
        if a._data.dtype != dt:
            a = to_dtype_tensor(a, dt)
        if b._data.dtype != dt:
            b = to_dtype_tensor(b, dt)
    sa, sb = a._data.shape, b._data.shape
    if sa != sb and sa and sb:  # a 0-d operand broadcasts against anything
        check_broadcast(sa, sb)
    return a, b


def _promote(a: Tensor, b: Tensor) -> np.dtype:
    da, db = a._data.dtype, b._data.dtype
    # 0-dim tensors of the same category do not upcast dimensioned ones (PyTorch rule)
    ka, kb = _category(da), _category(db)
    if ka == kb:
        if a._data.ndim == 0 and b._data.ndim > 0:
            return db
        if b._data.ndim == 0 and a._data.ndim > 0:
            return da
    # a 0-dim tensor of a higher category decides (Python scalars arrive as 0-dim tensors
    # of the default dtype, see to_tensor_like)
    elif ka > kb and a._data.ndim == 0 and b._data.ndim > 0:
        return da
    elif kb > ka and b._data.ndim == 0 and a._data.ndim > 0:
        return db
    return _dtype.promote(da, db)


def _category(d: np.dtype) -> int:
    return {"b": 0, "i": 1, "u": 1, "f": 2}[d.kind]


def to_dtype_tensor(t: Tensor, dt) -> Tensor:
    return _pointwise.to_dtype(t, dt)


def check_broadcast(sa: tuple, sb: tuple) -> tuple:
    """The broadcast shape of sa and sb, or PyTorch's size-mismatch error."""
    key = (sa, sb)
    shape = _broadcast_shapes.get(key)
    if shape is None:
        shape = _broadcast_shape(sa, sb)
        if len(_broadcast_shapes) < 4096:  # shapes repeat: each pair is worked out once
            _broadcast_shapes[key] = shape
    return shape


_broadcast_shapes: dict = {}


def _broadcast_shape(sa: tuple, sb: tuple) -> tuple:
    n = max(len(sa), len(sb))
    pa = (1,) * (n - len(sa)) + tuple(sa)
    pb = (1,) * (n - len(sb)) + tuple(sb)
    out = []
    for i, (x, y) in enumerate(zip(pa, pb)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {i}")
        out.append(max(x, y) if x != 0 and y != 0 else 0)
    return tuple(out)


def as_tensor_arg(x, like: Tensor | None = None) -> Tensor:
    """A Tensor for `x` (scalars take `like`'s dtype)."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return to_tensor_like(x, like)
    return as_tensor(x)


# The op modules import this one; bound after its definitions, used at call time.
import numgrad.oplib.pointwise as _pointwise  # noqa: E402
import numgrad.oplib.reduction as _reduction  # noqa: E402
import numgrad.oplib.shape as _shape  # noqa: E402
