"""numgrad.autograd.functional: vjp, jvp, vhp, hvp, jacobian, hessian against finite
differences and closed forms, for every input/output structure and flag."""
from __future__ import annotations

import numpy as np
import pytest

import numgrad as ng
import numgrad.autograd.forward_ad as fwAD
import numgrad.autograd.functional as F


def _t(a, requires_grad=False):
    return ng.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def _rand(*shape, seed=0, low=0.5, high=1.5, requires_grad=False):
    return _t(np.random.default_rng(seed).uniform(low, high, size=shape), requires_grad)


def _tup(x):
    return x if isinstance(x, tuple) else (x,)


def fd_jacobian(func, inputs, eps=1e-6):
    """J[i][j] of shape out_i.shape + in_j.shape by central differences (float64)."""
    inputs = _tup(inputs)
    arrays = [np.array(x._data, dtype=np.float64) for x in inputs]

    def call(arrs):
        return [np.asarray(o._data, dtype=np.float64)
                for o in _tup(func(*[ng.tensor(a) for a in arrs]))]

    outs = call(arrays)
    jac = [[np.zeros(o.shape + a.shape) for a in arrays] for o in outs]
    for j, a in enumerate(arrays):
        for idx in np.ndindex(a.shape):
            plus = [b.copy() for b in arrays]
            minus = [b.copy() for b in arrays]
            plus[j][idx] += eps
            minus[j][idx] -= eps
            for i, (p, m) in enumerate(zip(call(plus), call(minus))):
                jac[i][j][(...,) + idx] = (p - m) / (2 * eps)
    return jac


def fd_hessian(func, inputs, eps=1e-5):
    """H[i][j] by central differences of the (analytic, first-order) gradient."""
    inputs = _tup(inputs)

    def grads(*xs):
        xs = tuple(x.detach().requires_grad_() for x in xs)
        return ng.autograd.grad(func(*xs), xs, allow_unused=True, materialize_grads=True)

    return fd_jacobian(grads, inputs, eps)


def assert_close(got, want, atol=1e-6, rtol=1e-5):
    np.testing.assert_allclose(np.asarray(got._data if isinstance(got, ng.Tensor) else got),
                               want, atol=atol, rtol=rtol)


def assert_same_structure(a, b):
    if isinstance(a, ng.Tensor):
        assert isinstance(b, ng.Tensor) and a.shape == b.shape
        np.testing.assert_allclose(a._data, b._data, rtol=1e-12, atol=1e-12)
    else:
        assert type(a) is tuple and type(b) is tuple and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_structure(x, y)


def assert_jac_matches(res, want, inputs_tuple, outputs_tuple, atol=1e-6):
    """`res` follows PyTorch's structure; `want` is the full [out][in] list."""
    if not outputs_tuple:
        res = (res,)
    assert isinstance(res, tuple) and len(res) == len(want)
    for r, w in zip(res, want):
        if not inputs_tuple:
            assert isinstance(r, ng.Tensor)
            r = (r,)
        assert isinstance(r, tuple) and len(r) == len(w)
        for rij, wij in zip(r, w):
            assert rij.shape == wij.shape
            assert not rij.requires_grad
            assert_close(rij, wij, atol=atol)


# ----- functions with every input/output structure ---------------------------------

def f_single(x):
    return (x.sin() * x.exp()).reshape(3, 2).permute(1, 0)


def f_scalar_out(x):
    return (x.tanh() @ ng.tensor(np.arange(6.0).reshape(2, 3) / 5)).sum()


def f_two_in(x, w):
    return (w @ x).tanh() / (1 + x.mean())


def f_two_out(x):
    return x.exp().mean(0), (x ** 3).sum()


def f_two_in_two_out(x, y):
    return (x * y.reshape(2, 1)).log(), (x.cos().sum(1) - y ** 2, (x - 1).sum() * 2.0)


CASES = [
    # name, func, inputs (as given to jacobian), inputs is tuple, outputs is tuple
    ("single", f_single, lambda: _rand(2, 3), False, False),
    ("scalar_out", f_scalar_out, lambda: _rand(3, 2), False, False),
    ("tuple_in", f_two_in, lambda: (_rand(3, seed=1), _rand(2, 3, seed=2)), True, False),
    ("one_tuple_in", f_single, lambda: (_rand(2, 3),), True, False),
    ("tuple_out", f_two_out, lambda: _rand(2, 3), False, True),
    ("tuple_in_tuple_out", lambda x, y: (f_two_in_two_out(x, y)[0], f_two_in_two_out(x, y)[1][0]),
     lambda: (_rand(2, 3, seed=3), _rand(2, seed=4)), True, True),
]


