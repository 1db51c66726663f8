"""Indexing: Tensor.__getitem__ / __setitem__, index_put, index_select, gather,
masked_fill, masked_select, the scatter family (scatter, scatter_add,
scatter_reduce, index_add, index_copy, index_fill, index_reduce, masked_scatter,
put), tril, triu, diag, diagonal, diag_embed.

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

import warnings

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, _grad_enabled, apply, mark_view, to_tensor_like
from numgrad.kernels import cpu as K
from numgrad.oplib._util import check_broadcast, normalize_dim, sum_to
from numgrad.oplib.pointwise import where
from numgrad.oplib.shape import _FULL, SLICE, _zeros, basic_index, clone, expand, reshape
from numgrad.ops.registry import primitive

__all__ = ["index_put", "index_select", "gather", "masked_fill", "masked_select", "tril", "triu",
           "diag", "diagonal", "diag_embed", "scatter", "scatter_add", "scatter_reduce", "index_add",
           "index_copy", "index_fill", "index_reduce", "masked_scatter", "put"]
# functions that are also Tensor methods
METHODS = ("index_put", "index_select", "gather", "masked_fill", "masked_select", "tril", "triu",
           "diag", "diagonal", "diag_embed", "__getitem__", "__setitem__", "scatter", "scatter_add",
           "scatter_reduce", "index_add", "index_copy", "index_fill", "index_reduce",
           "masked_scatter", "put")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ("index_put", "masked_fill", "tril", "triu", "scatter", "scatter_add", "scatter_reduce",
           "index_add", "index_copy", "index_fill", "index_reduce", "masked_scatter", "put")


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
    """region[adv] += v by rows when `adv` is integer arrays on the leading dims of a
    C-contiguous `region` (full slices after them), all indices in range; False otherwise."""
    k = next((j for j, a in enumerate(adv) if not isinstance(a, np.ndarray)), len(adv))
    arrays = adv[:k]
    if (k == 0 or len(adv) != region.ndim
            or not all(a.dtype.kind in "iu" and a.size for a in arrays)
            or not all(isinstance(a, slice) and a == _FULL for a in adv[k:])
            or not region.flags.c_contiguous or region.dtype != v.dtype):
        return False
    lead = region.shape[:k]
    for a, n in zip(arrays, lead):
        if a.min() < -n or a.max() >= n:
            return False  # np.add.at raises numpy's IndexError
    if k == 1:
        index = arrays[0].reshape(-1)
    else:
        index = np.ravel_multi_index(np.broadcast_arrays(*arrays), lead, mode="wrap").reshape(-1)
    bshape = np.broadcast_shapes(*(a.shape for a in arrays))
    rows = np.ascontiguousarray(np.broadcast_to(v, bshape + region.shape[k:]))
    if rows.size == index.size:  # one element per index: numpy's fast 1-d add.at
        np.add.at(region.reshape(-1), index, rows.reshape(-1))
    else:
        K.scatter_add_rows(region.reshape(int(np.prod(lead)), -1), index,
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


def _batched_copy(x: np.ndarray, ndim: int, v: np.ndarray, vndim: int):
    """A copy of `x` broadcast over the leading batch dims of x and v (x has `ndim`
    dims after them, v `vndim`), its number of batch dims and v's."""
    bx, bv = x.ndim - ndim, v.ndim - vndim
    batch = np.broadcast_shapes(x.shape[:bx], v.shape[:bv])
    out = np.empty(batch + x.shape[bx:], x.dtype)
    out[...] = x
    return out, len(batch), bv


def _index_put_cpu(op, x, v, ix, accumulate, ndim, vndim):
    out, b, bv = _batched_copy(x, ndim, v, vndim)
    sel = _selection_shape(ix, out.shape[b:])
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
    return apply(INDEX, (input,), {"ix": _along(np.where(a < 0, a + n, a), d), "ndim": input.ndim})


def _along(a: np.ndarray, d: int) -> _Index:
    """gather's selection: position p of `a` picks the element at p with dim `d`
    replaced by a[p] (`a` holds non-negative indices)."""
    adv = tuple(a.astype(np.intp, copy=False) if k == d else
                np.arange(n, dtype=np.intp).reshape((-1,) + (1,) * (a.ndim - k - 1))
                for k, n in enumerate(a.shape))
    return _Index(None, adv, False, a.ndim)


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


# ---------------------------------------------------------------- scatter family
# scatter, scatter_add, index_add, index_copy, index_fill, masked_scatter and put
# write into an `_Index` selection as index_put does: the same kernel and rules,
# registered under PyTorch's names so their nodes print as PyTorch's.


