"""Elementwise ops: scalar formula, derivative rules and public function, one block per op.

Each op is registered from a scalar formula (a plain function of scalars that
Numba compiles per dtype); the vjp/jvp rules use numgrad ops, so they are
differentiable to any order and accept batched cotangents/tangents.

Fused backward ops (sigmoid_backward, threshold_backward, softplus_backward,
log_sigmoid_backward, clamp_backward, maximum_backward, tanh_backward) compute
a derivative in one pass and are registered ops with their own rules, so
higher-order derivatives go through them too.
"""
from __future__ import annotations

import builtins
import math
import warnings

import numba
import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, _check_device, apply, apply_out, as_tensor, scalar_array, tensor
from numgrad.kernels import vmath
from numgrad.oplib._util import binary_args, check_broadcast, unbroadcast
from numgrad.oplib.shape import _int_tuple, clone, expand, reshape
from numgrad.ops.registry import elementwise, primitive

__all__ = ["allclose", "isclose", "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "tanh_backward",
           "eq", "ne", "lt", "le", "gt", "ge", "where", "to_dtype", "floor", "trunc",
           "exp2", "log2", "log1p", "expm1", "sqrt", "rsqrt", "square", "abs", "absolute", "sign",
           "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh",
           "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh",
           "sigmoid", "relu", "leaky_relu", "softplus", "logsigmoid", "erf", "erfc", "lgamma", "digamma", "polygamma",
           "clamp", "clamp_min", "clamp_max", "clip", "maximum", "minimum",
           "isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not", "logical_and",
           "logical_or", "logical_xor", "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "floor_divide", "remainder", "fmod", "ceil", "round", "frac", "reciprocal", "hypot",
           "copysign", "xlogy", "logaddexp", "logit", "lerp", "addcmul", "addcdiv", "erfinv", "igamma",
           "nan_to_num"]
_MATH_METHODS = ("exp2", "log2", "log1p", "expm1", "sqrt", "rsqrt", "square", "abs", "absolute", "sign",
               "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh", "atanh",
               "arcsin", "arccos", "arctan", "arctan2", "arcsinh", "arccosh", "arctanh",
               "sigmoid", "relu", "erf", "erfc", "lgamma", "digamma", "polygamma",
               "clamp", "clamp_min", "clamp_max", "clip", "ceil", "round", "frac", "reciprocal", "hypot",
               "copysign", "xlogy", "lerp", "addcmul", "addcdiv", "logit", "erfinv", "igamma",
               "nan_to_num")
# bool/integer ops and rounded division: methods with in-place variants
_LOGICAL_METHODS = ("logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_not", "bitwise_and",
                    "bitwise_or", "bitwise_xor", "floor_divide", "remainder", "fmod")
# functions that are also Tensor methods
METHODS = ("allclose", "isclose", "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "eq", "ne", "lt",
           "le", "gt", "ge", "floor", "trunc", "maximum", "minimum", "isnan", "isinf", "isfinite",
           "isposinf", "isneginf", "logaddexp", "type_as", "new_zeros", "new_ones", "new_empty", "new_full",
           "new_tensor") + _MATH_METHODS + _LOGICAL_METHODS
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ("add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sin", "cos", "tanh", "floor",
           "trunc") + _MATH_METHODS + _LOGICAL_METHODS

# ---------------------------------------------------------------- rule helpers


def _align(ctx, t: Tensor, i: int) -> Tensor:
    """Tangent `t` of input `i` (with leading batch dims) broadcast to the output shape."""
    shape, out = ctx.in_shapes[i], ctx.out_shape
    if shape == out:
        return t
    tshape = t._data.shape
    lead = tshape[:len(tshape) - len(shape)]
    if len(out) > len(shape):
        t = reshape(t, lead + (1,) * (len(out) - len(shape)) + shape)
    return expand(t, lead + out)


def _jvp_sum(ctx, tangents, *fns) -> Tensor | None:
    """Output tangent sum_i fns[i](tangent_i), tangents aligned to the output
    shape first; absent (None) tangents are zero and so are inputs whose rule
    is missing from `fns` (the op is constant in them)."""
    out = None
    for i, (t, f) in enumerate(zip(tangents, fns)):
        if t is None or f is None:
            continue
        term = f(_align(ctx, t, i))
        out = term if out is None else add(out, term)
    return out if out is not None else _zero_jvp(ctx, *tangents)


def _zeros_grad(ctx, g: Tensor, i: int) -> Tensor:
    """A zero cotangent for input `i` (keeping `g`'s leading batch dims)."""
    lead = g.shape[:g.ndim - len(ctx.out_shape)]
    return Tensor._make(np.zeros(lead + ctx.in_shapes[i], dtype=g.dtype), device=g.device)


def _zeros_tangent(ctx, t: Tensor, i: int) -> Tensor:
    """A zero output tangent (keeping tangent `t` of input `i`'s batch dims)."""
    lead = t.shape[:t.ndim - len(ctx.in_shapes[i])]
    return Tensor._make(np.zeros(lead + ctx.out_shape, dtype=t.dtype), device=t.device)


def _zero_jvp(ctx, *tangents):
    for i, t in enumerate(tangents):
        if t is not None:
            return _zeros_tangent(ctx, t, i)
    return None


def _scalar(value, like: Tensor) -> Tensor:
    """A Python number as a 0-d tensor of `like`'s dtype and device (a cached array)."""
    return Tensor._make(scalar_array(value, like._data.dtype), device=like._device)


def _floating(x: Tensor) -> Tensor:
    """`x`, converted to the default float dtype if integer or bool (PyTorch promotion)."""
    return x if x._data.dtype.kind == "f" else to_dtype(x, _dtype.get_default_dtype())


def _tensor_args(name: str, input, other) -> tuple[Tensor, Tensor]:
    """binary_args for ops that take two tensors (PyTorch's TypeError for a number)."""
    _check_tensor(name, input)
    _check_tensor(name, other, "other", 2)
    return binary_args(input, other)


def _check_tensor(name: str, x, arg: str = "input", position: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, "
                        f"not {type(x).__name__}")


def _check_kind(kernel: str, x: Tensor, kinds: str) -> None:
    """PyTorch's error for a dtype (of a kind not in `kinds`) that `kernel` has no loop for."""
    if x._data.dtype.kind not in kinds:
        raise NotImplementedError(
            f'"{kernel}_cpu" not implemented for \'{_dtype.torch_name(x._data.dtype)}\'')


# ---------------------------------------------------------------- binary


def _three_args(grad, a, b) -> tuple[Tensor, Tensor, Tensor]:
    """The operands of a fused three-input derivative op, with one dtype."""
    g, a = binary_args(grad, a)
    a, b = binary_args(a, b)
    if g._data.dtype != a._data.dtype:
        g, a = binary_args(g, a)
        a, b = binary_args(a, b)
    return g, a, b


def _add(a, b):
    return a + b


ADD = elementwise(
    "add", _add,
    vjp=lambda ctx, g: (unbroadcast(ctx, g, 0) if ctx.needs_input_grad[0] else None,
                        unbroadcast(ctx, g, 1) if ctx.needs_input_grad[1] else None),
    jvp=lambda ctx, ta, tb: _jvp_sum(ctx, (ta, tb), lambda t: t, lambda t: t))


def add(input, other, *, alpha=1, out: Tensor | None = None) -> Tensor:
    """input + alpha * other, broadcasting; `out`: write the result there (no autograd)."""
    a, b = binary_args(input, other)
    if alpha != 1:
        inputs = (a, b, _scalar(alpha, a))
        return apply(ADD_SCALED, inputs) if out is None else apply_out(ADD_SCALED, inputs, out)
    return apply(ADD, (a, b)) if out is None else apply_out(ADD, (a, b), out)


def _add_scaled(a, b, alpha):
    return a + alpha * b


# add/sub with alpha in one pass (optimizer updates: p.sub_(grad, alpha=lr))
ADD_SCALED = elementwise(
    "add_scaled", _add_scaled, save=(2,), node_name="AddBackward0",
    vjp=lambda ctx, g: (unbroadcast(ctx, g, 0) if ctx.needs_input_grad[0] else None,
                        unbroadcast(ctx, mul(g, ctx.saved[2]), 1) if ctx.needs_input_grad[1] else None,
                        None),
    jvp=lambda ctx, ta, tb, talpha: _jvp_sum(ctx, (ta, tb), lambda t: t,
                                             lambda t: mul(t, ctx.saved[2])))


def _sub(a, b):
    return a - b


SUB = elementwise(
    "sub", _sub,
    vjp=lambda ctx, g: (unbroadcast(ctx, g, 0) if ctx.needs_input_grad[0] else None,
                        unbroadcast(ctx, neg(g), 1) if ctx.needs_input_grad[1] else None),
    jvp=lambda ctx, ta, tb: _jvp_sum(ctx, (ta, tb), lambda t: t, neg))


def sub(input, other, *, alpha=1, out: Tensor | None = None) -> Tensor:
    """input - alpha * other, broadcasting; `out`: write the result there (no autograd)."""
    try:
        a, b = binary_args(input, other)
    except RuntimeError:  # a size mismatch: PyTorch reports a bool operand first
        _check_sub_bool(input, other)
        raise
    # a bool operand leaves a bool result or was converted (a Python bool wrapped, a bool
    # tensor promoted): the operands' own dtypes are read only for a converted one
    if (a._data.dtype.kind == "b" or (a is not input and _is_bool(input))
            or (b is not other and _is_bool(other))):
        _check_sub_bool(input, other)
    if alpha != 1:
        inputs = (a, b, _scalar(-alpha, a))
        return apply(ADD_SCALED, inputs) if out is None else apply_out(ADD_SCALED, inputs, out)
    return apply(SUB, (a, b)) if out is None else apply_out(SUB, (a, b), out)


