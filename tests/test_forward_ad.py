"""numgrad.autograd.forward_ad: dual tensors, levels, errors, and for every op of the
op table: forward-mode jacobian == finite differences, jvp/vjp adjointness, batched
jvp == looped jvps, forward-over-reverse."""
from __future__ import annotations

import numpy as np
import pytest

import numgrad as ng
import numgrad.autograd.forward_ad as fwAD
from numgrad.autograd import gradcheck
from tests.op_db import all_ops

OPS = [o for o in all_ops() if o.grad]
IDS = [o.name for o in OPS]


def _t(a, requires_grad=False):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _tensors(arrays, requires_grad):
    return tuple(ng.from_numpy(a.copy()).requires_grad_(requires_grad and a.dtype.kind == "f")
                 for a in arrays)


def _outputs(res):
    return [o for o in (res if isinstance(res, (tuple, list)) else (res,))
            if isinstance(o, ng.Tensor)]


def _jvp(fn, inputs, tangents):
    """[(primal, tangent or None)] per output of fn, given `tangents[i]` (None: no
    tangent; may carry leading batch dims) for input i."""
    with fwAD.dual_level() as level:
        args = [x if t is None else fwAD._dual(x, t, fwAD._levels[level])
                for x, t in zip(inputs, tangents)]
        return [tuple(fwAD.unpack_dual(o)) for o in _outputs(fn(*args))]


# ----- the seed's examples (PyTorch forward-mode AD tutorial) -----------------------------

def test_seed_basic_usage():
    primal, tangent = ng.randn(10, 10), ng.randn(10, 10)

    def fn(x, y):
        return x ** 2 + y ** 2

    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual_input).tangent is tangent
        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
        np.testing.assert_array_equal(fwAD.unpack_dual(dual_input_alt).tangent._data,
                                      tangent._data.T)
        plain_tensor = ng.randn(10, 10)
        dual_output = fn(dual_input, plain_tensor)
        jvp = fwAD.unpack_dual(dual_output).tangent
        np.testing.assert_allclose(jvp._data, 2 * primal._data * tangent._data, rtol=1e-6)
        assert jvp.dtype == np.float32
    assert fwAD.unpack_dual(dual_output).tangent is None
    assert fwAD.unpack_dual(dual_input).tangent is None


def test_seed_module_with_dual_parameters():
    nn = ng.nn
    ng.manual_seed(0)
    model = nn.Linear(5, 5)
    inp = ng.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: ng.rand_like(p) for name, p in params.items()}
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        out = model(inp)
        jvp = fwAD.unpack_dual(out).tangent
    want = inp._data @ tangents["weight"]._data.T + tangents["bias"]._data
    np.testing.assert_allclose(jvp._data, want, rtol=1e-5, atol=1e-6)