def _index_put_op(name: str):
    return primitive(name, _index_put_cpu, _index_put_vjp, _index_put_jvp)


SCATTER = _index_put_op("scatter")
SCATTER_ADD = _index_put_op("scatter_add")
INDEX_ADD = _index_put_op("index_add")
INDEX_COPY = _index_put_op("index_copy")
INDEX_FILL = _index_put_op("index_fill")
MASKED_SCATTER = _index_put_op("masked_scatter")
PUT = _index_put_op("put")


def _put_into(op, input: Tensor, ix: _Index, values: Tensor, accumulate: bool) -> Tensor:
    return apply(op, (input, values), {"ix": ix, "accumulate": accumulate, "ndim": input.ndim,
                                       "vndim": values.ndim})


def _index_array(index) -> np.ndarray:
    return index._data if isinstance(index, Tensor) else np.asarray(index)


def _out_of_bounds(a: np.ndarray, n: int, negative_ok: bool) -> int | None:
    """The first entry of `a` outside [0, n) ([-n, n) with `negative_ok`), or None."""
    if a.size == 0:
        return None
    lo = -n if negative_ok else 0
    if a.min() >= lo and a.max() < n:
        return None
    return int(a[(a < lo) | (a >= n)].flat[0])


def _scatter_args(input: Tensor, dim: int, index, src: Tensor | None, reduce: str | None = None):
    """scatter's checks (PyTorch's order and messages); (dim, index array), or None
    for an empty index. `src` is None for the value form; `reduce`: scatter_reduce's."""
    a = _index_array(index)
    if a.dtype.kind not in "iu":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    d = normalize_dim(dim, input.ndim)
    if a.size == 0:
        _check_reduce(reduce)
        return None
    nd = max(input.ndim, 1)
    if max(a.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and max(src.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    ishape, xshape = a.shape or (1,), input.shape or (1,)
    sshape = None if src is None else src.shape or (1,)
    if (any(ishape[k] > xshape[k] for k in range(nd) if k != d)
            or sshape is not None and any(i > s for i, s in zip(ishape, sshape))):
        msg = (f"Expected index {list(a.shape)} to be no larger than self {list(input.shape)} "
               f"apart from dimension {d}")
        if src is not None:
            msg += f" and to be no larger size than src {list(src.shape)}"
        raise RuntimeError(msg)
    _check_reduce(reduce)  # PyTorch checks it after the shapes, before the index values
    bad = _out_of_bounds(a, xshape[d], False)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {xshape[d]}")
    return d, a.reshape(ishape)


def _check_reduce(reduce: str | None) -> None:
    if reduce is not None and reduce not in _REDUCTIONS and reduce not in _ALIASES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, "
                           f"got {reduce}")


def _scatter(op, input: Tensor, d: int, a: np.ndarray, src: Tensor, **params) -> Tensor:
    """`op` (scatter, scatter_add or scatter_reduce) of `src`'s leading block of
    `a`'s shape into `input` at gather's selection along `d`."""
    x = reshape(input, (1,)) if input.ndim == 0 else input
    if src.ndim == 0:
        src = reshape(src, (1,))
    if src.shape != a.shape:
        src = basic_index(src, tuple(slice(0, n) for n in a.shape))
    out = apply(op, (x, src), {"ix": _along(a, d), "ndim": x.ndim, **params})
    return reshape(out, ()) if input.ndim == 0 else out


def _value_tensor(value, input: Tensor) -> Tensor:
    """A scalar `value` as a 0-d tensor of `input`'s dtype."""
    v = value if isinstance(value, Tensor) else to_tensor_like(value, input)
    return v if v.dtype == input.dtype else v.type(input.dtype)


def scatter(input: Tensor, dim: int, index, src=None, value=None, *, reduce: str | None = None
            ) -> Tensor:
    """A copy of `input` with `src[i][j][k]` written at `[index[i][j][k]][j][k]` (for dim=0),
    or the number `value` there; `reduce="add"/"multiply"` combines instead of writing.
    Where `index` repeats a position, one of the values written there wins."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src  # scatter(input, dim, index, 1.5): the value form
    if (src is None) == (value is None):
        raise TypeError("scatter() expects exactly one of src (a Tensor) and value (a number)")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    if src is not None and reduce is not None:
        warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will "
                      "be removed in a future PyTorch release. Use torch.scatter_reduce instead "
                      "for more reduction options.", UserWarning, stacklevel=2)
    checked = _scatter_args(input, dim, index, src)
    if checked is None:
        return clone(input)
    d, a = checked
    if src is None:
        src = expand(_value_tensor(value, input), a.shape)
    if reduce is None:
        return _scatter(SCATTER, input, d, a, src, accumulate=False, vndim=a.ndim)
    return _scatter(SCATTER_REDUCE, input, d, a, src, include_self=True,
                    reduce="sum" if reduce == "add" else "prod")


def scatter_add(input: Tensor, dim: int, index, src: Tensor) -> Tensor:
    """A copy of `input` with `src[i][j][k]` added at `[index[i][j][k]][j][k]` (for dim=0);
    repeated positions accumulate."""
    checked = _scatter_args(input, dim, index, src)
    if checked is None:
        return clone(input)
    d, a = checked
    return _scatter(SCATTER_ADD, input, d, a, src, accumulate=True, vndim=a.ndim)


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")
# PyTorch also takes "max" and "min" (undocumented) and computes amax and amin for them
_ALIASES = {"max": "amax", "min": "amin"}


def scatter_reduce(input: Tensor, dim: int, index, src: Tensor, reduce: str,
                   *, include_self: bool = True) -> Tensor:
    """`input` with the values of `src` reduced (sum, prod, mean, amax, amin) into the
    positions `index` gives along `dim` (as scatter_add), together with `input`'s own
    values there when `include_self`."""
    if not isinstance(reduce, str):  # PyTorch's message for reduce given by keyword
        raise TypeError(f"scatter_reduce(): argument 'reduce' must be str, not {type(reduce).__name__}")
    checked = _scatter_args(input, dim, index, src, reduce)
    if checked is None:
        return clone(input)
    # (PyTorch's backward refuses max/min, its forward mode gives them no tangent: numgrad
    # differentiates them as amax/amin)
    reduce = _ALIASES.get(reduce, reduce)
    d, a = checked
    return _scatter(SCATTER_REDUCE, input, d, a, src, reduce=reduce,
                    include_self=bool(include_self))


# ---- scatter_reduce / index_reduce: one kernel and rules on an `_Index` selection
# (gather's for scatter_reduce, a vector along one dim for index_reduce)

_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
           "amin": np.minimum}


def _identity(reduce: str, dtype: np.dtype):
    """The value a reduction starts from when `input`'s own values are left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dtype.kind == "b":
        return reduce == "amin"
    big = np.inf if dtype.kind == "f" else np.iinfo(dtype).max
    low = -np.inf if dtype.kind == "f" else np.iinfo(dtype).min
    return low if reduce == "amax" else big


def _flat(ix: _Index, shape: tuple) -> np.ndarray | None:
    """The selection as flat positions in an array of `shape`, when it is made of
    index arrays only (numpy's ufunc.at and bincount are fastest on those)."""
    if not all(isinstance(a, np.ndarray) for a in ix.adv):
        return None
    return np.ravel_multi_index(ix.adv, shape).reshape(-1)


def _counts(ix: _Index, shape: tuple, include_self: bool) -> np.ndarray:
    """How many values `mean` averages at each position (at least 1)."""
    flat = _flat(ix, shape)
    if flat is None:
        n = np.zeros(shape, np.int64)
        np.add.at(n, ix.adv, 1)
    else:
        n = np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape)
    n += int(include_self)
    return np.maximum(n, 1, out=n)


