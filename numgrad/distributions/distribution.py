"""`Distribution`, the base class of the distributions (PyTorch's semantics)."""
from __future__ import annotations

import warnings
from typing import Any, Sequence

from numgrad._tensor import Tensor
from numgrad.autograd import grad_mode
from numgrad.distributions import constraints
from numgrad.distributions.utils import lazy_property

__all__ = ["Distribution"]

# parameters up to this size have their log_prob terms memoized (see _param_terms): there
# Python's per-op cost dominates, and comparing their bytes is cheap
_MEMO_MAX_SIZE = 256


_CALLED = object()  # Distribution._terms after the first call of _param_terms


def _size(shape: Sequence[int]) -> str:
    return f"torch.Size({list(shape)})"


def _invalid_parameter(param: str, value: Tensor, owner: str,
                       constraint: constraints.Constraint) -> ValueError:
    """PyTorch's error for parameter `param` of distribution `owner` (its repr) outside
    `constraint`."""
    return ValueError(
        f"Expected parameter {param} ({type(value).__name__} of shape {tuple(value.shape)}) of "
        f"distribution {owner} to satisfy the constraint {constraint!r}, but found invalid "
        f"values:\n{value}")


class Distribution:
    """Base class of probability distributions: `batch_shape` (independent, possibly
    different distributions) by `event_shape` (the shape of one sample).

    Parameters are validated against `arg_constraints` when `validate_args` is true
    (the default, see `set_default_validate_args`), and values given to log_prob /
    cdf against `support`.
    """

    has_rsample = False
    has_enumerate_support = False
    _validate_args = __debug__
    # log_prob's parameter-only terms, memoized while the parameters are constants
    # (see _param_terms)
    _terms: Any = None
    _term_params: tuple[str, ...] = ()

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Turn argument validation on or off for distributions made without `validate_args`."""
        if value not in [True, False]:
            raise ValueError
        Distribution._validate_args = value

    def __init__(self, batch_shape: Sequence[int] = (), event_shape: Sequence[int] = (),
                 validate_args: bool | None = None) -> None:
        self._batch_shape = batch_shape if batch_shape.__class__ is tuple else tuple(batch_shape)
        self._event_shape = event_shape if event_shape.__class__ is tuple else tuple(event_shape)
        if validate_args is not None:
            self._validate_args = validate_args
        if self._validate_args:
            self._check_parameters()

    def _check_parameters(self) -> None:
        """PyTorch's parameter validation, on the parameters' numpy data."""
        try:
            arg_constraints = self.arg_constraints
        except NotImplementedError:
            arg_constraints = {}
            warnings.warn(
                f"{self.__class__} does not define `arg_constraints`. Please set "
                "`arg_constraints = {}` or initialize the distribution with "
                "`validate_args=False` to turn off validation.", stacklevel=3)
        d = self.__dict__
        for param, constraint in arg_constraints.items():
            if isinstance(constraint, constraints._Dependent):
                continue
            if param not in d and isinstance(getattr(type(self), param, None), lazy_property):
                continue  # a lazily derived parameter (Bernoulli's logits from probs, ...)
            value = getattr(self, param)
            if not constraint._holds(value._data):
                raise _invalid_parameter(param, value, repr(self), constraint)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "Distribution":
        """A new distribution whose parameters are expanded (not copied) to `batch_shape`
        (no validation is repeated)."""
        raise NotImplementedError

    def _get_checked_instance(self, cls: type, _instance: Any = None) -> Any:
        if _instance is None and type(self).__init__ != cls.__init__:
            raise NotImplementedError(
                f"Subclass {self.__class__.__name__} of {cls.__name__} that defines a custom "
                "__init__ method must also define a custom .expand() method.")
        return self.__new__(type(self)) if _instance is None else _instance

    def _expand_params(self, new: Any, batch_shape: Sequence[int], names: Sequence[str]) -> Any:
        """Fill `new` (from _get_checked_instance) with this distribution's parameters
        `names` (those present) expanded to `batch_shape` plus their own trailing dims
        (and `_param`, the one of probs / logits given, with them)."""
        batch_shape = tuple(batch_shape)
        d = self.__dict__
        n = len(self._batch_shape)
        given = d.get("_param")  # the parameter given of probs / logits
        for name in names:
            if name in d:
                p = d[name]
                expanded = p.expand(batch_shape + p._data.shape[n:])
                setattr(new, name, expanded)
                if p is given:
                    new._param = expanded
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _expand_base(self, new: Any, batch_shape: Sequence[int], base_shape: Sequence[int] = ()) -> Any:
        """Fill `new` (from _get_checked_instance) as this distribution over `batch_shape`,
        its `base_dist` expanded to `batch_shape + base_shape` (no validation is repeated)."""
        batch_shape = tuple(batch_shape)
        new.base_dist = self.base_dist.expand(batch_shape + tuple(base_shape))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """The shape over which parameters are batched."""
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        """The shape of a single sample (without batching)."""
        return self._event_shape

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        """The constraint each parameter must satisfy."""
        raise NotImplementedError

    @property
    def support(self) -> constraints.Constraint | None:
        """The constraint the distribution's values satisfy."""
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:
        """The mean of the distribution."""
        raise NotImplementedError

    @property
    def mode(self) -> Tensor:
        """The mode of the distribution."""
        raise NotImplementedError(f"{self.__class__} does not implement mode")

    @property
    def variance(self) -> Tensor:
        """The variance of the distribution."""
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """The standard deviation of the distribution."""
        return self.variance.sqrt()

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """A sample (or a `sample_shape` batch of samples), not differentiable."""
        with grad_mode.no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        """A reparameterized sample: differentiable with respect to the parameters."""
        raise NotImplementedError

    def log_prob(self, value: Tensor) -> Tensor:
        """The log of the density / mass function at `value`."""
        raise NotImplementedError

    def cdf(self, value: Tensor) -> Tensor:
        """The cumulative distribution function at `value`."""
        raise NotImplementedError

    def icdf(self, value: Tensor) -> Tensor:
        """The inverse of the cumulative distribution function at `value`."""
        raise NotImplementedError

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """All values of a discrete distribution's support, along dim 0."""
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """The entropy, batched over batch_shape."""
        raise NotImplementedError

    def perplexity(self) -> Tensor:
        """exp(entropy)."""
        return self.entropy().exp()

    def _extended_shape(self, sample_shape: Sequence[int] = ()) -> tuple[int, ...]:
        """sample_shape + batch_shape + event_shape."""
        return tuple(sample_shape) + self._batch_shape + self._event_shape

    def _validate_sample(self, value: Tensor) -> None:
        """PyTorch's checks of a value given to log_prob / cdf: a tensor, broadcastable
        with batch_shape + event_shape, within the support (checked on its numpy data)."""
        if not isinstance(value, Tensor):
            raise ValueError("The value argument to log_prob must be a Tensor")
        shape = value._data.shape
        event_shape = self._event_shape
        if event_shape and shape[len(shape) - len(event_shape):] != event_shape:
            raise ValueError(f"The right-most size of value must match event_shape: "
                             f"{_size(shape)} vs {_size(event_shape)}.")
        expected = self._batch_shape + event_shape
        if shape != expected:
            for i, j in zip(reversed(shape), reversed(expected)):
                if i != 1 and j != 1 and i != j:
                    raise ValueError(f"Value is not broadcastable with batch_shape+event_shape: "
                                     f"{_size(shape)} vs {_size(expected)}.")
        try:
            support = self.support
        except NotImplementedError:
            warnings.warn(
                f"{self.__class__} does not define `support` to enable sample validation. "
                "Please initialize the distribution with `validate_args=False` to turn off "
                "validation.", stacklevel=3)
            return
        if not support._holds(value._data):
            raise ValueError(
                f"Expected value argument ({type(value).__name__} of shape {tuple(shape)}) to "
                f"be within the support ({support!r}) of the distribution {self!r}, but found "
                f"invalid values:\n{value}")

    def _param_terms(self) -> Any:
        """`self._compute_terms()`: log_prob's terms that depend only on the parameters
        named in `_term_params`. While those parameters are small constants (no grad, no
        tangent) holding the same bytes, the terms are computed once and reused: a
        prior's log_prob then costs only the ops that involve the value. The bytes are
        compared, not only the version counter, as writes through `.numpy()` bypass it."""
        memo = self._terms
        d = self.__dict__
        if memo is not None:
            for name, p, data, content in memo[1]:
                if (d.get(name) is not p or p._data is not data or p._requires_grad or p._fw
                        or data.tobytes() != content):
                    break
            else:
                return memo[0]
        terms = self._compute_terms()
        entries = []
        for name in self._term_params:
            p = d[name]
            data = p._data
            if p._requires_grad or p._fw or data.size > _MEMO_MAX_SIZE:
                return terms
            entries.append((name, p, data, data.tobytes()))
        self._terms = (terms, tuple(entries))
        return terms

    def _compute_terms(self) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        d = self.__dict__
        args = ", ".join(f"{p}: {d[p] if d[p].numel() == 1 else _size(d[p].shape)}"
                         for p in self.arg_constraints if p in d)
        return f"{self.__class__.__name__}({args})"
