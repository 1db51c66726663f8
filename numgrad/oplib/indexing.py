"""Indexing: Tensor.__getitem__ / __setitem__, index_put, index_select, gather,
masked_fill, masked_select, tril, triu, diag, diagonal, diag_embed.

An index is normalized (`_normalize`) the way PyTorch applies it: first a
basic part (ints, slices, None: a view, the `slice`/`select` ops of
oplib/shape.py), then an advanced part on the result (integer arrays, one per
dim or a full slice: the `index` op, a copy). Ops index the TRAILING dims of
their input so cotangents / tangents with leading batch dims pass through
the same ops. When advanced indices are not adjacent, numpy (and PyTorch) put
the broadcast index dims first; with batch dims present, these are moved
behind the batch dims so batch dims always lead.
"""
from __future__ import annotations

import numpy as np

from numgrad._tensor import Tensor, _grad_enabled, apply, mark_view, to_tensor_like
from numgrad.kernels import cpu as K
from numgrad.oplib._util import check_broadcast, normalize_dim, sum_to
from numgrad.oplib.pointwise import where
from numgrad.oplib.shape import _FULL, SLICE, _zeros, basic_index, expand, reshape
from numgrad.ops.registry import primitive

__all__ = ["index_put", "index_select", "gather", "masked_fill", "masked_select", "tril", "triu",
           "diag", "diagonal", "diag_embed"]
# functions that are also Tensor methods
METHODS = ("index_put", "index_select", "gather", "masked_fill", "masked_select", "tril", "triu",
           "diag", "diagonal", "diag_embed", "__getitem__", "__setitem__")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ("index_put", "masked_fill", "tril", "triu")


# ---------------------------------------------------------------- index normalization

class _Index:
    """A normalized index: `basic` (None or a tuple with one int/slice per dim,
    plus Nones) then `adv` (None or a tuple with one full slice or intp array per
    dim of the basic result); `first`: the advanced dims go first (not adjacent);
    `k`: ndim of the broadcast index arrays."""

    __slots__ = ("basic", "adv", "first", "k")

    def __init__(self, basic, adv, first, k):
        self.basic, self.adv, self.first, self.k = basic, adv, first, k


def _as_index_array(a):
    if isinstance(a, Tensor):
        return a._data
    if isinstance(a, np.ndarray):
        return a
    a = np.asarray([x._data if isinstance(x, Tensor) else x for x in a] if isinstance(a, list) else a)
    return a.astype(np.intp) if a.size == 0 else a


