"""numgrad.distributions, second part: MultivariateNormal, Poisson, Binomial, Geometric,
HalfNormal, LogNormal, Cauchy and HalfCauchy (values against scipy.stats, sampling,
gradients in reverse, forward and second order, validation and its messages, expand, KL
divergences), the new constraints, and an optional comparison against torch.distributions."""
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


def _spd(rng, shape, n):
    a = rng.standard_normal(shape + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _check_grads(fn, inputs, batched=True):
    assert gradcheck(fn, inputs, check_forward_ad=True, check_batched_grad=batched)
    assert gradgradcheck(fn, inputs, check_batched_grad=batched)


RNG = np.random.default_rng(0)
COV = _spd(RNG, (2,), 3)                 # (2, 3, 3)
LOC = RNG.standard_normal((3,))          # broadcast with COV's batch
XS = RNG.standard_normal((4, 2, 3))      # 4 samples of the batch of 2

LOC1 = np.array([-1.0, 0.0, 0.5, 2.0])
SCALE1 = np.array([0.5, 1.0, 2.0, 3.0])
X1 = np.array([-2.0, 0.3, 1.0, 4.0])
POS1 = np.array([0.2, 1.0, 2.5, 7.0])
U01 = np.array([0.05, 0.3, 0.6, 0.95])
COUNTS = np.array([0.0, 1.0, 3.0, 7.0])


# ----- MultivariateNormal ------------------------------------------------------------------

@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_mvn_values_vs_scipy(param):
    given = {"covariance_matrix": COV, "precision_matrix": np.linalg.inv(COV),
             "scale_tril": np.linalg.cholesky(COV)}[param]
    d = dist.MultivariateNormal(_t(LOC), **{param: _t(given)})
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    # (as PyTorch's, the repr lists the derived matrices too once they are computed)
    assert repr(d) == (f"MultivariateNormal(loc: torch.Size([2, 3]), {param}: "
                       "torch.Size([2, 3, 3]))")
    lp = _np(d.log_prob(_t(XS)))
    assert lp.shape == (4, 2)
    for b in range(2):
        ref = st.multivariate_normal(LOC, COV[b])
        np.testing.assert_allclose(lp[:, b], ref.logpdf(XS[:, b]), rtol=1e-12)
        np.testing.assert_allclose(_np(d.entropy())[b], ref.entropy(), rtol=1e-12)
    np.testing.assert_allclose(_np(d.covariance_matrix), COV, rtol=1e-12)
    np.testing.assert_allclose(_np(d.precision_matrix), np.linalg.inv(COV), rtol=1e-10)
    np.testing.assert_allclose(_np(d.scale_tril), np.linalg.cholesky(COV), rtol=1e-12)
    np.testing.assert_allclose(_np(d.variance), np.diagonal(COV, 0, -2, -1), rtol=1e-12)
    np.testing.assert_allclose(_np(d.stddev), np.sqrt(np.diagonal(COV, 0, -2, -1)), rtol=1e-12)
    assert np.array_equal(_np(d.mean), np.broadcast_to(LOC, (2, 3)))
    assert np.array_equal(_np(d.mode), _np(d.mean))


def test_mvn_batch_broadcasting_of_loc_and_matrix():
    loc = RNG.standard_normal((5, 1, 3))
    d = dist.MultivariateNormal(_t(loc), _t(COV))
    assert d.batch_shape == (5, 2)
    assert d.loc.shape == (5, 2, 3) and d.covariance_matrix.shape == (5, 2, 3, 3)
    x = RNG.standard_normal((3, 5, 2, 3))
    lp = _np(d.log_prob(_t(x)))
    assert lp.shape == (3, 5, 2)
    for i, j in [(0, 0), (4, 1), (2, 1)]:
        ref = st.multivariate_normal(loc[i, 0], COV[j])
        np.testing.assert_allclose(lp[:, i, j], ref.logpdf(x[:, i, j]), rtol=1e-12)
    # a value broadcasting against the batch (one point for every distribution)
    one = RNG.standard_normal(3)
    np.testing.assert_allclose(_np(d.log_prob(_t(one)))[1, 1],
                               st.multivariate_normal(loc[1, 0], COV[1]).logpdf(one), rtol=1e-12)
    unbatched = dist.MultivariateNormal(_t(LOC), _t(COV[0]))
    assert unbatched.batch_shape == () and unbatched.log_prob(_t(LOC)).shape == ()
    assert unbatched.entropy().shape == ()


def test_mvn_sampling():
    ng.manual_seed(0)
    d = dist.MultivariateNormal(_t(LOC), _t(COV[0]))
    s = d.sample((20000,))
    assert s.shape == (20000, 3) and s.dtype == ng.float64 and not s.requires_grad
    np.testing.assert_allclose(_np(s).mean(0), LOC, atol=0.1)
    np.testing.assert_allclose(np.cov(_np(s).T), COV[0], rtol=0.05, atol=0.1)
    batched = dist.MultivariateNormal(_t(RNG.standard_normal((2, 3))), _t(COV)).sample((5000,))
    assert batched.shape == (5000, 2, 3)
    np.testing.assert_allclose(np.cov(_np(batched)[:, 1].T), COV[1], rtol=0.1, atol=0.15)
    f32 = dist.MultivariateNormal(ng.zeros(2), ng.eye(2))
    assert f32.sample((3,)).dtype == ng.float32 and f32.rsample().dtype == ng.float32
    assert f32.log_prob(ng.zeros(2)).dtype == ng.float32
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        dist.MultivariateNormal(ng.zeros(2, dtype=ng.int64), ng.eye(2),
                                validate_args=False).sample()


def test_mvn_rsample_is_reparameterized():
    loc = _t(LOC, requires_grad=True)
    L = _t(np.linalg.cholesky(COV[0]), requires_grad=True)
    ng.manual_seed(1)
    s = dist.MultivariateNormal(loc, scale_tril=L).rsample((4,))
    assert dist.MultivariateNormal.has_rsample and s.requires_grad
    s.sum().backward()
    np.testing.assert_allclose(_np(loc.grad), np.full(3, 4.0))
    ng.manual_seed(1)
    eps = ng.randn(4, 3, dtype=ng.float64)
    # d(L eps)/dL: the whole matrix (the upper triangle too), as PyTorch's
    np.testing.assert_allclose(_np(L.grad), np.broadcast_to(_np(eps).sum(0), (3, 3)), rtol=1e-12)


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_mvn_gradients(param):
    x = _t(XS[:2], requires_grad=True)

    def make(loc, a):
        # any entries of `a`: a symmetric positive-definite or a Cholesky-like matrix from them
        m = a @ a.mT + 3 * ng.eye(3, dtype=ng.float64)
        m = ng.linalg.cholesky(m) if param == "scale_tril" else m
        return dist.MultivariateNormal(loc, **{param: m})

    def f(loc, a, x):
        return make(loc, a).log_prob(x)

    a = _t(RNG.standard_normal((2, 3, 3)), requires_grad=True)
    loc = _t(LOC, requires_grad=True)
    _check_grads(f, (loc, a, x))
    _check_grads(lambda loc, a: make(loc, a).entropy(), (loc, a))


def test_mvn_kl_vs_closed_form():
    rng = np.random.default_rng(5)
    loc_p, loc_q = rng.standard_normal((2, 3)), rng.standard_normal(3)
    cov_p, cov_q = _spd(rng, (2,), 3), _spd(rng, (), 3)
    p = dist.MultivariateNormal(_t(loc_p), _t(cov_p))
    q = dist.MultivariateNormal(_t(loc_q), precision_matrix=_t(np.linalg.inv(cov_q)))
    kl = _np(dist.kl_divergence(p, q))
    assert kl.shape == (2,)
    for b in range(2):
        iq = np.linalg.inv(cov_q)
        d = loc_q - loc_p[b]
        want = 0.5 * (np.trace(iq @ cov_p[b]) + d @ iq @ d - 3
                      + np.linalg.slogdet(cov_q)[1] - np.linalg.slogdet(cov_p[b])[1])
        np.testing.assert_allclose(kl[b], want, rtol=1e-12)
    assert _np(dist.kl_divergence(p, p)) == pytest.approx(0, abs=1e-12)

    def f(loc, a):
        m = a @ a.mT + 3 * ng.eye(3, dtype=ng.float64)
        return dist.kl_divergence(dist.MultivariateNormal(loc, m), q)
    _check_grads(f, (_t(loc_p, True), _t(rng.standard_normal((2, 3, 3)), True)))
    with pytest.raises(ValueError, match="different event shapes"):
        dist.kl_divergence(p, dist.MultivariateNormal(ng.zeros(2, dtype=ng.float64),
                                                      ng.eye(2, dtype=ng.float64)))


def test_mvn_expand():
    d = dist.MultivariateNormal(_t(LOC), _t(COV[0]))
    e = d.expand((4, 2))
    assert e.batch_shape == (4, 2) and e.loc.shape == (4, 2, 3)
    assert e.covariance_matrix.shape == (4, 2, 3, 3)
    assert e.precision_matrix.shape == (4, 2, 3, 3) and e.scale_tril.shape == (4, 2, 3, 3)
    x = RNG.standard_normal((4, 2, 3))
    np.testing.assert_allclose(_np(e.log_prob(_t(x))), _np(d.log_prob(_t(x))), rtol=1e-14)
    assert e.sample((5,)).shape == (5, 4, 2, 3) and e.entropy().shape == (4, 2)
    assert e.variance.shape == (4, 2, 3)


def test_mvn_validation_messages():
    eye = ng.eye(2)
    with pytest.raises(ValueError, match=re.escape(
            "Exactly one of covariance_matrix or precision_matrix or scale_tril may be "
            "specified.")):
        dist.MultivariateNormal(ng.zeros(2))
    with pytest.raises(ValueError, match="Exactly one"):
        dist.MultivariateNormal(ng.zeros(2), eye, scale_tril=eye)
    with pytest.raises(ValueError, match="loc must be at least one-dimensional."):
        dist.MultivariateNormal(ng.tensor(0.), eye)
    with pytest.raises(ValueError, match=re.escape(
            "covariance_matrix must be at least two-dimensional, with optional leading batch "
            "dimensions")):
        dist.MultivariateNormal(ng.zeros(2), ng.ones(2))
    with pytest.raises(ValueError, match="scale_tril matrix must be at least two-dimensional"):
        dist.MultivariateNormal(ng.zeros(2), scale_tril=ng.ones(2))
    bad = ng.tensor([[1., 2.], [2., 1.]])
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter covariance_matrix (Tensor of shape (2, 2)) of distribution "
            "MultivariateNormal(loc: torch.Size([2]), covariance_matrix: torch.Size([2, 2])) "
            "to satisfy the constraint PositiveDefinite(), but found invalid values:\n")):
        dist.MultivariateNormal(ng.zeros(2), bad)
    with pytest.raises(ValueError, match=r"parameter precision_matrix .* PositiveDefinite\(\)"):
        dist.MultivariateNormal(ng.zeros(2), precision_matrix=ng.tensor([[1., 2.], [0., 1.]]))
    with pytest.raises(ValueError, match=r"parameter scale_tril .* LowerCholesky\(\)"):
        dist.MultivariateNormal(ng.zeros(2), scale_tril=ng.tensor([[1., 2.], [0., 1.]]))
    with pytest.raises(ValueError, match=r"parameter loc .* IndependentConstraint\(Real\(\), 1\)"):
        dist.MultivariateNormal(ng.tensor([0., math.nan]), eye)
    with pytest.raises(RuntimeError, match=re.escape(
            "Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at "
            "index 1 had torch.Size([3]); but expected shape should be broadcastable to [2]")):
        dist.MultivariateNormal(ng.zeros(3, 2), eye.expand(2, 2, 2))
    with pytest.raises(ValueError, match="loc has event size 3"):
        dist.MultivariateNormal(ng.zeros(3), eye)
    with pytest.raises(RuntimeError, match="not positive-definite"):
        dist.MultivariateNormal(ng.zeros(2), bad, validate_args=False)
    d = dist.MultivariateNormal(ng.zeros(2), eye)
    with pytest.raises(ValueError, match=re.escape(
            "The right-most size of value must match event_shape: torch.Size([3]) vs "
            "torch.Size([2]).")):
        d.log_prob(ng.zeros(3))
    with pytest.raises(ValueError, match=r"within the support \(IndependentConstraint"):
        d.log_prob(ng.tensor([0., math.inf * 0]))
    assert d.support is constraints.real_vector


