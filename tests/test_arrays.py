"""numgrad/oplib/arrays.py: values against numpy / scipy, dtypes, views, PyTorch's error
messages and warnings, gradients (reverse, forward, batched, second order), and an
optional comparison with torch."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid as sp_cumulative_trapezoid

import numgrad as ng
from numgrad.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
A23 = RNG.standard_normal((2, 3))
A34 = RNG.standard_normal((3, 4))
A234 = RNG.standard_normal((2, 3, 4))
V3 = RNG.standard_normal(3)
V4 = RNG.standard_normal(4)
I23 = np.array([[0, -1], [5, 2]])


def T(a) -> ng.Tensor:
    return ng.tensor(a)


def _np_trapezoid(y, x=None, dx=1.0, axis=-1):
    f = getattr(np, "trapezoid", None) or np.trapz
    return f(y, x, dx=dx, axis=axis)


def _np_block_diag(*ms):
    ms = [np.atleast_2d(m) for m in ms]
    out = np.zeros((sum(m.shape[0] for m in ms), sum(m.shape[1] for m in ms)))
    r = c = 0
    for m in ms:
        out[r:r + m.shape[0], c:c + m.shape[1]] = m
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _np_repeat_tensor(x, reps, axis):
    return np.repeat(x, reps, axis)


# (id, numgrad function of tensors, numpy function of arrays, inputs)
VALUE_CASES = [
    ("meshgrid_ij", lambda a, b: ng.meshgrid(a, b, indexing="ij"),
     lambda a, b: np.meshgrid(a, b, indexing="ij"), (V3, V4)),
    ("meshgrid_xy3", lambda a, b, c: ng.meshgrid([a, b, c], indexing="xy"),
     lambda a, b, c: np.meshgrid(a, b, c, indexing="xy"), (V3, V4, V3[:2])),
    ("meshgrid_0d", lambda a, b: ng.meshgrid(a, b, indexing="xy"),
     lambda a, b: np.meshgrid(a, b, indexing="xy"), (np.array(2.0), V3)),
    ("kron_2d_1d", ng.kron, np.kron, (A23, V4)),
    ("kron_3d_2d", ng.kron, np.kron, (A234[:, :, :2], A23)),
    ("kron_0d", ng.kron, np.kron, (np.array(3.0), A23)),
    ("diff", lambda x: ng.diff(x), np.diff, (A234,)),
    ("diff_n2_dim0", lambda x: x.diff(2, 0), lambda x: np.diff(x, 2, 0), (A34,)),
    ("diff_big_n", lambda x: ng.diff(x, 5), lambda x: np.diff(x, 5), (V4,)),
    ("diff_n0", lambda x: ng.diff(x, 0), lambda x: np.diff(x, 0), (V4,)),
    ("diff_prepend_append", lambda x, p, a: ng.diff(x, 2, 1, prepend=p, append=a),
     lambda x, p, a: np.diff(x, 2, 1, prepend=p, append=a), (A23, A23[:, :1], A23)),
    ("atleast_1d", lambda a, b: ng.atleast_1d(a, b), lambda a, b: np.atleast_1d(a, b),
     (np.array(1.0), V3)),
    ("atleast_2d", lambda a, b, c: ng.atleast_2d([a, b, c]), lambda a, b, c: np.atleast_2d(a, b, c),
     (np.array(1.0), V3, A234)),
    ("atleast_3d", lambda a, b, c, d: ng.atleast_3d(a, b, c, d),
     lambda a, b, c, d: np.atleast_3d(a, b, c, d), (np.array(1.0), V3, A23, A234)),
    ("hstack", lambda a, b: ng.hstack([a, b]), lambda a, b: np.hstack([a, b]), (A23, A23[:, :1])),
    ("hstack_1d", lambda a, b: ng.hstack((a, b)), lambda a, b: np.hstack((a, b)), (V3, V4)),
    ("vstack", lambda a, b: ng.vstack([a, b]), lambda a, b: np.vstack([a, b]), (V3, A23)),
    ("dstack", lambda a, b: ng.dstack([a, b]), lambda a, b: np.dstack([a, b]), (A23, A23)),
    ("column_stack", lambda a, b, c: ng.column_stack([a, b, c]),
     lambda a, b, c: np.column_stack([a, b, c]), (V3, A34, V3)),
    ("rot90", lambda x: [ng.rot90(x, k) for k in range(-1, 6)],
     lambda x: [np.rot90(x, k) for k in range(-1, 6)], (A234,)),
    ("rot90_dims", lambda x: x.rot90(1, [2, 0]), lambda x: np.rot90(x, 1, (2, 0)), (A234,)),
    ("fliplr_flipud", lambda x: (x.fliplr(), ng.flipud(x)),
     lambda x: (np.fliplr(x), np.flipud(x)), (A234,)),
    ("moveaxis", lambda x: ng.moveaxis(x, (0, 1), (-1, 0)),
     lambda x: np.moveaxis(x, (0, 1), (-1, 0)), (A234,)),
    ("unflatten", lambda x: x.unflatten(-1, (2, -1)), lambda x: x.reshape(2, 3, 2, 2), (A234,)),
    ("repeat_interleave", lambda x: ng.repeat_interleave(x, 2), lambda x: np.repeat(x, 2), (A23,)),
    ("repeat_interleave_dim", lambda x: x.repeat_interleave(3, dim=-1),
     lambda x: np.repeat(x, 3, -1), (A23,)),
    ("repeat_interleave_tensor", lambda x: x.repeat_interleave(T([1, 0, 2]), 1),
     lambda x: np.repeat(x, [1, 0, 2], 1), (A23,)),
    ("repeat_interleave_one", lambda x: ng.repeat_interleave(x, T([2]), dim=0),
     lambda x: np.repeat(x, 2, 0), (A23,)),
    ("take", lambda x: ng.take(x, T(I23)), lambda x: np.take(x, I23), (A23,)),
    ("take_0d_index", lambda x: x.take(T(4)), lambda x: np.take(x, 4), (A23,)),
    ("take_along_dim", lambda x: ng.take_along_dim(x, T([[0, 2, 1, 1]]), 1),
     lambda x: np.take_along_axis(x, np.broadcast_to([[0, 2, 1, 1]], (2, 4)), 1), (A23,)),
    ("take_along_dim_none", lambda x: x.take_along_dim(T([[1, 4]])),
     lambda x: np.take_along_axis(x.reshape(-1), np.array([1, 4]), 0), (A23,)),
    ("take_along_dim_negative", lambda x: ng.take_along_dim(x, T([[-1], [0]]), 1),
     lambda x: np.take_along_axis(x, np.array([[-1], [0]]), 1), (A23,)),
    ("tensor_split_sections", lambda x: ng.tensor_split(x, 3, dim=1),
     lambda x: np.array_split(x, 3, 1), (RNG.standard_normal((2, 7)),)),
    ("tensor_split_indices", lambda x: x.tensor_split([1, 5, 3, 10, -1]),
     lambda x: np.array_split(x, [1, 5, 3, 10, 6]), (RNG.standard_normal(7),)),
    ("tensor_split_tensor", lambda x: ng.tensor_split(x, T([2, 4]), 0),
     lambda x: np.array_split(x, [2, 4]), (RNG.standard_normal(7),)),
    ("hsplit_vsplit_dsplit",
     lambda x: (x.hsplit(3), ng.vsplit(x, [1]), x.dsplit([1, 3]), ng.hsplit(x[0, 0], 2)),
     lambda x: (np.hsplit(x, 3), np.vsplit(x, [1]), np.dsplit(x, [1, 3]), np.hsplit(x[0, 0], 2)),
     (A234,)),
    ("broadcast_tensors", lambda a, b, c: ng.broadcast_tensors(a, b, c),
     lambda a, b, c: np.broadcast_arrays(a, b, c), (A23[:, :1], V3, np.array(1.0))),
    ("block_diag", lambda a, b, c, d: ng.block_diag(a, b, c, d),
     _np_block_diag, (A23, np.array(5.0), V4, A34)),
    ("cartesian_prod", lambda a, b, c: ng.cartesian_prod(a, b, c),
     lambda a, b, c: np.stack([g.ravel() for g in np.meshgrid(a, b, c, indexing="ij")], 1),
     (V3, V4, V3[:2])),
    ("combinations", lambda x: (ng.combinations(x), ng.combinations(x, 3),
                                ng.combinations(x, 2, with_replacement=True)),
     lambda x: (x[[[i, j] for i in range(4) for j in range(i + 1, 4)]],
                x[[[i, j, k] for i in range(4) for j in range(i + 1, 4) for k in range(j + 1, 4)]],
                x[[[i, j] for i in range(4) for j in range(i, 4)]]), (V4,)),
    ("tensordot", lambda a, b: ng.tensordot(a, b), lambda a, b: np.tensordot(a, b),
     (A234, RNG.standard_normal((3, 4, 5)))),
    ("tensordot_lists", lambda a, b: ng.tensordot(a, b, ([0, 2], [2, 0])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 0])), (A234, RNG.standard_normal((4, 5, 2)))),
    ("tensordot_0", lambda a, b: ng.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
     (A23, V4)),
    ("inner", ng.inner, np.inner, (A234, RNG.standard_normal((5, 4)))),
    ("inner_1d", lambda a, b: a.inner(b), np.inner, (V3, V3)),
    ("inner_0d", ng.inner, np.inner, (np.array(2.0), A23)),
    ("vdot", ng.vdot, np.vdot, (V3, V3[::-1].copy())),
    ("mv", lambda m, v: m.mv(v), np.matmul, (A34, V4)),
    ("addmm", lambda i, a, b: ng.addmm(i, a, b), lambda i, a, b: i + a @ b, (V4, A23, A34)),
    ("addmm_scaled", lambda i, a, b: i.addmm(a, b, beta=0.5, alpha=-2),
     lambda i, a, b: 0.5 * i + -2 * (a @ b), (A23[:, :1] @ V4[None], A23, A34)),
    ("addmm_beta0", lambda i, a, b: ng.addmm(i, a, b, beta=0),
     lambda i, a, b: a @ b, (np.full(4, np.nan), A23, A34)),
    ("addmv", lambda i, m, v: ng.addmv(i, m, v, beta=2, alpha=3),
     lambda i, m, v: 2 * i + 3 * (m @ v), (V3, A34, V4)),
    ("baddbmm", lambda i, a, b: ng.baddbmm(i, a, b, beta=0.5, alpha=2),
     lambda i, a, b: 0.5 * i + 2 * (a @ b), (A34[:1], RNG.standard_normal((5, 2, 3)),
                                             RNG.standard_normal((5, 3, 4)))),
    ("cross", lambda a, b: ng.cross(a, b, dim=-1), np.cross, (A234[:, :, :3], A234[:, :, 1:])),
    ("cross_dim0_broadcast", lambda a, b: a.cross(b, 0),
     lambda a, b: np.cross(a, b, axis=0), (A34[:, :1], A34)),
    ("trapezoid", lambda y: ng.trapezoid(y), _np_trapezoid, (A234,)),
    ("trapezoid_dx", lambda y: ng.trapezoid(y, dx=0.3, dim=1),
     lambda y: _np_trapezoid(y, dx=0.3, axis=1), (A234,)),
    ("trapezoid_x1d", lambda y, x: ng.trapezoid(y, x, dim=0),
     lambda y, x: _np_trapezoid(y, x, axis=0), (A34, np.sort(V3))),
    ("trapezoid_x_same", lambda y, x: ng.trapz(y, x), lambda y, x: _np_trapezoid(y, x),
     (A23, np.sort(A23, 1))),
    ("trapezoid_x_padded", lambda y, x: ng.trapezoid(y, x), lambda y, x: _np_trapezoid(y, x),
     (A234, np.sort(RNG.standard_normal((3, 4)), 1))),
    ("trapezoid_one_sample", lambda y: ng.trapezoid(y), _np_trapezoid, (A23[:, :1],)),
    ("cumulative_trapezoid", lambda y: ng.cumulative_trapezoid(y),
     lambda y: sp_cumulative_trapezoid(y), (A234,)),
    ("cumulative_trapezoid_dx", lambda y: ng.cumulative_trapezoid(y, dx=2.5, dim=0),
     lambda y: sp_cumulative_trapezoid(y, dx=2.5, axis=0), (A234,)),
    ("cumulative_trapezoid_x", lambda y, x: ng.cumulative_trapezoid(y, x, dim=1),
     lambda y, x: sp_cumulative_trapezoid(y, x, axis=1), (A234, np.sort(V3))),
    ("chain_matmul", lambda a, b, c, d: ng.chain_matmul(a, b, c, d),
     lambda a, b, c, d: a @ b @ c @ d, (A23, A34, A34.T.copy(), A34)),
    ("chain_matmul_one", lambda a: ng.chain_matmul(a), lambda a: a, (A23,)),
    ("adjoint", lambda x: (ng.adjoint(x), x.adjoint()),
     lambda x: (np.swapaxes(x, -1, -2),) * 2, (A234,)),
]


def _flat(res):
    if isinstance(res, (tuple, list)):
        return [y for r in res for y in _flat(r)]
    return [res]


@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
@pytest.mark.parametrize("fn,ref,inputs", [c[1:] for c in VALUE_CASES],
                         ids=[c[0] for c in VALUE_CASES])
def test_values_match_numpy(fn, ref, inputs):
    got = _flat(fn(*[ng.tensor(a) for a in inputs]))
    want = _flat(ref(*inputs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert isinstance(g, ng.Tensor)
        assert g.shape == np.shape(w)
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-12, atol=1e-12)


def test_repeat_interleave_counts_only():
    out = ng.repeat_interleave(T([1, 2, 3]))
    assert out.dtype == np.int64 and out.tolist() == [0, 1, 1, 2, 2, 2]


def test_logspace():
    np.testing.assert_allclose(ng.logspace(0, 2, 5).numpy(), np.logspace(0, 2, 5), rtol=1e-6)
    assert ng.logspace(0, 2, 5).dtype == np.float32
    assert ng.logspace(0, 2, 5, base=2, dtype=ng.float64).tolist() == list(np.logspace(0, 2, 5, base=2))
    assert ng.logspace(0, 2, 5, dtype=ng.int64).tolist() == [1, 3, 10, 31, 100]
    assert ng.logspace(T(0.0), T(2.0), 3).tolist() == [1.0, 10.0, 100.0]
    assert ng.logspace(1, 2, 0).shape == (0,)
    assert ng.logspace(0, 1, 3, requires_grad=True).requires_grad


def test_dtypes():
    i = T([[1, 2], [3, 4]])
    f = ng.ones(2)
    assert ng.kron(i, f).dtype == np.float32
    assert ng.kron(i, T(np.array([1, 2], dtype=np.int32))).dtype == np.int64
    assert ng.kron(T([True, False]), T([True])).dtype == np.bool_
    assert ng.diff(T([1, 5, 2])).tolist() == [4, -3]
    assert ng.diff(T([True, False, False])).tolist() == [True, False]
    assert ng.diff(ng.ones(3), prepend=T([1])).dtype == np.float32
    assert ng.hstack([T(1.0), T(2)]).dtype == np.float32
    assert ng.block_diag(T([1, 2]), T([[3]])).dtype == np.int64
    assert ng.block_diag(T([1, 2]), ng.ones(1, 1)).dtype == np.float32
    assert ng.block_diag().shape == (1, 0)
    assert ng.trapezoid(T([1, 2, 4])).dtype == np.float32
    assert ng.trapezoid(T([1, 2, 4])).item() == 4.5
    assert ng.trapezoid(T([1, 2, 4]), T([0, 1, 3])).item() == 7.5
    assert ng.trapezoid(T([1, 2, 4]), T([0.0, 1, 3]).double()).dtype == np.float64
    assert ng.trapezoid(ng.ones(2, 0)).tolist() == [0.0, 0.0]
    assert ng.cumulative_trapezoid(T([1, 2, 4])).tolist() == [1.5, 4.5]
    assert ng.cumulative_trapezoid(ng.ones(2, 0)).shape == (2, 0)
    assert ng.tensordot(T([[1, 2]]), T([3, 4]), 1).tolist() == [11]
    assert ng.inner(T(2.0), T(3)).dtype == np.float32
    assert ng.cross(T([1, 0, 0]), T([0, 1, 0]), dim=0).tolist() == [0, 0, 1]
    x = ng.ones(3, dtype=ng.float64)
    assert ng.combinations(x, 0).shape == (0,) and ng.combinations(x, 4).shape == (0, 4)
    assert ng.combinations(ng.ones(0), 2).shape == (0, 2)
    assert ng.meshgrid(ng.ones(0), ng.ones(2), indexing="ij")[0].shape == (0, 2)
    assert ng.broadcast_shapes() == () and ng.broadcast_shapes((0,), (1,)) == (0,)
    assert ng.broadcast_shapes((2,), (3, 1), (1, 1, 1)) == (1, 3, 2)


def test_views_and_identity():
    x = ng.arange(12.0).reshape(3, 4)
    for out in (*ng.meshgrid(x[0], x[1], indexing="xy"), *ng.tensor_split(x, 3, 1),
                x.unflatten(1, (2, 2)), x.adjoint(), ng.atleast_3d(x), *x.hsplit([1])):
        assert out._base is x._base  # x is itself a view (of arange's result)
    a = ng.ones(3)
    assert ng.atleast_1d(a) is a and ng.broadcast_tensors(a)[0] is a and ng.cartesian_prod(a) is a
    y = ng.ones(1, 3)
    r = ng.repeat_interleave(y, 1, 0)
    r[0, 0] = 5.0  # a fresh tensor, even where the result could alias the input
    assert y[0, 0].item() == 1.0
    r = ng.repeat_interleave(ng.ones(1), 4)
    r[0] = 2.0
    assert r.tolist() == [2.0, 1.0, 1.0, 1.0]


def test_warnings():
    a, b = ng.ones(2), ng.ones(3)
    with pytest.warns(UserWarning, match="torch.meshgrid: in an upcoming release, it will be "
                                         "required to pass the indexing argument."):
        ng.meshgrid(a, b)
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is "
                                         "deprecated."):
        out = ng.cross(ng.ones(2, 3), ng.ones(2, 3))
    assert out.shape == (2, 3)
    with pytest.warns(UserWarning, match="torch.chain_matmul is deprecated"):
        ng.chain_matmul(ng.ones(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ng.meshgrid(a, b, indexing="ij")
        ng.cross(ng.ones(3), ng.ones(3), 0)


X23 = ng.ones(2, 3)
ERROR_CASES = [
    (lambda: ng.meshgrid(ng.ones(2, 2), indexing="ij"), RuntimeError,
     "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got:"),
    (lambda: ng.meshgrid(ng.ones(2), ng.ones(2, dtype=ng.float64), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda: ng.meshgrid(ng.ones(2), indexing="foo"), RuntimeError,
     'torch.meshgrid: indexing must be one of "xy" or "ij", but received: foo'),
    (lambda: ng.meshgrid(indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList"),
    (lambda: ng.diff(T(1.0)), RuntimeError, "diff expects input to be at least one-dimensional"),
    (lambda: ng.diff(ng.ones(3), n=-1), RuntimeError, "order must be non-negative but got -1"),
    (lambda: ng.diff(X23, prepend=ng.ones(3)), RuntimeError,
     "diff expects prepend or append to be the same dimension as input"),
    (lambda: ng.diff(X23, prepend=ng.ones(3, 3)), RuntimeError,
     "diff expects the shape of tensor to prepend or append to match that of input except along "
     "the differencing dimension; input.size(0) = 2, but got tensor.size(0) = 3"),
    (lambda: ng.diff(ng.ones(3), prepend=1.0), TypeError,
     "diff(): argument 'prepend' must be Tensor, not float"),
    (lambda: ng.diff(ng.ones(3), dim=1), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    (lambda: ng.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda: ng.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
    (lambda: ng.dstack([]), RuntimeError, "dstack expects a non-empty TensorList"),
    (lambda: ng.column_stack([]), RuntimeError, "column_stack expects a non-empty TensorList"),
    (lambda: ng.hstack(ng.ones(2)), TypeError,
     "hstack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"),
    (lambda: ng.hstack([ng.ones(2, 2), ng.ones(3, 2)]), RuntimeError,
     "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 for "
     "tensor number 1 in the list."),
    (lambda: ng.rot90(ng.ones(3)), RuntimeError, "expected total dims >= 2, but got total dims = 1"),
    (lambda: ng.rot90(X23, 1, [0, 1, 2]), RuntimeError,
     "expected total rotation dims == 2, but got dims = 3"),
    (lambda: ng.rot90(X23, 1, [0, 0]), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = 0"),
    (lambda: ng.rot90(X23, 1, [0, -2]), RuntimeError,
     "expected rotation dims to be different, but got dim0 = 0 and dim1 = -2"),
    (lambda: ng.rot90(X23, 1, [0, 2]), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: ng.fliplr(ng.ones(3)), RuntimeError, "Input must be >= 2-d."),
    (lambda: ng.flipud(T(1.0)), RuntimeError, "Input must be >= 1-d."),
    (lambda: ng.unflatten(ng.ones(2, 6), -1, (4, 2)), RuntimeError,
     "unflatten: Provided sizes [4, 2] don't multiply up to the size of dim 1 (6) in the input tensor"),
    (lambda: ng.unflatten(ng.ones(2, 6), 1, (4, -1)), RuntimeError,
     "unflatten: Provided sizes [4, -1] don't multiply up to the size of dim 1 (6) in the input tensor"),
    (lambda: ng.unflatten(ng.ones(2, 6), 1, ()), RuntimeError, "unflatten: sizes must be non-empty"),
    (lambda: ng.unflatten(ng.ones(2, 6), 1, (-1, -1)), RuntimeError,
     "unflatten got an unexpected error:\nonly one dimension can be inferred"),
    (lambda: ng.repeat_interleave(X23, -1, dim=1), RuntimeError, "Repeats must be non-negative"),
    (lambda: ng.repeat_interleave(X23, T([1, 2]), dim=1), RuntimeError,
     "repeats must have the same size as input along dim, but got repeats.size(0) = 2 and "
     "input.size(1) = 3"),
    (lambda: ng.repeat_interleave(X23, T([[1, 2]]), dim=1), RuntimeError,
     "repeats must be 0-dim or 1-dim tensor"),
    (lambda: ng.repeat_interleave(X23, T([1, -2, 1]), dim=1), RuntimeError,
     "repeats can not be negative"),
    (lambda: ng.repeat_interleave(X23, T([1.0, 2.0, 1.0]), dim=1), NotImplementedError,
     "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    (lambda: ng.repeat_interleave(T([[1, 2]])), RuntimeError,
     "repeat_interleave only accept 1D vector as repeat"),
    (lambda: ng.repeat_interleave(X23, T([1, 2, 0]), dim=1, output_size=4), RuntimeError,
     "allocated size does not match required size"),
    (lambda: ng.take(X23, T([6])), IndexError,
     "out of range: tried to access index 6 on a tensor of 6 elements."),
    (lambda: ng.take(X23, T([-7])), IndexError,
     "out of range: tried to access index -7 on a tensor of 6 elements."),
    (lambda: ng.take(X23, T(np.array([1], dtype=np.int32))), RuntimeError,
     "take(): Expected a long tensor for index, but got Int"),
    (lambda: ng.take(X23, [1]), TypeError,
     "take(): argument 'index' (position 2) must be Tensor, not list"),
    (lambda: ng.take_along_dim(X23, T([0]), dim=1), RuntimeError,
     "torch.take_along_dim(): input and indices should have the same number of dimensions, but "
     "got 2 dimensions for input, and 1 dimensions for indices"),
    (lambda: ng.take_along_dim(X23, T(np.array([[0]], dtype=np.int32)), dim=1), RuntimeError,
     "torch.take_along_dim(): dtype of indices should be Long but got Int"),
    (lambda: ng.take_along_dim(X23, T([[0, 1]]), dim=0), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    (lambda: ng.take_along_dim(X23, T([[1, -1]])), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 6"),
    (lambda: ng.tensor_split(ng.ones(3), 0), RuntimeError,
     "number of sections must be larger than 0, got 0"),
    (lambda: ng.tensor_split(T(1.0), 2), RuntimeError,
     "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"),
    (lambda: ng.tensor_split(ng.ones(7), T([2.0, 4.0])), RuntimeError,
     "tensor_split expected tensor_indices_or_sections to have dtype of long, but got Float"),
    (lambda: ng.tensor_split(ng.ones(7), T([[2, 4]])), RuntimeError,
     "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
     "one-dimensional tensor, but got a tensor with 2 dims"),
    (lambda: ng.hsplit(T(1.0), 2), RuntimeError,
     "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions!"),
    (lambda: ng.hsplit(X23, 2), RuntimeError,
     "torch.hsplit attempted to split along dimension 1, but the size of the dimension 3 is not "
     "divisible by the split_size 2!"),
    (lambda: ng.vsplit(ng.ones(3), 3), RuntimeError,
     "torch.vsplit requires a tensor with at least 2 dimension, but got a tensor with 1 dimensions!"),
    (lambda: ng.vsplit(ng.ones(3, 2), 0), RuntimeError,
     "torch.vsplit attempted to split along dimension 0, but the size of the dimension 3 is not "
     "divisible by the split_size 0!"),
    (lambda: ng.dsplit(ng.ones(3, 2, 3), 2), RuntimeError,
     "torch.dsplit attempted to split along dimension 2, but the size of the dimension 3 is not "
     "divisible by the split_size 2!"),
    (lambda: ng.broadcast_tensors(ng.ones(2, 1), ng.ones(3, 2)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0"),
    (lambda: ng.broadcast_tensors([ng.ones(2)]), TypeError,
     "expected Tensor as element 0 in argument 0, but got list"),
    (lambda: ng.broadcast_shapes((2, 1), (3, 2)), RuntimeError,
     "Attempting to broadcast a dimension of length 3 at -2! Mismatching argument at index 1 had "
     "(3, 2); but expected shape should be broadcastable to [2, 2]"),
    (lambda: ng.broadcast_shapes((2, -1)), ValueError,
     "Attempting to broadcast a dimension with negative length!"),
    (lambda: ng.block_diag(X23, ng.ones(1, 1, 1)), RuntimeError,
     "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 1 has 3 dimensions"),
    (lambda: ng.cartesian_prod(ng.ones(2, 2), ng.ones(3)), RuntimeError,
     "Expect a 1D vector, but got shape [2, 2]"),
    (lambda: ng.cartesian_prod(T([1, 2]), ng.ones(3)), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda: ng.combinations(ng.ones(3), -1), RuntimeError, "Expect a non-negative number, but got -1"),
    (lambda: ng.combinations(ng.ones(2, 2)), RuntimeError, "Expect a 1D vector, but got shape [2, 2]"),
    (lambda: ng.combinations(ng.ones(3), 2.0), TypeError,
     "combinations(): argument 'r' (position 2) must be int, not float"),
    (lambda: ng.logspace(0, 2, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4), -1), RuntimeError,
     "tensordot expects dims >= 0, but got dims=-1"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4), 2), RuntimeError,
     "contracted dimensions need to match, but first has size 2 in dim -2 and second has size 3 "
     "in dim 0"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4), 3), RuntimeError,
     "tensordot expects dims < ndim_a or ndim_b, but got dims=3"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4), ([1], [0, 1])), RuntimeError,
     "both dimension lists should have same length"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4, dtype=ng.float64), 1), RuntimeError,
     "both inputs should have same dtype"),
    (lambda: ng.tensordot(ng.ones(3, 3), ng.ones(3, 3), ([0, 0], [0, 1])), RuntimeError,
     "dim 0 appears multiple times in the list of dims"),
    (lambda: ng.tensordot(X23, ng.ones(3, 4), ([2], [0])), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: ng.inner(X23, ng.ones(5, 4)), RuntimeError,
     "inner() the last dimension must match on both input tensors but got shapes [2, 3] and [5, 4]"),
    (lambda: ng.inner(X23, ng.ones(3, dtype=ng.float64)), RuntimeError,
     "both inputs should have same dtype"),
    (lambda: ng.vdot(X23, ng.ones(3)), RuntimeError, "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: ng.vdot(ng.ones(3), ng.ones(4)), RuntimeError,
     "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
     "elements, but got 3 and 4 elements respectively"),
    (lambda: ng.vdot(ng.ones(3), ng.ones(3, dtype=ng.float64)), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: ng.mv(X23, ng.ones(4)), RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)"),
    (lambda: ng.mv(ng.ones(3), ng.ones(3)), RuntimeError,
     "vector + matrix @ vector expected, got 1, 1, 1"),
    (lambda: ng.mv(X23, ng.ones(3, dtype=ng.float64)), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda: ng.addmv(ng.ones(3), X23, ng.ones(3)), RuntimeError,
     "size mismatch, got input (3), mat (2x3), vec (3)"),
    (lambda: ng.addmv(ng.ones(2, 2), X23, ng.ones(3)), RuntimeError,
     "vector + matrix @ vector expected, got 2, 2, 1"),
    (lambda: ng.addmv(ng.ones(2, dtype=ng.float64), X23, ng.ones(3)), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Float"),
    (lambda: ng.addmm(ng.ones(3), X23, ng.ones(3, 4)), RuntimeError,
     "The expanded size of the tensor (4) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 4].  Tensor sizes: [3]"),
    (lambda: ng.addmm(ng.ones(4), ng.ones(3), ng.ones(3, 4)), RuntimeError,
     "mat1 must be a matrix, got 1-D tensor"),
    (lambda: ng.addmm(ng.ones(4), X23, ng.ones(3)), RuntimeError,
     "mat2 must be a matrix, got 1-D tensor"),
    (lambda: ng.addmm(ng.ones(4), X23, ng.ones(2, 4)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x4)"),
    (lambda: ng.addmm(ng.ones(4, dtype=ng.float64), X23, ng.ones(3, 4)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda: ng.addmm(ng.ones(4), X23.double(), ng.ones(3, 4)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: ng.baddbmm(ng.ones(3, 4), ng.ones(5, 2, 3), ng.ones(5, 3, 4)), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [5, 2, 4].  Tensor sizes: [3, 4]"),
    (lambda: ng.baddbmm(ng.ones(2, 4), ng.ones(5, 2, 3), ng.ones(4, 3, 4)), RuntimeError,
     "Expected size for first two dimensions of batch2 tensor to be: [5, 3] but got: [4, 3]."),
    (lambda: ng.cross(ng.ones(3, 2), ng.ones(3, 2), dim=1), RuntimeError,
     "linalg.cross: inputs dimension 1 must have length 3. Got 2 and 2"),
    (lambda: ng.cross(ng.ones(3, 2), ng.ones(3, 2), dim=-1), RuntimeError,
     "linalg.cross: inputs dimension -1 must have length 3. Got 2 and 2"),
    (lambda: ng.cross(ng.ones(3), ng.ones(4, 3), dim=1), RuntimeError,
     "linalg.cross: inputs must have the same number of dimensions."),
    (lambda: ng.cross(ng.ones(3), ng.ones(3, dtype=ng.float64), dim=0), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: ng.cross(ng.ones(3, 3), ng.ones(3, 2), dim=0), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    (lambda: ng.trapezoid(X23, ng.ones(2)), RuntimeError,
     "trapezoid: There must be one `x` value for each sample point"),
    (lambda: ng.trapezoid(X23, ng.ones(2, 1)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (0) at non-singleton dimension 1"),
    (lambda: ng.trapezoid(T(1.0)), IndexError, "Dimension specified as -1 but tensor has no dimensions"),
    (lambda: ng.trapezoid(T([True, False])), RuntimeError,
     "trapezoid: received a bool input for `x` or `y`, but bool is not supported"),
    (lambda: ng.trapezoid(X23, ng.ones(3), dx=2), TypeError,
     "trapezoid() received an invalid combination of arguments"),
    (lambda: ng.cumulative_trapezoid(X23, ng.ones(2)), RuntimeError,
     "cumulative_trapezoid: There must be one `x` value for each sample point"),
    (lambda: ng.cumulative_trapezoid(T(1.0)), IndexError, "slice() cannot be applied to a 0-dim tensor."),
    (lambda: ng.chain_matmul(), RuntimeError, "chain_matmul(): Expected one or more matrices"),
    (lambda: ng.chain_matmul(X23, ng.ones(3, 4, 1)), RuntimeError,
     "Tensor dimension is 3, expected 2 instead."),
    (lambda: ng.chain_matmul(X23, ng.ones(3, 4), X23), RuntimeError,
     "multi_dot(): tensors 1 and 2 with shapes [3, 4] and [2, 3] cannot be multiplied"),
    (lambda: ng.chain_matmul(X23, ng.ones(3, 4, dtype=ng.float64)), RuntimeError,
     "multi_dot(): all tensors must have be the same dtype but tensor 0 is float and tensor 1 double"),
    (lambda: ng.adjoint(ng.ones(3)), RuntimeError,
     "tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor."),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("fn,exc,message", ERROR_CASES, ids=[str(i) for i in range(len(ERROR_CASES))])
def test_errors(fn, exc, message):
    with pytest.raises(exc, match="^" + re.escape(message)):
        fn()


# (id, function of float64 tensors, input shapes or arrays): every differentiable function
def _sorted(n):
    return np.sort(RNG.standard_normal(n)) + np.arange(n)


GRAD_CASES = [
    ("meshgrid", lambda a, b: ng.meshgrid(a, b, indexing="xy"), ((2,), (3,))),
    ("kron", ng.kron, ((2, 2), (3,))),
    ("diff", lambda x, p: ng.diff(x, 2, 0, prepend=p), ((3, 2), (1, 2))),
    ("atleast", lambda a, b: ng.atleast_3d(a, b), ((), (3,))),
    ("hstack_vstack_dstack", lambda a, b: (ng.hstack([a, b]), ng.vstack([a, b]),
                                           ng.dstack([a, b])), ((2, 2), (2, 2))),
    ("column_stack", lambda a, b: ng.column_stack([a, b]), ((2,), (2, 2))),
    ("rot90_flips", lambda x: (ng.rot90(x), ng.rot90(x, 2, (1, 2)), ng.rot90(x, -1), x.fliplr(),
                               x.flipud()), ((2, 3, 2),)),
    ("moveaxis_unflatten_adjoint", lambda x: (x.moveaxis(0, -1), x.unflatten(1, (3, 1)),
                                              x.adjoint()), ((2, 3),)),
    ("repeat_interleave", lambda x: (x.repeat_interleave(2, 0),
                                     ng.repeat_interleave(x, T([2, 0, 1]), dim=1),
                                     ng.repeat_interleave(x[:1, :1], 3)), ((2, 3),)),
    ("take", lambda x: ng.take(x, T(I23)), ((2, 3),)),
    ("take_along_dim", lambda x: (ng.take_along_dim(x, T([[0, 2, 2]]), 1),
                                  x.take_along_dim(T([1, 1, 4]))), ((2, 3),)),
    ("splits", lambda x: (*ng.tensor_split(x, 3, 1), *x.vsplit([1]), *x.dsplit(2)),
     ((2, 4, 2),)),
    ("broadcast_tensors", lambda a, b: ng.broadcast_tensors(a, b), ((2, 1), (3,))),
    ("block_diag", lambda a, b, c: ng.block_diag(a, b, c), ((2, 3), (), (2,))),
    ("cartesian_prod", lambda a, b: ng.cartesian_prod(a, b), ((2,), (3,))),
    ("combinations", lambda x: (ng.combinations(x), ng.combinations(x, 2, True)), ((3,),)),
    ("tensordot", lambda a, b: (ng.tensordot(a, b, 1), ng.tensordot(a.t(), b.permute(2, 1, 0),
                                                                     ([0, 1], [2, 0]))),
     ((2, 3), (3, 3, 2))),
    ("inner_vdot", lambda a, b: (ng.inner(a, b), ng.vdot(a[0], b[1]), ng.inner(a[0, 0], b)),
     ((2, 3), (2, 3))),
    ("mv_addmv", lambda i, m, v: (m.mv(v), ng.addmv(i, m, v, beta=0.5, alpha=2)),
     ((2,), (2, 3), (3,))),
    ("addmm", lambda i, a, b: (ng.addmm(i, a, b), ng.addmm(i[:1], a, b, beta=2, alpha=-1)),
     ((4,), (2, 3), (3, 4))),
    ("baddbmm", lambda i, a, b: ng.baddbmm(i, a, b, alpha=0.5), ((1, 2), (2, 2, 3), (2, 3, 2))),
    ("cross", lambda a, b: (ng.cross(a, b, dim=1), ng.cross(a[:1], b, 1)), ((2, 3), (2, 3))),
    ("trapezoid", lambda y: (ng.trapezoid(y), ng.trapezoid(y, dx=0.5, dim=0)), ((2, 3),)),
    ("trapezoid_x", lambda y, x: ng.trapezoid(y, x, dim=0), ((3, 2), _sorted(3))),
    ("cumulative_trapezoid", lambda y, x: (ng.cumulative_trapezoid(y, x),
                                           ng.cumulative_trapezoid(y, dx=2.0, dim=0)),
     ((2, 3), _sorted(3))),
    ("chain_matmul", lambda a, b, c: ng.chain_matmul(a, b, c), ((2, 3), (3, 4), (4, 2))),
]


def _grad_inputs(specs):
    rng = np.random.default_rng(7)
    return tuple(ng.tensor(s if isinstance(s, np.ndarray) else rng.standard_normal(s),
                           dtype=ng.float64, requires_grad=True) for s in specs)


@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
@pytest.mark.parametrize("fn,specs", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradcheck(fn, specs):
    inputs = _grad_inputs(specs)
    assert gradcheck(fn, inputs, check_forward_ad=True, check_batched_grad=True)


@pytest.mark.filterwarnings("ignore:torch.chain_matmul is deprecated")
@pytest.mark.parametrize("fn,specs", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_gradgradcheck(fn, specs):
    inputs = _grad_inputs(specs)
    assert gradgradcheck(fn, inputs, check_batched_grad=True)


def test_addmm_is_one_linear_op():
    x, w, b = (ng.randn(2, 3, requires_grad=True), ng.randn(3, 4, requires_grad=True),
               ng.randn(4, requires_grad=True))
    assert type(ng.addmm(b, x, w).grad_fn).__name__ == "AddmmBackward0"


# ---------------------------------------------------------------- against torch (optional)

def _torch_cases(torch):
    """(id, function of a library module and its tensors, float64 inputs): the same call
    in numgrad (lib=ng) and torch (lib=torch)."""
    rng = np.random.default_rng(11)

    def r(*s):
        return rng.standard_normal(s)

    def L(lib, v):
        return lib.tensor(v)
    return [
        ("meshgrid", lambda lib, a, b: lib.meshgrid(a, b, indexing="xy"), (r(2), r(3))),
        ("kron", lambda lib, a, b: lib.kron(a, b), (r(2, 2), r(3))),
        ("diff", lambda lib, x, p: lib.diff(x, 2, 0, prepend=p, append=p), (r(3, 2), r(1, 2))),
        ("atleast", lambda lib, a, b: lib.atleast_3d(a, b), (r(), r(3))),
        ("stacks", lambda lib, a, b: (lib.hstack([a, b]), lib.vstack([a, b]), lib.dstack([a, b]),
                                      lib.column_stack([a, b])), (r(2, 2), r(2, 2))),
        ("rot90", lambda lib, x: [lib.rot90(x, k, (2, 0)) for k in range(4)] + [x.fliplr(),
                                                                                x.flipud()],
         (r(2, 3, 2),)),
        ("reshapes", lambda lib, x: (lib.moveaxis(x, 0, -1), x.unflatten(1, (3, 1)), x.adjoint()),
         (r(2, 3),)),
        ("repeat_interleave", lambda lib, x: (x.repeat_interleave(2, 0),
                                              lib.repeat_interleave(x, L(lib, [2, 0, 1]), dim=1),
                                              lib.repeat_interleave(x, 2)), (r(2, 3),)),
        ("take", lambda lib, x: (lib.take(x, L(lib, I23)),
                                 lib.take_along_dim(x, L(lib, [[0, 2, 2]]), 1),
                                 lib.take_along_dim(x, L(lib, [1, 5])),
                                 lib.take_along_dim(x, L(lib, [[-1], [0]]), 1)), (r(2, 3),)),
        ("splits", lambda lib, x: (*lib.tensor_split(x, 3, 1), *x.tensor_split([1, 5, -1], 1),
                                   *x.hsplit(2), *x.vsplit([1]), *x.dsplit(2)), (r(2, 4, 2),)),
        ("broadcast_tensors", lambda lib, a, b: lib.broadcast_tensors(a, b), (r(2, 1), r(3))),
        ("block_diag", lambda lib, a, b, c: lib.block_diag(a, b, c), (r(2, 3), r(), r(2))),
        ("cartesian_prod", lambda lib, a, b, c: lib.cartesian_prod(a, b, c), (r(2), r(3), r(2))),
        ("combinations", lambda lib, x: (lib.combinations(x), lib.combinations(x, 3, True)),
         (r(4),)),
        ("tensordot", lambda lib, a, b: (lib.tensordot(a, b, 1),
                                         lib.tensordot(a, b, ([0, 1], [2, 0]))),
         (r(2, 3), r(3, 3, 2))),
        ("inner_vdot_mv", lambda lib, a, b, v: (lib.inner(a, b), lib.vdot(v, v), a.mv(v)),
         (r(2, 3), r(4, 3), r(3))),
        ("addmm_addmv_baddbmm",
         lambda lib, i, a, b, v: (lib.addmm(i[0], a, b), i.addmm(a, b, beta=0.5, alpha=2),
                                  lib.addmv(i[:2, 0], a, v, beta=2),
                                  lib.baddbmm(i[:1, :2], lib.stack([a, a]), lib.stack([b, b]),
                                              alpha=-1)),
         (r(2, 2), r(2, 3), r(3, 2), r(3))),
        ("cross", lambda lib, a, b: (lib.cross(a, b, dim=1), a.cross(b[:1], dim=1)),
         (r(2, 3), r(2, 3))),
        ("trapezoid", lambda lib, y, x: (lib.trapezoid(y), lib.trapezoid(y, x, dim=0),
                                         lib.trapz(y, dx=0.5), lib.cumulative_trapezoid(y),
                                         lib.cumulative_trapezoid(y, x, dim=0)),
         (r(3, 4), np.sort(r(3)))),
        ("chain_matmul", lambda lib, a, b, c: lib.chain_matmul(a, b, c), (r(2, 3), r(3, 4), r(4, 2))),
    ]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_against_torch():
    torch = pytest.importorskip("torch")
    for name, fn, arrays in _torch_cases(torch):
        tn = [ng.tensor(a, requires_grad=True) for a in arrays]
        tt = [torch.tensor(a, requires_grad=True) for a in arrays]
        on, ot = _flat(fn(ng, *tn)), _flat(fn(torch, *tt))
        assert len(on) == len(ot), name
        weights = []
        for i, (a, b) in enumerate(zip(on, ot)):
            assert a.shape == tuple(b.shape), (name, i)
            assert str(b.dtype) == f"torch.{a.dtype}", (name, i)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} output {i}")
            weights.append(np.random.default_rng(i).standard_normal(a.shape))
        ng.autograd.backward([a for a in on if a.requires_grad],
                             [ng.tensor(w) for a, w in zip(on, weights) if a.requires_grad])
        torch.autograd.backward([b for b in ot if b.requires_grad],
                                [torch.tensor(w) for b, w in zip(ot, weights) if b.requires_grad])
        for i, (a, b) in enumerate(zip(tn, tt)):
            ga = np.zeros(a.shape) if a.grad is None else a.grad.numpy()
            gb = np.zeros(tuple(b.shape)) if b.grad is None else b.grad.numpy()
            np.testing.assert_allclose(ga, gb, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name} gradient of input {i}")


def test_addmm_beta0_input_gets_a_zero_gradient():
    # PyTorch: beta=0 ignores input's values (NaN too) but input still gets a zero gradient
    for shape in [(2, 3), (3,)]:
        m = ng.tensor(np.full(shape, np.nan), requires_grad=True)
        a = ng.tensor(A23[:, :2].copy(), requires_grad=True)
        b = ng.tensor(A34[:2, :3].copy(), requires_grad=True)
        out = ng.addmm(m, a, b, beta=0, alpha=2.0)
        an, bn = a.detach().numpy(), b.detach().numpy()
        np.testing.assert_allclose(out.detach().numpy(), 2.0 * an @ bn)
        gm, ga = ng.autograd.grad(out.sum(), [m, a])
        np.testing.assert_array_equal(gm.numpy(), np.zeros(shape))
        np.testing.assert_allclose(ga.numpy(), 2.0 * np.ones((2, 3)) @ bn.T)


def test_cross_refuses_bool():
    with pytest.raises(NotImplementedError, match="\"cross\" not implemented for 'Bool'"):
        ng.cross(ng.tensor([True, False, True]), ng.tensor([True, True, False]), dim=0)
