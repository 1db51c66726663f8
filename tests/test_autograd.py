"""Autograd behaviour: graph structure, engine, grad modes, hooks, in-place, errors."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import numgrad as ng
from numgrad import autograd


def leaf(*shape, dtype=ng.float64):
    return ng.randn(*shape, dtype=dtype, requires_grad=True)


# ---------------------------------------------------------------- graph structure

def test_grad_fn_names_and_next_functions_as_pytorch():
    a = ng.linspace(0.0, 1.0, 5, requires_grad=True)
    b = ng.sin(a)
    c = 2 * b
    d = c + 1
    assert d.grad_fn.name() == "AddBackward0"
    assert repr(d.grad_fn).startswith("<AddBackward0 object at 0x")
    (mul_node, i0), (none, i1) = d.grad_fn.next_functions
    assert mul_node.name() == "MulBackward0" and none is None and (i0, i1) == (0, 0)
    sin_node = mul_node.next_functions[0][0]
    assert sin_node.name() == "SinBackward0"
    acc = sin_node.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and repr(acc).startswith("<AccumulateGrad object")
    assert acc.variable is a
    assert acc.next_functions == ()
    assert a.grad_fn is None and a.is_leaf and not d.is_leaf
    assert "grad_fn=<AddBackward0>" in repr(d)


def test_requires_grad_propagation_and_leaf_flags():
    a = ng.ones(2, 3, requires_grad=True)
    b1 = 2 * a
    assert b1.requires_grad and b1.grad_fn is not None
    a.requires_grad = False
    b2 = 2 * a
    assert not b2.requires_grad and b2.grad_fn is None
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        b1.requires_grad = False


# ---------------------------------------------------------------- engine

def test_backward_accumulates_and_grad_matches_closed_form():
    x = leaf(4)
    (x.sin() * x).sum().backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(xv) * xv + np.sin(xv))
    (x.sin() * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.cos(xv) * xv + np.sin(xv)))


def test_backward_with_gradient_argument():
    x = leaf(3)
    y = x * 2
    for _ in range(4):
        y = y * 2
    v = ng.tensor([0.1, 1.0, 0.0001], dtype=ng.float64)
    y.backward(v)
    np.testing.assert_allclose(x.grad.numpy(), 32 * v.numpy())


def test_implicit_grad_only_for_scalars():
    y = leaf(3) * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()


def test_gradient_shape_mismatch_is_reported_and_grads_untouched():
    x = leaf(3)
    x.grad = ng.ones(3, dtype=ng.float64)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"torch.Size\(\[2\]\) and output\[0\] has a shape of "
                                           r"torch.Size\(\[3\]\)"):
        y.backward(ng.ones(2, dtype=ng.float64))
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_second_backward_through_freed_graph_raises():
    x = leaf(3)
    y = x.exp().sum()
    y.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_graph_allows_second_backward():
    x = leaf(3)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.detach().numpy()))


def test_saved_tensors_are_freed_after_backward():
    x = leaf(1000)
    h = x.exp()
    node = h.grad_fn
    y = (h * x).sum()
    y.backward()
    assert node._out_data is None and node._saved is None
    mul_node = y.grad_fn.next_functions[0][0]
    assert mul_node._saved is None


def test_long_chain_backpropagates_without_recursion():
    x = ng.tensor([1.0], dtype=ng.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1e-6
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_shared_subgraph_gets_all_contributions():
    x = leaf(3)
    y = x * x
    z = y + y.sin() + y * 3
    z.sum().backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), (1 + np.cos(xv * xv) + 3) * 2 * xv)


def test_grad_does_not_touch_dot_grad_and_supports_allow_unused():
    x, w, unused = leaf(3), leaf(3), leaf(2)
    out = (x * w).sum()
    gx, gu = autograd.grad(out, (x, unused), retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(gx.numpy(), w.detach().numpy())
    assert gu is None and x.grad is None and w.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad(out, (x, unused), retain_graph=True)
    gu, = autograd.grad(out, (unused,), materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), np.zeros(2))


def test_grad_of_input_not_requiring_grad_and_output_without_graph():
    x = ng.ones(3)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((leaf(3) * 2).sum(), (x,))
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        (x * 2).sum().backward()


def test_grad_with_respect_to_intermediate_tensor():
    x = leaf(3)
    h = x.sin()
    out = (h * h).sum()
    gh, = autograd.grad(out, h)
    np.testing.assert_allclose(gh.numpy(), 2 * np.sin(x.detach().numpy()))


def test_backward_inputs_restricts_accumulation():
    x, w = leaf(3), leaf(3)
    (x * w).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), x.detach().numpy())


def test_create_graph_gives_higher_order_derivatives():
    x = ng.tensor([0.3, 1.2, -0.7], dtype=ng.float64, requires_grad=True)
    y = (x ** 4).sum()
    g1, = autograd.grad(y, x, create_graph=True)
    g2, = autograd.grad(g1.sum(), x, create_graph=True)
    g3, = autograd.grad(g2.sum(), x)
    xv = x.detach().numpy()
    np.testing.assert_allclose(g1.detach().numpy(), 4 * xv ** 3)
    np.testing.assert_allclose(g2.detach().numpy(), 12 * xv ** 2)
    np.testing.assert_allclose(g3.numpy(), 24 * xv)


def test_create_graph_backward_keeps_graph_on_grad():
    x = leaf(3)
    (x.sin().sum()).backward(create_graph=True)
    assert x.grad.requires_grad
    x.grad.sum().backward(inputs=[x])  # d/dx sum(cos x) accumulates onto x.grad's value
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.detach().numpy(), np.cos(xv) - np.sin(xv))


def test_is_grads_batched_equals_looped_vjps():
    W = leaf(4, 3)
    x = leaf(3)
    y = (W @ x).tanh() * 2
    eye = ng.eye(4, dtype=ng.float64)
    gW, gx = autograd.grad(y, (W, x), eye, retain_graph=True, is_grads_batched=True)
    assert gW.shape == (4, 4, 3) and gx.shape == (4, 3)
    for i in range(4):
        lW, lx = autograd.grad(y, (W, x), eye[i], retain_graph=True)
        np.testing.assert_allclose(gW.numpy()[i], lW.numpy(), rtol=1e-12)
        np.testing.assert_allclose(gx.numpy()[i], lx.numpy(), rtol=1e-12)


def test_is_grads_batched_shape_error():
    x = leaf(3)
    y = x * 2
    with pytest.raises(RuntimeError, match="If `is_grads_batched=True`"):
        autograd.grad(y, x, ng.ones(5, 4, dtype=ng.float64), is_grads_batched=True)


# ---------------------------------------------------------------- hooks and retain_grad

def test_retain_grad_and_hooks():
    x = leaf(3)
    h = x * 2
    h.retain_grad()
    assert h.retains_grad
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    (h * 3).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3, 3, 3])
    np.testing.assert_allclose(seen[0], [3, 3, 3])
    np.testing.assert_allclose(x.grad.numpy(), [60, 60, 60])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 2, 2])
    c = x * 2
    assert c.grad is None  # non-leaf without retain_grad keeps no grad


def test_hook_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"):
        ng.ones(2).register_hook(lambda g: g)


def test_node_hooks():
    x = leaf(2)
    y = x.exp()
    calls = []
    y.grad_fn.register_prehook(lambda gout: calls.append("pre"))
    y.grad_fn.register_hook(lambda gin, gout: calls.append("post"))
    y.sum().backward()
    assert calls == ["pre", "post"]


# ---------------------------------------------------------------- grad modes

def test_no_grad_context_and_decorator():
    a = ng.ones(2, 3, requires_grad=True) * 2
    b = ng.ones(2, 3, requires_grad=True) * 3
    with ng.no_grad():
        c2 = a + b
    assert not c2.requires_grad

    @ng.no_grad()
    def add(x, y):
        return x + y
    assert not add(a, b).requires_grad
    assert (a * b).grad_fn.name() == "MulBackward0"
    with ng.no_grad():
        with ng.enable_grad():
            assert (a + b).requires_grad
        assert not ng.is_grad_enabled()
    assert ng.is_grad_enabled()


def test_set_grad_enabled_function_and_context_and_inference_mode():
    x = leaf(2)
    ng.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ng.set_grad_enabled(True)
    with ng.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with ng.inference_mode():
        assert not (x * 2).requires_grad
    assert ng.is_grad_enabled()


def test_grad_mode_is_thread_local():
    seen = {}

    def worker():
        seen["enabled"] = ng.is_grad_enabled()
    with ng.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
    assert seen["enabled"] is True


# ---------------------------------------------------------------- data / detach / numpy

def test_data_and_detach_share_storage():
    x = leaf(3)
    d = x.detach()
    d.numpy()[0] = 5.0
    assert x.detach().numpy()[0] == 5.0
    assert not d.requires_grad and d.grad_fn is None
    x.data.numpy()[1] = 7.0
    assert x.detach().numpy()[1] == 7.0


def test_numpy_on_tensor_requiring_grad_raises():
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        leaf(2).numpy()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can "
                       "require gradients"):
        ng.tensor([1, 2, 3], requires_grad=True)
    t = ng.tensor([1, 2])
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype"):
        t.requires_grad_()
    assert not t.requires_grad


# ---------------------------------------------------------------- in-place and version counters

def test_inplace_on_leaf_requiring_grad_raises_and_keeps_value():
    a = ng.linspace(0.0, 1.0, 5, requires_grad=True)
    before = a.detach().numpy().copy()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        ng.sin_(a)
    np.testing.assert_array_equal(a.detach().numpy(), before)
    with ng.no_grad():
        a.mul_(2)  # allowed outside grad mode (optimizer updates)
    np.testing.assert_allclose(a.detach().numpy(), 2 * before)


def test_modified_saved_tensor_is_detected():
    x = leaf(3)
    y = x * 2
    z = y.sin()
    y.add_(1)
    assert y._version_value == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    assert x.grad is None


def test_inplace_on_nonleaf_rebases_graph():
    x = leaf(3)
    y = x * 2
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    y.exp_()
    y.sum().backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.exp(6 * xv))


def test_inplace_shape_error_keeps_data():
    x = ng.ones(3)
    with pytest.raises(RuntimeError):
        x.add_(ng.ones(2, 3))
    np.testing.assert_array_equal(x.numpy(), np.ones(3))


def test_views_share_version_counter():
    x = ng.ones(2, 3)
    v = x.reshape(6)
    x.add_(1)
    assert v._version_value == 1
    np.testing.assert_array_equal(v.numpy(), np.full(6, 2.0))


def test_inplace_on_views_rebases_the_base():
    """In-place ops on views reach the base's graph (PyTorch's CopySlices), whether or
    not the base required grad before; gradients checked against closed forms."""
    w = leaf(3)
    b = ng.zeros(2, 3, dtype=ng.float64)
    b[0].add_(w * 2)  # the base did not require grad: it does now
    assert b.requires_grad and b.grad_fn is not None
    (b.sum() + (b * b).sum()).backward()
    wv = w.detach().numpy()
    np.testing.assert_allclose(w.grad.numpy(), 2 + 8 * wv)
    np.testing.assert_allclose(b.detach().numpy()[0], 2 * wv)

    w = leaf(3)
    y = w * 2
    y[1:].mul_(3)  # a view of a non-leaf in the graph
    (y * y).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 8 * w.detach().numpy() * [1, 9, 9])

    w = leaf(2, 3)
    y = w * 1
    y.t()[1].exp_()  # a transposed view's row: column 1 of y
    v = y.reshape(6)[2:4]
    v.mul_(ng.tensor([2.0, 3.0], dtype=ng.float64))  # a view of a view
    y.sum().backward()
    x = w.detach().numpy()
    want = np.ones((2, 3))
    want[:, 1] = np.exp(x[:, 1])
    want[0, 2], want[1, 0] = 2.0, 3.0
    np.testing.assert_allclose(w.grad.numpy(), want)

    w = leaf(3)
    b = ng.zeros(2, 3, dtype=ng.float64)
    b[1].copy_(w)
    (b * 3).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])

    w = ng.tensor(2.0, dtype=ng.float64, requires_grad=True)
    y = w * 1
    assert isinstance(y._data, np.ndarray)  # 0-d results are arrays, writable in place
    y.view(1).mul_(3)
    y.backward()
    assert w.grad.item() == 3.0

    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is "
                       "being used in an in-place operation."):
        w2 = leaf(3)
        w2[0:2].mul_(2)
    assert w2.grad is None


def test_views_taken_before_an_inplace_write_to_their_base_see_it():
    """A view's place in the graph follows its base's in-place writes (PyTorch
    regenerates the view's grad_fn)."""
    w = leaf(3)
    x = w * 1.0
    v = x[0:2]
    x.mul_(2)
    v.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [2.0, 2.0, 0.0])

    w = leaf(3)
    b = ng.zeros(2, 3, dtype=ng.float64)
    row, cols = b[1], b.t()  # views of a base that requires no grad yet
    b[0].add_(w * 2)
    b[1].copy_(w * w)
    assert row.requires_grad
    ((row * 3).sum() + (cols * cols).sum()).backward()
    wv = w.detach().numpy()
    np.testing.assert_allclose(w.grad.numpy(), 6 * wv + 8 * wv + 4 * wv ** 3)