@pytest.mark.parametrize("name,func,make,in_tuple,out_tuple", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("mode", ["vectorized", "rows", "chunk1", "chunk4", "strict", "fwd",
                                  "fwd_columns", "fwd_chunk1", "fwd_chunk4"])
def test_jacobian_vs_finite_differences(name, func, make, in_tuple, out_tuple, mode):
    inputs = make()
    fwd = {"strategy": "forward-mode"}
    kwargs = {"vectorized": {}, "rows": {"vectorize": False}, "chunk1": {"chunk_size": 1},
              "chunk4": {"chunk_size": 4}, "strict": {"strict": True}, "fwd": fwd,
              "fwd_columns": {**fwd, "vectorize": False}, "fwd_chunk1": {**fwd, "chunk_size": 1},
              "fwd_chunk4": {**fwd, "chunk_size": 4}}[mode]
    res = F.jacobian(func, inputs, **kwargs)
    assert_jac_matches(res, fd_jacobian(func, inputs), in_tuple, out_tuple)


def test_jacobian_scalar_output_and_input_shapes():
    x = _t(2.0)
    j = F.jacobian(lambda x: x ** 3, x)
    assert j.shape == () and j.item() == pytest.approx(12.0)
    j = F.jacobian(lambda x: x.sum(), _rand(2, 3))
    assert j.shape == (2, 3)
    assert_close(j, np.ones((2, 3)))
    j = F.jacobian(lambda x: x * ng.ones(2, 2, dtype=np.float64), x)
    assert j.shape == (2, 2)


@pytest.mark.parametrize("chunk_size", [None, 1, 2, 3, 5, 7, 100])
@pytest.mark.parametrize("vectorize", [True, False])
def test_jacobian_chunked_equals_unchunked(chunk_size, vectorize):
    x, y = _rand(2, 3, seed=5), _rand(2, seed=6)
    ref = F.jacobian(f_two_in_two_out_flat, (x, y))
    got = F.jacobian(f_two_in_two_out_flat, (x, y), vectorize=vectorize, chunk_size=chunk_size)
    assert_same_structure(got, ref)


def f_two_in_two_out_flat(x, y):
    a, (b, _) = f_two_in_two_out(x, y)
    return a, b, (x * y.reshape(2, 1)).sum()


def test_jacobian_exp_adder_seed_002():
    def exp_adder(x, y):
        return 2 * x.exp() + 3 * y

    for n in (1, 3):
        x, y = ng.rand(n), ng.rand(n)
        jx, jy = F.jacobian(exp_adder, (x, y))
        assert jx.dtype == np.float32 and jy.dtype == np.float32
        assert_close(jx, np.diag(2 * np.exp(x._data)), rtol=1e-6)
        assert_close(jy, 3 * np.eye(n))


def test_jacobian_closed_forms():
    a = _t(np.random.default_rng(7).normal(size=(3, 4)))
    x = _rand(4)
    assert_close(F.jacobian(lambda x: a @ x, x), a._data)
    assert_close(F.jacobian(lambda a: a @ x, a),
                 np.einsum("ik,l->ikl", np.eye(3), x._data))
    assert_close(F.jacobian(lambda x: x.expand(2, 4), x), np.stack([np.eye(4)] * 2))
    assert_close(F.jacobian(lambda x: x / x.sum(), x),
                 (np.eye(4) * x._data.sum() - x._data[:, None]) / x._data.sum() ** 2)


def test_jacobian_float32_preserved():
    x = ng.rand(4)
    for vec in (True, False):
        j = F.jacobian(lambda x: x.sin() * 2, x, vectorize=vec, chunk_size=3)
        assert j.dtype == np.float32
        np.testing.assert_allclose(j._data, np.diag(2 * np.cos(x._data)), rtol=1e-6)
    h = F.hessian(lambda x: (x ** 3).sum(), x)
    assert h.dtype == np.float32


def test_jacobian_large_chunked_fills_preallocated_result():
    n = 1500
    x = ng.rand(n)
    j = F.jacobian(lambda x: x * x, x, chunk_size=512)
    assert j.shape == (n, n) and j.dtype == np.float32
    np.testing.assert_allclose(np.diag(j._data), 2 * x._data, rtol=1e-6)
    assert np.count_nonzero(j._data) == n


def test_jacobian_results_own_their_memory():
    x, y = _rand(3), _rand(3, seed=1)
    jx, jy = F.jacobian(lambda x, y: x + y, (x, y))
    jx._data[0, 0] = 100.0
    assert jy._data[0, 0] == 1.0
    j = F.jacobian(lambda x: x.sum().expand(3), x)
    j._data[0, 0] = 5.0  # writable, not a broadcast view
    assert j._data[1, 0] == 1.0


def test_jacobian_unused_input_and_constant_output():
    x, y = _rand(3), _rand(2, seed=1)
    for kw in ({}, {"vectorize": False}, {"chunk_size": 2}, {"create_graph": True}):
        jx, jy = F.jacobian(lambda x, y: x * 2, (x, y), **kw)
        assert_close(jx, 2 * np.eye(3))
        assert jy.shape == (3, 2) and not np.any(jy._data)
        (ja, jb), (jc, jd) = F.jacobian(lambda x, y: (x.exp(), ng.ones(2)), (x, y), **kw)
        assert jc.shape == (2, 3) and jd.shape == (2, 2)
        assert not np.any(jc._data) and not np.any(jd._data) and not np.any(jb._data)


@pytest.mark.parametrize("kw", [{}, {"vectorize": False}, {"chunk_size": 2},
                                {"create_graph": True}], ids=str)
def test_jacobian_strict_errors(kw):
    x, y = _rand(3), _rand(2, seed=1)
    with pytest.raises(RuntimeError, match=r"^Output 0 of the user-provided function is "
                       r"independent of input 1\. This is not allowed in strict mode\.$"):
        F.jacobian(lambda x, y: x ** 2, (x, y), strict=True, **kw)
    with pytest.raises(RuntimeError, match="Output 1 of the user-provided function is "
                       "independent of input 0"):
        F.jacobian(lambda x, y: (x * y.sum(), y * 3), (x, y), strict=True, **kw)
    with pytest.raises(RuntimeError, match=r"Output 1 of the user-provided function does not "
                       r"require gradients\. The outputs must be computed in a differentiable "
                       r"manner from the input when running in strict mode\."):
        F.jacobian(lambda x: (x * 2, ng.ones(2)), x, strict=True, **kw)


def test_jacobian_strict_create_graph_independent():
    x = _rand(3)
    with pytest.raises(RuntimeError, match=r"The jacobian of the user-provided function is "
                       r"independent of input 0\. This is not allowed in strict mode when "
                       r"create_graph=True\."):
        F.jacobian(lambda x: x * 2, x, strict=True, create_graph=True)


def test_jacobian_uses_passed_inputs_not_captured_ones():
    x = _rand(3)
    j = F.jacobian(lambda inp: inp * x, x)  # the captured x is a constant
    assert_close(j, np.diag(x._data))


def test_jacobian_works_under_no_grad():
    x = _rand(3)
    with ng.no_grad():
        j = F.jacobian(lambda x: x ** 2, x)
    assert_close(j, np.diag(2 * x._data))


# ----- create_graph ------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"vectorize": False}, {"chunk_size": 2}, {"strict": True}],
                         ids=str)
