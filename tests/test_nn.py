"""numgrad.nn and numgrad.optim: modules, losses vs numpy, optimizers vs hand-computed updates."""
import math
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import numgrad as ng
import numgrad.nn  # noqa: F401  (binds ng.nn)
import numgrad.optim  # noqa: F401  (binds ng.optim)
from numgrad import nn
from numgrad.nn import functional as F


class MLP(nn.Module):
    def __init__(self, dtype=None):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, dtype=dtype)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2, dtype=dtype)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def arr(t):
    return np.asarray(t.detach())


# ---------------------------------------------------------------- Parameter

def test_parameter_is_tensor_requiring_grad_and_shares_storage():
    t = ng.zeros(2)
    p = nn.Parameter(t)
    assert isinstance(p, ng.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    with ng.no_grad():
        p.add_(1.0)
    assert arr(t).tolist() == [1.0, 1.0]
    assert not nn.Parameter(ng.zeros(2), requires_grad=False).requires_grad
    # ops on parameters give plain tensors
    assert type(p * 2) is ng.Tensor


def test_parameter_pickles_and_deepcopies():
    import copy
    p = nn.Parameter(ng.tensor([1.0, 2.0]))
    for q in (pickle.loads(pickle.dumps(p)), copy.deepcopy(p)):
        assert isinstance(q, nn.Parameter) and q.requires_grad
        assert arr(q).tolist() == [1.0, 2.0]


# ---------------------------------------------------------------- Module

def test_registration_and_traversal():
    m = MLP()
    m.register_buffer("running", ng.zeros(3))
    m.register_buffer("scratch", ng.ones(1), persistent=False)
    assert [n for n, _ in m.named_parameters()] == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert [type(c).__name__ for c in m.children()] == ["Linear", "Tanh", "Linear"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "act", "fc2"]
    assert list(m.parameters(recurse=False)) == []
    assert list(m.state_dict()) == ["running", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert m.get_submodule("fc2") is m.fc2
    assert "fc1" in dir(m) and "running" in dir(m)


def test_setattr_rules_and_delattr():
    m = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'weight'"):
        m.weight = ng.zeros(2, 2)
    m.bias = None
    assert m.bias is None and [n for n, _ in m.named_parameters()] == ["weight"]
    m.bias = nn.Parameter(ng.zeros(2))
    m.weight = nn.Parameter(ng.zeros(2, 2))  # re-assigning keeps the name's place
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    setattr(seq, "0", nn.Linear(2, 3))
    assert list(dict(seq.named_children())) == ["0", "1"]
    m.extra = nn.Parameter(ng.zeros(1))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'extra'"):
        m.extra

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ng.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def test_shared_parameters_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2


def test_train_eval_recursive():
    m = MLP()
    assert m.training and m.fc1.training
    assert m.eval() is m
    assert not m.training and not m.fc1.training and not m.act.training
    m.train()
    assert m.fc2.training


def test_zero_grad_module():
    m = MLP()
    m(ng.randn(5, 3)).sum().backward()
    g = m.fc1.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.fc1.weight.grad is g and not arr(g).any()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_repr_like_pytorch():
    assert repr(MLP()) == (
        "MLP(\n"
        "  (fc1): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (act): Tanh()\n"
        "  (fc2): Linear(in_features=4, out_features=2, bias=True)\n"
        ")")
    seq = nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(inplace=True), nn.Softplus(beta=2),
                        nn.Sequential(nn.Sigmoid()), nn.MSELoss(), nn.CrossEntropyLoss())
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=False)\n"
        "  (1): ReLU(inplace=True)\n"
        "  (2): Softplus(beta=2, threshold=20.0)\n"
        "  (3): Sequential(\n"
        "    (0): Sigmoid()\n"
        "  )\n"
        "  (4): MSELoss()\n"
        "  (5): CrossEntropyLoss()\n"
        ")")


