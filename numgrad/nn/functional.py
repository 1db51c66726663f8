"""`numgrad.nn.functional`: activations and losses as functions (PyTorch's names and arguments).

Everything here is a composition of numgrad ops (public ones, and cross_entropy's fused
common case), so it is differentiable to any order and works with batched cotangents
like the ops themselves.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import numgrad as ng
from numgrad import Tensor
from numgrad._dtype import torch_name
from numgrad.oplib.pointwise import bce_with_logits
from numgrad.oplib.reduction import cross_entropy_rows

__all__ = ["relu", "tanh", "sigmoid", "softplus", "logsigmoid", "gelu", "silu", "elu", "leaky_relu",
           "softmax", "log_softmax", "linear", "layer_norm", "normalize", "pad", "mse_loss", "cross_entropy",
           "binary_cross_entropy_with_logits", "dropout", "one_hot", "l1_loss", "nll_loss", "huber_loss",
           "smooth_l1_loss", "binary_cross_entropy"]


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
    return _maybe_inplace(input, lambda x: ng.leaky_relu(x, negative_slope), inplace)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(input) normalised to sum to 1 along `dim`."""
    if dim is None:
        dim = _softmax_dim("softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ng.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(input, dim)), computed stably."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ng.log_softmax(input, dim)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias."""
    return ng.linear(input, weight, bias)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """In training, zeroes each element with probability p and scales the rest by 1/(1-p)
    (mask drawn from numgrad's generator); otherwise returns `input`."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    scale = 1 / (1 - p) if p < 1 else 0.0
    mask = (ng.rand_like(input) >= p).to(input.dtype) * scale
    return input.mul_(mask) if inplace else input * mask


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape (*tensor.shape, num_classes), 1 at each index of `tensor`
    (num_classes=-1: max(tensor) + 1)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"one_hot(): argument 'num_classes' (position 2) must be int, not "
                        f"{type(num_classes).__name__}")
    if tensor.dtype != ng.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    t = np.asarray(tensor.detach())
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if t.size and t.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return ng.from_numpy((t[..., None] == np.arange(num_classes)).astype(np.int64))


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


def _check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


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


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({_size(target.shape)}) that is different to the input size "
            f"({_size(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _reduce_weighted(loss: Tensor, input: Tensor, weight: Tensor | None, reduction: str,
                     mean_by_weight: bool) -> Tensor:
    """`loss` times an elementwise `weight` (same shape as input), then reduced."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean (or summed) absolute error; with `weight`, the mean is sum(w * |d|) / sum(w)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    return _reduce_weighted((input - target).abs(), input, weight, reduction, mean_by_weight=True)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta * (|d| - 0.5 delta) elsewhere (d = input - target)."""
    _warn_size(input, target)
    if weight is None:
        _check_reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    ad = d.abs()
    loss = ng.where(ad < delta, 0.5 * d * d, delta * (ad - 0.5 * delta))
    return _reduce_weighted(loss, input, weight, reduction, mean_by_weight=False)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (l1 loss when beta = 0)."""
    _warn_size(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    ad = d.abs()
    loss = ad if beta == 0 else ng.where(ad < beta, 0.5 * d * d / beta, ad - 0.5 * beta)
    return _reduce(loss, reduction)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """-input[n, target[n], ...] * weight[target[n]] for log-probabilities `input` of shape
    (C,), (N, C) or (N, C, d1, ...); the mean divides by the summed weights of the targets."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:
        if target.numel() != 1 or target.ndim > 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.numel()}")
        return nll_loss(input[None], target.reshape(1), weight, None, ignore_index, None,
                        reduction).reshape(())
    if input.shape[0] != (target.shape[0] if target.ndim else 1):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 1}).")
    if target.dtype != ng.int64:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {torch_name(target.dtype)}")
    n_classes = input.shape[1]
    if weight is not None and weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if input.ndim == 2 and target.ndim != 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.ndim == 4 and target.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                           f"dimension: {target.ndim}")
    expected = input.shape[:1] + input.shape[2:]
    if target.shape != expected:
        if input.ndim == 4:
            raise RuntimeError(f"size mismatch (got input: {list(input.shape)} , target: "
                               f"{list(target.shape)}")
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")
    t = np.asarray(target.detach())
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    safe = np.where(valid, t, 0)
    index = ng.from_numpy(np.expand_dims(safe, 1))
    w = ng.from_numpy(valid.astype(input.dtype))
    if weight is not None:
        w = w * weight[ng.from_numpy(safe)]
    picked = ng.where(ng.from_numpy(valid), input.gather(1, index).squeeze(1), 0.0)
    loss = -picked * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log(x) + (1 - t) log(1 - x)) for probabilities x, each log clamped to >= -100."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({_size(target.shape)}) that is different to the input "
                         f"size ({_size(input.shape)}) is deprecated. Please ensure they have the same size.")
    for name, v in (("input", input), ("target", target)):
        a = np.asarray(v.detach())
        if ((a < 0) | (a > 1)).any():
            raise RuntimeError(f"all elements of {name} should be between 0 and 1")
    # PyTorch's logs clamped at -100; the inner where keeps the gradient finite at x = 0 and x = 1
    pos, below1 = input > 0, input < 1
    log_x = ng.where(pos, ng.log(ng.where(pos, input, 1.0)), -100.0).clamp_min(-100.0)
    log_1mx = ng.where(below1, ng.log1p(-ng.where(below1, input, 0.0)), -100.0).clamp_min(-100.0)
    loss = -(target * log_x + (1 - target) * log_1mx)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


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
        logp = log_softmax(input, cdim)
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
    if input.ndim == 2 and label_smoothing == 0 and not picked.requires_grad:
        nll = cross_entropy_rows(input, picked)  # the common case, in one op
        if reduction == "none":
            return nll
        return nll.sum() if reduction == "sum" else nll.sum() / picked.sum()
    logp = log_softmax(input, cdim)
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
    if pos_weight is None:
        loss = bce_with_logits(input, target)  # the common case, in one op
    else:
        neg_logsig = ((pos_weight - 1) * target + 1) * -logsigmoid(input)
        loss = (1 - target) * input + neg_logsig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)