def _normalize(key, shape: tuple) -> _Index:
    if type(key) is int and shape:  # fast path: x[i]
        n = shape[0]
        if -n <= key < n:
            return _Index((key % n,) + (_FULL,) * (len(shape) - 1), None, False, 0)
    if type(key) is not tuple:
        key = (key,)
    entries = []
    consumed = 0
    ellipses = 0
    for e in key:
        if e is None or e is Ellipsis or isinstance(e, slice):
            ellipses += e is Ellipsis
        elif isinstance(e, (bool, np.bool_)):
            e = np.asarray(e)
        elif isinstance(e, (int, np.integer)):
            e = int(e)
        elif isinstance(e, (Tensor, np.ndarray, list)):
            e = _as_index_array(e)
            if e.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if e.ndim == 0 and e.dtype.kind != "b":
                e = int(e)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             f"Variables are valid indices (got {type(e).__name__})")
        if isinstance(e, np.ndarray):
            consumed += e.ndim if e.dtype.kind == "b" else 1
        elif type(e) is int or isinstance(e, slice):
            consumed += 1
        entries.append(e)
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    ndim = len(shape)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")

    basic, adv = [], {}
    d = p = 0  # dim of the input, dim of the basic result
    for e in entries:
        if e is Ellipsis:
            basic.extend([_FULL] * (ndim - consumed))
            d += ndim - consumed
            p += ndim - consumed
        elif e is None:
            basic.append(None)
            p += 1
        elif type(e) is int:
            n = shape[d]
            if not -n <= e < n:
                raise IndexError(f"index {e} is out of bounds for dimension {d} with size {n}")
            basic.append(e % n)
            d += 1
        elif isinstance(e, slice):
            if e.step is not None and int(e.step) <= 0:
                raise ValueError("step must be greater than zero")
            basic.append(_FULL if e == _FULL else slice(*e.indices(shape[d])))
            d += 1
            p += 1
        elif e.dtype.kind == "b":
            if e.ndim == 0:  # a 0-d bool adds a dim of size 1 (True) or 0 (False)
                basic.append(None)
                adv[p] = np.zeros(1 if e else 0, np.intp)
                p += 1
                continue
            for j in range(e.ndim):
                if e.shape[j] != shape[d + j]:
                    raise IndexError(
                        f"The shape of the mask {list(e.shape)} at index {j} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {d + j}")
            for a in np.nonzero(e):
                basic.append(_FULL)
                adv[p] = a
                p += 1
            d += e.ndim
        else:
            n = shape[d]
            lo = hi = 0
            if e.size:
                lo, hi = e.min(), e.max()
                if hi >= n or lo < -n:
                    bad = e[(e >= n) | (e < -n)]
                    raise IndexError(f"index {int(bad.flat[0])} is out of bounds for dimension {d} "
                                     f"with size {n}")
            basic.append(_FULL)
            adv[p] = (np.where(e < 0, e + n, e) if lo < 0 else e).astype(np.intp, copy=False)
            d += 1
            p += 1
    basic.extend([_FULL] * (ndim - d))
    p += ndim - d

    trivial = all(b is not None and type(b) is not int and b == _FULL for b in basic)
    if not adv:
        # x[...] / x[:] still give a new view
        return _Index(tuple(basic), None, False, 0)
    pos = sorted(adv)
    try:
        k = len(np.broadcast_shapes(*(a.shape for a in adv.values()))) if len(pos) > 1 \
            else adv[pos[0]].ndim
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                         "shapes " + ", ".join(str(list(a.shape)) for a in adv.values())) from None
    return _Index(None if trivial else tuple(basic), tuple(adv.get(i, _FULL) for i in range(p)),
                  pos[-1] - pos[0] + 1 != len(pos), k)


def _sel_ndim(ix: _Index, ndim: int) -> int:
    """ndim of the advanced selection `ix.adv` of an `ndim`-dim array."""
    return ndim - sum(1 for a in ix.adv if isinstance(a, np.ndarray)) + ix.k


# ---------------------------------------------------------------- numpy helpers (trailing dims)


def _get_adv(a: np.ndarray, adv, first: bool, k: int, ndim: int) -> np.ndarray:
    """a[..., *adv] on the last `ndim` dims of `a`, leading batch dims kept first."""
    b = a.ndim - ndim
    r = a[(Ellipsis,) + adv]
    if first and b:
        r = np.moveaxis(r, tuple(range(k, k + b)), tuple(range(b)))
    return r


def _put(out: np.ndarray, ix: _Index, v: np.ndarray, accumulate: bool, b: int) -> None:
    """Write (or add) `v` into the region `ix` selects of `out` (which has `b`
    batch dims; `v` is batch + a shape broadcastable to the selection)."""
    region = out[(Ellipsis,) + ix.basic] if ix.basic is not None else out
    if ix.adv is None:
        if accumulate:
            region += v
        else:
            region[...] = v
        return
    if ix.first and b:
        v = np.moveaxis(v, tuple(range(b)), tuple(range(ix.k, ix.k + b)))
    if accumulate and _scatter_rows(region, ix.adv, v):
        return
    if accumulate:
        np.add.at(region, (Ellipsis,) + ix.adv, v)
    else:
        region[(Ellipsis,) + ix.adv] = v


def _scatter_rows(region: np.ndarray, adv: tuple, v: np.ndarray) -> bool:
    """region[adv] += v by rows when `adv` is one integer array on the first dim of a
    C-contiguous `region` (full slices after it), all indices in range; False otherwise."""
    index = adv[0]
    if (not isinstance(index, np.ndarray) or index.dtype.kind not in "iu" or index.size == 0
            or len(adv) != region.ndim
            or not all(isinstance(a, slice) and a == _FULL for a in adv[1:])
            or not region.flags.c_contiguous or region.dtype != v.dtype):
        return False
    n = region.shape[0]
    if index.min() < -n or index.max() >= n:
        return False  # np.add.at raises numpy's IndexError
    rows = np.ascontiguousarray(np.broadcast_to(v, index.shape + region.shape[1:]))
    K.scatter_add_rows(region.reshape(n, -1), index.reshape(-1),
                       rows.reshape(index.size, -1))
    return True


