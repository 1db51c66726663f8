"""OpInfo entries for numgrad/oplib/pointwise.py (elementwise ops)."""
from __future__ import annotations

import numpy as np
import scipy.special as sp

import numgrad as ng
from numgrad.oplib import pointwise as P
from tests.op_db import OpInfo


def _u(lo, hi, *shape):
    """Inputs: one array per shape, uniform in [lo, hi)."""
    shapes = shape or ((2, 3),)

    def make(rng, dtype):
        return tuple(rng.uniform(lo, hi, s).astype(dtype) for s in shapes)
    return make


def _away_from(points, lo, hi, shape=(2, 3), gap=0.1):
    """Inputs uniform in [lo, hi) but at least `gap` from every kink in `points`."""
    def make(rng, dtype):
        x = rng.uniform(lo, hi, shape)
        for p in points:
            near = np.abs(x - p) < gap
            x[near] = p + np.where(x[near] >= p, gap, -gap)
        return (x.astype(dtype),)
    return make


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x, beta=1.0, threshold=20.0):
    return np.where(x * beta > threshold, x, np.logaddexp(0, x * beta) / beta)


BIN = _u(-2, 2, (2, 3), (3,))           # broadcasting binary inputs
POS_BIN = _u(0.5, 2, (2, 3), (3,))


def _distinct_pair(rng, dtype):
    a = rng.uniform(-2, 2, (2, 3))
    b = a[0] + rng.choice([-1, 1], 3) * rng.uniform(0.2, 1, 3)   # never tied with a
    return a.astype(dtype), b.astype(dtype)


def _clamp_tensors(rng, dtype):
    x = np.array([[-1.5, -0.5, 0.3], [0.7, 1.6, -0.1]])
    lo = np.array([-1.0, -0.2, 0.0])
    hi = np.array([[0.5], [1.2]])
    return x.astype(dtype), lo.astype(dtype), hi.astype(dtype)


def _g_and(make_second):
    """Inputs (g, second) for a fused backward op: a cotangent and its op's argument."""
    def make(rng, dtype):
        return (rng.standard_normal((2, 3)).astype(dtype),) + make_second(rng, dtype)
    return make


def _bool_pair(rng, dtype):
    a = np.array([1.0, 2.0, 3.0, 2.0], dtype)
    return a, np.array([2.0, 2.0, 1.0, 5.0], dtype)


def _cmp(name, ref):
    return OpInfo(name, getattr(ng, name), ref, _bool_pair, grad=False)


def _quotient_pair(rng, dtype):
    """(a, b), broadcasting, with a / b at least 0.2 from an integer (remainder and fmod jump there)."""
    b = rng.uniform(0.5, 2, 3) * rng.choice([-1, 1], 3)
    q = rng.integers(-3, 4, (2, 3)) + rng.uniform(0.2, 0.8, (2, 3))
    return (q * b).astype(dtype), b.astype(dtype)


def _special(rng, dtype):
    return (np.array([[0.0, -1.5, np.inf], [-np.inf, np.nan, 2.0]], dtype),)


def _zeros_pair(rng, dtype):
    return np.array([[0.0, 1.5, -2.0], [0.0, np.nan, 0.0]], dtype), np.array([0.0, 3.0, 1.0], dtype)


def _int_pair(rng, dtype):
    return rng.integers(-8, 8, (2, 3)), rng.integers(-8, 8, 3)


def _nonzero_pair(rng, dtype):
    """(a, b), broadcasting, both at least 0.2 from zero (copysign's kink and jump)."""
    a = rng.uniform(0.2, 2, (2, 3)) * rng.choice([-1, 1], (2, 3))
    return a.astype(dtype), (rng.uniform(0.2, 2, 3) * rng.choice([-1, 1], 3)).astype(dtype)


def _fixed(*arrays):
    return lambda rng, dtype: tuple(np.asarray(a, dtype=dtype) for a in arrays)


def _lerp_ref(a, b, w):
    return np.where(np.abs(w) < 0.5, a + w * (b - a), b - (b - a) * (1 - w))


def _not_differentiable(names, ref_of, inputs):
    return [OpInfo(n, getattr(ng, n), ref_of(n), inputs, grad=False) for n in names]