def test_state_dict_round_trip():
    ng.manual_seed(1)
    a, b = MLP(), MLP()
    x = ng.randn(5, 3)
    assert not np.allclose(arr(a(x)), arr(b(x)))
    sd = a.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert np.shares_memory(np.asarray(sd["fc1.weight"]), np.asarray(a.fc1.weight.detach()))
    w_before = b.fc1.weight
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.fc1.weight is w_before and b.fc1.weight.requires_grad  # loaded in place
    np.testing.assert_array_equal(arr(a(x)), arr(b(x)))
    # a copy, not an alias
    with ng.no_grad():
        a.fc1.weight.add_(1.0)
    assert not np.allclose(arr(a(x)), arr(b(x)))


def test_load_state_dict_errors():
    m = MLP()
    sd = m.state_dict()
    del sd["fc2.bias"]
    sd["stray"] = ng.zeros(1)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert msg.startswith("Error(s) in loading state_dict for MLP:")
    assert 'Missing key(s) in state_dict: "fc2.bias"' in msg
    assert 'Unexpected key(s) in state_dict: "stray"' in msg
    res = m.load_state_dict(sd, strict=False)
    assert res.missing_keys == ["fc2.bias"] and res.unexpected_keys == ["stray"]
    bad = m.state_dict()
    bad["fc1.bias"] = ng.zeros(7)
    with pytest.raises(RuntimeError, match=r"size mismatch for fc1.bias: copying a param with "
                                           r"shape torch.Size\(\[7\]\)"):
        m.load_state_dict(bad)


def test_module_double_converts_parameters_in_place():
    m = MLP()
    p = m.fc1.weight
    m.double()
    assert m.fc1.weight is p and p.dtype == ng.float64
    assert m(ng.randn(2, 3, dtype=ng.float64)).dtype == ng.float64


# ---------------------------------------------------------------- layers

def test_linear_forward_backward_and_init():
    ng.manual_seed(0)
    lin = nn.Linear(50, 40)
    bound = 1 / math.sqrt(50)
    w, b = arr(lin.weight), arr(lin.bias)
    assert w.shape == (40, 50) and b.shape == (40,) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and w.min() < 0 < w.max()
    x = ng.randn(3, 50)
    y = lin(x)
    np.testing.assert_allclose(arr(y), arr(x) @ w.T + b, rtol=1e-5, atol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(arr(lin.weight.grad), np.tile(arr(x).sum(0), (40, 1)), rtol=1e-5)
    np.testing.assert_allclose(arr(lin.bias.grad), np.full(40, 3.0))
    assert nn.Linear(2, 3, bias=False).bias is None
    assert nn.Linear(2, 3, dtype=ng.float64).weight.dtype == ng.float64


def test_sequential_indexing_and_forward():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and seq[-1] is seq[2]
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    x = ng.randn(5, 3)
    expected = seq[2](seq[1](seq[0](x)))
    np.testing.assert_array_equal(arr(seq(x)), arr(expected))
    named = nn.Sequential(OrderedDict([("inp", nn.Linear(3, 2)), ("out", nn.Tanh())]))
    assert [n for n, _ in named.named_children()] == ["inp", "out"]
    with pytest.raises(IndexError):
        seq[3]


def test_activations_vs_numpy():
    xv = np.array([-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0])
    x = ng.tensor(xv)
    np.testing.assert_allclose(arr(nn.ReLU()(x)), np.maximum(xv, 0))
    np.testing.assert_allclose(arr(nn.Tanh()(x)), np.tanh(xv), rtol=1e-6)
    np.testing.assert_allclose(arr(nn.Sigmoid()(x)), 1 / (1 + np.exp(-xv)), rtol=1e-6)
    np.testing.assert_allclose(arr(nn.Softplus()(x)), np.logaddexp(0, xv), rtol=1e-6)
    sp = np.where(2 * xv > 5, xv, np.log1p(np.exp(2 * xv)) / 2)
    np.testing.assert_allclose(arr(nn.Softplus(beta=2, threshold=5)(x)), sp, rtol=1e-6)
    np.testing.assert_allclose(arr(F.logsigmoid(x)), -np.logaddexp(0, -xv), rtol=1e-6)
    y = ng.tensor(xv.copy())
    F.relu(y, inplace=True)
    np.testing.assert_allclose(arr(y), np.maximum(xv, 0))


def test_softmax_functions():
    xv = np.random.default_rng(0).standard_normal((3, 4))
    x = ng.tensor(xv)
    sm = np.exp(xv) / np.exp(xv).sum(1, keepdims=True)
    np.testing.assert_allclose(arr(F.softmax(x, dim=1)), sm, rtol=1e-12)
    np.testing.assert_allclose(arr(F.log_softmax(x, dim=-1)), np.log(sm), rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        np.testing.assert_allclose(arr(F.softmax(x)), sm, rtol=1e-12)


# ---------------------------------------------------------------- losses

def test_mse_loss_vs_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    x, y = ng.tensor(a, requires_grad=True), ng.tensor(b)
    loss = nn.MSELoss()(x, y)
    assert loss.item() == pytest.approx(((a - b) ** 2).mean())
    assert F.mse_loss(x, y, reduction="sum").item() == pytest.approx(((a - b) ** 2).sum())
    np.testing.assert_allclose(arr(F.mse_loss(x, y, reduction="none")), (a - b) ** 2)
    loss.backward()
    np.testing.assert_allclose(arr(x.grad), 2 * (a - b) / a.size)
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="bad")
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, ng.tensor(b[0]))


