"""nn containers (ModuleList/Dict, ParameterList/Dict, Sequential), Identity/Flatten/Dropout,
AdamW, RMSprop and the lr schedulers: PyTorch's naming, container semantics and error
messages, and optimizer updates against hand-computed formulas."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import numgrad as ng
import numgrad.func  # noqa: F401  (binds ng.func)
import numgrad.nn  # noqa: F401  (binds ng.nn)
import numgrad.optim  # noqa: F401  (binds ng.optim)
from numgrad import nn


def arr(t):
    return np.asarray(t.detach())


def widths(modules):
    return [m.in_features for m in modules]


class Net(nn.Module):
    """x -> layers (with a Tanh between) -> scaled by a ParameterList -> heads + biases."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
        self.layers.insert(1, nn.Tanh())
        self.scales = nn.ParameterList([ng.ones(2), ng.full((2,), 2.0)])
        self.heads = nn.ModuleDict({"b": nn.Linear(2, 1), "a": nn.Linear(2, 1, bias=False)})
        self.offsets = nn.ParameterDict({"z": ng.zeros(1), "y": ng.ones(1)})

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        for s in self.scales:
            x = x * s
        return self.heads["a"](x) + self.heads["b"](x) + self.offsets["y"] + self.offsets["z"]


NET_NAMES = ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "scales.0",
             "scales.1", "heads.b.weight", "heads.b.bias", "heads.a.weight", "offsets.y",
             "offsets.z"]


def net_by_hand(net, x):
    p = {k: arr(v) for k, v in net.named_parameters()}
    h = np.tanh(x @ p["layers.0.weight"].T + p["layers.0.bias"])
    h = (h @ p["layers.2.weight"].T + p["layers.2.bias"]) * p["scales.0"] * p["scales.1"]
    return (h @ p["heads.a.weight"].T + h @ p["heads.b.weight"].T + p["heads.b.bias"]
            + p["offsets.y"] + p["offsets.z"])


# ---------------------------------------------------------------- registration

