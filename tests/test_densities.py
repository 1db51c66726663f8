"""The fused log-densities (numgrad/oplib/densities.py): their two ways of computing
second derivatives agree, third derivatives (through the differentiable compositions)
match finite differences, and the distributions built on them keep PyTorch's graph
semantics (gradients for every parameter, broadcasting, dtypes)."""
import numpy as np
import pytest

import numgrad as ng
import numgrad.distributions as dist
from numgrad.autograd import gradgradcheck
from numgrad.oplib import densities as D
from numgrad.ops import registry


def _t(rng, lo, hi, shape, requires_grad=True):
    return ng.tensor(rng.uniform(lo, hi, shape), requires_grad=requires_grad)


def _inputs(density, rng):
    """Arguments of `density` in its valid range: value (2, 3) and parameters broadcasting."""
    ranges = {"value": (-2, 2, (2, 3)), "loc": (-1, 1, (3,)), "scale": (0.5, 2, (2, 1)),
              "df": (0.8, 5, (3,)), "logits": (-3, 3, (3,))}
    xs = [_t(rng, *ranges[a]) for a in density.args]
    if density is D._BERNOULLI:
        xs[0] = _t(rng, 0, 1, (2, 3))
    return xs


DENSITIES = [D._NORMAL, D._STUDENT_T, D._BERNOULLI]


@pytest.mark.parametrize("density", DENSITIES, ids=lambda d: d.op.name)
def test_second_derivative_kernels_match_the_compositions(density):
    # the vjp of each backward op: by its kernels when nothing is recorded, by the
    # differentiable compositions under grad mode; every argument requires grad
    rng = np.random.default_rng(0)
    xs = _inputs(density, rng)
    out = density(*xs)
    g = _t(rng, -1, 1, out.shape)
    gg = _t(rng, -1, 1, out.shape, requires_grad=False)
    for i in range(len(xs)):
        node = density._grad(i, g, xs).grad_fn
        if node.op is ng.ops.REGISTRY["neg"]:  # loc: minus value's backward op
            node = node.next_functions[0][0]
        with ng.no_grad(), ng.autograd.profiler.profile() as prof:
            fast = node.op.vjp(node, gg)
        assert any("_second_" in e.key for e in prof.key_averages())
        with ng.enable_grad():
            composed = node.op.vjp(node, gg)
        assert len(fast) == len(composed) == len(xs) + 1
        for a, b in zip(fast, composed):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("density", DENSITIES, ids=lambda d: d.op.name)
def test_third_derivatives_match_finite_differences(density):
    rng = np.random.default_rng(1)
    xs = _inputs(density, rng)

    def gradient(*xs):
        return ng.autograd.grad(density(*xs).sum(), xs, create_graph=True)
    assert gradgradcheck(gradient, xs)


def test_forward_over_reverse_hessian_uses_the_compositions():
    # the tangent of a gradient needs the Hessian entries with tangents: the
    # kernels would drop them
    rng = np.random.default_rng(2)
    v, df, loc, scale = _inputs(D._STUDENT_T, rng)

    def f(df, scale):
        return D.student_t_log_prob(v, df, loc, scale).sum()
    fwdrev = ng.func.jacfwd(ng.func.jacrev(f, argnums=(0, 1)), argnums=(0, 1))(df, scale)
    revrev = ng.autograd.functional.hessian(f, (df, scale))
    for row_a, row_b in zip(fwdrev, revrev):
        for a, b in zip(row_a, row_b):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_log_probs_record_one_node_and_give_every_parameter_a_gradient():
    rng = np.random.default_rng(3)
    loc, scale, df = _t(rng, -1, 1, (3,)), _t(rng, 0.5, 2, (3,)), _t(rng, 1, 4, (3,))
    logits = _t(rng, -2, 2, (3,))
    value = _t(rng, -1, 1, (2, 3))
    cases = [(dist.Normal(loc, scale), value, "NormalLogProbBackward0", (loc, scale)),
             (dist.StudentT(df, loc, scale), value, "StudentTLogProbBackward0", (df, loc, scale)),
             (dist.Bernoulli(logits=logits), ng.tensor(rng.integers(0, 2, (2, 3)).astype(float)),
              "BernoulliLogProbBackward0", (logits,))]
    for d, x, name, params in cases:
        lp = d.log_prob(x)
        assert lp.grad_fn.name() == name and lp.shape == (2, 3)
        grads = ng.autograd.grad(lp.sum(), params)
        assert all(g.shape == p.shape for g, p in zip(grads, params))


def test_float32_parameters_give_float32_log_probs_and_gradients():
    x = ng.tensor([0.5, -1.0, 2.0], dtype=ng.float32, requires_grad=True)
    for d in (dist.Normal(0.0, 2.0), dist.StudentT(3.0, 0.0, 2.0), dist.Bernoulli(logits=x)):
        value = ng.tensor([1.0, 0.0, 1.0], dtype=ng.float32) if isinstance(d, dist.Bernoulli) else x
        lp = d.log_prob(value)
        (g,) = ng.autograd.grad(lp.sum(), x)
        assert lp.dtype == ng.float32 and g.dtype == ng.float32


def test_mismatched_shapes_raise_pytorchs_broadcast_error():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of "
                                           r"tensor b \(4\) at non-singleton dimension 0"):
        dist.Normal(ng.zeros(3), ng.ones(3), validate_args=False).log_prob(ng.zeros(4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("density", DENSITIES, ids=lambda d: d.op.name)
def test_numpy_compositions_agree_with_the_kernels(density, dtype):
    # from op.numpy_from elements on the CPU runs the numpy composition, which evaluates
    # the parameter-only terms per parameter element: it must agree with the kernel, for
    # parameters broadcast (one per column) and full-size
    rng = np.random.default_rng(4)
    n = registry._LOOP_MIN_SIZE + 37
    ranges = {"value": (-3, 3), "loc": (-1, 1), "scale": (0.3, 2), "df": (0.5, 30), "logits": (-30, 30)}
    ops = [density.op] + list(density.backward.values()) + list(set(density.second.values()))
    ops = [op for op in ops if op.cpu_numpy is not None]
    assert ops
    for op in ops:
        with_c = op is not density.op
        for param_shape in [(1,), (n,), "expanded"]:
            xs = [rng.uniform(*ranges[a], (n,) if a == "value" or param_shape == "expanded"
                              else param_shape).astype(dtype) for a in density.args]
            if param_shape == "expanded":  # as broadcast_all gives them: stride 0
                xs[1:] = [np.broadcast_to(x[:1], (n,)) for x in xs[1:]]
            if density is D._BERNOULLI:
                xs[0] = rng.uniform(0, 1, n).astype(dtype)
            args = ([rng.standard_normal(n).astype(dtype)] if with_c else []) + xs
            got = registry._elementwise_cpu(op, *args)
            want = op.kernel("cpu", np.dtype(dtype), len(args))(*args)
            assert got.dtype == want.dtype == dtype
            np.testing.assert_allclose(got, want, rtol=2e-5 if dtype == np.float32 else 1e-11,
                                       atol=1e-5 if dtype == np.float32 else 1e-11)
