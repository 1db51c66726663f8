"""numgrad.nn: extra activations, LayerNorm, losses, dropout/one_hot and nn.utils, vs numpy closed forms."""
import math
import warnings

import numpy as np
import pytest

import numgrad as ng
from numgrad import nn
from numgrad.nn import functional as F
from numgrad.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

rng = np.random.default_rng(0)


def arr(t):
    return np.asarray(t.detach())


def leaf(a):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def num_grad(f, a, eps=1e-6):
    """Central-difference gradient of the scalar numpy function f at a."""
    g = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        g[i] = (f(a + d) - f(a - d)) / (2 * eps)
    return g


# ---------------------------------------------------------------- activation modules

def _phi(x):
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


@pytest.mark.parametrize("module, ref", [
    (nn.GELU(), lambda x: x * _phi(x)),
    (nn.GELU("tanh"), lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    (nn.SiLU(), lambda x: x / (1 + np.exp(-x))),
    (nn.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (nn.LeakyReLU(), lambda x: np.where(x > 0, x, 0.01 * x)),
    (nn.LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (nn.LogSigmoid(), lambda x: -np.log1p(np.exp(-x))),
    (nn.Softmax(1), lambda x: np.exp(x) / np.exp(x).sum(1, keepdims=True)),
    (nn.LogSoftmax(dim=-1), lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True))),
])
def test_activation_modules_values_and_grads(module, ref):
    x = rng.standard_normal((3, 4)) * 2
    x[0, 0] = 0.3
    t = leaf(x)
    y = module(t)
    np.testing.assert_allclose(arr(y), ref(x), rtol=1e-10, atol=1e-12)
    w = rng.standard_normal(x.shape)
    (y * ng.tensor(w)).sum().backward()
    np.testing.assert_allclose(arr(t.grad), num_grad(lambda a: (ref(a) * w).sum(), x), rtol=1e-5, atol=1e-7)


def test_activation_reprs():
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.SiLU()) == "SiLU()" and repr(nn.SiLU(True)) == "SiLU(inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)" and repr(nn.ELU(0.5, True)) == "ELU(alpha=0.5, inplace=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.LogSigmoid()) == "LogSigmoid()"
    assert repr(nn.Softmax()) == "Softmax(dim=None)" and repr(nn.LogSoftmax(dim=0)) == "LogSoftmax(dim=0)"


def test_softmax_module_implicit_dim_warns_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        y = nn.LogSoftmax()(ng.zeros(2, 3))
    assert w[0].filename == __file__
    assert str(w[0].message) == ("Implicit dimension choice for log_softmax has been deprecated. Change the "
                                 "call to include dim=X as an argument.")
    np.testing.assert_allclose(arr(y), np.full((2, 3), -math.log(3)))


# ---------------------------------------------------------------- LayerNorm

