"""Constraints: the regions a distribution's parameters and values must lie in
(PyTorch's `torch.distributions.constraints`).

`Constraint.check(value)` returns a bool tensor (one entry per event) as PyTorch's
does. Distributions validate through `Constraint._holds(array) -> bool` instead,
which reads the raw numpy data and builds no tensor; for the interval-like
constraints with number bounds it is one compiled loop over the values.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numba
import numpy as np

from numgrad._tensor import Tensor

__all__ = ["Constraint", "boolean", "dependent", "dependent_property", "greater_than",
           "greater_than_eq", "half_open_interval", "independent", "integer_interval", "interval",
           "is_dependent", "less_than", "lower_cholesky", "lower_triangular", "nonnegative",
           "nonnegative_integer", "positive", "positive_definite", "positive_integer",
           "positive_semidefinite", "real", "real_vector", "simplex", "square", "symmetric",
           "unit_interval"]


@numba.njit(cache=True)
def _all_within(x, lo, hi, lo_open, hi_open, integer):
    """Whether every x satisfies lo <(=) x <(=) hi (and x % 1 == 0 when `integer`);
    False at NaN, as PyTorch's comparisons."""
    for v in x:
        if lo_open:
            if not lo < v:
                return False
        elif not lo <= v:
            return False
        if hi_open:
            if not v < hi:
                return False
        elif not v <= hi:
            return False
        if integer and v % 1 != 0:
            return False
    return True


def _raw(x: Any) -> Any:
    """The numpy data of a tensor bound, or the bound itself."""
    return x._data if isinstance(x, Tensor) else x


class Constraint:
    """A region over which a variable is valid.

    `is_discrete`: whether the region is discrete; `event_dim`: how many rightmost
    dimensions form one event (check() reduces over them).
    """

    is_discrete = False
    event_dim = 0

    def check(self, value: Tensor) -> Tensor:
        """A bool tensor of shape `value.shape[:value.dim() - event_dim]`: whether each
        event of `value` satisfies the constraint."""
        return Tensor._make(np.asarray(self._elementwise(np.asarray(_raw(value)))))

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _holds(self, a: np.ndarray) -> bool:
        """Whether every event of array `a` satisfies the constraint."""
        return bool(np.all(self._elementwise(a)))

    def __repr__(self) -> str:
        return self.__class__.__name__[1:] + "()"


class _Dependent(Constraint):
    """Placeholder for variables whose support depends on other variables (not checkable)."""

    def __init__(self, *, is_discrete: Any = NotImplemented, event_dim: Any = NotImplemented):
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        if self._is_discrete is NotImplemented:
            raise NotImplementedError(".is_discrete cannot be determined statically")
        return self._is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        if self._event_dim is NotImplemented:
            raise NotImplementedError(".event_dim cannot be determined statically")
        return self._event_dim

    def __call__(self, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented) -> "_Dependent":
        """`dependent(is_discrete=..., event_dim=...)`: a copy with those static attributes."""
        if is_discrete is NotImplemented:
            is_discrete = self._is_discrete
        if event_dim is NotImplemented:
            event_dim = self._event_dim
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, x: Tensor) -> Tensor:
        raise ValueError("Cannot determine validity of dependent constraint")


def is_dependent(constraint: Any) -> bool:
    """Whether `constraint` is a dependent (uncheckable) constraint."""
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """A property on instances (e.g. Uniform's support, built from its parameters) that
    reads as a dependent constraint on the class."""

    def __init__(self, fn: Callable | None = None, *, is_discrete: Any = NotImplemented,
                 event_dim: Any = NotImplemented):
        property.__init__(self, fn)
        self._is_discrete = is_discrete
        self._event_dim = event_dim

    def __call__(self, fn: Callable) -> "_DependentProperty":  # type: ignore[override]
        return _DependentProperty(fn, is_discrete=self._is_discrete, event_dim=self._event_dim)


class _IndependentConstraint(Constraint):
    """`base_constraint` with its `reinterpreted_batch_ndims` rightmost dims as one event."""

    def __init__(self, base_constraint: Constraint, reinterpreted_batch_ndims: int):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims

    @property
    def is_discrete(self) -> bool:  # type: ignore[override]
        return self.base_constraint.is_discrete

    @property
    def event_dim(self) -> int:  # type: ignore[override]
        return self.base_constraint.event_dim + self.reinterpreted_batch_ndims

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        result = np.asarray(self.base_constraint._elementwise(a))
        n = self.reinterpreted_batch_ndims
        if result.ndim < n:
            raise ValueError(f"Expected value.dim() >= {self.event_dim} but got {a.ndim}")
        return result.reshape(result.shape[:result.ndim - n] + (-1,)).all(-1)

    def _holds(self, a: np.ndarray) -> bool:
        return self.base_constraint._holds(a)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}({self.base_constraint!r}, "
                f"{self.reinterpreted_batch_ndims})")


