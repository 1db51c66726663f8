"""erfinv and the regularized lower incomplete gamma function (PyTorch's torch.erfinv and
torch.special.gammainc), for Normal.icdf and Gamma.cdf.

Both are `autograd.Function`s over Numba kernels: numgrad's op registry has
neither, and they are only needed here. Their derivatives are written with
numgrad ops, so they can be differentiated again; gammainc, like PyTorch's,
has no derivative with respect to its first argument.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from numgrad._tensor import Tensor
from numgrad.autograd.function import Function

_MACHEP = 1.11022302462515654042e-16
_MAXLOG = 7.09782712893383996843e2
_BIG = 4.503599627370496e15
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


@numba.njit(cache=True)
def _erfinv_scalar(x):
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
    y = abs(p * x)
    a = abs(x)
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
        if abs(step) <= 1e-16 * y:
            break
    return y if x >= 0.0 else -y


@numba.njit(cache=True)
def _erfinv_loop(x, out):
    for i in range(x.size):
        out[i] = _erfinv_scalar(x[i])


@numba.njit(cache=True)
def _igam_series(a, x):
    """P(a, x) by its power series (Cephes' igam), for x <= 1 or x <= a."""
    ax = a * math.log(x) - x - math.lgamma(a)
    if ax < -_MAXLOG:
        return 0.0
    ax = math.exp(ax)
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
    ax = a * math.log(x) - x - math.lgamma(a)
    if ax < -_MAXLOG:
        return 0.0
    ax = math.exp(ax)
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
            t = abs((ans - r) / r)
            ans = r
        else:
            t = 1.0
        pkm2 = pkm1
        pkm1 = pk
        qkm2 = qkm1
        qkm1 = qk
        if abs(pk) > _BIG:
            pkm2 /= _BIG
            pkm1 /= _BIG
            qkm2 /= _BIG
            qkm1 /= _BIG
        if t <= _MACHEP:
            break
    return ans * ax


@numba.njit(cache=True)
def _gammainc_scalar(a, x):
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


@numba.njit(cache=True)
def _gammainc_loop(a, x, out):
    for i in range(x.size):
        out[i] = _gammainc_scalar(a[i], x[i])


def _result_dtype(*arrays: np.ndarray) -> np.dtype:
    dt = np.result_type(*arrays)
    return dt if dt.kind == "f" else np.dtype(np.float32)


class _Erfinv(Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        a = x._data
        flat = np.ascontiguousarray(a, dtype=np.float64).reshape(-1)
        out = np.empty_like(flat)
        _erfinv_loop(flat, out)
        y = Tensor._make(out.reshape(a.shape).astype(_result_dtype(a)))
        ctx.save_for_backward(y)
        ctx.save_for_forward(y)
        return y

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return grad * ((y * y).exp() * (math.sqrt(math.pi) / 2))

    @staticmethod
    def jvp(ctx, tangent: Tensor) -> Tensor:
        (y,) = ctx.saved_tensors
        return tangent * ((y * y).exp() * (math.sqrt(math.pi) / 2))


def erfinv(input: Tensor) -> Tensor:
    """The inverse error function (nan outside [-1, 1])."""
    return _Erfinv.apply(input)


def _gammainc_density(a: Tensor, x: Tensor) -> Tensor:
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)."""
    from numgrad.oplib.pointwise import lgamma, xlogy
    return (xlogy(a - 1, x) - x - lgamma(a)).exp()


_NO_A_GRAD = "the derivative for 'igamma: input' is not implemented."


class _Gammainc(Function):
    @staticmethod
    def forward(ctx, a: Tensor, x: Tensor) -> Tensor:
        aa, xa = np.broadcast_arrays(a._data, x._data)
        shape = aa.shape
        af = np.ascontiguousarray(aa, dtype=np.float64).reshape(-1)
        xf = np.ascontiguousarray(xa, dtype=np.float64).reshape(-1)
        out = np.empty_like(xf)
        _gammainc_loop(af, xf, out)
        ctx.save_for_backward(a, x)
        ctx.save_for_forward(a, x)
        return Tensor._make(out.reshape(shape).astype(_result_dtype(a._data, x._data)))

    @staticmethod
    def backward(ctx, grad: Tensor):
        a, x = ctx.saved_tensors
        if ctx.needs_input_grad[0]:
            raise NotImplementedError(_NO_A_GRAD)
        return None, grad * _gammainc_density(a, x)

    @staticmethod
    def jvp(ctx, tangent_a: Tensor, tangent_x: Tensor) -> Tensor:
        a, x = ctx.saved_tensors
        if tangent_a is not None and tangent_a._data.any():
            raise NotImplementedError(_NO_A_GRAD)
        return tangent_x * _gammainc_density(a, x)


def gammainc(input: Tensor, other: Tensor) -> Tensor:
    """The regularized lower incomplete gamma function P(input, other)."""
    return _Gammainc.apply(input, other)
