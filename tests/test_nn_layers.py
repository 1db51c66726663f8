"""numgrad.nn: more activations, losses, Embedding, normalization, convolution and pooling layers,
against numpy closed forms and loops; gradients with gradcheck/gradgradcheck (forward mode too)."""
import math
import warnings

import numpy as np
import pytest

import numgrad as ng
from numgrad import nn
from numgrad.autograd import gradcheck, gradgradcheck
from numgrad.nn import functional as F

rng = np.random.default_rng(0)


def arr(t):
    return np.asarray(t.detach())


def leaf(a):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def randn(*shape):
    return rng.standard_normal(shape)


def softplus(x):
    return np.logaddexp(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# ---------------------------------------------------------------- activations

SELU_A, SELU_S = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

ACTIVATIONS = [
    (nn.ReLU6(), F.relu6, lambda x: np.clip(x, 0, 6)),
    (nn.Hardtanh(), F.hardtanh, lambda x: np.clip(x, -1, 1)),
    (nn.Hardtanh(-2, 3), lambda x: F.hardtanh(x, -2, 3), lambda x: np.clip(x, -2, 3)),
    (nn.Hardsigmoid(), F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    (nn.Hardswish(), F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    (nn.SELU(), F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * np.expm1(x))),
    (nn.CELU(), F.celu, lambda x: np.where(x > 0, x, np.expm1(x))),
    (nn.CELU(0.5), lambda x: F.celu(x, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x / 0.5))),
    (nn.Mish(), F.mish, lambda x: x * np.tanh(softplus(x))),
    (nn.Softsign(), F.softsign, lambda x: x / (1 + np.abs(x))),
    (nn.Tanhshrink(), F.tanhshrink, lambda x: x - np.tanh(x)),
    (nn.Softshrink(), F.softshrink, lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    (nn.Softshrink(1.5), lambda x: F.softshrink(x, 1.5),
     lambda x: np.where(x > 1.5, x - 1.5, np.where(x < -1.5, x + 1.5, 0))),
    (nn.Hardshrink(), F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    (nn.Threshold(0.3, -2.0), lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
    (nn.GLU(), F.glu, lambda x: x[:, :3] * sigmoid(x[:, 3:])),
    (nn.GLU(0), lambda x: F.glu(x, 0), lambda x: x[:2] * sigmoid(x[2:])),
    (nn.Softmin(1), lambda x: F.softmin(x, 1), lambda x: np.exp(-x) / np.exp(-x).sum(1, keepdims=True)),
]


def _activation_input():
    x = randn(4, 6) * 3
    x[0, :4] = [0.2, -0.2, 3.5, -3.5]  # inside and outside the kinks
    return x


@pytest.mark.parametrize("module, fn, ref", ACTIVATIONS)
def test_activation_values(module, fn, ref):
    x = _activation_input()
    np.testing.assert_allclose(arr(module(ng.tensor(x))), ref(x), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(arr(fn(ng.tensor(x))), ref(x), rtol=1e-12, atol=1e-14)
    y = fn(ng.tensor(x.astype(np.float32)))
    assert y.dtype == ng.float32


@pytest.mark.parametrize("module, fn, ref", ACTIVATIONS)
def test_activation_gradients(module, fn, ref):
    x = _activation_input()
    x[np.abs(np.abs(x) - 3) < 0.05] += 0.2  # away from the kinks for finite differences
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.2
    x[np.abs(x - 0.3) < 0.05] += 0.2
    t = leaf(x)
    assert gradcheck(fn, (t,), check_forward_ad=True)
    assert gradgradcheck(fn, (t,))


def test_activation_kink_gradients_follow_pytorch():
    x = leaf([-1.0, 1.0, 0.5, -3.0, 3.0, 0.0, 6.0])
    F.hardtanh(x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [0, 0, 1, 0, 0, 1, 0])  # open interval
    x.grad = None
    F.relu6(x).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [0, 1, 1, 0, 1, 0, 0])
    x.grad = None
    F.hardsigmoid(x).sum().backward()
    np.testing.assert_allclose(arr(x.grad), [1 / 6, 1 / 6, 1 / 6, 0, 0, 1 / 6, 0])


@pytest.mark.parametrize("fn", [F.relu6, F.hardtanh, F.hardsigmoid, F.hardswish, F.selu, F.celu, F.mish,
                                lambda x, inplace: F.threshold(x, 0.1, 7.0, inplace)])
def test_activation_inplace(fn):
    x = randn(3, 5)
    expected = arr(fn(ng.tensor(x), inplace=False))
    t = ng.tensor(x)
    out = fn(t, inplace=True)
    np.testing.assert_array_equal(arr(t), expected)
    assert out is t
    # in place on a non-leaf keeps the gradient right
    a = leaf(x)
    b = a * 1.0
    fn(b, inplace=True).sum().backward()
    c = leaf(x)
    fn(c, inplace=False).sum().backward()
    np.testing.assert_allclose(arr(a.grad), arr(c.grad))


def test_prelu():
    m = nn.PReLU(3)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(arr(m.weight), [0.25] * 3)
    x = randn(2, 3, 4)
    w = np.array([0.1, -0.5, 2.0])
    with ng.no_grad():
        m.weight.copy_(ng.tensor(w))
    np.testing.assert_allclose(arr(m(ng.tensor(x))), np.where(x > 0, x, w[:, None] * x))
    np.testing.assert_allclose(arr(nn.PReLU()(ng.tensor(x))), np.where(x > 0, x, 0.25 * x))
    np.testing.assert_allclose(arr(F.prelu(ng.tensor(x[0, 0]), ng.tensor([0.3]))),
                               np.where(x[0, 0] > 0, x[0, 0], 0.3 * x[0, 0]))
    assert gradcheck(F.prelu, (leaf(x), leaf(w)), check_forward_ad=True)
    assert gradgradcheck(F.prelu, (leaf(x), leaf(w)))
    with pytest.raises(RuntimeError, match=r"Mismatch of parameter numbers and input channel size. Found "
                                           r"parameter numbers = 2 and channel size = 3."):
        F.prelu(ng.tensor(x), ng.ones(2))
    assert repr(nn.PReLU()) == "PReLU(num_parameters=1)"


def test_activation_reprs():
    assert repr(nn.ReLU6()) == "ReLU6()" and repr(nn.ReLU6(True)) == "ReLU6(inplace=True)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.Hardtanh(-2, 3.0, True)) == "Hardtanh(min_val=-2, max_val=3.0, inplace=True)"
    assert repr(nn.Hardsigmoid(True)) == "Hardsigmoid()" and repr(nn.Hardswish(True)) == "Hardswish()"
    assert repr(nn.SELU()) == "SELU()" and repr(nn.SELU(True)) == "SELU(inplace=True)"
    assert repr(nn.CELU()) == "CELU(alpha=1.0)" and repr(nn.CELU(0.5, True)) == "CELU(alpha=0.5, inplace=True)"
    assert repr(nn.Mish()) == "Mish()" and repr(nn.Mish(True)) == "Mish(inplace=True)"
    assert repr(nn.Softsign()) == "Softsign()" and repr(nn.Tanhshrink()) == "Tanhshrink()"
    assert repr(nn.Softshrink()) == "Softshrink(0.5)" and repr(nn.Hardshrink(0.3)) == "Hardshrink(0.3)"
    assert repr(nn.Threshold(0.1, 20)) == "Threshold(threshold=0.1, value=20)"
    assert repr(nn.Threshold(0.1, 20, True)) == "Threshold(threshold=0.1, value=20, inplace=True)"
    assert repr(nn.GLU()) == "GLU(dim=-1)" and repr(nn.Softmin(1)) == "Softmin(dim=1)"


def test_activation_errors():
    x = ng.tensor(randn(2, 3))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(2\)"):
        nn.Hardtanh(2, 1)
    with pytest.warns(FutureWarning, match="`min_value` is deprecated"):
        assert nn.Hardtanh(min_value=-2.0).min_val == -2.0
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        F.glu(x, 1)
    with pytest.raises(RuntimeError, match="glu does not support scalars"):
        F.glu(ng.tensor(1.0))
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 1.79769e\+308\] for input dtype "
                                           r"Double, but found -1"):
        F.softshrink(x, -1.0)
    with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
        F.celu(x, 0.0)
    with pytest.raises(NotImplementedError, match='"hardtanh_cpu" not implemented for \'Long\''):
        F.hardtanh(ng.tensor([1, 2]))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.Softmin()(ng.zeros(2, 3))
    assert "Implicit dimension choice for softmin" in str(w[0].message) and w[0].filename == __file__


# ---------------------------------------------------------------- distances

def test_pairwise_distance_and_cosine_similarity():
    a, b = randn(5, 7), randn(5, 7)
    for p in (1.0, 2.0, 3.0, math.inf):
        d = a - b + 1e-6
        ref = np.abs(d).max(-1) if p == math.inf else (np.abs(d) ** p).sum(-1) ** (1 / p)
        np.testing.assert_allclose(arr(F.pairwise_distance(ng.tensor(a), ng.tensor(b), p)), ref, rtol=1e-12)
    out = nn.PairwiseDistance(keepdim=True)(ng.tensor(a), ng.tensor(b[:1]))
    np.testing.assert_allclose(arr(out), np.linalg.norm(a - b[:1] + 1e-6, axis=-1, keepdims=True))
    np.testing.assert_allclose(arr(F.pairwise_distance(ng.tensor(a[0]), ng.tensor(b[0]))),
                               np.linalg.norm(a[0] - b[0] + 1e-6))
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(arr(nn.CosineSimilarity()(ng.tensor(a), ng.tensor(b))), cos, rtol=1e-12)
    bb = np.broadcast_to(b[:1], a.shape)
    cos0 = (a * bb).sum(0) / np.linalg.norm(a, axis=0) / np.linalg.norm(bb, axis=0)
    np.testing.assert_allclose(arr(F.cosine_similarity(ng.tensor(a), ng.tensor(b[:1]), dim=0)), cos0)
    # a zero vector: the norm is clamped to eps
    np.testing.assert_array_equal(arr(F.cosine_similarity(ng.zeros(1, 3), ng.ones(1, 3))), [0.0])
    for fn in (F.pairwise_distance, F.cosine_similarity, lambda u, v: F.pairwise_distance(u, v, 3.0, keepdim=True)):
        assert gradcheck(fn, (leaf(a), leaf(b)), check_forward_ad=True)
        assert gradgradcheck(fn, (leaf(a), leaf(b)))


# ---------------------------------------------------------------- losses

def _reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction](loss)


def _log_probs(shape):
    x = randn(*shape)
    return x - np.log(np.exp(x).sum(-1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    inp, tgt = _log_probs((4, 5)), np.exp(_log_probs((4, 5)))
    tgt[0, 0] = 0.0
    t_in = np.log(np.where(tgt > 0, tgt, 1e-300)) if log_target else tgt
    loss = tgt * (np.log(np.where(tgt > 0, tgt, 1.0)) - inp)
    ref = loss.sum() / 4 if reduction == "batchmean" else _reduce(loss, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = nn.KLDivLoss(reduction=reduction, log_target=log_target)(ng.tensor(inp), ng.tensor(t_in))
        np.testing.assert_allclose(arr(out), ref, rtol=1e-10, atol=1e-12)
        tgt_ok = tgt + 0.01
        t_in = np.log(tgt_ok) if log_target else tgt_ok
        fn = lambda u, v: F.kl_div(u, v, reduction=reduction, log_target=log_target)  # noqa: E731
        assert gradcheck(fn, (leaf(inp), leaf(t_in)), check_forward_ad=True)
        assert gradgradcheck(fn, (leaf(inp), leaf(t_in)))


def test_kl_div_mean_warns_and_errors():
    x = ng.tensor(_log_probs((2, 3)))
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        F.kl_div(x, x.exp())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.kl_div(x, x.exp(), reduction="sum")
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.kl_div(x, x, reduction="foo")


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(log_input, full):
    x = np.abs(randn(4, 5)) + 0.1
    t = rng.poisson(2.0, (4, 5)).astype(np.float64)
    loss = np.exp(x) - t * x if log_input else x - t * np.log(x + 1e-8)
    if full:
        ts = np.where(t > 1, t, 1.0)
        loss = loss + np.where(t > 1, ts * np.log(ts) - ts + 0.5 * np.log(2 * np.pi * ts), 0.0)
    for reduction in ("mean", "sum", "none"):
        out = nn.PoissonNLLLoss(log_input, full, reduction=reduction)(ng.tensor(x), ng.tensor(t))
        np.testing.assert_allclose(arr(out), _reduce(loss, reduction), rtol=1e-12)
    fn = lambda u: F.poisson_nll_loss(u, ng.tensor(t), log_input, full)  # noqa: E731
    assert gradcheck(fn, (leaf(x),), check_forward_ad=True) and gradgradcheck(fn, (leaf(x),))
    fn2 = lambda u, v: F.poisson_nll_loss(u, v, log_input, full, reduction="sum")  # noqa: E731
    assert gradcheck(fn2, (leaf(x), leaf(t + 0.3)), check_forward_ad=True)


def test_gaussian_nll_loss():
    x, t, v = randn(4, 3), randn(4, 3), rng.random((4, 3)) + 0.1
    loss = 0.5 * (np.log(v) + (x - t) ** 2 / v)
    m = nn.GaussianNLLLoss()
    np.testing.assert_allclose(arr(m(ng.tensor(x), ng.tensor(t), ng.tensor(v))), loss.mean())
    full = F.gaussian_nll_loss(ng.tensor(x), ng.tensor(t), ng.tensor(v[:, 0]), full=True, reduction="none")
    ref = 0.5 * (np.log(v[:, :1]) + (x - t) ** 2 / v[:, :1]) + 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(arr(full), ref)
    np.testing.assert_allclose(arr(F.gaussian_nll_loss(ng.tensor(x), ng.tensor(t), 2.0, reduction="sum")),
                               (0.5 * (np.log(2.0) + (x - t) ** 2 / 2.0)).sum())
    # var clamped to eps, with the gradient of var itself (as PyTorch)
    vv = leaf([0.0, 1.0])
    F.gaussian_nll_loss(ng.tensor([0.0, 0.0]), ng.tensor([1e-3, 0.0]), vv, reduction="sum").backward()
    assert np.isfinite(arr(vv.grad)).all()
    for var in (v, v[:, :1], v[:, 0]):
        fn = lambda a, b, c: F.gaussian_nll_loss(a, b, c)  # noqa: E731
        assert gradcheck(fn, (leaf(x), leaf(t), leaf(var)), check_forward_ad=True)
        assert gradgradcheck(fn, (leaf(x), leaf(t), leaf(var)))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(ng.tensor(x), ng.tensor(t), ng.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(ng.tensor(x), ng.tensor(t), -ng.ones(4, 3))
    with pytest.raises(ValueError, match="foo is not valid"):
        F.gaussian_nll_loss(ng.tensor(x), ng.tensor(t), ng.tensor(v), reduction="foo")


def test_margin_and_embedding_losses():
    a, b, c = randn(5, 4), randn(5, 4), randn(5, 4)
    y = np.array([1.0, -1, 1, -1, -1])
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    ref = np.where(y == 1, 1 - cos, np.maximum(cos - 0.2, 0))
    out = nn.CosineEmbeddingLoss(0.2, reduction="none")(ng.tensor(a), ng.tensor(b), ng.tensor(y))
    np.testing.assert_allclose(arr(out), ref, rtol=1e-12)
    out = F.margin_ranking_loss(ng.tensor(a[:, 0]), ng.tensor(b[:, 0]), ng.tensor(y), margin=0.3)
    np.testing.assert_allclose(arr(out), np.maximum(-y * (a[:, 0] - b[:, 0]) + 0.3, 0).mean())
    ys = np.sign(randn(5, 4))
    np.testing.assert_allclose(arr(nn.SoftMarginLoss()(ng.tensor(a), ng.tensor(ys))),
                               np.log1p(np.exp(-ys * a)).mean(), rtol=1e-12)
    out = nn.HingeEmbeddingLoss(0.5, reduction="sum")(ng.tensor(a), ng.tensor(ys))
    np.testing.assert_allclose(arr(out), np.where(ys == 1, a, np.maximum(0.5 - a, 0)).sum())
    dist = lambda u, v, p=2.0: (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)  # noqa: E731
    for swap in (False, True):
        d_neg = np.minimum(dist(a, c), dist(b, c)) if swap else dist(a, c)
        out = nn.TripletMarginLoss(margin=1.5, swap=swap)(ng.tensor(a), ng.tensor(b), ng.tensor(c))
        np.testing.assert_allclose(arr(out), np.maximum(1.5 + dist(a, b) - d_neg, 0).mean(), rtol=1e-12)
    lab = (rng.random((5, 4)) > 0.5).astype(np.float64)
    w = rng.random(4)
    per = -(lab * np.log(sigmoid(a)) + (1 - lab) * np.log(sigmoid(-a))) * w
    out = nn.MultiLabelSoftMarginLoss(ng.tensor(w), reduction="none")(ng.tensor(a), ng.tensor(lab))
    np.testing.assert_allclose(arr(out), per.mean(1), rtol=1e-12)

    fns = [lambda u, v: F.cosine_embedding_loss(u, v, ng.tensor(y), 0.1),
           lambda u, v: F.margin_ranking_loss(u, v, ng.tensor(ys), 0.1),
           lambda u, v: F.soft_margin_loss(u, ng.tensor(ys)) + F.soft_margin_loss(v, ng.tensor(ys), reduction="sum"),
           lambda u, v: F.hinge_embedding_loss(u - v, ng.tensor(ys), reduction="none"),
           lambda u, v: F.triplet_margin_loss(u, v, ng.tensor(c), swap=True),
           lambda u, v: F.triplet_margin_loss(u, v, ng.tensor(c), p=3),
           lambda u, v: F.multilabel_soft_margin_loss(u, ng.tensor(lab), v[0])]
    for fn in fns:
        assert gradcheck(fn, (leaf(a), leaf(b)), check_forward_ad=True)
        assert gradgradcheck(fn, (leaf(a), leaf(b)))


def test_loss_errors_and_reprs():
    x = ng.tensor(randn(2, 3))
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0"):
        F.triplet_margin_loss(x, x, x, margin=0)
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension but got sizes: input1: "
                                           r"torch.Size\(\[2, 3\]\), input2: torch.Size\(\[2, 3\]\), target: "
                                           r"torch.Size\(\[3\]\)"):
        F.margin_ranking_loss(x, x, ng.ones(3))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected"):
        F.cosine_embedding_loss(x, x, ng.ones(2, 3))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors, but found inputs with "
                                           r"sizes \[3\] and \[3\]."):
        F.cosine_embedding_loss(x[0], x[0], ng.ones(2))
    for fn in (lambda: F.soft_margin_loss(x, x, reduction="foo"),
               lambda: F.hinge_embedding_loss(x, x, reduction="foo"),
               lambda: F.poisson_nll_loss(x, x, reduction="foo")):
        with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
            fn()
    assert F.soft_margin_loss(x, x, size_average=False).shape == ()
    for m in ("KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineEmbeddingLoss", "MarginRankingLoss",
              "SoftMarginLoss", "HingeEmbeddingLoss", "TripletMarginLoss", "MultiLabelSoftMarginLoss",
              "CosineSimilarity", "PairwiseDistance"):
        assert repr(getattr(nn, m)()) == m + "()"
    assert nn.KLDivLoss(reduction="batchmean").reduction == "batchmean"
    assert nn.MarginRankingLoss(size_average=False).reduction == "sum"


# ---------------------------------------------------------------- embedding

def test_embedding_module():
    ng.manual_seed(0)
    m = nn.Embedding(10, 3, padding_idx=-2)
    assert m.padding_idx == 8 and m.weight.shape == (10, 3) and m.weight.requires_grad
    assert list(m.state_dict()) == ["weight"]
    np.testing.assert_array_equal(arr(m.weight[8]), [0, 0, 0])
    assert repr(m) == "Embedding(10, 3, padding_idx=8)"
    assert repr(nn.Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)) == \
        "Embedding(5, 2, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"
    idx = np.array([[1, 8, 3], [8, 0, 1]])
    out = m(ng.tensor(idx))
    np.testing.assert_array_equal(arr(out), arr(m.weight)[idx])
    g = randn(2, 3, 3)
    (out * ng.tensor(g)).sum().backward()
    expected = np.zeros((10, 3))
    np.add.at(expected, idx, g)
    expected[8] = 0  # padding_idx row gets no gradient
    np.testing.assert_allclose(arr(m.weight.grad), expected)
    assert m(ng.tensor(3)).shape == (3,)


def test_embedding_options_and_errors():
    w = randn(6, 4)
    idx = ng.tensor([[0, 2, 2], [5, 2, 0]])
    we = leaf(w)
    (F.embedding(idx, we, scale_grad_by_freq=True) * 1.0).sum().backward()
    expected = np.zeros_like(w)
    expected[[0, 2, 5]] = 1.0  # each row's gradient divided by its count in the batch
    np.testing.assert_allclose(arr(we.grad), expected)
    # max_norm renormalizes the looked-up rows in place
    wn = ng.tensor(w * 3)
    out = F.embedding(idx, wn, max_norm=1.0)
    norms = np.linalg.norm(arr(wn), axis=1)
    np.testing.assert_allclose(norms[[0, 2, 5]], 1.0, rtol=1e-6)
    np.testing.assert_allclose(arr(wn)[[1, 3, 4]], (w * 3)[[1, 3, 4]])
    np.testing.assert_allclose(arr(out), arr(wn)[arr(idx)])
    pre = ng.tensor(w)
    m = nn.Embedding.from_pretrained(pre)
    assert not m.weight.requires_grad and (m.num_embeddings, m.embedding_dim) == (6, 4)
    np.testing.assert_array_equal(arr(m(ng.tensor([1, 4]))), w[[1, 4]])
    assert nn.Embedding.from_pretrained(pre, freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be 2-dimensional"):
        nn.Embedding.from_pretrained(ng.ones(3))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=-4)
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have one of the following "
                                           "scalar types: Long, Int; but got torch.FloatTensor instead"):
        F.embedding(ng.tensor([1.0], dtype=ng.float32), pre)
    with pytest.raises(IndexError, match="index out of range in self"):
        F.embedding(ng.tensor([6]), pre)
    idx = ng.tensor([[0, 2, 2], [5, 1, 0]])
    fn = lambda v: F.embedding(idx, v) ** 2  # noqa: E731
    assert gradcheck(fn, (leaf(w),), check_forward_ad=True) and gradgradcheck(fn, (leaf(w),))


# ---------------------------------------------------------------- normalization layers

def _bn_ref(x, mean, var, w, b, eps=1e-5):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (6, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                        (nn.BatchNorm2d, (2, 3, 4, 5))])
def test_batch_norm_train_eval(cls, shape):
    m = cls(3, momentum=0.2, dtype=ng.float64)
    assert list(m.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m.num_batches_tracked.dtype == ng.int64 and int(m.num_batches_tracked) == 0
    w, b = randn(3), randn(3)
    with ng.no_grad():
        m.weight.copy_(ng.tensor(w))
        m.bias.copy_(ng.tensor(b))
    dims = (0,) + tuple(range(2, len(shape)))
    rm, rv = np.zeros(3), np.ones(3)
    for step in range(2):
        x = randn(*shape) * 2 + 1
        out = m(ng.tensor(x))
        mean, var = x.mean(dims), x.var(dims)
        np.testing.assert_allclose(arr(out), _bn_ref(x, mean, var, w, b), rtol=1e-10, atol=1e-12)
        n = x.size // 3
        rm = 0.8 * rm + 0.2 * mean
        rv = 0.8 * rv + 0.2 * var * n / (n - 1)
        np.testing.assert_allclose(arr(m.running_mean), rm, rtol=1e-12)
        np.testing.assert_allclose(arr(m.running_var), rv, rtol=1e-12)
        assert int(m.num_batches_tracked) == step + 1
    m.eval()
    x = randn(*shape)
    np.testing.assert_allclose(arr(m(ng.tensor(x))), _bn_ref(x, rm, rv, w, b), rtol=1e-10)
    assert int(m.num_batches_tracked) == 2
    np.testing.assert_allclose(arr(m.running_mean), rm)
    assert gradcheck(m, (leaf(x),), check_forward_ad=True)
    m.train()
    fn = lambda u, g, h: F.batch_norm(u, None, None, g, h, training=True)  # noqa: E731
    assert gradcheck(fn, (leaf(x), leaf(w), leaf(b)), check_forward_ad=True)
    assert gradgradcheck(fn, (leaf(x), leaf(w), leaf(b)))


def test_batch_norm_options():
    x = randn(5, 3)
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    m = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == [] and m.running_mean is None and m.num_batches_tracked is None
    np.testing.assert_allclose(arr(m(ng.tensor(x))), ref, rtol=1e-10)
    m.eval()  # no running statistics: batch statistics in eval too
    np.testing.assert_allclose(arr(m(ng.tensor(x))), ref, rtol=1e-10)
    # momentum=None: cumulative moving average
    m = nn.BatchNorm1d(3, momentum=None, dtype=ng.float64)
    xs = [randn(4, 3) for _ in range(3)]
    for v in xs:
        m(ng.tensor(v))
    np.testing.assert_allclose(arr(m.running_mean), np.mean([v.mean(0) for v in xs], 0), rtol=1e-12)
    np.testing.assert_allclose(arr(m.running_var), np.mean([v.var(0, ddof=1) for v in xs], 0), rtol=1e-12)
    assert repr(m) == "BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)"
    m.reset_running_stats()
    np.testing.assert_array_equal(arr(m.running_var), [1, 1, 1])
    assert int(m.num_batches_tracked) == 0
    assert nn.BatchNorm2d(4, bias=False).bias is None
    assert nn.BatchNorm2d(3).state_dict()["num_batches_tracked"].shape == ()
    assert nn.BatchNorm1d(2, dtype=ng.float32).running_mean.dtype == ng.float32


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(ng.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(ng.zeros(2, 3, 4))
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"torch.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3)(ng.zeros(1, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 4 elements not 3"):
        nn.BatchNorm1d(3)(ng.zeros(2, 4))
    nn.BatchNorm1d(3).eval()(ng.zeros(1, 3))  # fine in eval


def test_instance_group_rms_norm():
    x = randn(2, 6, 5)
    ref = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + 1e-5)
    m = nn.InstanceNorm1d(6)
    assert list(m.state_dict()) == []
    assert repr(m) == "InstanceNorm1d(6, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    np.testing.assert_allclose(arr(m(ng.tensor(x))), ref, rtol=1e-10)
    np.testing.assert_allclose(arr(m(ng.tensor(x[0]))), ref[0], rtol=1e-10)  # unbatched (C, L)
    m = nn.InstanceNorm1d(6, affine=True, track_running_stats=True, dtype=ng.float64)
    m(ng.tensor(x))
    np.testing.assert_allclose(arr(m.running_mean), 0.1 * x.mean(2).mean(0))
    np.testing.assert_allclose(arr(m.running_var), 0.9 + 0.1 * x.var(2, ddof=1).mean(0))
    m.eval()
    np.testing.assert_allclose(arr(m(ng.tensor(x))), _bn_ref(x, arr(m.running_mean), arr(m.running_var),
                                                             np.ones(6), np.zeros(6)), rtol=1e-10)
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(6\), but got: 4."):
        m(ng.zeros(2, 4, 5))

    g = nn.GroupNorm(3, 6, dtype=ng.float64)
    assert repr(g) == "GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)"
    w, b = randn(6), randn(6)
    with ng.no_grad():
        g.weight.copy_(ng.tensor(w))
        g.bias.copy_(ng.tensor(b))
    x4 = randn(2, 6, 3, 2)
    xg = x4.reshape(2, 3, -1)
    ref = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + 1e-5)).reshape(x4.shape)
    np.testing.assert_allclose(arr(g(ng.tensor(x4))), ref * w[:, None, None] + b[:, None, None], rtol=1e-10)
    with pytest.raises(ValueError, match=r"num_channels \(3\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 3)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups, "
                                           r"but got input of shape \[2, 3\] and num_groups=2"):
        F.group_norm(ng.zeros(2, 3), 2)
    with pytest.raises(RuntimeError, match="Expected at least 2 dimensions for input tensor but received 1"):
        F.group_norm(ng.zeros(3), 1)

    r = nn.RMSNorm([3, 2])
    assert repr(r) == "RMSNorm((3, 2), eps=None, elementwise_affine=True)"
    assert repr(nn.RMSNorm(4, eps=1e-5, elementwise_affine=False)) == \
        "RMSNorm((4,), eps=1e-05, elementwise_affine=False)"
    ref = x4 / np.sqrt((x4 ** 2).mean((-2, -1), keepdims=True) + np.finfo(np.float64).eps)
    np.testing.assert_allclose(arr(r(ng.tensor(x4))), ref, rtol=1e-12)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*4\], "
                                           r"but got input of size\[2, 3\]"):
        F.rms_norm(ng.zeros(2, 3), (4,))

    fns = [lambda u, v, c: F.group_norm(u, 2, v, c),
           lambda u, v, c: F.instance_norm(u, weight=v, bias=c),
           lambda u, v, c: F.rms_norm(u, (5,), c[:5], 1e-6) * v[0],
           lambda u, v, c: F.rms_norm(u, (6, 5), v[:, None] * c[:5], 1e-6)]
    for fn in fns:
        args = (leaf(x), leaf(randn(6)), leaf(randn(6)))
        assert gradcheck(fn, args, check_forward_ad=True) and gradgradcheck(fn, args)


