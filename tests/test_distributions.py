"""numgrad.distributions: values against scipy.stats, sampling, gradients of log_prob
(reverse, forward, second order) and rsample, broadcasting and dtypes, validation
and its messages, expand, KL divergences, and PyTorch's functional-autograd
benchmark models (with an optional comparison against torch.distributions)."""
import math
import re

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import numgrad as ng
import numgrad.distributions as dist
from numgrad.autograd import gradcheck, gradgradcheck
from numgrad.distributions import constraints


def _np(t):
    return np.asarray(t.detach().numpy())


def _t(a, requires_grad=False):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


@pytest.fixture
def validation_default():
    """Restore the default of validate_args after a test changes it."""
    yield
    dist.Distribution.set_default_validate_args(True)


# ----- values against scipy.stats (float64) ------------------------------------------------

LOC = np.array([-1.0, 0.0, 0.5, 2.0])
SCALE = np.array([0.5, 1.0, 2.0, 3.0])
X = np.array([-2.0, 0.3, 1.0, 4.0])
Q = np.array([0.05, 0.3, 0.5, 0.9])
POS = np.array([0.2, 1.0, 2.5, 7.0])
DF = np.array([2.5, 3.0, 5.0, 30.0])
C1 = np.array([0.7, 2.0, 3.0, 1.5])
C0 = np.array([2.0, 1.5, 4.0, 3.0])
U01 = np.array([0.1, 0.35, 0.6, 0.95])

# name -> (numgrad distribution, scipy frozen distribution, points for log_prob / cdf)
CONTINUOUS = {
    "Normal": (lambda: dist.Normal(_t(LOC), _t(SCALE)), st.norm(LOC, SCALE), X),
    "Laplace": (lambda: dist.Laplace(_t(LOC), _t(SCALE)), st.laplace(LOC, SCALE), X),
    "Uniform": (lambda: dist.Uniform(_t(LOC), _t(LOC + SCALE)), st.uniform(LOC, SCALE),
                LOC + 0.4 * SCALE),
    "StudentT": (lambda: dist.StudentT(_t(DF), _t(LOC), _t(SCALE)), st.t(DF, LOC, SCALE), X),
    "Gamma": (lambda: dist.Gamma(_t(POS), _t(SCALE)), st.gamma(POS, scale=1 / SCALE), POS),
    "Exponential": (lambda: dist.Exponential(_t(SCALE)), st.expon(scale=1 / SCALE), POS),
    "Beta": (lambda: dist.Beta(_t(C1), _t(C0)), st.beta(C1, C0), U01),
}
HAS_CDF = {"Normal", "Laplace", "Uniform", "Gamma", "Exponential"}
HAS_ICDF = {"Normal", "Laplace", "Uniform", "Exponential"}


