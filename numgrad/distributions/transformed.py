"""Cauchy, and the distributions PyTorch builds as TransformedDistributions of a Normal or a
Cauchy: HalfNormal (|X|), LogNormal (exp(X)) and HalfCauchy (|X|). Here these are direct
classes with PyTorch's public API and formulas (`base_dist` is the underlying Normal or
Cauchy); there is no transforms machinery."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.continuous import Normal, _data, _LocScale
from numgrad.distributions.distribution import Distribution
from numgrad.distributions.gamma import _as_rate_dtype
from numgrad.distributions.utils import _floating

__all__ = ["Cauchy", "HalfCauchy", "HalfNormal", "LogNormal"]

_LOG_2 = math.log(2)
_LOG_PI = math.log(math.pi)


class Cauchy(_LocScale):
    """The Cauchy (Lorentz) distribution with location `loc` and half width `scale`."""

    _term_params = ("scale",)

    @property
    def mean(self) -> Tensor:
        return ng.full(self._extended_shape(), math.nan, dtype=self.loc.dtype)

    @property
    def variance(self) -> Tensor:
        return ng.full(self._extended_shape(), math.inf, dtype=self.loc.dtype)

    def _standard(self, sample_shape: Sequence[int]) -> np.ndarray:
        dt = _floating(self.loc._data.dtype, "cauchy_cpu")
        return _rng[0].standard_cauchy(self._extended_shape(sample_shape)).astype(dt, copy=False)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = self._standard(sample_shape)
        return Tensor._make(np.asarray(self.loc._data + eps * self.scale._data))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self.loc + Tensor._make(self._standard(sample_shape)) * self.scale

    def _compute_terms(self) -> Tensor:
        return -_LOG_PI - self.scale.log()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._param_terms() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ng.atan((value - self.loc) / self.scale) / math.pi + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        return ng.tan(math.pi * (value - 0.5)) * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class _Folded(Distribution):
    """|X| for X of the symmetric, zero-centred `base_dist` (HalfNormal, HalfCauchy)."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    base_dist: Any

    def _init_base(self, base: Distribution, validate_args: bool | None) -> None:
        self.base_dist = base
        super().__init__(base._batch_shape, validate_args=validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mode(self) -> Tensor:
        return ng.zeros_like(self.scale)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return Tensor._make(np.abs(self.base_dist.sample(sample_shape)._data))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_prob = self.base_dist.log_prob(value) + _LOG_2
        return ng.where(Tensor._make(_data(value) >= 0), log_prob, -math.inf)

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Tensor) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - _LOG_2


class HalfNormal(_Folded):
    """|X| for X ~ Normal(0, `scale`)."""

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        self._init_base(Normal(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "HalfNormal":
        return self._expand_base(self._get_checked_instance(HalfNormal, _instance), batch_shape)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale.pow(2) * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """|X| for X ~ Cauchy(0, `scale`)."""

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        self._init_base(Cauchy(0, scale, validate_args=False), validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "HalfCauchy":
        return self._expand_base(self._get_checked_instance(HalfCauchy, _instance), batch_shape)

    @property
    def mean(self) -> Tensor:
        return ng.full(self._extended_shape(), math.inf, dtype=self.scale.dtype)

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def log_prob(self, value: Tensor) -> Tensor:
        # PyTorch converts the value to the scale's dtype here (not in HalfNormal)
        return super().log_prob(_as_rate_dtype(value, self.scale))


class LogNormal(Distribution):
    """exp(X) for X ~ Normal(`loc`, `scale`)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float,
                 validate_args: bool | None = None) -> None:
        # the Normal validates the parameters (PyTorch's messages name it)
        self.base_dist = Normal(loc, scale, validate_args=validate_args)
        super().__init__(self.base_dist._batch_shape, validate_args=False)
        self._validate_args = self.base_dist._validate_args

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "LogNormal":
        return self._expand_base(self._get_checked_instance(LogNormal, _instance), batch_shape)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale.square()).exp()

    @property
    def variance(self) -> Tensor:
        scale_sq = self.scale.pow(2)
        return scale_sq.expm1() * (2 * self.loc + scale_sq).exp()

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return Tensor._make(np.exp(self.base_dist.sample(sample_shape)._data))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        x = value.log()
        return self.base_dist.log_prob(x) - x  # log|d exp(x)/dx| = x

    def cdf(self, value: Tensor) -> Tensor:
        return self.base_dist.cdf(value.log())

    def icdf(self, value: Tensor) -> Tensor:
        return self.base_dist.icdf(value).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
