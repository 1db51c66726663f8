"""Shape ops: reshape, expand, permute, slicing views (narrow, select, split, ...), cat,
flip, clone. View ops share memory and the version counter with their input."""
from __future__ import annotations

import builtins

import math

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, apply, mark_view
from numgrad.oplib._util import batch_ndim, normalize_dim, normalize_dims, unbroadcast
from numgrad.ops.registry import primitive

__all__ = ["reshape", "view", "expand", "broadcast_to", "permute", "transpose", "t", "clone",
           "flatten", "squeeze", "unsqueeze", "movedim", "repeat", "narrow", "select", "split",
           "chunk", "unbind", "cat", "concat", "concatenate", "stack", "flip", "tile", "swapaxes",
           "swapdims", "roll"]
# functions that are also Tensor methods
METHODS = ("reshape", "view", "expand", "broadcast_to", "permute", "transpose", "t", "flatten",
           "squeeze", "unsqueeze", "movedim", "repeat", "narrow", "select", "split", "chunk",
           "unbind", "flip", "tile", "swapaxes", "swapdims", "view_as", "reshape_as", "expand_as", "roll")
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
    known = math.prod([s for s in shape if s != -1])
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def reshape(input: Tensor, *shape) -> Tensor:
    """`input` with a new shape (a view when possible); one dim may be -1."""
    if len(shape) == 1 and shape[0] == input._data.shape and not input._requires_grad:
        return input  # the common no-op inside derivative rules
    shape = _infer_shape(input._data.size, shape)
    if shape == input._data.shape:
        return input if not input._requires_grad else mark_view(apply(RESHAPE, (input,), {"shape": shape}), input)
    return mark_view(apply(RESHAPE, (input,), {"shape": shape}), input)


