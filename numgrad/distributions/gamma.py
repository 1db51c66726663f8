"""Gamma, Exponential, Dirichlet and Beta."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.distribution import Distribution
from numgrad.distributions.utils import _floating, _numbers, _torch_name, broadcast_all
from numgrad.oplib.sampling import standard_gamma

__all__ = ["Gamma", "Exponential", "Dirichlet", "Beta"]


def _standard_gamma(concentration: Tensor, shape: tuple, kernel: str) -> Tensor:
    """Gamma(concentration, 1) samples of `shape`, reparameterized (differentiable in
    the concentration); `kernel` names PyTorch's sampler in the error for an integer
    concentration."""
    _floating(concentration._data.dtype, kernel)
    return standard_gamma(concentration.expand(shape))


def _as_rate_dtype(value: Any, like: Tensor) -> Tensor:
    """`value` as a tensor of `like`'s dtype (differentiably), as torch.as_tensor(value, dtype)."""
    dt = like._data.dtype
    if isinstance(value, Tensor):
        return value if value._data.dtype == dt else value.to(dt)
    return ng.as_tensor(value, dtype=dt)


class Gamma(Distribution):
    """The gamma distribution with shape `concentration` and `rate` (1 / scale)."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _term_params = ("concentration", "rate")

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = () if _numbers(concentration, rate) else self.rate._data.shape
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Gamma":
        new = self._get_checked_instance(Gamma, _instance)
        return self._expand_params(new, batch_shape, ("concentration", "rate"))

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration, shape, "gamma_cpu") / self.rate.expand(shape)
        # PyTorch clamps the value (not its gradient) to the smallest normal number
        np.maximum(value._data, np.finfo(value._data.dtype).tiny, out=value._data)
        return value

    def _compute_terms(self) -> tuple:
        c = self.concentration
        return ng.xlogy(c, self.rate), c - 1, ng.lgamma(c)

    def log_prob(self, value: Tensor) -> Tensor:
        value = _as_rate_dtype(value, self.rate)
        if self._validate_args:
            self._validate_sample(value)
        c_log_rate, c_minus_1, lgamma_c = self._param_terms()
        return c_log_rate + ng.xlogy(c_minus_1, value) - self.rate * value - lgamma_c

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ng.igamma(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - ng.log(self.rate) + ng.lgamma(c) + (1.0 - c) * ng.digamma(c)


class Exponential(Distribution):
    """The exponential distribution with rate `rate` (1 / mean)."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _term_params = ("rate",)

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        self.rate = rate if isinstance(rate, Tensor) else broadcast_all(rate)[0]
        batch_shape = self.rate._data.shape if isinstance(rate, Tensor) else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Exponential":
        new = self._get_checked_instance(Exponential, _instance)
        return self._expand_params(new, batch_shape, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return ng.zeros_like(self.rate)

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate.pow(-2)

    def _standard(self, sample_shape: Sequence[int]) -> np.ndarray:
        shape = self._extended_shape(sample_shape)
        dt = self.rate._data.dtype
        if dt.kind != "f":
            raise RuntimeError(
                "Exponential distribution is a continuous probability distribution. dtype must "
                f"be a floating point but you specified {_torch_name(dt)}")
        return _rng[0].standard_exponential(shape).astype(dt, copy=False)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return Tensor._make(np.asarray(self._standard(sample_shape) / self.rate._data))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return Tensor._make(self._standard(sample_shape)) / self.rate

    def _compute_terms(self) -> Tensor:
        return self.rate.log()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._param_terms() - self.rate * value

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 1 - ng.exp(-self.rate * value)

    def icdf(self, value: Tensor) -> Tensor:
        return -ng.log1p(-value) / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - ng.log(self.rate)


class Dirichlet(Distribution):
    """The Dirichlet distribution with `concentration` (its last dim indexes the
    categories). `rsample` normalizes reparameterized gamma samples (PyTorch differentiates
    its Dirichlet sampler another way: the same gradients in expectation, not per sample)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True
    _term_params = ("concentration",)

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = concentration._data.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Dirichlet":
        new = self._get_checked_instance(Dirichlet, _instance)
        return self._expand_params(new, batch_shape, ("concentration",))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        g = _standard_gamma(self.concentration, self._extended_shape(sample_shape), "dirichlet")
        return g / g.sum(-1, True)

    def _compute_terms(self) -> tuple:
        c = self.concentration
        return c - 1.0, ng.lgamma(c.sum(-1)), ng.lgamma(c).sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c_minus_1, lgamma_total, lgamma_sum = self._param_terms()
        return ng.xlogy(c_minus_1, value).sum(-1) + lgamma_total - lgamma_sum

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self) -> Tensor:
        cm1 = (self.concentration - 1).clamp(min=0.0)
        with np.errstate(invalid="ignore"):  # 0 / 0 where all concentrations are <= 1
            mode = cm1 / cm1.sum(-1, True)
        mask = Tensor._make((self.concentration._data < 1).all(-1))
        if mask._data.any():
            # all concentrations below 1: a vertex, as PyTorch picks it
            picked = ng.nn.functional.one_hot(mode[mask].argmax(-1), cm1.shape[-1])
            mode[mask] = picked.to(mode.dtype)
        return mode

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        c0 = c.sum(-1, True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (ng.lgamma(c).sum(-1) - ng.lgamma(a0) - (k - a0) * ng.digamma(a0)
                - ((c - 1.0) * ng.digamma(c)).sum(-1))


class Beta(Distribution):
    """The beta distribution on [0, 1] with concentrations `concentration1` (alpha) and
    `concentration0` (beta), a two-category Dirichlet as in PyTorch."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        if _numbers(concentration1, concentration0):
            both = ng.tensor([float(concentration1), float(concentration0)])
        else:
            concentration1, concentration0 = broadcast_all(concentration1, concentration0)
            both = ng.stack([concentration1, concentration0], -1)
        self._dirichlet = Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Beta":
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = tuple(batch_shape)
        new._dirichlet = self._dirichlet.expand(batch_shape)
        Distribution.__init__(new, batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        heads_tails = ng.stack([value, 1.0 - value], -1)
        return self._dirichlet.log_prob(heads_tails)

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()
