"""Shape ops: reshape, expand, permute, transpose, clone (views share memory and version)."""
from __future__ import annotations

import numpy as np

from numgrad._tensor import Tensor, apply, mark_view
from numgrad.oplib._util import batch_ndim, normalize_dim, unbroadcast
from numgrad.ops.registry import primitive

__all__ = ["reshape", "view", "expand", "broadcast_to", "permute", "transpose", "t", "clone"]
# functions that are also Tensor methods
METHODS = ("reshape", "view", "expand", "broadcast_to", "permute", "transpose", "t")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()


def _reshape_cpu(op, x, shape):
    return x.reshape(shape)


RESHAPE = primitive(
    "reshape", _reshape_cpu, node_name="ViewBackward0",
    vjp=lambda ctx, g: reshape(g, g.shape[:batch_ndim(ctx, g)] + ctx.in_shapes[0]),
    jvp=lambda ctx, t: reshape(t, t.shape[:t.ndim - len(ctx.in_shapes[0])] + ctx.out_shape))


def _infer_shape(numel: int, shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = int(np.prod([s for s in shape if s != -1], dtype=np.int64))
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input: Tensor, *shape) -> Tensor:
    """`input` with a new shape (a view when possible); one dim may be -1."""
    shape = _infer_shape(input._data.size, shape)
    if shape == input._data.shape:
        return input if not input._requires_grad else mark_view(apply(RESHAPE, (input,), {"shape": shape}), input)
    return mark_view(apply(RESHAPE, (input,), {"shape": shape}), input)


def view(input: Tensor, *shape) -> Tensor:
    """Like reshape; PyTorch's view (numgrad copies when a view is impossible)."""
    return reshape(input, *shape)


def _expand_cpu(op, x, shape):
    return np.broadcast_to(x, shape)


EXPAND = primitive("expand", _expand_cpu, lambda ctx, g: unbroadcast(ctx, g, 0),
                   jvp=lambda ctx, t: expand(t, t.shape[:t.ndim - len(ctx.in_shapes[0])] + ctx.out_shape))


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view of `input` with shape `sizes` (-1 keeps a dim)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    n = len(sizes)
    if n < input.ndim:
        raise RuntimeError(
            f"expand(torch.FloatTensor{{{list(input.shape)}}}, size={list(sizes)}): the number of "
            f"sizes provided ({n}) must be greater or equal to the number of dimensions in the "
            f"tensor ({input.ndim})")
    pad = (1,) * (n - input.ndim) + input.shape
    shape = []
    for i, (s, have) in enumerate(zip(sizes, pad)):
        s = int(s)
        if s == -1:
            s = have
        elif have != 1 and have != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(input.shape)}")
        shape.append(s)
    shape = tuple(shape)
    if shape == input.shape:
        return input
    return mark_view(apply(EXPAND, (input,), {"shape": shape}), input)


def broadcast_to(input: Tensor, shape) -> Tensor:
    """`input` expanded to `shape`."""
    return expand(input, tuple(shape))


def _permute_cpu(op, x, dims):
    return x.transpose(dims)


def _full_perm(ctx, t, dims):
    """`dims` (a permutation of the primal's axes) extended over leading batch axes."""
    b = t.ndim - len(dims)
    return tuple(range(b)) + tuple(b + d for d in dims)


PERMUTE = primitive(
    "permute", _permute_cpu,
    vjp=lambda ctx, g: permute(g, _full_perm(ctx, g, tuple(np.argsort(ctx.params["dims"])))),
    jvp=lambda ctx, t: permute(t, _full_perm(ctx, t, ctx.params["dims"])))


def permute(input: Tensor, *dims) -> Tensor:
    """A view of `input` with its dims reordered."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if len(dims) != input.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not "
            f"equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    if dims == tuple(range(input.ndim)):
        return input
    return mark_view(apply(PERMUTE, (input,), {"dims": dims}), input)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view of `input` with dims `dim0` and `dim1` swapped."""
    n = input.ndim
    if n == 0:
        return input
    d0, d1 = normalize_dim(dim0, n), normalize_dim(dim1, n)
    perm = list(range(n))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return permute(input, tuple(perm))


def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def _clone_cpu(op, x):
    return x.copy()


CLONE = primitive("clone", _clone_cpu, lambda ctx, g: g, jvp=lambda ctx, t: t)


def clone(input: Tensor) -> Tensor:
    """A copy of `input` (differentiable)."""
    return apply(CLONE, (input,))