def view(input: Tensor, *shape) -> Tensor:
    """`input` with another shape, sharing its memory (PyTorch's error where the
    strides do not allow it: use reshape)."""
    out = reshape(input, *shape)
    if out is not input and out._base is None and out._data.size > 1:  # reshape had to copy
        raise RuntimeError(
                "view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return out


def _expand_cpu(op, x, shape):
    # np.broadcast_to costs about 2 us; building the strided view directly, 0.6 us
    pad = len(shape) - x.ndim
    strides = [0] * pad
    for n, s, st in zip(x.shape, shape[pad:], x.strides):
        strides.append(st if n == s else 0)
    try:
        out = np.ndarray(shape, x.dtype, x, 0, strides)
    except (TypeError, ValueError, BufferError):  # x's memory is not one contiguous buffer
        return np.broadcast_to(x, shape)
    out.flags.writeable = False  # as np.broadcast_to: writes would alias
    return out


def _expand_jvp(ctx, t):
    in_shape = ctx.in_shapes[0]
    lead = t.shape[:t.ndim - len(in_shape)]
    t = reshape(t, lead + (1,) * (len(ctx.out_shape) - len(in_shape)) + in_shape)
    return expand(t, lead + ctx.out_shape)


EXPAND = primitive("expand", _expand_cpu, lambda ctx, g: unbroadcast(ctx, g, 0), jvp=_expand_jvp)


def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view of `input` with shape `sizes` (-1 keeps a dim)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    if sizes == input._data.shape:
        return input
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
    b = t._data.ndim - len(dims)
    return dims if not b else tuple(range(b)) + tuple(b + d for d in dims)


def _inverse_perm(dims: tuple) -> tuple:
    inv = _INVERSE_PERMS.get(dims)
    if inv is None:
        inv = [0] * len(dims)
        for i, d in enumerate(dims):
            inv[d] = i
        inv = _INVERSE_PERMS[dims] = tuple(inv)
    return inv


_INVERSE_PERMS: dict = {}

PERMUTE = primitive(
    "permute", _permute_cpu,
    vjp=lambda ctx, g: permute(g, _full_perm(ctx, g, _inverse_perm(ctx.params["dims"]))),
    jvp=lambda ctx, t: permute(t, _full_perm(ctx, t, ctx.params["dims"])))


def permute(input: Tensor, *dims) -> Tensor:
    """A view of `input` with its dims reordered."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ndim = input._data.ndim
    key = (dims, ndim)
    params = _PERMUTE_PARAMS.get(key)
    if params is None:
        params = _permute_params(dims, ndim)
        if len(_PERMUTE_PARAMS) < 4096:
            _PERMUTE_PARAMS[key] = params
    if params is _IDENTITY:
        return input
    return mark_view(apply(PERMUTE, (input,), params), input)


def _permute_params(dims: tuple, ndim: int):
    """permute's validated params for `dims` on an `ndim`-dim tensor (_IDENTITY: no-op)."""
    if len(dims) != ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not "
            f"equal to len(dims) = {len(dims)}")
    dims = tuple(normalize_dim(d, ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    if dims == tuple(range(ndim)):
        return _IDENTITY
    return {"dims": dims}  # shared by every call with these dims: never mutated


# (dims as given, ndim) -> params of the permute op; permute runs inside many rules
_PERMUTE_PARAMS: dict = {}
_IDENTITY: dict = {}


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """A view of `input` with dims `dim0` and `dim1` swapped."""
    n = input._data.ndim
    key = (dim0, dim1, n)
    perm = _TRANSPOSE_PERMS.get(key)
    if perm is None:
        if n == 0:
            return input
        d0, d1 = normalize_dim(dim0, n), normalize_dim(dim1, n)
        perm = list(range(n))
        perm[d0], perm[d1] = d1, d0
        perm = _TRANSPOSE_PERMS[key] = tuple(perm)
    return permute(input, perm)


# (dim0, dim1, ndim) -> the permutation (derivative rules transpose often)
_TRANSPOSE_PERMS: dict = {}


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


def _zeros(shape: tuple, dtype) -> Tensor:
    """A constant zero tensor (zero-strided: no memory) for absent tangents."""
    return Tensor._make(np.broadcast_to(np.zeros((), dtype), shape))


# ---------------------------------------------------------------- basic indexing views
# `index` is a full basic index (Ellipsis, then one int/slice per primal dim and
# Nones); the leading Ellipsis keeps any batch dims of a cotangent / tangent.


def _slice_cpu(op, x, index):
    return x[index]


def _slice_vjp(ctx, g):
    return apply(SLICE_BACKWARD, (g,), {"index": ctx.params["index"], "in_shape": ctx.in_shapes[0],
                                        "out_ndim": len(ctx.out_shape)})


def _slice_jvp(ctx, t):
    return apply(SLICE, (t,), ctx.params)


SLICE = primitive("slice", _slice_cpu, _slice_vjp, _slice_jvp)
# the same op for integer indexing, named as PyTorch names its node
SELECT = primitive("select", _slice_cpu, _slice_vjp, _slice_jvp)


def _slice_backward_cpu(op, g, index, in_shape, out_ndim):
    out = np.zeros(g.shape[:g.ndim - out_ndim] + tuple(in_shape), g.dtype)
    out[index] = g
    return out


SLICE_BACKWARD = primitive(
    "slice_backward", _slice_backward_cpu,
    vjp=lambda ctx, g: apply(SLICE, (g,), {"index": ctx.params["index"]}),
    jvp=lambda ctx, t: apply(SLICE_BACKWARD, (t,), ctx.params))


def basic_index(input: Tensor, index: tuple) -> Tensor:
    """The view `input[index]` for a normalized basic index (ints, slices with
    positive steps, None; one int/slice per dim of `input`)."""
    op = SLICE
    for i in index:
        if type(i) is int:
            op = SELECT
        elif i != _FULL:
            op = SLICE
            break
    return mark_view(apply(op, (input,), {"index": (Ellipsis,) + tuple(index)}), input)


_FULL = slice(None)


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """A view of `input` restricted to `start:start + length` along `dim`."""
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    start, length = int(start), int(length)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return basic_index(input, (_FULL,) * d + (slice(start, start + length, 1),)
                       + (_FULL,) * (input.ndim - d - 1))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    """The slice of `input` at `index` along `dim` (that dim removed); a view."""
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    index = int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return basic_index(input, (_FULL,) * d + (index % n,) + (_FULL,) * (input.ndim - d - 1))


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
    """Views of `tensor` in pieces along `dim`: of size `split_size_or_sections`
    (the last may be smaller) or of the listed sizes."""
    d = normalize_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n or builtins.min(sizes, default=0) < 0:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                f"at dimension {d}), but got split_sizes={sizes}")
    else:
        size = int(split_size_or_sections)
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0:
            if n != 0:
                raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                                   f"dimension size of {n}")
            return (narrow(tensor, d, 0, 0),)
        sizes = [builtins.min(size, n - s) for s in range(0, n, size)] or [0]
    out, start = [], 0
    for s in sizes:
        out.append(narrow(tensor, d, start, s))
        start += s
    return tuple(out)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """`input` split into `chunks` views along `dim` (the last may be smaller, fewer if too small)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[normalize_dim(dim, input.ndim)]
    return split(input, builtins.max(-(-n // chunks), 1) if n else 0, dim)


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices of `input` along `dim`, as views."""
    d = normalize_dim(dim, input.ndim)
    return tuple(select(input, d, i) for i in range(input.shape[d]))


