"""numgrad.func: transforms against closed forms and finite differences, argnums / has_aux /
pytrees, compositions, functional_call, the seed 003 examples, and torch.func where installed."""
import functools
from collections import OrderedDict, defaultdict
import importlib.util

import numpy as np
import pytest

import numgrad as ng
import numgrad.autograd.forward_ad as fwAD
import numgrad.nn as nn
from numgrad.func import (functional_call, grad, grad_and_value, hessian, jacfwd, jacrev, jvp,
                          make_functional, make_functional_with_buffers, tree_flatten, tree_map,
                          tree_unflatten, vjp)

HAS_TORCH = importlib.util.find_spec("torch") is not None


def t64(*shape, seed=0):
    return ng.from_numpy(np.random.default_rng(seed).standard_normal(shape))


def close(a, b, tol=1e-8):
    a = a.detach().numpy() if isinstance(a, ng.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, ng.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def fd_jacobian(f, x: ng.Tensor, eps=1e-6):
    """Central differences of f (Tensor -> Tensor) at x: shape f(x).shape + x.shape."""
    base = x.numpy()
    out = f(x).numpy()
    jac = np.zeros(out.shape + base.shape)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += eps
        minus[idx] -= eps
        d = (f(ng.from_numpy(plus)).numpy() - f(ng.from_numpy(minus)).numpy()) / (2 * eps)
        jac[(...,) + idx] = d
    return jac


def f_scalar(x):
    return (x.sin() * x + x.exp()).sum()


def df_scalar(x):
    return x.cos() * x + x.sin() + x.exp()


def d2f_scalar(x):  # diagonal of the hessian
    return -x.sin() * x + 2 * x.cos() + x.exp()


def f_vec(x):  # R^n -> R^m with cross terms
    return ng.stack([(x * x).sum(), x.prod(), x[0] * x[-1].tanh()])


# ----- pytree ----------------------------------------------------------------------

def test_pytree_roundtrip_and_specs():
    tree = {"a": (1, [2, 3]), "b": {"c": 4}, "d": None}
    leaves, spec = tree_flatten(tree)
    assert leaves == [1, 2, 3, 4, None]
    assert tree_unflatten(leaves, spec) == tree
    assert tree_map(lambda v: None if v is None else v * 10, tree)["a"] == (10, [20, 30])
    assert tree_flatten((1, 2))[1] != tree_flatten([1, 2])[1]
    assert tree_flatten({"a": 1})[1] != tree_flatten({"b": 1})[1]
    with pytest.raises(ValueError):
        tree_unflatten([1], spec)
    # OrderedDict and defaultdict keep their types (and differ from dict, as in PyTorch)
    od, dd = OrderedDict(b=1, a=2), defaultdict(list, x=3)
    for t in (od, dd):
        back = tree_unflatten(*tree_flatten(t))
        assert type(back) is type(t) and back == t
    assert tree_unflatten(*tree_flatten(dd)).default_factory is list
    assert tree_flatten(od)[1] != tree_flatten(dict(od))[1]
    assert type(jacrev(lambda a: OrderedDict(p=a.sin()))(t64(3))) is OrderedDict


# ----- grad ------------------------------------------------------------------------

def test_grad_closed_form_and_fd():
    x = t64(4)
    g = grad(f_scalar)(x)
    close(g, df_scalar(x))
    close(g, fd_jacobian(f_scalar, x), 1e-6)
    assert not g.requires_grad and g.grad_fn is None


def test_grad_and_value():
    x = t64(3)
    g, v = grad_and_value(f_scalar)(x)
    close(g, df_scalar(x))
    close(v, f_scalar(x))
    assert not v.requires_grad


def test_grad_argnums():
    x, y = t64(3, seed=1), t64(3, seed=2)
    f = lambda x, y: (x * y.exp()).sum()
    close(grad(f)(x, y), y.exp())
    close(grad(f, argnums=1)(x, y), x * y.exp())
    close(grad(f, argnums=-1)(x, y), x * y.exp())
    gx, gy = grad(f, argnums=(0, 1))(x, y)
    close(gx, y.exp())
    close(gy, x * y.exp())
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 2 positional inputs"):
        grad(f, argnums=2)(x, y)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        grad(f, argnums=(0, 0))(x, y)
    with pytest.raises(RuntimeError, match="argnums must be non-empty"):
        grad(f, argnums=())(x, y)


def test_grad_has_aux_and_kwargs():
    x = t64(3)

    def f(x, scale=1.0):
        y = x.sin()
        return (y * scale).sum(), {"y": y, "n": 3}

    g, aux = grad(f, has_aux=True)(x, scale=2.0)
    close(g, 2 * x.cos())
    close(aux["y"], x.sin())
    assert aux["n"] == 3 and not aux["y"].requires_grad
    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\) if has_aux"):
        grad(lambda x: x.sum(), has_aux=True)(x)


