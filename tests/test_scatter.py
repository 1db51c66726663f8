"""The scatter family (numgrad/oplib/indexing.py): scatter, scatter_add, scatter_reduce,
index_add, index_copy, index_fill, index_reduce, masked_scatter, put and their in-place
variants: values against numpy, PyTorch's errors, in-place semantics, gradients."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import numgrad as ng
from numgrad.autograd import forward_ad as fwAD
from numgrad.autograd import gradcheck, gradgradcheck
from tests.op_db.indexing import np_index_reduce, np_scatter_reduce

REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _rand(*shape, rng=None):
    rng = rng or np.random.default_rng(0)
    return rng.standard_normal(shape)


def _t(a, requires_grad=False):
    return ng.tensor(a, requires_grad=requires_grad)


# ---------------------------------------------------------------- values


def test_scatter_matches_put_along_axis():
    x, s = _rand(3, 5), _rand(3, 5, rng=np.random.default_rng(1))
    i = np.array([[4, 0], [1, 3], [2, 2]])
    want = x.copy()
    np.put_along_axis(want, i, s[:, :2], 1)  # only src's leading (3, 2) block is used
    np.testing.assert_array_equal(_t(x).scatter(1, _t(i), _t(s)).numpy(), want)
    np.testing.assert_array_equal(ng.scatter(_t(x), -1, _t(i), _t(s)).numpy(), want)


def test_scatter_value_form():
    x = np.zeros((2, 3))
    i = np.array([[0, 2]])
    want = np_scatter_reduce(x, 1, i, np.full(i.shape, 1.5), "copy")
    for got in (_t(x).scatter(1, _t(i), 1.5), _t(x).scatter(1, _t(i), value=1.5)):
        np.testing.assert_array_equal(got.numpy(), want)
    # a float value into an integer tensor is truncated, as PyTorch casts it
    got = ng.tensor([1, 2, 3]).scatter(0, ng.tensor([0, 0]), 2.5)
    assert got.dtype == np.int64 and got.tolist() == [2, 2, 3]
    with pytest.raises(TypeError):
        _t(x).scatter(1, _t(i))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_scatter_add_accumulates_repeats(dim):
    x, s = _rand(3, 4), _rand(3, 4, rng=np.random.default_rng(1))
    i = np.array([[0, 2, 0, 0], [2, 2, 1, 0]])
    want = x.copy()
    d = dim % 2
    np.add.at(want, tuple(i if k == d else np.indices(i.shape)[k] for k in range(2)), s[:2])
    got = _t(x).scatter_add(dim, _t(i), _t(s))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values(reduce, include_self):
    x, s = _rand(3, 4), _rand(3, 5, rng=np.random.default_rng(1))
    i = np.array([[0, 2, 0, 0, 3], [3, 3, 3, 1, 1], [1, 2, 1, 0, 0]])
    got = _t(x).scatter_reduce(1, _t(i), _t(s), reduce, include_self=include_self)
    np.testing.assert_allclose(got.numpy(), np_scatter_reduce(x, 1, i, s, reduce, include_self),
                               rtol=1e-12)


def test_scatter_reduce_integers():
    x = ng.tensor([1, 2, 3, 4])
    i = ng.tensor([0, 0, 1])
    # integer means floor, as PyTorch's
    assert x.scatter_reduce(0, i, ng.tensor([-2, -3, -4]), "mean", include_self=False).tolist() \
        == [-3, -4, 3, 4]
    assert x.scatter_reduce(0, i, ng.tensor([2, 2, 4]), "mean").tolist() == [1, 3, 3, 4]
    assert x.scatter_reduce(0, i, ng.tensor([5, 6, 7]), "amin", include_self=False).tolist() \
        == [5, 7, 3, 4]
    assert x.scatter_reduce(0, i, ng.tensor([5, 6, 7]), "prod").tolist() == [30, 14, 3, 4]


def _alias_cases(m):
    """(x, src) pairs of module `m` (numgrad or torch) in four dtypes, with ties."""
    rng = np.random.default_rng(2)
    x, s = np.round(rng.standard_normal((3, 4)), 1), np.round(rng.standard_normal((3, 5)), 1)
    s[0, 1] = s[0, 3] = x[0, 0] = 0.5
    return [(m.tensor(a), m.tensor(b)) for a, b in
            [(x, s), (x.astype(np.float32), s.astype(np.float32)),
             (np.round(x * 3).astype(np.int64), np.round(s * 3).astype(np.int64)), (x > 0, s > 0)]]


_ALIAS_INDEX = np.array([[0, 2, 0, 3, 0], [3, 3, 3, 1, 1], [1, 2, 1, 0, 0]])


@pytest.mark.parametrize("alias,name", [("max", "amax"), ("min", "amin")])
def test_scatter_reduce_max_min_are_amax_amin(alias, name):
    # PyTorch also takes reduce="max"/"min" (undocumented) and computes amax/amin
    i = _t(_ALIAS_INDEX)
    for x, s in _alias_cases(ng):
        for inc in (True, False):
            want = x.scatter_reduce(1, i, s, name, include_self=inc)
            for got in (x.scatter_reduce(1, i, s, alias, include_self=inc),
                        ng.scatter_reduce(x, -1, i, s, reduce=alias, include_self=inc),
                        x.clone().scatter_reduce_(1, i, s, alias, include_self=inc)):
                assert got.dtype == want.dtype
                np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert ng.tensor(1.0).scatter_reduce(0, ng.tensor(0), ng.tensor(3.0), alias).item() \
        == (3.0 if alias == "max" else 1.0)
    x, s = _alias_cases(ng)[0]
    empty = x.scatter_reduce(0, ng.zeros(0, dtype=ng.int64), s, alias)
    np.testing.assert_array_equal(empty.numpy(), x.numpy())


def test_scatter_deprecated_reduce():
    x, s = _rand(2, 3), _rand(2, 3, rng=np.random.default_rng(1))
    i = np.array([[0, 0, 1]])
    with pytest.warns(UserWarning, match="deprecated"):
        add = _t(x).scatter(1, _t(i), _t(s), reduce="add")
    np.testing.assert_allclose(add.numpy(), np_scatter_reduce(x, 1, i, s, "sum"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the value form does not warn
        mul = _t(x).scatter(1, _t(i), 2.0, reduce="multiply")
    np.testing.assert_allclose(mul.numpy(), np_scatter_reduce(x, 1, i, np.full((1, 3), 2.0), "prod"))


def test_scatter_edge_shapes():
    x = _t(_rand(3, 4))
    empty = x.scatter(0, ng.zeros(0, dtype=ng.int64), x)  # empty index: a copy, no shape checks
    np.testing.assert_array_equal(empty.numpy(), x.numpy())
    assert ng.tensor(1.0).scatter(0, ng.tensor(0), ng.tensor(5.0)).tolist() == 5.0
    assert ng.zeros(3).scatter_add(0, ng.tensor(2), ng.tensor(5.0)).tolist() == [0, 0, 5]
    assert ng.scatter(ng.zeros(3), 0, ng.tensor([1], dtype=ng.int32), ng.ones(1)).tolist() == [0, 1, 0]


def test_index_add_copy_fill_values():
    x, s = _rand(3, 4), _rand(3, 2, rng=np.random.default_rng(1))
    i = np.array([3, 3])
    np.testing.assert_allclose(_t(x).index_add(1, _t(i), _t(s), alpha=2).numpy(),
                               np_index_reduce(x, 1, i, 2 * s, "sum"), rtol=1e-12)
    j = np.array([3, 0])
    np.testing.assert_array_equal(_t(x).index_copy(1, _t(j), _t(s)).numpy(),
                                  np_index_reduce(x, 1, j, s, "copy"))
    want = x.copy()
    want[:, [2, 0]] = -1.0
    np.testing.assert_array_equal(_t(x).index_fill(1, _t([-2, 0]), -1.0).numpy(), want)
    np.testing.assert_array_equal(_t(x).index_fill(1, _t([2, 0]), _t(-1.0)).numpy(), want)
    assert ng.tensor(1.0).index_add(0, ng.tensor(0), ng.tensor(2.0)).tolist() == 3.0
    # integer tensors take an integer alpha, as PyTorch truncates it
    assert ng.zeros(2, dtype=ng.int64).index_add(0, ng.tensor([1]), ng.tensor([2]), alpha=2.5) \
        .tolist() == [0, 4]


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_values(reduce, include_self):
    x, s = _rand(4, 3), _rand(5, 3, rng=np.random.default_rng(1))
    i = np.array([0, 2, 0, 0, 3])
    got = _t(x).index_reduce(0, _t(i), _t(s), reduce, include_self=include_self)
    np.testing.assert_allclose(got.numpy(), np_index_reduce(x, 0, i, s, reduce, include_self),
                               rtol=1e-12)


def test_masked_scatter_and_put_values():
    x = np.zeros((3, 4), np.float32)
    m = np.array([True, False, True, True])
    got = _t(x).masked_scatter(_t(m), ng.arange(20.0))
    want = x.copy()
    want[np.broadcast_to(m, x.shape)] = np.arange(9.0)
    np.testing.assert_array_equal(got.numpy(), want)
    # the mask broadcasts the input too (out of place)
    assert ng.zeros(4).masked_scatter(ng.ones(2, 4, dtype=ng.bool), ng.arange(8.0)).shape == (2, 4)
    got = ng.zeros(2, 3).put(ng.tensor([[0, -1], [0, 4]]), ng.tensor([[1.0, 2], [3, 4]]),
                             accumulate=True)
    assert got.tolist() == [[4, 0, 0], [0, 4, 2]]


# ---------------------------------------------------------------- errors (PyTorch's messages)

_X = ng.zeros(3, 4)
_I = ng.tensor([[0, 1, 2, 0]])
_S = ng.ones(2, 4)

ERRORS = [
    (lambda: _X.scatter(0, _I.float(), _S), RuntimeError,
     "scatter(): Expected dtype int32/int64 for index"),
    (lambda: _X.scatter_add(0, _I, _S.double()), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: _X.scatter_reduce(0, _I, _S.double(), "sum"), RuntimeError,
     "scatter(): Expected self.dtype to be equal to src.dtype"),
    (lambda: _X.scatter(0, ng.tensor([[5]]), _S), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: _X.scatter_add(0, ng.tensor([[-1]]), _S), RuntimeError,
     "index -1 is out of bounds for dimension 0 with size 3"),
    (lambda: _X.scatter(1, ng.tensor([[0] * 3] * 4), ng.ones(5, 5)), RuntimeError,
     "Expected index [4, 3] to be no larger than self [3, 4] apart from dimension 1 and to be no "
     "larger size than src [5, 5]"),
    (lambda: _X.scatter(0, ng.tensor([[0] * 5]), 1.0), RuntimeError,
     "Expected index [1, 5] to be no larger than self [3, 4] apart from dimension 0"),
    (lambda: _X.scatter(1, ng.tensor([0]), _S), RuntimeError,
     "Index tensor must have the same number of dimensions as self tensor"),
    (lambda: _X.scatter(0, ng.tensor([[0]]), ng.ones(1, 1, 1)), RuntimeError,
     "Index tensor must have the same number of dimensions as src tensor"),
    (lambda: _X.scatter(2, _I, _S), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    (lambda: _X.scatter_reduce(0, _I, _S, "foo"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    (lambda: _X.scatter(0, _I, 1.0, reduce="foo"), RuntimeError,
     "reduce argument must be either add or multiply."),
    (lambda: _X.index_add(0, ng.tensor([0, 5]), _S), RuntimeError,
     "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda: _X.index_add(0, ng.tensor([0.0, 1]), _S), RuntimeError,
     "index_add_(): Expected dtype int32/int64 for index but got: Float"),
    (lambda: _X.index_add(0, ng.tensor([[0, 1]]), _S), IndexError,
     "index_add_(): Index is supposed to be a vector, but got dim: 2 with type: Long and size: "
     "[1, 2]"),
    (lambda: _X.index_add(0, ng.tensor([0, 1, 2]), _S), RuntimeError,
     "index_add_(): Number of indices (3) should be equal to source.size(dim): (2), for dim: 0"),
    (lambda: _X.index_add(0, ng.tensor([0, 1]), ng.ones(2, 3)), RuntimeError,
     "source tensor shape must match self tensor shape, excluding the specified dimension. Got "
     "self.shape = [3, 4] source.shape = [2, 3]"),
    (lambda: _X.index_add(0, ng.tensor([0, 1]), _S.double()), RuntimeError,
     "index_add_(): self (Float) and source (Double) must have the same scalar type"),
    (lambda: _X.index_copy(0, ng.tensor([0, -1]), _S), IndexError,
     "index_copy_(): index -1 is out of bounds for dimension 0 with size 3"),
    (lambda: _X.index_copy(0, ng.tensor([0, 1], dtype=ng.int32), _S), RuntimeError,
     "index_copy_(): Expected a long tensor for index, but got Int"),
    (lambda: _X.index_copy(0, ng.tensor([0, 1, 2]), _S), IndexError,
     "index_copy_(): Number of indices (3) should be equal to source.size(dim) (2)"),
    (lambda: _X.index_copy(0, ng.tensor([0, 1]), ng.ones(2, 3)), RuntimeError,
     "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
     "shape: 4 at dimension 0 and source slice shape: 3 at dimension 0."),
    (lambda: _X.index_copy(0, ng.tensor([0, 1]), _S.double()), RuntimeError,
     "index_copy_(): self and source expected to have the same dtype, but got (self) Float and "
     "(source) Double"),
    (lambda: _X.index_fill(0, ng.tensor([0, 1], dtype=ng.int32), 1.0), IndexError,
     "index_fill_(): Expected dtype int64 for index."),
    (lambda: _X.index_fill(0, ng.tensor([0, -4]), 1.0), IndexError,
     "index -4 is out of bounds for dimension 0 with size 3"),
    (lambda: _X.index_fill(0, ng.tensor([[0, 1]]), 1.0), RuntimeError,
     "Index has to be a vector/scalar"),
    (lambda: _X.index_fill(0, ng.tensor([0]), ng.tensor([1.0])), RuntimeError,
     "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s)."),
    (lambda: _X.index_reduce(0, ng.tensor([0, 0]), _S, "sum"), RuntimeError,
     "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got sum."),
    (lambda: _X.index_reduce(0, ng.tensor([0, -1]), _S, "mean"), IndexError,
     "index out of range in self"),
    (lambda: _X.masked_scatter(ng.tensor([True, False, True, True]), ng.arange(5.0)), RuntimeError,
     "Number of elements of source < number of ones in mask"),
    (lambda: _X.masked_scatter(ng.tensor([1, 0, 1, 1], dtype=ng.int32), ng.arange(20.0)),
     RuntimeError, "masked_scatter_ only supports boolean masks, but got mask with dtype Int"),
    (lambda: _X.masked_scatter(ng.tensor([True, False, True, True]), ng.arange(20.0).double()),
     RuntimeError, "masked_scatter: expected self and source to have same dtypes but gotFloat and "
     "Double"),
    (lambda: _X.put(ng.tensor([0, 12]), ng.tensor([1.0, 2])), IndexError,
     "out of range: tried to access index 12 on a tensor of 12 elements."),
    (lambda: _X.put(ng.tensor([0, 1], dtype=ng.int32), ng.tensor([1.0, 2])), RuntimeError,
     "put_(): Expected a long tensor for index, but got Int"),
    (lambda: _X.put(ng.tensor([0, 1]), ng.tensor([1.0, 2, 3])), IndexError,
     "put_(): Expected source and index to have the same number of elements, but got "
     "source.numel() = 3, index.numel() = 2"),
]



def _reduce_errors(m):
    """scatter_reduce's errors for a bad reduce in PyTorch's order (dtypes, dim and shapes
    first, then the reduce string, then the index values), for module `m`."""
    x, i, s = m.zeros(3, 4), m.tensor([[0, 1, 2, 0]]), m.ones(2, 4)
    bad = "reduce argument must be either sum, prod, mean, amax or amin, got {}"
    return [
        (lambda: x.scatter_reduce(0, i, s, "foo"), RuntimeError, bad.format("foo")),
        (lambda: m.scatter_reduce(x, 0, i, s, reduce="add"), RuntimeError, bad.format("add")),
        (lambda: x.scatter_reduce(0, i, s, "multiply"), RuntimeError, bad.format("multiply")),
        (lambda: x.scatter_reduce(0, i, s, "Max"), RuntimeError, bad.format("Max")),
        (lambda: x.scatter_reduce(0, i, s, "AMAX"), RuntimeError, bad.format("AMAX")),
        (lambda: x.scatter_reduce(0, i, s, ""), RuntimeError, bad.format("")),
        (lambda: x.clone().scatter_reduce_(0, i, s, "foo"), RuntimeError, bad.format("foo")),
        (lambda: x.scatter_reduce(0, m.tensor([[5]]), s, "foo"), RuntimeError, bad.format("foo")),
        (lambda: x.scatter_reduce(0, m.zeros(0, dtype=m.int64), s, "foo"), RuntimeError,
         bad.format("foo")),
        (lambda: x.scatter_reduce(0, m.zeros(0, dtype=m.int64), m.ones(1, 1, 1), "foo"), RuntimeError,
         bad.format("foo")),
        (lambda: x.scatter_reduce(0, i.float(), s, "foo"), RuntimeError,
         "scatter(): Expected dtype int32/int64 for index"),
        (lambda: x.scatter_reduce(0, i, s.double(), "foo"), RuntimeError,
         "scatter(): Expected self.dtype to be equal to src.dtype"),
        (lambda: x.scatter_reduce(2, i, s, "foo"), IndexError,
         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: x.scatter_reduce(1, m.tensor([0]), s, "foo"), RuntimeError,
         "Index tensor must have the same number of dimensions as self tensor"),
        (lambda: x.scatter_reduce(1, m.tensor([[0] * 3] * 4), m.ones(5, 5), "foo"), RuntimeError,
         "Expected index [4, 3] to be no larger than self [3, 4] apart from dimension 1 and to be "
         "no larger size than src [5, 5]"),
        (lambda: x.scatter_reduce(0, m.tensor([[5]]), s, "max"), RuntimeError,
         "index 5 is out of bounds for dimension 0 with size 3"),
        (lambda: x.scatter_reduce(0, i, s, reduce=None), TypeError,
         "scatter_reduce(): argument 'reduce' must be str, not NoneType"),
        (lambda: x.index_reduce(0, m.tensor([0, 0]), s, "max"), RuntimeError,
         "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got max."),
    ]


def test_scatter_reduce_errors():
    for fn, exc, msg in _reduce_errors(ng):
        with pytest.raises(exc) as info:
            fn()
        assert str(info.value) == msg


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[str(k) for k in range(len(ERRORS))])
def test_errors(fn, exc, msg):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


# ---------------------------------------------------------------- in place

INPLACE = [
    ("scatter_", lambda t: t.scatter_(1, ng.tensor([[2, 0]]), ng.ones(1, 2) * 7)),
    ("scatter_value_", lambda t: t.scatter_(1, ng.tensor([[2, 0]]), 7.0)),
    ("scatter_add_", lambda t: t.scatter_add_(1, ng.tensor([[2, 2]]), ng.ones(1, 2))),
    ("scatter_reduce_", lambda t: t.scatter_reduce_(1, ng.tensor([[2, 2]]), ng.ones(1, 2) * 3,
                                                    "amax", include_self=False)),
    ("index_add_", lambda t: t.index_add_(1, ng.tensor([2, 2]), ng.ones(2, 2), alpha=2)),
    ("index_copy_", lambda t: t.index_copy_(0, ng.tensor([1]), ng.full((1, 3), 5.0))),
    ("index_fill_", lambda t: t.index_fill_(1, ng.tensor([0]), -2.0)),
    ("index_reduce_", lambda t: t.index_reduce_(1, ng.tensor([0, 0]), ng.ones(2, 2) * 2, "prod")),
    ("masked_scatter_", lambda t: t.masked_scatter_(ng.tensor([True, False, True]), ng.arange(6.0))),
    ("put_", lambda t: t.put_(ng.tensor([5, 0]), ng.tensor([8.0, 9.0]), accumulate=True)),
]


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_matches_out_of_place(name, fn):
    x = ng.tensor(_rand(2, 3), dtype=ng.float32)
    want = fn(x.clone()).numpy().copy()
    version = x._version[0]
    out = fn(x)
    assert out is x
    assert x._version[0] > version
    np.testing.assert_array_equal(x.numpy(), want)


@pytest.mark.parametrize("name,fn", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_autograd_and_views(name, fn):
    leaf = ng.tensor(_rand(2, 3), dtype=ng.float32, requires_grad=True)
    plain = fn(leaf * 1)
    (ga,) = ng.autograd.grad((plain * plain).sum(), leaf)
    # the same through a view of a bigger tensor: its base is rebased
    base = ng.cat([leaf * 1, ng.zeros(1, 3)])
    view = base[:2]
    fn(view)
    np.testing.assert_array_equal(base[:2].detach().numpy(), plain.detach().numpy())
    (gb,) = ng.autograd.grad((view * view).sum() + base.sum() * 0, leaf)
    np.testing.assert_allclose(gb.numpy(), ga.numpy(), rtol=1e-6)


def test_inplace_on_leaf_requiring_grad_raises():
    x = _t(_rand(2, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x.scatter_add_(0, ng.tensor([[0]]), ng.ones(1, 1))


def test_inplace_module_functions():
    x = ng.zeros(3)
    ng.index_fill_(x, 0, ng.tensor([1]), 4.0)
    ng.scatter_add_(x, 0, ng.tensor([0, 0]), ng.ones(2))
    assert x.tolist() == [2, 4, 0]


def test_saved_value_modified_in_place_is_detected():
    x = ng.tensor(_rand(2, 3), dtype=ng.float32, requires_grad=True)
    y = x * 1
    z = y.scatter_reduce(1, ng.tensor([[0, 0]]), ng.ones(1, 2), "prod")
    y.index_fill_(1, ng.tensor([2]), 0.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# ---------------------------------------------------------------- gradients


def _checks(fn, *inputs):
    assert gradcheck(fn, inputs, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, inputs, check_batched_grad=True)


def _inputs(*shapes, seed=0, zeros=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    if zeros:
        arrays[1].flat[::3] = 0.0
        arrays[0].flat[1] = 0.0
    return [ng.tensor(a, requires_grad=True) for a in arrays]


_RIDX = ng.tensor([[0, 2, 0], [3, 3, 3], [1, 2, 1]])


def test_grad_scatter_and_scatter_add():
    i = ng.tensor([[0, 2], [3, 1], [1, 0]])
    _checks(lambda x, s: x.scatter(1, i, s), *_inputs((3, 4), (3, 5)))
    _checks(lambda x: x.scatter(1, i, 2.0), *_inputs((3, 4)))
    _checks(lambda x, s: x.scatter_add(-1, _RIDX, s), *_inputs((3, 4), (3, 5)))


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_grad_scatter_reduce(reduce, include_self):
    _checks(lambda x, s: x.scatter_reduce(1, _RIDX, s, reduce, include_self=include_self),
            *_inputs((3, 4), (3, 3)))


@pytest.mark.parametrize("include_self", [True, False])
def test_grad_scatter_reduce_prod_with_zeros(include_self):
    _checks(lambda x, s: x.scatter_reduce(1, _RIDX, s, "prod", include_self=include_self),
            *_inputs((3, 4), (3, 3), zeros=True))


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_grad_index_reduce(reduce):
    i = ng.tensor([2, 0, 2])
    _checks(lambda x, s: (x.index_reduce(0, i, s, reduce),
                          x.index_reduce(0, i, s, reduce, include_self=False)),
            *_inputs((3, 2), (3, 2)))


def test_grad_index_ops_masked_scatter_put():
    i = ng.tensor([2, 0, 2])
    _checks(lambda x, s: x.index_add(1, i, s, alpha=-1.5), *_inputs((2, 4), (2, 3)))
    _checks(lambda x, s: x.index_copy(0, ng.tensor([2, 0]), s), *_inputs((3, 2), (2, 2)))
    _checks(lambda x, v: x.index_fill(1, ng.tensor([1, -1]), v), *_inputs((2, 3), ()))
    m = ng.tensor([[True, False, True], [False, True, True]])
    _checks(lambda x, s: x.masked_scatter(m, s), *_inputs((2, 3), (5,)))
    _checks(lambda x, s: x.put(ng.tensor([4, -1, 0]), s, accumulate=True), *_inputs((2, 3), (3,)))


def test_grad_amax_ties_split_evenly():
    x = ng.tensor([1.0, 5.0, 0.0], requires_grad=True)
    s = ng.tensor([5.0, 2.0, 5.0, 3.0], requires_grad=True)
    out = x.scatter_reduce(0, ng.tensor([1, 1, 1, 2]), s, "amax")
    gx, gs = ng.autograd.grad(out.sum(), (x, s))
    # position 1: self 5 and two src 5s share the gradient in thirds
    np.testing.assert_allclose(gx.numpy(), [1, 1 / 3, 0])
    np.testing.assert_allclose(gs.numpy(), [1 / 3, 0, 1 / 3, 1])


@pytest.mark.parametrize("alias,name", [("max", "amax"), ("min", "amin")])
def test_grad_max_min_are_those_of_amax_amin(alias, name):
    # PyTorch's backward refuses max/min and its forward mode gives them no tangent;
    # numgrad differentiates them as amax/amin
    i = ng.tensor([0, 1, 0, 1, 2, 1])
    grads = []
    for reduce in (alias, name):
        x = ng.tensor([1.0, 5.0, 3.0, 4.0], requires_grad=True)
        s = ng.tensor([3.0, 5.0, 3.0, -2.0, 7.0, 0.5], requires_grad=True)
        out = x.scatter_reduce(0, i, s, reduce)
        assert type(out.grad_fn).__name__ == "ScatterReduceBackward0"
        grads.append([g.numpy() for g in ng.autograd.grad((out * ng.arange(4.0)).sum(), (x, s))])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)
    with fwAD.dual_level():
        xd = fwAD.make_dual(ng.ones(4), ng.arange(4.0))
        tangents = [fwAD.unpack_dual(xd.scatter_reduce(0, i, ng.zeros(6), r)).tangent.numpy()
                    for r in (alias, name)]
    np.testing.assert_array_equal(*tangents)


def test_grad_prod_zeros_exact():
    x = ng.tensor([2.0, 3.0], requires_grad=True)
    s = ng.tensor([0.0, 4.0, 0.0, 0.0, 5.0], requires_grad=True)
    out = x.scatter_reduce(0, ng.tensor([0, 0, 1, 1, 1]), s, "prod")
    gx, gs = ng.autograd.grad(out.sum(), (x, s))
    # one zero at position 0: its factor gets the product of the others, the rest zero;
    # two zeros at position 1: every gradient is zero
    np.testing.assert_allclose(gx.numpy(), [0, 0])
    np.testing.assert_allclose(gs.numpy(), [8, 0, 0, 0, 0])


def test_grad_fn_names():
    x, s = _inputs((3, 4), (3, 4))
    i = ng.tensor([[0, 1, 2, 0]])
    v = ng.tensor([0, 2])
    names = {
        "ScatterBackward0": x.scatter(0, i, s),
        "ScatterAddBackward0": x.scatter_add(0, i, s),
        "ScatterReduceBackward0": x.scatter_reduce(0, i, s, "amax"),
        "IndexAddBackward0": x.index_add(0, v, s[:2]),
        "IndexCopyBackward0": x.index_copy(0, v, s[:2]),
        "IndexFillBackward0": x.index_fill(0, v, 1.0),
        "IndexReduceBackward0": x.index_reduce(0, v, s[:2], "prod"),
        "MaskedScatterBackward0": x.masked_scatter(x > 0, s),
        "PutBackward0": x.put(v, s[0, :2]),
    }
    for name, out in names.items():
        assert type(out.grad_fn).__name__ == name


# ---------------------------------------------------------------- against PyTorch (optional)


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = np.round(rng.standard_normal((3, 4)), 1)
    s = np.round(rng.standard_normal((3, 5)), 1)
    s[0, 1] = s[0, 3] = x[0, 0] = 2.5  # ties for amax
    s[1, 0] = 0.0  # a zero for prod
    i = np.array([[0, 2, 0, 0, 1], [3, 3, 3, 1, 1], [1, 2, 1, 0, 0]])
    iv = np.array([2, 0, 2])
    sv = rng.standard_normal((3, 3))
    mask = np.array([True, False, True, True])
    cases = [
        ("scatter_add", lambda m, a, b, i: a.scatter_add(1, i, b), s),
        ("scatter_value", lambda m, a, b, i: a.scatter(1, i[:, :2] * 0 + i[:, :1], 1.5) + b.sum(), s),
        *[(f"scatter_reduce_{r}_{inc}",
           lambda m, a, b, i, r=r, inc=inc: a.scatter_reduce(1, i, b, r, include_self=inc), s)
          for r in REDUCES for inc in (True, False)],
        ("index_add", lambda m, a, b, i: a.index_add(0, m.tensor(iv), b[:, :4], alpha=2.0), s),
        ("index_copy", lambda m, a, b, i: a.index_copy(1, m.tensor([3, 1, 0]), b[:, :3]), s),
        ("index_fill", lambda m, a, b, i: a.index_fill(1, m.tensor([3, 0]), b.sum()), s),
        *[(f"index_reduce_{r}_{inc}",
           lambda m, a, b, i, r=r, inc=inc: a.index_reduce(1, m.tensor(iv), b, r, include_self=inc),
           sv) for r in ("prod", "mean", "amax", "amin") for inc in (True, False)],
        ("masked_scatter", lambda m, a, b, i: a.masked_scatter(m.tensor(mask), b), s),
        ("put", lambda m, a, b, i: a.put(m.tensor([11, -12, 0]), b[0, :3], accumulate=True), s),
    ]
    g_out = rng.standard_normal((3, 4))
    for name, f, src in cases:
        results = []
        for m in (ng, torch):
            a = m.tensor(x, requires_grad=True)
            b = m.tensor(src, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                out = f(m, a, b, m.tensor(i))
            grads = m.autograd.grad(out, (a, b), m.tensor(g_out), allow_unused=True)
            results.append([out.detach().numpy()] + [None if g is None else g.numpy() for g in grads])
        for got, want in zip(*results):
            if want is None:
                assert got is None or not got.any(), name
            else:
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)


def test_scatter_reduce_max_min_and_errors_against_torch():
    torch = pytest.importorskip("torch")
    for alias, name in [("max", "amax"), ("min", "amin")]:
        for (x, s), (tx, ts) in zip(_alias_cases(ng), _alias_cases(torch)):
            for inc in (True, False):
                got = x.scatter_reduce(1, _t(_ALIAS_INDEX), s, alias, include_self=inc)
                want = tx.scatter_reduce(1, torch.tensor(_ALIAS_INDEX), ts, alias, include_self=inc)
                np.testing.assert_array_equal(got.numpy(), want.numpy())
    for fn, exc, msg in _reduce_errors(torch):
        with pytest.raises(exc) as info:
            fn()
        assert str(info.value) == msg


def test_prod_double_backward_refused_when_zeros_collide():
    # the first derivative is exact; its derivative would treat the zero masks as constants
    x = ng.tensor([1., 2., 3.], dtype=ng.float64, requires_grad=True)
    src = ng.tensor([0., 0., 5.], dtype=ng.float64, requires_grad=True)
    idx = ng.tensor([0, 0, 1])
    g, = ng.autograd.grad(x.scatter_reduce(0, idx, src, "prod").sum(), src, create_graph=True)
    assert g.tolist() == [0.0, 0.0, 2.0]
    with pytest.raises(RuntimeError, match="Double backward is unsupported for src when >1 zeros"):
        ng.autograd.grad(g.sum(), src)
