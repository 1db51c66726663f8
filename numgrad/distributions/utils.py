"""Helpers shared by the distributions (PyTorch's `torch.distributions.utils`)."""
from __future__ import annotations

import numbers
from functools import update_wrapper
from typing import Any, Callable

import numpy as np

from numgrad import _dtype
from numgrad._dtype import finfo
from numgrad._tensor import Tensor
from numgrad.autograd import grad_mode
from numgrad.creation import _rng
from numgrad.oplib._util import check_broadcast

__all__ = ["broadcast_all", "clamp_probs", "lazy_property", "logits_to_probs", "probs_to_logits"]


def _broadcast_tensors(tensors: list) -> tuple:
    """`tensors` expanded to their common shape; a tensor already of that shape is
    returned as is (no op when all shapes agree)."""
    shape = tensors[0]._data.shape
    for t in tensors:
        if t._data.shape != shape:
            break
    else:
        return tuple(tensors)
    for t in tensors:  # PyTorch's size-mismatch error
        shape = check_broadcast(shape, t._data.shape)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in tensors)


def broadcast_all(*values: Tensor | numbers.Number) -> tuple:
    """`values` as tensors broadcast to one shape. Numbers become tensors of the first
    tensor's dtype (the default dtype if there is none), as PyTorch's broadcast_all."""
    dt = None
    numbers_seen = False
    for v in values:
        if isinstance(v, Tensor):
            if dt is None:
                dt = v._data.dtype
        elif isinstance(v, numbers.Number):
            numbers_seen = True
        else:
            raise ValueError("Input arguments must all be instances of Number or numgrad.Tensor.")
    if not numbers_seen:
        return _broadcast_tensors(list(values))
    if dt is None:
        dt = _dtype.get_default_dtype()
    return _broadcast_tensors([v if isinstance(v, Tensor) else Tensor._make(np.array(v, dt))
                               for v in values])


def _numbers(*values: Any) -> bool:
    """Whether none of `values` is a tensor (then a distribution's batch_shape is ())."""
    return not any(isinstance(v, Tensor) for v in values)


def _standard_normal(shape: tuple, dtype: np.dtype) -> Tensor:
    return Tensor._make(_rng[0].standard_normal(shape).astype(_floating(dtype, "normal_kernel_cpu"),
                                                            copy=False))


# PyTorch's names of the non-float dtypes, for its messages
_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}


def _torch_name(dtype: np.dtype) -> str:
    return _TORCH_NAMES.get(dtype.name, dtype.name)


def _floating(dtype: np.dtype, kernel: str) -> np.dtype:
    """`dtype` if it is a float dtype, else PyTorch's error of its sampling kernel `kernel`
    (integer parameters would truncate the noise)."""
    if dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_torch_name(dtype)}\'')
    return dtype


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """Probabilities from logits: sigmoid (binary) or softmax over the last dim."""
    if is_binary:
        return logits.sigmoid()
    return logits.softmax(-1)


def clamp_probs(probs: Tensor) -> Tensor:
    """`probs` clamped to [eps, 1 - eps], eps the machine epsilon of its dtype."""
    eps = float(finfo(probs._data.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """Logits from probabilities: log-odds (binary) or log-probabilities (clamped)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ps_clamped.log() - (-ps_clamped).log1p()
    return ps_clamped.log()


class lazy_property:
    """A property computed on first access (under enable_grad) and then stored as an
    instance attribute, so it is computed once."""

    def __init__(self, wrapped: Callable) -> None:
        self.wrapped = wrapped
        update_wrapper(self, wrapped)

    def __get__(self, instance: Any, obj_type: Any = None) -> Any:
        if instance is None:
            return self
        with grad_mode.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