def _selection_shape(ix: _Index, shape: tuple) -> tuple:
    """The shape of `x[ix]` for `x` of `shape`."""
    if ix.basic is not None:
        out = []
        it = iter(shape)
        for i in ix.basic:
            if i is None:
                out.append(1)
            elif type(i) is int:
                next(it)
            else:
                out.append(len(range(*i.indices(next(it)))))
        shape = tuple(out)
    if ix.adv is None:
        return shape
    arrays = [a for a in ix.adv if isinstance(a, np.ndarray)]
    bshape = np.broadcast_shapes(*(a.shape for a in arrays))
    rest = tuple(n for a, n in zip(ix.adv, shape) if not isinstance(a, np.ndarray))
    if ix.first:
        return bshape + rest
    p = next(i for i, a in enumerate(ix.adv) if isinstance(a, np.ndarray))
    return rest[:p] + bshape + rest[p:]


# ---------------------------------------------------------------- index (advanced, a copy)


def _index_cpu(op, x, ix, ndim):
    return _get_adv(x, ix.adv, ix.first, ix.k, ndim)


def _index_vjp(ctx, g):
    b = g.ndim - len(ctx.out_shape)
    p = ctx.params
    zeros = _zeros(g.shape[:b] + ctx.in_shapes[0], g.dtype)
    return apply(INDEX_PUT, (zeros, g), {"ix": p["ix"], "accumulate": True, "ndim": p["ndim"],
                                         "vndim": _sel_ndim(p["ix"], p["ndim"])})


INDEX = primitive("index", _index_cpu, _index_vjp, jvp=lambda ctx, t: apply(INDEX, (t,), ctx.params))


def _getitem(x: Tensor, ix: _Index) -> Tensor:
    if ix.basic is not None:
        x = basic_index(x, ix.basic)
    if ix.adv is not None:
        x = apply(INDEX, (x,), {"ix": _Index(None, ix.adv, ix.first, ix.k), "ndim": x.ndim})
    return x


def __getitem__(self: Tensor, key) -> Tensor:
    """Index like numpy / PyTorch: basic indexing gives a view, advanced indexing a copy."""
    return _getitem(self, _normalize(key, self.shape))


# ---------------------------------------------------------------- index_put (out of place)


def _index_put_cpu(op, x, v, ix, accumulate, ndim, vndim):
    bx, bv = x.ndim - ndim, v.ndim - vndim
    batch = np.broadcast_shapes(x.shape[:bx], v.shape[:bv])
    b = len(batch)
    out = np.empty(batch + x.shape[bx:], x.dtype)
    out[...] = x
    sel = _selection_shape(ix, x.shape[bx:])
    v = v.reshape((1,) * (b - bv) + v.shape[:bv] + (1,) * (len(sel) - vndim) + v.shape[bv:])
    _put(out, ix, v, accumulate, b)
    return out


def _index_put_vjp(ctx, g):
    p = ctx.params
    gx = gv = None
    if ctx.needs_input_grad[0]:
        gx = g if p["accumulate"] else apply(
            INDEX_PUT, (g, _zeros((), g.dtype)), {**p, "vndim": 0})
    if ctx.needs_input_grad[1]:
        b = g.ndim - len(ctx.out_shape)
        gv = sum_to(_getitem_trailing(g, p["ix"], p["ndim"]), ctx.in_shapes[1], b)
    return gx, gv


def _getitem_trailing(g: Tensor, ix: _Index, ndim: int) -> Tensor:
    """g[..., ix] where `ix` indexes the last `ndim` dims of `g`."""
    if ix.basic is not None:
        g = mark_view(apply(SLICE, (g,), {"index": (Ellipsis,) + ix.basic}), g)
        ndim += sum(1 for i in ix.basic if i is None) - sum(1 for i in ix.basic if type(i) is int)
    if ix.adv is not None:
        g = apply(INDEX, (g,), {"ix": _Index(None, ix.adv, ix.first, ix.k), "ndim": ndim})
    return g


def _index_put_jvp(ctx, tx, tv):
    if tx is None and tv is None:
        return None
    p = ctx.params
    if tx is None:
        tx = _zeros(ctx.in_shapes[0], tv.dtype)
    if tv is None:
        return apply(INDEX_PUT, (tx, _zeros((), tx.dtype)), {**p, "vndim": 0})
    return apply(INDEX_PUT, (tx, tv), p)


