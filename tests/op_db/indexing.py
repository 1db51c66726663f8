"""OpInfo entries for numgrad/oplib/indexing.py (__getitem__, __setitem__ and indexing ops)."""
from __future__ import annotations

import numpy as np

import numgrad as ng
from tests.op_db import OpInfo


def _x(*shape):
    return lambda rng, dt: (rng.standard_normal(shape).astype(dt),)


def _xs(*shapes):
    return lambda rng, dt: tuple(rng.standard_normal(s).astype(dt) for s in shapes)


def _with(*consts):
    """Inputs: a float array of shape consts[0], then the constant arrays consts[1:]."""
    return lambda rng, dt: (rng.standard_normal(consts[0]).astype(dt),) + tuple(
        np.array(c) for c in consts[1:])


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
]