def _is_bool(x) -> bool:
    # a numpy bool scalar counts as a number, as in PyTorch
    return x.__class__ is bool or (isinstance(x, Tensor) and x._data.dtype.kind == "b")


def _check_sub_bool(input, other) -> None:
    """PyTorch's errors for subtraction with a bool tensor or a Python bool operand."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


def _mul(a, b):
    return a * b


MUL = elementwise(
    "mul", _mul, save=((0, 1), (1, 0)),
    vjp=lambda ctx, g: (
        unbroadcast(ctx, mul(g, ctx.saved[1]), 0) if ctx.needs_input_grad[0] else None,
        unbroadcast(ctx, mul(g, ctx.saved[0]), 1) if ctx.needs_input_grad[1] else None),
    jvp=lambda ctx, ta, tb: _jvp_sum(ctx, (ta, tb), lambda t: mul(t, ctx.saved[1]),
                                     lambda t: mul(t, ctx.saved[0])))


def mul(input, other, *, out: Tensor | None = None) -> Tensor:
    """input * other, broadcasting; `out`: write the result there (no autograd)."""
    a, b = binary_args(input, other)
    return apply(MUL, (a, b)) if out is None else apply_out(MUL, (a, b), out)


def _div(a, b):
    return a / b


def _div_vjp(ctx, g):
    a, b = ctx.saved
    ga = unbroadcast(ctx, div(g, b), 0) if ctx.needs_input_grad[0] else None
    gb = unbroadcast(ctx, div_backward_other(g, a, b), 1) if ctx.needs_input_grad[1] else None
    return ga, gb


DIV = elementwise(
    "div", _div, save=((0, 1), 1), vjp=_div_vjp,
    jvp=lambda ctx, ta, tb: _jvp_sum(
        ctx, (ta, tb), lambda t: div(t, ctx.saved[1]),
        lambda t: div_backward_other(t, ctx.saved[0], ctx.saved[1])))


# (a / b) / b, not a / (b * b): b * b underflows to 0 for tiny b (PyTorch's order too)
def _div_backward_other(g, a, b):
    return -(g * ((a / b) / b))


def _div_backward_other_db(g, a, b):
    """d/db of -g a / b**2 = 2 g a / b**3."""
    return mul(mul(g, 2.0), div(div(div(a, b), b), b))


def _div_backward_other_vjp(ctx, gg):
    g, a, b = ctx.saved
    need = ctx.needs_input_grad
    # linear in g and in a: the same op maps their cotangents
    gg_g = unbroadcast(ctx, div_backward_other(gg, a, b), 0) if need[0] else None
    gg_a = unbroadcast(ctx, div_backward_other(g, gg, b), 1) if need[1] else None
    gg_b = unbroadcast(ctx, mul(gg, _div_backward_other_db(g, a, b)), 2) if need[2] else None
    return gg_g, gg_a, gg_b


# -g * a / b**2 in one kernel: the gradient of a / b in b (the ppl models divide a lot)
DIV_BACKWARD_OTHER = elementwise(
    "div_backward_other", _div_backward_other, _div_backward_other_vjp, save=(0, 1, 2),
    jvp=lambda ctx, tg, ta, tb: _jvp_sum(
        ctx, (tg, ta, tb), lambda t: div_backward_other(t, ctx.saved[1], ctx.saved[2]),
        lambda t: div_backward_other(ctx.saved[0], t, ctx.saved[2]),
        lambda t: mul(t, _div_backward_other_db(*ctx.saved))))


def div_backward_other(grad: Tensor, input: Tensor, other: Tensor) -> Tensor:
    """-grad * input / other**2 in one pass (the derivative of input / other in other)."""
    return apply(DIV_BACKWARD_OTHER, _three_args(grad, input, other))


def div(input, other, *, rounding_mode=None, out: Tensor | None = None) -> Tensor:
    """input / other (true division), broadcasting; rounding_mode "floor" or "trunc"
    rounds the quotient; `out`: write the result there (no autograd)."""
    if rounding_mode not in (None, "floor", "trunc"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    a, b = binary_args(input, other)
    if a.dtype.kind != "f":
        a, b = to_dtype(a, _dtype.get_default_dtype()), to_dtype(b, _dtype.get_default_dtype())
    res = apply(DIV, (a, b)) if out is None else apply_out(DIV, (a, b), out)
    if rounding_mode is None:
        return res
    rnd = FLOOR if rounding_mode == "floor" else TRUNC
    return apply(rnd, (res,)) if out is None else apply_out(rnd, (res,), out)


def _pow(a, b):
    # small integer powers as multiplies, not the (slow) general power function
    if b == 2:
        return a * a
    if b == 1:
        return a
    if b == 3:
        return a * a * a
    return a ** b


def _dpow_db(a, b):
    # a**b * log(a); 0 where a == 0 (PyTorch's convention)
    return mul(pow(a, b), log(where(eq(a, 0), 1, a)))


def _pow_vjp(ctx, g):
    a, b = ctx.saved
    ga = unbroadcast(ctx, pow_backward(g, a, b), 0) if ctx.needs_input_grad[0] else None
    gb = unbroadcast(ctx, mul(g, _dpow_db(a, b)), 1) if ctx.needs_input_grad[1] else None
    return ga, gb


POW = elementwise(
    "pow", _pow, save=(0, 1), vjp=_pow_vjp,
    jvp=lambda ctx, ta, tb: _jvp_sum(ctx, (ta, tb), lambda t: pow_backward(t, *ctx.saved),
                                     lambda t: mul(t, _dpow_db(*ctx.saved))))


def pow(input, exponent) -> Tensor:
    """input ** exponent, broadcasting."""
    a, b = binary_args(input, exponent)
    return apply(POW, (a, b))


def _pow_backward(g, a, b):
    # d/da a**b = b * a**(b - 1); 0 where b == 0 (PyTorch masks it: no 0 * inf)
    if b == 0:
        return 0.0
    if b == 2:
        return g * 2 * a
    if b == 1:
        return g  # a**0 is 1 for every a, inf and nan included
    if b == 3:
        return g * 3 * (a * a)
    return g * b * a ** (b - 1)


def _pow_backward_vjp(ctx, gg):
    g, a, b = ctx.saved
    need = ctx.needs_input_grad
    gg_g = unbroadcast(ctx, pow_backward(gg, a, b), 0) if need[0] else None
    # d/da (b a**(b-1)) = b * [(b-1) a**(b-2)], the inner factor being pow_backward at b - 1
    gg_a = unbroadcast(ctx, mul(b, pow_backward(mul(gg, g), a, sub(b, 1))), 1) if need[1] else None
    gg_b = (unbroadcast(ctx, mul(mul(gg, g), add(pow(a, sub(b, 1)), mul(b, _dpow_db(a, sub(b, 1))))), 2)
            if need[2] else None)
    return gg_g, gg_a, gg_b


# g * b * a**(b-1) in one kernel: pow's backward is a single op
POW_BACKWARD = elementwise(
    "pow_backward", _pow_backward, _pow_backward_vjp, save=(0, 1, 2),
    jvp=lambda ctx, tg, ta, tb: _jvp_sum(
        ctx, (tg, ta, tb), lambda t: pow_backward(t, *ctx.saved[1:]),
        lambda t: mul(ctx.saved[2], pow_backward(mul(t, ctx.saved[0]), ctx.saved[1], sub(ctx.saved[2], 1))),
        lambda t: mul(mul(t, ctx.saved[0]), add(pow(ctx.saved[1], sub(ctx.saved[2], 1)),
                                                mul(ctx.saved[2], _dpow_db(ctx.saved[1], sub(ctx.saved[2], 1)))))))


def pow_backward(grad: Tensor, input: Tensor, exponent: Tensor) -> Tensor:
    """grad * exponent * input**(exponent - 1) in one pass (the derivative of pow in its base)."""
    return apply(POW_BACKWARD, _three_args(grad, input, exponent))


def _atan2(a, b):
    return math.atan2(a, b)


def _atan2_vjp(ctx, g):
    a, b = ctx.saved
    r2 = add(mul(a, a), mul(b, b))
    ga = unbroadcast(ctx, mul(g, div(b, r2)), 0) if ctx.needs_input_grad[0] else None
    gb = unbroadcast(ctx, mul(g, div(neg(a), r2)), 1) if ctx.needs_input_grad[1] else None
    return ga, gb


def _atan2_jvp(ctx, ta, tb):
    a, b = ctx.saved
    r2 = add(mul(a, a), mul(b, b))
    return _jvp_sum(ctx, (ta, tb), lambda t: mul(t, div(b, r2)), lambda t: mul(t, div(neg(a), r2)))


ATAN2 = elementwise("atan2", _atan2, _atan2_vjp, _atan2_jvp, save=(0, 1))


def atan2(input, other) -> Tensor:
    """Elementwise arctangent of input / other, with the quadrant from both signs."""
    a, b = binary_args(input, other)
    a, b = _floating(a), _floating(b)
    return apply(ATAN2, (a, b))


def _maximum(a, b):
    # NaN propagates from either side, as in PyTorch
    return a if (a > b or a != a) else b


def _minimum(a, b):
    return a if (a < b or a != a) else b


def _maximum_backward(g, a, b):
    # gradient share of `a` in max(a, b): all of it, half on ties, none if smaller
    if a < b:
        return 0.0
    if a == b:
        return g * 0.5
    return g


def _maximum_backward_vjp(ctx, gg):
    g, a, b = ctx.saved
    return (unbroadcast(ctx, maximum_backward(gg, a, b), 0) if ctx.needs_input_grad[0] else None,
            _zeros_grad(ctx, gg, 1) if ctx.needs_input_grad[1] else None,
            _zeros_grad(ctx, gg, 2) if ctx.needs_input_grad[2] else None)


MAXIMUM_BACKWARD = elementwise(
    "maximum_backward", _maximum_backward, _maximum_backward_vjp, save=(0, 1, 2),
    jvp=lambda ctx, tg, ta, tb: _jvp_sum(ctx, (tg,), lambda t: maximum_backward(t, *ctx.saved[1:])))


def maximum_backward(grad: Tensor, a: Tensor, b: Tensor) -> Tensor:
    """The part of `grad` that flows to `a` through max(a, b) (half of it on ties)."""
    return apply(MAXIMUM_BACKWARD, (grad, a, b))


def _max_min_vjp(first, second):
    def vjp(ctx, g):
        a, b = ctx.saved
        return (unbroadcast(ctx, maximum_backward(g, first(a, b), second(a, b)), 0)
                if ctx.needs_input_grad[0] else None,
                unbroadcast(ctx, maximum_backward(g, second(a, b), first(a, b)), 1)
                if ctx.needs_input_grad[1] else None)

    def jvp(ctx, ta, tb):
        a, b = ctx.saved
        return _jvp_sum(ctx, (ta, tb), lambda t: maximum_backward(t, first(a, b), second(a, b)),
                        lambda t: maximum_backward(t, second(a, b), first(a, b)))
    return vjp, jvp


# minimum's gradient is maximum's with the operands swapped
MAXIMUM = elementwise("maximum", _maximum, *_max_min_vjp(lambda a, b: a, lambda a, b: b), save=(0, 1))
MINIMUM = elementwise("minimum", _minimum, *_max_min_vjp(lambda a, b: b, lambda a, b: a), save=(0, 1))


def maximum(input, other) -> Tensor:
    """Elementwise maximum (NaN propagates; ties split the gradient evenly)."""
    a, b = binary_args(input, other)
    return apply(MAXIMUM, (a, b))


def minimum(input, other) -> Tensor:
    """Elementwise minimum (NaN propagates; ties split the gradient evenly)."""
    a, b = binary_args(input, other)
    return apply(MINIMUM, (a, b))


# ---------------------------------------------------------------- unary


def unary(name, scalar, vjp, *, save=(0,), save_output=False, scalar_f32=None, jvp=None,
          floating=True, cpu_numpy=None):
    """Register a one-input elementwise op and return (op, public function).

    For a one-input elementwise op the jvp is the vjp (multiplication by the
    diagonal jacobian), so `jvp` defaults to `vjp`. `floating`: integer inputs
    are converted to the default float dtype first (as PyTorch does for exp, sin...).
    """
    op = elementwise(name, scalar, vjp, jvp if jvp is not None else vjp, save=save,
                     save_output=save_output, scalar_f32=scalar_f32, cpu_numpy=cpu_numpy)

    def fn(input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            _check_tensor(name, input)
        if floating and input._data.dtype.kind != "f":
            input = _floating(input)
        return apply(op, (input,))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}."
    return op, fn


def _neg(x):
    return -x


NEG, _ = unary("neg", _neg, lambda ctx, g: neg(g), save=(), floating=False)


def neg(input: Tensor) -> Tensor:
    """Elementwise negation (PyTorch refuses bool tensors)."""
    if not isinstance(input, Tensor):
        _check_tensor("neg", input)
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return apply(NEG, (input,))


def _exp(x):
    return math.exp(x)


EXP, exp = unary("exp", _exp, lambda ctx, g: mul(g, ctx.output), save=(), save_output=True,
                 cpu_numpy=np.exp)


def _exp2(x):
    return 2.0 ** x


EXP2, exp2 = unary("exp2", _exp2, lambda ctx, g: mul(g, mul(ctx.output, math.log(2.0))), save=(),
                   save_output=True, cpu_numpy=np.exp2)


def _expm1(x):
    return math.expm1(x)


EXPM1, expm1 = unary("expm1", _expm1, lambda ctx, g: mul(g, add(ctx.output, 1.0)), save=(),
                     save_output=True, cpu_numpy=np.expm1)


def _log(x):
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


LOG, log = unary("log", _log, lambda ctx, g: div(g, ctx.saved[0]), cpu_numpy=np.log)


def _log2(x):
    return math.log2(x) if x > 0 else (-math.inf if x == 0 else math.nan)


LOG2, log2 = unary("log2", _log2, lambda ctx, g: div(g, mul(ctx.saved[0], math.log(2.0))),
                   cpu_numpy=np.log2)


def _log1p(x):
    return math.log1p(x) if x > -1 else (-math.inf if x == -1 else math.nan)


LOG1P, log1p = unary("log1p", _log1p, lambda ctx, g: div(g, add(ctx.saved[0], 1.0)),
                     cpu_numpy=np.log1p)


def _sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


SQRT, sqrt = unary("sqrt", _sqrt, lambda ctx, g: div(g, mul(ctx.output, 2.0)), save=(),
                   save_output=True)


def _rsqrt(x):
    return 1.0 / math.sqrt(x) if x >= 0 else math.nan


def _rsqrt_rule(ctx, g):
    y = ctx.output
    return mul(g, mul(mul(y, mul(y, y)), -0.5))


RSQRT, rsqrt = unary("rsqrt", _rsqrt, _rsqrt_rule, save=(), save_output=True)


def _square(x):
    return x * x


SQUARE, square = unary("square", _square, lambda ctx, g: mul(g, mul(ctx.saved[0], 2.0)),
                       floating=False)


_builtin_abs = abs  # the module's `abs` below is the tensor op


def _abs(x):
    return _builtin_abs(x)


# abs'(0) = sign(0) = 0, PyTorch's subgradient choice
ABS, abs = unary("abs", _abs, lambda ctx, g: mul(g, sign(ctx.saved[0])), floating=False)
absolute = abs


def _sign(x):
    # NaN -> 0, as PyTorch
    return 1 if x > 0 else (-1 if x < 0 else 0)


SIGN, sign = unary("sign", _sign, lambda ctx, g: _zeros_grad(ctx, g, 0), save=(), floating=False)


def _sin(x):
    return math.sin(x)


SIN, sin = unary("sin", _sin, lambda ctx, g: sin_backward(g, ctx.saved[0]),
                 jvp=lambda ctx, t: mul(t, cos(ctx.saved[0])), cpu_numpy=np.sin)


def _sin_backward(g, x):
    return g * math.cos(x)


def _sin_backward_vjp(ctx, gg):
    g, x = ctx.saved
    gg_g = unbroadcast(ctx, sin_backward(gg, x), 0) if ctx.needs_input_grad[0] else None
    gg_x = unbroadcast(ctx, neg(mul(mul(gg, g), sin(x))), 1) if ctx.needs_input_grad[1] else None
    return gg_g, gg_x


# g * cos(x) in one kernel: sin's backward is then a single op (small-tensor chains are
# dominated by per-op overhead)
SIN_BACKWARD = elementwise(
    "sin_backward", _sin_backward, _sin_backward_vjp, save=(0, 1),
    jvp=lambda ctx, tg, tx: _jvp_sum(
        ctx, (tg, tx), lambda t: sin_backward(t, ctx.saved[1]),
        lambda t: neg(mul(t, mul(ctx.saved[0], sin(ctx.saved[1]))))))


def sin_backward(grad: Tensor, input: Tensor) -> Tensor:
    """grad * cos(input) in one fused pass (the derivative of sin)."""
    a, b = binary_args(grad, input)
    return apply(SIN_BACKWARD, (a, b))


def _cos(x):
    return math.cos(x)


COS, cos = unary("cos", _cos, lambda ctx, g: neg(mul(g, sin(ctx.saved[0]))), cpu_numpy=np.cos)


def _tan(x):
    return math.tan(x)


TAN, tan = unary("tan", _tan, lambda ctx, g: mul(g, add(square(ctx.output), 1.0)), save=(),
                 save_output=True, cpu_numpy=np.tan)


def _asin(x):
    return math.asin(x) if -1 <= x <= 1 else math.nan


def _one_minus_sq(x):
    return sub(1.0, square(x))


ASIN, asin = unary("asin", _asin, lambda ctx, g: mul(g, rsqrt(_one_minus_sq(ctx.saved[0]))),
                   cpu_numpy=np.arcsin)


def _acos(x):
    return math.acos(x) if -1 <= x <= 1 else math.nan


ACOS, acos = unary("acos", _acos, lambda ctx, g: neg(mul(g, rsqrt(_one_minus_sq(ctx.saved[0])))),
                   cpu_numpy=np.arccos)


def _atan(x):
    return math.atan(x)


ATAN, atan = unary("atan", _atan, lambda ctx, g: div(g, add(square(ctx.saved[0]), 1.0)),
                   cpu_numpy=np.arctan)


def _sinh(x):
    return math.sinh(x)


SINH, sinh = unary("sinh", _sinh, lambda ctx, g: mul(g, cosh(ctx.saved[0])), cpu_numpy=np.sinh)


def _cosh(x):
    return math.cosh(x)


COSH, cosh = unary("cosh", _cosh, lambda ctx, g: mul(g, sinh(ctx.saved[0])), cpu_numpy=np.cosh)


def _asinh(x):
    return math.asinh(x)


ASINH, asinh = unary("asinh", _asinh, lambda ctx, g: mul(g, rsqrt(add(square(ctx.saved[0]), 1.0))),
                     cpu_numpy=np.arcsinh)


def _acosh(x):
    return math.acosh(x) if x >= 1 else math.nan


ACOSH, acosh = unary("acosh", _acosh, lambda ctx, g: mul(g, rsqrt(sub(square(ctx.saved[0]), 1.0))),
                     cpu_numpy=np.arccosh)


def _atanh(x):
    if -1 < x < 1:
        return math.atanh(x)
    if x == 1:
        return math.inf
    return -math.inf if x == -1 else math.nan


ATANH, atanh = unary("atanh", _atanh, lambda ctx, g: div(g, _one_minus_sq(ctx.saved[0])),
                     cpu_numpy=np.arctanh)

arcsin, arccos, arctan, arctan2 = asin, acos, atan, atan2
arcsinh, arccosh, arctanh = asinh, acosh, atanh


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
                   save_output=True, scalar_f32=_tanh_f32, cpu_numpy=np.tanh)


def _tanh_backward(g, y):
    return g * (1 - y * y)


def _tanh_backward_vjp(ctx, gg):
    g, y = ctx.saved
    gg_g = unbroadcast(ctx, tanh_backward(gg, y), 0) if ctx.needs_input_grad[0] else None
    gg_y = unbroadcast(ctx, mul(mul(gg, g), mul(y, -2.0)), 1) if ctx.needs_input_grad[1] else None
    return gg_g, gg_y


TANH_BACKWARD = elementwise(
    "tanh_backward", _tanh_backward, _tanh_backward_vjp, save=(0, 1),
    jvp=lambda ctx, tg, ty: _jvp_sum(ctx, (tg, ty), lambda t: tanh_backward(t, ctx.saved[1]),
                                     lambda t: mul(t, mul(ctx.saved[0], mul(ctx.saved[1], -2.0)))))


def tanh_backward(grad: Tensor, output: Tensor) -> Tensor:
    """grad * (1 - output**2) in one fused pass (the derivative of tanh)."""
    a, b = binary_args(grad, output)
    return apply(TANH_BACKWARD, (a, b))


# ---------------------------------------------------------------- activations


def _sigmoid(x):
    # exp of -|x| never overflows; one exp call and a select (not two branches) keeps the loop fast
    e = vmath.exp(-math.fabs(x))
    r = 1.0 / (1.0 + e)
    return r if x >= 0 else e * r


def _sigmoid_f32(x):
    # float32 constants: a Python float would widen the whole formula to float64
    e = vmath.exp(np.float32(-math.fabs(x)))
    r = np.float32(1.0) / (np.float32(1.0) + e)
    return r if x >= 0 else e * r


# callable from the scalar formulas of the fused softplus / logsigmoid backward ops
_sigmoid_jit = numba.njit(cache=True)(_sigmoid)

SIGMOID, sigmoid = unary("sigmoid", _sigmoid, lambda ctx, g: sigmoid_backward(g, ctx.output), save=(),
                         save_output=True, scalar_f32=_sigmoid_f32)


def _sigmoid_backward(g, y):
    return g * (y - y * y)


def _sigmoid_backward_vjp(ctx, gg):
    g, y = ctx.saved
    gg_g = unbroadcast(ctx, sigmoid_backward(gg, y), 0) if ctx.needs_input_grad[0] else None
    gg_y = (unbroadcast(ctx, mul(mul(gg, g), sub(1.0, mul(y, 2.0))), 1)
            if ctx.needs_input_grad[1] else None)
    return gg_g, gg_y


SIGMOID_BACKWARD = elementwise(
    "sigmoid_backward", _sigmoid_backward, _sigmoid_backward_vjp, save=(0, 1),
    jvp=lambda ctx, tg, ty: _jvp_sum(
        ctx, (tg, ty), lambda t: sigmoid_backward(t, ctx.saved[1]),
        lambda t: mul(t, mul(ctx.saved[0], sub(1.0, mul(ctx.saved[1], 2.0))))))


def sigmoid_backward(grad: Tensor, output: Tensor) -> Tensor:
    """grad * output * (1 - output) in one fused pass (the derivative of sigmoid)."""
    a, b = binary_args(grad, output)
    return apply(SIGMOID_BACKWARD, (a, b))


def _relu(x):
    # NaN passes through, as in PyTorch
    return 0 if x <= 0 else x


RELU, relu = unary("relu", _relu, lambda ctx, g: threshold_backward(g, ctx.output), save=(),
                   save_output=True, floating=False)


def _threshold_backward(g, y):
    return 0 if y <= 0 else g


def _threshold_backward_vjp(ctx, gg):
    # linear in g; the step mask in y has zero derivative
    return (unbroadcast(ctx, threshold_backward(gg, ctx.saved[1]), 0) if ctx.needs_input_grad[0] else None,
            _zeros_grad(ctx, gg, 1) if ctx.needs_input_grad[1] else None)


THRESHOLD_BACKWARD = elementwise(
    "threshold_backward", _threshold_backward, _threshold_backward_vjp, save=(1,),
    jvp=lambda ctx, tg, ty: _jvp_sum(ctx, (tg,), lambda t: threshold_backward(t, ctx.saved[1])))


def threshold_backward(grad: Tensor, output: Tensor) -> Tensor:
    """grad where output > 0, else 0, in one pass (the derivative of relu)."""
    a, b = binary_args(grad, output)
    return apply(THRESHOLD_BACKWARD, (a, b))


def _leaky_relu(x, slope):
    return x if x > 0 else x * slope


def _leaky_relu_backward(g, x, slope):
    return g if x > 0 else g * slope


def _leaky_relu_backward_vjp(ctx, gg):
    # linear in g; the step in x has zero derivative, kept in the graph (as PyTorch's
    # leaky_relu_backward), so second derivatives through leaky_relu are zeros
    _, x, slope = ctx.saved
    return (unbroadcast(ctx, leaky_relu_backward(gg, x, slope), 0) if ctx.needs_input_grad[0]
            else None, _zeros_grad(ctx, gg, 1) if ctx.needs_input_grad[1] else None, None)


LEAKY_RELU_BACKWARD = elementwise(
    "leaky_relu_backward", _leaky_relu_backward, _leaky_relu_backward_vjp, save=(1, 2),
    jvp=lambda ctx, tg, tx, ts: _jvp_sum(ctx, (tg,), lambda t: leaky_relu_backward(t, *ctx.saved[1:])))

LEAKY_RELU = elementwise(
    "leaky_relu", _leaky_relu, save=(0, 1),
    vjp=lambda ctx, g: (leaky_relu_backward(g, *ctx.saved), None),
    jvp=lambda ctx, t, ts: _jvp_sum(ctx, (t,), lambda t: leaky_relu_backward(t, *ctx.saved)))


def leaky_relu(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """input where input > 0, negative_slope * input elsewhere (also at 0, as PyTorch)."""
    return apply(LEAKY_RELU, (input, _scalar(negative_slope, input)))


def leaky_relu_backward(grad: Tensor, input: Tensor, negative_slope: Tensor) -> Tensor:
    """grad where input > 0, negative_slope * grad elsewhere, in one pass."""
    return apply(LEAKY_RELU_BACKWARD, _three_args(grad, input, negative_slope))


def _softplus(x, beta, threshold):
    z = x * beta
    if z > threshold:
        return x
    # log1p(exp(z)) without overflow
    return (max(z, 0.0) + math.log1p(math.exp(-math.fabs(z)))) / beta


def _softplus_numpy(x, beta, threshold):
    # the formula above in numpy's SIMD ufuncs: the Numba kernel's per-element log1p and
    # exp calls make it 10x slower on large arrays
    z = x * beta
    return np.where(z > threshold, x, (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta)


SOFTPLUS = elementwise(
    "softplus", _softplus, save=(0, 1, 2), cpu_numpy=_softplus_numpy,
    vjp=lambda ctx, g: (softplus_backward(g, *ctx.saved), None, None),
    jvp=lambda ctx, t, tb, tt: softplus_backward(t, *ctx.saved))


def _softplus_backward(g, x, beta, threshold):
    z = x * beta
    if z > threshold:
        return g
    return g * _sigmoid_jit(z)


def _softplus_backward_vjp(ctx, gg):
    g, x, beta, threshold = ctx.saved
    gg_g = (unbroadcast(ctx, softplus_backward(gg, x, beta, threshold), 0)
            if ctx.needs_input_grad[0] else None)
    gg_x = (unbroadcast(ctx, mul(gg, _softplus_second(g, x, beta, threshold)), 1)
            if ctx.needs_input_grad[1] else None)
    return gg_g, gg_x, None, None


def _softplus_second(g, x, beta, threshold):
    """g * d/dx sigmoid(beta x) below the threshold, 0 above."""
    z = mul(x, beta)
    d = sigmoid_backward(mul(g, beta), sigmoid(z))
    return where(gt(z, threshold), 0.0, d)


SOFTPLUS_BACKWARD = elementwise(
    "softplus_backward", _softplus_backward, _softplus_backward_vjp, save=(0, 1, 2, 3),
    jvp=lambda ctx, tg, tx, tb, tt: _jvp_sum(
        ctx, (tg, tx), lambda t: softplus_backward(t, *ctx.saved[1:]),
        lambda t: mul(t, _softplus_second(*ctx.saved))))


def softplus_backward(grad: Tensor, input: Tensor, beta: Tensor, threshold: Tensor) -> Tensor:
    """grad * sigmoid(beta * input) (grad above the threshold), in one pass."""
    return apply(SOFTPLUS_BACKWARD, (grad, input, beta, threshold))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta; x itself where beta * x > threshold."""
    _check_tensor("softplus", input)
    x = _floating(input)
    return apply(SOFTPLUS, (x, _scalar(beta, x), _scalar(threshold, x)))