def test_jacobian_create_graph_norm_backward_seed_001(kw):
    # seed 001: compute the norm of a jacobian and backpropagate through it
    x = _rand(3, requires_grad=True)
    j = F.jacobian(lambda x: x ** 3, x, create_graph=True, **kw)
    assert j.requires_grad
    (j * j).sum().backward()  # sum_i (3 x_i^2)^2 -> d/dx = 36 x^3
    assert_close(x.grad, 36 * x._data ** 3)


def test_jacobian_create_graph_gradient_penalty_several_outputs():
    w = _rand(2, 3, seed=1, low=-1, high=1).requires_grad_()
    x = _rand(3, seed=2)

    def penalty(w):
        jx, jw = F.jacobian(lambda x, w: ((w @ x).tanh(), (x * x).sum()), (x, w),
                            create_graph=True, chunk_size=2)[0]
        return (jx * jx).sum() + (jw * jw).sum()

    penalty(w).backward()
    want = fd_jacobian(penalty, w.detach())[0][0]
    assert_close(w.grad, want, atol=1e-6)


def test_create_graph_false_results_are_detached():
    x = _rand(3, requires_grad=True)
    assert not F.jacobian(lambda x: x ** 3, x).requires_grad
    out, g = F.vjp(lambda x: x ** 3, x, ng.ones(3, dtype=np.float64))
    assert not out.requires_grad and not g.requires_grad
    assert not F.hessian(lambda x: (x ** 3).sum(), x).requires_grad


def test_create_graph_keeps_link_to_user_graph():
    a = _rand(3, requires_grad=True)
    x = a * 2  # the jacobian's input is itself a function of a leaf
    out, g = F.vjp(lambda x: x ** 2, x, ng.ones(3, dtype=np.float64), create_graph=True)
    assert out.requires_grad and g.requires_grad
    g.sum().backward()  # g = 2 x = 4 a
    assert_close(a.grad, 4 * np.ones(3))


