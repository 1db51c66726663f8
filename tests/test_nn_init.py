"""numgrad.nn.init: values checked against PyTorch's (exact for the deterministic
initialisers, statistical for the random ones), in-place semantics, errors."""
import math
import warnings

import numpy as np
import pytest

import numgrad as ng
import numgrad.nn as nn
from numgrad.nn import init


def _np(t):
    return np.asarray(t.tolist())


# ----- calculate_gain and fans ----------------------------------------------------------

@pytest.mark.parametrize("name,gain", [
    ("linear", 1), ("conv1d", 1), ("conv2d", 1), ("conv3d", 1), ("conv_transpose1d", 1),
    ("conv_transpose2d", 1), ("conv_transpose3d", 1), ("sigmoid", 1), ("tanh", 5.0 / 3),
    ("relu", math.sqrt(2.0)), ("leaky_relu", math.sqrt(2.0 / (1 + 0.01 ** 2))), ("selu", 0.75)])
def test_calculate_gain(name, gain):
    assert init.calculate_gain(name) == gain


def test_calculate_gain_leaky_relu_param_and_errors():
    assert init.calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu", 1) == 1.0
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2.0 / 6)
    assert type(init.calculate_gain("linear")) is int
    with pytest.raises(ValueError, match="^negative_slope True not a valid number$"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="^negative_slope x not a valid number$"):
        init.calculate_gain("leaky_relu", "x")
    with pytest.raises(ValueError, match="^Unsupported nonlinearity foo$"):
        init.calculate_gain("foo")


@pytest.mark.parametrize("shape,fans", [((3, 4), (4, 3)), ((3, 4, 5), (20, 15)),
                                        ((2, 3, 4, 5), (60, 40)), ((6, 2, 3, 4, 5), (120, 360)),
                                        ((2, 3, 0), (0, 0))])
def test_fans(shape, fans):
    assert init._calculate_fan_in_and_fan_out(ng.empty(*shape)) == fans


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape):
    t = ng.empty(*shape) if shape else ng.tensor(1.0)
    msg = "^Fan in and fan out can not be computed for tensor with fewer than 2 dimensions$"
    for fn in (init._calculate_fan_in_and_fan_out, init.xavier_uniform_, init.xavier_normal_,
               init.kaiming_uniform_, init.kaiming_normal_):
        with pytest.raises(ValueError, match=msg):
            fn(t)


def test_correct_fan_mode():
    t = ng.empty(3, 4, 5)
    assert init._calculate_correct_fan(t, "fan_in") == 20
    assert init._calculate_correct_fan(t, "FAN_OUT") == 15
    with pytest.raises(ValueError, match=r"^Mode fan_avg not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]$"):
        init.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="^Unsupported nonlinearity bogus$"):
        init.kaiming_normal_(t, nonlinearity="bogus")


# ----- deterministic initialisers ----------------------------------------------------

def test_constant_ones_zeros():
    assert _np(init.constant_(ng.empty(2, 3), 2.5)).tolist() == [[2.5] * 3] * 2
    assert _np(init.ones_(ng.empty(4))).tolist() == [1.0] * 4
    assert _np(init.zeros_(ng.empty(2, 2))).tolist() == [[0.0] * 2] * 2
    assert init.constant_(ng.tensor(1.0), 3.0).item() == 3.0
    t = init.constant_(ng.empty(3, 2, dtype=ng.int64), 3)
    assert t.dtype == ng.int64 and _np(t).tolist() == [[3, 3]] * 3


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_eye(shape):
    np.testing.assert_array_equal(_np(init.eye_(ng.empty(*shape))), np.eye(*shape))


def test_eye_int_and_errors():
    t = init.eye_(ng.empty(3, 2, dtype=ng.int64))
    assert t.dtype == ng.int64 and _np(t).tolist() == [[1, 0], [0, 1], [0, 0]]
    for shape in [(3,), (2, 2, 2)]:
        with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
            init.eye_(ng.empty(*shape))


@pytest.mark.parametrize("shape,groups", [((6, 2, 3), 2), ((6, 4, 3, 3), 3), ((4, 2, 3, 3, 3), 2),
                                          ((2, 5, 4, 4), 1), ((3, 3, 5), 1)])
