"""Elementwise ops: scalar formula, derivative rules and public function, one block per op.

Each op is registered from a scalar formula (a plain function of scalars that
Numba compiles per dtype); the vjp/jvp rules use numgrad ops, so they are
differentiable to any order and accept batched cotangents/tangents.
"""
from __future__ import annotations

import math

import numpy as np

from numgrad._tensor import Tensor, apply
from numgrad.oplib._util import binary_args, unbroadcast
from numgrad.ops.registry import elementwise, primitive

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "tanh_backward",
           "eq", "ne", "lt", "le", "gt", "ge", "where", "to_dtype", "floor", "trunc"]
# functions that are also Tensor methods
METHODS = ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "eq", "ne", "lt",
           "le", "gt", "ge", "floor", "trunc")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "floor", "trunc")

# ---------------------------------------------------------------- binary


def _add(a, b):
    return a + b


ADD = elementwise(
    "add", _add,
    vjp=lambda ctx, g: (unbroadcast(ctx, g, 0), unbroadcast(ctx, g, 1)),
    jvp=lambda ctx, ta, tb: _tangent_sum(ta, tb, lambda t: t, lambda t: t))


def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = binary_args(input, other)
    return apply(ADD, (a, b))


def _sub(a, b):
    return a - b


SUB = elementwise(
    "sub", _sub,
    vjp=lambda ctx, g: (unbroadcast(ctx, g, 0), unbroadcast(ctx, neg(g), 1)),
    jvp=lambda ctx, ta, tb: _tangent_sum(ta, tb, lambda t: t, neg))


def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    a, b = binary_args(input, other)
    return apply(SUB, (a, b))


def _mul(a, b):
    return a * b


MUL = elementwise(
    "mul", _mul, save=(0, 1),
    vjp=lambda ctx, g: (
        unbroadcast(ctx, mul(g, ctx.saved[1]), 0) if ctx.needs_input_grad[0] else None,
        unbroadcast(ctx, mul(g, ctx.saved[0]), 1) if ctx.needs_input_grad[1] else None),
    jvp=lambda ctx, ta, tb: _tangent_sum(ta, tb, lambda t: mul(t, ctx.saved[1]),
                                         lambda t: mul(t, ctx.saved[0])))


def mul(input, other) -> Tensor:
    """input * other, broadcasting."""
    a, b = binary_args(input, other)
    return apply(MUL, (a, b))


def _div(a, b):
    return a / b


def _div_vjp(ctx, g):
    a, b = ctx.saved
    ga = unbroadcast(ctx, div(g, b), 0) if ctx.needs_input_grad[0] else None
    gb = unbroadcast(ctx, neg(div(mul(g, a), mul(b, b))), 1) if ctx.needs_input_grad[1] else None
    return ga, gb


DIV = elementwise(
    "div", _div, save=(0, 1), vjp=_div_vjp,
    jvp=lambda ctx, ta, tb: _tangent_sum(
        ta, tb, lambda t: div(t, ctx.saved[1]),
        lambda t: neg(div(mul(t, ctx.saved[0]), mul(ctx.saved[1], ctx.saved[1])))))


def div(input, other, *, rounding_mode=None) -> Tensor:
    """input / other (true division), broadcasting."""
    a, b = binary_args(input, other)
    if a.dtype.kind != "f":
        from numgrad import _dtype
        a, b = to_dtype(a, _dtype.get_default_dtype()), to_dtype(b, _dtype.get_default_dtype())
    out = apply(DIV, (a, b))
    if rounding_mode == "floor":
        return floor(out)
    if rounding_mode == "trunc":
        return trunc(out)
    return out


def _pow(a, b):
    return a ** b


def _pow_vjp(ctx, g):
    a, b = ctx.saved
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = unbroadcast(ctx, mul(g, mul(b, pow(a, sub(b, 1)))), 0)
    if ctx.needs_input_grad[1]:
        # d/db a**b = a**b * log(a); 0 where a == 0 (PyTorch's convention)
        safe = where(eq(a, 0), 1, a)
        gb = unbroadcast(ctx, mul(g, mul(pow(a, b), log(safe))), 1)
    return ga, gb


POW = elementwise("pow", _pow, save=(0, 1), vjp=_pow_vjp)


def pow(input, exponent) -> Tensor:
    """input ** exponent, broadcasting."""
    a, b = binary_args(input, exponent)
    return apply(POW, (a, b))


def _tangent_sum(ta, tb, fa, fb):
    """Output tangent of a binary op: fa(ta) + fb(tb), skipping absent tangents."""
    if ta is None:
        return fb(tb)
    if tb is None:
        return fa(ta)
    return add(fa(ta), fb(tb))


# ---------------------------------------------------------------- unary


def unary(name, scalar, vjp, *, save=(0,), save_output=False, scalar_f32=None, jvp=None):
    """Register a one-input elementwise op and return (op, public function)."""
    op = elementwise(name, scalar, vjp, jvp, save=save, save_output=save_output,
                     scalar_f32=scalar_f32)

    def fn(input: Tensor) -> Tensor:
        return apply(op, (input,))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}."
    return op, fn


def _neg(x):
    return -x


NEG, neg = unary("neg", _neg, lambda ctx, g: neg(g), save=())


def _exp(x):
    return math.exp(x)


EXP, exp = unary("exp", _exp, lambda ctx, g: mul(g, ctx.output), save=(), save_output=True)


def _log(x):
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


LOG, log = unary("log", _log, lambda ctx, g: div(g, ctx.saved[0]))


def _sin(x):
    return math.sin(x)


SIN, sin = unary("sin", _sin, lambda ctx, g: mul(g, cos(ctx.saved[0])))