def test_mvn_log_prob_terms_reused_while_constant():
    d = dist.MultivariateNormal(_t(LOC), _t(COV[0]))
    x = _t(XS[0, 0])
    first = _np(d.log_prob(x))
    assert d._terms is not None
    np.testing.assert_array_equal(_np(d.log_prob(x)), first)


# ----- the new constraints -----------------------------------------------------------------

def test_matrix_constraints():
    m = np.array([[[2., 0.], [1., 3.]], [[1., 2.], [2., 1.]], [[2., 1.], [1., 2.]],
                  [[1., 0.], [0., -1.]]])
    checks = {
        constraints.lower_triangular: [True, False, False, True],
        constraints.lower_cholesky: [True, False, False, False],
        constraints.symmetric: [False, True, True, True],
    }
    for c, want in checks.items():
        got = c.check(_t(m))
        assert got.shape == (4,) and _np(got).tolist() == want, c
        assert c._holds(m) is False and c._holds(m[want.index(True)]) is True
        assert c.event_dim == 2
    # PyTorch's check: a batch that is not all symmetric reports symmetry only
    for c in (constraints.positive_definite, constraints.positive_semidefinite):
        assert _np(c.check(_t(m))).tolist() == [False, True, True, True]
        assert _np(c.check(_t(m[1:]))).tolist() == [False, True, False]
        assert not c._holds(m) and not c._holds(m[1]) and c._holds(m[2])
    assert _np(constraints.square.check(ng.ones(3, 2, 3))).tolist() == [False] * 3
    assert repr(constraints.positive_definite) == "PositiveDefinite()"
    assert repr(constraints.lower_cholesky) == "LowerCholesky()"
    assert not constraints.positive_definite._holds(np.array([[math.nan, 0.], [0., 1.]]))


