"""Logical, bitwise, float-classification and rounded-division ops (PyTorch's semantics),
checked against numpy."""
from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import numgrad as ng
from numgrad.autograd import forward_ad as fwAD
from numgrad.autograd import gradcheck, gradgradcheck

DTYPES = ["float32", "float64", "int64", "int32", "bool"]
SHAPES = [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,)), ((3,), ()), ((), ())]
FLOATS = [0.0, -0.0, 1.5, -2.5, 3.0, -7.0, 0.1, 1e-20, math.inf, -math.inf, math.nan]
INTS = [0, 1, -1, 3, -3, 7, -7, 100]


def _sample(rng, dtype, shape, nonzero=False):
    if dtype == "bool":
        a = rng.integers(0, 2, shape).astype(bool)
        return np.ones(shape, bool) if nonzero else a
    a = rng.choice(FLOATS if dtype.startswith("float") else INTS, shape).astype(dtype)
    if nonzero:
        a[a == 0] = 2
    return a


def _result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """PyTorch's promotion: the higher kind (bool < int < float) wins as is; within a kind
    a 0-d tensor does not widen a dimensioned one."""
    ka, kb = "bif".index(a.dtype.kind), "bif".index(b.dtype.kind)
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return a.dtype if a.ndim else b.dtype
    return np.promote_types(a.dtype, b.dtype)


def _check(got: ng.Tensor, want: np.ndarray, dtype=None):
    assert isinstance(got, ng.Tensor) and not got.requires_grad
    assert got.dtype == (want.dtype if dtype is None else dtype)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


# ---------------------------------------------------------------- one input

PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "isposinf": np.isposinf,
              "isneginf": np.isneginf, "logical_not": np.logical_not}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(PREDICATES))
def test_predicates_match_numpy(name, dtype):
    rng = np.random.default_rng(0)
    for shape in [(2, 5), (), (0,)]:
        a = _sample(rng, dtype, shape)
        _check(getattr(ng, name)(ng.tensor(a)), PREDICATES[name](a))
        _check(getattr(ng.tensor(a), name)(), PREDICATES[name](a))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_bitwise_not_and_invert(dtype):
    a = _sample(np.random.default_rng(1), dtype, (3, 4))
    _check(ng.bitwise_not(ng.tensor(a)), np.invert(a))
    _check(~ng.tensor(a), np.invert(a))
    _check(~ng.tensor(a[0, 0]), np.invert(a[0, 0:1]).reshape(()))


def test_one_input_errors():
    f = ng.tensor([1.5, -2.0])
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented on integer and Boolean"):
        ~f
    with pytest.raises(NotImplementedError, match="\"bitwise_not_cpu\" not implemented for 'Float'"):
        ng.bitwise_not(f)
    with pytest.raises(TypeError, match=r"isnan\(\): argument 'input' \(position 1\) must be Tensor, not float"):
        ng.isnan(2.0)


def test_results_do_not_require_grad():
    x = ng.tensor([1.0, math.nan, -math.inf], requires_grad=True)
    for name in PREDICATES:
        assert not getattr(ng, name)(x).requires_grad
    for fn in (ng.logical_and, ng.logical_or, ng.logical_xor, ng.floor_divide):
        assert not fn(x, x * 2).requires_grad


# ---------------------------------------------------------------- two inputs

LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or, "logical_xor": np.logical_xor}
BITWISE = {"bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or, "bitwise_xor": np.bitwise_xor}
DIVISION = {"floor_divide": np.floor_divide, "remainder": np.remainder, "fmod": np.fmod}
OPERATORS = {"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^", "floor_divide": "//",
             "remainder": "%"}


def _pairs():
    for da in DTYPES:
        for db in DTYPES:
            for sa, sb in SHAPES:
                yield da, db, sa, sb


@pytest.mark.parametrize("name", sorted(LOGICAL))
def test_logical_ops_match_numpy(name):
    rng = np.random.default_rng(2)
    for da, db, sa, sb in _pairs():
        a, b = _sample(rng, da, sa), _sample(rng, db, sb)
        _check(getattr(ng, name)(ng.tensor(a), ng.tensor(b)), LOGICAL[name](a, b))
        _check(getattr(ng.tensor(a), name)(ng.tensor(b)), LOGICAL[name](a, b))


@pytest.mark.parametrize("name", sorted(BITWISE))
def test_bitwise_ops_match_numpy(name):
    rng = np.random.default_rng(3)
    op = OPERATORS[name]
    for da, db, sa, sb in _pairs():
        if "float" in da + db:
            continue
        a, b = _sample(rng, da, sa), _sample(rng, db, sb)
        dt = _result_dtype(a, b)
        want = BITWISE[name](a.astype(dt), b.astype(dt))
        _check(getattr(ng, name)(ng.tensor(a), ng.tensor(b)), want, dt)
        _check(eval(f"x {op} y", {"x": ng.tensor(a), "y": ng.tensor(b)}), want, dt)


@pytest.mark.parametrize("name", sorted(DIVISION))
def test_rounded_division_matches_numpy(name):
    rng = np.random.default_rng(4)
    for da, db, sa, sb in _pairs():
        if da == db == "bool":
            continue
        a, b = _sample(rng, da, sa), _sample(rng, db, sb, nonzero=True)
        dt = _result_dtype(a, b)
        with np.errstate(all="ignore"):
            want = DIVISION[name](a.astype(dt), b.astype(dt))
        _check(getattr(ng, name)(ng.tensor(a), ng.tensor(b)), want, dt)
        if name in OPERATORS:
            _check(eval(f"x {OPERATORS[name]} y", {"x": ng.tensor(a), "y": ng.tensor(b)}), want, dt)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("name", sorted(DIVISION))
def test_rounded_division_large_arrays_with_a_scalar_operand(name, dtype):
    # 5000 elements and a 0-d divisor: the vectorizing scalar-operand loop
    a = (np.random.default_rng(5).standard_normal(5000) * 100).astype(dtype)
    for b in (np.asarray(3, dtype), np.asarray(-3, dtype)):
        with np.errstate(all="ignore"):
            _check(getattr(ng, name)(ng.tensor(a), ng.tensor(b)), DIVISION[name](a, b))


def test_remainder_and_fmod_signs():
    a = ng.tensor([5.0, -5.0, 5.0, -5.0, -4.0, 4.0])
    b = ng.tensor([3.0, 3.0, -3.0, -3.0, 2.0, -2.0])
    np.testing.assert_array_equal(ng.remainder(a, b).numpy(), [2, 1, -1, -2, 0, 0])
    np.testing.assert_array_equal(ng.fmod(a, b).numpy(), [2, -2, 2, -2, 0, 0])
    # a zero result keeps the dividend's sign (fmod's), as in PyTorch
    assert list(np.signbit(ng.remainder(a, b).numpy()[4:])) == [True, False]
    assert list(np.signbit(ng.fmod(a, b).numpy()[4:])) == [True, False]
    i = ng.tensor([7, -7, 7, -7])
    j = ng.tensor([2, 2, -2, -2])
    np.testing.assert_array_equal((i % j).numpy(), [1, 1, -1, -1])
    np.testing.assert_array_equal(ng.fmod(i, j).numpy(), [1, -1, 1, -1])
    np.testing.assert_array_equal((i // j).numpy(), [3, -4, -4, 3])


def test_float_division_edge_values():
    a = ng.tensor([5.0, -5.0, 0.0, 1.0, math.inf, 3.0])
    b = ng.tensor([0.0, 0.0, 0.0, 0.1, 2.0, math.inf])
    np.testing.assert_array_equal((a // b).numpy(), [math.inf, -math.inf, math.nan, 9.0, math.nan, 0.0])
    one_mod_tenth = np.fmod(np.float32(1.0), np.float32(0.1))
    np.testing.assert_array_equal((a % b).numpy(), [math.nan] * 3 + [one_mod_tenth, math.nan, 3.0])


def test_python_scalars_and_reflected_operators():
    i = ng.tensor([3, -4, 7])
    b = ng.tensor([True, False, True])
    _check(i & 2, np.array([2, 0, 2]))
    _check(2 | i, np.array([3, -2, 7]))
    _check(1 ^ b, np.array([0, 1, 0]))
    _check(True & b, np.array([True, False, True]))
    _check(b | False, np.array([True, False, True]))
    _check(i // 2, np.array([1, -2, 3]))
    _check(7 // i, np.array([2, -2, 1]))
    _check(7 % i, np.array([1, -1, 0]))
    _check(i % 2.5, np.array([0.5, 1.0, 2.0], np.float32))
    _check(7.5 // i, np.array([2.0, -2.0, 1.0], np.float32))
    _check(ng.remainder(2, i), np.array([2, -2, 2]))
    _check(ng.bitwise_and(i, True), np.array([1, 0, 1]))
    _check(ng.tensor([1.5, -2.5]) // 2, np.array([0.0, -2.0], np.float32))


def test_in_place_operators():
    b = ng.tensor([True, False, True])
    c = b
    c &= ng.tensor([False, True, True])
    c |= ng.tensor([False, True, False])
    c ^= True
    assert c is b
    _check(b, np.array([True, False, False]))
    i = ng.tensor([3, -4, 7])
    j = i
    j &= ng.tensor([15, 15, 3])
    j |= b
    j ^= 6
    j //= 2
    j %= -4
    assert j is i
    _check(i, np.array([-2, -3, -2]))
    x = ng.tensor([1.5, -2.0, 0.0])
    x.logical_and_(ng.tensor([1, 1, 1]))
    _check(x, np.array([1.0, 1.0, 0.0], np.float32))


def test_two_input_errors():
    f, i, b = ng.tensor([1.5, -2.0]), ng.tensor([1, 0]), ng.tensor([True, False])
    with pytest.raises(NotImplementedError, match="\"bitwise_and_cpu\" not implemented for 'Float'"):
        f & i
    with pytest.raises(NotImplementedError, match="\"bitwise_xor_cpu\" not implemented for 'Float'"):
        i ^ 2.5
    with pytest.raises(NotImplementedError, match="\"div_floor_cpu\" not implemented for 'Bool'"):
        b // b
    with pytest.raises(NotImplementedError, match="\"remainder_cpu\" not implemented for 'Bool'"):
        b % b
    with pytest.raises(NotImplementedError, match="\"fmod_cpu\" not implemented for 'Bool'"):
        ng.fmod(b, b)
    for fn in (ng.floor_divide, ng.remainder, ng.fmod):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn(ng.tensor([3, 4]), i)
    with pytest.raises(TypeError, match=r"logical_and\(\): argument 'other' \(position 2\) must be Tensor, not int"):
        ng.logical_and(i, 1)
    with pytest.raises(TypeError, match=r"logical_or\(\): argument 'input' \(position 1\) must be Tensor, not int"):
        ng.logical_or(1, i)
    with pytest.raises(TypeError, match=r"fmod\(\): argument 'input'"):
        ng.fmod(2, i)
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output type Bool"):
        b &= i
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i %= 2.5
    with pytest.raises(RuntimeError, match="The size of tensor a"):
        ng.logical_and(ng.ones(2), ng.ones(3))


def test_functions_and_methods_are_bound():
    names = list(PREDICATES) + list(LOGICAL) + list(BITWISE) + list(DIVISION) + ["bitwise_not"]
    for name in names:
        assert callable(getattr(ng, name)) and callable(getattr(ng.Tensor, name))
    for name in set(names) - set(PREDICATES) | {"logical_not"}:
        assert callable(getattr(ng.Tensor, name + "_"))


# ---------------------------------------------------------------- gradients


def _quotient_pair(rng, shape_a=(2, 3), shape_b=(3,)):
    """(a, b) with a / b at least 0.2 away from an integer: remainder and fmod are smooth there."""
    b = rng.uniform(0.5, 2.0, shape_b) * rng.choice([-1, 1], shape_b)
    q = rng.integers(-3, 4, np.broadcast_shapes(shape_a, shape_b)) + rng.uniform(0.2, 0.8)
    return ng.tensor(q * b, requires_grad=True), ng.tensor(b, requires_grad=True)


@pytest.mark.parametrize("name,rounding", [("remainder", np.floor), ("fmod", np.trunc)])
def test_remainder_fmod_gradients(name, rounding):
    fn = getattr(ng, name)
    a, b = _quotient_pair(np.random.default_rng(6))
    out = fn(a, b)
    assert out.requires_grad
    g = np.random.default_rng(7).standard_normal(out.shape)
    ga, gb = ng.autograd.grad(out, (a, b), ng.tensor(g))
    np.testing.assert_allclose(ga.numpy(), g)
    np.testing.assert_allclose(gb.numpy(), (-g * rounding(a.detach().numpy() / b.detach().numpy())).sum(0))
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))
    with fwAD.dual_level():
        ta, tb = np.ones(a.shape), np.full(b.shape, 0.5)
        y = fn(fwAD.make_dual(a.detach(), ng.tensor(ta)), fwAD.make_dual(b.detach(), ng.tensor(tb)))
        want = ta - tb * rounding(a.detach().numpy() / b.detach().numpy())
        np.testing.assert_allclose(fwAD.unpack_dual(y).tangent.numpy(), want)


def test_remainder_with_a_scalar_and_in_place():
    x = ng.tensor([1.5, -2.5, 4.0], requires_grad=True)
    (x % 2 * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    assert x.dtype == ng.float32 and x.grad.dtype == ng.float32
    x.grad = None
    y = x * 2
    y %= 1.5
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.remainder(x.detach().numpy() * 2, 1.5))


def test_in_place_constant_values_cut_the_old_gradient():
    # floor_divide_ / logical_and_ / copy_ of a plain tensor make a value constant in the graph:
    # the old value gets a zero gradient (not the gradient of the value it replaced)
    x = ng.tensor([1.5, 2.0, -3.0], requires_grad=True)
    for update in (lambda y: y.floor_divide_(2), lambda y: y.logical_and_(ng.tensor([1.0, 0.0, 1.0])),
                   lambda y: y.copy_(ng.zeros(3)), lambda y: y.fill_(4.0), lambda y: y.zero_()):
        y = x * 2
        update(y)
        assert y.requires_grad
        (y * 2).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
        x.grad = None
    y = x * math.inf
    y.fill_(3.0)  # no 0 * inf: the filled value is exact
    np.testing.assert_array_equal(y.detach().numpy(), [3.0, 3.0, 3.0])


# ---------------------------------------------------------------- bool subtraction and negation

# PyTorch's messages (checked against torch in test_bool_subtraction_and_negation_against_torch)
SUB_TWO_BOOLS = ("Subtraction, the `-` operator, with two bool tensors is not supported. "
                 "Use the `^` or `logical_xor()` operator instead.")
SUB_ONE_BOOL = ("Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
            "invert a mask, use the `~` or `logical_not()` operator instead.")


def _operands(m):
    """A bool, an integer and a float tensor of module `m` (numgrad or torch)."""
    return m.tensor([True, False]), m.tensor([1, 2]), m.tensor([1.0, 2.0])


# (call on module m and _operands(m), PyTorch's message); a Python bool is a bool operand, a
# numpy bool scalar a number; the bool checks come before the size check
BOOL_SUB_NEG = [
    (lambda m, b, i, f: b - b, SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.sub(b, b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b.sub(b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.sub(b, b, alpha=2), SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.sub(b, b, out=m.empty(2, dtype=m.int64)), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b.clone().sub_(b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: operator.isub(b.clone(), b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b.clone().sub_(True), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b - True, SUB_TWO_BOOLS),
    (lambda m, b, i, f: False - b, SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.sub(True, b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b - m.tensor(True), SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.rsub(b, b), SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.rsub(b, True), SUB_TWO_BOOLS),
    (lambda m, b, i, f: m.zeros(0, dtype=m.bool) - m.zeros(0, dtype=m.bool), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b - m.tensor([True, False, True]), SUB_TWO_BOOLS),
    (lambda m, b, i, f: b - 1, SUB_ONE_BOOL),
    (lambda m, b, i, f: 1 - b, SUB_ONE_BOOL),
    (lambda m, b, i, f: b - 1.5, SUB_ONE_BOOL),
    (lambda m, b, i, f: 1.5 - b, SUB_ONE_BOOL),
    (lambda m, b, i, f: b - np.True_, SUB_ONE_BOOL),
    (lambda m, b, i, f: b - i, SUB_ONE_BOOL),
    (lambda m, b, i, f: i - b, SUB_ONE_BOOL),
    (lambda m, b, i, f: b - f, SUB_ONE_BOOL),
    (lambda m, b, i, f: f - b, SUB_ONE_BOOL),
    (lambda m, b, i, f: f.requires_grad_() - b, SUB_ONE_BOOL),
    (lambda m, b, i, f: f - True, SUB_ONE_BOOL),
    (lambda m, b, i, f: True - i, SUB_ONE_BOOL),
    (lambda m, b, i, f: b - m.tensor(1), SUB_ONE_BOOL),
    (lambda m, b, i, f: m.sub(b, f, alpha=2), SUB_ONE_BOOL),
    (lambda m, b, i, f: m.sub(f, True, alpha=2), SUB_ONE_BOOL),
    (lambda m, b, i, f: f.sub_(b), SUB_ONE_BOOL),
    (lambda m, b, i, f: operator.isub(f, b), SUB_ONE_BOOL),
    (lambda m, b, i, f: f.sub_(True), SUB_ONE_BOOL),
    (lambda m, b, i, f: i.sub_(b), SUB_ONE_BOOL),
    (lambda m, b, i, f: b.sub_(i), SUB_ONE_BOOL),
    (lambda m, b, i, f: b.sub_(1), SUB_ONE_BOOL),
    (lambda m, b, i, f: m.rsub(b, 1), SUB_ONE_BOOL),
    (lambda m, b, i, f: m.rsub(f, True), SUB_ONE_BOOL),
    (lambda m, b, i, f: m.rsub(b, f), SUB_ONE_BOOL),
    (lambda m, b, i, f: b - m.tensor([1, 2, 3]), SUB_ONE_BOOL),
    (lambda m, b, i, f: -b, NEG_BOOL),
    (lambda m, b, i, f: m.neg(b), NEG_BOOL),
    (lambda m, b, i, f: b.neg(), NEG_BOOL),
    (lambda m, b, i, f: b.neg_(), NEG_BOOL),
    (lambda m, b, i, f: -m.tensor(True), NEG_BOOL),
    (lambda m, b, i, f: -m.zeros(0, dtype=m.bool), NEG_BOOL),
]

# (call, result, dtype): subtraction and negation without a bool operand
SUB_NEG_VALID = [
    (lambda m, b, i, f: f - f, [0.0, 0.0], "float32"),
    (lambda m, b, i, f: i - i, [0, 0], "int64"),
    (lambda m, b, i, f: f - i, [0.0, 0.0], "float32"),
    (lambda m, b, i, f: i - 1.5, [-0.5, 0.5], "float32"),
    (lambda m, b, i, f: 3 - i, [2, 1], "int64"),
    (lambda m, b, i, f: f - np.True_, [0.0, 1.0], "float32"),
    (lambda m, b, i, f: np.True_ - f, [0.0, -1.0], "float32"),
    (lambda m, b, i, f: m.sub(f, i, alpha=2), [-1.0, -2.0], "float32"),
    (lambda m, b, i, f: m.rsub(i, 5, alpha=2), [3, 1], "int64"),
    (lambda m, b, i, f: f.sub_(1.0), [0.0, 1.0], "float32"),
    (lambda m, b, i, f: i.sub_(f.int()), [0, 0], "int64"),
    (lambda m, b, i, f: -i, [-1, -2], "int64"),
    (lambda m, b, i, f: m.neg(f), [-1.0, -2.0], "float32"),
    (lambda m, b, i, f: i.neg_(), [-1, -2], "int64"),
    (lambda m, b, i, f: b + b, [True, False], "bool"),
    (lambda m, b, i, f: b ^ True, [False, True], "bool"),
    (lambda m, b, i, f: ~b, [False, True], "bool"),
]


@pytest.mark.parametrize("k", range(len(BOOL_SUB_NEG)))
def test_bool_subtraction_and_negation_refused(k):
    fn, msg = BOOL_SUB_NEG[k]
    b, i, f = _operands(ng)
    before = [t.tolist() for t in (b, i, f)]
    with pytest.raises(RuntimeError) as info:
        fn(ng, b, i, f)
    assert str(info.value) == msg
    assert [t.tolist() for t in (b, i, f)] == before  # an in-place form wrote nothing


@pytest.mark.parametrize("k", range(len(SUB_NEG_VALID)))
def test_subtraction_and_negation_without_bools(k):
    fn, want, dtype = SUB_NEG_VALID[k]
    got = fn(ng, *_operands(ng))
    assert got.tolist() == want and got.dtype == getattr(ng, dtype)


def test_subtraction_and_negation_gradients_unchanged():
    rng = np.random.default_rng(0)
    a = ng.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    c = ng.tensor(rng.standard_normal(3), requires_grad=True)
    fn = lambda a, c: (a - c, ng.sub(a, c, alpha=-1.5), 2.0 - a, ng.rsub(c, a, alpha=3), -a)  # noqa: E731
    assert gradcheck(fn, (a, c), check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, (a, c))


def test_bool_subtraction_and_negation_against_torch():
    torch = pytest.importorskip("torch")
    for fn, msg in BOOL_SUB_NEG:
        with pytest.raises(RuntimeError) as info:
            fn(torch, *_operands(torch))
        assert str(info.value) == msg
    for fn, want, dtype in SUB_NEG_VALID:
        got = fn(torch, *_operands(torch))
        assert got.tolist() == want and got.dtype == getattr(torch, dtype)