def _logsigmoid(x):
    # min(x, 0) - log1p(exp(-|x|)): no overflow on either side
    return min(x, 0.0) - math.log1p(math.exp(-math.fabs(x)))


LOGSIGMOID = elementwise(
    "log_sigmoid", _logsigmoid, save=(0,),
    vjp=lambda ctx, g: log_sigmoid_backward(g, ctx.saved[0]),
    jvp=lambda ctx, t: log_sigmoid_backward(t, ctx.saved[0]))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), computed stably."""
    _check_tensor("logsigmoid", input)
    return apply(LOGSIGMOID, (_floating(input),))


def _log_sigmoid_backward(g, x):
    return g * _sigmoid_jit(-x)


def _log_sigmoid_second(g, x):
    """g * d/dx sigmoid(-x)."""
    return neg(sigmoid_backward(g, sigmoid(x)))


def _log_sigmoid_backward_vjp(ctx, gg):
    g, x = ctx.saved
    gg_g = unbroadcast(ctx, log_sigmoid_backward(gg, x), 0) if ctx.needs_input_grad[0] else None
    gg_x = unbroadcast(ctx, _log_sigmoid_second(mul(gg, g), x), 1) if ctx.needs_input_grad[1] else None
    return gg_g, gg_x


LOG_SIGMOID_BACKWARD = elementwise(
    "log_sigmoid_backward", _log_sigmoid_backward, _log_sigmoid_backward_vjp, save=(0, 1),
    jvp=lambda ctx, tg, tx: _jvp_sum(ctx, (tg, tx), lambda t: log_sigmoid_backward(t, ctx.saved[1]),
                                     lambda t: _log_sigmoid_second(mul(t, ctx.saved[0]), ctx.saved[1])))


def log_sigmoid_backward(grad: Tensor, input: Tensor) -> Tensor:
    """grad * sigmoid(-input) in one pass (the derivative of logsigmoid)."""
    a, b = binary_args(grad, input)
    return apply(LOG_SIGMOID_BACKWARD, (a, b))


def _bce_with_logits(x, t):
    # (1 - t) x - logsigmoid(x), with logsigmoid written stably as in _logsigmoid
    return (1.0 - t) * x - min(x, 0.0) + math.log1p(math.exp(-math.fabs(x)))


def _bce_with_logits_f32(x, t):
    one, zero = np.float32(1.0), np.float32(0.0)
    return (one - t) * x - min(x, zero) + math.log1p(math.exp(np.float32(-math.fabs(x))))


def _bce_with_logits_numpy(x, t):
    with np.errstate(invalid="ignore"):  # -inf logits give nan, as in PyTorch
        return (1 - t) * x - np.minimum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _bce_with_logits_vjp(ctx, g):
    x, t = ctx.saved
    return (unbroadcast(ctx, bce_with_logits_backward(g, x, t), 0) if ctx.needs_input_grad[0] else None,
            unbroadcast(ctx, neg(mul(g, x)), 1) if ctx.needs_input_grad[1] else None)


BCE_WITH_LOGITS = elementwise(
    "binary_cross_entropy_with_logits", _bce_with_logits, _bce_with_logits_vjp, save=(0, 1),
    scalar_f32=_bce_with_logits_f32, cpu_numpy=_bce_with_logits_numpy,
    jvp=lambda ctx, tx, tt: _jvp_sum(ctx, (tx, tt), lambda t: bce_with_logits_backward(t, *ctx.saved),
                                     lambda t: neg(mul(t, ctx.saved[0]))))


def bce_with_logits(input: Tensor, target: Tensor) -> Tensor:
    """The unreduced binary cross entropy of sigmoid(input) against `target`:
    (1 - target) * input - logsigmoid(input), in one op."""
    a, b = binary_args(input, target)
    return apply(BCE_WITH_LOGITS, (_floating(a), _floating(b)))


def _bce_with_logits_backward(g, x, t):
    return g * (_sigmoid_jit(x) - t)


def _bce_with_logits_backward_vjp(ctx, gg):
    g, x, t = ctx.saved
    need = ctx.needs_input_grad
    return (unbroadcast(ctx, bce_with_logits_backward(gg, x, t), 0) if need[0] else None,
            unbroadcast(ctx, sigmoid_backward(mul(gg, g), sigmoid(x)), 1) if need[1] else None,
            unbroadcast(ctx, neg(mul(gg, g)), 2) if need[2] else None)


BCE_WITH_LOGITS_BACKWARD = elementwise(
    "binary_cross_entropy_with_logits_backward", _bce_with_logits_backward,
    _bce_with_logits_backward_vjp, save=(0, 1, 2),
    jvp=lambda ctx, tg, tx, tt: _jvp_sum(
        ctx, (tg, tx, tt), lambda t: bce_with_logits_backward(t, *ctx.saved[1:]),
        lambda t: sigmoid_backward(mul(t, ctx.saved[0]), sigmoid(ctx.saved[1])),
        lambda t: neg(mul(t, ctx.saved[0]))))


def bce_with_logits_backward(grad: Tensor, input: Tensor, target: Tensor) -> Tensor:
    """grad * (sigmoid(input) - target) in one pass (the derivative of bce_with_logits)."""
    return apply(BCE_WITH_LOGITS_BACKWARD, (grad, input, target))


# ---------------------------------------------------------------- special functions


def _erf(x):
    return math.erf(x)


ERF, erf = unary("erf", _erf,
                 lambda ctx, g: mul(g, mul(exp(neg(square(ctx.saved[0]))), 2.0 / math.sqrt(math.pi))))


def _erfc(x):
    return math.erfc(x)


ERFC, erfc = unary("erfc", _erfc,
                   lambda ctx, g: mul(g, mul(exp(neg(square(ctx.saved[0]))), -2.0 / math.sqrt(math.pi))))


def _lgamma(x):
    return math.lgamma(x)


LGAMMA, lgamma = unary("lgamma", _lgamma, lambda ctx, g: mul(g, digamma(ctx.saved[0])))

# Bernoulli-number terms of the Euler-Maclaurin tail of the Hurwitz zeta (Cephes)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
           -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
           1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16


@numba.njit(cache=True)
def _zeta(s, q):
    """Hurwitz zeta sum_k (k + q)**-s for s > 1 (Cephes' algorithm, float64)."""
    if s == 1.0:
        return math.inf
    if s < 1.0:
        return math.nan
    if q <= 0.0:
        if q == math.floor(q):
            return math.inf
        if s != math.floor(s):
            return math.nan
    if q > 1e8:
        return (1.0 / (s - 1.0) + 1.0 / (2.0 * q)) * q ** (1.0 - s)
    total = q ** -s
    a = q
    b = 0.0
    i = 0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a ** -s
        total += b
        if math.fabs(b / total) < _MACHEP:
            return total
    w = a
    total += b * w / (s - 1.0)
    total -= 0.5 * b
    fact = 1.0
    k = 0.0
    for j in range(12):
        fact *= s + k
        b /= w
        t = fact * b / _ZETA_A[j]
        total += t
        if math.fabs(t / total) < _MACHEP:
            return total
        k += 1.0
        fact *= s + k
        b /= w
        k += 1.0
    return total


@numba.njit(cache=True)
def _digamma64(x):
    """psi(x) in float64: reflection for x < 0, recurrence up to 10, asymptotic series."""
    if x == 0.0:
        return -math.copysign(math.inf, x)
    result = 0.0
    if x < 0.0:
        if x == math.floor(x):
            return math.nan
        # psi(x) = psi(1 - x) - pi / tan(pi x); tan has period 1, so use the fractional part
        result = -math.pi / math.tan(math.pi * (x - math.floor(x)))
        x = 1.0 - x
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    y = 1.0 / (x * x)
    tail = y * (1.0 / 12 - y * (1.0 / 120 - y * (1.0 / 252 - y * (1.0 / 240 - y * (
        1.0 / 132 - y * (691.0 / 32760))))))
    return result + math.log(x) - 0.5 / x - tail


def _digamma(x):
    return _digamma64(float(x))


DIGAMMA, digamma = unary("digamma", _digamma, lambda ctx, g: mul(g, polygamma(1, ctx.saved[0])))

_MAXLOG = 7.09782712893383996843e2
_BIG = 4.503599627370496e15
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@numba.njit(cache=True)
def _erfinv64(x):
    """Giles' single-precision polynomial ("Approximating the erfinv function", 2010)
    refined by Newton steps on erf (on log erfc for |x| > 0.5, where 1 - |x| is exact)."""
    if math.isnan(x) or x < -1.0 or x > 1.0:
        return math.nan
    if x == 1.0:
        return math.inf
    if x == -1.0:
        return -math.inf
    w = -math.log((1.0 - x) * (1.0 + x))
    if w < 5.0:
        w -= 2.5
        p = 2.81022636e-08
        p = 3.43273939e-07 + p * w
        p = -3.5233877e-06 + p * w
        p = -4.39150654e-06 + p * w
        p = 0.00021858087 + p * w
        p = -0.00125372503 + p * w
        p = -0.00417768164 + p * w
        p = 0.246640727 + p * w
        p = 1.50140941 + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        p = 0.000100950558 + p * w
        p = 0.00134934322 + p * w
        p = -0.00367342844 + p * w
        p = 0.00573950773 + p * w
        p = -0.0076224613 + p * w
        p = 0.00943887047 + p * w
        p = 1.00167406 + p * w
        p = 2.83297682 + p * w
    y = math.fabs(p * x)
    a = math.fabs(x)
    q = 1.0 - a  # exact for a > 0.5
    for _ in range(8):
        slope = _TWO_OVER_SQRT_PI * math.exp(-y * y)
        if slope == 0.0:
            break
        if a > 0.5:  # Newton on log(erfc(y)) = log(q): near-quadratic, so far starts converge
            c = math.erfc(y)
            step = (math.log(c) - math.log(q)) * c / slope
        else:
            step = -(math.erf(y) - a) / slope
        y += step
        if math.fabs(step) <= 1e-16 * y:
            break
    return y if x >= 0.0 else -y


@numba.njit(cache=True)
def _igam_prefactor(a, x):
    """x^a e^-x / Gamma(a), 0 where it underflows (the common factor of P and Q)."""
    ax = a * math.log(x) - x - math.lgamma(a)
    return 0.0 if ax < -_MAXLOG else math.exp(ax)


@numba.njit(cache=True)
def _igam_series(a, x):
    """P(a, x) by its power series (Cephes' igam), for x <= 1 or x <= a."""
    ax = _igam_prefactor(a, x)
    if ax == 0.0:
        return 0.0
    r = a
    c = 1.0
    total = 1.0
    while True:
        r += 1.0
        c *= x / r
        total += c
        if c / total <= _MACHEP:
            break
    return total * ax / a


@numba.njit(cache=True)
def _igamc_fraction(a, x):
    """Q(a, x) = 1 - P(a, x) by its continued fraction (Cephes' igamc), for x > 1, x > a."""
    ax = _igam_prefactor(a, x)
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2 = 1.0
    qkm2 = x
    pkm1 = x + 1.0
    qkm1 = z * x
    ans = pkm1 / qkm1
    while True:
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        if qk != 0.0:
            r = pk / qk
            t = math.fabs((ans - r) / r)
            ans = r
        else:
            t = 1.0
        pkm2 = pkm1
        pkm1 = pk
        qkm2 = qkm1
        qkm1 = qk
        if math.fabs(pk) > _BIG:
            pkm2 /= _BIG
            pkm1 /= _BIG
            qkm2 /= _BIG
            qkm1 /= _BIG
        if t <= _MACHEP:
            break
    return ans * ax


@numba.njit(cache=True)
def _igamma64(a, x):
    if math.isnan(a) or math.isnan(x) or a < 0.0 or x < 0.0:
        return math.nan
    if a == 0.0:
        return 1.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 0.0
    if math.isinf(x):
        return 1.0
    if x > 1.0 and x > a:
        return 1.0 - _igamc_fraction(a, x)
    return _igam_series(a, x)


def _erfinv(x):
    return _erfinv64(float(x))


def _erfinv_derivative(ctx, g: Tensor) -> Tensor:
    """g * sqrt(pi) / 2 * exp(erfinv(x)^2), from the saved output."""
    return mul(g, mul(exp(square(ctx.output)), math.sqrt(math.pi) / 2))


ERFINV, erfinv = unary("erfinv", _erfinv, _erfinv_derivative, save=(), save_output=True)


def _igamma(a, x):
    return _igamma64(float(a), float(x))


def _igamma_density(a: Tensor, x: Tensor) -> Tensor:
    """d/dx igamma(a, x) = x^(a-1) e^-x / Gamma(a)."""
    return exp(sub(sub(xlogy(sub(a, 1.0), x), x), lgamma(a)))


def _igamma_no_input_derivative():
    raise NotImplementedError("the derivative for 'igamma: input' is not implemented.")


def _igamma_vjp(ctx, g):
    if ctx.needs_input_grad[0]:
        _igamma_no_input_derivative()
    return None, unbroadcast(ctx, mul(g, _igamma_density(*ctx.saved)), 1)


def _igamma_jvp(ctx, ta, tx):
    if ta is not None:
        _igamma_no_input_derivative()
    return _jvp_sum(ctx, (None, tx), None, lambda t: mul(t, _igamma_density(*ctx.saved)))


IGAMMA = elementwise("igamma", _igamma, _igamma_vjp, _igamma_jvp, save=(0, 1))


def igamma(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function P(input, other) (PyTorch's igamma,
    torch.special.gammainc); differentiable in `other` only, as PyTorch's."""
    a, b = binary_args(input, other)
    return apply(IGAMMA, (_floating(a), _floating(b)))


def _polygamma(n, x):
    k = int(n)
    if k == 0:
        return _digamma64(float(x))
    # psi^(k)(x) = (-1)^(k+1) k! zeta(k + 1, x)
    sgn = 1.0 if k % 2 == 1 else -1.0
    return sgn * math.gamma(k + 1.0) * _zeta(k + 1.0, float(x))


def _polygamma_vjp(ctx, g):
    n, x = ctx.saved
    return None, mul(g, polygamma(int(n.item()) + 1, x))


POLYGAMMA = elementwise("polygamma", _polygamma, _polygamma_vjp, save=(0, 1),
                        jvp=lambda ctx, tn, tx: _polygamma_vjp(ctx, tx)[1])


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma at `input` (n >= 0)."""
    if isinstance(n, Tensor) and not isinstance(input, Tensor):
        # bound as a method, x.polygamma(n) arrives as polygamma(x, n)
        n, input = input, n
    _check_tensor("polygamma", input)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = _floating(input)
    return apply(POLYGAMMA, (_scalar(n, x), x))


# ---------------------------------------------------------------- clamp


def _clamp(x, lo, hi):
    # min(max(x, lo), hi) with NaN in x propagating; lo > hi gives hi (PyTorch)
    y = lo if x < lo else x
    return hi if y > hi else y


def _clamp_backward(g, x, lo, hi):
    # bounds are inclusive: the gradient passes where lo <= x <= hi
    return g if (x >= lo and x <= hi) else 0.0


def _clamp_lo_mask(x, lo, hi):
    return where(lt(x, lo), lt(lo, hi), False)


def _clamp_hi_mask(x, lo, hi):
    return where(gt(x, hi), True, lt(hi, lo))


def _clamp_vjp(ctx, g):
    x, lo, hi = ctx.saved
    need = ctx.needs_input_grad
    return (unbroadcast(ctx, clamp_backward(g, x, lo, hi), 0) if need[0] else None,
            unbroadcast(ctx, where(_clamp_lo_mask(x, lo, hi), g, 0.0), 1) if need[1] else None,
            unbroadcast(ctx, where(_clamp_hi_mask(x, lo, hi), g, 0.0), 2) if need[2] else None)


def _clamp_jvp(ctx, tx, tlo, thi):
    x, lo, hi = ctx.saved
    return _jvp_sum(ctx, (tx, tlo, thi), lambda t: clamp_backward(t, x, lo, hi),
                    lambda t: where(_clamp_lo_mask(x, lo, hi), t, 0.0),
                    lambda t: where(_clamp_hi_mask(x, lo, hi), t, 0.0))


CLAMP = elementwise("clamp", _clamp, _clamp_vjp, _clamp_jvp, save=(0, 1, 2))


def _clamp_backward_vjp(ctx, gg):
    g, x, lo, hi = ctx.saved
    return ((unbroadcast(ctx, clamp_backward(gg, x, lo, hi), 0) if ctx.needs_input_grad[0] else None,)
            + tuple(_zeros_grad(ctx, gg, i) if ctx.needs_input_grad[i] else None for i in (1, 2, 3)))


CLAMP_BACKWARD = elementwise(
    "clamp_backward", _clamp_backward, _clamp_backward_vjp, save=(0, 1, 2, 3),
    jvp=lambda ctx, tg, tx, tlo, thi: _jvp_sum(ctx, (tg,), lambda t: clamp_backward(t, *ctx.saved[1:])))


def clamp_backward(grad: Tensor, input: Tensor, min: Tensor, max: Tensor) -> Tensor:
    """grad where min <= input <= max, else 0, in one pass (the derivative of clamp)."""
    return apply(CLAMP_BACKWARD, (grad, input, min, max))


def _bound(b, x: Tensor, default: float):
    """A clamp bound; None becomes `default` (+-inf, or the integer dtype's range)."""
    if b is not None:
        return b
    if x._data.dtype.kind == "f":
        return default
    info = np.iinfo(x.dtype)
    return int(info.max if default > 0 else info.min)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    """Elements of `input` limited to [min, max] (numbers or broadcasting tensors)."""
    _check_tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    x, lo = binary_args(input, _bound(min, input, -math.inf))
    x, hi = binary_args(x, _bound(max, x, math.inf))
    if lo.dtype != x.dtype:
        lo = to_dtype(lo, x.dtype)
    check_broadcast(check_broadcast(x.shape, lo.shape), hi.shape)
    return apply(CLAMP, (x, lo, hi))


def clamp_min(input: Tensor, min) -> Tensor:
    """clamp(input, min=min)."""
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:
    """clamp(input, max=max)."""
    return clamp(input, max=max)


clip = clamp


# ---------------------------------------------------------------- rounding (gradient zero)


def _rounding(name: str, scalar, ufunc):
    """A rounding op (zero derivative) and its public function; integer inputs are
    returned as copies, bool is refused (PyTorch)."""
    op = elementwise(name, scalar, lambda ctx, g: mul(g, 0.0), _zero_jvp, cpu_numpy=ufunc)

    def fn(input: Tensor) -> Tensor:
        _check_tensor(name, input)
        _check_kind(f"{name}_vml", input, "iuf")
        return apply(op, (input,)) if input._data.dtype.kind == "f" else clone(input)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} (gradient zero)."
    return op, fn


# np.floor etc., not math.floor: Numba's math.floor returns an integer (wrong for inf, nan, -0.0)
def _floor(x):
    return np.floor(x)


def _ceil(x):
    return np.ceil(x)


def _trunc(x):
    return np.trunc(x)


def _rint(x):
    # half to even, as PyTorch's round
    return np.rint(x)


FLOOR, floor = _rounding("floor", _floor, np.floor)
CEIL, ceil = _rounding("ceil", _ceil, np.ceil)
TRUNC, trunc = _rounding("trunc", _trunc, np.trunc)
ROUND, _round = _rounding("round", _rint, np.rint)


def round(input: Tensor, *, decimals: int = 0) -> Tensor:
    """Elementwise rounding to `decimals` decimal places, halves to even (gradient zero)."""
    if not isinstance(decimals, int):
        raise TypeError(f"round(): argument 'decimals' must be int, not {type(decimals).__name__}")
    if decimals == 0:
        return _round(input)
    _check_tensor("round", input)
    _check_kind("round", input, "f")
    with np.errstate(over="ignore"):
        ten_pow = float(np.float64(10.0) ** builtins.abs(decimals))
    if decimals > 0:
        return div(_round(mul(input, ten_pow)), ten_pow)
    return mul(_round(div(input, ten_pow)), ten_pow)


def frac(input: Tensor) -> Tensor:
    """Fractional part, input - trunc(input), with the sign of input (gradient one)."""
    _check_tensor("frac", input)
    _check_kind("frac", input, "f")
    return sub(input, trunc(input))


# ---------------------------------------------------------------- more binary ops


def _hypot(a, b):
    return math.hypot(a, b)


def _hypot_rules():
    def vjp(ctx, g):
        a, b = ctx.saved
        return (unbroadcast(ctx, mul(g, div(a, ctx.output)), 0) if ctx.needs_input_grad[0] else None,
                unbroadcast(ctx, mul(g, div(b, ctx.output)), 1) if ctx.needs_input_grad[1] else None)

    def jvp(ctx, ta, tb):
        a, b = ctx.saved
        return _jvp_sum(ctx, (ta, tb), lambda t: mul(t, div(a, ctx.output)),
                        lambda t: mul(t, div(b, ctx.output)))
    return vjp, jvp


HYPOT = elementwise("hypot", _hypot, *_hypot_rules(), save=(0, 1), save_output=True, cpu_numpy=np.hypot)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input**2 + other**2) elementwise, without overflow in the squares."""
    a, b = _tensor_args("hypot", input, other)
    _check_kind("hypot", a, "f")
    return apply(HYPOT, (a, b))


def _copysign(a, b):
    return math.copysign(a, b)


def _copysign_ratio(ctx) -> Tensor:
    """d copysign(a, b) / da: +-1, and 0 where a == 0 (PyTorch)."""
    a, out = ctx.saved[0], ctx.output
    zero = eq(a, 0)
    return where(zero, 0.0, div(out, where(zero, 1.0, a)))  # no 0 / 0, even in derivatives


COPYSIGN = elementwise(
    "copysign", _copysign, save=(0,), save_output=True, cpu_numpy=np.copysign,
    vjp=lambda ctx, g: (unbroadcast(ctx, mul(g, _copysign_ratio(ctx)), 0) if ctx.needs_input_grad[0]
                        else None, _zeros_grad(ctx, g, 1) if ctx.needs_input_grad[1] else None),
    jvp=lambda ctx, ta, tb: _jvp_sum(ctx, (ta, tb), lambda t: mul(t, _copysign_ratio(ctx))))


def copysign(input: Tensor, other) -> Tensor:
    """|input| with the sign of `other` (a tensor or number; -0.0 counts as negative)."""
    _check_tensor("copysign", input)
    a, b = binary_args(input, other)
    return apply(COPYSIGN, (_floating(a), _floating(b)))


def _xlogy(x, y):
    if y != y:
        return y
    if x == 0:
        return 0.0
    return x * (math.log(y) if y > 0 else (-math.inf if y == 0 else math.nan))


def _xlogy_dx(t: Tensor, x: Tensor, y: Tensor) -> Tensor:
    """t * log(y) (the derivative in x), 0 where x == 0 and y <= 0 (PyTorch)."""
    return where(logical_and(eq(x, 0), le(y, 0)), 0.0, xlogy(t, y))


def _xlogy_vjp(ctx, g):
    x, y = ctx.saved
    return (unbroadcast(ctx, _xlogy_dx(g, x, y), 0) if ctx.needs_input_grad[0] else None,
            unbroadcast(ctx, div(mul(g, x), y), 1) if ctx.needs_input_grad[1] else None)


XLOGY = elementwise(
    "xlogy", _xlogy, _xlogy_vjp, save=(0, 1),
    jvp=lambda ctx, tx, ty: _jvp_sum(ctx, (tx, ty), lambda t: _xlogy_dx(t, *ctx.saved),
                                     lambda t: div(mul(t, ctx.saved[0]), ctx.saved[1])))


def xlogy(input, other) -> Tensor:
    """input * log(other), 0 where input == 0 (unless other is NaN); tensors or numbers."""
    a, b = binary_args(input, other)
    return apply(XLOGY, (_floating(a), _floating(b)))


def _logaddexp(a, b):
    # numpy's formula: equal infinities give themselves, not nan
    if a == b:
        return a + math.log(2.0)
    d = a - b
    if d > 0:
        return a + math.log1p(math.exp(-d))
    if d <= 0:
        return b + math.log1p(math.exp(d))
    return d


def _logaddexp_rules():
    def vjp(ctx, g):
        a, b = ctx.saved
        return (unbroadcast(ctx, mul(g, sigmoid(sub(a, b))), 0) if ctx.needs_input_grad[0] else None,
                unbroadcast(ctx, mul(g, sigmoid(sub(b, a))), 1) if ctx.needs_input_grad[1] else None)

    def jvp(ctx, ta, tb):
        a, b = ctx.saved
        return _jvp_sum(ctx, (ta, tb), lambda t: mul(t, sigmoid(sub(a, b))),
                        lambda t: mul(t, sigmoid(sub(b, a))))
    return vjp, jvp


def _logaddexp_numpy(a, b):
    # the formula above in numpy's SIMD ufuncs: np.logaddexp (scalar libm calls) is 4 to 9x
    # slower on large arrays
    with np.errstate(invalid="ignore"):
        out = np.maximum(a, b) + np.log1p(np.exp(-np.abs(a - b)))
        return np.where(a == b, a + a.dtype.type(math.log(2.0)), out)


LOGADDEXP = elementwise("logaddexp", _logaddexp, *_logaddexp_rules(), save=(0, 1),
                        cpu_numpy=_logaddexp_numpy)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)), computed stably."""
    a, b = _tensor_args("logaddexp", input, other)
    _check_kind("logaddexp", a, "f")
    return apply(LOGADDEXP, (a, b))


# ---------------------------------------------------------------- compositions


def reciprocal(input: Tensor) -> Tensor:
    """1 / input (integers give the default float dtype)."""
    _check_tensor("reciprocal", input)
    return div(1.0, input)


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), p = input clamped to [eps, 1 - eps] when eps is given."""
    _check_tensor("logit", input)
    p = _floating(input)
    if eps is not None:
        p = clamp(p, eps, 1.0 - eps)
    return sub(log(p), log1p(neg(p)))


def lerp(input: Tensor, end: Tensor, weight) -> Tensor:
    """input + weight * (end - input); weight a number or a tensor (broadcasting)."""
    _check_tensor("lerp", input)
    _check_tensor("lerp", end, "end", 2)
    scalar = not isinstance(weight, Tensor) or weight.ndim == 0  # a 0-d weight acts as a number
    if input.dtype.kind != "f":
        raise NotImplementedError(f'"lerp_kernel_{"scalar" if scalar else "tensor"}" not implemented for '
                                  f"'{_dtype.torch_name(input.dtype)}'")
    for name, t in (("end", end), ("weight", None if scalar else weight)):
        if t is not None and t.dtype != input.dtype:
            raise RuntimeError(f"expected dtype {_dtype.c_name(input.dtype)} for `{name}` but got "
                               f"dtype {_dtype.c_name(t.dtype)}")
    diff = sub(end, input)
    if not isinstance(weight, Tensor):
        # from the nearer end, as PyTorch: exact at weight 0 and 1
        if builtins.abs(weight) < 0.5:
            return add(input, mul(diff, weight))
        return sub(end, mul(diff, 1.0 - weight))
    w = to_dtype(weight, input.dtype)
    return where(lt(abs(w), 0.5), add(input, mul(w, diff)), sub(end, mul(diff, sub(1.0, w))))


def _value(value):
    return value.item() if isinstance(value, Tensor) else value


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2 (broadcasting)."""
    _check_tensor("addcmul", input)
    _check_tensor("addcmul", tensor1, "tensor1", 2)
    _check_tensor("addcmul", tensor2, "tensor2", 3)
    return add(input, mul(tensor1, tensor2), alpha=_value(value))


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2 (broadcasting; not for two integer tensors)."""
    _check_tensor("addcdiv", input)
    _check_tensor("addcdiv", tensor1, "tensor1", 2)
    _check_tensor("addcdiv", tensor2, "tensor2", 3)
    if tensor1.dtype.kind in "biu" and tensor2.dtype.kind in "biu":
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
            "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
            "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
            "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
            "addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
            "tensor2), for all dtypes.")
    return add(input, div(tensor1, tensor2), alpha=_value(value))


# ---------------------------------------------------------------- comparisons (not differentiable)


def _comparison(name, scalar, doc=None, tensors_only=False):
    """A two-input bool-valued op (not differentiable) and its public function;
    tensors_only: Python numbers are refused (the logical ops)."""
    op = elementwise(name, scalar, differentiable=False)

    def fn(input, other) -> Tensor:
        a, b = _tensor_args(name, input, other) if tensors_only else binary_args(input, other)
        return Tensor._make(np.asarray(op.kernel(a.device, a.dtype, 2, np.bool_)(a._data, b._data)))
    fn.__name__ = name
    fn.__doc__ = doc or f"Elementwise comparison `{name}` (bool result, not differentiable)."
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


# ---------------------------------------------------------------- logical and bitwise (not differentiable)


def _predicate(name: str, scalar, doc: str):
    """A one-input bool-valued op (any input dtype) and its public function."""
    op = elementwise(name, scalar, differentiable=False)

    def fn(input: Tensor) -> Tensor:
        _check_tensor(name, input)
        return Tensor._make(np.asarray(op.kernel(input.device, input.dtype, 1, np.bool_)(input._data)))
    fn.__name__ = name
    fn.__doc__ = doc
    return op, fn


def _isnan(x):
    return x != x


def _isinf(x):
    return x == math.inf or x == -math.inf


def _isfinite(x):
    return x == x and x != math.inf and x != -math.inf


def _isposinf(x):
    return x == math.inf


def _isneginf(x):
    return x == -math.inf


def _logical_not(x):
    return x == 0


ISNAN, isnan = _predicate("isnan", _isnan, "Where `input` is NaN (bool result).")
ISINF, isinf = _predicate("isinf", _isinf, "Where `input` is +inf or -inf (bool result).")
ISFINITE, isfinite = _predicate("isfinite", _isfinite, "Where `input` is neither NaN nor infinite (bool result).")
ISPOSINF, isposinf = _predicate("isposinf", _isposinf, "Where `input` is +inf (bool result).")
ISNEGINF, isneginf = _predicate("isneginf", _isneginf, "Where `input` is -inf (bool result).")
LOGICAL_NOT, logical_not = _predicate("logical_not", _logical_not, "Where `input` is zero (bool result).")


def _nan_to_num(x, nan, posinf, neginf):
    if x != x:
        return nan
    if x == math.inf:
        return posinf
    if x == -math.inf:
        return neginf
    return x


def _finite_only(ctx, g: Tensor) -> Tensor:
    """g where the input was finite, 0 where nan_to_num replaced it."""
    return where(isfinite(ctx.saved[0]), g, 0.0)


NAN_TO_NUM = elementwise(
    "nan_to_num", _nan_to_num, save=(0,),
    vjp=lambda ctx, g: (_finite_only(ctx, g), None, None, None),
    jvp=lambda ctx, t, tn, tp, tm: _finite_only(ctx, t))


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """`input` with NaN replaced by `nan` and +-inf by `posinf` / `neginf` (default: the
    dtype's largest / lowest finite value); integer and bool tensors are copied."""
    _check_tensor("nan_to_num", input)
    if input._data.dtype.kind != "f":
        return clone(input)
    info = np.finfo(input._data.dtype)
    return apply(NAN_TO_NUM, (input, _scalar(nan, input),
                              _scalar(info.max if posinf is None else posinf, input),
                              _scalar(info.min if neginf is None else neginf, input)))


def _logical(name: str, scalar):
    """A two-tensor bool-valued op (nonzero is true, any dtypes) and its public function."""
    return _comparison(name, scalar, f"Elementwise {name.replace('_', ' ')} of two tensors, "
                       "nonzero being true (bool result).", tensors_only=True)


def _logical_and(a, b):
    return a != 0 and b != 0


def _logical_or(a, b):
    return a != 0 or b != 0


def _logical_xor(a, b):
    return (a != 0) != (b != 0)


LOGICAL_AND, logical_and = _logical("logical_and", _logical_and)
LOGICAL_OR, logical_or = _logical("logical_or", _logical_or)
LOGICAL_XOR, logical_xor = _logical("logical_xor", _logical_xor)


# Bitwise ops take bool and integer dtypes only, so they run numpy's ufuncs rather than a
# scalar formula (which the kernel builders compile for float dtypes too).
def _bitwise(name: str, ufunc: np.ufunc):
    """A bitwise op of two bool or integer operands (tensors or numbers) and its public function."""
    op = primitive(name, lambda op, a, b: ufunc(a, b), differentiable=False)

    def fn(input, other) -> Tensor:
        a, b = binary_args(input, other)
        _check_kind(name, a, "biu")
        return apply(op, (a, b))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name.replace('_', ' ')} of bool or integer operands."
    return op, fn