# ----- univariate distributions against scipy.stats ----------------------------------------

CONTINUOUS = {
    "HalfNormal": (lambda: dist.HalfNormal(_t(SCALE1)), st.halfnorm(scale=SCALE1), POS1),
    "LogNormal": (lambda: dist.LogNormal(_t(LOC1), _t(SCALE1)),
                  st.lognorm(SCALE1, scale=np.exp(LOC1)), POS1),
    "Cauchy": (lambda: dist.Cauchy(_t(LOC1), _t(SCALE1)), st.cauchy(LOC1, SCALE1), X1),
    "HalfCauchy": (lambda: dist.HalfCauchy(_t(SCALE1)), st.halfcauchy(scale=SCALE1), POS1),
}


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_continuous_values_vs_scipy(name):
    make, ref, x = CONTINUOUS[name]
    d = make()
    np.testing.assert_allclose(_np(d.log_prob(_t(x))), ref.logpdf(x), rtol=1e-12)
    np.testing.assert_allclose(_np(d.cdf(_t(x))), ref.cdf(x), rtol=1e-12)
    np.testing.assert_allclose(_np(d.icdf(_t(U01))), ref.ppf(U01), rtol=1e-10)
    np.testing.assert_allclose(_np(d.entropy()), ref.entropy(), rtol=1e-12)
    if name in ("HalfNormal", "LogNormal"):
        np.testing.assert_allclose(_np(d.mean), ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(_np(d.variance), ref.var(), rtol=1e-12)
        np.testing.assert_allclose(_np(d.stddev), ref.std(), rtol=1e-12)
    elif name == "Cauchy":
        assert np.isnan(_np(d.mean)).all() and np.isinf(_np(d.variance)).all()
    else:
        assert np.isinf(_np(d.mean)).all() and np.isinf(_np(d.variance)).all()
    mode = {"HalfNormal": 0 * SCALE1, "HalfCauchy": 0 * SCALE1, "Cauchy": LOC1,
            "LogNormal": np.exp(LOC1 - SCALE1 ** 2)}[name]
    np.testing.assert_allclose(_np(d.mode), mode, rtol=1e-12)
    assert d.batch_shape == (4,) and d.has_rsample


def test_half_distributions_outside_support():
    for d in (dist.HalfNormal(_t([1., 2.]), validate_args=False),
              dist.HalfCauchy(_t([1., 2.]), validate_args=False)):
        lp = _np(d.log_prob(_t([-1., 1.])))
        assert lp[0] == -math.inf and np.isfinite(lp[1])
    assert repr(dist.HalfNormal(_t([1., 2.]))) == "HalfNormal()"
    assert repr(dist.LogNormal(0., 1.)) == "LogNormal()"
    assert repr(dist.Cauchy(0., 1.)) == "Cauchy(loc: 0.0, scale: 1.0)"


DISCRETE = {
    "Poisson": (lambda: dist.Poisson(_t(POS1)), st.poisson(POS1)),
    "Binomial": (lambda: dist.Binomial(_t([1., 3., 7., 10.]), _t(U01)),
                 st.binom([1, 3, 7, 10], U01)),
    "Binomial_logits": (lambda: dist.Binomial(10, logits=_t(X1)), st.binom(10, sp.expit(X1))),
    "Geometric": (lambda: dist.Geometric(_t(U01)), st.geom(U01, loc=-1)),
    "Geometric_logits": (lambda: dist.Geometric(logits=_t(X1)), st.geom(sp.expit(X1), loc=-1)),
}


@pytest.mark.parametrize("name", list(DISCRETE))
def test_discrete_values_vs_scipy(name):
    make, ref = DISCRETE[name]
    d = make()
    k = np.minimum(COUNTS, [1, 3, 7, 10]) if name == "Binomial" else COUNTS
    np.testing.assert_allclose(_np(d.log_prob(_t(k))), ref.logpmf(k), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(d.mean), ref.mean(), rtol=1e-12)
    np.testing.assert_allclose(_np(d.variance), ref.var(), rtol=1e-12)
    if name != "Poisson" and not name.startswith("Binomial"):  # scipy's is fine, torch has none
        np.testing.assert_allclose(_np(d.entropy()), ref.entropy(), rtol=1e-10)
    if name == "Binomial_logits":
        np.testing.assert_allclose(_np(d.entropy()), ref.entropy(), rtol=1e-10)
    assert _np(d.mode).tolist() == {
        "Poisson": [0., 1., 2., 7.], "Binomial": [0., 1., 4., 10.],
        "Binomial_logits": [1., 6., 8., 10.], "Geometric": [0.] * 4,
        "Geometric_logits": [0.] * 4}[name]


def test_counts_edge_values():
    assert _np(dist.Poisson(_t([0., 2.])).log_prob(_t([0., 0.]))).tolist() == [0., -2.]
    # p = 1 at k = 0: probability 1
    assert _np(dist.Geometric(_t([1., 0.5])).log_prob(_t([0., 0.])))[0] == 0.0
    b = dist.Binomial(3, _t([0., 1.]))
    np.testing.assert_allclose(_np(b.log_prob(_t([0., 3.]))), [0., 0.], atol=1e-12)
    with pytest.raises(NotImplementedError):
        dist.Poisson(1.).entropy()


def test_binomial_enumerate_support():
    b = dist.Binomial(3, _t([0.2, 0.7]))
    s = b.enumerate_support()
    assert s.shape == (4, 2) and _np(s)[:, 0].tolist() == [0., 1., 2., 3.]
    assert b.enumerate_support(False).shape == (4, 1)
    np.testing.assert_allclose(_np(b.log_prob(s).exp().sum(0)), [1., 1.], rtol=1e-12)
    assert b.has_enumerate_support
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count not supported by "
                       "`enumerate_support`."):
        dist.Binomial(_t([2., 3.]), _t([0.2, 0.7])).enumerate_support()
    with pytest.raises(NotImplementedError, match="by `entropy`"):
        dist.Binomial(_t([2., 3.]), _t([0.2, 0.7])).entropy()
    assert (repr(dist.Binomial(3, ng.tensor([0.2, 0.7])).support)
            == "IntegerInterval(lower_bound=0, upper_bound=tensor([3., 3.]))")