def _scatter_reduce_cpu(op, x, src, ix, ndim, reduce, include_self):
    out, b, bs = _batched_copy(x, ndim, src, ndim)
    src = np.broadcast_to(src, out.shape[:b] + src.shape[bs:])
    flat = _flat(ix, out.shape) if b == 0 else None
    if flat is not None:
        out1 = out.reshape(-1)
        if not include_self:
            out1[flat] = _identity(reduce, x.dtype)
        _UFUNCS[reduce].at(out1, flat, src.reshape(-1))
    else:
        key = (Ellipsis,) + ix.adv
        if not include_self:
            out[key] = _identity(reduce, x.dtype)
        _UFUNCS[reduce].at(out, key, src)
    if reduce == "mean":
        n = _counts(ix, out.shape[b:], include_self)
        if out.dtype.kind == "f":
            out /= n
        else:  # PyTorch floors integer means
            np.floor_divide(out, n, out=out)
    return out


def _fill_at(t: Tensor, p: dict) -> Tensor:
    """`t` (batch dims leading) with zeros at the selection."""
    return apply(INDEX_PUT, (t, _zeros((), t.dtype)), {"ix": p["ix"], "accumulate": False,
                                                       "ndim": p["ndim"], "vndim": 0})


def _add_at(v: Tensor, shape: tuple, p: dict) -> Tensor:
    """Zeros of `shape` (after `v`'s batch dims) with `v` added at the selection."""
    b = v.ndim - p["ndim"]
    return apply(INDEX_PUT, (_zeros(v.shape[:b] + shape, v.dtype), v),
                 {"ix": p["ix"], "accumulate": True, "ndim": p["ndim"], "vndim": p["ndim"]})


