"""where with numbers, rounding, more binary ops, compositions (lerp, addcmul, logit...),
nn.functional activations, layer_norm, normalize, pad, cumprod, roll, sort, topk,
masked_select, tile, swapaxes and the Tensor methods view_as ... new_tensor: values
against numpy or closed forms, PyTorch's dtypes and errors, and gradients checked
against finite differences (reverse, forward, second order)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.special as sp

import numgrad as ng
import numgrad.nn.functional as F
from numgrad.autograd import gradcheck, gradgradcheck


def _t(a, requires_grad=True, dtype=np.float64) -> ng.Tensor:
    return ng.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def _grad(y: ng.Tensor, x: ng.Tensor) -> np.ndarray:
    return ng.autograd.grad(y.sum(), x)[0].numpy()


def _check_all(fn, *inputs, atol=1e-5):
    """Reverse, forward, batched and second-order derivatives against finite differences."""
    assert gradcheck(fn, inputs, atol=atol, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, inputs, atol=atol)


RNG = np.random.default_rng(0)
INF, NAN = math.inf, math.nan


# ---------------------------------------------------------------- where with numbers


@pytest.mark.parametrize("a, b, dtype", [(1.0, 0.0, np.float32), (1, 0, np.int64), (1, 0.0, np.float32),
                                         (True, False, np.bool_), (True, 0, np.int64)])
def test_where_of_two_numbers_has_torchs_dtype(a, b, dtype):
    out = ng.where(ng.tensor([True, False, True]), a, b)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), np.array([a, b, a], dtype=dtype))


def test_where_number_and_tensor_dtypes_and_the_method():
    c = ng.tensor([True, False])
    assert ng.where(c, ng.tensor([1, 2]), 1.5).dtype == np.float32
    assert ng.where(c, ng.tensor([1.0, 2.0], dtype=ng.float64), 1.0).dtype == np.float64
    assert ng.where(c, 2, ng.tensor([True, False])).dtype == np.int64
    x = ng.tensor([1.0, 2.0])
    np.testing.assert_array_equal(x.where(c, -1.0).numpy(), [1.0, -1.0])
    np.testing.assert_array_equal(ng.tensor([1, 2]).where(c, 0.5).numpy(), [1.0, 0.5])
    with pytest.raises(RuntimeError, match="boolean tensor, but got a tensor with dtype Long"):
        ng.where(ng.tensor([1, 0]), 1.0, 0.0)


def test_where_with_a_number_is_differentiable():
    c = ng.tensor([True, False, True])
    _check_all(lambda x: ng.where(c, x, 0.5) * ng.where(c, -2.0, x), _t([0.3, -1.2, 2.0]))
    _check_all(lambda x: x.where(c, 1.0), _t([0.3, -1.2, 2.0]))


# ---------------------------------------------------------------- rounding


SPECIAL = [INF, -INF, NAN, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e300, -7.7]


@pytest.mark.parametrize("name, ref", [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc),
                                       ("round", np.round)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rounding_matches_numpy_on_special_values(name, ref, dtype):
    with np.errstate(over="ignore"):
        x = np.array(SPECIAL, dtype=dtype)
    out = getattr(ng, name)(ng.tensor(x))
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), ref(x))
    np.testing.assert_array_equal(np.signbit(out.numpy()), np.signbit(ref(x)))  # -0.0 kept
    assert getattr(ng.tensor(x), name)().dtype == dtype


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_rounding_integers_and_bools(name):
    big = ng.tensor([2**62 + 1, -3])  # not through float64
    out = getattr(ng, name)(big)
    assert out.dtype == np.int64 and out.tolist() == [2**62 + 1, -3]
    with pytest.raises(NotImplementedError, match=f'"{name}_vml_cpu" not implemented for \'Bool\''):
        getattr(ng, name)(ng.tensor([True]))


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "frac"])
def test_rounding_gradients(name):
    x = _t([0.3, -1.7, 2.2])
    want = 1.0 if name == "frac" else 0.0
    np.testing.assert_array_equal(_grad(getattr(ng, name)(x), x), [want] * 3)
    _check_all(getattr(ng, name), x)


def test_round_decimals():
    x = np.array([1.2345, 123.5, -0.125, 0.05, 2.675])
    np.testing.assert_allclose(ng.round(ng.tensor(x), decimals=2).numpy(), np.round(x, 2), rtol=1e-15)
    np.testing.assert_array_equal(ng.tensor([1234.5, 1250.0, 1350.0]).round(decimals=-2).numpy(),
                                  [1200.0, 1200.0, 1400.0])
    assert np.isnan(ng.round(ng.tensor([0.5]), decimals=400).item())
    assert ng.round(ng.tensor([0.12345], dtype=ng.float32), decimals=3).dtype == np.float32
    with pytest.raises(NotImplementedError, match='"round_cpu" not implemented for \'Long\''):
        ng.round(ng.tensor([1]), decimals=1)
    with pytest.raises(TypeError):
        ng.round(ng.tensor([1.0]), decimals=1.5)
    x = _t([0.123, -4.56])
    np.testing.assert_array_equal(_grad(ng.round(x, decimals=1), x), [0.0, 0.0])


def test_frac():
    x = np.array([-1.5, 2.25, -0.0, -2.0, INF])
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(ng.frac(ng.tensor(x)).numpy(), x - np.trunc(x))
    with pytest.raises(NotImplementedError, match='"frac_cpu" not implemented for \'Long\''):
        ng.frac(ng.tensor([1]))


def test_reciprocal():
    out = ng.reciprocal(ng.tensor([1, 2, 4]))
    assert out.dtype == np.float32 and out.tolist() == [1.0, 0.5, 0.25]
    np.testing.assert_array_equal(ng.tensor([0.0, -0.0]).reciprocal().numpy(), [INF, -INF])
    with pytest.raises(TypeError, match="reciprocal\\(\\): argument 'input' \\(position 1\\) must be Tensor"):
        ng.reciprocal(2.0)
    _check_all(ng.reciprocal, _t([0.5, -2.0, 3.0]))


# ---------------------------------------------------------------- hypot, copysign, xlogy, logaddexp


def test_hypot():
    big = ng.tensor([1e20, 3.0])
    np.testing.assert_allclose(ng.hypot(big, big).numpy(), [math.sqrt(2) * 1e20, 3 * math.sqrt(2)], rtol=1e-6)
    assert ng.hypot(big, big).dtype == np.float32
    assert ng.hypot(ng.tensor([3.0]), ng.tensor([4.0], dtype=ng.float64)).dtype == np.float64
    with pytest.raises(TypeError, match="argument 'other' \\(position 2\\) must be Tensor, not float"):
        ng.hypot(big, 2.0)
    with pytest.raises(NotImplementedError, match='"hypot_cpu" not implemented for \'Long\''):
        ng.hypot(ng.tensor([3]), ng.tensor([4]))
    _check_all(ng.hypot, _t(RNG.uniform(-2, 2, (2, 3))), _t(RNG.uniform(-2, 2, 3)))


def test_copysign_values_and_gradients():
    a = _t([0.0, -0.0, 2.0, -2.0, 1.5])
    b = _t([1.0, -1.0, -0.0, 0.0, -3.0])
    out = ng.copysign(a, b)
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, -0.0, -2.0, 2.0, -1.5])
    np.testing.assert_array_equal(np.signbit(out.detach().numpy()), [False, True, True, False, True])
    ga, gb = ng.autograd.grad(out.sum(), (a, b), create_graph=True)
    np.testing.assert_array_equal(ga.detach().numpy(), [0.0, 0.0, -1.0, -1.0, -1.0])  # 0 at a == 0
    np.testing.assert_array_equal(gb.detach().numpy(), np.zeros(5))
    # the second derivative is 0 at a == 0, not 0 / 0
    np.testing.assert_array_equal(ng.autograd.grad(ga.sum(), a)[0].numpy(), np.zeros(5))
    assert ng.copysign(ng.tensor([1, 2]), -1).dtype == np.float32
    assert ng.tensor([True, False]).copysign(ng.tensor([True, True])).tolist() == [1.0, 0.0]
    _check_all(ng.copysign, _t([[0.5, -1.5, 2.0], [-0.3, 0.7, 1.1]]), _t([-1.0, 2.0, -0.5]))


def test_xlogy():
    x = _t([0.0, 0.0, 0.0, 1.5, 0.0])
    y = _t([0.0, NAN, -1.0, 0.0, 2.0])
    out = ng.xlogy(x, y)
    np.testing.assert_array_equal(out.detach().numpy(), [0.0, NAN, 0.0, -INF, 0.0])
    gx, gy = ng.autograd.grad(out.sum(), (x, y))
    # d/dx = log(y), but 0 where x == 0 and y <= 0; d/dy = x / y (PyTorch's rules)
    np.testing.assert_array_equal(gx.numpy(), [0.0, NAN, 0.0, -INF, math.log(2.0)])
    np.testing.assert_array_equal(gy.numpy(), [NAN, NAN, -0.0, INF, 0.0])
    assert ng.xlogy(ng.tensor([1, 2]), ng.tensor([1, 2])).dtype == np.float32
    np.testing.assert_allclose(ng.xlogy(2, ng.tensor([1.0, 3.0])).numpy(), sp.xlogy(2, [1.0, 3.0]), rtol=1e-6)
    np.testing.assert_allclose(ng.tensor([2.0]).xlogy(3.0).numpy(), [2 * math.log(3)], rtol=1e-6)
    _check_all(ng.xlogy, _t([[0.0, 1.5, -2.0], [0.5, 0.0, 1.0]]), _t([0.5, 1.5, 3.0]))


def test_logaddexp():
    a = ng.tensor([-INF, INF, 1.0, -800.0, 800.0])
    b = ng.tensor([-INF, INF, 1.0, -801.0, 0.0])
    np.testing.assert_allclose(ng.logaddexp(a, b).numpy(), np.logaddexp(a.numpy(), b.numpy()), rtol=1e-6)
    # large arrays run a composition of numpy ufuncs: the same values, infinities included
    big_a, big_b = ng.tensor(np.tile(a.numpy(), 1000)), ng.tensor(np.tile(b.numpy(), 1000))
    np.testing.assert_allclose(ng.logaddexp(big_a, big_b).numpy(), np.tile(ng.logaddexp(a, b).numpy(), 1000),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="argument 'other' \\(position 2\\) must be Tensor"):
        ng.logaddexp(a, 2.0)
    with pytest.raises(NotImplementedError, match='"logaddexp_cpu" not implemented for \'Long\''):
        ng.logaddexp(ng.tensor([1]), ng.tensor([1]))
    x = _t([1.0, 2.0])
    g, = ng.autograd.grad(ng.logaddexp(x, _t([1.0, 0.0], False)).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), sp.expit([0.0, 2.0]))
    np.testing.assert_allclose(ng.autograd.grad(g.sum(), x)[0].numpy(), [0.25, sp.expit(2) * sp.expit(-2)])
    _check_all(ng.logaddexp, _t(RNG.uniform(-2, 2, (2, 3))), _t(RNG.uniform(-2, 2, 3)))


# ---------------------------------------------------------------- logit, lerp, addcmul, addcdiv


def test_logit():
    x = np.array([0.0, 0.2, 0.5, 1.0])
    with np.errstate(divide="ignore"):
        np.testing.assert_allclose(ng.logit(ng.tensor(x)).numpy(), sp.logit(x), rtol=1e-6)
    np.testing.assert_allclose(ng.tensor(x).logit(0.1).numpy(), sp.logit(np.clip(x, 0.1, 0.9)), rtol=1e-6)
    assert ng.logit(ng.tensor([1])).dtype == np.float32
    xs = _t([0.05, 0.1, 0.5, 0.95])
    np.testing.assert_allclose(_grad(ng.logit(xs, 0.1), xs), [0.0, 1 / 0.09, 4.0, 0.0])
    _check_all(ng.logit, _t([0.2, 0.5, 0.7]))
    _check_all(lambda x: ng.logit(x, 0.25), _t([0.1, 0.5, 0.7, 0.9]))


def test_lerp():
    a, b = ng.tensor([1.0, -2.0, 1e8]), ng.tensor([3.0, 5.0, 1.0])
    np.testing.assert_array_equal(ng.lerp(a, b, 1.0).numpy(), b.numpy())  # exact at the ends
    np.testing.assert_array_equal(ng.lerp(a, b, 0.0).numpy(), a.numpy())
    np.testing.assert_allclose(a.lerp(b, ng.tensor([[0.25], [1.0]])).numpy(),
                               [[1.5, -0.25, 7.5e7 + 0.25], b.numpy()], rtol=1e-6)
    assert ng.lerp(a, b, ng.tensor(0.5, dtype=ng.float64)).dtype == np.float32  # a 0-d weight acts as a number
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        ng.lerp(a, b.double(), 0.5)
    with pytest.raises(RuntimeError, match="expected dtype float for `weight` but got dtype long int"):
        ng.lerp(a, b, ng.tensor([1, 0, 1]))
    with pytest.raises(NotImplementedError, match='"lerp_kernel_scalar" not implemented for \'Long\''):
        ng.lerp(ng.tensor([1]), ng.tensor([2]), 0.5)
    x, y = _t(RNG.uniform(-2, 2, (2, 3))), _t(RNG.uniform(-2, 2, 3))
    for w in (0.3, 0.8):
        _check_all(lambda x, y, w=w: ng.lerp(x, y, w), x, y)
    _check_all(ng.lerp, x, y, _t([[0.2], [0.9]]))


def test_addcmul_addcdiv():
    a, b, c = (RNG.uniform(0.5, 2, s) for s in ((2, 3), (3,), (2, 1)))
    np.testing.assert_allclose(ng.addcmul(ng.tensor(a), ng.tensor(b), ng.tensor(c), value=0.5).numpy(),
                               a + 0.5 * b * c, rtol=1e-6)
    np.testing.assert_allclose(ng.tensor(a).addcdiv(ng.tensor(b), ng.tensor(c), value=-2).numpy(),
                               a - 2 * b / c, rtol=1e-6)
    xi = ng.tensor([1, 2, 3])
    assert ng.addcmul(xi, xi, xi, value=2).tolist() == [3, 10, 21]
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        ng.addcdiv(ng.tensor([1.0]), xi[:1], xi[:1])
    with pytest.raises(TypeError, match="argument 'tensor1' \\(position 2\\) must be Tensor"):
        ng.addcmul(ng.tensor([1.0]), 2.0, ng.tensor([1.0]))
    _check_all(lambda a, b, c: ng.addcmul(a, b, c, value=0.5), _t(a), _t(b), _t(c))
    _check_all(lambda a, b, c: ng.addcdiv(a, b, c, value=-2), _t(a), _t(b), _t(c))


def test_inplace_variants():
    x = ng.tensor([0.25, 0.5, 2.0])
    assert x.clone().reciprocal_().tolist() == [4.0, 2.0, 0.5]
    assert x.clone().lerp_(ng.tensor([1.0, 1.0, 1.0]), 1.0).tolist() == [1.0, 1.0, 1.0]
    assert x.clone().addcmul_(x, x, value=2).tolist() == [0.375, 1.0, 10.0]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        ng.tensor([1, 2]).reciprocal_()


# ---------------------------------------------------------------- nn.functional activations


def _gelu(x):
    return x * 0.5 * (1 + sp.erf(x / math.sqrt(2)))


def _gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


@pytest.mark.parametrize("fn, ref", [
    (F.gelu, _gelu),
    (lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh),
    (F.silu, lambda x: x * sp.expit(x)),
    (lambda x: F.elu(x, 1.5), lambda x: np.where(x > 0, x, 1.5 * np.expm1(np.minimum(x, 0)))),
    (lambda x: F.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
])
def test_activations(fn, ref):
    x = RNG.uniform(-3, 3, (2, 5))
    np.testing.assert_allclose(fn(ng.tensor(x)).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    assert fn(ng.tensor(x, dtype=ng.float32)).dtype == np.float32
    _check_all(fn, _t(x))


def test_activation_edges():
    x = _t([0.0, -1.0, 1000.0, -1000.0])
    np.testing.assert_allclose(_grad(F.elu(x, 2.0), x), [2.0, 2 * math.exp(-1), 1.0, 0.0])  # no inf * 0
    np.testing.assert_allclose(_grad(F.leaky_relu(x), x), [0.01, 0.01, 1.0, 0.01])
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        F.gelu(x, approximate="foo")
    for fn, kernel in ((F.gelu, "GeluKernelImpl"), (F.silu, "silu_cpu"), (F.elu, "elu_cpu"),
                       (F.leaky_relu, "leaky_relu_cpu")):
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
            fn(ng.tensor([1, 2]))


@pytest.mark.parametrize("fn", [F.silu, F.elu, F.leaky_relu])
def test_inplace_activations_write_the_input_and_keep_the_gradient(fn):
    w = _t([-1.0, 0.5, 2.0])
    x = w * 1.0
    y = fn(x, inplace=True)
    assert y is x
    np.testing.assert_allclose(x.detach().numpy(), fn(w.detach()).numpy())
    np.testing.assert_allclose(_grad(x, w), _grad(fn(w), w))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fn(_t([1.0]), inplace=True)


# ---------------------------------------------------------------- layer_norm, normalize


def _layer_norm_ref(x, k, w=None, b=None, eps=1e-5):
    dims = tuple(range(-k, 0))
    y = (x - x.mean(dims, keepdims=True)) / np.sqrt(x.var(dims, keepdims=True) + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


def test_layer_norm():
    x, w, b = RNG.uniform(-2, 2, (2, 3, 4)), RNG.uniform(0.5, 2, (3, 4)), RNG.uniform(-1, 1, (3, 4))
    np.testing.assert_allclose(F.layer_norm(ng.tensor(x), (3, 4), ng.tensor(w), ng.tensor(b)).numpy(),
                               _layer_norm_ref(x, 2, w, b), rtol=1e-10)
    np.testing.assert_allclose(F.layer_norm(ng.tensor(x), [4], eps=1e-3).numpy(),
                               _layer_norm_ref(x, 1, eps=1e-3), rtol=1e-10)
    assert F.layer_norm(ng.tensor(x, dtype=ng.float32), (4,)).dtype == np.float32
    _check_all(lambda x, w, b: F.layer_norm(x, (4,), w, b), _t(x), _t(w[0]), _t(b[0]))


@pytest.mark.parametrize("args, match", [
    (((2,),), r"Given normalized_shape=\[2\], expected input with shape \[\*, 2\], but got input of size\[2, 3\]"),
    (((3,), ng.ones(2)), r"Expected weight to be of same shape as normalized_shape, but got weight of shape \[2\]"),
    (((),), "Expected normalized_shape to be at least 1-dimensional"),
    (((3,), ng.ones(3, dtype=ng.float64)), r"mixed dtype \(CPU\): expect parameter to have scalar type of Float"),
])
def test_layer_norm_errors(args, match):
    with pytest.raises(RuntimeError, match=match):
        F.layer_norm(ng.zeros(2, 3), *args)


def test_normalize():
    x = RNG.uniform(-2, 2, (3, 4))
    np.testing.assert_allclose(F.normalize(ng.tensor(x)).numpy(), x / np.linalg.norm(x, axis=1, keepdims=True))
    np.testing.assert_allclose(F.normalize(ng.tensor(x), p=1, dim=0).numpy(), x / np.abs(x).sum(0))
    zero = _t(np.zeros((2, 2)))
    np.testing.assert_array_equal(F.normalize(zero).detach().numpy(), np.zeros((2, 2)))
    np.testing.assert_array_equal(_grad(F.normalize(zero), zero), np.full((2, 2), 1e12))  # 1 / eps
    out = ng.zeros(3, 4, dtype=ng.float64)
    assert F.normalize(ng.tensor(x), out=out) is out
    _check_all(F.normalize, _t(x))


# ---------------------------------------------------------------- pad


def test_pad_constant():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(F.pad(ng.tensor(x), (1, 2)).numpy(), np.pad(x, ((0, 0), (1, 2))))
    np.testing.assert_array_equal(F.pad(ng.tensor(x), (1, 0, 2, 1), value=7).numpy(),
                                  np.pad(x, ((2, 1), (1, 0)), constant_values=7))
    np.testing.assert_array_equal(F.pad(ng.tensor(x), (-1, 1)).numpy(), [[1, 2, 0], [4, 5, 0]])  # crops
    assert F.pad(ng.tensor([1, 2]), (1, 1), value=2.5).tolist() == [2, 1, 2, 2]
    _check_all(lambda x: F.pad(x, (-1, 2, 1, 0), value=0.5), _t(x))


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes(mode, np_mode):
    x = RNG.uniform(-2, 2, (1, 2, 3, 4))
    for a, pad, widths in [(x[0], (2, 1), ((0, 0), (0, 0), (2, 1))),
                           (x, (1, 2, 2, 0), ((0, 0), (0, 0), (2, 0), (1, 2))),
                           (x, (1, 0, 0, 2, 1, 1), ((0, 0), (1, 1), (0, 2), (1, 0)))]:
        np.testing.assert_array_equal(F.pad(ng.tensor(a), pad, mode=mode).numpy(), np.pad(a, widths, np_mode))
    _check_all(lambda x: F.pad(x, (2, 1, 1, 1), mode=mode), _t(x[0]))


def test_pad_negative_with_modes():
    x = ng.arange(5.0).reshape(1, 5)
    assert F.pad(x, (-2, 1), mode="reflect").tolist() == [[2, 3, 4, 3]]
    assert F.pad(x, (-2, 1), mode="replicate").tolist() == [[2, 3, 4, 4]]
    assert F.pad(x, (1, -2), mode="circular").tolist() == [[2, 0, 1, 2]]


@pytest.mark.parametrize("args, kwargs, error, match", [
    (((1,),), {}, RuntimeError, "Padding length must be divisible by 2"),
    (((1, 1, 1, 1, 1, 1),), {}, RuntimeError, "Padding length should be less than or equal to two times"),
    (((-4, 0),), {}, RuntimeError, "narrow\\(\\): length must be non-negative."),
    (((1.5, 1),), {}, TypeError, "must be tuple of ints, but found element of type float at pos 0"),
    (((1, 1),), {"mode": "foo"}, NotImplementedError, "Unrecognised padding mode foo"),
    (((1, 1),), {"mode": "reflect", "value": 1.0}, RuntimeError, 'Padding mode "reflect" doesn\'t take in value'),
    (((3, 0),), {"mode": "reflect"}, RuntimeError, "Argument #4: Padding size should be less than the "
                                                   "corresponding input dimension, but got: padding \\(3, 0\\) "
                                                   "at dimension 1 of input \\[2, 3\\]"),
    (((1, 1, 1, 1),), {"mode": "replicate"}, NotImplementedError,
     "Padding size 4 is not supported for 2D input tensor."),
    (((4, 1),), {"mode": "circular"}, RuntimeError, "Padding value causes wrapping around more than once."),
])
def test_pad_errors(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        F.pad(ng.zeros(2, 3), *args, **kwargs)


# ---------------------------------------------------------------- cumprod


def _cumprod_grad_ref(x, g):
    """d/dx_k sum_j g_j prod_{i<=j} x_i, by products that leave x_k out."""
    out = np.zeros_like(x)
    for k in range(len(x)):
        for j in range(k, len(x)):
            out[k] += g[j] * np.prod(np.delete(x[:j + 1], k))
    return out


@pytest.mark.parametrize("x", [[1.5, 2.0, -0.5, 3.0], [2.0, 0.0, 3.0, 4.0, 0.5], [2.0, 0.0, 3.0, 0.0, 5.0],
                               [0.0, 0.0, 0.0], [0.0, 1.5, 0.0, -2.0]])
def test_cumprod_gradient_with_zeros(x):
    g = RNG.standard_normal(len(x))
    t = _t(x)
    y = ng.cumprod(t, 0)
    np.testing.assert_allclose(y.detach().numpy(), np.cumprod(x))
    gx, = ng.autograd.grad(y, t, ng.tensor(g))
    np.testing.assert_allclose(gx.numpy(), _cumprod_grad_ref(np.array(x), g), atol=1e-12)
    _check_all(lambda t: ng.cumprod(t, 0), t)


def test_cumprod_rows_dims_and_dtypes():
    x = np.array([[0.0, 2.0, 0.0, 3.0], [1.5, 2.0, 0.5, 3.0], [1.5, 0.0, 0.5, 3.0]])
    _check_all(lambda t: t.cumprod(-1), _t(x))
    _check_all(lambda t: t.cumprod(0), _t(x))
    assert ng.cumprod(ng.tensor([1, 2, 3]), 0).tolist() == [1, 2, 6]
    assert ng.cumprod(ng.tensor([True, False]), 0).dtype == np.int64
    assert ng.cumprod(ng.tensor([1, 2]), 0, dtype=ng.float64).dtype == np.float64
    assert ng.cumprod(ng.tensor(3.0), 0).item() == 3.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        ng.cumprod(ng.zeros(2, 3), 2)


# ---------------------------------------------------------------- roll, sort, topk, masked_select


def test_roll():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ng.roll(ng.tensor(x), 1).numpy(), np.roll(x, 1))
    np.testing.assert_array_equal(ng.tensor(x).roll((1, -7), (0, 1)).numpy(), np.roll(x, (1, -7), (0, 1)))
    with pytest.raises(RuntimeError, match="shifts and dimensions must align. shifts: 2, dims:1"):
        ng.roll(ng.tensor(x), (1, 2), 0)
    with pytest.raises(IndexError, match="Dimension specified as 0 but tensor has no dimensions"):
        ng.roll(ng.tensor(1.0), 1, 0)
    _check_all(lambda t: ng.roll(t, (1, 2), (1, 0)), _t(RNG.standard_normal((3, 4))))


def test_sort():
    x = ng.tensor([3.0, NAN, 1.0, 3.0, -INF])
    values, indices = ng.sort(x, stable=True)
    np.testing.assert_array_equal(values.numpy(), [-INF, 1.0, 3.0, 3.0, NAN])
    assert indices.tolist() == [4, 2, 0, 3, 1] and indices.dtype == np.int64
    res = x.sort(descending=True, stable=True)
    np.testing.assert_array_equal(res.values.numpy(), [NAN, 3.0, 3.0, 1.0, -INF])  # NaN is the largest
    assert res.indices.tolist() == [1, 0, 3, 2, 4]
    assert type(res).__name__ == "sort"
    assert ng.sort(ng.tensor([3, -2**63, 2**63 - 1]), descending=True).values.tolist() == [2**63 - 1, 3, -2**63]
    assert ng.sort(ng.tensor([True, False])).indices.tolist() == [1, 0]
    # ties: the gradient follows the stable order
    t = _t([2.0, 1.0, 2.0])
    np.testing.assert_array_equal(_grad(ng.sort(t).values * ng.tensor([1.0, 2.0, 3.0], dtype=ng.float64), t),
                                  [2.0, 1.0, 3.0])
    _check_all(lambda t: ng.sort(t, 0, True).values, _t(RNG.permutation(12).reshape(3, 4) / 3.0))


def test_topk():
    x = np.array([[1.0, 5.0, 3.0, NAN], [4.0, 2.0, 0.5, 1.0]])
    res = ng.topk(ng.tensor(x), 2)
    np.testing.assert_array_equal(res.values.numpy(), [[NAN, 5.0], [4.0, 2.0]])
    assert res.indices.tolist() == [[3, 1], [0, 1]] and type(res).__name__ == "topk"
    assert ng.tensor(x).topk(1, 0, largest=False).indices.tolist() == [[0, 1, 1, 1]]
    assert ng.topk(ng.tensor(x), 0).values.shape == (2, 0)
    for k in (5, -1):
        with pytest.raises(RuntimeError, match="selected index k out of range"):
            ng.topk(ng.tensor(x), k)
    with pytest.raises(RuntimeError, match="topk does not support bool dtypes on CPU"):
        ng.topk(ng.tensor([True]), 1)
    _check_all(lambda t: ng.topk(t, 2, 0).values, _t(RNG.permutation(12).reshape(3, 4) / 3.0))


def test_masked_select():
    x = np.arange(6.0).reshape(2, 3)
    m = np.array([True, False, True])
    np.testing.assert_array_equal(ng.masked_select(ng.tensor(x), ng.tensor(m)).numpy(), x[:, m].ravel())
    np.testing.assert_array_equal(ng.tensor(x[0]).masked_select(ng.tensor([[True], [False]])).numpy(), x[0])
    with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
        ng.masked_select(ng.tensor(x), ng.tensor([1, 0, 1]))
    _check_all(lambda t: ng.masked_select(t, ng.tensor(m)), _t(x))


# ---------------------------------------------------------------- tile, swapaxes, *_as, new_*


def test_tile_swap_and_as_methods():
    x = np.arange(6.0).reshape(2, 3)
    t = ng.tensor(x)
    np.testing.assert_array_equal(ng.tile(t, (2,)).numpy(), np.tile(x, 2))
    np.testing.assert_array_equal(t.tile(2, 1, 2).numpy(), np.tile(x, (2, 1, 2)))
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -3: \[2, -3\]"):
        t.tile(1, -1)
    np.testing.assert_array_equal(ng.swapaxes(t, 0, 1).numpy(), x.T)
    np.testing.assert_array_equal(t.swapdims(dim0=1, dim1=0).numpy(), x.T)
    assert t.view_as(ng.zeros(3, 2)).shape == (3, 2) and t.reshape_as(ng.zeros(6)).shape == (6,)
    assert t[:1].expand_as(ng.zeros(4, 2, 3)).shape == (4, 2, 3)
    assert ng.tensor([1, 2]).type_as(t).dtype == t.dtype
    w = _t(x)
    assert w.view_as(ng.zeros(6)).grad_fn is not None and w.type_as(ng.zeros(1)).dtype == np.float32
    _check_all(lambda w: w.tile(2, 2) * w.swapaxes(0, 1).reshape_as(w).repeat(2, 2), w)


def test_new_tensor_methods():
    x = ng.tensor([1.0, 2.0])
    xi = ng.tensor([1, 2])
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2, 3)).dtype == np.float32
    assert xi.new_ones([2]).dtype == np.int64 and xi.new_ones(2).tolist() == [1, 1]
    assert xi.new_full((2,), 1.7).tolist() == [1, 1]
    assert x.new_full((2,), 5, dtype=ng.float64).dtype == np.float64
    assert x.new_empty(2, 2).shape == (2, 2)
    assert x.new_tensor([1, 2]).dtype == np.float32 and xi.new_tensor([1.5]).tolist() == [1]
    y = x.new_ones(2, requires_grad=True)
    assert y.requires_grad and y.is_leaf
    with pytest.raises(TypeError, match="new_full\\(\\): argument 'size' \\(position 1\\) must be tuple of ints"):
        x.new_full(2, 1.0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        copy = x.new_tensor(x)
    assert "sourceTensor.detach().clone()" in str(w[0].message)
    assert copy.tolist() == [1.0, 2.0] and copy._data is not x._data
