"""Normal, Laplace, Uniform and StudentT (location-scale families and the uniform)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._dtype import finfo
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.distribution import Distribution, _invalid_parameter
from numgrad.distributions.gamma import Gamma
from numgrad.distributions.utils import (_floating, _numbers, _standard_normal,
                                         broadcast_all)
from numgrad.oplib.densities import normal_log_prob, student_t_log_prob

__all__ = ["Normal", "Laplace", "Uniform", "StudentT"]


def _data(x: Any) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class _LocScale(Distribution):
    """A location-scale family with parameters `loc` (real) and `scale` (positive),
    broadcast together; its mode is `loc`."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        batch_shape = () if _numbers(loc, scale) else self.loc._data.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> Any:
        # the library class (Normal, ...) below any user subclass, for PyTorch's
        # custom-__init__ check
        cls = next(c for c in type(self).__mro__ if _LocScale in c.__bases__)
        new = self._get_checked_instance(cls, _instance)
        return self._expand_params(new, batch_shape, ("loc", "scale"))

    @property
    def mode(self) -> Tensor:
        return self.loc


class Normal(_LocScale):
    """The normal (Gaussian) distribution with mean `loc` and standard deviation `scale`."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        loc, scale = self.loc._data, self.scale._data
        eps = _standard_normal(shape, loc.dtype)._data
        return Tensor._make(np.asarray(loc + eps * scale))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        return self.loc + _standard_normal(shape, self.loc.dtype) * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return normal_log_prob(value, self.loc, self.scale)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ng.erf((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)))

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * ng.erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + ng.log(self.scale)


class Laplace(_LocScale):
    """The Laplace distribution with location `loc` and scale `scale`."""

    _term_params = ("scale",)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        return (2 ** 0.5) * self.scale

    def _signed_log1p(self, shape: tuple) -> np.ndarray:
        """sign(u) * log1p(-|u|) for u uniform on [eps - 1, 1), in the parameters' dtype."""
        dt = self.loc._data.dtype
        u = _rng[0].uniform(finfo(dt).eps - 1, 1, shape)
        return np.asarray(np.sign(u) * np.log1p(-np.abs(u))).astype(dt)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        w = self._signed_log1p(self._extended_shape(sample_shape))
        return Tensor._make(np.asarray(self.loc._data - self.scale._data * w))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        w = self._signed_log1p(self._extended_shape(sample_shape))
        return self.loc - self.scale * Tensor._make(w)

    def _compute_terms(self) -> Tensor:
        return -ng.log(2 * self.scale)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._param_terms() - ng.abs(value - self.loc) / self.scale

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * ng.expm1(-d.abs() / self.scale)

    def icdf(self, value: Tensor) -> Tensor:
        term = value - 0.5
        return self.loc - self.scale * term.sign() * ng.log1p(-2 * term.abs())

    def entropy(self) -> Tensor:
        return 1 + ng.log(2 * self.scale)


class Uniform(Distribution):
    """The uniform distribution on the half-open interval [low, high)."""

    has_rsample = True
    _term_params = ("low", "high")

    def __init__(self, low: Tensor | float, high: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.low, self.high = broadcast_all(low, high)
        batch_shape = () if _numbers(low, high) else self.low._data.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Uniform":
        new = self._get_checked_instance(Uniform, _instance)
        return self._expand_params(new, batch_shape, ("low", "high"))

    @property
    def arg_constraints(self) -> dict:
        return {"low": constraints.less_than(self.high), "high": constraints.greater_than(self.low)}

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return math.nan * self.high

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low).pow(2) / 12

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        low, high = self.low._data, self.high._data
        u = _rng[0].random(shape).astype(_floating(low.dtype, "check_uniform_bounds"), copy=False)
        return Tensor._make(np.asarray(low + u * (high - low)))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = _floating(self.low._data.dtype, "check_uniform_bounds")
        u = Tensor._make(_rng[0].random(shape).astype(dt, copy=False))
        return self.low + u * (self.high - self.low)

    def _compute_terms(self) -> Tensor:
        return ng.log(self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        low = self.low._data
        v = _data(value)
        # log(1[low <= value < high]) in low's dtype: not differentiable, as PyTorch's
        inside = (low <= v) & (self.high._data > v)
        return Tensor._make(np.where(inside, 0.0, -math.inf).astype(low.dtype)) - self._param_terms()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        result = (value - self.low) / (self.high - self.low)
        return result.clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return ng.log(self.high - self.low)


class StudentT(Distribution):
    """Student's t-distribution with `df` degrees of freedom, location `loc` and scale
    `scale`."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df: Tensor | float, loc: Tensor | float = 0.0, scale: Tensor | float = 1.0,
                 validate_args: bool | None = None) -> None:
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        if Distribution._validate_args and not constraints.positive._holds(self.df._data):
            # PyTorch checks df first, in the Chi2 it makes, even when validate_args is False
            raise _invalid_parameter("df", self.df, "Chi2()", constraints.positive)
        super().__init__(self.df._data.shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "StudentT":
        new = self._get_checked_instance(StudentT, _instance)
        return self._expand_params(new, batch_shape, ("df", "loc", "scale"))

    @property
    def mean(self) -> Tensor:
        m = self.loc.clone()
        m[Tensor._make(self.df._data <= 1)] = math.nan
        return m

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        df = self.df._data
        big = Tensor._make(df > 2)
        m = self.df.clone()
        m[big] = self.scale[big].pow(2) * self.df[big] / (self.df[big] - 2)
        m[Tensor._make((df <= 2) & (df > 1))] = math.inf
        m[Tensor._make(df <= 1)] = math.nan
        return m

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        # loc + scale X / sqrt(Z / df), X ~ N(0, 1), Z ~ Chi2(df) = Gamma(df / 2, rate 1 / 2)
        shape = self._extended_shape(sample_shape)
        x = _standard_normal(shape, self.df._data.dtype)
        z = Gamma(0.5 * self.df, 0.5).rsample(sample_shape)
        return self.loc + self.scale * (x * ng.rsqrt(z / self.df))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return student_t_log_prob(value, self.df, self.loc, self.scale)

    def entropy(self) -> Tensor:
        df = self.df
        lbeta = ng.lgamma(0.5 * df) + math.lgamma(0.5) - ng.lgamma(0.5 * (df + 1))
        return (self.scale.log()
                + 0.5 * (df + 1) * (ng.digamma(0.5 * (df + 1)) - ng.digamma(0.5 * df))
                + 0.5 * df.log() + lbeta)