def test_grad_pytree_inputs():
    params = {"w": t64(3, seed=1), "b": (t64(1, seed=2), [t64(2, seed=3)])}

    def loss(p, x):
        return (p["w"] * x).sum() + p["b"][0].sum() * p["b"][1][0].pow(2).sum()

    x = t64(3)
    g = grad(loss)(params, x)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    close(g["w"], x)
    close(g["b"][0], (params["b"][1][0] ** 2).sum().reshape(1))
    close(g["b"][1][0], 2 * params["b"][0] * params["b"][1][0])


def test_grad_errors():
    x = t64(3)
    with pytest.raises(RuntimeError, match=(
            r"grad_and_value\(f\)\(\*args\): Expected f\(\*args\) to return a scalar Tensor, got "
            r"tensor with 1 dims. Maybe you wanted to use the vjp or jacrev APIs instead\?")):
        grad(lambda x: x.sin())(x)
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a Tensor"):
        grad(lambda x: 1.0)(x)
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor"):
        grad(lambda x: x)(3.0)


def test_grad_of_unused_input_is_zero():
    x, y = t64(3), t64(2)
    gx, gy = grad(lambda x, y: x.sum(), argnums=(0, 1))(x, y)
    close(gx, np.ones(3))
    close(gy, np.zeros(2))
    close(grad(lambda x: ng.tensor(1.0, dtype=ng.float64))(x), np.zeros(3))


def test_grad_preserves_float32():
    x = ng.randn(4)
    assert grad(f_scalar)(x).dtype == ng.float32
    assert jacrev(ng.sin)(x).dtype == ng.float32
    assert jacfwd(ng.sin)(x).dtype == ng.float32
    assert hessian(f_scalar)(x).dtype == ng.float32


def test_grad_with_ordinary_autograd():
    # transforms are transparent to ordinary autograd: the gradient is differentiable
    # with respect to a user tensor requiring grad (argument or closure)
    x = t64(3).requires_grad_()
    g = grad(f_scalar)(x)
    assert g.requires_grad
    g.sum().backward()
    close(x.grad, d2f_scalar(x.detach()))

    w = t64(3, seed=5).requires_grad_()
    gw = grad(lambda v: (w * v.sin()).sum())(t64(3))
    (gw * gw).sum().backward()
    v = t64(3)
    close(w.grad, 2 * w.detach() * v.cos() ** 2)
    with ng.no_grad():
        assert not grad(lambda v: (w * v.sin()).sum())(t64(3)).requires_grad


# ----- vjp / jvp ---------------------------------------------------------------------

def test_vjp():
    x, y = t64(3, seed=1), t64(3, seed=2)
    out, fn = vjp(lambda x, y: (x * y, x.sin()), x, y)
    close(out[0], x * y)
    assert not out[0].requires_grad
    ct = (t64(3, seed=3), t64(3, seed=4))
    gx, gy = fn(ct)
    close(gx, ct[0] * y + ct[1] * x.cos())
    close(gy, ct[0] * x)
    gx2, _ = fn(ct)  # may be called again
    close(gx2, gx)
    assert not gx.requires_grad
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        fn([ct[0], ct[1]])


def test_vjp_has_aux_and_single_primal():
    x = t64(2, 3)
    out, fn, aux = vjp(lambda x: (x.exp(), x.sum()), x, has_aux=True)
    close(aux, x.sum())
    (g,) = fn(ng.ones_like(x))
    close(g, x.exp())
    with pytest.raises(RuntimeError, match="All outputs of f must be floating-point"):
        vjp(lambda x: x.argmax(), x)


