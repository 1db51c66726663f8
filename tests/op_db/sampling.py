"""OpInfo entries for numgrad/oplib/sampling.py: the gamma sampler (values against
numpy's generator with the same seed; its gradient is not a function of the seeded
sample, so tests/test_gamma_rsample.py checks it) and the derivative of a sample."""
from __future__ import annotations

import numpy as np
import scipy.special as sp

import numgrad as ng
from numgrad.oplib.sampling import standard_gamma, standard_gamma_grad
from tests.op_db import OpInfo


def _seeded_sample(concentration):
    ng.manual_seed(0)
    return standard_gamma(concentration)


def _numpy_sample(a):
    return np.maximum(np.random.default_rng(0).standard_gamma(a), np.finfo(np.float64).tiny)


def _implicit_derivative(a, x):
    u = sp.gammainc(a, x)
    h = 1e-6 * a
    return (sp.gammaincinv(a + h, u) - sp.gammaincinv(a - h, u)) / (2 * h)


def _concentration_and_sample(rng, dtype):
    a = rng.uniform(0.2, 5.0, (2, 3))
    return a.astype(dtype), rng.gamma(a).astype(dtype)


OPS = [
    OpInfo("_standard_gamma", _seeded_sample, _numpy_sample,
           lambda rng, dt: (rng.uniform(0.2, 5.0, (2, 3)).astype(dt),), grad=False),
    OpInfo("_standard_gamma_grad", standard_gamma_grad, _implicit_derivative,
           _concentration_and_sample, grad=False),
]