def test_containers_register_parameters_with_pytorch_names():
    net = Net().double()
    assert [n for n, _ in net.named_parameters()] == NET_NAMES
    assert list(net.state_dict()) == NET_NAMES
    assert [n for n, _ in net.named_modules()] == [
        "", "layers", "layers.0", "layers.1", "layers.2", "scales", "heads", "heads.b", "heads.a",
        "offsets"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert all(p.dtype == ng.float64 for p in net.parameters())
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(arr(net(ng.tensor(x))), net_by_hand(net, x), rtol=1e-12)
    net(ng.tensor(x)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.eval()
    assert not any(m.training for m in net.modules())


def test_state_dict_round_trip_through_containers():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and pa is not pb
        np.testing.assert_array_equal(arr(pa), arr(pb))
    sd = a.state_dict()
    del sd["scales.1"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "scales.1"'):
        b.load_state_dict(sd)


def test_functional_call_and_grad_through_containers():
    net = Net().double()
    x = np.random.default_rng(1).standard_normal((4, 3))
    params = {k: v.detach() * 2 for k, v in net.named_parameters()}
    before = {k: arr(v).copy() for k, v in net.named_parameters()}
    out = ng.func.functional_call(net, params, (ng.tensor(x),))
    doubled = Net().double()
    doubled.load_state_dict(params)
    np.testing.assert_allclose(arr(out), net_by_hand(doubled, x), rtol=1e-12)
    for k, v in net.named_parameters():  # originals restored
        np.testing.assert_array_equal(arr(v), before[k])
    grads = ng.func.grad(lambda ps: ng.func.functional_call(net, ps, (ng.tensor(x),)).sum())(params)
    # d/d offsets.y of sum over 4 rows = 4; heads.b.bias likewise
    np.testing.assert_allclose(arr(grads["offsets.y"]), [4.0])
    np.testing.assert_allclose(arr(grads["heads.b.bias"]), [4.0])
    doubled(ng.tensor(x)).sum().backward()
    for k, p in doubled.named_parameters():
        np.testing.assert_allclose(arr(grads[k]), arr(p.grad), rtol=1e-12, err_msg=k)


def test_optimizer_reaches_container_parameters():
    net = Net()
    opt = ng.optim.SGD(net.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == len(NET_NAMES)
    before = arr(net.scales[1]).copy()
    net(ng.randn(3, 3)).sum().backward()
    g = arr(net.scales[1].grad).copy()
    opt.step()
    np.testing.assert_allclose(arr(net.scales[1]), before - 0.1 * g, rtol=1e-6)


def key_error_message(fn, *args) -> str:
    with pytest.raises(KeyError) as info:
        fn(*args)
    return info.value.args[0]


def test_registration_name_errors_match_pytorch():
    m = nn.Module()
    assert key_error_message(m.register_parameter, "a.b", None) == \
        'parameter name can\'t contain "."'
    assert key_error_message(m.register_buffer, "", None) == 'buffer name can\'t be empty string ""'
    assert key_error_message(m.add_module, "a.b", None) == \
        'module name can\'t contain ".", got: a.b'
    with pytest.raises(TypeError, match="buffer name should be a string. Got int"):
        m.register_buffer(3, None)
    with pytest.raises(TypeError, match="module name should be a string. Got int"):
        nn.ModuleDict({1: nn.ReLU()})


# ---------------------------------------------------------------- ModuleList

def make_list(*widths):
    return nn.ModuleList([nn.Linear(w, 1) for w in widths])


def test_modulelist_indexing_and_slicing():
    ml = make_list(1, 2, 3)
    assert len(ml) == 3 and widths(ml) == [1, 2, 3]
    assert ml[-1] is ml[2] and ml[0].in_features == 1
    sub = ml[::2]
    assert isinstance(sub, nn.ModuleList) and widths(sub) == [1, 3]
    assert [n for n, _ in sub.named_children()] == ["0", "1"] and sub[1] is ml[2]
    for bad in (3, -4):
        with pytest.raises(IndexError, match=f"index {bad} is out of range"):
            ml[bad]
    with pytest.raises(TypeError):
        ml["0"]
    with pytest.raises(IndexError, match="index 0 is out of range"):
        nn.ModuleList()[0]


def test_modulelist_mutation_renumbers_like_pytorch():
    ml = make_list(1, 2, 3, 4)
    del ml[1]
    assert widths(ml) == [1, 3, 4] and list(ml._modules) == ["0", "1", "2"]
    del ml[0:3:2]
    assert widths(ml) == [3] and list(ml._modules) == ["0"]
    ml = make_list(1, 2)
    assert ml.pop(0).in_features == 1 and widths(ml) == [2]
    ml[-1] = nn.Linear(5, 1)
    assert widths(ml) == [5]
    ml.insert(0, nn.Linear(7, 1))
    ml.insert(2, nn.Linear(8, 1))
    ml.insert(-1, nn.Linear(9, 1))
    assert widths(ml) == [7, 5, 9, 8]
    assert ml.append(nn.Linear(6, 1)) is ml and widths(ml) == [7, 5, 9, 8, 6]
    assert [n for n, _ in ml.named_parameters()][-2:] == ["4.weight", "4.bias"]


def test_modulelist_extend_add_and_errors():
    ml = make_list(1)
    ml += [nn.Linear(2, 1)]
    ml.extend(m for m in make_list(3))
    assert widths(ml) == [1, 2, 3]
    both = make_list(1) + make_list(2)
    assert isinstance(both, nn.ModuleList) and widths(both) == [1, 2]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, "
                                        "but got int"):
        ml.extend(3)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        ml.append(3)


def test_modulelist_repr_groups_repeated_modules():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    assert repr(ml) == ("ModuleList(\n"
                        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (2): ReLU()\n"
                        "  (3): Linear(in_features=2, out_features=2, bias=True)\n"
                        ")")
    assert repr(nn.ModuleList()) == "ModuleList()"


# ---------------------------------------------------------------- ModuleDict

def test_moduledict_mapping_interface():
    md = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Linear(2, 1)})
    assert list(md) == ["b", "a"] and list(md.keys()) == ["b", "a"]  # insertion order
    assert widths(md.values()) == [1, 2] and [k for k, _ in md.items()] == ["b", "a"]
    assert "a" in md and "c" not in md and len(md) == 2
    md["c"] = nn.ReLU()
    assert [n for n, _ in md.named_children()] == ["b", "a", "c"]
    md.update([("d", nn.Tanh()), ["b", nn.Linear(3, 1)]])
    assert list(md) == ["b", "a", "c", "d"] and md["b"].in_features == 3
    md.update(nn.ModuleDict(OrderedDict(z=nn.ReLU())))
    assert list(md)[-1] == "z"
    assert isinstance(md.pop("c"), nn.ReLU) and "c" not in md
    del md["d"]
    assert list(md) == ["b", "a", "z"]
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []
    with pytest.raises(KeyError):
        md["missing"]


def test_moduledict_update_errors():
    with pytest.raises(TypeError, match="ModuleDict.update should be called with an iterable of "
                                        "key/value pairs, but got int"):
        nn.ModuleDict(3)
    with pytest.raises(TypeError, match="ModuleDict update sequence element #0 should be "
                                        "Iterable; isint"):
        nn.ModuleDict([3])
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 3; "
                                         "2 is required"):
        nn.ModuleDict([("a", nn.ReLU(), 1)])
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        nn.ModuleDict({"a": 3})