def test_layer_norm_parameters_and_repr():
    m = nn.LayerNorm(5)
    assert m.normalized_shape == (5,)
    assert [(n, p.shape) for n, p in m.named_parameters()] == [("weight", (5,)), ("bias", (5,))]
    np.testing.assert_array_equal(arr(m.weight), np.ones(5))
    np.testing.assert_array_equal(arr(m.bias), np.zeros(5))
    assert repr(m) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"
    m = nn.LayerNorm([2, 3], eps=1e-3, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["weight"] and m.bias is None
    assert repr(m) == "LayerNorm((2, 3), eps=0.001, elementwise_affine=True, bias=False)"
    m = nn.LayerNorm(3, elementwise_affine=False)
    assert list(m.parameters()) == [] and m.weight is None and m.bias is None
    assert repr(m) == "LayerNorm((3,), eps=1e-05, elementwise_affine=False, bias=False)"
    assert nn.LayerNorm(3, dtype=ng.float64).weight.dtype == ng.float64


def test_layer_norm_forward_backward():
    x = rng.standard_normal((2, 3, 4))
    m = nn.LayerNorm((3, 4), dtype=ng.float64)
    w, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    with ng.no_grad():
        m.weight.copy_(ng.tensor(w))
        m.bias.copy_(ng.tensor(b))

    def ref(a):
        mu = a.mean((1, 2), keepdims=True)
        return (a - mu) / np.sqrt(((a - mu) ** 2).mean((1, 2), keepdims=True) + 1e-5) * w + b
    t = leaf(x)
    y = m(t)
    np.testing.assert_allclose(arr(y), ref(x), rtol=1e-10)
    c = rng.standard_normal(x.shape)
    (y * ng.tensor(c)).sum().backward()
    np.testing.assert_allclose(arr(t.grad), num_grad(lambda a: (ref(a) * c).sum(), x), rtol=1e-5, atol=1e-7)
    xhat = (ref(x) - b) / w
    np.testing.assert_allclose(arr(m.weight.grad), (c * xhat).sum(0), rtol=1e-8)
    np.testing.assert_allclose(arr(m.bias.grad), c.sum(0), rtol=1e-8)
    m.reset_parameters()
    np.testing.assert_array_equal(arr(m.weight), np.ones((3, 4)))


# ---------------------------------------------------------------- regression losses

X = rng.standard_normal((4, 5))
Y = rng.standard_normal((4, 5))
Y[0, 0] = X[0, 0] + 1.0  # exactly at the huber / smooth-l1 boundary


def _huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _smooth_l1(d, beta):
    a = np.abs(d)
    return np.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


@pytest.mark.parametrize("reduction, red", [("mean", np.mean), ("sum", np.sum), ("none", lambda v: v)])
@pytest.mark.parametrize("fn, ref", [
    (F.l1_loss, lambda d: np.abs(d)),
    (lambda a, b, reduction: F.huber_loss(a, b, reduction, delta=0.7), lambda d: _huber(d, 0.7)),
    (lambda a, b, reduction: F.huber_loss(a, b, reduction), lambda d: _huber(d, 1.0)),
    (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.5), lambda d: _smooth_l1(d, 0.5)),
    (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction), lambda d: _smooth_l1(d, 1.0)),
    (lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.0), lambda d: np.abs(d)),
])
def test_regression_losses(fn, ref, reduction, red):
    a, b = leaf(X), leaf(Y)
    out = fn(a, b, reduction=reduction)
    np.testing.assert_allclose(arr(out), red(ref(X - Y)), rtol=1e-12)
    c = rng.standard_normal(out.shape)
    (out * ng.tensor(c)).sum().backward()
    expected = num_grad(lambda v: (red(ref(v - Y)) * c).sum(), X)
    np.testing.assert_allclose(arr(a.grad), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(arr(b.grad), -expected, rtol=1e-5, atol=1e-7)


def test_weighted_regression_losses_and_errors():
    w = rng.random((4, 5))
    d = X - Y
    np.testing.assert_allclose(arr(F.l1_loss(ng.tensor(X), ng.tensor(Y), weight=ng.tensor(w))),
                               (np.abs(d) * w).sum() / w.sum())
    np.testing.assert_allclose(arr(F.huber_loss(ng.tensor(X), ng.tensor(Y), weight=ng.tensor(w))),
                               (_huber(d, 1.0) * w).mean())
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.l1_loss(ng.tensor(X), ng.tensor(Y), weight=ng.ones(5))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.huber_loss(ng.tensor(X), ng.tensor(Y), reduction="bad", delta=0.0)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(ng.tensor(X), ng.tensor(Y), delta=0.0)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(ng.tensor(X), ng.tensor(Y), beta=-1.0)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.l1_loss(ng.tensor(X), ng.tensor(Y[0]))


def test_loss_modules():
    a, b = ng.tensor(X), ng.tensor(Y)
    np.testing.assert_allclose(arr(nn.L1Loss()(a, b)), np.abs(X - Y).mean())
    np.testing.assert_allclose(arr(nn.L1Loss(size_average=False)(a, b)), np.abs(X - Y).sum())
    np.testing.assert_allclose(arr(nn.HuberLoss("sum", 0.5)(a, b)), _huber(X - Y, 0.5).sum())
    np.testing.assert_allclose(arr(nn.SmoothL1Loss(reduction="none", beta=0.3)(a, b)), _smooth_l1(X - Y, 0.3))
    for m, name in [(nn.L1Loss(), "L1Loss"), (nn.HuberLoss(), "HuberLoss"), (nn.SmoothL1Loss(), "SmoothL1Loss"),
                    (nn.NLLLoss(), "NLLLoss"), (nn.BCELoss(), "BCELoss"), (nn.BCEWithLogitsLoss(), "BCEWithLogitsLoss")]:
        assert repr(m) == name + "()" and m.reduction == "mean"
    assert nn.HuberLoss().delta == 1.0 and nn.SmoothL1Loss().beta == 1.0 and nn.NLLLoss().ignore_index == -100
    assert list(nn.NLLLoss(weight=ng.ones(3))._buffers) == ["weight"]
    assert list(nn.BCEWithLogitsLoss()._buffers) == ["weight", "pos_weight"]
    logits, t, pw = rng.standard_normal((3, 4)), rng.random((3, 4)), rng.random(4)
    p = 1 / (1 + np.exp(-logits))
    expected = -(pw * t * np.log(p) + (1 - t) * np.log(1 - p)).mean()
    np.testing.assert_allclose(arr(nn.BCEWithLogitsLoss(pos_weight=ng.tensor(pw))(ng.tensor(logits), ng.tensor(t))),
                               expected)


# ---------------------------------------------------------------- nll_loss, binary_cross_entropy

def _nll_ref(logp, target, weight, ignore_index, reduction):
    """(N, C, *) reference by explicit loops."""
    w = np.ones(logp.shape[1]) if weight is None else weight
    loss, wsum = np.zeros(target.shape), 0.0
    for idx in np.ndindex(target.shape):
        c = target[idx]
        if c != ignore_index:
            loss[idx] = -logp[(idx[0], c) + idx[1:]] * w[c]
            wsum += w[c]
    return {"none": loss, "sum": loss.sum(), "mean": loss.sum() / wsum}[reduction]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(6, 4), (2, 4, 3), (2, 4, 3, 2)])
