"""randint/randperm/multinomial/normal/bernoulli, in-place fills, nonzero & co, save/load."""
import io
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import numgrad as ng
from numgrad import creation as C
from numgrad.serialization import load, save


def test_randint_forms_and_seed():
    ng.manual_seed(3)
    a = C.randint(2, 5, (100,))
    ng.manual_seed(3)
    assert np.array_equal(C.randint(2, 5, size=(100,)).numpy(), a.numpy())
    assert a.dtype == ng.int64 and a.shape == (100,)
    assert a.numpy().min() >= 2 and a.numpy().max() < 5
    assert C.randint(5, (2, 3)).shape == (2, 3)
    assert C.randint(high=5, size=(2,)).numpy().max() < 5
    assert C.randint(low=1, high=2, size=(3,)).tolist() == [1, 1, 1]
    f = C.randint(5, (3,), dtype=ng.float32, requires_grad=True)
    assert f.dtype == ng.float32 and f.requires_grad
    assert C.randint(0, 2, (4,), dtype=ng.bool_).dtype == ng.bool_


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: C.randint(5, 3), TypeError, "argument 'size' (position 2) must be tuple of ints, not int"),
    (lambda: C.randint(5, 5, (3,)), RuntimeError, "from=5 >= to=5"),
    (lambda: C.randint(-1, (3,)), RuntimeError, "from=0 >= to=-1"),
    (lambda: C.randint(5.5, (3,)), TypeError, "argument 'high' (position 1) must be int, not float"),
    (lambda: C.randint(5, (3,), dtype=ng.bool_), RuntimeError, "to - 1 is out of bounds for bool"),
    (lambda: C.randint(5, (3,), requires_grad=True), RuntimeError, "floating point"),
    (lambda: C.randint_like(ng.zeros(2), 5, 3), RuntimeError, "from=5 >= to=3"),
    (lambda: C.randperm(-1), RuntimeError, "negative dimension -1: [-1]"),
])
def test_randint_randperm_errors(call, exc, msg):
    with pytest.raises(exc) as e:
        call()
    assert msg in str(e.value)


def test_randint_like_and_randperm():
    t = C.randint_like(ng.zeros(2, 3), 5)
    assert t.shape == (2, 3) and t.dtype == ng.float32
    t = C.randint_like(ng.zeros(4, dtype=ng.int32), 1, 3)
    assert t.dtype == ng.int32 and set(t.tolist()) <= {1, 2}
    assert C.randint_like(ng.zeros(2), high=5).shape == (2,)
    p = C.randperm(10)
    assert p.dtype == ng.int64 and sorted(p.tolist()) == list(range(10))
    assert C.randperm(4, dtype=ng.float32).dtype == ng.float32
    assert C.randperm(0).shape == (0,)


def test_multinomial():
    s = C.multinomial(ng.tensor([1., 0, 3]), 3)
    assert s.dtype == ng.int64 and sorted(s.tolist()) == [0, 1, 2] and s.tolist()[-1] == 1
    s = C.multinomial(ng.tensor([[0., 1, 0], [1, 0, 0]]), 4, True)
    assert s.shape == (2, 4) and s.tolist() == [[1] * 4, [0] * 4]
    ng.manual_seed(0)
    c = np.bincount(C.multinomial(ng.tensor([1., 3.]), 4000, replacement=True).numpy())
    assert abs(c[1] / 4000 - 0.75) < 0.03
    for call, msg in [((ng.tensor([1., 2, 3]), 5), "cannot sample n_sample > prob_dist.size(-1)"),
                      ((ng.tensor([1., -2, 3]), 2), "contains either `inf`, `nan` or element < 0"),
                      ((ng.tensor([0., 0]), 1), "sum of probabilities <= 0"),
                      ((ng.tensor([1, 2]), 1), "floating-point dtypes for input, got: Long"),
                      ((ng.tensor(1.), 1), "prob_dist must be 1 or 2 dim"),
                      ((ng.tensor([1., 2]), 0), "cannot sample n_sample <= 0 samples")]:
        with pytest.raises(RuntimeError, match=None) as e:
            C.multinomial(*call)
        assert msg in str(e.value)