OPS = [
    # ---- arithmetic
    OpInfo("add", lambda a, b: ng.add(a, b, alpha=2), lambda a, b: a + 2 * b, BIN),
    OpInfo("sub", ng.sub, np.subtract, BIN),
    OpInfo("mul", ng.mul, np.multiply, BIN),
    OpInfo("div", ng.div, np.divide, _u(0.5, 2, (2, 3), (3,))),
    OpInfo("neg", ng.neg, np.negative, _u(-2, 2)),
    OpInfo("pow", ng.pow, np.power, POS_BIN),
    OpInfo("pow_scalar_exponent", lambda a: a ** 3, lambda a: a ** 3, _u(-2, 2), covers=["pow"]),
    OpInfo("atan2", ng.atan2, np.arctan2, _u(0.2, 2, (2, 3), (3,))),
    OpInfo("atan2_quadrants", ng.atan2, np.arctan2,
           lambda rng, dt: (np.array([1.0, -1.0, 1.0, -1.0], dt), np.array([1.5, 0.5, -0.5, -1.5], dt)),
           covers=["atan2"]),
    OpInfo("maximum", ng.maximum, np.maximum, _distinct_pair),
    OpInfo("minimum", ng.minimum, np.minimum, _distinct_pair),
    OpInfo("maximum_backward", P.maximum_backward, lambda g, a, b: np.where(a < b, 0, g),
           lambda rng, dt: (rng.standard_normal(3).astype(dt), np.array([1.0, 2.0, 3.0], dt),
                            np.array([2.0, 0.0, 1.0], dt))),
    OpInfo("maximum_backward_tie", P.maximum_backward, lambda g, a, b: np.where(a == b, g / 2, g),
           lambda rng, dt: (rng.standard_normal(2).astype(dt), np.array([2.0, 3.0], dt),
                            np.array([2.0, 1.0], dt)),
           covers=["maximum_backward"], grad=False),  # a kink: finite differences do not apply

    # ---- exponentials and logarithms
    OpInfo("exp", ng.exp, np.exp, _u(-2, 2)),
    OpInfo("exp2", ng.exp2, np.exp2, _u(-2, 2)),
    OpInfo("expm1", ng.expm1, np.expm1, _u(-2, 2)),
    OpInfo("log", ng.log, np.log, _u(0.5, 3)),
    OpInfo("log2", ng.log2, np.log2, _u(0.5, 3)),
    OpInfo("log1p", ng.log1p, np.log1p, _u(-0.5, 2)),
    OpInfo("sqrt", ng.sqrt, np.sqrt, _u(0.5, 3)),
    OpInfo("rsqrt", ng.rsqrt, lambda x: 1 / np.sqrt(x), _u(0.5, 3)),
    OpInfo("square", ng.square, np.square, _u(-2, 2)),

    # ---- sign-like
    OpInfo("abs", ng.abs, np.abs, _away_from([0], -2, 2)),
    OpInfo("sign", ng.sign, np.sign, _away_from([0], -2, 2)),
    OpInfo("floor", ng.floor, np.floor, _away_from([-1, 0, 1], -2, 2)),
    OpInfo("trunc", ng.trunc, np.trunc, _away_from([-1, 0, 1], -2, 2)),

    # ---- trigonometric and hyperbolic
    OpInfo("sin", ng.sin, np.sin, _u(-3, 3)),
    OpInfo("cos", ng.cos, np.cos, _u(-3, 3)),
    OpInfo("tan", ng.tan, np.tan, _u(-1.2, 1.2)),
    OpInfo("asin", ng.asin, np.arcsin, _u(-0.8, 0.8)),
    OpInfo("acos", ng.acos, np.arccos, _u(-0.8, 0.8)),
    OpInfo("atan", ng.atan, np.arctan, _u(-3, 3)),
    OpInfo("sinh", ng.sinh, np.sinh, _u(-2, 2)),
    OpInfo("cosh", ng.cosh, np.cosh, _u(-2, 2)),
    OpInfo("tanh", ng.tanh, np.tanh, _u(-2, 2)),
    OpInfo("asinh", ng.asinh, np.arcsinh, _u(-2, 2)),
    OpInfo("acosh", ng.acosh, np.arccosh, _u(1.2, 3)),
    OpInfo("atanh", ng.atanh, np.arctanh, _u(-0.8, 0.8)),
    OpInfo("tanh_backward", ng.tanh_backward, lambda g, y: g * (1 - y * y), _u(-0.9, 0.9, (2, 3), (3,))),

    # ---- activations
    OpInfo("sigmoid", ng.sigmoid, _sigmoid, _u(-4, 4)),
    OpInfo("sigmoid_extreme", ng.sigmoid, _sigmoid,
           lambda rng, dt: (np.array([-800.0, -30.0, 30.0, 800.0], dt),), covers=["sigmoid"], ref_atol=0),
    OpInfo("sigmoid_backward", P.sigmoid_backward, lambda g, y: g * y * (1 - y),
           _u(0.1, 0.9, (2, 3), (3,))),
    OpInfo("relu", ng.relu, lambda x: np.maximum(x, 0), _away_from([0], -2, 2)),
    OpInfo("threshold_backward", P.threshold_backward, lambda g, y: np.where(y > 0, g, 0),
           _g_and(_away_from([0], -2, 2))),
    OpInfo("leaky_relu", lambda x: ng.leaky_relu(x, 0.2), lambda x: np.where(x > 0, x, 0.2 * x),
           _away_from([0], -2, 2)),
    OpInfo("leaky_relu_backward",
           lambda g, x: P.leaky_relu_backward(g, x, ng.tensor(0.2, dtype=x.dtype)),
           lambda g, x: np.where(x > 0, g, 0.2 * g), _g_and(_away_from([0], -2, 2))),
    OpInfo("softplus", ng.softplus, _softplus, _u(-3, 3)),
    OpInfo("softplus_beta_threshold", lambda x: ng.softplus(x, beta=2.0, threshold=3.0),
           lambda x: _softplus(x, 2.0, 3.0), _away_from([1.5], -3, 3), covers=["softplus"]),
    OpInfo("softplus_extreme", ng.softplus, _softplus,
           lambda rng, dt: (np.array([-800.0, -30.0, 19.0, 21.0, 800.0], dt),), covers=["softplus"],
           ref_atol=0),
    OpInfo("softplus_backward",
           lambda g, x: P.softplus_backward(g, x, ng.tensor(1.5, dtype=x.dtype),
                                            ng.tensor(2.0, dtype=x.dtype)),
           lambda g, x: np.where(x * 1.5 > 2.0, g, g * _sigmoid(1.5 * x)),
           _g_and(_away_from([2.0 / 1.5], -3, 3))),
    OpInfo("logsigmoid", ng.logsigmoid, lambda x: -np.logaddexp(0, -x), _u(-4, 4), covers=["log_sigmoid"]),
    OpInfo("logsigmoid_extreme", ng.logsigmoid, lambda x: -np.logaddexp(0, -x),
           lambda rng, dt: (np.array([-800.0, -30.0, 30.0, 800.0], dt),), covers=["log_sigmoid"],
           ref_atol=0),
    OpInfo("log_sigmoid_backward", P.log_sigmoid_backward, lambda g, x: g * _sigmoid(-x),
           _u(-3, 3, (2, 3), (3,))),
    OpInfo("nan_to_num", lambda x: ng.nan_to_num(x, nan=1.5, posinf=3.0), np.nan_to_num, _u(-2, 2)),
    OpInfo("nan_to_num_special", lambda x: ng.nan_to_num(x, nan=1.5, posinf=3.0, neginf=-3.0),
           lambda x: np.nan_to_num(x, nan=1.5, posinf=3.0, neginf=-3.0),
           _fixed([1.0, np.nan, np.inf, -np.inf, -2.0]), covers=["nan_to_num"], grad=False),
    OpInfo("erfinv", ng.erfinv, sp.erfinv, _u(-0.95, 0.95)),
    OpInfo("erfinv_edges", ng.erfinv, sp.erfinv,
           _fixed([-1.0, -1 + 1e-7, 0.0, 1 - 1e-7, 1.0, 1.5]), covers=["erfinv"], grad=False),
    # differentiable in x only (PyTorch's too): a fixed first argument
    OpInfo("igamma", lambda x: ng.igamma(ng.tensor([0.3, 1.0, 4.5], dtype=x.dtype), x),
           lambda x: sp.gammainc([0.3, 1.0, 4.5], x), _u(0.2, 6, (2, 3))),
    OpInfo("igamma_values", ng.igamma, sp.gammainc,
           _fixed([0.1, 0.5, 1.0, 3.0, 20.0, 150.0, 2.0], [1e-3, 0.1, 1.0, 2.5, 10.0, 200.0, 0.0]),
           covers=["igamma"], grad=False),
    OpInfo("binary_cross_entropy_with_logits", P.bce_with_logits,
           lambda x, t: (1 - t) * x + np.logaddexp(0, -x), _u(-3, 3, (2, 3), (3,))),
    OpInfo("bce_with_logits_extreme", P.bce_with_logits, lambda x, t: (1 - t) * x + np.logaddexp(0, -x),
           _fixed([-800.0, -30.0, 30.0, 800.0], [0.25, 1.0, 0.0, 0.5]),
           covers=["binary_cross_entropy_with_logits"], ref_atol=0),
    OpInfo("binary_cross_entropy_with_logits_backward", P.bce_with_logits_backward,
           lambda g, x, t: g * (_sigmoid(x) - t), _u(-3, 3, (2, 3), (2, 3), (3,))),

    # ---- special functions
    OpInfo("erf", ng.erf, sp.erf, _u(-2, 2)),
    OpInfo("erfc", ng.erfc, sp.erfc, _u(-2, 2)),
    OpInfo("lgamma", ng.lgamma, sp.gammaln, _u(0.3, 5)),
    OpInfo("lgamma_negative", ng.lgamma, sp.gammaln, _away_from([-2, -1], -2.7, -0.3), covers=["lgamma"]),
    OpInfo("digamma", ng.digamma, sp.digamma, _u(0.3, 15)),
    OpInfo("digamma_negative", ng.digamma, sp.digamma, _away_from([-3, -2, -1], -3.7, -0.3),
           covers=["digamma"], atol=1e-4),
    OpInfo("polygamma_1", lambda x: ng.polygamma(1, x), lambda x: sp.polygamma(1, x), _u(0.3, 15),
           covers=["polygamma"]),
    OpInfo("polygamma_3", lambda x: ng.polygamma(3, x), lambda x: sp.polygamma(3, x), _u(0.5, 4),
           covers=["polygamma"], atol=1e-4),
    OpInfo("polygamma_2_negative", lambda x: ng.polygamma(2, x), lambda x: sp.polygamma(2, x),
           _away_from([-2, -1], -2.6, -0.4, gap=0.25), covers=["polygamma"], atol=1e-3),

    # ---- clamp
    OpInfo("clamp", lambda x: ng.clamp(x, -0.5, 0.8), lambda x: np.clip(x, -0.5, 0.8),
           _away_from([-0.5, 0.8], -2, 2)),
    OpInfo("clamp_min", lambda x: ng.clamp_min(x, 0.2), lambda x: np.maximum(x, 0.2),
           _away_from([0.2], -2, 2), covers=["clamp"]),
    OpInfo("clamp_max", lambda x: x.clamp_max(0.2), lambda x: np.minimum(x, 0.2),
           _away_from([0.2], -2, 2), covers=["clamp"]),
    OpInfo("clamp_tensor_bounds", ng.clamp, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
           _clamp_tensors, covers=["clamp"]),
    OpInfo("clamp_backward", lambda g, x: P.clamp_backward(g, x, ng.tensor(-0.5, dtype=x.dtype),
                                                           ng.tensor(0.8, dtype=x.dtype)),
           lambda g, x: np.where((x >= -0.5) & (x <= 0.8), g, 0), _g_and(_away_from([-0.5, 0.8], -2, 2))),

    # ---- rounding (zero gradients) and compositions of it
    OpInfo("ceil", ng.ceil, np.ceil, _away_from([-1, 0, 1], -2, 2)),
    OpInfo("round", ng.round, np.round, _away_from([-1.5, -0.5, 0.5, 1.5], -2, 2)),
    OpInfo("round_decimals", lambda x: (ng.round(x, decimals=1), x.round(decimals=-1)),
           lambda x: (np.round(x, 1), np.round(x, -1)),
           _fixed([[0.123, -1.234, 2.071], [-36.2, 44.9, 0.0]]), covers=["round"]),
    OpInfo("frac", ng.frac, lambda x: x - np.trunc(x), _away_from([-1, 0, 1], -2, 2), covers=["trunc"]),

    # ---- more binary ops
    OpInfo("hypot", ng.hypot, np.hypot, BIN),
    OpInfo("copysign", ng.copysign, np.copysign, _nonzero_pair),
    OpInfo("copysign_scalar", lambda a: a.copysign(-1.0), lambda a: np.copysign(a, -1.0),
           _away_from([0], -2, 2), covers=["copysign"]),
    OpInfo("xlogy", ng.xlogy, sp.xlogy, _u(0.5, 2, (2, 3), (3,))),
    OpInfo("xlogy_zero_x", ng.xlogy, sp.xlogy, _fixed([[0.0, 1.5, 0.0], [-0.5, 0.0, 2.0]], [0.5, 1.5, 3.0]),
           covers=["xlogy"]),
    OpInfo("logaddexp", ng.logaddexp, np.logaddexp, BIN),
    OpInfo("logaddexp_ties", ng.logaddexp, np.logaddexp, _fixed([1.0, -2.0, 30.0], [1.0, -2.0, -30.0]),
           covers=["logaddexp"]),
    OpInfo("reciprocal", ng.reciprocal, np.reciprocal, _away_from([0], -2, 2), covers=["div"]),
    OpInfo("logit", ng.logit, sp.logit, _u(0.05, 0.95), covers=["log", "log1p"]),
    OpInfo("logit_eps", lambda x: ng.logit(x, 0.2), lambda x: sp.logit(np.clip(x, 0.2, 0.8)),
           _away_from([0.2, 0.8], 0, 1, gap=0.05), covers=["clamp", "log"]),
    OpInfo("lerp", lambda a, b: (ng.lerp(a, b, 0.25), a.lerp(b, 0.75)),
           lambda a, b: (_lerp_ref(a, b, 0.25), _lerp_ref(a, b, 0.75)), BIN, covers=["add", "sub", "mul"]),
    OpInfo("lerp_tensor_weight", ng.lerp, _lerp_ref,
           lambda rng, dt: (_u(-2, 2, (2, 3), (3,))(rng, dt) + (np.array([[0.2], [0.9]], dt),)),
           covers=["where"]),
    OpInfo("addcmul", lambda a, b, c: ng.addcmul(a, b, c, value=0.5), lambda a, b, c: a + 0.5 * b * c,
           _u(-2, 2, (2, 3), (3,), (2, 1)), covers=["add_scaled"]),
    OpInfo("addcdiv", lambda a, b, c: a.addcdiv(b, c, value=-2), lambda a, b, c: a - 2 * b / c,
           lambda rng, dt: (_u(-2, 2, (2, 3), (3,))(rng, dt) + (rng.uniform(0.5, 2, (2, 1)).astype(dt),)),
           covers=["add_scaled"]),

    # ---- selection and conversion
    OpInfo("where", lambda c, a, b: ng.where(c, a, b), np.where,
           lambda rng, dt: (np.array([True, False, True]), rng.uniform(-1, 1, (2, 3)).astype(dt),
                            rng.uniform(-1, 1, 3).astype(dt))),
    OpInfo("where_scalars", lambda c, a: (ng.where(c, a, 0.5), ng.where(c, -1.0, a), a.where(c, 2.0)),
           lambda c, a: (np.where(c, a, 0.5), np.where(c, -1.0, a), np.where(c, a, 2.0)),
           lambda rng, dt: (np.array([True, False, True]), rng.uniform(-1, 1, (2, 3)).astype(dt)),
           covers=["where"]),
    # round trip through float32: finite differences need inputs small enough to stay exact
    OpInfo("to_dtype", lambda x: P.to_dtype(P.to_dtype(x, np.float32), x.dtype),
           lambda x: x.astype(np.float32).astype(np.float64), _u(0.001, 0.01), atol=1e-3,
           gradgrad=False, ref_atol=1e-12),
    _cmp("eq", np.equal), _cmp("ne", np.not_equal), _cmp("lt", np.less), _cmp("le", np.less_equal),
    _cmp("gt", np.greater), _cmp("ge", np.greater_equal),

    # ---- rounded division: remainder and fmod have gradients (1 and -round(a / b)), floor_divide not
    OpInfo("remainder", ng.remainder, np.remainder, _quotient_pair),
    OpInfo("fmod", ng.fmod, np.fmod, _quotient_pair),
    OpInfo("remainder_scalar", lambda a: a % 1.5, lambda a: np.remainder(a, 1.5),
           _away_from([-1.5, 0, 1.5], -2.9, 2.9), covers=["remainder"]),
    OpInfo("floor_divide", ng.floor_divide, np.floor_divide, _quotient_pair, grad=False),
    OpInfo("bitwise_not", ng.bitwise_not, np.invert, lambda rng, dt: _int_pair(rng, dt)[:1], grad=False),
    *_not_differentiable(["isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not"],
                         lambda n: getattr(np, n), _special),
    *_not_differentiable(["logical_and", "logical_or", "logical_xor"], lambda n: getattr(np, n), _zeros_pair),
    *_not_differentiable(["bitwise_and", "bitwise_or", "bitwise_xor"], lambda n: getattr(np, n), _int_pair),
]