@pytest.mark.parametrize("name", ["Poisson", "Binomial", "Geometric"])
def test_discrete_sampling(name):
    ng.manual_seed(0)
    d = {"Poisson": dist.Poisson(_t([0.5, 4.])), "Binomial": dist.Binomial(10, _t([0.2, 0.9])),
         "Geometric": dist.Geometric(_t([0.3, 0.8]))}[name]
    s = d.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == ng.float64
    a = _np(s)
    assert (a == np.floor(a)).all() and (a >= 0).all()
    np.testing.assert_allclose(a.mean(0), _np(d.mean), rtol=0.05)
    np.testing.assert_allclose(a.var(0), _np(d.variance), rtol=0.08)
    f32 = type(d).__name__
    assert {"Poisson": dist.Poisson(ng.tensor([1.])), "Binomial": dist.Binomial(2, ng.tensor([.5])),
            "Geometric": dist.Geometric(ng.tensor([.5]))}[f32].sample((3,)).dtype == ng.float32


def test_continuous_sampling():
    ng.manual_seed(0)
    n = 40000
    for d, ref in [(dist.HalfNormal(_t([0.5, 2.])), st.halfnorm(scale=[0.5, 2.])),
                   (dist.LogNormal(_t([0., 1.]), _t([0.5, 0.25])),
                    st.lognorm([0.5, 0.25], scale=np.exp([0., 1.])))]:
        a = _np(d.sample((n,)))
        assert a.shape == (n, 2) and (a >= 0).all()
        np.testing.assert_allclose(a.mean(0), ref.mean(), rtol=0.03)
    for d in (dist.Cauchy(_t([1., -2.]), _t([0.5, 2.])), dist.HalfCauchy(_t([0.5, 2.]))):
        a = _np(d.sample((n,)))
        med = np.median(a, 0)
        np.testing.assert_allclose(med, _np(d.icdf(_t(0.5))), atol=0.05)
    assert dist.Cauchy(0., 1.).sample((3,)).dtype == ng.float32