# ---------------------------------------------------------------- ParameterList / Dict

def test_parameterlist_converts_tensors_and_keeps_other_objects():
    frozen = nn.Parameter(ng.ones(1), requires_grad=False)
    pl = nn.ParameterList([ng.zeros(2), "note", frozen])
    assert len(pl) == 3 and [n for n, _ in pl.named_parameters()] == ["0", "2"]
    assert isinstance(pl[0], nn.Parameter) and pl[0].requires_grad
    assert pl[1] == "note" and pl[2] is frozen and not pl[2].requires_grad
    assert [type(v).__name__ for v in pl] == ["Parameter", "str", "Parameter"]
    assert pl[-1] is frozen
    with pytest.raises(IndexError, match="index 3 is out of range"):
        pl[3]
    rev = pl[::-2]
    assert isinstance(rev, nn.ParameterList) and rev[0] is frozen and rev[1] is pl[0]
    pl[1] = ng.ones(3)
    # slot 1 held a plain object, so its parameter is registered last (as in PyTorch)
    assert [n for n, _ in pl.named_parameters()] == ["0", "2", "1"]
    assert isinstance(pl[1], nn.Parameter) and list(pl)[1] is pl[1]
    assert pl.append(ng.ones(4)) is pl and len(pl) == 4
    pl += [ng.zeros(1)]
    assert list(pl.state_dict()) == ["0", "2", "1", "3", "4"]