@pytest.mark.parametrize("name", sorted(CONTINUOUS))
def test_continuous_values_match_scipy(name):
    make, ref, x = CONTINUOUS[name]
    d = make()
    assert d.batch_shape == (4,) and d.event_shape == ()
    lp = d.log_prob(_t(x))
    assert lp.dtype == ng.float64 and lp.shape == (4,)
    np.testing.assert_allclose(_np(lp), ref.logpdf(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(d.entropy()), ref.entropy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(d.perplexity()), np.exp(ref.entropy()), rtol=1e-12)
    np.testing.assert_allclose(_np(d.mean), ref.mean(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_np(d.variance), ref.var(), rtol=1e-12)
    np.testing.assert_allclose(_np(d.stddev), ref.std(), rtol=1e-12)
    if name in HAS_CDF:
        np.testing.assert_allclose(_np(d.cdf(_t(x))), ref.cdf(x), rtol=1e-12, atol=1e-14)
    else:
        with pytest.raises(NotImplementedError):
            d.cdf(_t(x))
    if name in HAS_ICDF:
        np.testing.assert_allclose(_np(d.icdf(_t(Q))), ref.ppf(Q), rtol=1e-12, atol=1e-12)
    else:
        with pytest.raises(NotImplementedError):
            d.icdf(_t(Q))


def test_modes():
    np.testing.assert_array_equal(_np(dist.Normal(_t(LOC), _t(SCALE)).mode), LOC)
    np.testing.assert_array_equal(_np(dist.Laplace(_t(LOC), _t(SCALE)).mode), LOC)
    np.testing.assert_array_equal(_np(dist.StudentT(_t(DF), _t(LOC), 1.).mode), LOC)
    assert np.isnan(_np(dist.Uniform(_t(LOC), 10.).mode)).all()
    np.testing.assert_allclose(_np(dist.Gamma(_t(POS), _t(SCALE)).mode),
                               np.maximum((POS - 1) / SCALE, 0))
    np.testing.assert_array_equal(_np(dist.Exponential(_t(SCALE)).mode), 0)
    np.testing.assert_allclose(_np(dist.Beta(_t([2., 3.]), _t([4., 1.5])).mode),
                               [1 / 4, 2 / 2.5])
    # both concentrations below 1: PyTorch's vertex; one below, the other 1: undefined (nan)
    np.testing.assert_array_equal(_np(dist.Beta(_t([0.5, 0.5, 0.5]), _t([0.5, 2.0, 1.0])).mode),
                                  [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(_np(dist.Bernoulli(_t([0.2, 0.5, 0.7])).mode), [0, np.nan, 1])
    mode = dist.Categorical(_t([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])).mode
    assert mode.dtype == ng.int64 and mode.tolist() == [1, 0]


def test_studentt_moments_for_small_df():
    d = dist.StudentT(_t([0.5, 1.0, 1.5, 2.0, 3.0]), _t([1., 1., 1., 1., 1.]), 2.)
    np.testing.assert_array_equal(_np(d.mean), [np.nan, np.nan, 1., 1., 1.])
    np.testing.assert_array_equal(_np(d.variance), [np.nan, np.nan, np.inf, np.inf, 12.])


def test_bernoulli_values():
    p = np.array([0.1, 0.5, 0.8, 0.99])
    for d in (dist.Bernoulli(_t(p)), dist.Bernoulli(logits=_t(sp.logit(p)))):
        for k in (0.0, 1.0):
            np.testing.assert_allclose(_np(d.log_prob(_t(np.full(4, k)))),
                                       st.bernoulli(p).logpmf(k), rtol=1e-12)
        np.testing.assert_allclose(_np(d.entropy()), st.bernoulli(p).entropy(), rtol=1e-12)
        np.testing.assert_allclose(_np(d.mean), p, rtol=1e-12)
        np.testing.assert_allclose(_np(d.variance), p * (1 - p), rtol=1e-12)
        np.testing.assert_allclose(_np(d.probs), p, rtol=1e-12)
        np.testing.assert_allclose(_np(d.logits), sp.logit(p), rtol=1e-12)


def test_categorical_values():
    w = np.array([[1.0, 2.0, 7.0], [3.0, 3.0, 4.0]])
    p = w / w.sum(-1, keepdims=True)
    for d in (dist.Categorical(_t(w)), dist.Categorical(logits=_t(np.log(w) + 5))):
        assert d.batch_shape == (2,) and d.event_shape == () and d.param_shape == (2, 3)
        np.testing.assert_allclose(_np(d.probs), p, rtol=1e-12)
        np.testing.assert_allclose(_np(d.logits), np.log(p), rtol=1e-12)
        lp = d.log_prob(ng.tensor([2, 0]))
        np.testing.assert_allclose(_np(lp), np.log([p[0, 2], p[1, 0]]), rtol=1e-12)
        np.testing.assert_allclose(_np(d.entropy()), st.entropy(p, axis=-1), rtol=1e-12)
        assert np.isnan(_np(d.mean)).all() and np.isnan(_np(d.variance)).all()
    # a zero probability: logits are clamped to log(eps), as PyTorch's; entropy stays finite
    d = dist.Categorical(_t([0.5, 0.0, 0.5]))
    assert _np(d.log_prob(ng.tensor(1))) == math.log(np.finfo(np.float64).eps)
    np.testing.assert_allclose(_np(d.entropy()), math.log(2))


def test_dirichlet_values():
    c = np.array([0.8, 2.0, 3.5])
    x = np.array([0.2, 0.3, 0.5])
    d = dist.Dirichlet(_t(c))
    assert d.batch_shape == () and d.event_shape == (3,)
    ref = st.dirichlet(c)
    np.testing.assert_allclose(_np(d.log_prob(_t(x))), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(_np(d.entropy()), ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(_np(d.mean), ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(_np(d.variance), ref.var(), rtol=1e-12)


def test_special_functions_against_scipy():
    erfinv, gammainc = ng.erfinv, ng.igamma
    x = np.concatenate([np.linspace(-0.999, 0.999, 101), [0.0, 1 - 1e-15, -1 + 1e-15]])
    np.testing.assert_allclose(_np(erfinv(_t(x))), sp.erfinv(x), rtol=1e-14, atol=1e-15)
    assert _np(erfinv(_t([1.0, -1.0]))).tolist() == [np.inf, -np.inf]
    assert np.isnan(_np(erfinv(_t([1.5])))).all()
    a, z = np.meshgrid([0.1, 0.5, 1.0, 3.0, 20.0, 150.0], [1e-3, 0.1, 1.0, 2.5, 10.0, 200.0])
    np.testing.assert_allclose(_np(gammainc(_t(a), _t(z))), sp.gammainc(a, z), rtol=1e-12,
                               atol=1e-300)
    assert erfinv(ng.tensor([0.5])).dtype == ng.float32


# ----- sampling ---------------------------------------------------------------------

ALL = {
    "Normal": lambda: dist.Normal(ng.zeros(2), ng.ones(2)),
    "Laplace": lambda: dist.Laplace(ng.zeros(2), 2.),
    "Uniform": lambda: dist.Uniform(ng.zeros(2), 3.),
    "StudentT": lambda: dist.StudentT(ng.full((2,), 4.)),
    "Gamma": lambda: dist.Gamma(ng.full((2,), 2.), 3.),
    "Exponential": lambda: dist.Exponential(ng.full((2,), 2.)),
    "Beta": lambda: dist.Beta(ng.full((2,), 2.), 3.),
    "Bernoulli": lambda: dist.Bernoulli(ng.full((2,), 0.3)),
    "Categorical": lambda: dist.Categorical(ng.ones(2, 4)),
    "Dirichlet": lambda: dist.Dirichlet(ng.ones(2, 4)),
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_sample_shapes_and_dtypes(name):
    d = ALL[name]()
    es = d.event_shape
    for shape in [(), (3,), (4, 5)]:
        s = d.sample(shape)
        assert s.shape == shape + (2,) + es
        assert not s.requires_grad
        assert s.dtype == (ng.int64 if name == "Categorical" else ng.float32)
        if d.has_rsample:
            assert d.rsample(shape).shape == shape + (2,) + es
    assert d.sample([3]).shape == (3, 2) + es


@pytest.mark.parametrize("name", sorted(ALL))
def test_sample_on_support_and_seeded(name):
    d = ALL[name]()
    ng.manual_seed(3)
    a = d.sample((200,))
    ng.manual_seed(3)
    b = d.sample((200,))
    np.testing.assert_array_equal(_np(a), _np(b))
    assert d.support.check(a).all()


@pytest.mark.parametrize("make,ref", [
    (lambda: dist.Normal(_t([1.5]), _t([2.0])), st.norm(1.5, 2.0)),
    (lambda: dist.Laplace(_t([-1.0]), _t([0.5])), st.laplace(-1.0, 0.5)),
    (lambda: dist.Uniform(_t([-1.0]), _t([2.0])), st.uniform(-1.0, 3.0)),
    (lambda: dist.StudentT(_t([4.0]), _t([1.0]), _t([2.0])), st.t(4.0, 1.0, 2.0)),
    (lambda: dist.Gamma(_t([0.5]), _t([2.0])), st.gamma(0.5, scale=0.5)),
    (lambda: dist.Gamma(_t([3.0]), _t([0.5])), st.gamma(3.0, scale=2.0)),
    (lambda: dist.Exponential(_t([3.0])), st.expon(scale=1 / 3)),
    (lambda: dist.Beta(_t([0.5]), _t([2.0])), st.beta(0.5, 2.0)),
])
def test_sample_statistics(make, ref):
    ng.manual_seed(0)
    d = make()
    s = _np(d.sample((20000,)))[:, 0]
    se = ref.std() / math.sqrt(s.size)
    assert abs(s.mean() - ref.mean()) < 5 * se
    assert st.kstest(s, ref.cdf).pvalue > 1e-3
    if d.has_rsample:
        ng.manual_seed(1)
        r = _np(d.rsample((20000,)))[:, 0]
        assert st.kstest(r, ref.cdf).pvalue > 1e-3


def test_discrete_sample_frequencies():
    ng.manual_seed(0)
    p = np.array([0.1, 0.0, 0.6, 0.3])
    s = _np(dist.Categorical(_t(p)).sample((40000,)))
    freq = np.bincount(s, minlength=4) / s.size
    assert freq[1] == 0
    np.testing.assert_allclose(freq, p, atol=0.01)
    s = _np(dist.Categorical(_t([[1.0, 0.0], [0.0, 1.0]])).sample((100,)))
    assert (s[:, 0] == 0).all() and (s[:, 1] == 1).all()
    s = _np(dist.Bernoulli(_t([0.25, 0.0, 1.0])).sample((40000,)))
    np.testing.assert_allclose(s.mean(0), [0.25, 0, 1], atol=0.01)
    s = _np(dist.Dirichlet(_t([1.0, 2.0, 3.0])).sample((20000,)))
    np.testing.assert_allclose(s.sum(-1), 1, rtol=1e-12)
    np.testing.assert_allclose(s.mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.01)


def test_sample_does_not_track_gradients():
    loc = ng.zeros(3, requires_grad=True)
    d = dist.Normal(loc, 1.)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad


# ----- gradients ------------------------------------------------------------------------

def _seeded_rsample(make):
    def fn(*params):
        ng.manual_seed(7)
        return make(*params).rsample((3,))
    return fn


@pytest.mark.parametrize("make,params", [
    (dist.Normal, (LOC, SCALE)),
    (dist.Laplace, (LOC, SCALE)),
    (dist.Uniform, (LOC, LOC + SCALE)),
    (dist.Exponential, (SCALE,)),
])
def test_rsample_gradients(make, params):
    inputs = tuple(_t(p, requires_grad=True) for p in params)
    fn = _seeded_rsample(make)
    assert gradcheck(fn, inputs, check_forward_ad=True)
    assert gradgradcheck(fn, inputs)


# name -> (function of float64 tensors, their values)
LOG_PROB_GRADS = {
    "Normal": (lambda m, s, x: dist.Normal(m, s).log_prob(x), (LOC, SCALE, X)),
    "Normal_numbers": (lambda x: dist.Normal(0.5, 2.).log_prob(x), (X,)),
    "Laplace": (lambda m, s, x: dist.Laplace(m, s).log_prob(x), (LOC, SCALE, X)),
    "Uniform": (lambda lo, hi: dist.Uniform(lo, hi).log_prob(_t(LOC + 0.4 * SCALE)),
                (LOC, LOC + SCALE)),
    "StudentT": (lambda df, m, s, x: dist.StudentT(df, m, s).log_prob(x), (DF, LOC, SCALE, X)),
    "Gamma": (lambda c, r, x: dist.Gamma(c, r).log_prob(x), (POS, SCALE, POS)),
    "Exponential": (lambda r, x: dist.Exponential(r).log_prob(x), (SCALE, POS)),
    "Beta": (lambda a, b, x: dist.Beta(a, b).log_prob(x), (C1, C0, U01)),
    "Dirichlet": (lambda c, x: dist.Dirichlet(c, validate_args=False).log_prob(x),
                  (np.array([[0.8, 2.0, 3.5], [1.0, 1.5, 0.5]]), np.array([0.2, 0.3, 0.5]))),
    "Bernoulli_logits": (lambda logits, y: dist.Bernoulli(logits=logits, validate_args=False)
                         .log_prob(y), (X, U01)),
    "Bernoulli_probs": (lambda p: dist.Bernoulli(p).log_prob(_t([0., 1., 1., 0.])), (U01,)),
    "Categorical_logits": (lambda logits: dist.Categorical(logits=logits).log_prob(
        ng.tensor([0, 2])), (np.array([[0.1, -1.0, 2.0], [0.5, 0.3, -0.2]]),)),
    "Categorical_probs": (lambda p: dist.Categorical(p).log_prob(ng.tensor([1, 2])),
                          (np.array([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4]]),)),
    "Normal_cdf": (lambda m, s, x: dist.Normal(m, s).cdf(x), (LOC, SCALE, X)),
    "Normal_icdf": (lambda m, s, q: dist.Normal(m, s).icdf(q), (LOC, SCALE, Q)),
    "Gamma_cdf": (lambda r, x: dist.Gamma(_t(POS), r).cdf(x), (SCALE, POS)),
    "Laplace_cdf": (lambda m, s, x: dist.Laplace(m, s).cdf(x), (LOC, SCALE, X)),
    "Exponential_icdf": (lambda r, q: dist.Exponential(r).icdf(q), (SCALE, Q)),
    "StudentT_entropy": (lambda df, s: dist.StudentT(df, 0., s).entropy(), (DF, SCALE)),
    "Gamma_entropy": (lambda c, r: dist.Gamma(c, r).entropy(), (POS, SCALE)),
    "Beta_entropy": (lambda a, b: dist.Beta(a, b).entropy(), (C1, C0)),
    "Bernoulli_entropy": (lambda logits: dist.Bernoulli(logits=logits).entropy(), (X,)),
    "Categorical_entropy": (lambda logits: dist.Categorical(logits=logits).entropy(),
                            (np.array([[0.1, -1.0, 2.0], [0.5, 0.3, -0.2]]),)),
}


@pytest.mark.parametrize("name", sorted(LOG_PROB_GRADS))
def test_gradients_reverse_forward_second_order(name):
    fn, values = LOG_PROB_GRADS[name]
    inputs = tuple(_t(v, requires_grad=True) for v in values)
    assert gradcheck(fn, inputs, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, inputs, check_fwd_over_rev=True)


def test_gammainc_has_no_gradient_in_its_first_argument():
    c = _t(POS, requires_grad=True)
    out = dist.Gamma(c, 1.).cdf(_t(POS))
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not "
                                                  "implemented."):
        out.sum().backward()


def test_hessian_of_log_prob_matches_closed_form():
    # d2/dm2 log N(x; m, s) = -1/s^2, d2/dmds = -2(x - m)/s^3, d2/ds2 = 1/s^2 - 3(x - m)^2/s^4
    x, m, s = 0.7, 0.2, 1.3

    def f(p):
        return dist.Normal(p[0], p[1]).log_prob(_t(x))
    h = _np(ng.autograd.functional.hessian(f, _t([m, s])))
    expected = [[-1 / s ** 2, -2 * (x - m) / s ** 3],
                [-2 * (x - m) / s ** 3, 1 / s ** 2 - 3 * (x - m) ** 2 / s ** 4]]
    np.testing.assert_allclose(h, expected, rtol=1e-12)
    h_fwd = ng.autograd.functional.hessian(f, _t([m, s]), outer_jacobian_strategy="forward-mode")
    np.testing.assert_allclose(_np(h_fwd), expected, rtol=1e-12)
    np.testing.assert_allclose(_np(ng.func.hessian(f)(_t([m, s]))), expected, rtol=1e-12)


# ----- broadcasting, dtypes, shapes ---------------------------------------------------------

def test_numbers_become_default_dtype_tensors():
    d = dist.Normal(0., 1)
    assert d.batch_shape == () and d.loc.shape == () and d.loc.dtype == ng.float32
    assert d.scale.dtype == ng.float32 and d.scale.item() == 1.0
    ng.set_default_dtype(ng.float64)
    try:
        assert dist.Normal(0., 1.).loc.dtype == ng.float64
        assert dist.Gamma(1., 2.).sample().dtype == ng.float64
    finally:
        ng.set_default_dtype(ng.float32)


def test_number_takes_the_tensors_dtype_and_shape():
    d = dist.Normal(ng.zeros(2, 1, dtype=ng.float64), 2.)
    assert d.scale.dtype == ng.float64 and d.scale.shape == (2, 1) and d.batch_shape == (2, 1)
    d = dist.StudentT(3., ng.zeros(3))
    assert d.df.dtype == ng.float32 and d.df.shape == (3,) and d.batch_shape == (3,)
    d = dist.Gamma(ng.ones(1, 1), ng.ones(10, 1))
    assert d.concentration.shape == (10, 1) and d.batch_shape == (10, 1)


def test_equal_shapes_are_not_broadcast():
    loc, scale = ng.zeros(3), ng.ones(3)
    d = dist.Normal(loc, scale)
    assert d.loc is loc and d.scale is scale
    d = dist.StudentT(ng.ones(1), loc, scale)
    assert d.loc is loc and d.df.shape == (3,)


def test_broadcast_errors():
    with pytest.raises(RuntimeError, match="The size of tensor a \\(2\\) must match the size of "
                                           "tensor b \\(3\\) at non-singleton dimension 0"):
        dist.Normal(ng.zeros(2), ng.ones(3))
    with pytest.raises(ValueError, match="^Input arguments must all be instances of Number"):
        dist.Normal("0", 1.)


def test_log_prob_dtype_and_shape_promotion():
    d = dist.Normal(0., 1.)
    assert d.log_prob(ng.zeros(2, dtype=ng.float64)).dtype == ng.float64
    assert d.log_prob(ng.tensor(0., dtype=ng.float64)).dtype == ng.float64
    d = dist.Normal(ng.zeros(3, dtype=ng.float64), 1.)
    assert d.log_prob(ng.zeros(3)).dtype == ng.float64
    d = dist.Normal(ng.zeros(2), 1.)
    assert d.log_prob(ng.zeros(3, 1)).shape == (3, 2)
    # Gamma casts the value to its parameters' dtype, as PyTorch's
    assert dist.Gamma(ng.ones(2), 1.).log_prob(ng.ones(2, dtype=ng.float64)).dtype == ng.float32
    assert dist.Bernoulli(logits=ng.zeros(3)).log_prob(ng.ones(2, 1)).shape == (2, 3)
    assert dist.Categorical(logits=ng.zeros(2, 3)).log_prob(ng.tensor([[0], [2], [1]])).shape \
        == (3, 2)
    # without validation, values may be numbers
    assert dist.Normal(ng.zeros(2), 1., validate_args=False).log_prob(0.5).shape == (2,)


def test_float32_end_to_end():
    for d in [dist.Normal(ng.zeros(2), 1.), dist.StudentT(ng.full((2,), 3.), 0., 1.),
              dist.Gamma(ng.ones(2), 2.), dist.Exponential(ng.ones(2)), dist.Laplace(0., ng.ones(2)),
              dist.Beta(ng.ones(2), 2.)]:
        assert d.log_prob(d.sample()).dtype == ng.float32
        assert d.entropy().dtype == ng.float32


def test_lazy_probs_and_logits_are_computed_once():
    d = dist.Bernoulli(logits=ng.zeros(3))
    assert "probs" not in d.__dict__
    p = d.probs
    assert d.probs is p and "probs" in d.__dict__
    np.testing.assert_allclose(_np(p), 0.5)
    d = dist.Bernoulli(ng.tensor([0.0, 0.3, 1.0]))
    np.testing.assert_allclose(_np(d.logits), [math.log(1.1920928955078125e-07) -
                                               math.log1p(-1.1920928955078125e-07),
                                               sp.logit(np.float32(0.3)), 15.942385],
                               rtol=1e-5)
    assert d.logits is d.logits


def test_enumerate_support():
    values = dist.Bernoulli(ng.tensor([[0.3, 0.2]])).enumerate_support()
    assert values.shape == (2, 1, 2) and values.tolist() == [[[0, 0]], [[1, 1]]]
    assert dist.Bernoulli(ng.tensor([[0.3, 0.2]])).enumerate_support(False).shape == (2, 1, 1)
    values = dist.Categorical(logits=ng.zeros(2, 3)).enumerate_support()
    assert values.dtype == ng.int64 and values.tolist() == [[0, 0], [1, 1], [2, 2]]


def test_constant_parameter_terms_follow_changes():
    """log_prob reuses a prior's parameter-only terms, but not once the parameters
    change in place, are replaced, or start requiring grad."""
    scale = ng.ones(3)
    d = dist.Normal(ng.zeros(3), scale)
    x = ng.full((3,), 2.0)
    np.testing.assert_allclose(_np(d.log_prob(x)), st.norm.logpdf(2.0), rtol=1e-6)
    np.testing.assert_allclose(_np(d.log_prob(x)), st.norm.logpdf(2.0), rtol=1e-6)
    scale.mul_(2.0)
    np.testing.assert_allclose(_np(d.log_prob(x)), st.norm.logpdf(2.0, scale=2.0), rtol=1e-6)
    d.scale = ng.full((3,), 4.0)
    np.testing.assert_allclose(_np(d.log_prob(x)), st.norm.logpdf(2.0, scale=4.0), rtol=1e-6)
    d.scale.requires_grad_()
    d.log_prob(x).sum().backward()
    np.testing.assert_allclose(_np(d.scale.grad), -1 / 4 + 4 / 64, rtol=1e-6)
    g = dist.Gamma(ng.full((3,), 2.0), ng.ones(3))
    lp1 = _np(g.log_prob(x))
    g.rate.data = ng.full((3,), 3.0)
    np.testing.assert_allclose(_np(g.log_prob(x)), st.gamma.logpdf(2.0, 2.0, scale=1 / 3),
                               rtol=1e-6)
    assert not np.allclose(lp1, _np(g.log_prob(x)))
    g.rate.numpy()[:] = 5.0  # a write no version counter sees
    np.testing.assert_allclose(_np(g.log_prob(x)), st.gamma.logpdf(2.0, 2.0, scale=1 / 5),
                               rtol=1e-6)


# ----- validation ---------------------------------------------------------------------------

def test_parameter_validation_messages():
    with pytest.raises(ValueError) as e:
        dist.Normal(ng.zeros(2), ng.tensor([1., -1.]))
    assert str(e.value) == (
        "Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: "
        "torch.Size([2]), scale: torch.Size([2])) to satisfy the constraint "
        "GreaterThan(lower_bound=0.0), but found invalid values:\n" + repr(ng.tensor([1., -1.])))
    with pytest.raises(ValueError, match=r"^Expected parameter scale \(Tensor of shape \(\)\) of "
                                         r"distribution Normal\(loc: 0.0, scale: -1.0\)"):
        dist.Normal(0., -1.)
    with pytest.raises(ValueError, match=r"^Expected parameter loc .* Real\(\), but found "):
        dist.Normal(ng.tensor([math.nan]), 1.)
    with pytest.raises(ValueError, match=r"^Expected parameter probs \(Tensor of shape \(2,\)\) "
                                         r"of distribution Bernoulli\(probs: torch.Size\(\[2\]\)\) "
                                         r"to satisfy the constraint Interval\(lower_bound=0.0, "
                                         r"upper_bound=1.0\)"):
        dist.Bernoulli(ng.tensor([0.5, 1.5]))
    with pytest.raises(ValueError, match=r"constraint Simplex\(\)"):
        dist.Categorical(ng.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match=r"^Expected parameter low .*LessThan\(upper_bound="):
        dist.Uniform(ng.tensor([0., 2.]), ng.tensor([1., 1.]))
    with pytest.raises(ValueError, match=r"^Expected parameter concentration \(Tensor of shape "
                                         r"\(2, 2\)\) of distribution Dirichlet\(concentration: "
                                         r"torch.Size\(\[2, 2\]\)\) to satisfy the constraint "
                                         r"IndependentConstraint\(GreaterThan\(lower_bound=0.0\), "
                                         r"1\)"):
        dist.Beta(ng.tensor([1., -2.]), 1.)
    for make in [lambda: dist.StudentT(-1.), lambda: dist.Gamma(1., 0.),
                 lambda: dist.Exponential(ng.tensor([-1.])), lambda: dist.Laplace(0., 0.)]:
        with pytest.raises(ValueError, match="GreaterThan"):
            make()
    # no validation: anything goes
    dist.Normal(0., -1., validate_args=False)


def test_probs_logits_and_dimension_errors():
    msg = "^Either `probs` or `logits` must be specified, but not both.$"
    for make in [lambda: dist.Bernoulli(), lambda: dist.Bernoulli(0.5, 0.),
                 lambda: dist.Categorical(), lambda: dist.Categorical(ng.ones(2), ng.ones(2))]:
        with pytest.raises(ValueError, match=msg):
            make()
    with pytest.raises(ValueError, match="^`probs` parameter must be at least one-dimensional.$"):
        dist.Categorical(ng.tensor(1.))
    with pytest.raises(ValueError, match="^`logits` parameter must be at least one-dimensional."):
        dist.Categorical(logits=ng.tensor(1.))
    with pytest.raises(ValueError, match="^`concentration` parameter must be at least one-dim"):
        dist.Dirichlet(ng.tensor(1.))


def test_value_validation_messages():
    d = dist.Normal(ng.zeros(2), ng.ones(2))
    with pytest.raises(ValueError) as e:
        d.log_prob(ng.tensor([1., math.nan]))
    assert str(e.value) == (
        "Expected value argument (Tensor of shape (2,)) to be within the support (Real()) of the "
        "distribution Normal(loc: torch.Size([2]), scale: torch.Size([2])), but found invalid "
        "values:\n" + repr(ng.tensor([1., math.nan])))
    with pytest.raises(ValueError, match="^The value argument to log_prob must be a Tensor$"):
        d.log_prob(0.5)
    with pytest.raises(ValueError, match=r"^Value is not broadcastable with "
                                         r"batch_shape\+event_shape: torch.Size\(\[3\]\) vs "
                                         r"torch.Size\(\[2\]\).$"):
        d.log_prob(ng.zeros(3))
    with pytest.raises(ValueError, match=r"support \(Boolean\(\)\)"):
        dist.Bernoulli(logits=ng.zeros(2)).log_prob(ng.tensor([0.5, 1.]))
    with pytest.raises(ValueError, match=r"support \(IntegerInterval\(lower_bound=0, "
                                         r"upper_bound=2\)\)"):
        dist.Categorical(logits=ng.zeros(2, 3)).log_prob(ng.tensor([0, 3]))
    with pytest.raises(ValueError, match=r"support \(GreaterThanEq\(lower_bound=0.0\)\) of the "
                                         r"distribution Exponential\(rate: 1.0\)"):
        dist.Exponential(1.).log_prob(ng.tensor(-1.))
    with pytest.raises(ValueError, match=r"support \(Interval\(lower_bound=0.0, upper_bound=1.0"
                                         r"\)\) of the distribution Uniform\(low: 0.0, high: 1.0\)"):
        dist.Uniform(0., 1.).log_prob(ng.tensor([1.5]))
    with pytest.raises(ValueError, match=r"of the distribution Beta\(\)"):
        dist.Beta(1., 2.).log_prob(ng.tensor(1.5))
    with pytest.raises(ValueError, match="^The right-most size of value must match event_shape"):
        dist.Dirichlet(ng.ones(3)).log_prob(ng.ones(2))
    with pytest.raises(ValueError, match=r"support \(Interval"):
        dist.Uniform(0., 1.).cdf(ng.tensor(2.))
    # without validation: the formulas' values
    assert _np(dist.Exponential(1., validate_args=False).log_prob(ng.tensor(-1.))) == 1.0
    lp = dist.Uniform(0., 1., validate_args=False).log_prob(ng.tensor([-0.5, 0.5, 1., 1.5]))
    assert _np(lp).tolist() == [-np.inf, 0.0, -np.inf, -np.inf]


def test_set_default_validate_args(validation_default):
    dist.Distribution.set_default_validate_args(False)
    d = dist.Normal(0., -1.)
    with np.errstate(invalid="ignore"):
        assert np.isnan(_np(d.log_prob(ng.tensor(math.nan))))
    dist.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        dist.Normal(0., -1.)
    assert dist.Normal(0., -1., validate_args=False)._validate_args is False
    with pytest.raises(ValueError):
        dist.Distribution.set_default_validate_args(3)


def test_reprs():
    assert repr(dist.Normal(0., 1.)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(dist.Normal(ng.zeros(2), 1.)) == \
        "Normal(loc: torch.Size([2]), scale: torch.Size([2]))"
    assert repr(dist.Normal(ng.zeros(1), 1.)) == "Normal(loc: tensor([0.]), scale: tensor([1.]))"
    assert repr(dist.Bernoulli(0.3)) == "Bernoulli(probs: 0.30000001192092896)"
    assert repr(dist.Bernoulli(logits=ng.zeros(3))) == "Bernoulli(logits: torch.Size([3]))"
    assert repr(dist.StudentT(3.)) == "StudentT(df: 3.0, loc: 0.0, scale: 1.0)"
    assert repr(dist.Categorical(ng.ones(3))) == "Categorical(probs: torch.Size([3]))"
    assert repr(dist.Beta(1., 2.)) == "Beta()"
    assert repr(dist.Uniform(0., 1.)) == "Uniform(low: 0.0, high: 1.0)"


def test_constraints():
    c = constraints
    assert c.positive.check(ng.tensor([1., -1., 0., math.inf])).tolist() == [True, False, False,
                                                                            True]
    assert c.nonnegative.check(ng.tensor([0., -1e-30])).tolist() == [True, False]
    assert c.real.check(ng.tensor([1., math.nan, -math.inf])).tolist() == [True, False, True]
    assert c.greater_than(2).check(ng.tensor([2., 3.])).tolist() == [False, True]
    assert c.greater_than_eq(2).check(ng.tensor([2., 1.])).tolist() == [True, False]
    assert c.less_than(2).check(ng.tensor([2., 1.])).tolist() == [False, True]
    assert c.interval(0, 1).check(ng.tensor([0., 1., 1.5])).tolist() == [True, True, False]
    assert c.half_open_interval(0, 1).check(ng.tensor([0., 1.])).tolist() == [True, False]
    assert c.unit_interval.check(ng.tensor([0.5, -0.5])).tolist() == [True, False]
    assert c.boolean.check(ng.tensor([0., 1., 0.5, 2.])).tolist() == [True, True, False, False]
    assert c.boolean.check(ng.tensor([True, False])).tolist() == [True, True]
    assert c.nonnegative_integer.check(ng.tensor([0, 3, -1])).tolist() == [True, True, False]
    assert c.nonnegative_integer.check(ng.tensor([1.5, math.inf])).tolist() == [False, False]
    assert c.integer_interval(0, 2).check(ng.tensor([0., 1.5, 2., 3.])).tolist() == \
        [True, False, True, False]
    assert c.simplex.check(ng.tensor([[0.5, 0.5], [0.2, 0.9], [1.2, -0.2]])).tolist() == \
        [True, False, False]
    assert c.real_vector.check(ng.tensor([[1., math.nan], [1., 2.]])).tolist() == [False, True]
    bounds = c.interval(ng.tensor([0., 1.]), ng.tensor([1., 2.]))
    assert bounds.check(ng.tensor([0.5, 0.5])).tolist() == [True, False]
    assert c.positive.check(ng.tensor(1.)).shape == ()
    assert c.is_dependent(c.dependent) and not c.is_dependent(c.real)
    assert c.is_dependent(dist.Uniform.support) and not c.is_dependent(dist.Normal.support)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        c.dependent.check(ng.zeros(1))
    assert c.simplex.event_dim == 1 and c.real_vector.event_dim == 1 and c.real.event_dim == 0
    assert c.boolean.is_discrete and not c.positive.is_discrete
    assert repr(c.half_open_interval(0, 1)) == "HalfOpenInterval(lower_bound=0, upper_bound=1)"
    assert repr(c.real_vector) == "IndependentConstraint(Real(), 1)"
    assert repr(c.nonnegative_integer) == "IntegerGreaterThan(lower_bound=0)"
    assert repr(dist.Categorical(ng.ones(3)).support) == \
        "IntegerInterval(lower_bound=0, upper_bound=2)"


# ----- expand -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ALL))
def test_expand(name):
    d = ALL[name]()
    e = d.expand((3, 2))
    assert type(e) is type(d)
    assert e.batch_shape == (3, 2) and e.event_shape == d.event_shape
    assert e._validate_args == d._validate_args
    x = d.sample()
    np.testing.assert_allclose(_np(e.log_prob(x)), np.broadcast_to(_np(d.log_prob(x)), (3, 2)))
    assert e.sample((4,)).shape == (4, 3, 2) + d.event_shape
    np.testing.assert_allclose(_np(e.entropy()), np.broadcast_to(_np(d.entropy()), (3, 2)),
                               rtol=1e-6)


def test_expand_keeps_gradients_and_lazy_params():
    loc = ng.zeros(1, requires_grad=True)
    e = dist.Normal(loc, 1.).expand((4,))
    e.log_prob(ng.ones(4)).sum().backward()
    assert loc.grad.tolist() == [4.0]
    b = dist.Bernoulli(logits=ng.zeros(1)).expand((2,))
    assert "probs" not in b.__dict__ and b.logits.shape == (2,) and b.param_shape == (2,)


def test_expand_of_subclass_with_own_init():
    class MyNormal(dist.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.)
    with pytest.raises(NotImplementedError, match="Subclass MyNormal of Normal that defines a "
                                                  "custom __init__ method must also define a "
                                                  "custom .expand\\(\\) method."):
        MyNormal(ng.zeros(1)).expand((2,))


# ----- KL divergence ------------------------------------------------------------------------

def test_kl_closed_forms():
    m1, s1, m2, s2 = np.array([0.5, -1.]), np.array([1.5, 0.3]), np.array([0., 2.]), np.array([1., 2.])
    p, q = dist.Normal(_t(m1), _t(s1)), dist.Normal(_t(m2), _t(s2))
    expected = np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
    np.testing.assert_allclose(_np(dist.kl_divergence(p, q)), expected, rtol=1e-12)
    np.testing.assert_allclose(
        _np(dist.kl_divergence(dist.Exponential(_t([2.])), dist.Exponential(_t([0.5])))),
        [math.log(2 / 0.5) + 0.5 / 2 - 1], rtol=1e-12)
    pp, qq = np.array([0.2, 0.0, 1.0, 0.5, 0.3]), np.array([0.6, 0.3, 0.3, 0.0, 1.0])
    kl = _np(dist.kl_divergence(dist.Bernoulli(_t(pp)), dist.Bernoulli(_t(qq))))
    expected = [0.2 * math.log(0.2 / 0.6) + 0.8 * math.log(0.8 / 0.4), math.log(1 / 0.7),
                math.log(1 / 0.3), np.inf, np.inf]
    np.testing.assert_allclose(kl, expected, rtol=1e-10)
    cp = np.array([[0.2, 0.0, 0.8], [0.5, 0.5, 0.0]])
    cq = np.array([0.3, 0.3, 0.4])
    kl = _np(dist.kl_divergence(dist.Categorical(_t(cp)), dist.Categorical(_t(cq))))
    np.testing.assert_allclose(kl, (sp.rel_entr(cp, cq)).sum(-1), rtol=1e-10)
    assert _np(dist.kl_divergence(dist.Categorical(_t(cq)), dist.Categorical(_t(cp[1])))) == np.inf
    kl = _np(dist.kl_divergence(dist.Uniform(_t([0., 0.]), 1.), dist.Uniform(_t([-1., 0.5]), 2.)))
    np.testing.assert_allclose(kl, [math.log(3), np.inf])


@pytest.mark.parametrize("p,q", [
    (dist.Normal(_t([0.3]), _t([1.2])), dist.Normal(_t([-0.5]), _t([2.0]))),
    (dist.Laplace(_t([0.3]), _t([1.2])), dist.Laplace(_t([-0.5]), _t([2.0]))),
    (dist.Gamma(_t([2.5]), _t([1.5])), dist.Gamma(_t([1.2]), _t([0.7]))),
    (dist.Exponential(_t([2.5])), dist.Exponential(_t([0.7]))),
    (dist.Beta(_t([2.5]), _t([1.5])), dist.Beta(_t([1.2]), _t([3.0]))),
    (dist.Dirichlet(_t([[2.5, 1.5, 1.0]])), dist.Dirichlet(_t([[1.2, 3.0, 2.0]]))),
])
def test_kl_against_monte_carlo(p, q):
    ng.manual_seed(0)
    x = p.sample((200000,))
    ratio = _np(p.log_prob(x) - q.log_prob(x))
    kl = _np(dist.kl_divergence(p, q))
    assert abs(ratio.mean() - kl[0]) < 5 * ratio.std() / math.sqrt(ratio.size)


def test_kl_gradients():
    def fn(m1, s1, m2, s2):
        return dist.kl_divergence(dist.Normal(m1, s1), dist.Normal(m2, s2))
    inputs = tuple(_t(v, requires_grad=True) for v in ([0.5, -1.], [1.5, 0.3], [0., 2.], [1., 2.]))
    assert gradcheck(fn, inputs, check_forward_ad=True)
    assert gradgradcheck(fn, inputs)

    def fn2(a, b):
        return dist.kl_divergence(dist.Bernoulli(logits=a), dist.Bernoulli(logits=b))
    assert gradcheck(fn2, (_t([0.3, -2.], True), _t([1., 0.5], True)), check_forward_ad=True)


def test_register_kl_dispatch():
    class MyNormal(dist.Normal):
        pass
    p, q = MyNormal(0., 1.), dist.Normal(1., 1.)
    np.testing.assert_allclose(_np(dist.kl_divergence(p, q)), 0.5)  # the Normal-Normal rule

    @dist.register_kl(MyNormal, dist.Normal)
    def _kl(p, q):
        return ng.tensor(42.)
    try:
        assert dist.kl_divergence(p, q).item() == 42.
        assert _np(dist.kl_divergence(q, q)) == 0
    finally:
        from numgrad.distributions import kl
        del kl._KL_REGISTRY[MyNormal, dist.Normal]
        kl._KL_MEMOIZE.clear()
    with pytest.raises(NotImplementedError, match="^No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Dirichlet$"):
        dist.kl_divergence(dist.Normal(0., 1.), dist.Dirichlet(ng.ones(2)))
    with pytest.raises(TypeError):
        dist.register_kl(int, dist.Normal)



def _kl_by_quadrature(p, q, lo, hi):
    """KL(p || q) of two scipy frozen distributions by numerical integration over [lo, hi]."""
    import scipy.integrate as si

    def integrand(x):
        density = p.pdf(x)
        return density * (p.logpdf(x) - q.logpdf(x)) if density > 0 else 0.0
    return si.quad(integrand, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-11)[0]


@pytest.mark.parametrize("p,q,ref_p,ref_q,lo,hi", [
    (dist.Normal(_t(0.3), _t(0.8)), dist.Laplace(_t(-0.5), _t(1.5)),
     st.norm(0.3, 0.8), st.laplace(-0.5, 1.5), -20, 20),
    (dist.Laplace(_t(0.3), _t(0.8)), dist.Normal(_t(-0.5), _t(1.5)),
     st.laplace(0.3, 0.8), st.norm(-0.5, 1.5), -40, 40),
    (dist.Gamma(_t(2.5), _t(1.5)), dist.Normal(_t(1.), _t(2.)),
     st.gamma(2.5, scale=1 / 1.5), st.norm(1., 2.), 0, 60),
    (dist.Gamma(_t(2.5), _t(1.5)), dist.Exponential(_t(0.7)),
     st.gamma(2.5, scale=1 / 1.5), st.expon(scale=1 / 0.7), 0, 60),
    (dist.Exponential(_t(0.7)), dist.Gamma(_t(2.5), _t(1.5)),
     st.expon(scale=1 / 0.7), st.gamma(2.5, scale=1 / 1.5), 0, 60),
    (dist.Exponential(_t(0.7)), dist.Normal(_t(1.), _t(2.)),
     st.expon(scale=1 / 0.7), st.norm(1., 2.), 0, 60),
    (dist.Beta(_t(2.5), _t(1.5)), dist.Normal(_t(0.3), _t(0.4)),
     st.beta(2.5, 1.5), st.norm(0.3, 0.4), 0, 1),
    (dist.Beta(_t(2.5), _t(1.5)), dist.Gamma(_t(2.), _t(3.)),
     st.beta(2.5, 1.5), st.gamma(2., scale=1 / 3.), 0, 1),
    (dist.Beta(_t(2.5), _t(1.5)), dist.Exponential(_t(3.)),
     st.beta(2.5, 1.5), st.expon(scale=1 / 3.), 0, 1),
    (dist.Beta(_t(2.5), _t(1.5)), dist.Uniform(_t(-1.), _t(2.)),
     st.beta(2.5, 1.5), st.uniform(-1., 3.), 0, 1),
    (dist.Uniform(_t(0.2), _t(0.7)), dist.Beta(_t(2.5), _t(1.5)),
     st.uniform(0.2, 0.5), st.beta(2.5, 1.5), 0.2, 0.7),
    (dist.Uniform(_t(0.2), _t(1.7)), dist.Gamma(_t(2.5), _t(1.5)),
     st.uniform(0.2, 1.5), st.gamma(2.5, scale=1 / 1.5), 0.2, 1.7),
    (dist.Uniform(_t(0.2), _t(1.7)), dist.Exponential(_t(1.5)),
     st.uniform(0.2, 1.5), st.expon(scale=1 / 1.5), 0.2, 1.7),
    (dist.Uniform(_t(-0.2), _t(1.7)), dist.Normal(_t(1.), _t(2.)),
     st.uniform(-0.2, 1.9), st.norm(1., 2.), -0.2, 1.7),
])
def test_kl_between_families_against_quadrature(p, q, ref_p, ref_q, lo, hi):
    np.testing.assert_allclose(_np(dist.kl_divergence(p, q)),
                               _kl_by_quadrature(ref_p, ref_q, lo, hi), rtol=1e-7)


def test_kl_between_families_infinite_and_differentiable():
    for p in [dist.Normal(_t([0., 1.]), 1.), dist.Laplace(_t([0., 1.]), 1.),
              dist.Gamma(_t([1., 2.]), 1.), dist.Exponential(_t([1., 2.]))]:
        for q in [dist.Uniform(0., 1.), dist.Beta(1., 2.)]:
            assert np.all(_np(dist.kl_divergence(p, q)) == np.inf)
    assert np.all(_np(dist.kl_divergence(dist.Normal(_t([0.]), 1.), dist.Gamma(1., 1.))) == np.inf)
    # support of p not inside q's: inf
    kl = dist.kl_divergence(dist.Uniform(_t([-0.5, 0.2]), _t([0.5, 0.6])), dist.Beta(2., 2.))
    assert _np(kl)[0] == np.inf and np.isfinite(_np(kl)[1])
    kl = dist.kl_divergence(dist.Beta(2., 2.), dist.Uniform(_t([0.1, -1.]), _t([1., 1.])))
    assert _np(kl)[0] == np.inf and np.isfinite(_np(kl)[1])

    def fn(loc, scale, rate):
        return dist.kl_divergence(dist.Normal(loc, scale), dist.Laplace(rate, scale + 1))
    assert gradcheck(fn, (_t([0.3, -1.], True), _t([0.5, 2.], True), _t([0.1, 0.2], True)),
                     check_forward_ad=True)
    assert gradgradcheck(fn, (_t([0.3, -1.], True), _t([0.5, 2.], True), _t([0.1, 0.2], True)))


# ----- Independent --------------------------------------------------------------------------

def test_independent():
    loc = _t(np.linspace(-1, 1, 6).reshape(2, 3), True)
    scale = _t(np.linspace(0.5, 2, 6).reshape(2, 3))
    base = dist.Normal(loc, scale)
    d = dist.Independent(base, 1)
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d.has_rsample
    assert repr(d) == ("Independent(Normal(loc: torch.Size([2, 3]), scale: torch.Size([2, 3])), 1)")
    assert repr(d.support) == "IndependentConstraint(Real(), 1)"
    x = np.linspace(0, 1, 6).reshape(2, 3)
    np.testing.assert_allclose(_np(d.log_prob(_t(x))),
                               st.norm(_np(loc), _np(scale)).logpdf(x).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(_np(d.entropy()), _np(base.entropy()).sum(-1), rtol=1e-12)
    assert _np(dist.Independent(base, 2).log_prob(_t(x))).shape == ()
    assert dist.Independent(base, 0).log_prob(_t(x)).shape == (2, 3)
    assert d.sample((4,)).shape == (4, 2, 3) and d.rsample().requires_grad
    np.testing.assert_array_equal(_np(d.mean), _np(loc))
    d.log_prob(_t(x)).sum().backward()
    np.testing.assert_allclose(_np(loc.grad), (x - _np(loc)) / _np(scale) ** 2, rtol=1e-12)
    e = d.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.event_shape == (3,)
    assert e.base_dist.batch_shape == (4, 2, 3)
    q = dist.Normal(ng.zeros(2, 3, dtype=ng.float64), 2.)
    kl = dist.kl_divergence(d, dist.Independent(q, 1))
    expected = _np(dist.kl_divergence(base, q))
    np.testing.assert_allclose(_np(kl), expected.sum(-1), rtol=1e-12)
    with pytest.raises(NotImplementedError):
        dist.kl_divergence(d, dist.Independent(base, 2))
    with pytest.raises(ValueError, match=r"^Expected reinterpreted_batch_ndims <= "
                                         r"len\(base_distribution.batch_shape\), actual 3 vs 2$"):
        dist.Independent(base, 3)
    with pytest.raises(ValueError, match="^Expected value argument"):
        dist.Independent(dist.Uniform(ng.zeros(3), 1.), 1).log_prob(ng.tensor([0.5, 0.5, 2.]))
    with pytest.raises(NotImplementedError, match="^Enumeration over cartesian product"):
        dist.Independent(dist.Bernoulli(ng.ones(3) / 2), 1).enumerate_support()
    assert dist.Independent(dist.Bernoulli(ng.ones(3) / 2), 0).enumerate_support().shape == (2, 3)


# ----- regressions --------------------------------------------------------------------------

def test_bernoulli_mode_of_zero_dim_probs():
    assert dist.Bernoulli(ng.tensor(0.3)).mode.item() == 0.
    assert dist.Bernoulli(0.7).mode.item() == 1.
    assert math.isnan(dist.Bernoulli(ng.tensor(0.5)).mode.item())
    np.testing.assert_array_equal(_np(dist.Bernoulli(ng.tensor([0.5, 0.7, 0.2])).mode),
                                  [np.nan, 1., 0.])


@pytest.mark.parametrize("make,error,message", [
    (lambda: dist.Normal(ng.tensor([0, 1]), 1), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda: dist.StudentT(ng.tensor([1, 2])), NotImplementedError,
     "\"normal_kernel_cpu\" not implemented for 'Long'"),
    (lambda: dist.Uniform(ng.tensor([0, 1]), ng.tensor([2, 3])), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    (lambda: dist.Gamma(ng.tensor([1, 2]), ng.tensor([1, 2])), NotImplementedError,
     "\"gamma_cpu\" not implemented for 'Long'"),
    (lambda: dist.Dirichlet(ng.tensor([1, 2])), NotImplementedError,
     "\"dirichlet\" not implemented for 'Long'"),
    (lambda: dist.Beta(ng.tensor([1, 2]), ng.tensor([1, 2])), NotImplementedError,
     "\"dirichlet\" not implemented for 'Long'"),
    (lambda: dist.Bernoulli(ng.tensor([0, 1]), validate_args=False), NotImplementedError,
     "\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"),
    (lambda: dist.Exponential(ng.tensor([1, 2])), RuntimeError,
     "Exponential distribution is a continuous probability distribution. dtype must be a "
     "floating point but you specified Long"),
    (lambda: dist.Laplace(ng.tensor([1, 2]), ng.tensor([1, 2])), TypeError,
     "torch.finfo() requires a floating point input type."),
])
def test_sampling_integer_parameters_raises_as_pytorch(make, error, message):
    # integer parameters used to give samples with truncated (integer) noise
    d = make()
    for method in ["sample", "rsample"]:
        if method == "rsample" and not d.has_rsample:
            continue
        with pytest.raises(error, match="^" + re.escape(message)):
            getattr(d, method)()


def test_bernoulli_integer_probs_logits_type_error():
    with pytest.raises(TypeError, match=r"^torch.finfo\(\) requires a floating point input type"):
        dist.Bernoulli(ng.tensor([0, 1])).logits


def test_studentt_df_checked_by_its_chi2(validation_default):
    # PyTorch validates df in the Chi2 it builds, with the default validation, first
    msg = ("^Expected parameter df (Tensor of shape ()) of distribution Chi2() to satisfy the "
           "constraint GreaterThan(lower_bound=0.0), but found invalid values:\n-1.0$")
    for va in [None, True, False]:
        with pytest.raises(ValueError, match=re.escape(msg[1:-1])):
            dist.StudentT(-1., validate_args=va)
    dist.Distribution.set_default_validate_args(False)
    dist.StudentT(-1.)
    with pytest.raises(ValueError, match=r"distribution StudentT\(df: -1.0"):
        dist.StudentT(-1., validate_args=True)


def test_categorical_log_prob_with_and_without_broadcasting():
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    d = dist.Categorical(_t(p))
    np.testing.assert_allclose(_np(d.log_prob(ng.tensor([2, 0]))), np.log([0.5, 0.6]), rtol=1e-12)
    np.testing.assert_allclose(_np(d.log_prob(ng.tensor([[2], [1], [0]]))),
                               np.log(p[:, [2, 1, 0]].T), rtol=1e-12)
    np.testing.assert_allclose(_np(d.log_prob(ng.tensor([1., 2.]))), np.log([0.3, 0.3]),
                               rtol=1e-12)
    np.testing.assert_allclose(_np(d.log_prob(ng.tensor([1], dtype=ng.int32))), np.log([0.3, 0.1]),
                               rtol=1e-12)


# ----- PyTorch's functional-autograd benchmark models --------------------------------------

def _ppl_data(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    n, k = 10, 10
    data = dict(X=rng.random((n, k + 1)), Y=rng.random((n, 1)), nu_alpha=rng.random((1, 1)) + 0.5,
                nu_beta=rng.random((1, 1)) + 0.5, sigma_rate=rng.random((n, 1)) + 0.5,
                beta_mean=rng.random((k + 1, 1)), beta_sigma=rng.random((k + 1, 1)) + 0.5,
                beta=rng.standard_normal((k + 1, 1)), nu=np.array([[3.5]]),
                s=rng.standard_normal((n, 1)) * 0.3)
    return {key: v.astype(dtype) for key, v in data.items()}


def _simple_model(lib, D, data):
    """PyTorch's ppl_simple_reg: Bayesian logistic regression with a N(0, 1) prior."""
    X, Y = lib.tensor(data["X"]), lib.tensor(data["Y"])
    beta_prior = D.Normal(0., 1.)

    def forward(beta_value):
        mu = X.mm(beta_value)
        return (D.Bernoulli(logits=mu, validate_args=False).log_prob(Y).sum()
                + beta_prior.log_prob(beta_value).sum())
    return forward


def _robust_model(lib, D, data):
    """PyTorch's ppl_robust_reg: Student-t likelihood with Gamma, Exponential and Normal
    priors; the likelihood appears in each input's score, as in the original."""
    X, Y = lib.tensor(data["X"]), lib.tensor(data["Y"])
    nu = D.Gamma(lib.tensor(data["nu_alpha"]), lib.tensor(data["nu_beta"]))
    sigma = D.Exponential(lib.tensor(data["sigma_rate"]))
    beta = D.Normal(lib.tensor(data["beta_mean"]), lib.tensor(data["beta_sigma"]))

    def forward(nu_value, sigma_unconstrained_value, beta_value):
        sigma_constrained_value = sigma_unconstrained_value.exp()
        mu = X.mm(beta_value)
        nu_score = (D.StudentT(nu_value, mu, sigma_constrained_value).log_prob(Y).sum()
                    + nu.log_prob(nu_value))
        sigma_score = (D.StudentT(nu_value, mu, sigma_constrained_value).log_prob(Y).sum()
                       + sigma.log_prob(sigma_constrained_value) + sigma_unconstrained_value)
        beta_score = (D.StudentT(nu_value, mu, sigma_constrained_value).log_prob(Y).sum()
                      + beta.log_prob(beta_value))
        return nu_score.sum() + sigma_score.sum() + beta_score.sum()
    return forward


def test_simple_regression_model_value_gradient_hessian():
    data = _ppl_data()
    forward = _simple_model(ng, dist, data)
    X, Y, beta = data["X"], data["Y"], data["beta"]
    mu = X @ beta
    expected = (Y * mu - np.logaddexp(0, mu)).sum() + st.norm.logpdf(beta).sum()
    b = ng.tensor(beta, requires_grad=True)
    np.testing.assert_allclose(_np(forward(b)), expected, rtol=1e-12)
    s = sp.expit(mu)
    grad = X.T @ (Y - s) - beta
    hess = -(X.T * (s * (1 - s)).T) @ X - np.eye(11)
    F = ng.autograd.functional
    np.testing.assert_allclose(_np(F.vjp(forward, b)[1]), grad, rtol=1e-10)
    np.testing.assert_allclose(_np(F.jacobian(forward, b)), grad, rtol=1e-10)
    np.testing.assert_allclose(_np(F.jacobian(forward, b, strategy="forward-mode")), grad,
                               rtol=1e-10)
    for kwargs in [{}, {"outer_jacobian_strategy": "forward-mode"}, {"vectorize": False}]:
        h = F.hessian(forward, b, **kwargs)
        np.testing.assert_allclose(_np(h).reshape(11, 11), hess, rtol=1e-10, atol=1e-12)
    v = np.linspace(-1, 1, 11).reshape(11, 1)
    np.testing.assert_allclose(_np(F.hvp(forward, b, ng.tensor(v))[1]), hess @ v, rtol=1e-10)
    np.testing.assert_allclose(_np(F.jvp(forward, b, ng.tensor(v))[1]), (grad * v).sum(),
                               rtol=1e-10)
    np.testing.assert_allclose(_np(ng.func.hessian(forward)(b)).reshape(11, 11), hess,
                               rtol=1e-10, atol=1e-12)


def test_robust_regression_model_value_and_gradients():
    data = _ppl_data()
    forward = _robust_model(ng, dist, data)
    nu, s, beta = data["nu"], data["s"], data["beta"]
    sigma = np.exp(s)
    mu = data["X"] @ beta
    lik = st.t.logpdf(data["Y"], nu, mu, sigma).sum()
    # each score adds the likelihood to a prior term of its input's shape before summing,
    # so the original counts it 1 + 10 + 11 times
    expected = (22 * lik + st.gamma.logpdf(nu, data["nu_alpha"], scale=1 / data["nu_beta"]).sum()
                + (st.expon.logpdf(sigma, scale=1 / data["sigma_rate"]) + s).sum()
                + st.norm.logpdf(beta, data["beta_mean"], data["beta_sigma"]).sum())
    inputs = tuple(ng.tensor(a, requires_grad=True) for a in (nu, s, beta))
    np.testing.assert_allclose(_np(forward(*inputs)), expected, rtol=1e-12)
    # the gradient by hand: z = (y - mu) / sigma, w = nu + z^2
    z = (data["Y"] - mu) / sigma
    w = nu + z ** 2
    d_nu = (0.5 * sp.digamma((nu + 1) / 2) - 0.5 * sp.digamma(nu / 2) - 0.5 / nu
            - 0.5 * np.log1p(z ** 2 / nu) + (nu + 1) * z ** 2 / (2 * nu * w)).sum()
    d_sigma = -1 / sigma + (nu + 1) * z ** 2 / (sigma * w)
    d_mu = (nu + 1) * z / (sigma * w)
    grads = (22 * d_nu + (data["nu_alpha"] - 1) / nu - data["nu_beta"],
             22 * d_sigma * sigma - data["sigma_rate"] * sigma + 1,
             22 * data["X"].T @ d_mu - (beta - data["beta_mean"]) / data["beta_sigma"] ** 2)
    for g, g_ng in zip(grads, ng.autograd.functional.vjp(forward, inputs)[1]):
        np.testing.assert_allclose(_np(g_ng), g, rtol=1e-10)
    assert gradcheck(forward, inputs, check_forward_ad=True)
    assert gradgradcheck(forward, inputs, check_fwd_over_rev=True)
    F = ng.autograd.functional
    h_rev = F.hessian(forward, inputs)
    h_fwd = F.hessian(forward, inputs, outer_jacobian_strategy="forward-mode")
    for row_r, row_f in zip(h_rev, h_fwd):
        for a, b in zip(row_r, row_f):
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-10, atol=1e-12)


def test_benchmark_models_match_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.functional as TF
    import torch.distributions as td
    F = ng.autograd.functional
    for dtype, rtol in [(np.float64, 1e-10), (np.float32, 2e-3)]:
        data = _ppl_data(dtype)
        for model, args in [(_simple_model, ("beta",)), (_robust_model, ("nu", "s", "beta"))]:
            f_ng, f_t = model(ng, dist, data), model(torch, td, data)
            x_ng = tuple(ng.tensor(data[a], requires_grad=True) for a in args)
            x_t = tuple(torch.tensor(data[a], requires_grad=True) for a in args)
            v_ng, v_t = f_ng(*x_ng), f_t(*x_t)
            assert v_ng.dtype == dtype
            np.testing.assert_allclose(_np(v_ng), v_t.detach().numpy(), rtol=rtol)
            g_ng = F.vjp(f_ng, x_ng)[1]
            g_t = TF.vjp(f_t, x_t)[1]
            for a, b in zip(g_ng, g_t):
                np.testing.assert_allclose(_np(a), b.numpy(), rtol=rtol, atol=rtol)
            h_ng = _flat(F.hessian(f_ng, x_ng))
            h_t = _flat(TF.hessian(f_t, x_t, vectorize=True))
            # (torch's trigamma, in d2/dnu2, is accurate to about 1e-9 only)
            tol = max(rtol, 1e-8)
            np.testing.assert_allclose(h_ng, h_t, rtol=tol, atol=tol * np.abs(h_t).max())


def _flat(x):
    """The values of a tensor (numgrad's or torch's) or nested tuples of them, as one array."""
    if isinstance(x, tuple):
        return np.concatenate([_flat(a) for a in x])
    return np.ravel(x.detach().numpy())