class _Range(Constraint):
    """lo <(=) x <(=) hi, optionally integer: the common form of the elementwise
    constraints below (subclasses give `_range()` and the openness flags)."""

    _lo_open = False
    _hi_open = False
    _integer = False
    _args: Any = None

    def _range(self) -> tuple:
        return -math.inf, math.inf

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        lo, hi = self._range()
        lo, hi = _raw(lo), _raw(hi)
        ok = (lo < a) if self._lo_open else (lo <= a)
        ok = ok & ((a < hi) if self._hi_open else (a <= hi))
        if self._integer:
            with np.errstate(invalid="ignore"):  # inf % 1 is nan: not an integer
                ok = ok & (a % 1 == 0)
        return ok

    def _holds(self, a: np.ndarray) -> bool:
        args = self._args
        if args is None:  # first use: the compiled loop's arguments, False for tensor bounds
            lo, hi = self._range()
            args = self._args = (False if isinstance(lo, Tensor) or isinstance(hi, Tensor) else
                                 (float(lo), float(hi), self._lo_open, self._hi_open,
                                  self._integer))
        kind = a.dtype.kind
        if args is False or kind not in "fiub":
            return bool(np.all(self._elementwise(a)))
        if kind == "b":
            a = a.view(np.uint8)
        return _all_within(a if a.ndim == 1 else a.reshape(-1), *args)


class _Real(_Range):
    """The extended real line [-inf, inf] (anything but NaN)."""


class _Boolean(_Range):
    """The two values {0, 1}."""

    is_discrete = True
    _integer = True

    def _range(self) -> tuple:
        return 0, 1


class _GreaterThan(_Range):
    """The half line (lower_bound, inf]."""

    _lo_open = True

    def __init__(self, lower_bound: Any):
        self.lower_bound = lower_bound

    def _range(self) -> tuple:
        return self.lower_bound, math.inf

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound})"


class _GreaterThanEq(_GreaterThan):
    """The half line [lower_bound, inf)."""

    _lo_open = False


class _IntegerGreaterThan(_GreaterThanEq):
    """Integers in [lower_bound, inf)."""

    is_discrete = True
    _integer = True


class _LessThan(_Range):
    """The half line [-inf, upper_bound)."""

    _hi_open = True

    def __init__(self, upper_bound: Any):
        self.upper_bound = upper_bound

    def _range(self) -> tuple:
        return -math.inf, self.upper_bound

    def __repr__(self) -> str:
        return f"{self.__class__.__name__[1:]}(upper_bound={self.upper_bound})"


class _Interval(_Range):
    """The interval [lower_bound, upper_bound]."""

    def __init__(self, lower_bound: Any, upper_bound: Any):
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound

    def _range(self) -> tuple:
        return self.lower_bound, self.upper_bound

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__[1:]}(lower_bound={self.lower_bound}, "
                f"upper_bound={self.upper_bound})")


class _IntegerInterval(_Interval):
    """Integers in [lower_bound, upper_bound]."""

    is_discrete = True
    _integer = True


class _HalfOpenInterval(_Interval):
    """The interval [lower_bound, upper_bound)."""

    _hi_open = True


class _Simplex(Constraint):
    """The unit simplex in the rightmost dimension: x >= 0 and x.sum(-1) == 1 (to 1e-6)."""

    event_dim = 1

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        return np.all(a >= 0, axis=-1) & (np.abs(a.sum(-1) - 1) < 1e-6)


class _LowerTriangular(Constraint):
    """Lower-triangular square matrices (the last two dims)."""

    event_dim = 2

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        return (np.tril(a) == a).all((-2, -1))


class _LowerCholesky(Constraint):
    """Lower-triangular square matrices with a positive diagonal."""

    event_dim = 2

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        return (np.tril(a) == a).all((-2, -1)) & (np.diagonal(a, 0, -2, -1) > 0).all(-1)


class _Square(Constraint):
    """Square matrices (the last two dims)."""

    event_dim = 2

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        return np.full(a.shape[:-2], a.shape[-2] == a.shape[-1])


class _Symmetric(_Square):
    """Symmetric square matrices (to PyTorch's isclose tolerance, atol 1e-6)."""

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        square = super()._elementwise(a)
        if not square.all():
            return square
        return np.isclose(a, np.swapaxes(a, -1, -2), rtol=1e-5, atol=1e-6).all((-2, -1))


class _PositiveSemidefinite(_Symmetric):
    """Symmetric matrices with nonnegative eigenvalues."""

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        symmetric = super()._elementwise(a)
        if not symmetric.all():
            return symmetric
        return (np.linalg.eigvalsh(a) >= 0).all(-1)


class _PositiveDefinite(_Symmetric):
    """Symmetric matrices with a Cholesky factorization (positive eigenvalues)."""

    def _elementwise(self, a: np.ndarray) -> np.ndarray:
        symmetric = super()._elementwise(a)
        if not symmetric.all():
            return symmetric
        flat = a.reshape((-1,) + a.shape[-2:])
        return np.array([_factors(m) for m in flat]).reshape(a.shape[:-2])

    def _holds(self, a: np.ndarray) -> bool:
        return bool(_Symmetric._elementwise(self, a).all()) and _factors(a)


def _factors(a: np.ndarray) -> bool:
    """Whether every matrix of `a` has a Cholesky factorization (as torch's cholesky_ex)."""
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        return False
    return True


dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
boolean = _Boolean()
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
integer_interval = _IntegerInterval
real = _Real()
real_vector = independent(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThanEq(0.0)
greater_than = _GreaterThan
greater_than_eq = _GreaterThanEq
less_than = _LessThan
unit_interval = _Interval(0.0, 1.0)
interval = _Interval
half_open_interval = _HalfOpenInterval
simplex = _Simplex()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
square = _Square()
symmetric = _Symmetric()
positive_semidefinite = _PositiveSemidefinite()
positive_definite = _PositiveDefinite()