def test_normal_forms():
    ng.manual_seed(1)
    a = C.normal(ng.zeros(3), ng.ones(3))
    ng.manual_seed(1)
    assert np.array_equal(C.normal(ng.zeros(3), ng.ones(3)).numpy(), a.numpy())
    assert C.normal(0., ng.ones(3)).shape == (3,)
    assert C.normal(ng.zeros(2, 1), ng.ones(3)).shape == (2, 3)
    assert C.normal(ng.zeros(3), ng.ones(3, dtype=ng.float64)).dtype == ng.float32
    assert C.normal(ng.zeros(3, dtype=ng.float64), 1.).dtype == ng.float64
    assert C.normal(0, 1, (2, 2)).dtype == ng.float32
    assert C.normal(2., 3., size=(2,), dtype=ng.float64).dtype == ng.float64
    assert C.normal(ng.full((3,), 5.), 0.).tolist() == [5., 5., 5.]
    ng.manual_seed(0)
    assert abs(float(C.normal(2., 3., (20000,)).mean()) - 2) < 0.1
    m = ng.zeros(3, requires_grad=True)
    s = ng.ones(3, requires_grad=True)
    out = C.normal(m, s)
    assert out.requires_grad
    out.sum().backward()
    assert m.grad.tolist() == [0., 0., 0.] and s.grad.tolist() == [0., 0., 0.]
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        C.normal(ng.zeros(3), -1.)
    with pytest.raises(RuntimeError, match="all elements of std >= 0.0"):
        C.normal(ng.zeros(2), ng.tensor([1., -1]))
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu"):
        C.normal(ng.zeros(3, dtype=ng.int64), 1.)
    with pytest.raises(RuntimeError, match="must match the size"):
        C.normal(ng.zeros(3), ng.ones(4))
    with pytest.raises(TypeError, match="invalid combination of arguments"):
        C.normal(2., 3.)


def test_bernoulli():
    assert C.bernoulli(ng.tensor([0., 1, 1])).tolist() == [0., 1., 1.]
    assert C.bernoulli(ng.tensor([0., 1], dtype=ng.float64)).dtype == ng.float64
    assert C.bernoulli(ng.zeros(3), p=1.0).tolist() == [1., 1., 1.]
    p = ng.full((3,), .5, requires_grad=True)
    C.bernoulli(p).sum().backward()
    assert p.grad.tolist() == [0., 0., 0.]
    with pytest.raises(NotImplementedError, match="bernoulli_tensor_cpu_p_"):
        C.bernoulli(ng.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="p_in >= 0 && p_in <= 1"):
        C.bernoulli(ng.tensor([0., 2]))
    with pytest.raises(RuntimeError, match=r"expects p to be in \[0, 1\], but got p=1.5"):
        C.bernoulli(ng.zeros(2), 1.5)


