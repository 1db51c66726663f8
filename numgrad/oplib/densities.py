"""Fused log-densities: the log_prob of Normal, StudentT and Bernoulli as single ops.

PyTorch composes Normal.log_prob from 6 ops, StudentT.log_prob from about 20
and Bernoulli.log_prob from 2; here each is one elementwise kernel, and so is
its derivative in each argument (one `<name>_backward_<arg>` op computing
grad * d log_prob / d arg). Recording one node instead of 20 is what makes
small probabilistic models fast: their cost is per op, not per element.

Second derivatives (the vjp and jvp of the backward ops) come from closed-form
Hessian entries, written twice: as compositions of numgrad ops (differentiable,
so every order works) and as one kernel per entry (`<name>_second_<a>_<b>`,
not differentiable) for backward passes that record nothing, the common case of
a Hessian-vector product. tests/test_densities.py checks that the two agree.
Normal and StudentT depend on value and loc only through value - loc: the
gradient in loc is minus the one in value, and so are its Hessian entries.
"""
from __future__ import annotations

import math
from typing import Callable

import numba
import numpy as np

from numgrad._tensor import Tensor, apply
from numgrad.autograd.grad_mode import is_grad_enabled
from numgrad.oplib._util import binary_args, check_broadcast, unbroadcast
from numgrad.oplib.pointwise import (_digamma64, _floating, _jvp_sum, _sigmoid_jit, _zeta, add, div,
                                     mul, neg, polygamma, sigmoid, sigmoid_backward, sub)
from numgrad.ops.registry import REGISTRY, Op, elementwise

__all__: list[str] = []

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
_HALF_LOG_PI = 0.5 * math.log(math.pi)


def _fused_args(*xs) -> tuple[Tensor, ...]:
    """The operands as floating tensors of one dtype (PyTorch's promotion, pairwise),
    with PyTorch's error if their shapes do not broadcast together."""
    first = next(x for x in xs if isinstance(x, Tensor))
    ts = [binary_args(x, first)[0] for x in xs]
    for i in range(1, len(ts)):
        ts[0], ts[i] = binary_args(ts[0], ts[i])
    for i in range(1, len(ts)):  # the first may have been promoted after the others
        if ts[i]._data.dtype != ts[0]._data.dtype:
            ts[i] = binary_args(ts[i], ts[0])[0]
    shape = ts[0]._data.shape
    for t in ts[1:]:
        shape = check_broadcast(shape, t._data.shape)
    return tuple(_floating(t) for t in ts)


def _in_double(fn: Callable, *params: np.ndarray):
    """fn of the parameter arrays, evaluated in float64 and returned in their dtype. A
    parameter broadcast to the value's shape (a distribution's broadcast_all expands it) is
    evaluated once per distinct element: the result broadcasts back."""
    dt = params[0].dtype
    return np.asarray(fn(*[_distinct(p).astype(np.float64) for p in params])).astype(dt)


def _distinct(a: np.ndarray) -> np.ndarray:
    """A broadcast view's own elements: one index along each axis of stride 0."""
    if 0 not in a.strides:
        return a
    return a[tuple(slice(0, 1) if st == 0 else slice(None) for st in a.strides)]


def _special(name: str, x):
    """A special function of float64 `x` by numgrad's own kernel (lgamma, digamma, trigamma)."""
    if name == "trigamma":
        return REGISTRY["polygamma"].kernel("cpu", np.dtype(np.float64), 2)(1.0, x)
    return REGISTRY[name].kernel("cpu", np.dtype(np.float64), 1)(x)


def _numpy_path(numpy: dict, name: str) -> dict:
    fn, size = numpy.get(name, (None, 0))
    return {"cpu_numpy": fn, "numpy_from": size} if fn is not None else {}