# ---------------------------------------------------------------- convolution

def _conv_ref(x, w, b, stride, padding, dilation, groups):
    """Direct loop over output positions of an N-d cross-correlation (x batched, padding ints)."""
    n = w.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    out_c, cin_g = w.shape[:2]
    k = w.shape[2:]
    out_sp = [(x.shape[2 + d] - dilation[d] * (k[d] - 1) - 1) // stride[d] + 1 for d in range(n)]
    y = np.zeros((x.shape[0], out_c, *out_sp))
    per = out_c // groups
    for o in range(out_c):
        g = o // per
        for pos in np.ndindex(*out_sp):
            sl = tuple(slice(pos[d] * stride[d], pos[d] * stride[d] + dilation[d] * (k[d] - 1) + 1, dilation[d])
                       for d in range(n))
            patch = x[(slice(None), slice(g * cin_g, (g + 1) * cin_g)) + sl]
            y[(slice(None), o) + pos] = (patch * w[o]).reshape(x.shape[0], -1).sum(1)
        if b is not None:
            y[:, o] += b[o]
    return y


CONV_CASES = [
    (2, (2, 4, 7, 8), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    (2, (2, 3, 6, 5), (4, 3, 3, 3), dict()),
    (2, (1, 3, 6, 5), (6, 1, 2, 2), dict(stride=2, padding=1, groups=3)),
    (1, (2, 6, 11), (3, 2, 3), dict(stride=2, padding=1, dilation=2, groups=3)),
    (1, (3, 2, 9), (4, 2, 4), dict(padding=3)),
]


@pytest.mark.parametrize("n, xshape, wshape, kw", CONV_CASES)
def test_conv_values_and_gradients(n, xshape, wshape, kw):
    x, w, b = randn(*xshape), randn(*wshape), randn(wshape[0])
    conv = F.conv2d if n == 2 else F.conv1d
    full = {k: tuple(v) if isinstance(v, tuple) else (v,) * n for k, v in
            dict(stride=1, padding=0, dilation=1).items()}
    full.update({k: v if isinstance(v, tuple) else (v,) * n for k, v in kw.items() if k != "groups"})
    ref = _conv_ref(x, w, b, full["stride"], full["padding"], full["dilation"], kw.get("groups", 1))
    np.testing.assert_allclose(arr(conv(ng.tensor(x), ng.tensor(w), ng.tensor(b), **kw)), ref, rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(arr(conv(ng.tensor(x[0]), ng.tensor(w), ng.tensor(b), **kw)), ref[0], rtol=1e-10,
                               atol=1e-12)  # unbatched
    fn = lambda u, v, c: conv(u, v, c, **kw)  # noqa: E731
    assert gradcheck(fn, (leaf(x), leaf(w), leaf(b)), check_forward_ad=True)
    assert gradgradcheck(fn, (leaf(x), leaf(w), leaf(b)))


def test_conv_against_scipy():
    signal = pytest.importorskip("scipy.signal")
    x, w = randn(1, 1, 7, 9), randn(1, 1, 3, 4)
    np.testing.assert_allclose(arr(F.conv2d(ng.tensor(x), ng.tensor(w)))[0, 0],
                               signal.correlate(x[0, 0], w[0, 0], mode="valid"), rtol=1e-10)


def test_conv_same_valid_and_padding_modes():
    x, w = randn(2, 3, 7, 6), randn(4, 3, 3, 2)
    same = F.conv2d(ng.tensor(x), ng.tensor(w), padding="same", dilation=(1, 2))
    assert same.shape == (2, 4, 7, 6)
    # 'same' with an even dilated kernel pads less on the left (PyTorch's split)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    np.testing.assert_allclose(arr(same), _conv_ref(xp, w, None, (1, 1), (0, 0), (1, 2), 1), rtol=1e-10)
    w2 = randn(4, 3, 2, 2)
    xp = np.pad(x, [(0, 0), (0, 0), (0, 1), (0, 1)])
    np.testing.assert_allclose(arr(F.conv2d(ng.tensor(x), ng.tensor(w2), padding="same")),
                               _conv_ref(xp, w2, None, (1, 1), (0, 0), (1, 1), 1), rtol=1e-10)
    np.testing.assert_allclose(arr(F.conv2d(ng.tensor(x), ng.tensor(w), padding="valid")),
                               _conv_ref(x, w, None, (1, 1), (0, 0), (1, 1), 1), rtol=1e-10)
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")):
        m = nn.Conv2d(3, 4, (3, 2), padding=(1, 2), padding_mode=mode, dtype=ng.float64)
        xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (2, 2)], mode=np_mode)
        ref = _conv_ref(xp, arr(m.weight), arr(m.bias), (1, 1), (0, 0), (1, 1), 1)
        np.testing.assert_allclose(arr(m(ng.tensor(x))), ref, rtol=1e-10)
    m = nn.Conv1d(3, 2, 4, padding="same", padding_mode="reflect", dtype=ng.float64)
    xp = np.pad(x[:, :, 0], [(0, 0), (0, 0), (1, 2)], mode="reflect")
    np.testing.assert_allclose(arr(m(ng.tensor(x[:, :, 0]))),
                               _conv_ref(xp, arr(m.weight), arr(m.bias), (1,), (0,), (1,), 1), rtol=1e-10)


def test_conv_modules():
    ng.manual_seed(0)
    m = nn.Conv2d(4, 8, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="reflect")
    assert m.weight.shape == (8, 2, 3, 2) and m.bias is None and list(m.state_dict()) == ["weight"]
    assert repr(m) == ("Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
                       "groups=2, bias=False, padding_mode=reflect)")
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(3, 8, 3, padding="same")) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=same)"
    assert repr(nn.Conv1d(3, 6, 5, stride=3, padding=2)) == \
        "Conv1d(3, 6, kernel_size=(5,), stride=(3,), padding=(2,))"
    m = nn.Conv2d(3, 64, (3, 5))
    bound = 1 / math.sqrt(3 * 3 * 5)  # kaiming-uniform with a=sqrt(5) gives the same bound as the bias
    for p in (m.weight, m.bias):
        assert np.abs(arr(p)).max() <= bound and np.abs(arr(p)).max() > 0.8 * bound
    assert list(m.state_dict()) == ["weight", "bias"]
    x = randn(2, 3, 6, 7)
    np.testing.assert_allclose(arr(m(ng.tensor(x, dtype=ng.float32))),
                               _conv_ref(x, arr(m.weight), arr(m.bias), (1, 1), (0, 0), (1, 1), 1),
                               rtol=1e-5, atol=1e-6)
    assert m(ng.tensor(x[0], dtype=ng.float32)).shape == (64, 4, 3)
    c1 = nn.Conv1d(2, 3, 3, dtype=ng.float64)
    assert c1.weight.dtype == ng.float64 and c1(ng.tensor(randn(2, 5))).shape == (3, 3)