def test_jvp():
    x, y = t64(3, seed=1), t64(3, seed=2)
    tx, ty = t64(3, seed=3), t64(3, seed=4)
    out, tout = jvp(lambda x, y: x * y.sin(), (x, y), (tx, ty))
    close(out, x * y.sin())
    close(tout, tx * y.sin() + x * y.cos() * ty)
    # pytree in and out, aux, an output independent of the input (zero tangent)
    (o, c), (to, tc), aux = jvp(lambda d: ((d["a"] ** 2, ng.ones(2)), "aux"),
                                ({"a": x},), ({"a": tx},), has_aux=True)
    close(to, 2 * x * tx)
    close(tc, np.zeros(2))
    assert aux == "aux"
    with pytest.raises(RuntimeError, match="Expected primals to be a tuple"):
        jvp(ng.sin, x, tx)
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same python"):
        jvp(ng.sin, (x,), [tx])
    with pytest.raises(RuntimeError, match="independent of the inputs"):
        jvp(lambda x: ng.ones(2), (x,), (tx,), strict=True)


def test_jvp_transpose_vjp():
    x, v, u = t64(4), t64(4, seed=1), t64(3, seed=2)
    _, jv = jvp(f_vec, (x,), (v,))
    _, fn = vjp(f_vec, x)
    (uj,) = fn(u)
    assert abs((u * jv).sum().item() - (uj * v).sum().item()) < 1e-10


# ----- jacobians -------------------------------------------------------------------

@pytest.mark.parametrize("jac", [jacrev, jacfwd])
def test_jacobian_vs_fd(jac):
    x = t64(4)
    close(jac(f_vec)(x), fd_jacobian(f_vec, x), 1e-6)
    m = t64(2, 3)
    f = lambda m: (m @ m.T).tanh()
    close(jac(f)(m), fd_jacobian(f, m), 1e-6)
    close(jac(ng.sin)(x), np.diag(x.cos().numpy()))


@pytest.mark.parametrize("jac", [jacrev, jacfwd])
def test_jacobian_structures(jac):
    x, y = t64(3, seed=1), t64(2, seed=2)

    def f(x, y):
        return {"p": x * y.sum(), "q": (x.sum() * y, y.exp())}

    j = jac(f, argnums=(0, 1))(x, y)
    close(j["p"][0], np.eye(3) * y.sum().item())
    close(j["p"][1], np.outer(x.numpy(), np.ones(2)))
    close(j["q"][0][0], np.outer(y.numpy(), np.ones(3)))
    close(j["q"][0][1], np.eye(2) * x.sum().item())
    close(j["q"][1][0], np.zeros((2, 3)))
    close(j["q"][1][1], np.diag(y.exp().numpy()))
    single = jac(f, argnums=1)(x, y)
    close(single["q"][1], j["q"][1][1])
    # pytree input
    jd = jac(lambda d: d["u"] * d["v"])({"u": x, "v": x.flip(0)})
    close(jd["u"], np.diag(x.flip(0).numpy()))
    # has_aux
    jx, aux = jac(lambda x: (x.sin(), x.cos()), has_aux=True)(x)
    close(jx, np.diag(x.cos().numpy()))
    close(aux, x.cos())
    # 0-dim input and output
    s = ng.tensor(0.7, dtype=ng.float64)
    close(jac(lambda s: s * s)(s), 1.4)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 5, 100])
def test_jacrev_chunk_size(chunk_size):
    x = t64(4)
    close(jacrev(lambda x: (f_vec(x), x.exp()), chunk_size=chunk_size)(x)[1],
          np.diag(x.exp().numpy()))
    close(jacrev(f_vec, chunk_size=chunk_size)(x), jacrev(f_vec)(x))


def test_chunked_jacrev_composes():
    x = t64(4)
    ref = jacfwd(jacrev(f_vec))(x)
    close(jacfwd(jacrev(f_vec, chunk_size=2))(x), ref, 1e-10)
    close(jacrev(jacrev(f_vec, chunk_size=1), chunk_size=3)(x), ref, 1e-10)


def test_jacrev_chunk_size_error():
    with pytest.raises(ValueError, match="jacrev: `chunk_size` should be greater than 0."):
        jacrev(ng.sin, chunk_size=0)