def test_dirac(shape, groups):
    a = _np(init.dirac_(ng.empty(*shape), groups=groups))
    expected = np.zeros(shape)
    per = shape[0] // groups
    for g in range(groups):
        for d in range(min(per, shape[1])):
            expected[(g * per + d, d) + tuple(s // 2 for s in shape[2:])] = 1
    np.testing.assert_array_equal(a, expected)


def test_dirac_errors():
    with pytest.raises(ValueError, match="^Only tensors with 3, 4, or 5 dimensions are supported$"):
        init.dirac_(ng.empty(3, 3))
    with pytest.raises(ValueError, match="^dim 0 must be divisible by groups$"):
        init.dirac_(ng.empty(5, 2, 3), groups=2)


# ----- random initialisers: bounds and statistics -------------------------------------------

N = (400, 500)


def test_uniform_normal():
    ng.manual_seed(0)
    a = _np(init.uniform_(ng.empty(*N), -2, 3))
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.02
    assert abs(a.std() - 5 / math.sqrt(12)) < 0.02
    a = _np(init.normal_(ng.empty(*N), 1, 2))
    assert abs(a.mean() - 1) < 0.02 and abs(a.std() - 2) < 0.02
    a = _np(init.uniform_(ng.empty(*N)))
    assert a.min() >= 0 and a.max() < 1
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        init.normal_(ng.empty(3), std=-1)
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range"):
        init.uniform_(ng.empty(3), 2, 1)


@pytest.mark.parametrize("shape", [(400, 500), (64, 32, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_xavier(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ng.empty(*shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    ng.manual_seed(1)
    a = _np(init.xavier_uniform_(ng.empty(*shape), gain=gain))
    bound = math.sqrt(3) * std
    assert a.min() >= -bound and a.max() <= bound and a.max() > 0.99 * bound
    assert abs(a.std() / std - 1) < 0.02
    a = _np(init.xavier_normal_(ng.empty(*shape), gain))
    assert abs(a.std() / std - 1) < 0.02 and abs(a.mean()) < 0.02 * std


@pytest.mark.parametrize("a,mode,nonlinearity,fan", [
    (0, "fan_in", "leaky_relu", 500), (math.sqrt(5), "fan_in", "leaky_relu", 500),
    (0, "fan_out", "relu", 400), (0.2, "fan_out", "leaky_relu", 400), (0, "fan_in", "tanh", 500)])
def test_kaiming(a, mode, nonlinearity, fan):
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    ng.manual_seed(2)
    x = _np(init.kaiming_uniform_(ng.empty(*N), a=a, mode=mode, nonlinearity=nonlinearity))
    bound = math.sqrt(3) * std
    assert x.min() >= -bound and x.max() <= bound and x.max() > 0.99 * bound
    assert abs(x.std() / std - 1) < 0.02
    x = _np(init.kaiming_normal_(ng.empty(*N), a, mode, nonlinearity))
    assert abs(x.std() / std - 1) < 0.02 and abs(x.mean()) < 0.02 * std


def test_kaiming_uniform_sqrt5_matches_linear_bound():
    # nn.Linear's default init is kaiming_uniform_(a=sqrt(5)): bound 1/sqrt(in_features)
    x = _np(init.kaiming_uniform_(ng.empty(300, 49), a=math.sqrt(5)))
    assert x.max() <= 1 / 7 and x.min() >= -1 / 7 and x.max() > 0.98 / 7


def test_kaiming_zero_element_warns():
    t = ng.empty(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_uniform_(t) is t
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_normal_(t) is t


def _truncnorm_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0, 1, -2, 2), (0, 1, -1, 1), (0, 0.02, -2, 2),
                                          (0.5, 1.0, -0.1, 0.2), (0, 1, 1.5, 4), (3, 2, 0, 10)])
def test_trunc_normal(mean, std, a, b):
    ng.manual_seed(3)
    x = _np(init.trunc_normal_(ng.empty(*N), mean, std, a, b))
    assert x.min() >= a and x.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(x.mean() - m) < 0.01 * s + 1e-6
    assert abs(x.std() / s - 1) < 0.02


def test_trunc_normal_defaults_and_warning():
    x = _np(init.trunc_normal_(ng.empty(*N)))
    assert x.min() >= -2 and x.max() <= 2 and abs(x.std() - 0.8796) < 0.01
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(ng.empty(10), mean=10, std=1, a=-1, b=1)


@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 6), (4, 3, 2, 2)])
@pytest.mark.parametrize("gain", [1, 2.5])
def test_orthogonal(shape, gain):
    x = _np(init.orthogonal_(ng.empty(*shape), gain=gain)).reshape(shape[0], -1)
    g = x @ x.T if x.shape[0] <= x.shape[1] else x.T @ x
    np.testing.assert_allclose(g, gain ** 2 * np.eye(len(g)), atol=1e-5)


def test_orthogonal_errors_and_empty():
    with pytest.raises(ValueError, match="^Only tensors with 2 or more dimensions are supported$"):
        init.orthogonal_(ng.empty(4))
    t = ng.empty(0, 3)
    assert init.orthogonal_(t) is t


def test_sparse():
    ng.manual_seed(4)
    x = _np(init.sparse_(ng.empty(10, 300), 0.25, std=0.5))
    assert ((x == 0).sum(0) == 3).all()
    assert abs(x[x != 0].std() - 0.5) < 0.03
    with pytest.raises(ValueError, match="^Only tensors with 2 dimensions are supported$"):
        init.sparse_(ng.empty(3, 3, 3), 0.1)


@pytest.mark.parametrize("fn", ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_",
                                "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
                                "orthogonal_"])
def test_random_on_integer_tensor_raises(fn):
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        getattr(init, fn)(ng.empty(3, 4, dtype=ng.int64))


# ----- in-place semantics, dtypes, seeding --------------------------------------------------

ALL = [("uniform_", ()), ("normal_", ()), ("trunc_normal_", ()), ("constant_", (0.5,)),
       ("ones_", ()), ("zeros_", ()), ("eye_", ()), ("xavier_uniform_", ()), ("xavier_normal_", ()),
       ("kaiming_uniform_", ()), ("kaiming_normal_", ()), ("orthogonal_", ()), ("sparse_", (0.2,))]


@pytest.mark.parametrize("fn,args", ALL)
def test_in_place_on_parameter(fn, args):
    p = nn.Parameter(ng.zeros(4, 5))
    before = p._version[0]
    assert getattr(init, fn)(p, *args) is p
    assert p._version[0] > before
    assert p.requires_grad and p.is_leaf and p.grad_fn is None
    # still usable as a leaf: gradients flow into it
    (p * 2).sum().backward()
    np.testing.assert_array_equal(_np(p.grad), np.full((4, 5), 2.0))


@pytest.mark.parametrize("fn,args", ALL)
def test_keeps_dtype(fn, args):
    t = ng.zeros(6, 6, dtype=ng.float64)
    assert getattr(init, fn)(t, *args).dtype == ng.float64


@pytest.mark.parametrize("fn,args", [(f, a) for f, a in ALL if f not in ("constant_", "ones_",
                                                                          "zeros_", "eye_")])
def test_manual_seed_reproducible(fn, args):
    ng.manual_seed(123)
    a = _np(getattr(init, fn)(ng.empty(7, 9), *args))
    ng.manual_seed(123)
    b = _np(getattr(init, fn)(ng.empty(7, 9), *args))
    np.testing.assert_array_equal(a, b)
    assert not (a == _np(getattr(init, fn)(ng.empty(7, 9), *args))).all()


def test_writes_through_views():
    w = nn.Parameter(ng.zeros(4, 3))
    init.constant_(w[:2], 1.0)
    init.eye_(w[2:])
    np.testing.assert_array_equal(_np(w), [[1, 1, 1], [1, 1, 1], [1, 0, 0], [0, 1, 0]])


def test_module_reinit_and_import_paths():
    import numgrad.nn.init as init2
    assert init2 is init is nn.init
    lin = nn.Linear(8, 4)
    init.xavier_uniform_(lin.weight)
    init.zeros_(lin.bias)
    assert (_np(lin.bias) == 0).all()
    out = lin(ng.ones(2, 8)).sum()
    out.backward()
    assert lin.weight.grad is not None and lin.weight.grad.shape == (4, 8)


def test_deprecated_aliases():
    with pytest.warns(FutureWarning, match=r"`nn.init.constant` is now deprecated in favor of "
                                           r"`nn.init.constant_`."):
        t = init.constant(ng.empty(2), 1.0)
    assert _np(t).tolist() == [1.0, 1.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("uniform", "normal", "eye", "xavier_uniform", "xavier_normal",
                     "kaiming_uniform", "kaiming_normal", "orthogonal"):
            getattr(init, name)(ng.empty(3, 3))
        init.dirac(ng.empty(2, 2, 3))
        init.sparse(ng.empty(3, 3), 0.3)