def test_conv_refuses_mixed_dtypes_as_pytorch():
    x = ng.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="^expected scalar type Float but found Double$"):
        F.conv2d(x, ng.zeros(1, 1, 2, 2, dtype=ng.float64))
    with pytest.raises(RuntimeError, match=r"^Input type \(double\) and bias type \(float\) should be "
                                           "the same$"):
        F.conv2d(x.double(), ng.zeros(1, 1, 2, 2, dtype=ng.float64), ng.zeros(1))


def test_conv_errors():
    x = ng.zeros(1, 3, 5, 5)
    w = ng.zeros(4, 3, 3, 3)
    for kw, exc, msg in [
        (dict(in_channels=3, out_channels=4, kernel_size=3, groups=2), ValueError,
         "in_channels must be divisible by groups"),
        (dict(in_channels=4, out_channels=3, kernel_size=3, groups=2), ValueError,
         "out_channels must be divisible by groups"),
        (dict(in_channels=4, out_channels=4, kernel_size=3, padding="foo"), ValueError,
         r"Invalid padding string 'foo', should be one of \{'valid', 'same'\}"),
        (dict(in_channels=4, out_channels=4, kernel_size=3, padding="same", stride=2), ValueError,
         "padding='same' is not supported for strided convolutions"),
        (dict(in_channels=4, out_channels=4, kernel_size=3, padding_mode="foo"), ValueError,
         r"padding_mode must be one of \{'replicate', 'zeros', 'reflect', 'circular'\}, but got "
         r"padding_mode='foo'"),
    ]:
        with pytest.raises(exc, match=msg):
            nn.Conv2d(**kw)
    with pytest.raises(RuntimeError, match=r"Given groups=1, weight of size \[4, 3, 3, 3\], expected input\[1, 4, "
                                           r"5, 5\] to have 3 channels, but got 4 channels instead"):
        F.conv2d(ng.zeros(1, 4, 5, 5), w)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[1, 1, 3, 5, 5\]"):
        F.conv2d(ng.zeros(1, 1, 3, 5, 5), w)
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"):
        nn.Conv1d(3, 4, 3)(ng.zeros(3, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Calculated padded input size per channel: \(2 x 2\). Kernel size: "
                                           r"\(3 x 3\). Kernel size can't be greater than actual input size"):
        F.conv2d(ng.zeros(1, 3, 2, 2), w)
    with pytest.raises(RuntimeError, match="non-positive stride is not supported"):
        F.conv2d(x, w, stride=0)
    with pytest.raises(RuntimeError, match="negative padding is not supported"):
        F.conv2d(x, w, padding=-1)


# ---------------------------------------------------------------- pooling

def _pool_ref(x, k, s, p, d, ceil_mode, op):
    """Loop reference of max/avg pooling on (N, C, H, W), windows clipped to the input (avg: divisor
    counts the window's part inside the padded input)."""
    outs = []
    for n, ki, si, pi, di in zip(x.shape[2:], k, s, p, d):
        span = n + 2 * pi - di * (ki - 1) - 1
        o = (span + (si - 1 if ceil_mode else 0)) // si + 1
        if ceil_mode and (o - 1) * si >= n + pi:
            o -= 1
        outs.append(o)
    y = np.zeros(x.shape[:2] + tuple(outs))
    for i, j in np.ndindex(*outs):
        rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
        cols = [j * s[1] - p[1] + a * d[1] for a in range(k[1])]
        vals = [x[:, :, r, c] for r in rows for c in cols if 0 <= r < x.shape[2] and 0 <= c < x.shape[3]]
        if op == "max":
            y[:, :, i, j] = np.max(vals, 0)
        else:
            hh = min(i * s[0] - p[0] + k[0], x.shape[2] + p[0]) - (i * s[0] - p[0])
            ww = min(j * s[1] - p[1] + k[1], x.shape[3] + p[1]) - (j * s[1] - p[1])
            y[:, :, i, j] = np.sum(vals, 0) / (hh * ww if op == "avg_pad" else len(vals))
    return y


POOL_CASES = [dict(kernel_size=2), dict(kernel_size=(3, 2), stride=(2, 1), padding=1),
              dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), dict(kernel_size=(2, 3), stride=3,
                                                                              ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL_CASES + [dict(kernel_size=3, stride=2, dilation=2, padding=1, ceil_mode=True)])
def test_max_pool2d(kw):
    x = randn(2, 3, 9, 10)
    k = F._ntuple(kw["kernel_size"], 2)
    s = F._ntuple(kw.get("stride", k), 2)
    ref = _pool_ref(x, k, s, F._ntuple(kw.get("padding", 0), 2), F._ntuple(kw.get("dilation", 1), 2),
                    kw.get("ceil_mode", False), "max")
    m = nn.MaxPool2d(**kw)
    np.testing.assert_array_equal(arr(m(ng.tensor(x))), ref)
    np.testing.assert_array_equal(arr(F.max_pool2d(ng.tensor(x[0]), **kw)), ref[0])
    values, idx = F.max_pool2d(ng.tensor(x), return_indices=True, **kw)
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, arr(idx).reshape(2, 3, -1), 2).reshape(ref.shape), ref)
    fn = lambda u: F.max_pool2d(u, **kw)  # noqa: E731
    assert gradcheck(fn, (leaf(x[:1, :2]),), check_forward_ad=True) and gradgradcheck(fn, (leaf(x[:1, :2]),))