def test_unpack_dual_namedtuple_and_primal_view():
    x, t = _t([1.0, 2.0]), _t([3.0, 4.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        u = fwAD.unpack_dual(d)
        assert isinstance(u, fwAD.UnpackedDualTensor) and u.tangent is t
        primal, tangent = u
        assert fwAD.unpack_dual(primal).tangent is None
        np.testing.assert_array_equal(primal._data, x._data)
        assert np.shares_memory(primal._data, x._data)
        # plain tensors: no tangent, the tensor itself as primal
        assert fwAD.unpack_dual(x).primal is x and fwAD.unpack_dual(x).tangent is None
    assert fwAD.unpack_dual(d).primal is d and fwAD.unpack_dual(d).tangent is None


# ----- levels ------------------------------------------------------------------------------

def test_levels_enter_exit_and_decorator():
    assert fwAD.enter_dual_level() == 0
    assert fwAD.enter_dual_level() == 1
    with pytest.raises(RuntimeError, match="^Trying to exit a forward AD level that was not the "
                       "last one that was created. This is not supported.$"):
        fwAD.exit_dual_level(level=0)
    fwAD.exit_dual_level(level=1)
    fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match="^Dual level must be a positive number.$"):
        fwAD.exit_dual_level()

    @fwAD.dual_level()
    def f(x):
        return fwAD.unpack_dual(fwAD.make_dual(x, x) * 3).tangent

    np.testing.assert_allclose(f(_t([2.0]))._data, [6.0])
    assert fwAD._levels == [] and ng._tensor._fw_hook is None


def test_tangents_dropped_on_exit_and_not_reused_by_next_level():
    x = _t([1.0, 2.0])
    with fwAD.dual_level():
        y = fwAD.make_dual(x, _t([1.0, 1.0])).sin()
    with fwAD.dual_level():
        assert fwAD.unpack_dual(y).tangent is None
        z = y * 2  # y's old tangent must not propagate into the new level 0
        assert fwAD.unpack_dual(z).tangent is None
    assert y._fw is None


def test_nested_levels_forward_over_forward():
    x = _t([0.3, 1.2])
    with fwAD.dual_level():
        a = fwAD.make_dual(x, ng.ones(2, dtype=np.float64))
        with fwAD.dual_level():
            b = fwAD.make_dual(a, ng.ones(2, dtype=np.float64))
            y = b.exp() * b.sin()
            t1 = fwAD.unpack_dual(y, level=1).tangent
            t0 = fwAD.unpack_dual(y, level=0).tangent
            d2_10 = fwAD.unpack_dual(t1, level=0).tangent
            d2_01 = fwAD.unpack_dual(t0, level=1).tangent
            # a level's own tangent never carries a tangent of that same level
            assert fwAD.unpack_dual(t1, level=1).tangent is None
        assert fwAD.unpack_dual(y, level=0).tangent is t0
    X = x._data
    np.testing.assert_allclose(t1._data, np.exp(X) * (np.sin(X) + np.cos(X)))
    np.testing.assert_allclose(d2_10._data, 2 * np.exp(X) * np.cos(X))
    np.testing.assert_allclose(d2_01._data, 2 * np.exp(X) * np.cos(X))


def test_third_derivative_three_levels():
    x = _t([0.7])
    with fwAD.dual_level():
        a = fwAD.make_dual(x, _t([1.0]))
        with fwAD.dual_level():
            b = fwAD.make_dual(a, _t([1.0]))
            with fwAD.dual_level():
                c = fwAD.make_dual(b, _t([1.0]))
                y = c.tanh()
                t = fwAD.unpack_dual(y, level=2).tangent
                t = fwAD.unpack_dual(t, level=1).tangent
                t = fwAD.unpack_dual(t, level=0).tangent
    th = np.tanh(0.7)
    np.testing.assert_allclose(t._data, [-2 * (1 - th ** 2) * (1 - 3 * th ** 2)])


# ----- errors --------------------------------------------------------------------------------

def test_make_dual_errors():
    x = _t([1.0, 2.0])
    with pytest.raises(RuntimeError, match="^Trying to create a dual Tensor for forward AD but no "
                       "level exists, make sure to enter_dual_level\\(\\) first.$"):
        fwAD.make_dual(x, x)
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"^Trying to set a forward gradient that has a "
                           r"different size than that of the original Tensor, this is not "
                           r"supported\. Tensor is of size \[2\] while the given forward gradient "
                           r"is of size \[3\]\.$"):
            fwAD.make_dual(x, _t([1.0, 2.0, 3.0]))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(ng.tensor([1, 2]), x)
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            fwAD.make_dual(x, ng.tensor([1, 2]))
        d = fwAD.make_dual(x, x)
        with pytest.raises(RuntimeError, match="^Making a dual Tensor based on a Tensor that "
                           "already has a forward gradient at the same level 0 is not supported"):
            fwAD.make_dual(d, x)
        with pytest.raises(RuntimeError, match="^Setting a forward grad that itself has a forward "
                           "gradient at the same level0 is not supported"):
            fwAD.make_dual(x, d)


# ----- interaction with reverse mode, in-place ops, views ----------------------------------

def test_make_dual_gives_the_tangent_the_primal_dtype():
    with fwAD.dual_level():
        for shape in ((), (3,)):  # 0-d: equal (empty) strides must not skip the cast
            d = fwAD.make_dual(ng.ones(*shape, dtype=np.float64), ng.ones(*shape))
            assert fwAD.unpack_dual(d).tangent.dtype == np.float64