OPS.append(OpInfo("sin_backward", lambda g, x: P.sin_backward(g, x),
                  lambda g, x: g * np.cos(x), lambda rng, dt: (rng.standard_normal(5).astype(dt),
                                                              rng.standard_normal(5).astype(dt))))

OPS.append(OpInfo("pow_backward", lambda g, a, b: P.pow_backward(g, a, b),
                  lambda g, a, b: g * b * a ** (b - 1),
                  lambda rng, dt: (rng.standard_normal(4).astype(dt), rng.uniform(0.5, 2, 4).astype(dt),
                                   rng.uniform(0.5, 3, 4).astype(dt))))
OPS.append(OpInfo("add_scaled", lambda a, b: ng.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b,
                  lambda rng, dt: (rng.standard_normal((2, 3)).astype(dt), rng.standard_normal(3).astype(dt))))
OPS.append(OpInfo("sub_alpha", lambda a, b: ng.sub(a, b, alpha=0.5), lambda a, b: a - 0.5 * b,
                  lambda rng, dt: (rng.standard_normal(3).astype(dt), rng.standard_normal(3).astype(dt)),
                  covers=["add_scaled"]))
OPS.append(OpInfo("pow_square", lambda a: a ** 2, lambda a: a ** 2,
                  lambda rng, dt: (rng.standard_normal((2, 3)).astype(dt),), covers=["pow", "pow_backward"]))
OPS.append(OpInfo("pow_cube", lambda a: a ** 3, lambda a: a ** 3,
                  lambda rng, dt: (rng.standard_normal((2, 3)).astype(dt),), covers=["pow", "pow_backward"]))
OPS.append(OpInfo("pow_identity", lambda a: a ** 1.0, lambda a: a,
                  lambda rng, dt: (rng.standard_normal((2, 3)).astype(dt),), covers=["pow", "pow_backward"]))
OPS.append(OpInfo("div_backward_other", lambda g, a, b: P.div_backward_other(g, a, b),
                  lambda g, a, b: -g * a / (b * b),
                  lambda rng, dt: (rng.standard_normal((2, 3)).astype(dt),
                                   rng.standard_normal((2, 3)).astype(dt),
                                   rng.uniform(0.5, 2, 3).astype(dt))))
OPS.append(OpInfo("pow_backward_square", lambda g, a: P.pow_backward(g, a, 2.0), lambda g, a: 2 * g * a,
                  lambda rng, dt: (rng.standard_normal(4).astype(dt), rng.standard_normal(4).astype(dt)),
                  covers=["pow_backward"]))