BITWISE_AND, bitwise_and = _bitwise("bitwise_and", np.bitwise_and)
BITWISE_OR, bitwise_or = _bitwise("bitwise_or", np.bitwise_or)
BITWISE_XOR, bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor)
BITWISE_NOT = primitive("bitwise_not", lambda op, x: np.invert(x), differentiable=False)


def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise bitwise not of a bool (logical not) or integer tensor."""
    _check_tensor("bitwise_not", input)
    _check_kind("bitwise_not", input, "biu")
    return apply(BITWISE_NOT, (input,))


# ---------------------------------------------------------------- rounded division


def _division_args(kernel: str, input, other) -> tuple[Tensor, Tensor]:
    """Operands of floor_divide/remainder/fmod: numbers (no bool); integers never divide by 0."""
    a, b = binary_args(input, other)
    _check_kind(kernel, a, "iuf")
    if a._data.dtype.kind != "f" and not b._data.all():
        raise RuntimeError("ZeroDivisionError")
    return a, b


def _floor_divide(a, b):
    # Python's floor division, as PyTorch's (x // 0.0 is +-inf or nan)
    return a // b


FLOOR_DIVIDE = elementwise("floor_divide", _floor_divide, differentiable=False)


def floor_divide(input, other) -> Tensor:
    """input / other rounded toward -inf (not differentiable, as in PyTorch)."""
    return apply(FLOOR_DIVIDE, _division_args("div_floor", input, other))


def _fmod(a, b):
    # C's remainder, with the sign of a. Numba's np.fmod is right for floats only; for
    # integers, Python's a % b (the sign of b) is moved to a's sign.
    if isinstance(a, (float, np.float32)):
        return np.fmod(a, b)
    r = a % b
    return r - b if r != 0 and (r < 0) != (a < 0) else r


_fmod_jit = numba.njit(cache=True)(_fmod)


def _remainder(a, b):
    # PyTorch's: fmod moved to the sign of b (Python's a % b, but a zero keeps a's sign)
    m = _fmod_jit(a, b)
    return m + b if m != 0 and (m < 0) != (b < 0) else m


def _rounded_quotient_rules(rounding_mode: str):
    """vjp and jvp of a - b * q, q = a / b rounded (constant almost everywhere)."""
    def vjp(ctx, g):
        a, b = ctx.saved
        return (unbroadcast(ctx, g, 0) if ctx.needs_input_grad[0] else None,
                unbroadcast(ctx, neg(mul(g, div(a, b, rounding_mode=rounding_mode))), 1)
                if ctx.needs_input_grad[1] else None)

    def jvp(ctx, ta, tb):
        a, b = ctx.saved
        return _jvp_sum(ctx, (ta, tb), lambda t: t,
                        lambda t: neg(mul(t, div(a, b, rounding_mode=rounding_mode))))
    return vjp, jvp


REMAINDER = elementwise("remainder", _remainder, *_rounded_quotient_rules("floor"), save=((0, 1), (1, 1)))
FMOD = elementwise("fmod", _fmod, *_rounded_quotient_rules("trunc"), save=((0, 1), (1, 1)))


def remainder(input, other) -> Tensor:
    """input - other * floor(input / other): the remainder with the sign of `other`."""
    return apply(REMAINDER, _division_args("remainder", input, other))


def fmod(input: Tensor, other) -> Tensor:
    """input - other * trunc(input / other): the remainder with the sign of `input`."""
    _check_tensor("fmod", input)
    return apply(FMOD, _division_args("fmod", input, other))


# ---------------------------------------------------------------- selection


def _where_cpu(op, cond, a, b):
    return np.where(cond, a, b)


def _where_vjp(ctx, g):
    cond = ctx.saved[0]
    zero = Tensor._make(np.zeros((), dtype=g.dtype))
    ga = unbroadcast(ctx, where(cond, g, zero), 1) if ctx.needs_input_grad[1] else None
    gb = unbroadcast(ctx, where(cond, zero, g), 2) if ctx.needs_input_grad[2] else None
    return None, ga, gb


def _where_jvp(ctx, tc, ta, tb):
    cond = ctx.saved[0]
    if ta is None and tb is None:
        return None
    ta = _align(ctx, ta, 1) if ta is not None else 0.0
    tb = _align(ctx, tb, 2) if tb is not None else 0.0
    return where(cond, ta, tb)


WHERE = primitive("where", _where_cpu, _where_vjp, _where_jvp, save=(0,))


def where(condition, input, other) -> Tensor:
    """Elements of `input` where `condition`, else of `other` (broadcasting); `input`
    and `other` may both be numbers (floats give the default dtype)."""
    cond = condition if isinstance(condition, Tensor) else as_tensor(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.torch_name(cond.dtype)}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = as_tensor(input)
    a, b = binary_args(input, other)
    return apply(WHERE, (cond, a, b))


def _where_method(self: Tensor, condition: Tensor, y) -> Tensor:
    """`self` where `condition`, else `y` (Tensor.where)."""
    return where(condition, self, y)


# Tensor.where takes `self` as the input, not as the condition: bound here, not through METHODS
Tensor.where = _where_method


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


def type_as(input: Tensor, other: Tensor) -> Tensor:
    """`input` converted to `other`'s dtype."""
    return to_dtype(input, other.dtype)