def test_nll_loss(shape, weighted, reduction):
    logp = rng.standard_normal(shape)
    target = rng.integers(0, 4, (shape[0],) + shape[2:])
    target.flat[1] = -100
    weight = rng.random(4) if weighted else None
    a = leaf(logp)
    out = F.nll_loss(a, ng.tensor(target), None if weight is None else ng.tensor(weight), reduction=reduction)
    np.testing.assert_allclose(arr(out), _nll_ref(logp, target, weight, -100, reduction), rtol=1e-12)
    c = rng.standard_normal(out.shape)
    (out * ng.tensor(c)).sum().backward()
    expected = num_grad(lambda v: (_nll_ref(v, target, weight, -100, reduction) * c).sum(), logp)
    np.testing.assert_allclose(arr(a.grad), expected, rtol=1e-5, atol=1e-8)


def test_nll_loss_special_cases_and_errors():
    logp = rng.standard_normal((3, 4))
    np.testing.assert_allclose(arr(F.nll_loss(ng.tensor(logp), ng.tensor([0, 1, 3]), ignore_index=1)),
                               -(logp[0, 0] + logp[2, 3]) / 2)
    np.testing.assert_allclose(arr(nn.NLLLoss(ng.tensor([1., 2, 3, 4]))(ng.tensor(logp), ng.tensor([0, 1, 3]))),
                               -(logp[0, 0] + 2 * logp[1, 1] + 4 * logp[2, 3]) / 7)
    one = F.nll_loss(ng.tensor(logp[0]), ng.tensor(2), reduction="none")
    assert one.shape == () and float(one) == -logp[0, 2]
    assert math.isnan(float(F.nll_loss(ng.tensor(logp), ng.tensor([-100, -100, -100]))))
    assert float(F.nll_loss(ng.tensor(logp), ng.tensor([-100, -100, -100]), reduction="sum")) == 0.0
    cases = [
        (logp, [0, 4, 1], IndexError, "Target 4 is out of bounds."),
        (logp, [0, -1, 1], IndexError, "Target -1 is out of bounds."),
        (logp, [0, 1], ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)."),
        (logp, [0., 1, 1], RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
        (logp, [[0], [1], [1]], RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
        (logp[0], [0, 1], ValueError, "For 1D input, 1D target must have size 1, but got target size: 2"),
        (np.array(1.0), 0, ValueError, r"Expected 1 or more dimensions \(got 0\)"),
        (logp.reshape(3, 2, 2), [[0, 1, 1]] * 3, RuntimeError, r"Expected target size \[3, 2\], got \[3, 3\]"),
        (np.zeros((2, 3, 4, 5)), np.zeros((2, 4, 4), dtype=np.int64), RuntimeError,
         r"size mismatch \(got input: \[2, 3, 4, 5\] , target: \[2, 4, 4\]"),
    ]
    for inp, tgt, exc, msg in cases:
        with pytest.raises(exc, match=msg):
            F.nll_loss(ng.tensor(inp), ng.tensor(tgt))
    with pytest.raises(RuntimeError, match=r"weight tensor should be defined either for all 4 classes or no "
                                           r"classes but got weight tensor of shape: \[3\]"):
        F.nll_loss(ng.tensor(logp), ng.tensor([0, 1, 1]), ng.ones(3))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.nll_loss(ng.tensor(logp), ng.tensor([0, 1, 1]), reduction="bad")


@pytest.mark.parametrize("reduction, red", [("mean", np.mean), ("sum", np.sum), ("none", lambda v: v)])
def test_binary_cross_entropy(reduction, red):
    p, t, w = rng.uniform(0.05, 0.95, (3, 4)), rng.random((3, 4)), rng.random(4)

    def ref(x, y):
        return red(-(y * np.log(x) + (1 - y) * np.log1p(-x)) * w)
    a, b = leaf(p), leaf(t)
    out = F.binary_cross_entropy(a, b, ng.tensor(w), reduction=reduction)
    np.testing.assert_allclose(arr(out), ref(p, t), rtol=1e-12)
    c = rng.standard_normal(out.shape)
    (out * ng.tensor(c)).sum().backward()
    np.testing.assert_allclose(arr(a.grad), num_grad(lambda v: (ref(v, t) * c).sum(), p), rtol=1e-5)
    np.testing.assert_allclose(arr(b.grad), num_grad(lambda v: (ref(p, v) * c).sum(), t), rtol=1e-5)
    np.testing.assert_allclose(arr(nn.BCELoss(ng.tensor(w), reduction=reduction)(ng.tensor(p), ng.tensor(t))),
                               ref(p, t), rtol=1e-12)


def test_binary_cross_entropy_clamps_logs_and_errors():
    x = leaf([0.0, 1.0, 0.0, 1e-50])
    out = F.binary_cross_entropy(x, ng.tensor([1.0, 0.0, 0.0, 0.0]), reduction="none")
    np.testing.assert_allclose(arr(out), [100.0, 100.0, 0.0, 1e-50])
    out.sum().backward()
    assert np.isfinite(arr(x.grad)).all()
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(ng.tensor([0.5, 1.5]), ng.tensor([1.0, 0.0]))
    with pytest.raises(RuntimeError, match="all elements of target should be between 0 and 1"):
        F.binary_cross_entropy(ng.tensor([0.5, 0.5]), ng.tensor([1.0, 3.0]))
    with pytest.raises(ValueError, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different to "
                                         r"the input size \(torch.Size\(\[2\]\)\) is deprecated"):
        F.binary_cross_entropy(ng.tensor([0.5, 0.5]), ng.tensor([1.0, 0.0, 1.0]))


# ---------------------------------------------------------------- dropout, one_hot

def test_dropout_function_and_module():
    ng.manual_seed(0)
    x = ng.ones(20000, dtype=ng.float64)
    y = arr(F.dropout(x, 0.3))
    assert set(np.unique(y)) <= {0.0, 1 / 0.7} and abs((y == 0).mean() - 0.3) < 0.02
    assert F.dropout(x, 0.3, training=False) is x and F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(arr(F.dropout(x, 1.0)), np.zeros(20000))
    z = ng.ones(5)
    assert F.dropout(z, 0.5, inplace=True) is z
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    m = nn.Dropout(0.5)
    assert m.eval()(x) is x
    ng.manual_seed(1)
    a = arr(m.train()(x))
    ng.manual_seed(1)
    np.testing.assert_array_equal(a, arr(F.dropout(x, 0.5)))


def test_one_hot():
    out = F.one_hot(ng.tensor([1, 2, 0]))
    assert out.dtype == ng.int64
    np.testing.assert_array_equal(arr(out), np.eye(3, dtype=np.int64)[[1, 2, 0]])
    assert F.one_hot(ng.tensor([[1, 0]]), 4).shape == (1, 2, 4)
    np.testing.assert_array_equal(arr(F.one_hot(ng.tensor(2), 4)), [0, 0, 1, 0])
    assert F.one_hot(ng.zeros(0, dtype=ng.int64), 3).shape == (0, 3)
    for t, k, msg in [([1, 2, 5], 3, "Class values must be smaller than num_classes."),
                      ([1, -1], 3, "Class values must be non-negative."),
                      ([1.0, 2.0], 3, "one_hot is only applicable to index tensor of type LongTensor."),
                      ([1, 2], 0, "Class values must be smaller than num_classes.")]:
        with pytest.raises(RuntimeError, match=msg):
            F.one_hot(ng.tensor(t), k)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor."):
        F.one_hot(ng.zeros(0, dtype=ng.int64))
    with pytest.raises(TypeError, match="argument 'num_classes' \\(position 2\\) must be int, not float"):
        F.one_hot(ng.tensor([1]), 3.0)


# ---------------------------------------------------------------- nn.utils

def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ng.zeros(np.shape(g), dtype=ng.float64))
        p.grad = None if g is None else ng.tensor(np.asarray(g, dtype=np.float64))
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    ps = _params_with_grads(grads) + [nn.Parameter(ng.zeros(2))]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    out = clip_grad_norm_((p for p in ps), max_norm, norm_type)
    np.testing.assert_allclose(float(out), total, rtol=1e-10)
    assert not out.requires_grad
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(arr(p.grad), g * coef, rtol=1e-10)
    assert ps[2].grad is None


def test_clip_grad_norm_special_cases():
    p = _params_with_grads([[3.0, 4.0]])[0]
    assert float(clip_grad_norm_(p, 1.0)) == 5.0
    np.testing.assert_allclose(arr(p.grad), [0.6, 0.8], rtol=1e-6)
    assert float(clip_grad_norm_([], 1.0)) == 0.0
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        clip_grad_norm_((p for p in []), 1.0)
    bad = _params_with_grads([[1.0, math.inf]])
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite, so it cannot be clipped"):
        clip_grad_norm_(bad, 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    g = rng.standard_normal((3, 4))
    ps = _params_with_grads([g, None])
    assert clip_grad_value_(ps, 0.5) is None
    np.testing.assert_array_equal(arr(ps[0].grad), np.clip(g, -0.5, 0.5))
    assert ps[1].grad is None


def test_parameters_to_vector_and_back():
    m = nn.Sequential(nn.Linear(3, 2), nn.LayerNorm(2))
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (12,) and vec.grad_fn is not None
    np.testing.assert_array_equal(arr(vec), np.concatenate([arr(p).ravel() for p in m.parameters()]))
    new = np.arange(12.0, dtype=np.float32)
    vector_to_parameters(ng.tensor(new), m.parameters())
    np.testing.assert_array_equal(arr(m[0].weight), new[:6].reshape(2, 3))
    np.testing.assert_array_equal(arr(m[1].bias), new[10:])
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.parameters())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        vector_to_parameters([1, 2], m.parameters())


def test_utils_importable_as_module():
    import numgrad.nn.utils as U
    assert nn.utils is U and U.clip_grad_norm_ is clip_grad_norm_
