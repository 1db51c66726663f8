"""OpInfo entries for numgrad/oplib/indexing.py (__getitem__, __setitem__ and indexing ops)."""
from __future__ import annotations

import warnings

import numpy as np

import numgrad as ng
from numgrad._tensor import apply
from numgrad.oplib import indexing as I
from tests.op_db import OpInfo


def _x(*shape):
    return lambda rng, dt: (rng.standard_normal(shape).astype(dt),)


def _xs(*shapes):
    return lambda rng, dt: tuple(rng.standard_normal(s).astype(dt) for s in shapes)


def _with(*consts):
    """Inputs: a float array of shape consts[0], then the constant arrays consts[1:]."""
    return lambda rng, dt: (rng.standard_normal(consts[0]).astype(dt),) + tuple(
        np.array(c) for c in consts[1:])


def _with_tensor_value(shape, *consts):
    """Inputs: a float array of `shape`, a float 0-d array, then constant arrays."""
    return lambda rng, dt: _xs(shape, ())(rng, dt) + tuple(np.array(c) for c in consts)


def _setitem(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _np_setitem(x, key, v, add=False):
    y = x.copy()
    if add:
        np.add.at(y, key, v)
    else:
        y[key] = v
    return y


def np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    """scatter_reduce by a loop over the index (numpy reference); reduce="copy" is scatter."""
    out = np.array(x, dtype=np.result_type(x, src), copy=True)
    groups = {}
    for pos in np.ndindex(index.shape):
        target = list(pos)
        target[dim] = index[pos]
        groups.setdefault(tuple(target), []).append(src[pos])
    for t, vals in groups.items():
        if reduce == "copy":
            out[t] = vals[-1]
            continue
        vals = ([x[t]] if include_self else []) + vals
        out[t] = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "amax": np.max,
                  "amin": np.min}[reduce](vals)
    return out


def np_index_reduce(x, dim, index, src, reduce, include_self=True):
    """index_reduce / index_add / index_copy through np_scatter_reduce (index along `dim`)."""
    shape = [1] * src.ndim
    shape[dim] = -1
    full = np.broadcast_to(np.asarray(index).reshape(shape), src.shape)
    return np_scatter_reduce(x, dim, full, src, reduce, include_self)


def _np_put(x, index, v, accumulate):
    y = x.copy().reshape(-1)
    if accumulate:
        np.add.at(y, index.reshape(-1), v.reshape(-1))
    else:
        y[index.reshape(-1)] = v.reshape(-1)
    return y.reshape(x.shape)


def _np_masked_scatter(x, m, v):
    y = np.array(np.broadcast_to(x, np.broadcast_shapes(x.shape, m.shape)))
    mb = np.broadcast_to(m, y.shape)
    y[mb] = v.reshape(-1)[:mb.sum()]
    return y


def _with_zeros(shape_x, shape_s, *consts):
    """x, then src with some exact zeros (prod's special cases), then constants."""
    def inputs(rng, dt):
        x = rng.standard_normal(shape_x).astype(dt)
        s = rng.standard_normal(shape_s).astype(dt)
        s.flat[::3] = 0
        x.flat[1] = 0
        return (x, s) + tuple(np.array(c) for c in consts)
    return inputs


def _scatter_inputs(*consts):
    """x (3, 4), src (3, 5), then constant arrays."""
    return lambda rng, dt: _xs((3, 4), (3, 5))(rng, dt) + tuple(np.array(c) for c in consts)


_SIDX = [[0, 2], [3, 1], [1, 0]]  # no repeats within a row: scatter's gradient is exact
_RIDX = [[0, 2, 0], [3, 3, 3], [1, 2, 1]]  # repeats: reductions combine several values
_PUT_REPEATS = np.array([[1, -5], [0, 1]])