def _const(a: np.ndarray, dtype) -> Tensor:
    return Tensor._make(np.ascontiguousarray(a, dtype=dtype))


def _reduce_derivative(ctx, need_self: bool, need_src: bool):
    """The derivative of scatter_reduce as (cs, terms):
    d out = cs * d input + sum_k R_k * add_at(S_k * d src), so that the vjp is
    g_input = cs * g, g_src = sum_k S_k * gather(R_k * g) (None stands for 1); both
    then zeroed at the selection unless include_self. PyTorch's formulas: amax/amin
    split the gradient evenly among ties, prod treats zeros exactly."""
    x, src = ctx.saved[0], ctx.saved[1]
    p = ctx.params
    reduce, ix, dt = p["reduce"], p["ix"], x.dtype
    if reduce == "sum":
        return None, [(None, None)]
    if reduce == "mean":
        inv = _const(1.0 / _counts(ix, x.shape, p["include_self"]), dt)
        return inv, [(inv, None)]
    out = ctx.output
    if reduce in ("amax", "amin"):
        xd, sd, od = x._data, src._data, out._data
        self_is = (xd == od).astype(dt)
        src_is = (sd == _get_adv(od, ix.adv, ix.first, ix.k, xd.ndim)).astype(dt)
        n = self_is.copy()
        np.add.at(n, ix.adv, src_is)
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / n
        return _const(self_is * inv, dt), [(_const(inv, dt), _const(src_is, dt))]
    # prod: the product of the other factors, also where a factor is zero
    cs = terms = None
    if need_self:
        masked_self = masked_fill(x, _const(x._data == 0, bool), 1.0)
        cs = apply(SCATTER_REDUCE, (masked_self, src), p) / masked_self
    if need_src:
        zero = src._data == 0
        nzeros = np.zeros(x.shape)
        np.add.at(nzeros, ix.adv, zero)
        zeros_at = _get_adv(nzeros, ix.adv, ix.first, ix.k, x.ndim)
        single = zero & (zeros_at == 1)
        masked_src_result = apply(SCATTER_REDUCE, (x, masked_fill(src, _const(single, bool), 1.0)), p)
        inv_src = masked_fill(masked_fill(src, _const(zero, bool), 1.0).reciprocal(),
                              _const(single, bool), 0.0)
        terms = [(masked_src_result, _const(single, dt)), (out, inv_src)]
        if _grad_enabled() and (zero & (zeros_at > 1)).any():
            # the masks above are constants: the derivative of these terms would be wrong
            terms = [(r, s if s is None else apply(NO_DOUBLE_BACKWARD, (s,))) for r, s in terms]
    return cs, terms


def _scatter_reduce_vjp(ctx, g):
    p = ctx.params
    need_self, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
    cs, terms = _reduce_derivative(ctx, need_self, need_src)
    gx = gs = None
    if need_self:
        gx = g if cs is None else g * cs
        if not p["include_self"]:
            gx = _fill_at(gx, p)
    if need_src:
        for r, s in terms:
            t = apply(INDEX, (g if r is None else g * r,), {"ix": p["ix"], "ndim": p["ndim"]})
            t = t if s is None else t * s
            gs = t if gs is None else gs + t
    return gx, gs


def _scatter_reduce_jvp(ctx, tx, ts):
    if tx is None and ts is None:
        return None
    p = ctx.params
    cs, terms = _reduce_derivative(ctx, tx is not None, ts is not None)
    out = None
    if tx is not None:
        out = tx if cs is None else tx * cs
        if not p["include_self"]:
            out = _fill_at(out, p)
    if ts is not None:
        for r, s in terms:
            t = _add_at(ts if s is None else ts * s, ctx.in_shapes[0], p)
            t = t if r is None else t * r
            out = t if out is None else out + t
    return out


def _refuse_double_backward(ctx, *grads):
    raise RuntimeError("scatter_reduce(): Double backward is unsupported for src when >1 zeros in "
                       "src are scattered to the same position in self")