@pytest.mark.parametrize("kw", POOL_CASES)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d(kw, count_include_pad):
    x = randn(2, 3, 9, 10)
    k = F._ntuple(kw["kernel_size"], 2)
    s = F._ntuple(kw.get("stride", k), 2)
    ref = _pool_ref(x, k, s, F._ntuple(kw.get("padding", 0), 2), (1, 1), kw.get("ceil_mode", False),
                    "avg_pad" if count_include_pad else "avg")
    m = nn.AvgPool2d(count_include_pad=count_include_pad, **kw)
    np.testing.assert_allclose(arr(m(ng.tensor(x))), ref, rtol=1e-12)
    np.testing.assert_allclose(arr(F.avg_pool2d(ng.tensor(x[0]), count_include_pad=count_include_pad, **kw)),
                               ref[0], rtol=1e-12)
    fn = lambda u: F.avg_pool2d(u, count_include_pad=count_include_pad, **kw)  # noqa: E731
    assert gradcheck(fn, (leaf(x[:1, :2]),), check_forward_ad=True) and gradgradcheck(fn, (leaf(x[:1, :2]),))


def test_avg_pool2d_divisor_override_and_adaptive():
    x = randn(2, 3, 7, 9)
    ref = _pool_ref(x, (3, 3), (2, 2), (1, 1), (1, 1), False, "avg_pad") * 9 / 4
    np.testing.assert_allclose(arr(F.avg_pool2d(ng.tensor(x), 3, 2, 1, divisor_override=4)), ref, rtol=1e-12)
    for size in [(3, 4), 1, (None, 5), 7]:
        o = F._ntuple(size, 2)
        o = tuple(n if s is None else s for s, n in zip(o, x.shape[2:]))
        ref = np.zeros((2, 3) + o)
        for i, j in np.ndindex(*o):
            h0, h1 = i * 7 // o[0], -(-(i + 1) * 7 // o[0])
            w0, w1 = j * 9 // o[1], -(-(j + 1) * 9 // o[1])
            ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean((2, 3))
        np.testing.assert_allclose(arr(nn.AdaptiveAvgPool2d(size)(ng.tensor(x))), ref, rtol=1e-12)
        np.testing.assert_allclose(arr(F.adaptive_avg_pool2d(ng.tensor(x[0]), size)), ref[0], rtol=1e-12)
    fn = lambda u: F.adaptive_avg_pool2d(u, (3, 4))  # noqa: E731
    assert gradcheck(fn, (leaf(x[:1]),), check_forward_ad=True) and gradgradcheck(fn, (leaf(x[:1]),))