@pytest.mark.parametrize("name", ["HalfNormal", "LogNormal", "Cauchy", "HalfCauchy"])
def test_rsample_gradients(name):
    make = {"HalfNormal": lambda s: dist.HalfNormal(s), "HalfCauchy": lambda s: dist.HalfCauchy(s),
            "LogNormal": lambda s: dist.LogNormal(s, s),
            "Cauchy": lambda s: dist.Cauchy(s, s)}[name]
    s = _t([0.5, 2.0], requires_grad=True)
    ng.manual_seed(3)
    x = make(s).rsample((3,))
    assert x.requires_grad and x.shape == (3, 2)
    x.sum().backward()
    assert s.grad is not None and np.isfinite(_np(s.grad)).all()


# ----- gradients ---------------------------------------------------------------------------

GRADS = {
    "Poisson": (lambda r, x: dist.Poisson(r).log_prob(x), ([0.5, 3.], [0., 2.]), 1),
    "Poisson_mean": (lambda r: dist.Poisson(r).variance, ([0.5, 3.],), 1),
    "Binomial_probs": (lambda p, x: dist.Binomial(5, p).log_prob(x), ([0.2, 0.7], [1., 5.]), 1),
    "Binomial_logits": (lambda lg, x: dist.Binomial(5, logits=lg).log_prob(x),
                        ([-0.5, 1.5], [0., 3.]), 1),
    "Binomial_entropy": (lambda p: dist.Binomial(4, p).entropy(), ([0.2, 0.7],), 1),
    "Geometric": (lambda p, x: dist.Geometric(p).log_prob(x), ([0.2, 0.7], [0., 4.]), 1),
    "Geometric_entropy": (lambda lg: dist.Geometric(logits=lg).entropy(), ([-1., 2.],), 1),
    "HalfNormal": (lambda s, x: dist.HalfNormal(s).log_prob(x), ([0.5, 2.], [0.3, 1.]), 2),
    "HalfNormal_cdf": (lambda s, x: dist.HalfNormal(s).cdf(x), ([0.5, 2.], [0.3, 1.]), 2),
    "LogNormal": (lambda m, s, x: dist.LogNormal(m, s).log_prob(x),
                  ([0.1, -1.], [0.5, 2.], [0.3, 1.]), 3),
    "LogNormal_cdf": (lambda m, s, x: dist.LogNormal(m, s).cdf(x),
                      ([0.1, -1.], [0.5, 2.], [0.3, 1.]), 3),
    "LogNormal_icdf": (lambda m, s, u: dist.LogNormal(m, s).icdf(u),
                       ([0.1, -1.], [0.5, 2.], [0.3, 0.8]), 3),
    "Cauchy": (lambda m, s, x: dist.Cauchy(m, s).log_prob(x),
               ([0.1, -1.], [0.5, 2.], [0.3, 1.]), 3),
    "Cauchy_cdf": (lambda m, s, x: dist.Cauchy(m, s).cdf(x), ([0.1, -1.], [0.5, 2.], [0.3, 1.]), 3),
    "HalfCauchy_icdf": (lambda s, u: dist.HalfCauchy(s).icdf(u), ([0.5, 2.], [0.3, 0.8]), 2),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_gradients(name):
    fn, args, n_diff = GRADS[name]
    inputs = tuple(_t(a, requires_grad=i < n_diff) for i, a in enumerate(args))
    _check_grads(fn, inputs)


def test_kl_gradients():
    def f(a, b):
        return (dist.kl_divergence(dist.Poisson(a), dist.Poisson(b))
                + dist.kl_divergence(dist.Geometric(a / 4), dist.Geometric(b / 4))
                + dist.kl_divergence(dist.Cauchy(a, b), dist.Cauchy(b, a))
                + dist.kl_divergence(dist.Binomial(3, a / 4), dist.Binomial(3, b / 4)))
    _check_grads(f, (_t([0.5, 2.], True), _t([1.5, 1.], True)))


# ----- KL divergences against closed forms or sums -----------------------------------------

def test_kl_divergences():
    a, b = np.array([0.5, 2.0, 3.0]), np.array([1.5, 1.0, 3.0])
    kl = dist.kl_divergence
    k = np.arange(200.0)[:, None]
    want = (st.poisson(a).pmf(k) * (st.poisson(a).logpmf(k) - st.poisson(b).logpmf(k))).sum(0)
    np.testing.assert_allclose(_np(kl(dist.Poisson(_t(a)), dist.Poisson(_t(b)))), want, rtol=1e-10)
    pa, pb = a / 4, b / 4
    want = (st.geom(pa, loc=-1).pmf(k) * (st.geom(pa, loc=-1).logpmf(k)
                                          - st.geom(pb, loc=-1).logpmf(k))).sum(0)
    np.testing.assert_allclose(_np(kl(dist.Geometric(_t(pa)), dist.Geometric(_t(pb)))), want,
                               rtol=1e-9)
    kb = np.arange(6.0)[:, None]
    want = (st.binom(5, pa).pmf(kb) * (st.binom(5, pa).logpmf(kb)
                                       - st.binom(5, pb).logpmf(kb))).sum(0)
    np.testing.assert_allclose(_np(kl(dist.Binomial(5, _t(pa)), dist.Binomial(5, _t(pb)))), want,
                               rtol=1e-10)
    more_trials = kl(dist.Binomial(_t([6., 5.]), _t(pa[:2])), dist.Binomial(5, _t(pb[:2])))
    assert _np(more_trials)[0] == math.inf and np.isfinite(_np(more_trials)[1])
    with pytest.raises(NotImplementedError, match="q.total_count > p.total_count"):
        kl(dist.Binomial(4, _t(pa)), dist.Binomial(5, _t(pb)))
    normal = 0.5 * ((a / b) ** 2 - 1 - 2 * np.log(a / b))
    np.testing.assert_allclose(_np(kl(dist.HalfNormal(_t(a)), dist.HalfNormal(_t(b)))), normal,
                               rtol=1e-12)
    m = np.array([0.0, 1.0, -1.0])
    want = np.log(b / a) + (a ** 2 + m ** 2) / (2 * b ** 2) - 0.5
    np.testing.assert_allclose(_np(kl(dist.LogNormal(_t(m), _t(a)), dist.LogNormal(0., _t(b)))),
                               want, rtol=1e-12)
    want = np.log(((a + b) ** 2 + (m - 1) ** 2) / (4 * a * b))
    np.testing.assert_allclose(_np(kl(dist.Cauchy(_t(m), _t(a)), dist.Cauchy(1., _t(b)))), want,
                               rtol=1e-12)
    want = np.log((a + b) ** 2 / (4 * a * b))
    np.testing.assert_allclose(_np(kl(dist.HalfCauchy(_t(a)), dist.HalfCauchy(_t(b)))), want,
                               rtol=1e-12, atol=1e-15)
    assert (_np(kl(dist.Poisson(_t(a)), dist.Bernoulli(_t(pb)))) == math.inf).all()
    assert (_np(kl(dist.Poisson(_t(a)), dist.Binomial(5, _t(pb)))) == math.inf).all()
    want = (st.bernoulli(pa).pmf(k[:2]) * (st.bernoulli(pa).logpmf(k[:2])
                                           - st.poisson(b).logpmf(k[:2]))).sum(0)
    np.testing.assert_allclose(_np(kl(dist.Bernoulli(_t(pa)), dist.Poisson(_t(b)))), want,
                               rtol=1e-10)


# ----- validation and expand ---------------------------------------------------------------

def test_validation_messages():
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter rate (Tensor of shape ()) of distribution Poisson(rate: -1.0) "
            "to satisfy the constraint GreaterThanEq(lower_bound=0.0), but found invalid "
            "values:\n")):
        dist.Poisson(ng.tensor(-1.))
    with pytest.raises(ValueError, match=re.escape(
            "Expected value argument (Tensor of shape ()) to be within the support "
            "(IntegerGreaterThan(lower_bound=0)) of the distribution Poisson(rate: 1.0)")):
        dist.Poisson(1.).log_prob(ng.tensor(0.5))
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter total_count (Tensor of shape ()) of distribution "
            "Binomial(total_count: 2.5, probs: 0.30000001192092896) to satisfy the constraint "
            "IntegerGreaterThan(lower_bound=0)")):
        dist.Binomial(2.5, ng.tensor(0.3))
    with pytest.raises(ValueError, match=re.escape(
            "within the support (IntegerInterval(lower_bound=0, upper_bound=3.0)) of the "
            "distribution Binomial(total_count: 3.0, probs: 0.30000001192092896)")):
        dist.Binomial(3, ng.tensor(0.3)).log_prob(ng.tensor(4.))
    with pytest.raises(ValueError, match=re.escape(
            "Either `probs` or `logits` must be specified, but not both.")):
        dist.Binomial(3)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        dist.Geometric(0.5, 0.5)
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter probs (Tensor of shape ()) of distribution Geometric(probs: 0.0) "
            "to be positive but found invalid values:\ntensor([0.])")):
        dist.Geometric(ng.tensor(0.))
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter scale (Tensor of shape ()) of distribution Normal(loc: 0.0, "
            "scale: -1.0) to satisfy the constraint GreaterThan(lower_bound=0.0)")):
        dist.LogNormal(0., -1.)
    with pytest.raises(ValueError, match=re.escape(
            "Expected parameter scale (Tensor of shape (1,)) of distribution HalfCauchy() to "
            "satisfy the constraint GreaterThan(lower_bound=0.0)")):
        dist.HalfCauchy(ng.tensor([-1.]))
    with pytest.raises(ValueError, match=r"distribution HalfNormal\(\) to satisfy"):
        dist.HalfNormal(-1.)
    with pytest.raises(ValueError, match=re.escape(
            "to be within the support (GreaterThan(lower_bound=0.0)) of the distribution "
            "LogNormal()")):
        dist.LogNormal(0., 1.).log_prob(ng.tensor(-1.))
    with pytest.raises(ValueError, match=re.escape(
            "(GreaterThanEq(lower_bound=0.0)) of the distribution HalfNormal()")):
        dist.HalfNormal(1.).log_prob(ng.tensor(-1.))
    with pytest.raises(ValueError, match=r"constraint GreaterThan\(lower_bound=0.0\)"):
        dist.Cauchy(0., 0.)
    with pytest.raises(NotImplementedError, match="poisson_cpu"):
        dist.Poisson(ng.tensor([1, 2])).sample()
    with pytest.raises(RuntimeError, match="binomial only supports floating-point dtypes"):
        dist.Binomial(ng.tensor([1, 2]), ng.tensor([0, 1]), validate_args=False).sample()
    # validation off: no checks
    with np.errstate(invalid="ignore"):
        lp = dist.LogNormal(0., 1., validate_args=False).log_prob(ng.tensor(-1.))
    assert np.isnan(_np(lp))


