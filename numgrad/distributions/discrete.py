"""Bernoulli and Categorical, parameterized by `probs` or `logits` (the other one is
derived lazily, once)."""
from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.distribution import Distribution
from numgrad.distributions.utils import (_broadcast_tensors, _floating, broadcast_all,
                                         lazy_property, logits_to_probs, probs_to_logits)
from numgrad.nn.functional import binary_cross_entropy_with_logits
from numgrad.oplib.densities import bernoulli_log_prob

__all__ = ["Bernoulli", "Categorical"]

_EITHER = "Either `probs` or `logits` must be specified, but not both."


class _BinaryProbs(Distribution):
    """A distribution parameterized by a success probability `probs` or its log-odds
    `logits`: exactly one is given, the other is derived lazily, once."""

    @staticmethod
    def _chosen(probs: Any, logits: Any) -> tuple[str, Any]:
        """(name, value) of the one parameter given (PyTorch's error otherwise)."""
        if (probs is None) == (logits is None):
            raise ValueError(_EITHER)
        return ("probs", probs) if probs is not None else ("logits", logits)

    def _set_param(self, probs: Any, logits: Any) -> tuple[int, ...]:
        """Store the one parameter given, as a tensor; return the batch shape it implies."""
        name, given = self._chosen(probs, logits)
        param = given if isinstance(given, Tensor) else broadcast_all(given)[0]
        setattr(self, name, param)
        self._param = param
        return () if isinstance(given, numbers.Number) else param._data.shape

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._param._data.shape


class Bernoulli(_BinaryProbs):
    """The Bernoulli distribution: 1 with probability `probs` (or sigmoid(`logits`)), else 0."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(self._set_param(probs, logits), validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Bernoulli":
        new = self._get_checked_instance(Bernoulli, _instance)
        return self._expand_params(new, batch_shape, ("probs", "logits"))

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        p = self.probs._data
        mode = np.where(p == 0.5, math.nan, p >= 0.5).astype(p.dtype)
        return Tensor._make(mode)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = self.probs._data
        dt = _floating(p.dtype, "bernoulli_tensor_cpu_p_")
        return Tensor._make(np.asarray(_rng[0].random(shape) < p).astype(dt))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return bernoulli_log_prob(value, self.logits)

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = ng.arange(2, dtype=self._param.dtype).reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values


class Categorical(Distribution):
    """The categorical distribution over {0, ..., K-1}, K = probs.shape[-1]: `probs`
    (normalized to sum to 1) or `logits` (normalized log-probabilities)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    has_enumerate_support = True

    def __init__(self, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError(_EITHER)
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self.probs = probs / probs.sum(-1, keepdim=True)
            param = self.probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self.logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            param = self.logits
        self._param = param
        shape = param._data.shape
        self._num_events = shape[-1]
        super().__init__(shape[:-1], validate_args=validate_args)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Categorical":
        new = self._get_checked_instance(Categorical, _instance)
        self._expand_params(new, batch_shape, ("probs", "logits"))
        new._num_events = self._num_events
        return new

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self._num_events - 1)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self._param._data.shape

    @property
    def mean(self) -> Tensor:
        return ng.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    @property
    def mode(self) -> Tensor:
        return self.probs.argmax(dim=-1)

    @property
    def variance(self) -> Tensor:
        return ng.full(self._extended_shape(), math.nan, dtype=self.probs.dtype)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        # inverse CDF: the number of cumulative probabilities <= u (empty classes are skipped)
        shape = self._extended_shape(sample_shape)
        k = self._num_events
        p = self.probs._data.reshape(-1, k).astype(np.float64)
        cdf = np.cumsum(p, -1)
        cdf /= cdf[:, -1:]
        n = math.prod(tuple(sample_shape))
        u = _rng[0].random((n, p.shape[0], 1))
        idx = np.minimum((cdf <= u).sum(-1), k - 1)
        return Tensor._make(idx.astype(np.int64).reshape(shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        if value._data.dtype != np.int64:
            value = value.long()
        value = value.unsqueeze(-1)
        log_pmf = self.logits
        if value._data.shape[:-1] != log_pmf._data.shape[:-1]:
            value, log_pmf = _broadcast_tensors([value, log_pmf])
            value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self) -> Tensor:
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)
        p_log_p = logits * self.probs
        return -p_log_p.sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        values = ng.arange(self._num_events, dtype=ng.int64).reshape(
            (-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + self._batch_shape)
        return values