def test_make_dual_is_a_differentiable_view():
    x = _t([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, _t([1.0, 0.0]))
        assert d.grad_fn is not None and d.grad_fn.name() == "ViewBackward0"
        (d * d).sum().backward()
    np.testing.assert_allclose(x.grad._data, [2.0, 4.0])


def test_reverse_over_forward():
    # d/dx <v, J(x) v> for f = sin: d/dx (cos(x) v^2) = -sin(x) v^2
    x = _t([0.3, 0.9], requires_grad=True)
    v = _t([2.0, -1.0], requires_grad=True)
    with fwAD.dual_level():
        t = fwAD.unpack_dual(fwAD.make_dual(x, v).sin()).tangent
        gx, gv = ng.autograd.grad((t * v).sum(), (x, v))
    np.testing.assert_allclose(gx._data, -np.sin(x._data) * v._data ** 2)
    np.testing.assert_allclose(gv._data, 2 * np.cos(x._data) * v._data)


def test_forward_over_reverse_hvp():
    x = _t([0.3, 0.9, -0.4])
    v = _t([1.0, 2.0, 0.5])
    with fwAD.dual_level():
        d = fwAD.make_dual(x.requires_grad_(), v)
        (g,) = ng.autograd.grad((d ** 3).sum() + (d.exp() * d).sum(), d, create_graph=True)
        hv = fwAD.unpack_dual(g).tangent
    X = x._data
    np.testing.assert_allclose(hv._data, (6 * X + np.exp(X) * (X + 2)) * v._data)


def test_tensors_without_tangent_are_zero_tangents_and_no_grad_mode():
    x, y = _t([1.0, 2.0]), _t([3.0, 5.0])
    with fwAD.dual_level(), ng.no_grad():
        out = fwAD.make_dual(x, _t([1.0, 1.0])) * y + y
        np.testing.assert_allclose(fwAD.unpack_dual(out).tangent._data, y._data)
        assert fwAD.unpack_dual(y * y).tangent is None
        # non-differentiable outputs get no tangent
        assert fwAD.unpack_dual(fwAD.make_dual(x, x) > 1.5).tangent is None


def test_inplace_on_views_give_the_base_tangents():
    one = lambda *s: ng.ones(*s, dtype=np.float64)  # noqa: E731
    with fwAD.dual_level():
        x = fwAD.make_dual(one(2, 3), one(2, 3)) * 1.0
        x[1].fill_(5.0)  # the filled row no longer depends on the perturbation
        np.testing.assert_array_equal(fwAD.unpack_dual(x).tangent.numpy(), [[1, 1, 1], [0, 0, 0]])
        z = ng.zeros(2, 3, dtype=np.float64)
        z[1].add_(fwAD.make_dual(one(3), one(3)))  # a plain base gets a tangent
        np.testing.assert_array_equal(fwAD.unpack_dual(z).tangent.numpy(), [[0, 0, 0], [1, 1, 1]])
        x = fwAD.make_dual(one(2, 3), one(2, 3)) * 1.0
        v = x[0]
        v.mul_(3)
        np.testing.assert_array_equal(fwAD.unpack_dual(x).tangent.numpy(), [[3, 3, 3], [1, 1, 1]])
        np.testing.assert_array_equal(fwAD.unpack_dual(v).tangent.numpy(), [3, 3, 3])


def test_inplace_writes_never_reach_a_shared_tangent():
    """clone's tangent is its input's (no copy): an in-place write through a view of the
    clone must not change the input's tangent, nor the caller's."""
    from numgrad.func import jvp
    x, v = ng.tensor([1.0, 2.0, 3.0], dtype=np.float64), ng.ones(3, dtype=np.float64)

    def f(x):
        y = x.clone()
        y[1:].mul_(2)
        return y * x
    _, t = jvp(f, (x,), (v,))
    np.testing.assert_array_equal(t.numpy(), [2.0, 8.0, 12.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0, 1.0])
    with fwAD.dual_level():  # a dual's views write into the dual's tangent, not the primal's
        primal = ng.zeros(2, 3, dtype=np.float64)
        d = fwAD.make_dual(primal, ng.full((2, 3), 3.0, dtype=np.float64))
        d[0].add_(fwAD.make_dual(ng.ones(3, dtype=np.float64), ng.full((3,), 5.0, dtype=np.float64)))
        np.testing.assert_array_equal(fwAD.unpack_dual(d).tangent.numpy(), [[8] * 3, [3] * 3])
        np.testing.assert_array_equal(primal.numpy(), [[1] * 3, [0] * 3])


def test_overwriting_a_dual_with_a_constant_leaves_a_zero_tangent():
    with fwAD.dual_level():
        for write in (lambda x: x.zero_(), lambda x: x.fill_(3.0),
                      lambda x: x.copy_(ng.zeros(3, dtype=np.float64))):
            x = fwAD.make_dual(ng.ones(3, dtype=np.float64), ng.ones(3, dtype=np.float64)) * 1.0
            write(x)
            np.testing.assert_array_equal(fwAD.unpack_dual(x).tangent.numpy(), np.zeros(3))


def test_inplace_ops_update_the_tangent():
    with fwAD.dual_level():
        t = ng.ones(2, 3, dtype=np.float64)
        d = fwAD.make_dual(_t(np.arange(6.0).reshape(2, 3)), t)
        d.mul_(2)
        np.testing.assert_allclose(fwAD.unpack_dual(d).tangent._data, 2 * np.ones((2, 3)))
        d.sin_()
        np.testing.assert_allclose(fwAD.unpack_dual(d).tangent._data,
                                   2 * np.cos(2 * np.arange(6.0).reshape(2, 3)))
        # writing a dual into a plain tensor gives it a tangent
        b = ng.zeros(2, 3, dtype=np.float64)
        b[0] = fwAD.make_dual(_t([1.0, 1.0, 1.0]), _t([7.0, 7.0, 7.0]))
        np.testing.assert_allclose(fwAD.unpack_dual(b).tangent._data, [[7, 7, 7], [0, 0, 0]])
        # in place into a view of a dual: the base's tangent changes too
        base = fwAD.make_dual(ng.zeros(2, 3, dtype=np.float64), ng.zeros(2, 3, dtype=np.float64))
        base[0].add_(fwAD.make_dual(_t([1.0, 1.0, 1.0]), _t([5.0, 5.0, 5.0])))
        np.testing.assert_allclose(fwAD.unpack_dual(base).tangent._data, [[5, 5, 5], [0, 0, 0]])
        np.testing.assert_allclose(base._data, [[1, 1, 1], [0, 0, 0]])


def test_views_have_view_tangents():
    t = _t(np.arange(6.0).reshape(2, 3))
    with fwAD.dual_level():
        d = fwAD.make_dual(_t(np.zeros((2, 3))), t)
        np.testing.assert_array_equal(fwAD.unpack_dual(d.T).tangent._data, t._data.T)
        row = fwAD.unpack_dual(d[1]).tangent
        np.testing.assert_array_equal(row._data, t._data[1])
        assert np.shares_memory(row._data, t._data)


# ----- every op of the table ---------------------------------------------------------------

@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_forward_mode_jacobian_matches_finite_differences(op):
    ts = _tensors(op.inputs(np.random.default_rng(2), np.float64), True)
    assert gradcheck(op.fn, ts, atol=op.atol, rtol=op.rtol, check_forward_ad=True,
                     check_backward_ad=False)


def _diff(ts):
    return [i for i, t in enumerate(ts) if t.requires_grad]


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_jvp_and_vjp_are_adjoint(op):
    """<u, J v> == <J^T u, v> for random u, v."""
    rng = np.random.default_rng(5)
    ts = _tensors(op.inputs(rng, np.float64), True)
    idx = _diff(ts)
    vs = [ng.from_numpy(rng.standard_normal(t.shape)) if i in idx else None
          for i, t in enumerate(ts)]
    res = _jvp(op.fn, ts, vs)
    outs = [o for o in _outputs(op.fn(*ts)) if o.requires_grad]
    us = [ng.from_numpy(rng.standard_normal(o.shape)) for o in outs]
    fwd = [(p, t) for p, t in res if p.dtype.kind == "f"]
    assert len(fwd) == len(outs)
    lhs = sum(float(np.sum(u._data * t._data)) for u, (p, t) in zip(us, fwd) if t is not None)
    gs = ng.autograd.grad(outs, [ts[i] for i in idx], us, allow_unused=True)
    rhs = sum(float(np.sum(g._data * vs[i]._data)) for g, i in zip(gs, idx) if g is not None)
    # loose enough for ops computing in float32 inside (to_dtype round trips)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_batched_jvp_equals_looped(op):
    rng = np.random.default_rng(6)
    ts = _tensors(op.inputs(rng, np.float64), True)
    idx = _diff(ts)
    B = 3
    vs = [rng.standard_normal((B,) + t.shape) if i in idx else None for i, t in enumerate(ts)]
    batched = _jvp(op.fn, ts, [None if v is None else ng.from_numpy(v) for v in vs])
    for b in range(B):
        single = _jvp(op.fn, ts, [None if v is None else ng.from_numpy(np.array(v[b])) for v in vs])
        assert len(single) == len(batched)
        for (_, tb), (p, tl) in zip(batched, single):
            if tl is None:
                assert tb is None or not np.any(tb._data[b])
                continue
            assert tb.shape == (B,) + p.shape
            rtol = 1e-10 if p.dtype == np.float64 else 1e-5
            np.testing.assert_allclose(tb._data[b], tl._data, rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("op", OPS, ids=IDS)
def test_float32_tangents_stay_float32(op):
    rng = np.random.default_rng(8)
    ts = _tensors(op.inputs(rng, np.float32), True)
    vs = [ng.from_numpy(rng.standard_normal(t.shape).astype(np.float32)) if t.requires_grad
          else None for t in ts]
    for p, t in _jvp(op.fn, ts, vs):
        if t is not None and p.dtype == np.float32:
            assert t.dtype == np.float32, f"{op.name}: float64 tangent for float32 inputs"


GRADGRAD = [o for o in OPS if o.gradgrad]


@pytest.mark.parametrize("op", GRADGRAD, ids=[o.name for o in GRADGRAD])
def test_forward_over_reverse(op):
    """The forward-mode jacobian of the vjp function (tangents through backward rules)."""
    rng = np.random.default_rng(7)
    ts = _tensors(op.inputs(rng, np.float64), True)
    idx = _diff(ts)
    outs = [o for o in _outputs(op.fn(*ts)) if o.requires_grad]
    us = tuple(ng.from_numpy(rng.standard_normal(o.shape)) for o in outs)

    def vjp_fn(*xs):
        ys = [o for o in _outputs(op.fn(*xs)) if o.requires_grad]
        gs = ng.autograd.grad(ys, [xs[i] for i in idx], us, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    assert gradcheck(vjp_fn, ts, atol=op.atol, rtol=op.rtol, check_forward_ad=True,
                     check_backward_ad=False)


def test_gradgradcheck_fwd_over_rev():
    x = _t([0.3, 0.8, -0.5], requires_grad=True)
    assert ng.autograd.gradgradcheck(lambda x: (x.exp() * x.tanh()).cumsum(0), (x,),
                                     check_fwd_over_rev=True)


def test_forward_jacobian_shapes():
    x = _t(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = _t([1.0, 2.0])
    jac = fwAD.forward_jacobian(lambda x, y: (x.sum(1) * y, (x * 2).argmax()), (x, y))
    assert len(jac) == 2 and len(jac[0]) == 1
    assert jac[0][0].shape == (2, 6) and jac[1][0].shape == (1, 6)
    np.testing.assert_array_equal(jac[0][0], [[1, 1, 1, 0, 0, 0], [0, 0, 0, 2, 2, 2]])
    assert not np.any(jac[1][0])


def test_user_registered_op_with_a_wrongly_shaped_rule_result_is_refused():
    import numgrad.ops as ops
    op = ops.primitive("test_bad_rules_sum_rows", lambda op, x: x.sum(-1),
                       vjp=lambda ctx, g: g,                 # should be (rows, cols)
                       jvp=lambda ctx, t: t)                 # should be (rows,)
    try:
        x = ng.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
            ops.apply(op, (x,)).sum().backward()
        with fwAD.dual_level():
            d = fwAD.make_dual(ng.ones(2, 3), ng.ones(2, 3))
            with pytest.raises(RuntimeError, match=r"returned a tangent of shape \[2, 3\], expected \[2\]"):
                ops.apply(op, (d,))
    finally:
        del ops.REGISTRY[op.name]