def _np_log_softmax(a, axis):
    m = a.max(axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis, keepdims=True))


def test_cross_entropy_class_indices_vs_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 4))
    t = np.array([0, 3, 1, 1, 2])
    w = np.array([0.5, 1.0, 2.0, 1.5])
    logp = _np_log_softmax(a, 1)
    nll = -logp[np.arange(5), t]
    x = ng.tensor(a, requires_grad=True)
    target = ng.tensor(t)
    loss = nn.CrossEntropyLoss()(x, target)
    assert loss.item() == pytest.approx(nll.mean())
    assert F.cross_entropy(x, target, reduction="sum").item() == pytest.approx(nll.sum())
    np.testing.assert_allclose(arr(F.cross_entropy(x, target, reduction="none")), nll)
    loss.backward()
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(arr(x.grad), (np.exp(logp) - onehot) / 5, atol=1e-12)
    # class weights: weighted mean divides by the sum of the picked weights
    wl = F.cross_entropy(x, target, weight=ng.tensor(w))
    assert wl.item() == pytest.approx((w[t] * nll).sum() / w[t].sum())
    # ignore_index drops those rows from sum and count
    ti = t.copy()
    ti[1] = -100
    keep = ti != -100
    assert F.cross_entropy(x, ng.tensor(ti)).item() == pytest.approx(nll[keep].mean())
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, ng.tensor([0, 1, 2, 3, 4]))


def test_cross_entropy_label_smoothing_and_probabilities():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5))
    t = np.array([4, 0, 2])
    logp = _np_log_softmax(a, 1)
    eps = 0.2
    x = ng.tensor(a)
    expected = ((1 - eps) * -logp[np.arange(3), t] + eps / 5 * -logp.sum(1)).mean()
    got = F.cross_entropy(x, ng.tensor(t), label_smoothing=eps)
    assert got.item() == pytest.approx(expected)
    p = rng.dirichlet(np.ones(5), size=3)
    assert F.cross_entropy(x, ng.tensor(p)).item() == pytest.approx(-(p * logp).sum(1).mean())
    # 1-D input: one sample, classes on dim 0
    assert F.cross_entropy(ng.tensor(a[0]), ng.tensor(4)).item() == pytest.approx(-logp[0, 4])


def test_cross_entropy_spatial_targets():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 4))  # (N, C, d)
    t = rng.integers(0, 3, size=(2, 4))
    logp = _np_log_softmax(a, 1)
    nll = -np.take_along_axis(logp, t[:, None, :], 1)[:, 0, :]
    out = F.cross_entropy(ng.tensor(a), ng.tensor(t), reduction="none")
    np.testing.assert_allclose(arr(out), nll, rtol=1e-12)