def test_inplace_fills():
    t = ng.zeros(1000)
    v = t._version[0]
    assert C.normal_(t, 2., 0.5) is t and t._version[0] == v + 1
    assert abs(float(t.mean()) - 2) < 0.1
    assert C.normal_(ng.zeros(2), 3, 0).tolist() == [3., 3.]
    C.uniform_(t, -1, 2)
    assert t.numpy().min() >= -1 and t.numpy().max() < 2 and t.dtype == ng.float32
    assert C.uniform_(ng.zeros(2), 1, 1).tolist() == [1., 1.]
    base = ng.zeros(4)
    C.uniform_(base[1:3], 5, 6)
    assert base[0].item() == 0 and base[1].item() >= 5
    p = ng.nn.Parameter(ng.zeros(3))
    with ng.no_grad():
        C.normal_(p)
    assert p.requires_grad and p.grad_fn is None
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        C.normal_(ng.zeros(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        C.uniform_(ng.zeros(3, requires_grad=True))
    with pytest.raises(RuntimeError, match="found std -1"):
        C.normal_(ng.zeros(3), 0, -1)
    with pytest.raises(RuntimeError, match=r"found from=2 > to=1"):
        C.uniform_(ng.zeros(3), 2, 1)
    with pytest.raises(RuntimeError, match="from is out of bounds for float"):
        C.uniform_(ng.zeros(3), float("inf"), 1)
    with pytest.raises(NotImplementedError, match="normal_kernel_cpu.*Long"):
        C.normal_(ng.zeros(3, dtype=ng.int64))
    with pytest.raises(NotImplementedError, match="check_uniform_bounds.*Long"):
        C.uniform_(ng.zeros(3, dtype=ng.int64))
    x = ng.ones(3, requires_grad=True)
    y = x * 2
    C.normal_(y)
    (y * x).sum().backward()  # the filled values are constants: x gets only y's value
    assert np.allclose(x.grad.numpy(), y.detach().numpy())


def test_seeded_fills_reproduce():
    ng.manual_seed(7)
    a = C.normal_(ng.zeros(5)).tolist() + C.uniform_(ng.zeros(5)).tolist()
    ng.manual_seed(7)
    assert C.normal_(ng.zeros(5)).tolist() + C.uniform_(ng.zeros(5)).tolist() == a


def test_nonzero():
    x = ng.tensor([[1, 0], [0, 3]])
    n = C.nonzero(x)
    assert n.dtype == ng.int64 and n.tolist() == [[0, 0], [1, 1]]
    r, c = C.nonzero(x, as_tuple=True)
    assert r.tolist() == [0, 1] and c.tolist() == [0, 1] and r.dtype == ng.int64
    assert C.nonzero(ng.tensor(5)).shape == (1, 0)
    assert C.nonzero(ng.tensor(0)).shape == (0, 0)
    assert C.nonzero(ng.zeros(0, 3)).shape == (0, 2)
    assert [t.tolist() for t in C.nonzero(ng.tensor(5), as_tuple=True)] == [[0]]
    assert [t.tolist() for t in C.nonzero(ng.tensor(0.), as_tuple=True)] == [[]]
    assert not C.nonzero(ng.tensor([1., 0], requires_grad=True)).requires_grad


def test_is_tensor_numel():
    assert C.is_tensor(ng.zeros(1)) and C.is_tensor(ng.nn.Parameter(ng.zeros(1)))
    assert not C.is_tensor(1) and not C.is_tensor(np.zeros(1))
    assert C.numel(ng.zeros(2, 3)) == 6 and C.numel(ng.tensor(1.)) == 1
    with pytest.raises(TypeError, match=r"numel\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        C.numel(3)


def test_tri_indices():
    assert C.triu_indices(3, 3).tolist() == [[0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    assert C.triu_indices(3, 4, 1).tolist() == [[0, 0, 0, 1, 1, 2], [1, 2, 3, 2, 3, 3]]
    assert C.tril_indices(3, 3).tolist() == [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    assert C.tril_indices(4, 3, -1).tolist() == [[1, 2, 2, 3, 3, 3], [0, 0, 1, 0, 1, 2]]
    assert C.tril_indices(3, 3, 5).shape == (2, 9) and C.triu_indices(3, 3, -5).shape == (2, 9)
    assert C.triu_indices(0, 3).shape == (2, 0) and C.triu_indices(0, 3).dtype == ng.int64
    assert C.triu_indices(3, 3, dtype=ng.int32).dtype == ng.int32
    with pytest.raises(RuntimeError, match="row must be non-negative, got-1"):
        C.triu_indices(-1, 3)
    with pytest.raises(RuntimeError, match="col must be non-negative, got-1"):
        C.tril_indices(3, -1)
    with pytest.raises(NotImplementedError, match='"triu_indices" not implemented for \'Float\''):
        C.triu_indices(3, 3, dtype=ng.float32)


# ----- save / load ---------------------------------------------------------------------

def _roundtrip(obj, **kw):
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kw)


def _same(a, b):
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    assert a.requires_grad == b.requires_grad
    assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_save_load_tensors_and_values(tmp_path):
    objs = [ng.randn(2, 3), ng.arange(6).reshape(2, 3), ng.tensor([True, False]),
            ng.zeros(2, dtype=ng.float64, requires_grad=True), ng.tensor(3.5), ng.zeros(0, 4),
            ng.randn(3, 4).t()]
    for t in objs:
        _same(t, _roundtrip(t))
    path = tmp_path / "t.pt"
    save(objs[0], path)
    _same(objs[0], load(path))
    save(objs[0], str(path))
    _same(objs[0], load(str(path), map_location="cpu"))
    plain = {"a": 1, "b": [1.5, "x", None, (True, 2)], "c": {3, 4}, "d": b"raw"}
    assert _roundtrip(plain) == plain


def test_save_load_nonleaf_and_writable():
    x = ng.ones(2, requires_grad=True)
    y = _roundtrip(x * 2)
    assert y.requires_grad and y.is_leaf and y.tolist() == [2., 2.]
    z = _roundtrip(ng.zeros(2))
    z.add_(1)
    assert z.tolist() == [1., 1.]


def test_save_load_state_dicts():
    model = ng.nn.Linear(3, 2)
    sd = model.state_dict()
    back = _roundtrip(sd)
    assert isinstance(back, OrderedDict) and list(back) == list(sd)
    for k in sd:
        _same(sd[k], back[k])
    model2 = ng.nn.Linear(3, 2)
    model2.load_state_dict(back)
    assert np.array_equal(model2.weight.detach().numpy(), model.weight.detach().numpy())
    opt = ng.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(ng.randn(4, 3)).sum().backward()
    opt.step()
    osd = opt.state_dict()
    back = _roundtrip(osd)
    assert back["param_groups"] == osd["param_groups"]
    for k, st in osd["state"].items():
        for name, v in st.items():
            if isinstance(v, ng.Tensor):
                _same(v, back["state"][k][name])
            else:
                assert back["state"][k][name] == v


def test_save_load_parameters_and_sharing():
    p = ng.nn.Parameter(ng.randn(2, 2))
    q = ng.nn.Parameter(ng.randn(2), requires_grad=False)
    back = _roundtrip({"p": p, "q": q, "tied": [p, p]})
    assert isinstance(back["p"], ng.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["q"], ng.nn.Parameter) and not back["q"].requires_grad
    _same(p, back["p"])
    assert back["tied"][0] is back["p"] and back["tied"][1] is back["p"]
    assert ng.float64 == _roundtrip(ng.float64)


class _Custom:
    pass


def test_weights_only_refuses_globals():
    buf = io.BytesIO()
    save({"obj": _Custom()}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load(buf)
    buf.seek(0)
    assert isinstance(load(buf, weights_only=False)["obj"], _Custom)


def test_load_rejects_foreign_files():
    with pytest.raises(RuntimeError, match="Invalid magic number"):
        load(io.BytesIO(pickle.dumps([1, 2])))