def test_jacrev_is_one_batched_backward_pass():
    calls = []
    orig = ng.autograd.grad

    def spy(*args, **kwargs):
        calls.append(kwargs.get("is_grads_batched"))
        return orig(*args, **kwargs)

    ng.autograd.grad = spy
    try:
        jacrev(lambda x: (x.sin(), x.sum()))(t64(5))
        assert calls == [True]
        calls.clear()
        jacrev(lambda x: x.sin(), chunk_size=2)(t64(5))
        assert calls == [True] * 3
    finally:
        ng.autograd.grad = orig


def test_jacfwd_is_one_batched_forward_pass():
    shapes = []

    def f(x):
        shapes.append(fwAD.unpack_dual(x).tangent.shape)
        return x.sin()

    jacfwd(f)(t64(2, 3))
    assert shapes == [(6, 2, 3)]


# ----- compositions ------------------------------------------------------------------

def test_grad_of_grad():
    x = t64(4)
    g2 = grad(lambda x: grad(f_scalar)(x).sum())(x)
    close(g2, d2f_scalar(x))
    assert not g2.requires_grad
    # third order of a scalar function of a scalar
    s = ng.tensor(0.3, dtype=ng.float64)
    d3 = grad(grad(grad(lambda s: s.sin() * s)))(s)
    close(d3, -3 * s.sin() - s * s.cos())


@pytest.mark.parametrize("outer,inner", [(jacfwd, jacrev), (jacrev, jacrev), (jacfwd, jacfwd),
                                         (jacrev, jacfwd)])
def test_hessian_compositions(outer, inner):
    x = t64(4)

    def f(x):
        return (x.sin() * x.flip(0)).sum() + x.prod()

    h = outer(inner(f))(x)
    close(h, ng.autograd.functional.hessian(f, x), 1e-10)
    assert not h.requires_grad


def test_hessian():
    x = t64(4)
    close(hessian(f_scalar)(x), np.diag(d2f_scalar(x).numpy()))
    f = lambda x, y: (x.exp() * y.sin()).sum()
    x, y = t64(3, seed=1), t64(3, seed=2)
    h = hessian(f, argnums=(0, 1))(x, y)
    ref = ng.autograd.functional.hessian(f, (x, y))
    for i in range(2):
        for j in range(2):
            close(h[i][j], ref[i][j], 1e-10)


def test_third_order_jacobians():
    x = t64(3)
    f = lambda x: (x ** 3).sum()
    d3 = jacrev(jacfwd(jacrev(f)))(x)
    expected = np.zeros((3, 3, 3))
    for i in range(3):
        expected[i, i, i] = 6
    close(d3, expected)


def test_hvp_forward_over_reverse_and_reverse_over_forward():
    x, v = t64(4), t64(4, seed=1)
    _, hv = jvp(grad(f_scalar), (x,), (v,))
    close(hv, d2f_scalar(x) * v)
    rof = grad(lambda x: jvp(f_scalar, (x,), (v,))[1])(x)
    close(rof, d2f_scalar(x) * v)
    _, fn = vjp(grad(f_scalar), x)
    close(fn(v)[0], d2f_scalar(x) * v)


def test_vjp_inside_grad():
    x, u = t64(3), t64(3, seed=1)

    def f(x):
        _, fn = vjp(ng.sin, x)
        return (fn(u)[0] * x).sum()  # sum(u cos(x) x)

    close(grad(f)(x), u * (x.cos() - x * x.sin()))


def test_transforms_inside_dual_level():
    # jacrev of a function evaluated at a dual tensor: the jacobian carries the tangent
    x, t = t64(3), t64(3, seed=1)
    with fwAD.dual_level():
        j = jacrev(lambda x: x.sin() * x.sum())(fwAD.make_dual(x, t))
        jt = fwAD.unpack_dual(j).tangent
    ref = jacfwd(lambda x: jacrev(lambda x: x.sin() * x.sum())(x))(x)
    close(jt, (ref * t.numpy()).sum(-1))


# ----- functional_call -----------------------------------------------------------------

class _WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.register_buffer("scale", ng.ones(2))

    def forward(self, x, shift=0.0):
        return self.lin(x) * self.scale + shift


