"""Tensor creation functions (zeros, ones, rand, arange, ...) and the random seed."""
from __future__ import annotations

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, _check_device

_rng = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed numgrad's random number generator."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _new(a: np.ndarray, requires_grad: bool, device) -> Tensor:
    _check_device(device)
    t = Tensor._make(a)
    if requires_grad:
        t.requires_grad = True
    return t


def _dt(dtype):
    return np.dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of zeros."""
    return _new(np.zeros(_shape(size), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ones."""
    return _new(np.ones(_shape(size), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """An uninitialized tensor."""
    return _new(np.empty(_shape(size), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor filled with `fill_value`."""
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, int) else _dtype.get_default_dtype())
    return _new(np.full(_shape((size,)), fill_value, np.dtype(dtype)), requires_grad, device)


def _like(t: Tensor, dtype):
    return t.shape, (np.dtype(dtype) if dtype is not None else t.dtype)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return zeros(s, dtype=d, requires_grad=requires_grad, device=device)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return ones(s, dtype=d, requires_grad=requires_grad, device=device)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return full(s, fill_value, dtype=d, requires_grad=requires_grad, device=device)


def rand(*size, dtype=None, requires_grad: bool = False, device=None, generator=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    d = _dt(dtype)
    return _new(_rng[0].random(_shape(size)).astype(d), requires_grad, device)


def randn(*size, dtype=None, requires_grad: bool = False, device=None, generator=None) -> Tensor:
    """Standard normal samples."""
    d = _dt(dtype)
    return _new(_rng[0].standard_normal(_shape(size)).astype(d), requires_grad, device)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return rand(s, dtype=d, requires_grad=requires_grad, device=device)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return randn(s, dtype=d, requires_grad=requires_grad, device=device)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Values from start to end (exclusive) by step."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = (np.int64 if all(isinstance(v, int) for v in (start, end, step))
                 else _dtype.get_default_dtype())
    return _new(np.arange(start, end, step).astype(np.dtype(dtype)), requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive."""
    return _new(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Identity matrix."""
    return _new(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def FloatTensor(data) -> Tensor:
    """Legacy constructor: a float32 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.float32))


def DoubleTensor(data) -> Tensor:
    """Legacy constructor: a float64 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.float64))


def LongTensor(data) -> Tensor:
    """Legacy constructor: an int64 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.int64))