def test_parameterlist_errors_and_repr():
    with pytest.raises(TypeError, match="ParameterList.extend should be called with an iterable, "
                                        "but got Tensor"):
        nn.ParameterList().extend(ng.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        nn.ParameterList()(ng.ones(1))
    pl = nn.ParameterList([ng.zeros(2, 3), ng.zeros(4, dtype=ng.float64), "s"])
    assert repr(pl) == ("ParameterList(\n"
                        "    (0): Parameter containing: [torch.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [torch.float64 of size 4]\n"
                        "    (2): Object of type: str\n"
                        ")")
    assert repr(nn.ParameterList()) == "ParameterList()"


def test_parameterdict_ordering_and_methods():
    pd = nn.ParameterDict({"b": ng.zeros(2), "a": ng.ones(1), "c": 3})
    assert list(pd) == ["a", "b", "c"]  # a plain dict is added sorted, as in PyTorch
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"] and pd["c"] == 3
    assert isinstance(pd["a"], nn.Parameter) and pd["a"].requires_grad
    assert list(nn.ParameterDict(OrderedDict(b=ng.zeros(1), a=ng.zeros(1)))) == ["b", "a"]
    assert list(nn.ParameterDict([("b", ng.zeros(1)), ("a", ng.zeros(1))])) == ["b", "a"]
    assert "a" in pd and "z" not in pd and len(pd) == 3 and list(reversed(pd)) == ["c", "b", "a"]
    assert pd.get("z", 5) == 5 and pd.get("a") is pd["a"]
    assert pd.pop("c") == 3 and list(pd.keys()) == ["a", "b"]
    default = pd.setdefault("q", ng.ones(1))
    assert isinstance(default, nn.Parameter) and pd.setdefault("q") is default
    key, value = pd.popitem()
    assert key == "q" and value is default and list(pd) == ["a", "b"]
    copied = pd.copy()
    assert list(copied) == ["a", "b"] and copied["a"] is pd["a"]
    assert [k for k, _ in pd.items()] == ["a", "b"] and len(list(pd.values())) == 2
    del pd["a"]
    assert list(pd.state_dict()) == ["b"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []


def test_parameterdict_errors_and_repr():
    msg = ("Index given to ParameterDict cannot be used as a key as it is not a string "
           "\\(type is 'int'\\)")
    with pytest.raises(TypeError, match=msg):
        nn.ParameterDict()[1] = ng.ones(1)
    assert key_error_message(nn.ParameterDict, {"a.b": ng.ones(1)}) == \
        'parameter name can\'t contain "."'
    with pytest.raises(ValueError, match="ParameterDict update sequence element #0 has length 1"):
        nn.ParameterDict([("a",)])
    with pytest.raises(RuntimeError, match="ParameterDict should not be called."):
        nn.ParameterDict()(1)
    pd = nn.ParameterDict({"w": ng.zeros(2, 3), "v": ng.zeros(4, dtype=ng.float64)})
    assert repr(pd) == ("ParameterDict(\n"
                        "    (v): Parameter containing: [torch.DoubleTensor of size 4]\n"
                        "    (w): Parameter containing: [torch.FloatTensor of size 2x3]\n"
                        ")")


# ---------------------------------------------------------------- Sequential

def test_sequential_mutation():
    seq = nn.Sequential(nn.Linear(1, 1), nn.Linear(2, 1))
    assert seq.insert(0, nn.Linear(7, 1)) is seq and widths(seq) == [7, 1, 2]
    seq.extend(nn.Sequential(nn.Linear(8, 1)))
    assert widths(seq) == [7, 1, 2, 8] and widths(seq[1:3]) == [1, 2]
    assert seq.pop(-1).in_features == 8 and len(seq) == 3
    seq[0] = nn.Linear(5, 1)
    assert widths(seq) == [5, 1, 2]
    del seq[1]
    assert widths(seq) == [5, 2] and list(seq._modules) == ["0", "1"]
    assert widths(seq + nn.Sequential(nn.Linear(3, 1))) == [5, 2, 3]
    named = nn.Sequential(OrderedDict(a=nn.Linear(1, 1), b=nn.Linear(2, 1), c=nn.Linear(3, 1)))
    assert [n for n, _ in named[1:].named_children()] == ["b", "c"]
    named[1] = nn.Linear(4, 1)
    assert [n for n, _ in named.named_children()] == ["a", "b", "c"] and widths(named) == [1, 4, 3]
    del named[0]  # PyTorch renumbers the remaining modules
    assert [n for n, _ in named.named_children()] == ["0", "1"]
    with pytest.raises(IndexError, match="Index out of range: 4"):
        seq.insert(4, nn.ReLU())
    with pytest.raises(AssertionError, match="module should be of type"):
        seq.insert(0, 3)
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        seq + nn.ModuleList()
    with pytest.raises(IndexError, match="index 2 is out of range"):
        seq[2]


# ---------------------------------------------------------------- Identity / Flatten / Dropout

def test_identity_and_flatten():
    x = ng.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=True)(x) is x
    assert nn.Flatten()(x).shape == (2, 60) and nn.Flatten(0, 2)(x).shape == (24, 5)
    np.testing.assert_array_equal(arr(nn.Flatten(1, 2)(x)), arr(x).reshape(2, 12, 5))
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(nn.Identity()) == "Identity()"


def test_dropout_train_and_eval():
    ng.manual_seed(0)
    drop = nn.Dropout(0.25)
    x = ng.ones(200, 100, dtype=ng.float64, requires_grad=True)
    y = drop(x)
    v = arr(y)
    kept = v != 0
    assert set(np.unique(v)) == {0.0, 1 / 0.75}
    assert abs(kept.mean() - 0.75) < 0.01
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), kept / 0.75)
    ng.manual_seed(0)
    np.testing.assert_array_equal(arr(drop(x)), v)  # same seed, same mask
    assert drop.eval()(x) is x
    assert arr(nn.Dropout(1.0)(x)).max() == 0.0 and nn.Dropout(0.0)(x) is x
    assert repr(drop) == "Dropout(p=0.25, inplace=False)"
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match=f"dropout probability has to be between 0 and 1, "
                                             f"but got {p}"):
            nn.Dropout(p)