# ---------------------------------------------------------------- reshaping wrappers


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """`input` with dims `start_dim..end_dim` merged into one."""
    if input.ndim == 0:
        return reshape(input, (1,))
    s, e = normalize_dim(start_dim, input.ndim), normalize_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shp = input.shape
    return reshape(input, shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:])


def squeeze(input: Tensor, dim=None) -> Tensor:
    """`input` without its size-1 dims (only those in `dim` if given)."""
    shp = input.shape
    dims = normalize_dims(dim, input.ndim)
    drop = {d for d in dims if shp[d] == 1}
    return reshape(input, tuple(n for d, n in enumerate(shp) if d not in drop))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """`input` with a size-1 dim inserted at `dim`."""
    d = normalize_dim(dim, input.ndim + 1)
    return reshape(input, input.shape[:d] + (1,) + input.shape[d:])


def movedim(input: Tensor, source, destination) -> Tensor:
    """`input` with dims `source` moved to positions `destination` (a view)."""
    n = input.ndim
    src = (source,) if isinstance(source, int) else tuple(source)
    dst = (destination,) if isinstance(destination, int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination "
                           f"({list(dst)} dims)")
    src = [normalize_dim(d, n) for d in src]
    dst = [normalize_dim(d, n) for d in dst]
    for name, ds in (("source", src), ("destination", dst)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({ds})")
    perm = [-1] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(d for d in range(n) if d not in src)
    perm = [p if p != -1 else next(rest) for p in perm]
    return permute(input, tuple(perm))


def _int_tuple(args: tuple) -> tuple:
    """Varargs ints or one tuple/list of them, as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def repeat(input: Tensor, *sizes) -> Tensor:
    """`input` tiled `sizes[i]` times along each dim (leading sizes add dims)."""
    sizes = _int_tuple(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    shp = (1,) * (len(sizes) - input.ndim) + input.shape
    out = tuple(r * n for r, n in zip(sizes, shp))
    if builtins.min(out, default=0) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{builtins.min(out)}: {list(out)}")
    x = reshape(input, tuple(v for n in shp for v in (1, n)))
    x = expand(x, tuple(v for r, n in zip(sizes, shp) for v in (r, n)))
    return reshape(clone(x), out)


def tile(input: Tensor, *dims) -> Tensor:
    """`input` repeated `dims[i]` times along each dim; missing leading dims count as 1."""
    dims = _int_tuple(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """transpose(input, axis0, axis1)."""
    return transpose(input, axis0, axis1)


def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """transpose(input, dim0, dim1)."""
    return transpose(input, dim0, dim1)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """`input` viewed with `other`'s shape."""
    return view(input, other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """`input` reshaped to `other`'s shape."""
    return reshape(input, other.shape)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """`input` expanded to `other`'s shape."""
    return expand(input, other.shape)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """`input` with its elements shifted cyclically by `shifts` along `dims` (the
    flattened input if dims is None or empty)."""
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = () if dims is None else (dims,) if isinstance(dims, int) else tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return reshape(roll(flatten(input), shifts, 0), input.shape)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    out = input
    for shift, dim in zip(shifts, dims):
        if input.ndim == 0:
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
        d = normalize_dim(dim, input.ndim)
        n = input.shape[d]
        k = int(shift) % n if n else 0
        if k:
            out = cat([narrow(out, d, n - k, k), narrow(out, d, 0, n - k)], d)
    return out if out is not input else clone(input)


# ---------------------------------------------------------------- cat, stack, flip


def _cat_cpu(op, *xs, axis):
    return np.concatenate(xs, axis=axis)


def _cat_vjp(ctx, g):
    axis = ctx.params["axis"]
    rest = (_FULL,) * (-axis - 1)
    grads, start = [], 0
    for shp, need in zip(ctx.in_shapes, ctx.needs_input_grad):
        n = shp[axis]
        grads.append(apply(SLICE, (g,), {"index": (Ellipsis, slice(start, start + n, 1)) + rest})
                     if need else None)
        start += n
    return tuple(grads)


def _joined_jvp(ctx, *ts):
    """jvp of cat and stack: the op on the tangents, absent ones as zeros, all with
    the same leading batch dims (the axis is counted from the end)."""
    if all(t is None for t in ts):
        return None
    batch = np.broadcast_shapes(*(t.shape[:t.ndim - len(s)] for t, s in zip(ts, ctx.in_shapes)
                                  if t is not None))
    dt = next(t.dtype for t in ts if t is not None)
    full = [_zeros(batch + s, dt) if t is None else expand(t, batch + s)
            for t, s in zip(ts, ctx.in_shapes)]
    return apply(ctx.op, full, ctx.params)


CAT = primitive("cat", _cat_cpu, _cat_vjp, _joined_jvp)


def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenation of `tensors` along `dim` (other sizes must match)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    # 1-D empty tensors are skipped, as in PyTorch
    idx = [i for i, t in enumerate(tensors) if t.shape != (0,)] or [0]
    ref = tensors[idx[0]]
    d = normalize_dim(dim, ref.ndim)
    for i in idx:
        t = tensors[i]
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[k]} but got size {t.shape[k]} for tensor number {i} in the list.")
    kept = [tensors[i] for i in idx]
    dt = kept[0].dtype
    for t in kept[1:]:
        dt = _dtype.promote(dt, t.dtype)
    kept = [t if t.dtype == dt else t.type(dt) for t in kept]
    if len(kept) == 1:
        return clone(kept[0])
    return apply(CAT, kept, {"axis": d - ref.ndim})


def stack(tensors, dim: int = 0) -> Tensor:
    """`tensors` (all of one shape) joined along a new dim `dim`."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape, dt = tensors[0].shape, tensors[0].dtype
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
        dt = _dtype.promote(dt, t.dtype)
    d = normalize_dim(dim, len(shape) + 1)
    tensors = [t if t.dtype == dt else t.type(dt) for t in tensors]
    return apply(STACK, tensors, {"axis": d - len(shape) - 1})


def _stack_cpu(op, *xs, axis):
    return np.stack(xs, axis=axis)


def _stack_vjp(ctx, g):
    index = (Ellipsis,)
    rest = (_FULL,) * (-ctx.params["axis"] - 1)  # the axis counts from the end, past batch dims
    return tuple(apply(SELECT, (g,), {"index": index + (i,) + rest}) if need else None
                 for i, need in enumerate(ctx.needs_input_grad))


# one op, not unsqueeze + cat (stacking 17 small tensors and summing: 15 us instead of 76)
STACK = primitive("stack", _stack_cpu, _stack_vjp, _joined_jvp)


def _flip_cpu(op, x, dims):
    return np.flip(x, dims).copy()


FLIP = primitive("flip", _flip_cpu, lambda ctx, g: apply(FLIP, (g,), ctx.params),
                 jvp=lambda ctx, t: apply(FLIP, (t,), ctx.params))


def flip(input: Tensor, *dims) -> Tensor:
    """A copy of `input` with the order of elements reversed along `dims`."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    ds = [normalize_dim(d, input.ndim) for d in dims]
    for d in ds:
        if ds.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    if not ds or input.ndim == 0:
        return clone(input)
    return apply(FLIP, (input,), {"dims": tuple(d - input.ndim for d in ds)})


concat = concatenate = cat
