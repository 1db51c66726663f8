"""OpInfo entries for numgrad/oplib/densities.py: the fused log-densities and their
backward ops, against scipy.stats and the closed-form derivatives."""
from __future__ import annotations

import numpy as np
import scipy.special as sp
import scipy.stats as st

from numgrad._tensor import apply
from numgrad.oplib.densities import _fused_args, bernoulli_log_prob, normal_log_prob, student_t_log_prob
from numgrad.ops import REGISTRY
from tests.op_db import OpInfo


def _op(name):
    return lambda *xs: apply(REGISTRY[name], _fused_args(*xs))


def _inputs(*ranges):
    """One array per (lo, hi, shape), uniform in [lo, hi)."""
    def make(rng, dtype):
        return tuple(rng.uniform(lo, hi, s).astype(dtype) for lo, hi, s in ranges)
    return make


_G = (-1.0, 1.0, (2, 3))
_VALUE = (-2.0, 2.0, (2, 3))
_LOC = (-1.0, 1.0, (3,))
_SCALE = (0.5, 2.0, (2, 1))
_DF = (0.8, 5.0, (3,))
_LOGITS = (-3.0, 3.0, (3,))
_TARGET = (0.0, 1.0, (2, 3))


def _normal_d_value(v, loc, scale):
    return (loc - v) / scale ** 2


def _normal_d_scale(v, loc, scale):
    return ((v - loc) ** 2 / scale ** 2 - 1) / scale


def _t_d_value(v, df, loc, scale):
    y = (v - loc) / scale
    return -(df + 1) * y / (scale * (df + y ** 2))


def _t_d_scale(v, df, loc, scale):
    y2 = ((v - loc) / scale) ** 2
    return ((df + 1) * y2 / (df + y2) - 1) / scale


def _t_d_df(v, df, loc, scale):
    y2 = ((v - loc) / scale) ** 2
    return 0.5 * (-np.log1p(y2 / df) + (df + 1) * y2 / (df * (df + y2)) - 1 / df
                  - sp.digamma(df / 2) + sp.digamma((df + 1) / 2))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


OPS = [
    OpInfo("normal_log_prob", normal_log_prob, lambda v, loc, scale: st.norm.logpdf(v, loc, scale),
           _inputs(_VALUE, _LOC, _SCALE)),
    OpInfo("normal_log_prob_backward_value", _op("normal_log_prob_backward_value"),
           lambda g, *x: g * _normal_d_value(*x), _inputs(_G, _VALUE, _LOC, _SCALE)),
    OpInfo("normal_log_prob_backward_scale", _op("normal_log_prob_backward_scale"),
           lambda g, *x: g * _normal_d_scale(*x), _inputs(_G, _VALUE, _LOC, _SCALE)),
    OpInfo("student_t_log_prob", student_t_log_prob,
           lambda v, df, loc, scale: st.t.logpdf(v, df, loc, scale), _inputs(_VALUE, _DF, _LOC, _SCALE)),
    OpInfo("student_t_log_prob_backward_value", _op("student_t_log_prob_backward_value"),
           lambda g, *x: g * _t_d_value(*x), _inputs(_G, _VALUE, _DF, _LOC, _SCALE)),
    OpInfo("student_t_log_prob_backward_df", _op("student_t_log_prob_backward_df"),
           lambda g, *x: g * _t_d_df(*x), _inputs(_G, _VALUE, _DF, _LOC, _SCALE)),
    OpInfo("student_t_log_prob_backward_scale", _op("student_t_log_prob_backward_scale"),
           lambda g, *x: g * _t_d_scale(*x), _inputs(_G, _VALUE, _DF, _LOC, _SCALE)),
    OpInfo("bernoulli_log_prob", bernoulli_log_prob,
           lambda v, logits: v * logits - np.logaddexp(0, logits), _inputs(_TARGET, _LOGITS)),
    OpInfo("bernoulli_log_prob_backward_value", _op("bernoulli_log_prob_backward_value"),
           lambda g, v, logits: g * logits, _inputs(_G, _TARGET, _LOGITS)),
    OpInfo("bernoulli_log_prob_backward_logits", _op("bernoulli_log_prob_backward_logits"),
           lambda g, v, logits: g * (v - _sigmoid(logits)), _inputs(_G, _TARGET, _LOGITS)),
]

# the second-derivative kernels: values only (they are not differentiable; tests/test_densities.py
# checks them against the differentiable compositions too)
_SECOND = {
    "normal_log_prob": (_inputs(_G, _VALUE, _LOC, _SCALE), {
        "value_value": lambda v, loc, s: -1 / s ** 2,
        "value_scale": lambda v, loc, s: 2 * (v - loc) / s ** 3,
        "scale_scale": lambda v, loc, s: (1 - 3 * ((v - loc) / s) ** 2) / s ** 2}),
    "student_t_log_prob": (_inputs(_G, _VALUE, _DF, _LOC, _SCALE), {
        "value_value": lambda v, df, loc, s: -(df + 1) * (df * s ** 2 - (v - loc) ** 2)
        / (df * s ** 2 + (v - loc) ** 2) ** 2,
        "value_df": lambda v, df, loc, s: (v - loc) * (s ** 2 - (v - loc) ** 2)
        / (df * s ** 2 + (v - loc) ** 2) ** 2,
        "value_scale": lambda v, df, loc, s: 2 * (df + 1) * (v - loc) * df * s
        / (df * s ** 2 + (v - loc) ** 2) ** 2,
        "df_df": lambda v, df, loc, s: _t_d2_df(v, df, loc, s),
        "df_scale": lambda v, df, loc, s: (v - loc) ** 2 * ((v - loc) ** 2 - s ** 2)
        / (s * (df * s ** 2 + (v - loc) ** 2) ** 2),
        "scale_scale": lambda v, df, loc, s: 1 / s ** 2 - (df + 1) * (v - loc) ** 2
        * (3 * df * s ** 2 + (v - loc) ** 2) / (s ** 2 * (df * s ** 2 + (v - loc) ** 2) ** 2)}),
    "bernoulli_log_prob": (_inputs(_G, _TARGET, _LOGITS), {
        "value_value": lambda v, logits: 0 * logits,
        "value_logits": lambda v, logits: 1 + 0 * logits,
        "logits_logits": lambda v, logits: -_sigmoid(logits) * (1 - _sigmoid(logits))}),
}


def _t_d2_df(v, df, loc, s, h=1e-5):
    """d2/d df2 of the log-density, as the central difference of the analytic d/d df."""
    return (_t_d_df(v, df + h, loc, s) - _t_d_df(v, df - h, loc, s)) / (2 * h)


OPS += [OpInfo(f"{density}_second_{pair}", _op(f"{density}_second_{pair}"),
               lambda c, *x, f=f: c * f(*x), inputs, grad=False, ref_atol=1e-6)
        for density, (inputs, pairs) in _SECOND.items() for pair, f in pairs.items()]