class _Density:
    """One fused log-density: its forward op and one backward op per argument.

    args: argument names, value first. partials: name -> scalar formula of
    grad * d log_prob / d name; an argument named loc has none, as the density
    depends on value - loc: its derivatives are minus value's. hessian(a, b, c, xs):
    c * d2 log_prob / da db as a numgrad expression (differentiable: used where
    the result is recorded or carries forward-mode tangents). second: (a, b) -> scalar
    formula of c * d2 log_prob / da db, for the same pairs (a before b in args):
    one kernel for a backward pass that records nothing. numpy: op name -> (the
    same function composed of numpy ufuncs, the size from which the CPU runs it:
    Op.cpu_numpy, Op.numpy_from), for ops whose scalar formula calls special
    functions: the composition evaluates the parameter-only terms once per
    parameter element, not once per value (PyTorch's order of work), and in
    double precision."""

    def __init__(self, name: str, args: tuple[str, ...], scalar: Callable,
                 partials: dict[str, Callable], hessian: Callable,
                 second: dict[tuple[str, str], Callable], numpy: dict[str, tuple[Callable, int]]):
        self.args = args
        self.loc = args.index("loc") if "loc" in args else None
        self.hessian = hessian
        self.backward: dict[int, Op] = {}
        for arg, fn in partials.items():
            i = args.index(arg)
            op_name = f"{name}_backward_{arg}"
            self.backward[i] = elementwise(
                op_name, fn, self._backward_vjp(i), self._backward_jvp(i),
                save=range(len(args) + 1), **_numpy_path(numpy, op_name))
        self.second: dict[tuple[int, int], Op] = {}
        for (a, b), fn in second.items():
            op_name = f"{name}_second_{a}_{b}"
            op = elementwise(op_name, fn, differentiable=False, **_numpy_path(numpy, op_name))
            self.second[args.index(a), args.index(b)] = self.second[args.index(b), args.index(a)] = op
        self.op = elementwise(name, scalar, self._vjp, self._jvp, save=range(len(args)),
                              **_numpy_path(numpy, name))

    def __call__(self, *xs) -> Tensor:
        return apply(self.op, _fused_args(*xs))

    def _grad(self, i: int, g: Tensor, xs) -> Tensor:
        """g * d log_prob / d x_i, unreduced."""
        if i == self.loc:
            return neg(apply(self.backward[0], (g, *xs)))
        return apply(self.backward[i], (g, *xs))

    def _second(self, i: int, j: int, c: Tensor, xs, fast: bool) -> Tensor:
        """c * d2 log_prob / dx_i dx_j, unreduced; fast: by its kernel (not differentiable)."""
        negate = False
        if i == self.loc:
            i, negate = 0, not negate
        if j == self.loc:
            j, negate = 0, not negate
        if fast:
            h = apply(self.second[i, j], (c, *xs))
        else:
            h = self.hessian(self.args[i], self.args[j], c, xs)
        return neg(h) if negate else h

    def _vjp(self, ctx, g):
        xs = ctx.saved
        return tuple(unbroadcast(ctx, self._grad(i, g, xs), i) if need else None
                     for i, need in enumerate(ctx.needs_input_grad))

    def _jvp(self, ctx, *tangents):
        xs = ctx.saved
        return _jvp_sum(ctx, tangents, *[lambda t, i=i: self._grad(i, t, xs)
                                         for i in range(len(xs))])

    def _backward_vjp(self, i: int):
        # backward op i is g * p_i(xs): linear in g, and p_i's derivatives are Hessian entries
        def vjp(ctx, gg):
            g, *xs = ctx.saved
            need = ctx.needs_input_grad
            out = [unbroadcast(ctx, apply(self.backward[i], (gg, *xs)), 0) if need[0] else None]
            if any(need[1:]):
                gg_g = mul(gg, g)
                fast = not is_grad_enabled() and gg_g._fw is None and all(x._fw is None for x in xs)
                out += [unbroadcast(ctx, self._second(i, j, gg_g, xs, fast), j + 1) if need[j + 1]
                        else None for j in range(len(xs))]
            else:
                out += [None] * len(xs)
            return tuple(out)
        return vjp

    def _backward_jvp(self, i: int):
        def jvp(ctx, tg, *txs):
            g, *xs = ctx.saved
            return _jvp_sum(ctx, (tg, *txs), lambda t: apply(self.backward[i], (t, *xs)),
                            *[lambda t, j=j: self._second(i, j, mul(t, g), xs, False)
                              for j in range(len(xs))])
        return jvp