# ----- vjp ----------------------------------------------------------------------

def test_vjp_do_some_doubling_seed_002():
    def do_some_doubling(x):
        y = x * 2
        while ((y.data * y.data).sum() ** 0.5).item() < 1000:
            y = y * 2
        return y

    inputs = _t([0.3, -1.2, 0.8])
    v = _t([0.1, 1.0, 0.0001])
    out, g = F.vjp(do_some_doubling, inputs, v=v)
    scale = out._data[0] / inputs._data[0]
    assert scale == 2 ** round(np.log2(scale))
    assert_close(g, v._data * scale)


@pytest.mark.parametrize("name,func,make,in_tuple,out_tuple", CASES, ids=[c[0] for c in CASES])
def test_vjp_vs_finite_differences(name, func, make, in_tuple, out_tuple):
    inputs = make()
    jac = fd_jacobian(func, inputs)
    rng = np.random.default_rng(9)
    vs = tuple(_t(rng.normal(size=row[0].shape[:row[0].ndim - _tup(inputs)[0].ndim]))
               for row in jac)
    out, g = F.vjp(func, inputs, vs if out_tuple else vs[0])
    assert_same_structure(out, func(*_tup(inputs)))
    g = _tup(g) if not in_tuple else g
    assert isinstance(g, tuple) and len(g) == len(_tup(inputs))
    for j in range(len(_tup(inputs))):
        want = sum(np.tensordot(v._data, row[j], axes=v.ndim) for v, row in zip(vs, jac))
        assert_close(g[j], want)
    if not in_tuple:
        assert isinstance(F.vjp(func, inputs, vs if out_tuple else vs[0])[1], ng.Tensor)


def test_vjp_v_none_for_scalar_output():
    x = _rand(3)
    out, g = F.vjp(lambda x: (x ** 2).sum(), x)
    assert_close(out, (x._data ** 2).sum())
    assert_close(g, 2 * x._data)
    out, g = F.vjp(lambda x: (x ** 2).sum().reshape(1, 1), x)
    assert out.shape == (1, 1)


def test_vjp_errors():
    x = _rand(3)
    with pytest.raises(RuntimeError, match=r"^The vector v can only be None if the user-provided "
                       r"function returns a single Tensor with a single element\.$"):
        F.vjp(lambda x: x * 2, x)
    with pytest.raises(RuntimeError, match=r"^The given v should contain a single Tensor\.$"):
        F.vjp(lambda x: x * 2, x, (x, x))
    with pytest.raises(RuntimeError, match=r"v is a tuple of invalid length: should be 2 but "
                       r"got 1\."):
        F.vjp(lambda x: (x, x), x, (x,))
    with pytest.raises(RuntimeError, match=r"^v has invalid size: should be torch.Size\(\[3\]\) "
                       r"but got torch.Size\(\[2\]\)\.$"):
        F.vjp(lambda x: x * 2, x, _rand(2))
    with pytest.raises(RuntimeError, match=r"^Entry 1 in v has invalid size"):
        F.vjp(lambda x: (x, x), x, (x, _rand(2)))
    with pytest.raises(TypeError, match=r"The inputs given to vjp must be either a Tensor or a "
                       r"tuple of Tensors but the given inputs has type <class 'list'>\."):
        F.vjp(lambda x: x, [x])
    with pytest.raises(TypeError, match=r"but the value at index 1 has type <class 'int'>"):
        F.vjp(lambda x, y: x, (x, 1))
    with pytest.raises(TypeError, match=r"The outputs of the user-provided function given to "
                       r"vjp must be either a Tensor or a tuple of Tensors"):
        F.vjp(lambda x: [x], x, x)
    with pytest.raises(TypeError, match=r"The v given to vjp must be either a Tensor"):
        F.vjp(lambda x: x, x, [1.0, 2.0, 3.0])


def test_vjp_strict_and_unused():
    x, y = _rand(3), _rand(2, seed=1)
    out, (gx, gy) = F.vjp(lambda x, y: x * 2, (x, y), ng.ones(3, dtype=np.float64))
    assert_close(gx, 2 * np.ones(3))
    assert gy.shape == (2,) and not np.any(gy._data)
    with pytest.raises(RuntimeError, match=r"^The output of the user-provided function is "
                       r"independent of input 1\. This is not allowed in strict mode\.$"):
        F.vjp(lambda x, y: x * 2, (x, y), ng.ones(3, dtype=np.float64), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                       "require gradients"):
        F.vjp(lambda x: ng.ones(3), x, ng.ones(3), strict=True)
    with pytest.raises(RuntimeError, match=r"The jacobian of the user-provided function is "
                       r"independent of input 0\. This is not allowed in strict mode when "
                       r"create_graph=True\."):
        F.vjp(lambda x: x * 2, x, ng.ones(3, dtype=np.float64), strict=True, create_graph=True)


