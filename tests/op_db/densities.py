"""OpInfo entries for numgrad/oplib/densities.py: the fused log-densities and their
backward ops, against scipy.stats and the closed-form derivatives."""
from __future__ import annotations

import numpy as np
import scipy.special as sp
import scipy.stats as st

from numgrad._tensor import apply
from numgrad.oplib.densities import _fused_args, normal_log_prob, student_t_log_prob
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
]