def _cos(x):
    return math.cos(x)


COS, cos = unary("cos", _cos, lambda ctx, g: neg(mul(g, sin(ctx.saved[0]))))


def _tanh(x):
    return math.tanh(x)


def _tanh_f32(x):
    # rational approximation (as in Eigen): vectorizes, float32-accurate (<3e-7 abs error)
    x = min(max(x, np.float32(-7.9053111)), np.float32(7.9053111))
    x2 = x * x
    p = np.float32(-2.76076847742355e-16)
    p = p * x2 + np.float32(2.00018790482477e-13)
    p = p * x2 + np.float32(-8.60467152213735e-11)
    p = p * x2 + np.float32(5.12229709037114e-08)
    p = p * x2 + np.float32(1.48572235717979e-05)
    p = p * x2 + np.float32(6.37261928875436e-04)
    p = p * x2 + np.float32(4.89352455891786e-03)
    q = np.float32(1.19825839466702e-06)
    q = q * x2 + np.float32(1.18534705686654e-04)
    q = q * x2 + np.float32(2.26843463243900e-03)
    q = q * x2 + np.float32(4.89352518554385e-03)
    return x * p / q


TANH, tanh = unary("tanh", _tanh, lambda ctx, g: tanh_backward(g, ctx.output), save=(),
                   save_output=True, scalar_f32=_tanh_f32)


def _tanh_backward(g, y):
    return g * (1 - y * y)


def _tanh_backward_vjp(ctx, gg):
    g, y = ctx.saved
    gg_g = unbroadcast(ctx, tanh_backward(gg, y), 0) if ctx.needs_input_grad[0] else None
    gg_y = unbroadcast(ctx, mul(mul(gg, g), mul(y, -2.0)), 1) if ctx.needs_input_grad[1] else None
    return gg_g, gg_y


TANH_BACKWARD = elementwise("tanh_backward", _tanh_backward, _tanh_backward_vjp, save=(0, 1))


def tanh_backward(grad: Tensor, output: Tensor) -> Tensor:
    """grad * (1 - output**2) in one fused pass (the derivative of tanh)."""
    a, b = binary_args(grad, output)
    return apply(TANH_BACKWARD, (a, b))


# ---------------------------------------------------------------- comparisons (not differentiable)


def _comparison(name, scalar):
    op = elementwise(name, scalar, differentiable=False)

    def fn(input, other) -> Tensor:
        a, b = binary_args(input, other)
        return Tensor._make(op.kernel(a.device, a.dtype, 2, np.bool_)(a._data, b._data))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise comparison `{name}` (bool result, not differentiable)."
    return op, fn


def _eq(a, b):
    return a == b


def _ne(a, b):
    return a != b


def _lt(a, b):
    return a < b


def _le(a, b):
    return a <= b


def _gt(a, b):
    return a > b


def _ge(a, b):
    return a >= b


EQ, eq = _comparison("eq", _eq)
NE, ne = _comparison("ne", _ne)
LT, lt = _comparison("lt", _lt)
LE, le = _comparison("le", _le)
GT, gt = _comparison("gt", _gt)
GE, ge = _comparison("ge", _ge)


# ---------------------------------------------------------------- selection


def _where_cpu(op, cond, a, b):
    return np.where(cond, a, b)


def _where_vjp(ctx, g):
    cond = ctx.saved[0]
    zero = Tensor._make(np.zeros((), dtype=g.dtype))
    ga = unbroadcast(ctx, where(cond, g, zero), 1) if ctx.needs_input_grad[1] else None
    gb = unbroadcast(ctx, where(cond, zero, g), 2) if ctx.needs_input_grad[2] else None
    return None, ga, gb


WHERE = primitive("where", _where_cpu, _where_vjp, save=(0,))


def where(condition, input, other) -> Tensor:
    """Elements of `input` where `condition`, else of `other` (broadcasting)."""
    from numgrad._tensor import as_tensor
    cond = condition if isinstance(condition, Tensor) else as_tensor(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {cond.dtype}")
    a, b = binary_args(input, other)
    return apply(WHERE, (cond, a, b))


# ---------------------------------------------------------------- dtype conversion


def _to_dtype_cpu(op, x, dtype, src):
    return x.astype(dtype)


def _to_dtype_vjp(ctx, g):
    return to_dtype(g, ctx.params["src"]) if ctx.params["src"].kind == "f" else None


TO_DTYPE = primitive("to_dtype", _to_dtype_cpu, _to_dtype_vjp, node_name="ToCopyBackward0",
                     jvp=lambda ctx, t: to_dtype(t, ctx.params["dtype"]))


def to_dtype(x: Tensor, dtype) -> Tensor:
    """`x` converted to `dtype` (differentiable between float dtypes)."""
    dtype = np.dtype(dtype)
    if x._data.dtype == dtype:
        return x
    out = apply(TO_DTYPE, (x,), {"dtype": dtype, "src": x._data.dtype})
    if dtype.kind != "f" and out._requires_grad:
        out = out.detach()
    return out


def _floor(x):
    return math.floor(x)


def _trunc(x):
    return math.trunc(x)


FLOOR = elementwise("floor", _floor, lambda ctx, g: mul(g, 0.0))
TRUNC = elementwise("trunc", _trunc, lambda ctx, g: mul(g, 0.0))


def floor(x: Tensor) -> Tensor:
    """Elementwise floor (gradient zero)."""
    return apply(FLOOR, (x,))


def trunc(x: Tensor) -> Tensor:
    """Elementwise truncation toward zero (gradient zero)."""
    return apply(TRUNC, (x,))