def _scatter_with_reduce(x, s, i):
    """scatter's deprecated reduce= form (its deprecation warning silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return x.scatter(1, i, s, reduce="add"), x.scatter(1, i, s, reduce="multiply")


_IDX = np.array([2, 0, 2])  # repeated: gradients must accumulate

OPS = [
    # ----- __getitem__: basic (views)
    OpInfo("getitem_int", lambda x: x[1], lambda x: x[1], _x(3, 2), covers=["select"]),
    OpInfo("getitem_ints", lambda x: (x[-1, 0], x[0][1]), lambda x: (x[-1, 0], x[0][1]), _x(2, 3)),
    OpInfo("getitem_slice", lambda x: x[1:, ::2], lambda x: x[1:, ::2], _x(3, 3),
           covers=["slice", "slice_backward"]),
    OpInfo("getitem_none_ellipsis", lambda x: (x[None, ..., 1], x[..., None, :1], x[...]),
           lambda x: (x[None, ..., 1], x[..., None, :1], x[...]), _x(2, 2, 2)),
    # ----- __getitem__: advanced (copies)
    OpInfo("getitem_list", lambda x: x[[2, 0, 2]], lambda x: x[[2, 0, 2]], _x(3, 2), covers=["index"]),
    OpInfo("getitem_tensor", lambda x, i: x[:, i], lambda x, i: x[:, i], _with((2, 3), _IDX)),
    OpInfo("getitem_2d_index", lambda x, i: x[i], lambda x, i: x[i], _with((3, 2), [[0, 1], [1, 1]])),
    OpInfo("getitem_adjacent", lambda x: x[:, [0, 1], [1, 1]], lambda x: x[:, [0, 1], [1, 1]],
           _x(2, 2, 3)),
    OpInfo("getitem_nonadjacent", lambda x: x[[0, 1, 1], :, [2, 0, 0]],
           lambda x: x[[0, 1, 1], :, [2, 0, 0]], _x(2, 2, 3)),
    OpInfo("getitem_int_and_array", lambda x: x[1, :, [0, 2]], lambda x: x[1][:, [0, 2]], _x(2, 2, 3)),
    OpInfo("getitem_mask", lambda x, m: x[m], lambda x, m: x[m],
           _with((2, 3), [[True, False, True], [False, False, True]])),
    OpInfo("getitem_mask_dim1", lambda x, m: x[:, m], lambda x, m: x[:, m],
           _with((2, 3), [True, False, True])),
    OpInfo("getitem_bool_scalar", lambda x: x[True], lambda x: x[None], _x(2)),
    # ----- __setitem__ / index_put
    OpInfo("setitem_basic", lambda x, v: _setitem(x, (slice(None), 1), v),
           lambda x, v: _np_setitem(x, (slice(None), 1), v), _xs((2, 3), (2,)), covers=["index_put"]),
    OpInfo("setitem_scalar", lambda x: _setitem(x, (0, slice(1, None)), 5.0),
           lambda x: _np_setitem(x, (0, slice(1, None)), 5.0), _x(2, 3), covers=["index_put"]),
    OpInfo("setitem_advanced", lambda x, v: _setitem(x, ([0, 2],), v),
           lambda x, v: _np_setitem(x, ([0, 2],), v), _xs((3, 2), (2, 1)), covers=["index_put"]),
    OpInfo("setitem_mask", lambda x, v, m: _setitem(x, m, v), lambda x, v, m: _np_setitem(x, m, v),
           lambda rng, dt: _xs((2, 3), ())(rng, dt) + (np.array([[1, 0, 0], [0, 1, 1]], bool),),
           covers=["index_put"]),
    OpInfo("setitem_nonadjacent", lambda x, v: _setitem(x, ([1, 0], slice(None), [0, 2]), v),
           lambda x, v: _np_setitem(x, ([1, 0], slice(None), [0, 2]), v), _xs((2, 2, 3), (2, 1)),
           covers=["index_put"]),
    OpInfo("index_put", lambda x, v, i: ng.index_put(x, (i,), v), lambda x, v, i: _np_setitem(x, i, v),
           lambda rng, dt: _xs((3, 2), (2, 2))(rng, dt) + (np.array([2, 0]),)),
    OpInfo("index_put_accumulate", lambda x, v: ng.index_put(x, (ng.tensor(_IDX),), v, accumulate=True),
           lambda x, v: _np_setitem(x, _IDX, v, add=True), _xs((3, 2), (3, 2)), covers=["index_put"]),
    OpInfo("index_put_inplace", lambda x, v: x.clone().index_put_((ng.tensor([1]),), v),
           lambda x, v: _np_setitem(x, [1], v), _xs((2, 2), (2,)), covers=["index_put"]),
    # ----- named indexing ops
    OpInfo("index_select", lambda x: x.index_select(1, ng.tensor(_IDX)), lambda x: x[:, _IDX],
           _x(2, 3), covers=["index"]),
    OpInfo("gather", lambda x, i: ng.gather(x, 1, i), lambda x, i: np.take_along_axis(x, i, 1),
           _with((2, 3), [[0, 2, 2], [1, 1, 0]]), covers=["index"]),
    OpInfo("gather_smaller_index", lambda x, i: x.gather(0, i),
           lambda x, i: np.take_along_axis(x[:, :1], i, 0), _with((3, 2), [[2], [2]]),
           covers=["index"]),
    OpInfo("masked_fill", lambda x, m: x.masked_fill(m, -1.0), lambda x, m: np.where(m, -1.0, x),
           _with((2, 3), [True, False, True]), covers=["where"]),
    OpInfo("masked_fill_tensor_value", lambda x, v, m: ng.masked_fill(x, m, v),
           lambda x, v, m: np.where(m, v, x),
           lambda rng, dt: _xs((2, 2), ())(rng, dt) + (np.array([[1, 0], [1, 1]], bool),),
           covers=["where"]),
    OpInfo("masked_select", lambda x, m: (ng.masked_select(x, m), x[:1].masked_select(m)),
           lambda x, m: (x[m], np.broadcast_to(x[:1], m.shape)[m]),
           _with((2, 3), [[True, False, True], [False, False, True]]),
           covers=["index"]),
    OpInfo("masked_select_broadcast_mask", ng.masked_select, lambda x, m: x[:, m].reshape(-1),
           _with((2, 3), [True, False, True]), covers=["index"]),
    OpInfo("tril", lambda x: (x.tril(), ng.tril(x, -1)), lambda x: (np.tril(x), np.tril(x, -1)),
           _x(2, 3, 3)),
    OpInfo("triu", lambda x: (x.triu(1), ng.triu(x)), lambda x: (np.triu(x, 1), np.triu(x)), _x(3, 2)),
    OpInfo("diagonal", lambda x: (x.diagonal(), ng.diagonal(x, 1, 2, 0), x.diagonal(-1, -1, 1)),
           lambda x: (np.diagonal(x), np.diagonal(x, 1, 2, 0), np.diagonal(x, -1, -1, 1)),
           _x(2, 3, 3), covers=["diagonal", "diag_embed"]),
    OpInfo("diag_matrix", lambda x: (x.diag(), ng.diag(x, -1)), lambda x: (np.diag(x), np.diag(x, -1)),
           _x(3, 2), covers=["diagonal"]),
    OpInfo("diag_vector", lambda x: (ng.diag(x), x.diag(1)), lambda x: (np.diag(x), np.diag(x, 1)),
           _x(2), covers=["diag_embed"]),
    OpInfo("diag_embed", lambda x: (ng.diag_embed(x), x.diag_embed(-1, 0, 2)),
           lambda x: (np.stack([np.diag(r) for r in x]),
                      np.stack([np.diag(r, -1) for r in x], 1)),
           _x(2, 2), covers=["diag_embed"]),
    # ----- scatter family
    OpInfo("scatter", lambda x, s, i: x.scatter(1, i, s),
           lambda x, s, i: np_scatter_reduce(x, 1, i, s, "copy"), _scatter_inputs(_SIDX)),
    OpInfo("scatter_value", lambda x, i: (ng.scatter(x, 0, i, 2.5), x.scatter(-1, i, value=-1.0)),
           lambda x, i: (np_scatter_reduce(x, 0, i, np.full(i.shape, 2.5), "copy"),
                         np_scatter_reduce(x, 1, i, np.full(i.shape, -1.0), "copy")),
           _with((4, 4), [[0, 2], [3, 1], [1, 0]]), covers=["scatter"]),
    OpInfo("scatter_reduce_arg", _scatter_with_reduce,
           lambda x, s, i: (np_scatter_reduce(x, 1, i, s, "sum"), np_scatter_reduce(x, 1, i, s, "prod")),
           _scatter_inputs(_RIDX), covers=["scatter_reduce"]),
    OpInfo("scatter_add", lambda x, s, i: (x.scatter_add(1, i, s), ng.scatter_add(x, -1, i, s)),
           lambda x, s, i: (np_scatter_reduce(x, 1, i, s, "sum"),) * 2, _scatter_inputs(_RIDX)),
    OpInfo("scatter_add_dim0", lambda x, s, i: x.scatter_add(0, i, s),
           lambda x, s, i: np_scatter_reduce(x, 0, i, s, "sum"),
           lambda rng, dt: _xs((3, 2), (4, 2))(rng, dt) + (np.array([[2, 0], [0, 0], [2, 1]]),),
           covers=["scatter_add"]),
    *[OpInfo(f"scatter_reduce_{r}{'' if inc else '_exclude_self'}",
             lambda x, s, i, r=r, inc=inc: x.scatter_reduce(1, i, s, r, include_self=inc),
             lambda x, s, i, r=r, inc=inc: np_scatter_reduce(x, 1, i, s, r, inc),
             _scatter_inputs(_RIDX), covers=["scatter_reduce"])
      for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    OpInfo("scatter_reduce_prod_zeros",
           lambda x, s, i: (x.scatter_reduce(1, i, s, "prod"),
                            x.scatter_reduce(1, i, s, "prod", include_self=False)),
           lambda x, s, i: (np_scatter_reduce(x, 1, i, s, "prod"),
                            np_scatter_reduce(x, 1, i, s, "prod", False)),
           _with_zeros((3, 4), (3, 3), _RIDX), covers=["scatter_reduce"]),
    OpInfo("index_add", lambda x, s, i: (x.index_add(1, i, s), ng.index_add(x, 1, i, s, alpha=-2.0)),
           lambda x, s, i: (np_index_reduce(x, 1, i, s, "sum"), np_index_reduce(x, 1, i, -2 * s, "sum")),
           lambda rng, dt: _xs((2, 4), (2, 3))(rng, dt) + (_IDX,)),
    OpInfo("index_add_dim0", lambda x, s, i: x.index_add(0, i, s),
           lambda x, s, i: np_index_reduce(x, 0, i, s, "sum"),
           lambda rng, dt: _xs((3, 2), (3, 2))(rng, dt) + (_IDX,), covers=["index_add"]),
    OpInfo("index_copy", lambda x, s, i: x.index_copy(-1, i, s),
           lambda x, s, i: np_index_reduce(x, 1, i, s, "copy"),
           lambda rng, dt: _xs((2, 4), (2, 2))(rng, dt) + (np.array([3, 0]),)),
    OpInfo("index_fill", lambda x, i: (x.index_fill(1, i, 0.5), ng.index_fill(x, 0, i[:1], -1.0)),
           lambda x, i: (_np_setitem(x, (slice(None), [2, 0]), 0.5), _np_setitem(x, 2, -1.0)),
           _with((3, 3), [-1, 0])),
    OpInfo("index_fill_tensor_value", lambda x, v, i: x.index_fill(0, i, v),
           lambda x, v, i: _np_setitem(x, [2, 0], v), _with_tensor_value((3, 2), [2, 0]),
           covers=["index_fill"]),
    *[OpInfo(f"index_reduce_{r}", lambda x, s, i, r=r: (x.index_reduce(1, i, s, r),
                                                         x.index_reduce(1, i, s, r, include_self=False)),
             lambda x, s, i, r=r: (np_index_reduce(x, 1, i, s, r), np_index_reduce(x, 1, i, s, r, False)),
             lambda rng, dt: _xs((2, 4), (2, 3))(rng, dt) + (_IDX,), covers=["index_reduce"])
      for r in ("prod", "mean", "amax", "amin")],
    OpInfo("masked_scatter", lambda x, s, m: (x.masked_scatter(m, s), ng.masked_scatter(x[0], m, s)),
           lambda x, s, m: (_np_masked_scatter(x, m, s), _np_masked_scatter(x[0], m, s)),
           lambda rng, dt: _xs((2, 3), (7,))(rng, dt) + (np.array([True, False, True]),)),
    OpInfo("put", lambda x, s, i: (x.put(i, s), ng.put(x, ng.tensor(_PUT_REPEATS), s, accumulate=True)),
           lambda x, s, i: (_np_put(x, i % 6, s, False), _np_put(x, _PUT_REPEATS, s, True)),
           lambda rng, dt: _xs((2, 3), (2, 2))(rng, dt) + (np.array([[5, -2], [0, 2]]),)),
    # an identity whose derivative raises (tests/test_scatter.py checks the error)
    OpInfo("scatter_reduce_prod_no_double_backward",
           lambda x: apply(I.NO_DOUBLE_BACKWARD, (x,)), lambda x: x, _xs((2, 3)), grad=False),
]