# ----- jvp ----------------------------------------------------------------------

@pytest.mark.parametrize("name,func,make,in_tuple,out_tuple", CASES, ids=[c[0] for c in CASES])
def test_jvp_vs_finite_differences(name, func, make, in_tuple, out_tuple):
    inputs = make()
    jac = fd_jacobian(func, inputs)
    rng = np.random.default_rng(10)
    vs = tuple(_t(rng.normal(size=x.shape)) for x in _tup(inputs))
    out, jv = F.jvp(func, inputs, vs if in_tuple else vs[0])
    assert_same_structure(out, func(*_tup(inputs)))
    jv = jv if out_tuple else (jv,)
    assert isinstance(jv, tuple) and len(jv) == len(jac)
    for i, row in enumerate(jac):
        want = sum(np.tensordot(r, v._data, axes=v.ndim) for r, v in zip(row, vs))
        assert_close(jv[i], want)
        assert not jv[i].requires_grad


def test_jvp_v_none_errors_and_strict():
    x = _t([0.7])
    out, jv = F.jvp(lambda x: (x * 3, x.exp()), x)
    assert_close(jv[0], [3.0])
    assert_close(jv[1], np.exp([0.7]))
    with pytest.raises(RuntimeError, match=r"^The vector v can only be None if the input to the "
                       r"user-provided function is a single Tensor with a single element\.$"):
        F.jvp(lambda x: x, _rand(2))
    with pytest.raises(RuntimeError, match=r"^v has invalid size"):
        F.jvp(lambda x: x, _rand(2), _rand(3))
    y = _rand(2)
    out, jv = F.jvp(lambda x, y: (x * 2, ng.ones(2)), (x, y), (x, y))
    assert_close(jv[0], 2 * x._data)
    assert not np.any(jv[1]._data)
    with pytest.raises(RuntimeError, match=r"^The output of the user-provided function is "
                       r"independent of input 1\. This is not allowed in strict mode\.$"):
        F.jvp(lambda x, y: x * 2, (x, y), (x, y), strict=True)


def test_jvp_create_graph():
    x = _rand(3, requires_grad=True)
    v = _rand(3, seed=1)
    _, jv = F.jvp(lambda x: x ** 3, x, v, create_graph=True)
    assert jv.requires_grad
    jv.sum().backward()  # sum 3 x^2 v -> 6 x v
    assert_close(x.grad, 6 * x._data * v._data)


# ----- hessian, vhp, hvp --------------------------------------------------------

def h_single(x):
    return (x.sin() * x.exp()).sum() + (x @ x.permute(1, 0)).mean()


def h_two(x, y):
    return ((x * y.reshape(2, 1)).tanh() ** 2).sum() + (y.exp() * y).sum()


def h_scalar_shape(x):
    return (x ** 3).sum().reshape(1)


HCASES = [
    ("single", h_single, lambda: _rand(2, 3), False),
    ("tuple", h_two, lambda: (_rand(2, 3, seed=1), _rand(2, seed=2)), True),
    ("one_tuple", h_single, lambda: (_rand(2, 2),), True),
    ("output_shape_1", h_scalar_shape, lambda: _rand(3), False),
]


@pytest.mark.parametrize("name,func,make,in_tuple", HCASES, ids=[c[0] for c in HCASES])
@pytest.mark.parametrize("kw", [{}, {"vectorize": False}, {"chunk_size": 2}, {"chunk_size": 1},
                                {"outer_jacobian_strategy": "forward-mode"},
                                {"outer_jacobian_strategy": "forward-mode", "chunk_size": 2},
                                {"outer_jacobian_strategy": "forward-mode", "vectorize": False}],
                         ids=str)
def test_hessian_vs_finite_differences(name, func, make, in_tuple, kw):
    inputs = make()
    res = F.hessian(func, inputs, **kw)
    want = fd_hessian(func, inputs)
    assert_jac_matches(res, want, in_tuple, in_tuple, atol=1e-5)
    # the hessian is symmetric
    for i in range(len(want)):
        for j in range(len(want)):
            a = (res if in_tuple else ((res,),))[i][j]._data
            b = (res if in_tuple else ((res,),))[j][i]._data
            n, m = int(np.prod(_tup(inputs)[i].shape)), int(np.prod(_tup(inputs)[j].shape))
            np.testing.assert_allclose(a.reshape(n, m), b.reshape(m, n).T, atol=1e-10)