# an identity whose derivative is PyTorch's error (scatter_reduce prod with colliding zeros)
NO_DOUBLE_BACKWARD = primitive("scatter_reduce_prod_no_double_backward",
                               lambda op, a: a.copy(), _refuse_double_backward,
                               _refuse_double_backward)


SCATTER_REDUCE = primitive("scatter_reduce", _scatter_reduce_cpu, _scatter_reduce_vjp,
                           _scatter_reduce_jvp, save=(0, 1), save_output=True)
INDEX_REDUCE = primitive("index_reduce", _scatter_reduce_cpu, _scatter_reduce_vjp,
                         _scatter_reduce_jvp, save=(0, 1), save_output=True)


# ---- along one dim with a vector index: index_add, index_copy, index_fill, index_reduce


def _dim_index(a: np.ndarray, d: int, ndim: int) -> _Index:
    """The selection input[:, ..., a, ...] (the vector `a` at dim `d`)."""
    adv = (_FULL,) * d + (a.reshape(-1).astype(np.intp, copy=False),) + (_FULL,) * (ndim - d - 1)
    return _Index(None, adv, False, 1)


def _index_source_args(name: str, input: Tensor, dim: int, index, source: Tensor):
    """index_add's and index_reduce's checks; (dim, index vector), for a 1-d view of a
    0-d input too."""
    a = _index_array(index)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index but got: "
                           f"{_dtype.torch_name(a.dtype)}")
    if a.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector, but got dim: {a.ndim} "
                         f"with type: {_dtype.torch_name(a.dtype)} and size: {list(a.shape)}")
    if source.dtype != input.dtype:
        raise RuntimeError(f"{name}(): self ({_dtype.torch_name(input.dtype)}) and source "
                           f"({_dtype.torch_name(source.dtype)}) must have the same scalar type")
    d = normalize_dim(dim, input.ndim)
    n_src = source.shape[d] if d < source.ndim else 1
    if a.size != n_src:
        raise RuntimeError(f"{name}(): Number of indices ({a.size}) should be equal to "
                           f"source.size(dim): ({n_src}), for dim: {d}")
    if source.ndim != input.ndim or any(
            s != x for k, (s, x) in enumerate(zip(source.shape, input.shape)) if k != d):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(input.shape)} source.shape = {list(source.shape)}")
    return d, a.reshape(-1)


def _dim_put(op, input: Tensor, d: int, a: np.ndarray, source: Tensor, accumulate: bool
             ) -> Tensor:
    """`op` writing (or adding) `source` at the vector `a` along `d` (0-d tensors as 1-d)."""
    if input.ndim == 0:
        out = _dim_put(op, reshape(input, (1,)), 0, a, reshape(source, (-1,)), accumulate)
        return reshape(out, ())
    return _put_into(op, input, _dim_index(a, d, input.ndim), source, accumulate)


def index_add(input: Tensor, dim: int, index, source: Tensor, *, alpha=1) -> Tensor:
    """A copy of `input` with `alpha * source[..., i, ...]` added at `[..., index[i], ...]`
    along `dim` (repeated indices accumulate)."""
    d, a = _index_source_args("index_add_", input, dim, index, source)
    n = input.shape[d] if input.ndim else 1
    bad = _out_of_bounds(a, n, False)
    if bad is not None:
        raise RuntimeError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    if isinstance(alpha, Tensor):
        alpha = alpha.item()
    if input.dtype.kind != "f":
        alpha = int(alpha)
    if alpha != 1:
        source = source * alpha
    return _dim_put(INDEX_ADD, input, d, a, source, True)


def index_copy(input: Tensor, dim: int, index, source: Tensor) -> Tensor:
    """A copy of `input` with `source[..., i, ...]` written at `[..., index[i], ...]` along `dim`."""
    a = _index_array(index)
    if a.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{_dtype.torch_name(a.dtype)}")
    if a.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {a.ndim})")
    d = normalize_dim(dim, input.ndim)
    n_src = source.shape[d] if d < source.ndim else 1
    if a.size != n_src:
        raise IndexError(f"index_copy_(): Number of indices ({a.size}) should be equal to "
                         f"source.size(dim) ({n_src})")
    dst = input.shape[:d] + input.shape[d + 1:]
    srcs = source.shape[:d] + source.shape[d + 1:]
    if dst != srcs:
        k = next((k for k, (u, v) in enumerate(zip(dst, srcs)) if u != v), min(len(dst), len(srcs)))
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {dst[k] if k < len(dst) else 1} at dimension {k} and source slice shape: "
            f"{srcs[k] if k < len(srcs) else 1} at dimension {k}.")
    if source.dtype != input.dtype:
        raise RuntimeError("index_copy_(): self and source expected to have the same dtype, but got "
                           f"(self) {_dtype.torch_name(input.dtype)} and (source) "
                           f"{_dtype.torch_name(source.dtype)}")
    n = input.shape[d] if input.ndim else 1
    bad = _out_of_bounds(a, n, False)
    if bad is not None:
        raise IndexError(f"index_copy_(): index {bad} is out of bounds for dimension {d} with "
                         f"size {n}")
    return _dim_put(INDEX_COPY, input, d, a.reshape(-1), source, False)