def test_pool_reprs_and_errors():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.MaxPool2d((3, 2), stride=1, padding=1, dilation=2, return_indices=True, ceil_mode=True)) == \
        "MaxPool2d(kernel_size=(3, 2), stride=1, padding=1, dilation=2, ceil_mode=True)"
    assert repr(nn.AvgPool2d(2)) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    assert repr(nn.AdaptiveAvgPool2d((3, None))) == "AdaptiveAvgPool2d(output_size=(3, None))"
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size, but got pad=2, "
                                           "kernel_size=3 and dilation=1"):
        F.max_pool2d(ng.zeros(1, 3, 5, 5), 3, padding=2)
    with pytest.raises(RuntimeError, match=r"Given input size: \(3x2x2\). Calculated output size: \(3x0x0\). "
                                           "Output size is too small"):
        F.max_pool2d(ng.zeros(1, 3, 2, 2), 3)


def test_unflatten():
    m = nn.Unflatten(1, (2, 5))
    assert repr(m) == "Unflatten(dim=1, unflattened_size=(2, 5))"
    assert repr(nn.Unflatten(-1, [2, -1])) == "Unflatten(dim=-1, unflattened_size=[2, -1])"
    x = randn(3, 10, 2)
    np.testing.assert_array_equal(arr(m(ng.tensor(x))), x.reshape(3, 2, 5, 2))
    np.testing.assert_array_equal(arr(nn.Unflatten(-1, [2, -1])(ng.tensor(x))), x.reshape(3, 10, 2, 1))
    with pytest.raises(RuntimeError, match=r"unflatten: Provided sizes \[2, 5\] don't multiply up to the size of "
                                           r"dim 1 \(7\) in the input tensor"):
        m(ng.zeros(3, 7))
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, 5)