def test_hessian_closed_forms():
    x = _rand(4)
    assert_close(F.hessian(lambda x: (x ** 3).sum(), x), np.diag(6 * x._data))
    a = _t(np.random.default_rng(3).normal(size=(4, 4)))
    assert_close(F.hessian(lambda x: x @ (a @ x), x), a._data + a._data.T, atol=1e-12)
    (hxx, hxy), (hyx, hyy) = F.hessian(lambda x, y: (x * y).sum(), (x, _rand(4, seed=1)))
    assert not np.any(hxx._data) and not np.any(hyy._data)
    assert_close(hxy, np.eye(4))
    assert_close(hyx, np.eye(4))


def test_hessian_strict_and_errors():
    x, y = _rand(3), _rand(2, seed=1)
    with pytest.raises(RuntimeError, match=r"^While computing the hessian, found that the "
                       r"jacobian of the user-provided function with respect to input 0 is "
                       r"independent of the input\."):
        F.hessian(lambda x: (x * 2).sum(), x, strict=True)
    with pytest.raises(RuntimeError, match=r"^Output 0 of the user-provided function is "
                       r"independent of input 1\. This is not allowed in strict mode\.$"):
        F.hessian(lambda x, y: (x ** 2).sum() + (y ** 2).sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not "
                       "require gradients"):
        F.hessian(lambda x: ng.ones(()), x, strict=True)
    with pytest.raises(RuntimeError, match=r"^The Tensor returned by the function given to "
                       r"hessian should contain a single element$"):
        F.hessian(lambda x: x ** 2, x)
    with pytest.raises(RuntimeError, match=r"^The function given to hessian should return a "
                       r"single Tensor$"):
        F.hessian(lambda x: ((x ** 2).sum(),), x)
    h = F.hessian(lambda x: (x * 2).sum(), x)
    assert h.shape == (3, 3) and not np.any(h._data)
    (hxx, hxy), (hyx, hyy) = F.hessian(lambda x, y: (x ** 3).sum(), (x, y))
    assert_close(hxx, np.diag(6 * x._data))
    assert hyy.shape == (2, 2) and hxy.shape == (3, 2) and hyx.shape == (2, 3)


def test_hessian_create_graph_third_derivative():
    x = _rand(3, requires_grad=True)
    h = F.hessian(lambda x: (x ** 4).sum(), x, create_graph=True)
    assert h.requires_grad
    assert_close(h, np.diag(12 * x._data ** 2))
    h.sum().backward()  # sum 12 x^2 -> 24 x
    assert_close(x.grad, 24 * x._data)


def test_hessian_create_graph_chunked_and_rows_equal():
    x = _rand(2, 2)
    ref = F.hessian(h_single, x)
    for kw in ({"chunk_size": 3}, {"vectorize": False}):
        got = F.hessian(h_single, x, create_graph=True, **kw)
        assert got.requires_grad
        assert_close(got, ref._data, atol=1e-12)


@pytest.mark.parametrize("fn", ["vhp", "hvp"])
@pytest.mark.parametrize("name,func,make,in_tuple", HCASES, ids=[c[0] for c in HCASES])
def test_vhp_hvp_vs_hessian(fn, name, func, make, in_tuple):
    inputs = make()
    hess = fd_hessian(func, inputs)
    rng = np.random.default_rng(11)
    vs = tuple(_t(rng.normal(size=x.shape)) for x in _tup(inputs))
    out, res = getattr(F, fn)(func, inputs, vs if in_tuple else vs[0])
    assert isinstance(out, ng.Tensor)
    assert_close(out, func(*_tup(inputs))._data)
    res = res if in_tuple else (res,)
    assert isinstance(res, tuple) and len(res) == len(vs)
    for j in range(len(_tup(inputs))):
        # H is symmetric: (v^T H)_j = (H v)_j = sum_i H[j][i] . v_i
        want = sum(np.tensordot(hess[j][i], v._data, axes=v.ndim) for i, v in enumerate(vs))
        assert_close(res[j], want, atol=1e-5)
        assert not res[j].requires_grad