INDEX_PUT = primitive("index_put", _index_put_cpu, _index_put_vjp, _index_put_jvp)


def _values_for(input: Tensor, ix: _Index, values) -> tuple[Tensor, tuple]:
    """`values` as a tensor of `input`'s dtype, checked against the selection shape."""
    if not isinstance(values, Tensor):
        values = to_tensor_like(values, input)
    if values.dtype != input.dtype:
        values = values.type(input.dtype)
    sel = _selection_shape(ix, input.shape)
    vs = values.shape
    while len(vs) > len(sel) and vs[0] == 1:
        vs = vs[1:]
    try:
        ok = len(vs) <= len(sel) and np.broadcast_shapes(vs, sel) == sel
    except ValueError:
        ok = False
    if not ok:
        if ix.adv is None:
            for i in range(1, len(vs) + 1):
                if vs[-i] != 1 and (i > len(sel) or vs[-i] != sel[-i]):
                    raise RuntimeError(
                        f"The expanded size of the tensor ({sel[-i] if i <= len(sel) else 1}) must "
                        f"match the existing size ({vs[-i]}) at non-singleton dimension "
                        f"{len(sel) - i}.  Target sizes: {list(sel)}.  Tensor sizes: {list(vs)}")
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(sel)}")
    if vs != values.shape:
        values = reshape(values, vs)
    return values, sel


def index_put(input: Tensor, indices, values, accumulate: bool = False) -> Tensor:
    """A copy of `input` with `values` written at `input[indices]` (added with
    `accumulate=True`, repeated indices then accumulate). `indices` is any index
    `__getitem__` accepts; a tuple of index tensors as in PyTorch."""
    ix = _normalize(indices, input.shape)
    values, _ = _values_for(input, ix, values)
    return apply(INDEX_PUT, (input, values), {"ix": ix, "accumulate": bool(accumulate),
                                              "ndim": input.ndim, "vndim": values.ndim})


def __setitem__(self: Tensor, key, value) -> None:
    """`self[key] = value`, in place (differentiable through index_put)."""
    from numgrad._methods import inplace
    vgrad = isinstance(value, Tensor) and value.requires_grad
    dual = self._fw is not None or isinstance(value, Tensor) and value._fw is not None
    if dual or _grad_enabled() and (self.requires_grad or vgrad):
        inplace(self, index_put, key, value)
        return
    ix = _normalize(key, self.shape)
    if not isinstance(value, (int, float)):
        value = _values_for(self, ix, value)[0]._data
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: the tensor is a read-only (expanded) view; "
                           "clone it before writing in place")
    _put(self._data, ix, value, False, 0)
    self._version[0] += 1


# ---------------------------------------------------------------- index_select, gather, masked_fill


def _int_index(index, what: str) -> np.ndarray:
    a = index._data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{what}(): Expected dtype int32 or int64 for index")
    return a


def index_select(input: Tensor, dim: int, index) -> Tensor:
    """The entries of `input` at positions `index` (a vector) along `dim`."""
    a = _int_index(index, "index_select")
    if a.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    d = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return reshape(index_select(reshape(input, (1,)), 0, a), ())
    n = input.shape[d]
    if a.size and (a.max() >= n or a.min() < -n):
        raise IndexError("index out of range in self")
    return _getitem(input, _normalize((_FULL,) * d + (a.reshape(-1),), input.shape))


def gather(input: Tensor, dim: int, index) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] (for dim=1): values along `dim` at `index`."""
    a = _int_index(index, "gather")
    d = normalize_dim(dim, input.ndim)
    if a.ndim != input.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(a.ndim):
        if k != d and a.shape[k] > input.shape[k]:
            raise RuntimeError(
                f"Size does not match at dimension {k} expected index {list(a.shape)} to be no "
                f"larger than self {list(input.shape)} apart from dimension {d}")
    n = input.shape[d]
    if a.size and (a.max() >= n or a.min() < -n):
        bad = int(a[(a >= n) | (a < -n)].flat[0])
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    adv = tuple(np.where(a < 0, a + n, a).astype(np.intp) if k == d else
                np.arange(a.shape[k], dtype=np.intp).reshape((-1,) + (1,) * (a.ndim - k - 1))
                for k in range(a.ndim))
    ix = _Index(None, adv, False, a.ndim)
    return apply(INDEX, (input,), {"ix": ix, "ndim": input.ndim})


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of `input` where the boolean `mask` is True (both broadcast), as a 1-D tensor."""
    if mask.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = check_broadcast(mask.shape, input.shape)
    m = mask._data if mask.shape == shape else np.broadcast_to(mask._data, shape)
    return _getitem(expand(input, shape), _normalize(m, shape))


