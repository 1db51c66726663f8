"""Poisson, Binomial and Geometric: distributions over counts {0, 1, 2, ...}."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.continuous import _data
from numgrad.distributions.discrete import _BinaryProbs
from numgrad.distributions.distribution import Distribution
from numgrad.distributions.utils import _floating, _torch_name, broadcast_all
from numgrad.nn.functional import binary_cross_entropy_with_logits

__all__ = ["Poisson", "Binomial", "Geometric"]

class Poisson(Distribution):
    """The Poisson distribution with mean `rate`: P(k) = rate^k e^-rate / k!."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        self.rate = rate if isinstance(rate, Tensor) else broadcast_all(rate)[0]
        batch_shape = self.rate._data.shape if isinstance(rate, Tensor) else ()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Poisson":
        new = self._get_checked_instance(Poisson, _instance)
        return self._expand_params(new, batch_shape, ("rate",))

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rate = self.rate._data
        dt = _floating(rate.dtype, "poisson_cpu")
        return Tensor._make(_rng[0].poisson(np.broadcast_to(rate, shape)).astype(dt))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        rate, value = broadcast_all(self.rate, value)
        return ng.xlogy(value, rate) - rate - ng.lgamma(value + 1)


def _clamp_by_zero(x: Tensor) -> Tensor:
    """max(x, 0), with gradient 1/2 at 0 (PyTorch's)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(_BinaryProbs):
    """The number of successes in `total_count` independent trials of success probability
    `probs` (or sigmoid(`logits`))."""

    arg_constraints = {"total_count": constraints.nonnegative_integer,
                       "probs": constraints.unit_interval, "logits": constraints.real}
    has_enumerate_support = True
    _term_params = ("total_count", "logits")

    def __init__(self, total_count: Tensor | int = 1, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        name, given = self._chosen(probs, logits)
        total_count, param = broadcast_all(total_count, given)
        dt = param._data.dtype
        self.total_count = total_count if total_count._data.dtype == dt else total_count.to(dt)
        setattr(self, name, param)
        self._param = param
        super().__init__(param._data.shape, validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Binomial":
        new = self._get_checked_instance(Binomial, _instance)
        return self._expand_params(new, batch_shape, ("total_count", "probs", "logits"))

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ng.minimum(((self.total_count + 1) * self.probs).floor(), self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n, p = self.total_count._data, self.probs._data
        if n.dtype.kind != "f":
            raise RuntimeError("binomial only supports floating-point dtypes for count, got: "
                               f"{_torch_name(n.dtype)}")
        draws = _rng[0].binomial(np.broadcast_to(n, shape).astype(np.int64),
                                 np.broadcast_to(p, shape))
        return Tensor._make(draws.astype(p.dtype))

    def _compute_terms(self) -> tuple:
        n, logits = self.total_count, self.logits
        log_factorial_n = ng.lgamma(n + 1)
        return n * _clamp_by_zero(logits) + n * ng.log1p(ng.exp(-logits.abs())) - log_factorial_n

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        normalize = self._param_terms()
        log_factorial_k = ng.lgamma(value + 1)
        log_factorial_nmk = ng.lgamma(self.total_count - value + 1)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize

    def _homogeneous_count(self, what: str) -> int:
        n = self.total_count._data
        top = int(n.max())
        if n.min() != top:
            raise NotImplementedError(f"Inhomogeneous total count not supported by `{what}`.")
        return top

    def entropy(self) -> Tensor:
        self._homogeneous_count("entropy")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(ng.exp(log_prob) * log_prob).sum(0)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        top = self._homogeneous_count("enumerate_support")
        values = ng.arange(1 + top, dtype=self._param.dtype).reshape(
            (-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values


class Geometric(_BinaryProbs):
    """The number of failures before the first success in independent trials of success
    probability `probs` (or sigmoid(`logits`)): P(k) = (1 - p)^k p."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(self._set_param(probs, logits), validate_args=validate_args)
        param = self._param
        if self._validate_args and probs is not None:
            valid = param._data > 0
            if not valid.all():
                raise ValueError(
                    f"Expected parameter probs ({type(param).__name__} of shape "
                    f"{tuple(param.shape)}) of distribution {self!r} to be positive but found "
                    f"invalid values:\n{Tensor._make(param._data[~valid])}")

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Geometric":
        new = self._get_checked_instance(Geometric, _instance)
        return self._expand_params(new, batch_shape, ("probs", "logits"))

    @property
    def mean(self) -> Tensor:
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        return ng.zeros_like(self.probs)

    @property
    def variance(self) -> Tensor:
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        # inverse CDF: floor(log(u) / log(1 - p)), u uniform on [tiny, 1)
        shape = self._extended_shape(sample_shape)
        p = self.probs._data
        dt = _floating(p.dtype, "uniform_kernel_cpu")
        tiny = float(np.finfo(dt).tiny)
        u = _rng[0].uniform(tiny, 1, shape).astype(dt)
        with np.errstate(divide="ignore"):
            return Tensor._make(np.asarray(np.floor(np.log(u) / np.log1p(-p))))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        probs = self.probs
        certain = (probs._data == 1) & (_data(value) == 0)
        if certain.any():  # p = 1 at k = 0: 0 * log(0) is 0 there
            probs = ng.where(Tensor._make(certain), 0.0, probs)
        return value * ng.log1p(-probs) + self.probs.log()

    def entropy(self) -> Tensor:
        bce = binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
        return bce / self.probs