def test_cnn_trains():
    ng.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU6(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, padding="same", groups=2), nn.GroupNorm(2, 4), nn.Hardswish(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 2))
    x = ng.randn(8, 1, 6, 6)
    y = ng.tensor([0, 1] * 4)
    opt = ng.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    model.eval()
    assert model(x).shape == (8, 2)


# ---------------------------------------------------------------- against PyTorch (optional)

def test_against_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    cases = [
        ("ReLU6", (), (3, 5)), ("Hardtanh", (-0.5, 2.0), (3, 5)), ("Hardsigmoid", (), (3, 5)),
        ("Hardswish", (), (3, 5)), ("SELU", (), (3, 5)), ("CELU", (0.7,), (3, 5)), ("Mish", (), (3, 5)),
        ("Softsign", (), (3, 5)), ("Tanhshrink", (), (3, 5)), ("Softshrink", (0.3,), (3, 5)),
        ("Hardshrink", (0.3,), (3, 5)), ("Threshold", (0.1, -1.0), (3, 5)), ("GLU", (0,), (4, 5)),
        ("Softmin", (1,), (3, 5)), ("PReLU", (3,), (2, 3, 4)),
        ("Embedding", (7, 3, 2), None), ("BatchNorm1d", (3,), (4, 3, 5)), ("BatchNorm2d", (3,), (2, 3, 4, 4)),
        ("InstanceNorm1d", (3, 1e-5, 0.1, True, True), (2, 3, 6)), ("GroupNorm", (2, 4), (2, 4, 3, 3)),
        ("RMSNorm", ((3, 3),), (2, 4, 3, 3)),
        ("Conv1d", (4, 6, 3, 2, 1, 2, 2), (2, 4, 9)),
        ("Conv2d", (4, 6, (3, 2), (2, 1), (1, 2), (1, 2), 2), (2, 4, 7, 8)),
        ("Conv2d", (4, 2, 3, 1, "same", 1, 1, True, "circular"), (4, 6, 5)),
        ("MaxPool2d", (3, 2, 1, 1, False, True), (2, 3, 8, 7)),
        ("AvgPool2d", (3, 2, 1, True, False), (2, 3, 8, 7)), ("AdaptiveAvgPool2d", ((3, 2),), (2, 3, 8, 7)),
        ("Unflatten", (1, (2, 2)), (3, 4)),
    ]
    for name, args, shape in cases:
        tm = getattr(tnn, name)(*args).double()
        m = getattr(nn, name)(*args).double()
        m.load_state_dict({k: ng.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()})
        if name == "Embedding":
            xa = np.array([[1, 2, 2], [6, 0, 1]])
            xt, xn = torch.tensor(xa), ng.tensor(xa)
        else:
            xa = randn(*shape)
            xt, xn = torch.tensor(xa, requires_grad=True), leaf(xa)
        for mode in ("train", "eval"):
            getattr(tm, mode)()
            getattr(m, mode)()
            yt, yn = tm(xt), m(xn)
            np.testing.assert_allclose(arr(yn), yt.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
            g = randn(*yt.shape)
            (yt * torch.tensor(g)).sum().backward()
            (yn * ng.tensor(g)).sum().backward()
            if xt.requires_grad:
                np.testing.assert_allclose(arr(xn.grad), xt.grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)
                xt.grad, xn.grad = None, None
            for (k, pt), (_, pn) in zip(tm.named_parameters(), m.named_parameters()):
                np.testing.assert_allclose(arr(pn.grad), pt.grad.numpy(), rtol=1e-7, atol=1e-10,
                                           err_msg=f"{name}.{k}")
                pt.grad, pn.grad = None, None
            for (k, bt), (_, bn) in zip(tm.named_buffers(), m.named_buffers()):
                np.testing.assert_allclose(arr(bn), bt.numpy(), rtol=1e-12, err_msg=f"{name}.{k}")
            assert repr(m) == repr(tm)
    losses = [
        ("KLDivLoss", dict(reduction="batchmean", log_target=True), 2), ("PoissonNLLLoss", dict(full=True), 2),
        ("GaussianNLLLoss", dict(full=True), 3), ("CosineEmbeddingLoss", dict(margin=0.1), 3),
        ("MarginRankingLoss", dict(margin=0.2), 3), ("SoftMarginLoss", {}, 2),
        ("HingeEmbeddingLoss", dict(margin=0.5), 2), ("TripletMarginLoss", dict(swap=True, p=3), 3),
        ("MultiLabelSoftMarginLoss", {}, 2), ("CosineSimilarity", {}, 2), ("PairwiseDistance", dict(p=1.5), 2),
    ]
    sign = np.sign(randn(4, 5))
    for name, kw, nargs in losses:
        arrays = [randn(4, 5) for _ in range(nargs)]
        if name == "PoissonNLLLoss":
            arrays[1] = rng.poisson(2.0, (4, 5)) + 0.5
        if name == "GaussianNLLLoss":
            arrays[2] = rng.random((4, 5)) + 0.1
        if name in ("CosineEmbeddingLoss", "MarginRankingLoss"):
            arrays[2] = sign[:, 0]
            if name == "MarginRankingLoss":
                arrays[:2] = [a[:, 0] for a in arrays[:2]]
        if name in ("SoftMarginLoss", "HingeEmbeddingLoss"):
            arrays[1] = sign
        if name == "MultiLabelSoftMarginLoss":
            arrays[1] = (sign > 0).astype(np.float64)
        grad = [name not in ("CosineEmbeddingLoss", "MarginRankingLoss") or i < 2 for i in range(nargs)]
        if name in ("SoftMarginLoss", "HingeEmbeddingLoss", "MultiLabelSoftMarginLoss"):
            grad[1] = False
        tt = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, grad)]
        nt = [ng.tensor(a, requires_grad=r) for a, r in zip(arrays, grad)]
        yt, yn = getattr(tnn, name)(**kw)(*tt), getattr(nn, name)(**kw)(*nt)
        np.testing.assert_allclose(arr(yn), yt.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
        g = randn(*yt.shape)
        (yt * torch.tensor(g)).sum().backward()
        (yn * ng.tensor(g)).sum().backward()
        for a, b in zip(nt, tt):
            if b.requires_grad:
                np.testing.assert_allclose(arr(a.grad), b.grad.numpy(), rtol=1e-7, atol=1e-10, err_msg=name)