def test_functional_call_swaps_and_restores():
    m = _WithBuffer()
    before = {k: v for k, v in list(m.named_parameters()) + list(m.named_buffers())}
    x = ng.randn(4, 3)
    w, b, s = ng.randn(2, 3), ng.randn(2), ng.full((2,), 2.0)
    out = functional_call(m, {"lin.weight": w, "lin.bias": b, "scale": s}, (x,), {"shift": 1.0})
    close(out, (x @ w.T + b) * s + 1.0, 1e-6)
    # tuple of dicts, a single non-tuple arg, names not given keep the module's tensors
    out2 = functional_call(m, ({"lin.weight": w}, {"scale": s}), x)
    close(out2, (x @ w.T + m.lin.bias) * s, 1e-6)
    after = {k: v for k, v in list(m.named_parameters()) + list(m.named_buffers())}
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    assert isinstance(m.lin.weight, nn.Parameter)


def test_functional_call_restores_on_error():
    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            raise ValueError("boom")

    m = Boom()
    weight = m.lin.weight
    with pytest.raises(ValueError, match="boom"):
        functional_call(m, {"lin.weight": ng.zeros(2, 2), "extra": ng.ones(1)}, (ng.ones(2),))
    assert m.lin.weight is weight and not hasattr(m, "extra")


def test_functional_call_errors_and_ties():
    m = _WithBuffer()
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        functional_call(m, ({"scale": ng.ones(2)}, {"scale": ng.ones(2)}), (ng.ones(3),))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict"):
        functional_call(m, 3, (ng.ones(3),))
    with pytest.raises(KeyError, match="tensor name can.+t be empty string"):
        functional_call(m, {"": ng.ones(2)}, (ng.ones(3),))
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are"):
        jacfwd(lambda x: x, randomness="sometimes")
    assert jacfwd(lambda x: x * 2, randomness="same")(ng.ones(2)).shape == (2, 2)
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\): 'nope'.\n\tMissing key\(s\)"):
        functional_call(m, {"nope": ng.ones(1)}, (ng.ones(3),), strict=True)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2, bias=False)
            self.b = nn.Linear(2, 2, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    t = Tied()
    w = ng.eye(2) * 2
    close(functional_call(t, {"a.weight": w}, (ng.ones(2),)), [4.0, 4.0])
    close(functional_call(t, {"a.weight": w}, (ng.ones(2),), tie_weights=False),
          (t.b.weight @ (w @ ng.ones(2))).detach())
    with pytest.raises(ValueError, match="which are tied"):
        functional_call(t, {"a.weight": w, "b.weight": ng.eye(2)}, (ng.ones(2),))


def test_functional_call_with_transforms():
    m = nn.Linear(3, 2)
    x = ng.randn(5, 3)
    params = {k: v.detach() for k, v in m.named_parameters()}

    def loss(p):
        return (functional_call(m, p, (x,)) ** 2).mean()

    g = grad(loss)(params)
    m.zero_grad()
    loss(dict(m.named_parameters())).backward()
    close(g["weight"], m.weight.grad, 1e-6)
    close(g["bias"], m.bias.grad, 1e-6)
    j = jacrev(lambda p: functional_call(m, p, (x,)))(params)
    assert j["weight"].shape == (5, 2, 2, 3)
    j2 = jacfwd(lambda p: functional_call(m, p, (x,)))(params)
    close(j["weight"], j2["weight"], 1e-6)
    close(j["bias"], j2["bias"], 1e-6)


def test_make_functional():
    m = _WithBuffer()
    x = ng.randn(4, 3)
    func, params, buffers = make_functional_with_buffers(m)
    close(func(params, buffers, x), m(x))
    new = tuple(p * 0 for p in params)
    close(func(new, buffers, x), np.zeros((4, 2)))
    f2, p2 = make_functional(m.lin)
    close(f2(p2, x), m.lin(x))


# ----- seed 003 (forward-mode AD tutorial) -------------------------------------------------

def test_seed003_basic_usage():
    primal, tangent = ng.randn(10, 10), ng.randn(10, 10)
    with fwAD.dual_level():
        dual_input = fwAD.make_dual(primal, tangent)
        assert fwAD.unpack_dual(dual_input).tangent is tangent
        dual_input_alt = fwAD.make_dual(primal, tangent.T)
        assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent
        plain = ng.randn(10, 10)
        dual_output = dual_input ** 2 + plain ** 2
        jv = fwAD.unpack_dual(dual_output).tangent
    assert fwAD.unpack_dual(dual_output).tangent is None
    close(jv, 2 * primal * tangent, 1e-6)


def test_seed003_modules_and_functional_call():
    model = nn.Linear(5, 5)
    inp = ng.randn(16, 5)
    params = {name: p for name, p in model.named_parameters()}
    tangents = {name: ng.rand_like(p) for name, p in params.items()}
    with fwAD.dual_level():
        for name, p in params.items():
            delattr(model, name)
            setattr(model, name, fwAD.make_dual(p, tangents[name]))
        jv = fwAD.unpack_dual(model(inp)).tangent
    close(jv, inp @ tangents["weight"].T + tangents["bias"], 1e-5)

    model = nn.Linear(5, 5)
    with fwAD.dual_level():
        dual_params = {name: fwAD.make_dual(p, tangents[name]) for name, p in params.items()}
        jv2 = fwAD.unpack_dual(functional_call(model, dual_params, inp)).tangent
    close(jv, jv2, 1e-6)
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())