def test_zero_grad_in_place_does_not_alias_other_grads():
    a, b = leaf(3), leaf(3)
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(3))


# ---------------------------------------------------------------- shape errors

def test_broadcast_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(3\) must match the size of tensor b \(4\)"):
        ng.ones(2, 3) + ng.ones(2, 4)


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        ng.ones(2, 3) @ ng.ones(4, 5)


def test_float32_preserved_through_scalar_ops_and_backward():
    x = ng.randn(4, requires_grad=True)
    y = (2.5 * x + 1).tanh() / 3.0 - x ** 2
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_default_dtype():
    assert ng.tensor([1.0]).dtype == np.float32
    ng.set_default_dtype(ng.float64)
    try:
        assert ng.tensor([1.0]).dtype == np.float64
    finally:
        ng.set_default_dtype(ng.float32)
    assert ng.tensor(np.array([1.0])).dtype == np.float64  # numpy arrays keep their dtype
    assert ng.tensor([1, 2]).dtype == np.int64


def test_detect_anomaly_names_the_op_and_forward_stack():
    x = ng.tensor([0.0, 1.0], dtype=ng.float64, requires_grad=True)
    with autograd.detect_anomaly():
        y = x.sqrt() if hasattr(x, "sqrt") else x ** 0.5  # d/dx at 0 is inf; times 0 -> nan
        z = (y * 0.0).sum()
        with pytest.raises(RuntimeError, match=r"Function '(Sqrt|Pow)Backward0' returned nan values"):
            with pytest.warns(UserWarning, match=r"Error detected in (Sqrt|Pow)Backward0") as w:
                z.backward()
    assert any("test_detect_anomaly_names_the_op_and_forward_stack" in str(r.message) for r in w)
    assert not autograd.anomaly_mode.is_anomaly_enabled()


