"""`numgrad.nn.functional`: activations and losses as functions (PyTorch's names and arguments).

Everything here is a composition of public numgrad ops, so it is differentiable
to any order and works with batched cotangents like the ops themselves.
"""
from __future__ import annotations

import warnings

import numpy as np

import numgrad as ng
from numgrad import Tensor

__all__ = ["relu", "tanh", "sigmoid", "softplus", "logsigmoid", "softmax", "log_softmax", "linear",
           "mse_loss", "cross_entropy", "binary_cross_entropy_with_logits"]


# ---------------------------------------------------------------- activations

def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise."""
    return input.relu_() if inplace else ng.relu(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return ng.tanh(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-input))."""
    return ng.sigmoid(input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, linear where beta * input > threshold."""
    return ng.softplus(input, beta, threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)), computed stably."""
    return ng.logsigmoid(input)


def _softmax_dim(ndim: int) -> int:
    warnings.warn("Implicit dimension choice for softmax has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(input) normalised to sum to 1 along `dim`."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return ng.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(input, dim)), computed stably."""
    if dim is None:
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return ng.log_softmax(input, dim)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias."""
    return ng.linear(input, weight, bias)


# ---------------------------------------------------------------- losses

def _legacy_reduction(size_average, reduce) -> str:
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean") -> Tensor:
    """Mean (or summed) squared error."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", stacklevel=2)
    d = input - target
    return _reduce(d * d, reduction)


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits `input` (classes on dim 1, or dim 0 for 1-D input) and
    `target`: class indices (integer tensor) or class probabilities (same shape as input)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[cdim]
    logp = log_softmax(input, cdim)
    # class weights broadcast along the class dim
    wshape = [1] * input.ndim
    wshape[cdim] = n_classes
    w = None if weight is None else weight.reshape(tuple(wshape))

    if target.is_floating_point():
        if target.shape != input.shape:
            raise RuntimeError(
                f"Expected target size {_size(input.shape)}, got {_size(target.shape)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        prod = logp * target if w is None else logp * target * w
        return _reduce(-prod.sum(cdim), reduction)

    t = np.asarray(target.detach())
    expected = input.shape[:cdim] + input.shape[cdim + 1:]
    if t.shape != expected:
        raise RuntimeError(f"Expected target size {_size(expected)}, got {_size(t.shape)}")
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    # one-hot mask of the target classes (zero rows where ignored), classes moved to cdim
    onehot = np.zeros(t.shape + (n_classes,), dtype=input.dtype)
    np.put_along_axis(onehot, np.where(valid, t, 0)[..., None], valid[..., None], -1)
    if cdim != onehot.ndim - 1:
        onehot = np.ascontiguousarray(np.moveaxis(onehot, -1, cdim))
    onehot = ng.from_numpy(onehot)
    picked = onehot if w is None else onehot * w
    nll = -(logp * picked).sum(cdim)
    if label_smoothing > 0:
        mask = ng.from_numpy(np.expand_dims(valid, cdim).astype(input.dtype))
        smooth = -(logp * mask if w is None else logp * mask * w).sum(cdim)
    if reduction == "none":
        loss = nll
        if label_smoothing > 0:
            loss = (1 - label_smoothing) * nll + (label_smoothing / n_classes) * smooth
        return loss
    loss = nll.sum()
    if label_smoothing > 0:
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * smooth.sum()
    if reduction == "mean":
        loss = loss / picked.sum()
    return loss


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of sigmoid(input) against `target`, computed stably from logits."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({_size(target.shape)}) must be the same as input size "
                         f"({_size(input.shape)})")
    neg_logsig = -logsigmoid(input)
    if pos_weight is not None:
        neg_logsig = ((pos_weight - 1) * target + 1) * neg_logsig
    loss = (1 - target) * input + neg_logsig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