def test_dropout_inplace_and_float32():
    x = ng.ones(1000)
    y = nn.Dropout(0.5, inplace=True)(x)
    assert y is x and y.dtype == ng.float32
    assert set(np.unique(arr(x))) == {0.0, 2.0}


# ---------------------------------------------------------------- optimizers

def quadratic_step(opt, p, tgt):
    opt.zero_grad()
    ((p - ng.tensor(tgt)) ** 2).sum().backward()
    opt.step()


def test_adamw_decoupled_weight_decay_by_hand():
    p0 = np.array([1.0, -2.0, 0.1])
    tgt = np.array([0.0, 1.0, 0.0])
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.99, 1e-8, 0.1
    for amsgrad in (False, True):
        p = ng.tensor(p0, requires_grad=True)
        opt = ng.optim.AdamW([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd,
                             amsgrad=amsgrad)
        w, m, v, vmax = p0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
        for k in range(1, 5):
            quadratic_step(opt, p, tgt)
            g = 2 * (w - tgt)
            w = w * (1 - lr * wd)
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            vmax = np.maximum(vmax, v)
            second = vmax if amsgrad else v
            w = w - lr / (1 - b1 ** k) * m / (np.sqrt(second) / np.sqrt(1 - b2 ** k) + eps)
            np.testing.assert_allclose(arr(p), w, rtol=1e-12)
        assert sorted(opt.state[p]) == sorted(["step", "exp_avg", "exp_avg_sq"]
                                              + ["max_exp_avg_sq"] * amsgrad)


def test_adamw_defaults_and_adam_decoupled_flag():
    p = ng.zeros(1, requires_grad=True)
    group = ng.optim.AdamW([p]).param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"], group["amsgrad"],
            group["decoupled_weight_decay"]) == (1e-3, (0.9, 0.999), 1e-8, 1e-2, False, True)
    assert ng.optim.Adam([p]).param_groups[0]["decoupled_weight_decay"] is False
    # Adam(decoupled_weight_decay=True) is AdamW
    a = ng.tensor([1.0, 2.0], requires_grad=True)
    b = ng.tensor([1.0, 2.0], requires_grad=True)
    oa = ng.optim.Adam([a], lr=0.1, weight_decay=0.5, decoupled_weight_decay=True)
    ob = ng.optim.AdamW([b], lr=0.1, weight_decay=0.5)
    for _ in range(3):
        quadratic_step(oa, a, np.zeros(2))
        quadratic_step(ob, b, np.zeros(2))
    np.testing.assert_array_equal(arr(a), arr(b))
    with pytest.raises(ValueError, match="Invalid weight_decay value: -1"):
        ng.optim.AdamW([p], weight_decay=-1)


def test_rmsprop_by_hand():
    p0 = np.array([1.0, -2.0, 0.5])
    tgt = np.array([0.0, 1.0, 2.0])
    configs = [dict(), dict(lr=0.05, weight_decay=0.1), dict(lr=0.05, momentum=0.9),
               dict(lr=0.02, alpha=0.9, eps=1e-3, weight_decay=0.05, momentum=0.5,
                    centered=True)]
    for kw in configs:
        lr, alpha, eps = kw.get("lr", 1e-2), kw.get("alpha", 0.99), kw.get("eps", 1e-8)
        wd, mom, centered = kw.get("weight_decay", 0), kw.get("momentum", 0), kw.get("centered")
        p = ng.tensor(p0, requires_grad=True)
        opt = ng.optim.RMSprop([p], **kw)
        w, sq, gavg, buf = p0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
        for _ in range(4):
            quadratic_step(opt, p, tgt)
            g = 2 * (w - tgt) + wd * w
            sq = alpha * sq + (1 - alpha) * g * g
            gavg = alpha * gavg + (1 - alpha) * g
            avg = np.sqrt(sq - gavg ** 2 if centered else sq) + eps
            buf = mom * buf + g / avg
            w = w - lr * (buf if mom else g / avg)
            np.testing.assert_allclose(arr(p), w, rtol=1e-12, err_msg=str(kw))
        expected = ["step", "square_avg"] + ["momentum_buffer"] * bool(mom) + \
            ["grad_avg"] * bool(centered)
        assert sorted(opt.state[p]) == sorted(expected) and opt.state[p]["step"].item() == 4