# ----- Normal(loc, scale): -(value - loc)**2 / (2 scale**2) - log(scale) - log(sqrt(2 pi))

def _normal_log_prob(v, loc, scale):
    d = v - loc
    return -(d * d) / (2.0 * (scale * scale)) - math.log(scale) - _LOG_SQRT_2PI


def _normal_grad_value(g, v, loc, scale):
    return g * ((loc - v) / (scale * scale))


def _normal_grad_scale(g, v, loc, scale):
    y = (v - loc) / scale
    return g * ((y * y - 1.0) / scale)


def _normal_hessian(a: str, b: str, c: Tensor, xs) -> Tensor:
    v, loc, scale = xs
    var = mul(scale, scale)
    if a == b == "value":  # -1 / scale**2
        return neg(div(c, var))
    y = div(sub(v, loc), scale)
    if a == b == "scale":  # (1 - 3 y**2) / scale**2
        return mul(c, div(sub(1.0, mul(3.0, mul(y, y))), var))
    return mul(c, div(mul(2.0, y), var))  # value and scale: 2 y / scale**2


def _normal_second_value_value(c, v, loc, scale):
    return c * (-1.0 / (scale * scale))


def _normal_second_value_scale(c, v, loc, scale):
    y = (v - loc) / scale
    return c * (2.0 * y / (scale * scale))


def _normal_second_scale_scale(c, v, loc, scale):
    y = (v - loc) / scale
    return c * ((1.0 - 3.0 * (y * y)) / (scale * scale))


def _normal_log_prob_numpy(v, loc, scale):
    d = v - loc
    return -(d * d) / (2.0 * (scale * scale)) - _in_double(np.log, scale) - _LOG_SQRT_2PI


_NORMAL = _Density("normal_log_prob", ("value", "loc", "scale"), _normal_log_prob,
                   {"value": _normal_grad_value, "scale": _normal_grad_scale}, _normal_hessian,
                   {("value", "value"): _normal_second_value_value,
                    ("value", "scale"): _normal_second_value_scale,
                    ("scale", "scale"): _normal_second_scale_scale},
                   {"normal_log_prob": (_normal_log_prob_numpy, 2048)})


def normal_log_prob(value: Tensor, loc: Tensor, scale: Tensor) -> Tensor:
    """log N(value; loc, scale) elementwise, in one op."""
    return _NORMAL(value, loc, scale)


# ----- StudentT(df, loc, scale), with y = (value - loc) / scale:
# -(df + 1)/2 log1p(y**2 / df) - log(scale) - log(df)/2 - log(pi)/2 - lgamma(df/2) + lgamma((df + 1)/2)

def _student_t_log_prob(v, df, loc, scale):
    y = (v - loc) / scale
    z = (math.log(scale) + 0.5 * math.log(df) + _HALF_LOG_PI + math.lgamma(0.5 * df)
         - math.lgamma(0.5 * (df + 1.0)))
    return -0.5 * (df + 1.0) * math.log1p(y * y / df) - z


def _student_t_grad_value(g, v, df, loc, scale):
    y = (v - loc) / scale
    return g * (-(df + 1.0) * y / (scale * (df + y * y)))