@pytest.mark.parametrize("make", [
    lambda: dist.Poisson(_t([1., 2.])), lambda: dist.Binomial(4, _t([0.2, 0.5])),
    lambda: dist.Binomial(4, logits=_t([0.2, 0.5])), lambda: dist.Geometric(_t([0.2, 0.5])),
    lambda: dist.HalfNormal(_t([1., 2.])), lambda: dist.LogNormal(_t([0., 1.]), 2.),
    lambda: dist.Cauchy(_t([0., 1.]), 2.), lambda: dist.HalfCauchy(_t([1., 2.]))],
    ids=["Poisson", "Binomial", "Binomial_logits", "Geometric", "HalfNormal", "LogNormal",
         "Cauchy", "HalfCauchy"])
def test_expand(make):
    d = make()
    e = d.expand((3, 2))
    assert type(e) is type(d) and e.batch_shape == (3, 2)
    assert e._validate_args == d._validate_args
    x = _t([1., 2.])
    np.testing.assert_allclose(_np(e.log_prob(x)), np.broadcast_to(_np(d.log_prob(x)), (3, 2)))
    np.testing.assert_allclose(_np(e.mean), np.broadcast_to(_np(d.mean), (3, 2)))
    assert e.sample((4,)).shape == (4, 3, 2)