def test_bce_with_logits_vs_numpy():
    rng = np.random.default_rng(3)
    a = rng.standard_normal(6) * 10
    y = rng.random(6)
    pw, w = rng.random(6) + 0.5, rng.random(6)
    sig = 1 / (1 + np.exp(-a))
    x = ng.tensor(a, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ng.tensor(y))
    nls, nl1s = np.logaddexp(0, -a), np.logaddexp(0, a)  # -log(sig), -log(1 - sig), stably
    ref = y * nls + (1 - y) * nl1s
    assert loss.item() == pytest.approx(ref.mean(), rel=1e-10)
    loss.backward()
    np.testing.assert_allclose(arr(x.grad), (sig - y) / 6, atol=1e-12)
    ref_pw = w * (pw * y * nls + (1 - y) * nl1s)
    got = F.binary_cross_entropy_with_logits(ng.tensor(a), ng.tensor(y), weight=ng.tensor(w),
                                             pos_weight=ng.tensor(pw), reduction="sum")
    assert got.item() == pytest.approx(ref_pw.sum(), rel=1e-10)
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(x, ng.tensor(y[:3]))


def test_losses_gradcheck():
    rng = np.random.default_rng(4)
    x = ng.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    t = ng.tensor([1, 0, 3])
    y = ng.tensor(rng.random((3, 4)))
    assert ng.autograd.gradcheck(lambda x: F.cross_entropy(x, t, label_smoothing=0.1), (x,))
    assert ng.autograd.gradgradcheck(lambda x: F.cross_entropy(x, t), (x,))
    assert ng.autograd.gradcheck(lambda x: F.binary_cross_entropy_with_logits(x, y), (x,))


def test_losses_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 3))
    t = np.array([2, 0, 1, 1])
    w = np.array([0.3, 1.0, 2.0])
    for kw in ({}, {"weight": w}, {"label_smoothing": 0.3}, {"weight": w, "label_smoothing": 0.3},
               {"ignore_index": 1}, {"reduction": "sum", "weight": w, "label_smoothing": 0.1}):
        kn = {k: ng.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        kt = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        got = F.cross_entropy(ng.tensor(a), ng.tensor(t), **kn).item()
        want = torch.nn.functional.cross_entropy(torch.tensor(a), torch.tensor(t), **kt).item()
        assert got == pytest.approx(want, rel=1e-12), kw


# ---------------------------------------------------------------- optimizers

def _quadratic_step(opt, p, target):
    opt.zero_grad()
    loss = ((p - ng.tensor(target)) ** 2).sum()
    loss.backward()
    opt.step()
    return loss


def test_sgd_plain_and_weight_decay():
    p0 = np.array([1.0, -2.0, 3.0])
    tgt = np.array([0.5, 0.5, 0.5])
    p = ng.tensor(p0, requires_grad=True)
    opt = ng.optim.SGD([p], lr=0.1, weight_decay=0.01)
    _quadratic_step(opt, p, tgt)
    g = 2 * (p0 - tgt) + 0.01 * p0
    np.testing.assert_allclose(arr(p), p0 - 0.1 * g)
    assert p.is_leaf and p.requires_grad


def test_sgd_momentum_dampening_nesterov_by_hand():
    p0 = np.array([1.0, -2.0])
    tgt = np.zeros(2)
    for nesterov, dampening in ((False, 0.0), (False, 0.3), (True, 0.0)):
        p = ng.tensor(p0, requires_grad=True)
        opt = ng.optim.SGD([p], lr=0.1, momentum=0.9, dampening=dampening, nesterov=nesterov)
        w, buf = p0.copy(), None
        for _ in range(3):
            _quadratic_step(opt, p, tgt)
            g = 2 * w
            buf = g.copy() if buf is None else 0.9 * buf + (1 - dampening) * g
            w = w - 0.1 * (g + 0.9 * buf if nesterov else buf)
            np.testing.assert_allclose(arr(p), w, rtol=1e-12)
        np.testing.assert_allclose(arr(opt.state[p]["momentum_buffer"]), buf)


def test_adam_by_hand():
    p0 = np.array([1.0, -2.0, 0.1])
    tgt = np.array([0.0, 1.0, 0.0])
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.99, 1e-8, 0.1
    p = ng.tensor(p0, requires_grad=True)
    opt = ng.optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    w, m, v = p0.copy(), np.zeros(3), np.zeros(3)
    for k in range(1, 4):
        _quadratic_step(opt, p, tgt)
        g = 2 * (w - tgt) + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** k)) / (np.sqrt(v / (1 - b2 ** k)) + eps)
        np.testing.assert_allclose(arr(p), w, rtol=1e-12)
    assert opt.state[p]["step"].item() == 3