def _student_t_grad_scale(g, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    return g * (((df + 1.0) * y2 / (df + y2) - 1.0) / scale)


@numba.njit(cache=True)
def _student_t_d_df(v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    return 0.5 * (-math.log1p(y2 / df) + (df + 1.0) * y2 / (df * (df + y2)) - 1.0 / df
                  - _digamma64(0.5 * df) + _digamma64(0.5 * (df + 1.0)))


def _student_t_grad_df(g, v, df, loc, scale):
    return g * _student_t_d_df(v, df, loc, scale)


def _student_t_hessian(a: str, b: str, c: Tensor, xs) -> Tensor:
    return mul(c, _student_t_d2(a, b, xs))


def _student_t_d2(a: str, b: str, xs) -> Tensor:
    v, df, loc, scale = xs
    y = div(sub(v, loc), scale)
    y2 = mul(y, y)
    r = add(df, y2)
    w = add(df, 1.0)
    s_r2 = mul(scale, mul(r, r))
    pair = {a, b}
    if pair == {"value"}:  # -(df + 1)(df - y**2) / (scale r)**2
        return neg(div(mul(w, sub(df, y2)), mul(scale, s_r2)))
    if pair == {"value", "scale"}:  # 2 (df + 1) df y / (scale r)**2
        return div(mul(mul(2.0, w), mul(df, y)), mul(scale, s_r2))
    if pair == {"value", "df"}:  # y (1 - y**2) / (scale r**2)
        return div(mul(y, sub(1.0, y2)), s_r2)
    if pair == {"scale"}:  # (1 - (df + 1) y**2 (r + 2 df) / r**2) / scale**2
        return div(sub(1.0, div(mul(mul(w, y2), add(r, mul(2.0, df))), mul(r, r))), mul(scale, scale))
    if pair == {"scale", "df"}:  # y**2 (y**2 - 1) / (scale r**2)
        return div(mul(y2, sub(y2, 1.0)), s_r2)
    # df twice: y**2/(2 df r) + y**2 (df r - (df + 1)(r + df)) / (2 (df r)**2)
    #           + 1/(2 df**2) - psi1(df/2)/4 + psi1((df + 1)/2)/4
    df_r = mul(df, r)
    return add(add(div(mul(0.5, y2), df_r),
                   div(mul(mul(0.5, y2), sub(df_r, mul(w, add(r, df)))), mul(df_r, df_r))),
               add(div(0.5, mul(df, df)),
                   mul(0.25, sub(polygamma(1, mul(0.5, w)), polygamma(1, mul(0.5, df))))))


def _student_t_second_value_value(c, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    return c * (-(df + 1.0) * (df - y2) / ((scale * r) * (scale * r)))


def _student_t_second_value_df(c, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    return c * (y * (1.0 - y2) / (scale * (r * r)))


def _student_t_second_value_scale(c, v, df, loc, scale):
    y = (v - loc) / scale
    r = df + y * y
    return c * (2.0 * (df + 1.0) * (df * y) / ((scale * r) * (scale * r)))


def _student_t_second_df_scale(c, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    return c * (y2 * (y2 - 1.0) / (scale * (r * r)))


def _student_t_second_scale_scale(c, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    return c * ((1.0 - (df + 1.0) * y2 * (r + 2.0 * df) / (r * r)) / (scale * scale))


@numba.njit(cache=True)
def _student_t_d2_df(v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    df_r = df * r
    return (0.5 * y2 / df_r + 0.5 * y2 * (df_r - (df + 1.0) * (r + df)) / (df_r * df_r)
            + 0.5 / (df * df) + 0.25 * (_zeta(2.0, 0.5 * (df + 1.0)) - _zeta(2.0, 0.5 * df)))


def _student_t_second_df_df(c, v, df, loc, scale):
    return c * _student_t_d2_df(v, df, loc, scale)


def _student_t_log_prob_numpy(v, df, loc, scale):
    y = (v - loc) / scale
    z = _in_double(lambda df, scale: np.log(scale) + 0.5 * np.log(df) + _HALF_LOG_PI
                   + _special("lgamma", 0.5 * df) - _special("lgamma", 0.5 * (df + 1.0)), df, scale)
    return -0.5 * (df + 1.0) * np.log1p(y * y / df) - z


def _student_t_grad_df_numpy(g, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    c = _in_double(lambda df: -1.0 / df - _special("digamma", 0.5 * df)
                   + _special("digamma", 0.5 * (df + 1.0)), df)
    return g * (0.5 * (-np.log1p(y2 / df) + (df + 1.0) * y2 / (df * (df + y2)) + c))


def _student_t_second_df_df_numpy(c, v, df, loc, scale):
    y = (v - loc) / scale
    y2 = y * y
    r = df + y2
    df_r = df * r
    k = _in_double(lambda df: 0.5 / (df * df) + 0.25 * (_special("trigamma", 0.5 * (df + 1.0))
                                                         - _special("trigamma", 0.5 * df)), df)
    return c * (0.5 * y2 / df_r + 0.5 * y2 * (df_r - (df + 1.0) * (r + df)) / (df_r * df_r) + k)


_STUDENT_T = _Density("student_t_log_prob", ("value", "df", "loc", "scale"), _student_t_log_prob,
                      {"value": _student_t_grad_value, "df": _student_t_grad_df,
                       "scale": _student_t_grad_scale}, _student_t_hessian,
                      {("value", "value"): _student_t_second_value_value,
                       ("value", "df"): _student_t_second_value_df,
                       ("value", "scale"): _student_t_second_value_scale,
                       ("df", "df"): _student_t_second_df_df,
                       ("df", "scale"): _student_t_second_df_scale,
                       ("scale", "scale"): _student_t_second_scale_scale},
                      # (sizes from which the composition is faster, measured)
                      {"student_t_log_prob": (_student_t_log_prob_numpy, 512),
                       "student_t_log_prob_backward_df": (_student_t_grad_df_numpy, 256),
                       "student_t_log_prob_second_df_df": (_student_t_second_df_df_numpy, 64)})


def student_t_log_prob(value: Tensor, df: Tensor, loc: Tensor, scale: Tensor) -> Tensor:
    """log StudentT(value; df, loc, scale) elementwise, in one op."""
    return _STUDENT_T(value, df, loc, scale)


# ----- Bernoulli(logits): value * logits - softplus(logits), i.e. minus binary_cross_entropy_with_logits

def _bernoulli_log_prob(v, logits):
    return -((1.0 - v) * logits - min(logits, 0.0) + math.log1p(math.exp(-math.fabs(logits))))


def _bernoulli_grad_value(g, v, logits):
    return g * logits


def _bernoulli_grad_logits(g, v, logits):
    return g * (v - _sigmoid_jit(logits))


def _bernoulli_hessian(a: str, b: str, c: Tensor, xs) -> Tensor:
    logits = xs[1]
    if a == b == "value":  # linear in value
        return mul(c, 0.0)
    if a == b == "logits":  # -sigmoid'(logits)
        return neg(sigmoid_backward(c, sigmoid(logits)))
    return c  # value and logits: 1


def _bernoulli_second_value_value(c, v, logits):
    return c * 0.0


def _bernoulli_second_value_logits(c, v, logits):
    return c


def _bernoulli_second_logits_logits(c, v, logits):
    s = _sigmoid_jit(logits)
    return -(c * (s - s * s))


def _bernoulli_log_prob_numpy(v, logits):
    with np.errstate(invalid="ignore"):  # -inf logits give nan, as in PyTorch
        return -((1.0 - v) * logits - np.minimum(logits, 0.0) + np.log1p(np.exp(-np.abs(logits))))


_BERNOULLI = _Density("bernoulli_log_prob", ("value", "logits"), _bernoulli_log_prob,
                      {"value": _bernoulli_grad_value, "logits": _bernoulli_grad_logits},
                      _bernoulli_hessian,
                      {("value", "value"): _bernoulli_second_value_value,
                       ("value", "logits"): _bernoulli_second_value_logits,
                       ("logits", "logits"): _bernoulli_second_logits_logits},
                      {"bernoulli_log_prob": (_bernoulli_log_prob_numpy, 512)})


def bernoulli_log_prob(value: Tensor, logits: Tensor) -> Tensor:
    """log Bernoulli(value; logits) elementwise (minus binary_cross_entropy_with_logits), in one op."""
    return _BERNOULLI(value, logits)
