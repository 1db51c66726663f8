"""The reparameterized gamma sampler behind rsample of Gamma, Beta, Dirichlet and StudentT.

`standard_gamma(concentration)` draws Gamma(concentration, 1) samples and is
differentiable in the concentration by the implicit reparameterization
gradient: with u = P(a, x) held fixed (P the regularized lower incomplete gamma
function, the CDF), dx/da = -(dP/da) / (dP/dx). As in PyTorch, the ops are
`_standard_gamma` and `_standard_gamma_grad`, and the latter has no derivative
(a second derivative through a gamma sample raises PyTorch's error).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from numgrad._tensor import Tensor, apply
from numgrad.creation import _rng
from numgrad.oplib._util import binary_args
from numgrad.oplib.pointwise import _igam_series, _igamc_fraction, _MAXLOG, mul
from numgrad.ops.registry import elementwise, primitive

__all__: list[str] = []

# relative step of the central difference in a (about 1e-10 relative error: the
# truncation error is of order step**2, the rounding error of order 1e-16 / step)
_STEP = 1e-5


@numba.njit(cache=True)
def _gamma_sample_grad(a, x):
    """dx/da of a Gamma(a, 1) sample x, from the CDF P(a, x): -(dP/da) / (dP/dx).
    dP/da is a central difference of the power series (left of the mode) or of the
    continued fraction for 1 - P (right of it), each accurate to full relative
    precision where it is used."""
    if math.isnan(x) or math.isnan(a) or a <= 0.0:
        return math.nan
    if x <= 0.0 or math.isinf(x):
        return 0.0
    h = _STEP * a
    if x > 1.0 and x > a:
        dp_da = -(_igamc_fraction(a + h, x) - _igamc_fraction(a - h, x)) / (2.0 * h)
    else:
        dp_da = (_igam_series(a + h, x) - _igam_series(a - h, x)) / (2.0 * h)
    log_density = (a - 1.0) * math.log(x) - x - math.lgamma(a)
    if log_density < -_MAXLOG:  # so far in the tail that both underflow
        return 0.0
    return -dp_da / math.exp(log_density)


def _standard_gamma_grad_scalar(a, x):
    return _gamma_sample_grad(float(a), float(x))


STANDARD_GAMMA_GRAD = elementwise("_standard_gamma_grad", _standard_gamma_grad_scalar)


def standard_gamma_grad(concentration: Tensor, sample: Tensor) -> Tensor:
    """d sample / d concentration for Gamma(concentration, 1) samples
    (torch._standard_gamma_grad, same argument order)."""
    return apply(STANDARD_GAMMA_GRAD, binary_args(concentration, sample))


def _standard_gamma_cpu(op, a: np.ndarray) -> np.ndarray:
    # at least the smallest normal number of the dtype, as PyTorch clamps its samples
    g = np.asarray(_rng[0].standard_gamma(a.astype(np.float64)))
    return np.maximum(g.astype(a.dtype), np.finfo(a.dtype).tiny)


def _standard_gamma_vjp(ctx, g):
    return (mul(g, standard_gamma_grad(ctx.saved[0], ctx.output)),)


STANDARD_GAMMA = primitive("_standard_gamma", _standard_gamma_cpu, _standard_gamma_vjp,
                           lambda ctx, t: _standard_gamma_vjp(ctx, t)[0], save=(0,),
                           save_output=True)


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples, one per element, differentiable in the
    concentration, a floating tensor (torch._standard_gamma)."""
    return apply(STANDARD_GAMMA, (concentration,))