# ---------------------------------------------------------------- new tensors like `self` (methods)


def _new_like(self: Tensor, size: tuple, fill, dtype, device, requires_grad: bool) -> Tensor:
    """A new leaf tensor of `size` filled with `fill` (uninitialized if None), of `self`'s
    dtype unless `dtype` is given."""
    _check_device(device)
    dt = np.dtype(dtype) if dtype is not None else self.dtype
    out = Tensor._make(np.empty(size, dt) if fill is None else np.full(size, fill, dt), device=self._device)
    return out.requires_grad_(True) if requires_grad else out


def new_zeros(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of `size`, of `self`'s dtype unless `dtype` is given."""
    return _new_like(self, _int_tuple(size), 0, dtype, device, requires_grad)


def new_ones(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones of `size`, of `self`'s dtype unless `dtype` is given."""
    return _new_like(self, _int_tuple(size), 1, dtype, device, requires_grad)


def new_empty(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialized tensor of `size`, of `self`'s dtype unless `dtype` is given."""
    return _new_like(self, _int_tuple(size), None, dtype, device, requires_grad)


def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`, of `self`'s dtype unless `dtype` is given."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _new_like(self, _int_tuple(size), fill_value, dtype, device, requires_grad)


def new_tensor(self: Tensor, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of `data`, of `self`'s dtype unless `dtype` is given."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), "
                      "rather than tensor.new_tensor(sourceTensor).", stacklevel=2)
    return tensor(data, dtype=dtype if dtype is not None else self.dtype, requires_grad=requires_grad,
                  device=device)


def isclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| <= atol + rtol * |other| (bool, not differentiable)."""
    a, b = binary_args(input, other)
    return Tensor._make(np.isclose(a._data, b._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input: Tensor, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of `input` is close to `other` (see isclose)."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())
