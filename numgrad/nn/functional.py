"""`numgrad.nn.functional`: activations and losses as functions (PyTorch's names and arguments).

Everything here is a composition of public numgrad ops, so it is differentiable
to any order and works with batched cotangents like the ops themselves.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import numgrad as ng
from numgrad import Tensor
from numgrad._dtype import torch_name

__all__ = ["relu", "tanh", "sigmoid", "softplus", "logsigmoid", "gelu", "silu", "elu", "leaky_relu",
           "softmax", "log_softmax", "linear", "layer_norm", "normalize", "pad", "mse_loss", "cross_entropy",
           "binary_cross_entropy_with_logits"]


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


def _check_floating(kernel: str, input: Tensor) -> None:
    """PyTorch's error for an activation given an integer or bool tensor."""
    if not input.is_floating_point():
        raise NotImplementedError(f'"{kernel}" not implemented for \'{torch_name(input.dtype)}\'')


def _maybe_inplace(input: Tensor, fn, inplace: bool) -> Tensor:
    """fn(input), or its value written into `input` (computed from a copy, so no
    saved tensor is the one overwritten)."""
    return input.copy_(fn(input.clone())) if inplace else fn(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF; approximate='tanh' uses the tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _check_floating("GeluKernelImpl", input)
    if approximate == "none":
        return input * 0.5 * (1.0 + ng.erf(input * _SQRT1_2))
    inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
    return input * 0.5 * (1.0 + ng.tanh(inner))


_SQRT1_2 = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    _check_floating("silu_cpu", input)
    return _maybe_inplace(input, lambda x: x * ng.sigmoid(x), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere."""
    _check_floating("elu_cpu", input)
    # expm1 of min(x, 0): no overflow (nor inf * 0 in the gradient) for large x
    return _maybe_inplace(input, lambda x: ng.relu(x) + ng.expm1(x.clamp_max(0.0)) * alpha, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, negative_slope * x elsewhere."""
    _check_floating("leaky_relu_cpu", input)
    return _maybe_inplace(input, lambda x: ng.where(x > 0, x, x * negative_slope), inplace)


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


# ---------------------------------------------------------------- normalization, padding

def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims (biased
    variance), then * weight + bias."""
    if isinstance(normalized_shape, int):
        raise TypeError("layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        "not int")
    shape = tuple(int(n) for n in normalized_shape)
    if not shape:
        raise RuntimeError("Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
                           "least one element, but got normalized_shape = []")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and p.shape != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} "
                               f"of shape {list(p.shape)} and normalized_shape = {list(shape)}")
    if input.shape[input.ndim - len(shape):] != shape or input.ndim < len(shape):
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    _check_floating("LayerNormKernelImpl", input)
    for p in (weight, bias):
        if p is not None and p.dtype != input.dtype:
            raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float"
                               if input.dtype == ng.float32 else
                               "mixed dtype (CPU): all inputs must share same datatype.")
    dims = tuple(range(-len(shape), 0))
    centered = input - input.mean(dims, keepdim=True)
    out = centered * ng.rsqrt((centered * centered).mean(dims, keepdim=True) + eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p, eps) along `dim`."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return ng.div(input, denom, out=out)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """`input` padded on its last len(pad) // 2 dims: pad = (left, right) for the last dim,
    then the one before... Negative pads crop. mode 'constant' fills `value` (0 by
    default); 'reflect', 'replicate' and 'circular' fill from the input."""
    pad = tuple(pad)
    for i, n in enumerate(pad):
        if not isinstance(n, (int, np.integer)):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(n).__name__} at pos {i}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pairs = [(input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]
    if mode == "constant":
        return _pad_constant(input, pairs, 0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pairs)
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.")
    if mode != "circular" and 0 in input.shape[input.ndim - k - 1:]:  # only a batch dim may be empty
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(input.shape)}")
    for i, (d, lo, hi) in enumerate(pairs):
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{2 * i + 4}: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                               f"{list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    out = input
    for d, lo, hi in pairs:
        out = out.index_select(d, _pad_index(mode, input.shape[d], lo, hi))
    return out


def _pad_constant(input: Tensor, pairs: list, value) -> Tensor:
    """Negative pads narrow `input`, then it is written into a tensor full of `value`."""
    for d, lo, hi in pairs:
        for start, cut in ((-lo, lo), (0, hi)):
            if cut < 0:
                length = input.shape[d] + cut
                if length < 0:
                    raise RuntimeError("narrow(): length must be non-negative.")
                input = input.narrow(d, start, length)
    shape = list(input.shape)
    index = [slice(None)] * input.ndim
    for d, lo, hi in pairs:
        shape[d] += max(lo, 0) + max(hi, 0)
        index[d] = slice(max(lo, 0), max(lo, 0) + input.shape[d])
    return ng.index_put(ng.full(tuple(shape), value, dtype=input.dtype), tuple(index), input)


def _pad_index(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """Which input positions fill positions -lo .. n + hi - 1 of a padded dim of size n."""
    if mode == "circular":  # crops first, then wraps around what is left
        start, m = max(-lo, 0), n + min(lo, 0) + min(hi, 0)
        return start + np.arange(-max(lo, 0), m + max(hi, 0)) % max(m, 1)
    pos = np.arange(-lo, n + hi)
    if mode == "replicate":
        return np.clip(pos, 0, n - 1)
    return (n - 1) - np.abs((n - 1) - np.abs(pos))  # reflect about 0 and n - 1 (|pad| < n)


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
