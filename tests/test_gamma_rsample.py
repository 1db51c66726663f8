"""Reparameterized gamma samples (numgrad/oplib/sampling.py) and the rsample of Gamma,
Beta, Dirichlet and StudentT built on them: the implicit derivative of a sample in its
shape parameter against scipy, the pathwise gradients against the derivatives of
closed-form expectations, PyTorch's errors, and an optional comparison with
torch._standard_gamma_grad."""
import numpy as np
import pytest
import scipy.special as sp

import numgrad as ng
import numgrad.distributions as dist
from numgrad.oplib.sampling import standard_gamma, standard_gamma_grad

A = np.array([0.01, 0.05, 0.3, 1.0, 1.0, 1.5, 2.5, 25.0, 80.0, 400.0])
X = np.array([1e-30, 1e-3, 5.0, 1.0, 0.05, 2.0, 0.7, 30.0, 100.0, 380.0])


def _implicit_reference(a, x):
    """dx/da at fixed CDF u = P(a, x), by a central difference of scipy's inverse."""
    u = sp.gammainc(a, x)
    h = 1e-6 * a
    return (sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)


def test_sample_derivative_matches_the_implicit_derivative_of_the_cdf():
    ours = standard_gamma_grad(ng.tensor(A), ng.tensor(X)).numpy()
    np.testing.assert_allclose(ours, _implicit_reference(A, X), rtol=1e-6)
    ours32 = standard_gamma_grad(ng.tensor(A, dtype=ng.float32), ng.tensor(X, dtype=ng.float32))
    assert ours32.dtype == ng.float32
    np.testing.assert_allclose(ours32.numpy(), _implicit_reference(A, X), rtol=1e-4)


def test_sample_derivative_edges():
    a = ng.tensor([2.0, 2.0, 0.0, -1.0, np.nan])
    x = ng.tensor([0.0, np.inf, 1.0, 1.0, 1.0])
    np.testing.assert_array_equal(standard_gamma_grad(a, x).numpy(), [0.0, 0.0, np.nan, np.nan, np.nan])


def _mean_grad(make, params, n=20000, seed=0):
    """d/d params of the Monte Carlo mean of f(rsample) over n samples."""
    ng.manual_seed(seed)
    return ng.autograd.grad(make(*params).mean(), params)


def test_gamma_pathwise_gradient_is_unbiased():
    # E[x] = c / r, E[x**2] = c (c + 1) / r**2
    c, r = ng.tensor([0.4, 3.0], requires_grad=True), ng.tensor([2.0, 0.5], requires_grad=True)
    gc, gr = _mean_grad(lambda c, r: dist.Gamma(c, r).rsample((20000,)) ** 2, (c, r))
    cv, rv = c.detach().numpy(), r.detach().numpy()
    np.testing.assert_allclose(gc.numpy(), (2 * cv + 1) / rv ** 2 / 2, rtol=0.06)
    np.testing.assert_allclose(gr.numpy(), -2 * cv * (cv + 1) / rv ** 3 / 2, rtol=0.06)


def test_beta_and_dirichlet_pathwise_gradients_are_unbiased():
    a, b = ng.tensor(0.7, requires_grad=True), ng.tensor(2.0, requires_grad=True)
    ga, gb = _mean_grad(lambda a, b: dist.Beta(a, b).rsample((40000,)), (a, b))
    np.testing.assert_allclose([ga.item(), gb.item()], [2.0 / 2.7 ** 2, -0.7 / 2.7 ** 2], rtol=0.05)
    conc = ng.tensor([0.5, 1.0, 2.5], requires_grad=True)
    (gc,) = _mean_grad(lambda c: dist.Dirichlet(c).rsample((40000,))[:, 0], (conc,))
    total = 4.0  # d/dc_j of E[x_0] = c_0 / total
    np.testing.assert_allclose(gc.numpy(), [1 / total - 0.5 / total ** 2, -0.5 / total ** 2,
                                            -0.5 / total ** 2], rtol=0.06, atol=0.003)


def test_student_t_pathwise_gradient_is_unbiased():
    # E[x**2] = scale**2 df / (df - 2) for df > 2 (loc 0)
    df, scale = ng.tensor(6.0, requires_grad=True), ng.tensor(1.5, requires_grad=True)
    gdf, gs = _mean_grad(lambda df, s: dist.StudentT(df, 0.0, s).rsample((40000,)) ** 2, (df, scale))
    np.testing.assert_allclose([gdf.item(), gs.item()], [-2 * 1.5 ** 2 / 16, 2 * 1.5 * 6 / 4], rtol=0.08)


def test_rsample_shapes_dtypes_and_sample_without_graph():
    c = ng.tensor([[0.5, 2.0]], dtype=ng.float32, requires_grad=True)
    for d in (dist.Gamma(c, 2.0), dist.Beta(c, 1.5), dist.Dirichlet(c), dist.StudentT(c, 0.0, 1.0)):
        assert d.has_rsample
        s = d.rsample((3,))
        assert s.shape == (3,) + d.batch_shape + d.event_shape and s.dtype == ng.float32
        assert s.requires_grad and not d.sample((3,)).requires_grad
        assert ng.autograd.grad(s.sum(), c)[0].shape == c.shape


def test_forward_mode_tangent_of_a_sample():
    import numgrad.autograd.forward_ad as fwAD
    c = ng.tensor([0.5, 2.0, 7.0])
    with fwAD.dual_level():
        ng.manual_seed(3)
        x = standard_gamma(fwAD.make_dual(c, ng.ones(3)))
        primal, tangent = fwAD.unpack_dual(x)
    np.testing.assert_allclose(tangent.numpy(), standard_gamma_grad(c, primal).numpy())


def test_errors_follow_pytorch():
    with pytest.raises(NotImplementedError, match="\"gamma_cpu\" not implemented for 'Long'"):
        dist.Gamma(ng.tensor([2]), ng.tensor([1]), validate_args=False).rsample()
    with pytest.raises(NotImplementedError, match="\"dirichlet\" not implemented for 'Long'"):
        dist.Dirichlet(ng.tensor([2, 3]), validate_args=False).rsample()
    c = ng.tensor([1.5], requires_grad=True)
    (g,) = ng.autograd.grad(standard_gamma(c).sum(), c, create_graph=True)
    with pytest.raises(RuntimeError, match="the derivative for '_standard_gamma_grad' is not implemented"):
        g.sum().backward()


def test_matches_torch_standard_gamma_grad():
    torch = pytest.importorskip("torch")
    ref = torch._standard_gamma_grad(torch.tensor(A), torch.tensor(X)).numpy()
    # PyTorch approximates the derivative (to about 1e-3 relative); numgrad's is exact to 1e-6
    np.testing.assert_allclose(standard_gamma_grad(ng.tensor(A), ng.tensor(X)).numpy(), ref, rtol=2e-3)