def masked_fill(input: Tensor, mask, value) -> Tensor:
    """`input` with `value` where the boolean `mask` (broadcast to input) is True."""
    m = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{'float' if m.dtype.kind == 'f' else m.dtype}")
    check_broadcast(m.shape, input.shape)
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        if value.dtype != input.dtype:
            value = value.type(input.dtype)
    else:
        value = to_tensor_like(value, input)
        if value.dtype != input.dtype:
            value = value.type(input.dtype)
    return where(m, value, input)


# ---------------------------------------------------------------- triangles and diagonals


def _tri(name: str, np_fn):
    op = primitive(name, lambda op, x, diagonal: np_fn(x, diagonal),
                   lambda ctx, g: apply(op, (g,), ctx.params),
                   jvp=lambda ctx, t: apply(op, (t,), ctx.params))
    return op


TRIL = _tri("tril", np.tril)
TRIU = _tri("triu", np.triu)


def _check_tri(input: Tensor, name: str) -> None:
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of (the last two dims of) `input`, on and below `diagonal`."""
    _check_tri(input, "tril")
    return apply(TRIL, (input,), {"diagonal": int(diagonal)})


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of (the last two dims of) `input`, on and above `diagonal`."""
    _check_tri(input, "triu")
    return apply(TRIU, (input,), {"diagonal": int(diagonal)})


# dim1 / dim2 are negative (counted from the end) so batch dims pass through.

def _diagonal_cpu(op, x, offset, dim1, dim2):
    return np.diagonal(x, offset, dim1, dim2)


DIAGONAL = primitive(
    "diagonal", _diagonal_cpu,
    lambda ctx, g: apply(DIAG_EMBED, (g,), {**ctx.params, "shape": ctx.in_shapes[0]}),
    jvp=lambda ctx, t: apply(DIAGONAL, (t,), ctx.params))


def _diag_embed_cpu(op, g, offset, dim1, dim2, shape):
    """Zeros of `shape` (after g's batch dims) with the diagonal (offset, dim1, dim2) set to g."""
    b = g.ndim - (len(shape) - 1)
    out = np.zeros(g.shape[:b] + tuple(shape), g.dtype)
    view = np.moveaxis(out, (dim1, dim2), (-2, -1))
    n = g.shape[-1]
    rows = np.arange(n) + max(-offset, 0)
    view[..., rows, rows + offset] = g
    return out


DIAG_EMBED = primitive(
    "diag_embed", _diag_embed_cpu,
    lambda ctx, g: apply(DIAGONAL, (g,), {k: v for k, v in ctx.params.items() if k != "shape"}),
    jvp=lambda ctx, t: apply(DIAG_EMBED, (t,), ctx.params))


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal of `input` over dims `dim1`, `dim2` (moved to the last dim)."""
    n = input.ndim
    d1, d2 = normalize_dim(dim1, n), normalize_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = apply(DIAGONAL, (input,), {"offset": int(offset), "dim1": d1 - n, "dim2": d2 - n})
    return mark_view(out, input)


_diagonal = diagonal


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """A tensor whose diagonals (offset, dim1, dim2) are the last dim of `input`, zeros elsewhere."""
    n = input.ndim + 1
    d1, d2 = normalize_dim(dim1, n), normalize_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    size = input.shape[-1] + abs(int(offset))
    rest = iter(input.shape[:-1])
    shape = tuple(size if k in (d1, d2) else next(rest) for k in range(n))
    return apply(DIAG_EMBED, (input,), {"offset": int(offset), "dim1": d1 - n, "dim2": d2 - n,
                                    "shape": shape})


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input as a diagonal matrix (on `diagonal`); a 2-D input's `diagonal` as a vector."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return _diagonal(input, diagonal, 0, 1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