def test_rmsprop_defaults_errors_and_float32():
    p = ng.zeros(2, requires_grad=True)
    group = ng.optim.RMSprop([p]).param_groups[0]
    assert (group["lr"], group["alpha"], group["eps"], group["weight_decay"], group["momentum"],
            group["centered"]) == (1e-2, 0.99, 1e-8, 0, 0, False)
    for kw, msg in ((dict(lr=-1), "Invalid learning rate: -1"),
                    (dict(eps=-1), "Invalid epsilon value: -1"),
                    (dict(momentum=-1), "Invalid momentum value: -1"),
                    (dict(weight_decay=-1), "Invalid weight_decay value: -1"),
                    (dict(alpha=-1), "Invalid alpha value: -1")):
        with pytest.raises(ValueError, match=msg):
            ng.optim.RMSprop([p], **kw)
    lin = nn.Linear(3, 2)
    opt = ng.optim.RMSprop(lin.parameters(), momentum=0.9, centered=True)
    lin(ng.randn(4, 3)).sum().backward()
    opt.step()
    assert all(v.dtype == ng.float32 for p in lin.parameters() for v in [p] + [
        s for k, s in opt.state[p].items() if k != "step"])


def test_new_optimizers_state_dict_resume():
    x = np.random.default_rng(2).standard_normal((5, 3))
    w0 = np.random.default_rng(3).standard_normal((3, 2))

    def steps(opt, p, n):
        for _ in range(n):
            opt.zero_grad()
            ng.sin(ng.tensor(x) @ p).sum().backward()
            opt.step()

    for cls, kw in ((ng.optim.AdamW, dict(lr=0.05, amsgrad=True)),
                    (ng.optim.RMSprop, dict(momentum=0.9, centered=True))):
        ref = ng.tensor(w0, requires_grad=True)
        opt = cls([ref], **kw)
        steps(opt, ref, 3)
        p = ng.tensor(arr(ref), requires_grad=True)
        resumed = cls([p], lr=0.5)
        resumed.load_state_dict(opt.state_dict())
        assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
        steps(opt, ref, 3)
        steps(resumed, p, 3)
        np.testing.assert_array_equal(arr(p), arr(ref))


# ---------------------------------------------------------------- lr schedulers

def two_group_sgd():
    a, b = ng.zeros(1, requires_grad=True), ng.zeros(1, requires_grad=True)
    return ng.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.2}], lr=0.1)


def test_lr_scheduler_import_paths():
    import numgrad.optim.lr_scheduler as lr_scheduler
    from numgrad.optim.lr_scheduler import LambdaLR, LRScheduler, StepLR
    assert ng.optim.lr_scheduler is lr_scheduler
    assert lr_scheduler.StepLR is StepLR and issubclass(LambdaLR, LRScheduler)


def test_steplr_schedule():
    opt = two_group_sgd()
    sched = ng.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [0.1, 0.2]
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    seen = []
    for _ in range(7):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(seen, [0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])
    assert sched.last_epoch == 7 and opt.param_groups[1]["lr"] == pytest.approx(0.05)
    with pytest.warns(UserWarning, match="epoch parameter in `scheduler.step\\(\\)`"):
        sched.step(4)  # closed form: initial_lr * gamma ** (4 // 3)
    assert sched.get_last_lr() == pytest.approx([0.05, 0.1])