def test_detect_anomaly_shows_the_forward_of_a_failing_backward():
    x = ng.tensor([1.0, 2.0], dtype=ng.float64, requires_grad=True)
    with autograd.detect_anomaly():
        y = x * 1.0
        z = y.exp()  # saves its output
        z.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            with pytest.warns(UserWarning, match="Error detected in ExpBackward0") as w:
                z.sum().backward()
    assert any("test_detect_anomaly_shows_the_forward_of_a_failing_backward" in str(r.message)
               for r in w)


def test_roots_from_one_node_visit_it_once():
    class TwoOutputs(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    x = leaf(4)
    a, b = TwoOutputs.apply(x)
    assert a.grad_fn is b.grad_fn
    gx, = autograd.grad((a, b), x, (ng.ones(4, dtype=ng.float64),) * 2)
    np.testing.assert_allclose(gx.numpy(), np.full(4, 5.0))


def test_allclose_and_isclose():
    a = ng.tensor([1.0, 2.0, float("nan")])
    assert ng.allclose(a[:2], a[:2] + 1e-9)
    assert not ng.allclose(a, a)
    assert ng.allclose(a, a, equal_nan=True)
    assert a.isclose(a + 1).tolist() == [False, False, False]


def test_gradcheck_reports_mismatching_entries_and_undefined_grads():
    class Wrong(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    class Leaky(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2 + 1  # non-zero even for a zero cotangent

    x = leaf(3)
    with pytest.raises(autograd.GradcheckError, match=r"Jacobian mismatch for output 0 with respect to input 0"):
        autograd.gradcheck(Wrong.apply, (x,))
    assert autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
        autograd.gradcheck(Leaky.apply, (x,), check_backward_ad=True, atol=10, rtol=10)