def test_optimizer_keeps_float32_and_identity():
    lin = nn.Linear(3, 2)
    params = list(lin.parameters())
    opt = ng.optim.Adam(lin.parameters(), lr=0.1)
    lin(ng.randn(4, 3)).sum().backward()
    opt.step()
    assert list(lin.parameters()) == params or all(a is b for a, b in zip(lin.parameters(), params))
    assert all(p.dtype == ng.float32 for p in lin.parameters())
    assert all(s["exp_avg"].dtype == ng.float32 for s in opt.state.values())


def test_optimizer_zero_grad_and_param_groups():
    a = ng.tensor([1.0], requires_grad=True)
    b = ng.tensor([1.0], requires_grad=True)
    opt = ng.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    (a + b).sum().backward()
    opt.step()
    assert arr(a).tolist() == [np.float32(0.9)] and arr(b).tolist() == [0.5]
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and arr(g).tolist() == [0.0]
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_optimizer_step_closure_and_skips_params_without_grad():
    a = ng.tensor([2.0], requires_grad=True)
    b = ng.tensor([2.0], requires_grad=True)
    opt = ng.optim.SGD([a, b], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss
    loss = opt.step(closure)
    assert loss.item() == 4.0
    assert arr(a).tolist() == [1.0] and arr(b).tolist() == [2.0]


def test_optimizer_state_dict_round_trip():
    ng.manual_seed(3)
    x, y = ng.randn(8, 3), ng.randn(8, 2)

    def run(model, opt, n):
        for _ in range(n):
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()

    m1 = MLP()
    o1 = ng.optim.Adam(m1.parameters(), lr=0.05)
    run(m1, o1, 3)
    m2 = MLP()
    m2.load_state_dict(m1.state_dict())
    o2 = ng.optim.Adam(m2.parameters(), lr=0.5)
    o2.load_state_dict(o1.state_dict())
    assert o2.param_groups[0]["lr"] == 0.05
    sd = o1.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3] and sd["param_groups"][0]["params"] == [0, 1, 2, 3]
    run(m1, o1, 2)
    run(m2, o2, 2)
    for p1, p2 in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(arr(p1), arr(p2))
    with pytest.raises(ValueError, match="different number of parameter groups"):
        o2.load_state_dict({"state": {}, "param_groups": []})


def test_optimizer_argument_errors():
    p = ng.zeros(1, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        ng.optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        ng.optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1"):
        ng.optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        ng.optim.Adam([])
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ng.optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        ng.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_optimizers_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4))
    X = rng.standard_normal((5, 3))
    configs = [("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True)),
               ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.2, maximize=True)),
               ("Adam", dict(lr=0.1, weight_decay=0.1)),
               ("Adam", dict(lr=0.05, amsgrad=True))]
    for name, kw in configs:
        pt = torch.tensor(w0, requires_grad=True)
        pn = ng.tensor(w0, requires_grad=True)
        ot = getattr(torch.optim, name)([pt], **kw)
        on = getattr(ng.optim, name)([pn], **kw)
        for _ in range(4):
            ot.zero_grad()
            (torch.tensor(X) @ pt).sin().sum().backward()
            ot.step()
            on.zero_grad()
            ng.sin(ng.tensor(X) @ pn).sum().backward()
            on.step()
        np.testing.assert_allclose(arr(pn), pt.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_training_reduces_loss():
    ng.manual_seed(0)
    x = ng.randn(64, 2)
    labels = ng.tensor((np.asarray(x)[:, 0] * np.asarray(x)[:, 1] > 0).astype(np.int64))
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = ng.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = None
        for _ in range(150):
            opt.zero_grad()
            loss = loss_fn(model(x), labels)
            loss.backward()
            opt.step()
            first = loss.item() if first is None else first
    assert loss.item() < 0.25 * first
    pred = np.asarray(model(x).detach()).argmax(1)
    assert (pred == np.asarray(labels)).mean() > 0.9