def test_adagrad_update_rule():
    # two steps by hand: sum += g^2; p -= lr / (1 + (step - 1) lr_decay) * g / (sqrt(sum) + eps)
    p = ng.nn.Parameter(ng.tensor([1.0, -2.0], dtype=ng.float64))
    opt = ng.optim.Adagrad([p], lr=0.1, lr_decay=0.5, weight_decay=0.1,
                           initial_accumulator_value=0.2, eps=1e-6)
    x, acc = np.array([1.0, -2.0]), np.array([0.2, 0.2])
    for step in (1, 2):
        opt.zero_grad()
        (p * p).sum().backward()
        g = 2 * x + 0.1 * x
        acc += g * g
        x = x - 0.1 / (1 + (step - 1) * 0.5) * g / (np.sqrt(acc) + 1e-6)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), x, rtol=1e-12)
    assert opt.state[p]["step"].item() == 2.0
    with pytest.raises(ValueError, match="Invalid lr_decay value: -1"):
        ng.optim.Adagrad([p], lr_decay=-1)


def test_cosine_multistep_and_exponential_schedules():
    L = ng.optim.lr_scheduler
    cases = (  # (scheduler, lr at epoch t of a group starting at `base`)
        (lambda o: L.CosineAnnealingLR(o, T_max=4, eta_min=0.01),
         lambda base, t: 0.01 + (base - 0.01) * (1 + np.cos(np.pi * t / 4)) / 2),
        (lambda o: L.MultiStepLR(o, [2, 5, 5], gamma=0.5),
         lambda base, t: base * 0.5 ** ((t >= 2) + 2 * (t >= 5))),
        (lambda o: L.ExponentialLR(o, 0.9), lambda base, t: base * 0.9 ** t))
    for make, closed_form in cases:
        opt = two_group_sgd()
        sched = make(opt)
        for t in range(1, 10):  # the recursive cosine follows its closed form past T_max too
            opt.step()
            sched.step()
            assert sched.get_last_lr() == pytest.approx([closed_form(0.1, t), closed_form(0.2, t)])


def test_lambdalr_per_group_and_errors():
    opt = two_group_sgd()
    sched = ng.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e])
    for epoch in range(1, 5):
        sched.step()
        assert sched.get_last_lr() == pytest.approx([0.1 / (epoch + 1), 0.2 * 0.9 ** epoch])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        ng.optim.lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(TypeError, match="int is not an Optimizer"):
        ng.optim.lr_scheduler.StepLR(3, step_size=1)


def test_scheduler_resume_and_state_dict():
    opt = ng.optim.SGD([ng.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(KeyError, match="'initial_lr' is not specified in param_groups\\[0\\]"):
        ng.optim.lr_scheduler.StepLR(opt, 2, last_epoch=4)
    opt.param_groups[0]["initial_lr"] = 0.1
    sched = ng.optim.lr_scheduler.StepLR(opt, 2, last_epoch=4)
    assert sched.last_epoch == 5 and sched.get_last_lr() == [0.1]  # 5 is not a multiple of 2
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.01])

    class Decay:
        def __init__(self):
            self.k = 0.5

        def __call__(self, epoch):
            return self.k ** epoch

    src = ng.optim.lr_scheduler.LambdaLR(ng.optim.SGD([ng.zeros(1, requires_grad=True)], lr=1.0),
                                         Decay())
    src.step()
    src.step()
    state = src.state_dict()
    assert "optimizer" not in state and state["lr_lambdas"] == [{"k": 0.5}]
    assert state["last_epoch"] == 2 and state["base_lrs"] == [1.0]
    fn = Decay()
    fn.k = 0.9
    dst = ng.optim.lr_scheduler.LambdaLR(ng.optim.SGD([ng.zeros(1, requires_grad=True)], lr=1.0),
                                         fn)
    dst.load_state_dict(state)
    assert fn.k == 0.5 and dst.last_epoch == 2
    dst.step()
    assert dst.get_last_lr() == [0.125]
    plain = ng.optim.lr_scheduler.LambdaLR(two_group_sgd(), lambda e: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None, None]


def test_scheduler_in_training_loop_without_warnings():
    ng.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.1), nn.Tanh(), nn.Linear(8, 1))
    opt = ng.optim.AdamW(model.parameters(), lr=0.05)
    sched = ng.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    x = ng.randn(32, 2)
    y = x.sum(1, keepdim=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = []
        for _ in range(40):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
    assert sched.get_last_lr() == pytest.approx([0.05 * 0.5 ** 4])