@pytest.mark.parametrize("fn", ["vhp", "hvp"])
def test_vhp_hvp_errors_strict_create_graph(fn):
    f = getattr(F, fn)
    x, y = _rand(3), _rand(2, seed=1)
    with pytest.raises(RuntimeError, match=rf"^The function given to {fn} should return a single "
                       r"Tensor$"):
        f(lambda x: ((x ** 2).sum(),), x, x)
    with pytest.raises(RuntimeError, match=rf"^The Tensor returned by the function given to {fn} "
                       r"should contain a single element$"):
        f(lambda x: x ** 2, x, x)
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the "
                       "user-provided function is a single Tensor with a single element."):
        f(lambda x: (x ** 2).sum(), x)
    out, r = f(lambda x: (x ** 3).sum(), _t([2.0]))
    assert_close(r, [12.0])
    out, r = f(lambda x: (x ** 3).sum(), _t([2.0]), strict=True)  # hvp's other strategy
    assert_close(r, [12.0])
    _, (rx, ry) = f(lambda x, y: (x ** 2 * y.sum()).sum(), (x, y), (x, y), strict=True)
    assert_close(rx, 2 * x._data * y._data.sum() + 2 * x._data * y._data.sum())
    assert_close(ry, np.full(2, 2 * (x._data * x._data).sum()))
    out, (rx, ry) = f(lambda x, y: (x ** 3).sum(), (x, y), (x, y))
    assert_close(rx, 6 * x._data ** 2)
    assert ry.shape == (2,) and not np.any(ry._data)
    with pytest.raises(RuntimeError, match="While computing the hessian, found that the jacobian "
                       "of the user-provided function with respect to input 0 is independent"):
        f(lambda x: (x * 2).sum(), x, x, strict=True)
    xr = _rand(3, requires_grad=True)
    _, r = f(lambda x: (x ** 4).sum(), xr, ng.ones(3, dtype=np.float64), create_graph=True)
    assert r.requires_grad
    r.sum().backward()  # sum 12 x^2 -> 24 x
    assert_close(xr.grad, 24 * xr._data)


def _cube_function(with_needs_check: bool):
    class Cube(ng.autograd.Function):  # backward only, no jvp
        @staticmethod
        def forward(ctx, x, k):
            ctx.save_for_backward(x)
            ctx.k = k
            return x ** 3 * k, x.sin()

        @staticmethod
        def backward(ctx, g1, g2):
            x, = ctx.saved_tensors
            if with_needs_check and not ctx.needs_input_grad[0]:
                return None, None
            return g1 * 3 * x ** 2 * ctx.k + g2 * x.cos(), None
    return Cube


@pytest.mark.parametrize("with_needs_check", [False, True])
def test_jvp_hvp_of_function_without_jvp_use_its_backward(with_needs_check):
    """PyTorch computes functional jvp / hvp by double backward, so they work for a
    Function with backward only; numgrad derives the Function's tangent from backward."""
    Cube = _cube_function(with_needs_check)
    x, v = _t([0.5, 2.0]), _t([1.0, -0.5])

    def f(x):
        return Cube.apply(x, 2.0)
    _, (t1, t2) = F.jvp(f, x, v)
    assert_close(t1, 6 * x._data ** 2 * v._data)
    assert_close(t2, np.cos(x._data) * v._data)
    assert not t1.requires_grad

    def s(x):
        a, b = Cube.apply(x, 2.0)
        return (a * b).sum()
    _, hv = F.hvp(s, x, v)
    assert_close(hv, fd_hessian(s, x)[0][0] @ v._data, 1e-5)
    _, hv_strict = F.hvp(s, x, v, strict=True)
    assert_close(hv_strict, hv._data)
    xr = _t([0.5, 2.0], requires_grad=True)
    _, hv = F.hvp(lambda x: Cube.apply(x, 1.0)[0].sum(), xr, v, create_graph=True)
    hv.sum().backward()  # d/dx sum(6 x v) = 6 v
    assert_close(xr.grad, 6 * v._data)
    # plain forward mode keeps PyTorch's error
    with fwAD.dual_level():
        with pytest.raises(NotImplementedError, match="You must implement the jvp function"):
            f(fwAD.make_dual(x, v))


def test_jvp_hvp_accept_integer_v():
    x = _t([1.0, 2.0])
    _, t = F.jvp(lambda x: x * 2, x, ng.tensor([1, 1]))
    assert t.dtype == ng.float64
    assert_close(t, [2.0, 2.0])
    _, hv = F.hvp(lambda x: (x ** 3).sum(), x, ng.tensor([1, 0]))
    assert_close(hv, [6.0, 0.0])


# ----- strategy / argument validation ---------------------------------------------