def test_seed003_functional_api():
    p0, t0, p1, t1 = (t64(10, 10, seed=s) for s in range(4))
    fn = lambda x, y: x ** 2 + y ** 2
    out, tout = jvp(fn, (p0, p1), (t0, t1))
    close(out, fn(p0, p1))
    close(tout, 2 * p0 * t0 + 2 * p1 * t1)
    _, tout = jvp(functools.partial(fn, y=p1), (p0,), (t0,))
    close(tout, 2 * p0 * t0)


def test_seed003_functional_api_with_modules():
    model = nn.Linear(5, 5)
    inp = ng.randn(16, 5)
    tangents = tuple(ng.rand_like(p) for p in model.parameters())
    func, params, buffers = make_functional_with_buffers(model)
    out, jv = jvp(lambda params: func(params, buffers, inp), (params,), (tangents,))
    close(out, model(inp))
    close(jv, inp @ tangents[0].T + tangents[1], 1e-5)


class _Exp(ng.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = ng.exp(x)
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        return gI * ctx.result


def test_seed003_custom_function():
    primal = t64(10, 10).requires_grad_()
    tangent = t64(10, 10, seed=1)
    with fwAD.dual_level():
        jv = fwAD.unpack_dual(_Exp.apply(fwAD.make_dual(primal, tangent))).tangent
    close(jv, tangent * primal.detach().exp())
    # through the func transforms (batched tangents reach the Function's jvp)
    x = t64(3)
    close(jacfwd(_Exp.apply)(x), np.diag(x.exp().numpy()))
    close(jvp(_Exp.apply, (x,), (tangent[0, :3],))[1], tangent[0, :3] * x.exp())


# ----- torch.func reference ----------------------------------------------------------------

@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_against_torch_func():
    import torch
    import torch.func as tf

    x_np = np.random.default_rng(7).standard_normal(4)
    y_np = np.random.default_rng(8).standard_normal(4)

    def make(lib):
        def f(x, y):
            return (lib.tanh(x) * y.exp()).sum() + (x * y).prod()
        return f

    ng_x, ng_y = ng.from_numpy(x_np), ng.from_numpy(y_np)
    tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)
    fn, ft = make(ng), make(torch)
    for ng_t, torch_t in [(grad(fn, argnums=(0, 1)), tf.grad(ft, argnums=(0, 1))),
                          (hessian(fn, argnums=(0, 1)), tf.hessian(ft, argnums=(0, 1))),
                          (jacrev(jacrev(fn)), tf.jacrev(tf.jacrev(ft))),
                          (jacfwd(grad(fn, argnums=1)), tf.jacfwd(tf.grad(ft, argnums=1)))]:
        a, _ = tree_flatten(ng_t(ng_x, ng_y))
        b = torch.utils._pytree.tree_leaves(torch_t(tx, ty))
        assert len(a) == len(b)
        for u, v in zip(a, b):
            close(u, v.numpy(), 1e-10)
    g = lambda lib: (lambda x: (lib.sin(x)[:, None] * x[None, :]).exp())
    close(jacfwd(g(ng))(ng_x), tf.jacfwd(g(torch))(tx).numpy(), 1e-10)
    close(jacrev(g(ng))(ng_x), tf.jacrev(g(torch))(tx).numpy(), 1e-10)
