"""Custom ops: numgrad.autograd.Function (PyTorch's torch.autograd.Function)."""
from __future__ import annotations

import numpy as np
import pytest

import numgrad as ng
from numgrad import autograd
from numgrad.autograd import forward_ad as fwAD
from numgrad.autograd.function import Function, once_differentiable


def leaf(*shape):
    return ng.randn(*shape, dtype=ng.float64, requires_grad=True)


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = ng.exp(x)
        ctx.save_for_backward(y)
        ctx.save_for_forward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y

    @staticmethod
    def jvp(ctx, t):
        (y,) = ctx.saved_tensors
        return t * y


class SplitScale(Function):
    """(x * w, x - w, argmax-like integer index, a marked non-differentiable copy)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        ctx.save_for_forward(x, w)
        nd = x * 0 + 1
        ctx.mark_non_differentiable(nd)
        idx = ng.tensor(np.argmax(x.detach().numpy()))
        return x * w, x - w, idx, nd

    @staticmethod
    def backward(ctx, ga, gb, gidx, gnd):
        x, w = ctx.saved_tensors
        ctx.seen = (gidx, gnd)
        return ga * w + gb, ga * x - gb

    @staticmethod
    def jvp(ctx, tx, tw):
        x, w = ctx.saved_tensors
        return tx * w + x * tw, tx - tw, None, None


class ScaledPow(Function):
    """x ** n * scale, with Python number arguments in between."""

    @staticmethod
    def forward(ctx, x, n, scale=2.0):
        ctx.n, ctx.scale = n, scale
        ctx.save_for_backward(x)
        return x ** n * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.n * ctx.scale * x ** (ctx.n - 1), None, None


# ---------------------------------------------------------------- basics

def test_exp_saving_its_output_forward_backward_and_graph():
    x = leaf(4)
    y = Exp.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), np.exp(x.detach().numpy()))
    assert y.requires_grad and y.grad_fn.name() == "ExpBackward"
    assert y.grad_fn.next_functions[0][0].variable is x
    assert "grad_fn=<ExpBackward>" in repr(y)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()))


def test_ctx_is_the_node_and_keeps_attributes():
    x = leaf(3)
    y = ScaledPow.apply(x, 3, scale=0.5)
    assert y.grad_fn.n == 3 and y.grad_fn.scale == 0.5
    (gx,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(gx.numpy(), 1.5 * x.detach().numpy() ** 2)


def test_no_graph_without_grad():
    x = ng.randn(3, dtype=ng.float64)
    assert Exp.apply(x).grad_fn is None
    x.requires_grad_()
    with ng.no_grad():
        y = Exp.apply(x)
    assert y.grad_fn is None and not y.requires_grad


def test_forward_runs_without_recording():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append(ng.is_grad_enabled())
            y = x * 2
            seen.append(y.requires_grad)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    Probe.apply(leaf(2))
    assert seen == [False, False]


# ---------------------------------------------------------------- several outputs

def test_several_outputs_and_non_differentiable_ones():
    x, w = leaf(3), leaf(3)
    a, b, idx, nd = SplitScale.apply(x, w)
    assert a.grad_fn is b.grad_fn and (a.output_nr, b.output_nr) == (0, 1)
    assert not idx.requires_grad and idx.dtype == ng.int64
    assert not nd.requires_grad and nd.grad_fn is None
    node = a.grad_fn
    (a * 3).sum().backward()  # b got no grad: materialized as zeros
    xv, wv = x.detach().numpy(), w.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 3 * wv)
    np.testing.assert_allclose(w.grad.numpy(), 3 * xv)
    gidx, gnd = node.seen
    assert gidx.shape == () and gidx.dtype == ng.int64 and gnd.shape == (3,)
    assert not gnd.numpy().any()


def test_several_outputs_gradients():
    x, w = leaf(3), leaf(3)
    a, b, _, _ = SplitScale.apply(x, w)
    gx, gw = autograd.grad((a.sum(), (b * b).sum()), (x, w))
    xv, wv = x.detach().numpy(), w.detach().numpy()
    np.testing.assert_allclose(gx.numpy(), wv + 2 * (xv - wv))
    np.testing.assert_allclose(gw.numpy(), xv - 2 * (xv - wv))


def test_non_tensor_outputs_get_none_grads():
    class WithInfo(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, "info"

        @staticmethod
        def backward(ctx, g, ginfo):
            ctx.ginfo = ginfo
            return g * 2

    x = leaf(2)
    y, info = WithInfo.apply(x)
    assert info == "info"
    y.sum().backward()
    assert y.grad_fn.ginfo is None
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


# ---------------------------------------------------------------- arguments

def test_non_tensor_args_and_needs_input_grad():
    needs = []

    class Mix(Function):
        @staticmethod
        def forward(ctx, x, k, y):
            needs.append(ctx.needs_input_grad)
            return x * k + y

        @staticmethod
        def backward(ctx, g):
            needs.append(ctx.needs_input_grad)
            return (g * 2 if ctx.needs_input_grad[0] else None, None,
                    g if ctx.needs_input_grad[2] else None)

    x, y = leaf(2), ng.ones(2, dtype=ng.float64)
    out = Mix.apply(x, 2.0, y)
    assert len(out.grad_fn.next_functions) == 2  # tensor inputs only, as PyTorch
    out.sum().backward()
    assert needs == [(True, False, False)] * 2
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_grad_for_non_tensor_arg_must_be_none():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match="returned a gradient different than None at position 2"):
        Bad.apply(leaf(2), 3.0).sum().backward()


def test_wrong_number_of_gradients():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match=r"function BadBackward returned an incorrect number of "
                                           r"gradients \(expected 2, got 1\)"):
        Bad.apply(leaf(2), leaf(2)).sum().backward()


def test_extra_none_gradients_are_dropped():
    class Extra(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g, None, None

    x = leaf(2)
    Extra.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_broadcast_gradient_is_summed_and_dtype_matched():
    class Bcast(Function):
        @staticmethod
        def forward(ctx, x, b):
            return x + b

        @staticmethod
        def backward(ctx, g):
            return g, g.float()  # b is (3,): grad (2, 3) is summed; float32 cast back

    x, b = leaf(2, 3), leaf(3)
    Bcast.apply(x, b).sum().backward()
    assert b.grad.dtype == ng.float64
    np.testing.assert_allclose(b.grad.numpy(), [2.0, 2.0, 2.0])


def test_bad_gradient_shape_is_reported():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return ng.ones(5, dtype=ng.float64)

    with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
        BadShape.apply(leaf(3)).sum().backward()


def test_both_backward_and_vjp_is_an_error():
    class Both(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

        @staticmethod
        def vjp(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Implementing both 'backward' and 'vjp'"):
        Both.apply(leaf(2)).sum().backward()


def test_vjp_may_replace_backward():
    class ByVjp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def vjp(ctx, g):
            return g * 3

    x = leaf(2)
    ByVjp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------- materialize grads

def test_set_materialize_grads_false_gives_none():
    got = []

    class TwoOut(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1, g2))
            gx = None
            for g, k in ((g1, 1), (g2, 2)):
                if g is not None:
                    gx = g * k if gx is None else gx + g * k
            return gx

    x = leaf(3)
    a, b = TwoOut.apply(x)
    b.sum().backward()
    assert got[0][0] is None and got[0][1] is not None
    np.testing.assert_allclose(x.grad.numpy(), [2.0] * 3)


# ---------------------------------------------------------------- returned inputs, dirty

def test_returning_an_input_gives_a_new_node():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 5

    x = leaf(2)
    y = Identity.apply(x)
    assert y is not x and x.grad_fn is None and y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_mark_dirty_rebases_the_input():
    class AddOne_(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1.0)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    a = leaf(3)
    x = a * 2
    y = AddOne_.apply(x)
    assert y is x and x.grad_fn.name() == "AddOne_Backward"
    np.testing.assert_allclose(x.detach().numpy(), 2 * a.detach().numpy() + 1)
    x.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0] * 3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an "
                                           "in-place operation"):
        AddOne_.apply(leaf(3))


def test_mark_dirty_in_forward_mode_keeps_the_input_tangent_for_jvp():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def jvp(ctx, t):
            return t.mul_(2)

    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2
    with fwAD.dual_level():
        x = fwAD.make_dual(ng.ones(3, dtype=np.float64), ng.ones(3, dtype=np.float64)) * 1.0
        Double.apply(x)
        np.testing.assert_array_equal(fwAD.unpack_dual(x).tangent.numpy(), [2.0, 2.0, 2.0])
        x = fwAD.make_dual(ng.ones(3, dtype=np.float64), ng.ones(3, dtype=np.float64)) * 1.0
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            NoJvp.apply(x)


def test_dirty_tensors_must_be_returned():
    class Forgot(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward method "
                                           "were not returned as output"):
        Forgot.apply(leaf(2) * 1)


# ---------------------------------------------------------------- saved tensors

def test_modified_saved_tensor_raises_version_error():
    x = leaf(3)
    y = Exp.apply(x)
    z = y * 1
    with ng.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[torch.DoubleTensor \[3\]\], which is output 0 of "
                                           r"Exp, is at version 1; expected version 0"):
        z.sum().backward()

    w = leaf(3)
    out = ScaledPow.apply(w * 1, 2)
    inner = out.grad_fn.saved_tensors[0]
    with ng.no_grad():
        inner.add_(1)
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        out.sum().backward()


def test_saved_tensors_freed_after_backward():
    x = leaf(3)
    y = Exp.apply(x)
    node = y.grad_fn
    y.sum().backward(retain_graph=True)
    assert node.saved_tensors[0].grad_fn is node
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        node.saved_tensors
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_save_for_backward_rejects_non_tensors():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x * 1

    with pytest.raises(TypeError, match="save_for_backward can only save variables, but argument 1 "
                                        "is of type int"):
        Bad.apply(leaf(2))


# ---------------------------------------------------------------- new style

class Cube(Function):
    @staticmethod
    def forward(x, scale=1.0):
        return x ** 3 * scale

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, scale = inputs
        ctx.save_for_backward(x)
        ctx.scale = scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x ** 2 * ctx.scale, None


def test_setup_context_style():
    x = leaf(3)
    y = Cube.apply(x)
    assert y.grad_fn.scale == 1.0
    (gx,) = autograd.grad(y.sum(), x)
    np.testing.assert_allclose(gx.numpy(), 3 * x.detach().numpy() ** 2)
    (gx,) = autograd.grad(Cube.apply(x, scale=2.0).sum(), x)
    np.testing.assert_allclose(gx.numpy(), 6 * x.detach().numpy() ** 2)


# ---------------------------------------------------------------- higher order

def test_double_backward_through_backward_made_of_numgrad_ops():
    x = leaf(4)
    y = Cube.apply(x)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())
    # Exp's backward uses its saved output: second order flows through ExpBackward again
    y = Exp.apply(x)
    (g,) = autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), np.exp(x.detach().numpy()))


class OnceExp(Function):
    @staticmethod
    def forward(ctx, x):
        y = ng.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        assert not ng.is_grad_enabled()
        return g * y


def test_once_differentiable():
    x = leaf(3)
    OnceExp.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(x.detach().numpy()))
    (g,) = autograd.grad(OnceExp.apply(x).sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "DelayedError"
    msg = "trying to differentiate twice a function that was marked with @once_differentiable"
    with pytest.raises(RuntimeError, match=msg):
        autograd.grad(g.sum(), x)
    with pytest.raises(RuntimeError, match=msg):
        g.sum().backward()
    go = ng.ones(3, dtype=ng.float64, requires_grad=True)
    (g,) = autograd.grad(OnceExp.apply(x), x, go, create_graph=True)
    with pytest.raises(RuntimeError, match=msg):
        autograd.grad(g.sum(), go)


# ---------------------------------------------------------------- gradcheck, batching

def test_gradcheck_and_gradgradcheck():
    x, w = leaf(3), leaf(3)
    assert autograd.gradcheck(Exp.apply, (x,), check_batched_grad=True)
    assert autograd.gradgradcheck(Exp.apply, (x,), check_batched_grad=True)
    assert autograd.gradcheck(lambda a, b: SplitScale.apply(a, b)[:2], (x, w),
                              check_batched_grad=True)
    assert autograd.gradgradcheck(lambda a, b: SplitScale.apply(a, b)[:2], (x, w))
    assert autograd.gradcheck(lambda a: ScaledPow.apply(a, 3, 0.5), (x,), check_batched_grad=True)
    assert autograd.gradgradcheck(Cube.apply, (x,), check_batched_grad=True)


def test_gradcheck_catches_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert not autograd.gradcheck(Wrong.apply, (leaf(2),), raise_exception=False)


def test_batched_grads_loop_over_the_batch():
    calls = []

    class Sq(Function):
        @staticmethod
        def forward(ctx, x, w):
            ctx.save_for_backward(x, w)
            return x * x * w

        @staticmethod
        def backward(ctx, g):
            calls.append(g.shape)
            x, w = ctx.saved_tensors
            return 2 * g * x * w, (g * x * x).sum(0)

    x, w = leaf(2, 3), leaf(3)
    y = Sq.apply(x, w)
    v = ng.randn(4, 2, 3, dtype=ng.float64)
    gx, gw = autograd.grad(y, (x, w), v, is_grads_batched=True)
    assert calls == [(2, 3)] * 4 and gx.shape == (4, 2, 3) and gw.shape == (4, 3)
    for i in range(4):
        ex, ew = autograd.grad(Sq.apply(x, w), (x, w), v[i])
        np.testing.assert_allclose(gx[i].numpy(), ex.numpy())
        np.testing.assert_allclose(gw[i].numpy(), ew.numpy())


def test_batched_grads_with_missing_output_grads():
    x, w = leaf(3), leaf(3)
    a, b, _, _ = SplitScale.apply(x, w)
    v = ng.randn(2, 3, dtype=ng.float64)
    gx, gw = autograd.grad(b, (x, w), v, is_grads_batched=True)
    np.testing.assert_allclose(gx.numpy(), v.numpy())
    np.testing.assert_allclose(gw.numpy(), -v.numpy())


def test_float32_preserved():
    x = ng.randn(3, requires_grad=True)
    y = Exp.apply(x)
    y.sum().backward()
    assert y.dtype == ng.float32 and x.grad.dtype == ng.float32


def test_hooks_on_function_nodes():
    x = leaf(2)
    y = Exp.apply(x)
    y.grad_fn.register_hook(lambda gin, gout: (gin[0] * 0,))
    y.sum().backward()
    assert not x.grad.numpy().any()


# ---------------------------------------------------------------- forward mode

def test_jvp_with_dual_tensors():
    x, t = ng.randn(3, dtype=ng.float64), ng.randn(3, dtype=ng.float64)
    with fwAD.dual_level():
        y = Exp.apply(fwAD.make_dual(x, t))
        primal, tangent = fwAD.unpack_dual(y)
    np.testing.assert_allclose(primal.numpy(), np.exp(x.numpy()))
    np.testing.assert_allclose(tangent.numpy(), t.numpy() * np.exp(x.numpy()))


def test_jvp_gets_zero_tangents_for_non_dual_inputs_and_none_for_numbers():
    got = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, x, w, k):
            ctx.save_for_forward(x, w)
            return x * w * k

        @staticmethod
        def jvp(ctx, tx, tw, tk):
            got.append((tx, tw, tk))
            x, w = ctx.saved_tensors
            return (tx * w + x * tw) * 2.0

    x, w = ng.randn(3, dtype=ng.float64), ng.randn(3, dtype=ng.float64)
    with fwAD.dual_level():
        y = Scale.apply(fwAD.make_dual(x, ng.ones(3, dtype=ng.float64)), w, 2.0)
        tangent = fwAD.unpack_dual(y).tangent
    (tx, tw, tk), = got
    assert tk is None and tw.shape == (3,) and not tw.numpy().any()
    np.testing.assert_allclose(tangent.numpy(), 2 * w.numpy())


def test_jvp_wrong_number_of_tangents():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1, x * 2

        @staticmethod
        def jvp(ctx, t):
            return t

    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"Function's jvp returned an invalid number of "
                                               r"forward gradients \(expected 2 but got 1\)"):
            Bad.apply(fwAD.make_dual(ng.ones(2), ng.ones(2)))


def test_forward_does_not_propagate_tangents_itself():
    class NoJvp(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with fwAD.dual_level():
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            NoJvp.apply(fwAD.make_dual(ng.ones(2), ng.ones(2)))


def test_gradcheck_forward_mode_batched_tangents():
    x, w = leaf(3), leaf(3)
    assert autograd.gradcheck(Exp.apply, (x,), check_forward_ad=True)
    assert autograd.gradcheck(lambda a, b: SplitScale.apply(a, b)[:2], (x, w),
                              check_forward_ad=True)


def test_forward_over_reverse_and_reverse_over_forward():
    x = leaf(3)
    e = np.exp(x.detach().numpy())
    with fwAD.dual_level():
        d = fwAD.make_dual(x, ng.ones(3, dtype=ng.float64))
        (g,) = autograd.grad(Exp.apply(d).sum(), d, create_graph=True)
        np.testing.assert_allclose(fwAD.unpack_dual(g).tangent.detach().numpy(), e)
        t = fwAD.unpack_dual(Exp.apply(d)).tangent
    (gt,) = autograd.grad(t.sum(), x)
    np.testing.assert_allclose(gt.numpy(), e)
