"""The code examples of seeds 002 (PyTorch autograd tutorial) and 004 (autograd explained),
ported by replacing `torch` with `numgrad`, each checked against closed forms and
PyTorch's documented behaviour (grad_fn names, next_functions, error messages)."""
import math
import re

import numpy as np
import pytest

import numgrad as ng
import numgrad.nn  # noqa: F401  (binds ng.nn)
import numgrad.optim  # noqa: F401  (binds ng.optim)

NODE_REPR = r"<{}Backward0 object at 0x[0-9a-f]+>"


def arr(t):
    return np.asarray(t.detach())


# ================================================================ seed 002

def test_002_simple_example_graph_and_gradient():
    a = ng.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    assert a.shape == (25,) and a.dtype == ng.float32 and a.is_leaf
    assert repr(a).endswith("requires_grad=True)")
    b = ng.sin(a)
    assert b.grad_fn.name() == "SinBackward0" and repr(b).endswith("grad_fn=<SinBackward0>)")
    c = 2 * b
    d = c + 1
    out = d.sum()
    assert repr(out) == "tensor(25., grad_fn=<SumBackward0>)"
    np.testing.assert_allclose(arr(d), 2 * np.sin(arr(a)) + 1, atol=1e-6)

    # the grad_fn chain, printed as in the tutorial
    assert re.fullmatch(NODE_REPR.format("Add"), repr(d.grad_fn))
    nf = d.grad_fn.next_functions
    assert len(nf) == 2 and nf[1] == (None, 0) and nf[0][1] == 0
    assert re.fullmatch(r"\(\(" + NODE_REPR.format("Mul") + r", 0\), \(None, 0\)\)", repr(nf))
    mul = nf[0][0]
    assert mul is c.grad_fn
    assert re.fullmatch(r"\(\(" + NODE_REPR.format("Sin") + r", 0\), \(None, 0\)\)",
                        repr(mul.next_functions))
    sin = mul.next_functions[0][0]
    assert sin is b.grad_fn
    assert re.fullmatch(r"\(\(<AccumulateGrad object at 0x[0-9a-f]+>, 0\),\)",
                        repr(sin.next_functions))
    acc = sin.next_functions[0][0]
    assert acc.variable is a and acc.next_functions == ()
    assert a.grad_fn is None

    out.backward()
    assert a.grad.dtype == ng.float32
    np.testing.assert_allclose(arr(a.grad), 2 * np.cos(arr(a)), atol=1e-6)
    # only leaves get .grad
    assert c.grad is None and b.grad is None


class TinyModel(ng.nn.Module):
    BATCH_SIZE, DIM_IN, HIDDEN_SIZE, DIM_OUT = 16, 1000, 100, 10

    def __init__(self):
        super(TinyModel, self).__init__()

        self.layer1 = ng.nn.Linear(self.DIM_IN, self.HIDDEN_SIZE)
        self.relu = ng.nn.ReLU()
        self.layer2 = ng.nn.Linear(self.HIDDEN_SIZE, self.DIM_OUT)

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x


def _numpy_loss_and_layer2_grad(model, x, ideal):
    """The tutorial's loss and its gradient w.r.t. layer2.weight, by hand."""
    w1, b1 = arr(model.layer1.weight).astype(np.float64), arr(model.layer1.bias).astype(np.float64)
    w2, b2 = arr(model.layer2.weight).astype(np.float64), arr(model.layer2.bias).astype(np.float64)
    h = np.maximum(x @ w1.T + b1, 0)
    r = ideal - (h @ w2.T + b2)
    return (r ** 2).sum(), -2 * r.T @ h