def test_strategy_and_chunk_size_validation():
    x = _rand(3)
    with pytest.raises(RuntimeError, match=r"^torch\.autograd\.functional\.jacobian: "
                       r"`strict=True` and `strategy=\"forward-mode\"` are not supported together"):
        F.jacobian(lambda x: x, x, strategy="forward-mode", strict=True)
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or '
                       '"reverse-mode"'):
        F.jacobian(lambda x: x, x, strategy="sideways")
    with pytest.raises(AssertionError, match="Expected strategy"):
        F.hessian(lambda x: (x ** 2).sum(), x, outer_jacobian_strategy="sideways")
    with pytest.raises(ValueError, match="chunk_size"):
        F.jacobian(lambda x: x, x, chunk_size=0)
    with pytest.raises(TypeError, match="The inputs given to jacobian must be either a Tensor"):
        F.jacobian(lambda x: x, [x])
    with pytest.raises(TypeError, match="The inputs given to hessian must be either a Tensor"):
        F.hessian(lambda x: x, 3.0)


def test_forward_mode_jacobian_dtype_unused_input_and_create_graph():
    x = _rand(3, requires_grad=True)
    y = _rand(2, seed=1)
    jx, jy = F.jacobian(lambda x, y: (x ** 3).float(), (x, y), strategy="forward-mode")
    assert jx.dtype == np.float32 and jy.dtype == np.float32  # the output's dtype (PyTorch)
    assert_close(jx, np.diag(3 * x._data ** 2), atol=1e-5)
    assert jy.shape == (3, 2) and not np.any(jy._data)
    j = F.jacobian(lambda x: x ** 3, x, strategy="forward-mode", create_graph=True)
    assert j.requires_grad
    j.sum().backward()  # sum 3 x^2 -> 6 x
    assert_close(x.grad, 6 * x._data)
    h = F.hessian(lambda x: (x ** 4).sum(), x, create_graph=True,
                  outer_jacobian_strategy="forward-mode")
    assert_close(h, np.diag(12 * x._data ** 2))
    assert h.requires_grad


def test_jacobian_compositions_give_the_hessian():
    """forward-over-forward (nested levels, both batched), forward-over-reverse and
    reverse-over-forward all agree with the hessian."""
    x = _rand(3)

    def f(x):
        return (x.sin() * x.exp()).sum()

    def inner_fwd(x):
        return F.jacobian(f, x, strategy="forward-mode", create_graph=True)

    def inner_rev(x):
        return F.jacobian(f, x, create_graph=True)

    want = F.hessian(f, x)._data
    for inner, outer in [(inner_fwd, "forward-mode"), (inner_rev, "forward-mode"),
                         (inner_fwd, "reverse-mode")]:
        assert_close(F.jacobian(inner, x, strategy=outer), want, atol=1e-12)


def test_public_names():
    assert set(F.__all__) == {"vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"}


# ----- PyTorch as a reference (optional) ----------------------------------------------

def test_matches_torch_reference():
    torch = pytest.importorskip("torch")
    torch_f = torch.autograd.functional
    rng = np.random.default_rng(12)
    xa, ya = rng.uniform(0.5, 1.5, size=(2, 3)), rng.uniform(0.5, 1.5, size=2)

    def fn():
        return lambda x, y: ((x * y.reshape(2, 1)).tanh(), (x.exp() * 2).sum() + (y ** 3).sum())

    def both(call, **kw):
        mine = call(F, ng.tensor(xa), ng.tensor(ya), **kw)
        ref = call(torch_f, torch.tensor(xa), torch.tensor(ya), **kw)
        _compare(mine, ref)

    def _compare(m, r):
        if isinstance(r, torch.Tensor):
            assert isinstance(m, ng.Tensor) and tuple(r.shape) == m.shape
            np.testing.assert_allclose(m._data, r.detach().numpy(), rtol=1e-10, atol=1e-12)
        else:
            assert isinstance(m, tuple) and len(m) == len(r)
            for a, b in zip(m, r):
                _compare(a, b)

    both(lambda M, x, y: M.jacobian(fn(), (x, y)))
    both(lambda M, x, y: M.jacobian(lambda x: fn()(x, y)[0], x))
    both(lambda M, x, y: M.hessian(lambda x, y: fn()(x, y)[1], (x, y)))
    both(lambda M, x, y: M.hessian(lambda x: fn()(x, y)[1], x))
    both(lambda M, x, y: M.vjp(fn(), (x, y), (x * 0 + 1, y.sum() * 0 + 2)))
    both(lambda M, x, y: M.jvp(fn(), (x, y), (x, y)))
    both(lambda M, x, y: M.hvp(lambda x, y: fn()(x, y)[1], (x, y), (x, y)))
    both(lambda M, x, y: M.vhp(lambda x: fn()(x, y)[1], x, x))