def test_dtypes_float32():
    for d, x in [(dist.Poisson(ng.tensor([1., 2.])), ng.tensor([0., 3.])),
                 (dist.Binomial(3, ng.tensor([0.2, 0.5])), ng.tensor([0., 3.])),
                 (dist.Geometric(ng.tensor([0.2, 0.5])), ng.tensor([0., 3.])),
                 (dist.HalfNormal(ng.tensor([1., 2.])), ng.tensor([0.5, 3.])),
                 (dist.LogNormal(ng.tensor([0., 1.]), 1.), ng.tensor([0.5, 3.])),
                 (dist.Cauchy(ng.tensor([0., 1.]), 1.), ng.tensor([0.5, 3.])),
                 (dist.HalfCauchy(ng.tensor([1., 2.])), ng.tensor([0.5, 3.]))]:
        assert d.log_prob(x).dtype == ng.float32, d
        assert d.sample().dtype == ng.float32, d


# ----- optional comparison with torch.distributions ----------------------------------------

def test_against_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    rng = np.random.default_rng(11)
    cov = _spd(rng, (2,), 3)
    locs = rng.standard_normal((2, 3))
    pos, u, real = np.array([0.5, 2.5]), np.array([0.3, 0.8]), np.array([-0.7, 1.2])
    counts = np.array([0., 3.])
    # (class name, positional parameters, keyword parameters, log_prob points,
    #  differentiable parameter indices, methods to compare)
    cases = [
        ("MultivariateNormal", (locs,), {"covariance_matrix": cov}, rng.standard_normal((4, 2, 3))),
        ("MultivariateNormal", (locs[0],), {"precision_matrix": cov}, rng.standard_normal((2, 3))),
        ("MultivariateNormal", (locs,), {"scale_tril": np.linalg.cholesky(cov)},
         rng.standard_normal(3)),
        ("Poisson", (pos,), {}, counts),
        ("Binomial", (np.array([3., 5.]),), {"probs": u}, counts),
        ("Binomial", (5.,), {"logits": real}, counts),
        ("Geometric", (), {"probs": u}, counts),
        ("Geometric", (), {"logits": real}, counts),
        ("HalfNormal", (pos,), {}, u),
        ("LogNormal", (real, pos), {}, u),
        ("Cauchy", (real, pos), {}, real),
        ("HalfCauchy", (pos,), {}, u),
    ]
    for name, args, kwargs, x in cases:
        def build(lib, mod):
            leaves = []

            def conv(a):
                if isinstance(a, float):
                    return a
                leaves.append(lib.tensor(a, requires_grad=True))
                return leaves[-1]
            return (getattr(mod, name)(*[conv(a) for a in args],
                                       **{k: conv(v) for k, v in kwargs.items()}), leaves)
        (d, params_d), (t, params_t) = build(ng, dist), build(torch, td)
        msg = f"{name} {list(kwargs)}"
        assert d.batch_shape == tuple(t.batch_shape) and d.event_shape == tuple(t.event_shape)
        assert repr(d) == repr(t), msg
        lp_d, lp_t = d.log_prob(ng.tensor(x)), t.log_prob(torch.tensor(x))
        np.testing.assert_allclose(_np(lp_d), lp_t.detach().numpy(), rtol=1e-12, err_msg=msg)
        g_d = ng.autograd.grad(lp_d.sum(), params_d)
        g_t = torch.autograd.grad(lp_t.sum(), params_t)
        for a, b in zip(g_d, g_t):
            np.testing.assert_allclose(_np(a), b.numpy(), rtol=1e-10, atol=1e-12, err_msg=msg)
        for attr in ("mean", "mode", "variance"):
            np.testing.assert_allclose(_np(getattr(d, attr)), getattr(t, attr).detach().numpy(),
                                       rtol=1e-12, err_msg=f"{msg} {attr}")
        try:
            h_t = t.entropy()
        except NotImplementedError:  # Poisson's, a Binomial's of unequal total counts
            with pytest.raises(NotImplementedError):
                d.entropy()
        else:
            np.testing.assert_allclose(_np(d.entropy()), h_t.detach().numpy(), rtol=1e-12,
                                       err_msg=msg)
        if name in ("HalfNormal", "LogNormal", "Cauchy", "HalfCauchy"):
            np.testing.assert_allclose(_np(d.cdf(ng.tensor(x))),
                                       t.cdf(torch.tensor(x)).detach().numpy(), rtol=1e-12)
            np.testing.assert_allclose(_np(d.icdf(ng.tensor(u))),
                                       t.icdf(torch.tensor(u)).detach().numpy(), rtol=1e-12)
        assert d.sample((2,)).shape == tuple(t.sample((2,)).shape)
        assert d.support.__class__.__name__ == t.support.__class__.__name__
        e = d.expand((4,) + d.batch_shape)
        np.testing.assert_allclose(_np(e.log_prob(ng.tensor(x))),
                                   t.expand((4,) + t.batch_shape).log_prob(torch.tensor(x))
                                   .detach().numpy(), rtol=1e-12)
        kl_d, kl_t = dist.kl_divergence(d, e), td.kl_divergence(t, t.expand((4,) + t.batch_shape))
        np.testing.assert_allclose(_np(kl_d), kl_t.detach().numpy(), atol=1e-12, err_msg=msg)
    # KL between different parameters, and MVN's derived matrices
    p = dist.MultivariateNormal(ng.tensor(locs), ng.tensor(cov))
    q = dist.MultivariateNormal(ng.tensor(locs[0] * 2), precision_matrix=ng.tensor(cov[1]))
    tp = td.MultivariateNormal(torch.tensor(locs), torch.tensor(cov))
    tq = td.MultivariateNormal(torch.tensor(locs[0] * 2), precision_matrix=torch.tensor(cov[1]))
    for a, b in [(p, q), (q, p)]:
        ta, tb = (tp, tq) if a is p else (tq, tp)
        np.testing.assert_allclose(_np(dist.kl_divergence(a, b)),
                                   td.kl_divergence(ta, tb).numpy(), rtol=1e-12)
    for attr in ("scale_tril", "covariance_matrix", "precision_matrix"):
        np.testing.assert_allclose(_np(getattr(q, attr)), getattr(tq, attr).numpy(), rtol=1e-12)
    for mk in [lambda m, a, b: m.Poisson(a), lambda m, a, b: m.Geometric(a / 3),
               lambda m, a, b: m.Binomial(5, a / 3), lambda m, a, b: m.HalfNormal(a),
               lambda m, a, b: m.LogNormal(b, a), lambda m, a, b: m.Cauchy(b, a),
               lambda m, a, b: m.HalfCauchy(a)]:
        a1, a2, b1 = np.array([0.5, 2.]), np.array([1., 2.5]), np.array([0.3, -1.])
        ours = dist.kl_divergence(mk(dist, ng.tensor(a1), ng.tensor(b1)),
                                  mk(dist, ng.tensor(a2), ng.tensor(-b1)))
        theirs = td.kl_divergence(mk(td, torch.tensor(a1), torch.tensor(b1)),
                                  mk(td, torch.tensor(a2), torch.tensor(-b1)))
        np.testing.assert_allclose(_np(ours), theirs.numpy(), rtol=1e-12)
    # solve_triangular and cholesky_inverse, with gradients
    A = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    B = rng.standard_normal((3, 2))
    for upper, left, unit in [(False, True, False), (True, True, True), (False, False, False)]:
        Bx = B if left else B.T
        a_ng, b_ng = ng.tensor(A, requires_grad=True), ng.tensor(Bx, requires_grad=True)
        a_t, b_t = torch.tensor(A, requires_grad=True), torch.tensor(Bx, requires_grad=True)
        x_ng = ng.linalg.solve_triangular(a_ng, b_ng, upper=upper, left=left, unitriangular=unit)
        x_t = torch.linalg.solve_triangular(a_t, b_t, upper=upper, left=left, unitriangular=unit)
        np.testing.assert_allclose(_np(x_ng), x_t.detach().numpy(), rtol=1e-12)
        for g1, g2 in zip(ng.autograd.grad(x_ng.pow(2).sum(), (a_ng, b_ng)),
                          torch.autograd.grad(x_t.pow(2).sum(), (a_t, b_t))):
            np.testing.assert_allclose(_np(g1), g2.numpy(), rtol=1e-10, atol=1e-12)
    L = np.tril(A) + 0.0
    np.testing.assert_allclose(_np(ng.cholesky_inverse(ng.tensor(L))),
                               torch.cholesky_inverse(torch.tensor(L)).numpy(), rtol=1e-12)