def test_002_tiny_model_training_loop():
    ng.manual_seed(0)
    some_input = ng.randn(16, 1000, requires_grad=False)
    ideal_output = ng.randn(16, 10, requires_grad=False)
    x, ideal = arr(some_input).astype(np.float64), arr(ideal_output).astype(np.float64)

    model = TinyModel()
    assert all(p.requires_grad for p in model.parameters())  # never asked for explicitly
    w = model.layer2.weight
    sl = model.layer2.weight[0][0:10]
    assert sl.shape == (10,) and sl.grad_fn.name() == "SliceBackward0"
    assert model.layer2.weight.grad is None

    optimizer = ng.optim.SGD(model.parameters(), lr=0.001)
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
    assert loss.grad_fn.name() == "SumBackward0"
    want_loss, want_grad = _numpy_loss_and_layer2_grad(model, x, ideal)
    assert loss.item() == pytest.approx(want_loss, rel=1e-4)

    before = arr(model.layer2.weight).copy()
    loss.backward()
    np.testing.assert_array_equal(arr(model.layer2.weight), before)  # backward alone changes nothing
    g0 = arr(model.layer2.weight.grad).copy()
    np.testing.assert_allclose(g0, want_grad, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(arr(model.layer2.weight.grad[0][0:10]), g0[0, :10])

    optimizer.step()
    assert model.layer2.weight is w  # updated in place
    np.testing.assert_allclose(arr(model.layer2.weight), before - 0.001 * g0, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(arr(model.layer2.weight.grad), g0)  # step leaves grads alone

    # without zero_grad the gradients of 5 more backward calls add up
    _, g1 = _numpy_loss_and_layer2_grad(model, x, ideal)
    for i in range(0, 5):
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
        loss.backward()
    np.testing.assert_allclose(arr(model.layer2.weight.grad), g0 + 5 * g1, rtol=1e-3, atol=1e-2)

    grad = model.layer2.weight.grad
    optimizer.zero_grad(set_to_none=False)
    assert model.layer2.weight.grad is grad
    assert arr(model.layer2.weight.grad[0][0:10]).tolist() == [0.0] * 10
    assert not any(arr(p.grad).any() for p in model.parameters())
    optimizer.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_002_requires_grad_flag():
    a = ng.ones(2, 3, requires_grad=True)
    assert repr(a) == "tensor([[1., 1., 1.],\n        [1., 1., 1.]], requires_grad=True)"
    b1 = 2 * a
    assert repr(b1) == "tensor([[2., 2., 2.],\n        [2., 2., 2.]], grad_fn=<MulBackward0>)"
    a.requires_grad = False
    b2 = 2 * a
    assert repr(b2) == "tensor([[2., 2., 2.],\n        [2., 2., 2.]])"
    assert b2.grad_fn is None and not b2.requires_grad
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        b1.requires_grad = False


def test_002_no_grad_context_manager():
    a = ng.ones(2, 3, requires_grad=True) * 2
    b = ng.ones(2, 3, requires_grad=True) * 3
    c1 = a + b
    assert c1.grad_fn.name() == "AddBackward0"
    with ng.no_grad():
        assert not ng.is_grad_enabled()
        c2 = a + b
    assert c2.grad_fn is None and not c2.requires_grad
    assert repr(c2) == "tensor([[5., 5., 5.],\n        [5., 5., 5.]])"
    c3 = a * b
    assert ng.is_grad_enabled() and c3.grad_fn.name() == "MulBackward0"
    assert arr(c3).tolist() == [[6.0] * 3] * 2


def test_002_no_grad_and_enable_grad_decorators():
    def add_tensors1(x, y):
        return x + y

    @ng.no_grad()
    def add_tensors2(x, y):
        assert not ng.is_grad_enabled()
        return x + y

    a = ng.ones(2, 3, requires_grad=True) * 2
    b = ng.ones(2, 3, requires_grad=True) * 3
    c1 = add_tensors1(a, b)
    c2 = add_tensors2(a, b)
    assert c1.grad_fn.name() == "AddBackward0"
    assert c2.grad_fn is None and arr(c2).tolist() == [[5.0] * 3] * 2
    assert ng.is_grad_enabled()

    @ng.enable_grad()
    def mul_tensors(x, y):
        return x * y

    with ng.no_grad():
        assert mul_tensors(a, b).grad_fn.name() == "MulBackward0"
        with ng.enable_grad():
            assert (a * b).requires_grad
        assert not (a * b).requires_grad


def test_002_detach():
    x = ng.rand(5, requires_grad=True)
    y = x.detach()
    assert x.requires_grad and not y.requires_grad and y.grad_fn is None and y.is_leaf
    np.testing.assert_array_equal(np.asarray(y), np.asarray(x.detach()))
    assert repr(y) == repr(x).replace(", requires_grad=True)", ")")
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    assert y.numpy().shape == (5,)  # what matplotlib needs
    with ng.no_grad():
        y.mul_(0)
    assert not arr(x).any()  # detach shares storage


def test_002_inplace_on_leaf_raises():
    a = ng.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
    with pytest.raises(RuntimeError,
                       match="a leaf Variable that requires grad is being used in an in-place operation."):
        ng.sin_(a)
    with ng.no_grad():
        ng.sin_(a)
    np.testing.assert_allclose(arr(a), np.sin(np.linspace(0, 2 * math.pi, 25)), atol=1e-6)


def test_002_profiler():
    device = ng.device('cpu')
    run_on_gpu = False
    if ng.cuda.is_available():
        device = ng.device('cuda')
        run_on_gpu = True
    assert device.type in ("cpu", "cuda")

    x = ng.randn(2, 3, requires_grad=True)
    y = ng.rand(2, 3, requires_grad=True)
    z = ng.ones(2, 3, requires_grad=True)
    with ng.autograd.profiler.profile(use_cuda=run_on_gpu) as prf:
        for _ in range(1000):
            z = (z / x) * y
    table = prf.key_averages().table(sort_by='self_cpu_time_total')
    rows = {line.split()[0]: line for line in table.splitlines() if line.strip()}
    for op in ("div", "mul"):
        row = next(v for k, v in rows.items() if k.endswith(op))
        assert " 1000" in row, row


def test_002_backward_with_gradient_vector():
    x = ng.randn(3, requires_grad=True)
    y = x * 2
    k = 1
    while y.data.norm() < 1000:
        y = y * 2
        k += 1
    np.testing.assert_allclose(arr(y), arr(x) * 2 ** k, rtol=1e-6)
    assert y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    v = ng.tensor([0.1, 1.0, 0.0001], dtype=ng.float)
    y.backward(v)
    np.testing.assert_allclose(arr(x.grad), arr(v) * 2 ** k, rtol=1e-6)


def exp_adder(x, y):
    return 2 * x.exp() + 3 * y


def test_002_jacobian_exp_adder():
    inputs = (ng.rand(1), ng.rand(1))
    jx, jy = ng.autograd.functional.jacobian(exp_adder, inputs)
    assert jx.shape == (1, 1) and jy.shape == (1, 1)
    np.testing.assert_allclose(arr(jx), [[2 * np.exp(arr(inputs[0])[0])]], rtol=1e-6)
    np.testing.assert_allclose(arr(jy), [[3.0]])

    inputs = (ng.rand(3), ng.rand(3))
    jx, jy = ng.autograd.functional.jacobian(exp_adder, inputs)
    np.testing.assert_allclose(arr(jx), np.diag(2 * np.exp(arr(inputs[0]))), rtol=1e-6)
    np.testing.assert_allclose(arr(jy), 3 * np.eye(3))


def test_002_hessian():
    x = ng.rand(3, dtype=ng.float64)
    h = ng.autograd.functional.hessian(lambda x: (2 * x.exp() + x * x).sum(), x)
    np.testing.assert_allclose(arr(h), np.diag(2 * np.exp(arr(x)) + 2), rtol=1e-12)


def test_002_vjp_do_some_doubling():
    def do_some_doubling(x):
        y = x * 2
        while y.data.norm() < 1000:
            y = y * 2
        return y

    inputs = ng.randn(3)
    my_gradients = ng.tensor([0.1, 1.0, 0.0001])
    out, vjp = ng.autograd.functional.vjp(do_some_doubling, inputs, v=my_gradients)
    scale = arr(out)[0] / arr(inputs)[0]
    k = round(math.log2(scale))
    assert scale == pytest.approx(2 ** k) and np.linalg.norm(arr(out)) >= 1000
    np.testing.assert_allclose(arr(out), arr(inputs) * 2 ** k, rtol=1e-6)
    np.testing.assert_allclose(arr(vjp), arr(my_gradients) * 2 ** k, rtol=1e-6)


# ================================================================ seed 004

def test_004_tensor_attributes_in_the_graph():
    x = ng.tensor(1.0, requires_grad=True)
    y = ng.tensor(2.0)
    z = x * y
    assert (x.data.item(), y.data.item(), z.data.item()) == (1.0, 2.0, 2.0)
    assert (x.requires_grad, y.requires_grad, z.requires_grad) == (True, False, True)
    assert x.grad is None and y.grad is None
    assert x.grad_fn is None and y.grad_fn is None and z.grad_fn.name() == "MulBackward0"
    assert (x.is_leaf, y.is_leaf, z.is_leaf) == (True, True, False)
    assert not x.data.requires_grad  # .data is detached


def test_004_requires_grad_in_place():
    a = ng.randn(1, 1)
    assert not a.requires_grad
    assert a.requires_grad_(True) is a and a.requires_grad and a.is_leaf
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        ng.tensor([1, 2]).requires_grad_(True)


def test_004_what_makes_a_leaf():
    x = ng.tensor(1.0, requires_grad=True)
    assert ng.tensor(1.0).is_leaf and ng.randn(1, 1).is_leaf  # created explicitly
    assert (ng.tensor([1.0, 2.0]) * 3).is_leaf  # op on tensors without requires_grad
    assert not (x * 2).is_leaf
    d = (x * 2).detach()
    assert d.is_leaf and not d.requires_grad
    # after backward only leaves that require grad hold a gradient
    w = ng.tensor(3.0)
    (x * w).backward()
    assert x.grad.item() == 3.0 and w.grad is None


def test_004_backward_on_scalar_uses_implicit_one():
    x = ng.tensor(1.0, requires_grad=True)
    z = x ** 3
    assert z.grad_fn.name() == "PowBackward0"
    z.backward()
    assert x.grad.data.item() == 3.0  # dz/dx = 3 x^2
    x.grad = None
    z = x ** 3
    z.backward(ng.tensor(1.0))
    assert x.grad.item() == 3.0


def test_004_vector_output_needs_gradient():
    x = ng.tensor([0.0, 2.0, 8.0], requires_grad = True)
    y = ng.tensor([5.0 , 1.0 , 7.0], requires_grad = True)
    z = x * y
    with pytest.raises(RuntimeError) as e:
        z.backward()
    assert str(e.value) == "grad can be implicitly created only for scalar outputs"
    z.backward(ng.FloatTensor([1.0, 1.0, 1.0]))
    assert arr(x.grad).tolist() == [5.0, 1.0, 7.0]
    assert arr(y.grad).tolist() == [0.0, 2.0, 8.0]


def test_004_no_grad_stops_tracking():
    x = ng.tensor([0.0, 2.0, 8.0], requires_grad=True)
    with ng.no_grad():
        z = x * 2
    assert not z.requires_grad and z.grad_fn is None and z.is_leaf


def test_004_backward_is_a_vector_jacobian_product():
    rng = np.random.default_rng(0)
    xv = rng.standard_normal(4)
    x = ng.tensor(xv, requires_grad=True)
    y = ng.sin(x) * (x * x).sum()  # Y = f(X)
    loss = (y * y).sum() / 2  # l = g(Y), so v = dl/dY = Y
    loss.backward()
    s = (xv * xv).sum()
    jac = np.diag(np.cos(xv) * s) + 2 * np.outer(np.sin(xv), xv)
    v = np.sin(xv) * s
    np.testing.assert_allclose(arr(x.grad), jac.T @ v, rtol=1e-12)
    # and backward(v) on Y gives the same J^T v without forming J
    x2 = ng.tensor(xv, requires_grad=True)
    (ng.sin(x2) * (x2 * x2).sum()).backward(ng.tensor(v))
    np.testing.assert_allclose(arr(x2.grad), jac.T @ v, rtol=1e-12)