def index_fill(input: Tensor, dim: int, index, value) -> Tensor:
    """A copy of `input` with `value` (a number or a 0-d tensor) at `[..., index[i], ...]`
    along `dim`; negative indices count from the end."""
    a = _index_array(index)
    if a.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if a.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got tensor "
                           f"with {value.ndim} dimension(s).")
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    bad = _out_of_bounds(a, n, True)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {n}")
    a = np.where(a < 0, a + n, a).reshape(-1)
    return _dim_put(INDEX_FILL, input, d, a, _value_tensor(value, input), False)


def index_reduce(input: Tensor, dim: int, index, source: Tensor, reduce: str,
                 *, include_self: bool = True) -> Tensor:
    """`input` with the slices `source[..., i, ...]` reduced (prod, mean, amax, amin) into
    `[..., index[i], ...]` along `dim`, with `input`'s own values when `include_self`."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError("index_reduce(): Expected reduce to be one of prod, mean, amax or amin "
                           f"but got {reduce}.")
    d, a = _index_source_args("index_reduce_", input, dim, index, source)
    n = input.shape[d] if input.ndim else 1
    if _out_of_bounds(a, n, False) is not None:
        raise IndexError("index out of range in self")
    x = reshape(input, (1,)) if input.ndim == 0 else input
    s = reshape(source, (-1,)) if input.ndim == 0 else source
    out = apply(INDEX_REDUCE, (x, s), {"ix": _dim_index(a, d, x.ndim), "ndim": x.ndim,
                                       "reduce": reduce, "include_self": bool(include_self)})
    return reshape(out, ()) if input.ndim == 0 else out


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """`input` (broadcast with `mask`) with the first elements of `source`, in order,
    written where `mask` is True."""
    m = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
    if m.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_dtype.torch_name(m.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{_dtype.torch_name(input.dtype)} and {_dtype.torch_name(source.dtype)}")
    shape = check_broadcast(m.shape, input.shape)
    if not shape:  # a 0-d input and mask: as 1-d
        return reshape(masked_scatter(reshape(input, (1,)), reshape(m, (1,)), source), ())
    mb = m._data if m.shape == shape else np.broadcast_to(m._data, shape)
    count = int(np.count_nonzero(mb))
    if count > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    x = input if input.shape == shape else expand(input, shape)
    values = reshape(source, (-1,))
    if count != values.shape[0]:
        values = basic_index(values, (slice(0, count),))
    return _put_into(MASKED_SCATTER, x, _normalize(mb, shape), values, False)


def put(input: Tensor, index, source: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of `input` with `source` written (added, with `accumulate`) at the flat
    positions `index` of `input` (as if it were 1-d); negative indices count from the end."""
    a = _index_array(index)
    if a.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got "
                           f"{_dtype.torch_name(a.dtype)}")
    if source.dtype != input.dtype:
        raise RuntimeError("put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {_dtype.torch_name(input.dtype)} and source.dtype = "
                           f"{_dtype.torch_name(source.dtype)}")
    if a.size != source.numel():
        raise IndexError("put_(): Expected source and index to have the same number of elements, "
                         f"but got source.numel() = {source.numel()}, index.numel() = {a.size}")
    n = input.numel()
    bad = _out_of_bounds(a, n, True)
    if bad is not None:
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    if input.ndim == 0:
        return reshape(put(reshape(input, (1,)), a, source, accumulate), ())
    flat = np.where(a < 0, a + n, a).reshape(-1)
    ix = _Index(None, tuple(i.astype(np.intp) for i in np.unravel_index(flat, input.shape)),
                False, 1)
    return _put_into(PUT, input, ix, reshape(source, (-1,)), bool(accumulate))


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
