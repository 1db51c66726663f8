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
from numgrad._dtype import c_name, torch_name
from numgrad.oplib.pointwise import bce_with_logits
from numgrad.oplib.reduction import cross_entropy_rows

__all__ = ["relu", "tanh", "sigmoid", "softplus", "logsigmoid", "gelu", "silu", "elu", "leaky_relu",
           "softmax", "log_softmax", "linear", "layer_norm", "normalize", "pad", "mse_loss", "cross_entropy",
           "binary_cross_entropy_with_logits", "dropout", "one_hot", "l1_loss", "nll_loss", "huber_loss",
           "smooth_l1_loss", "binary_cross_entropy", "hardtanh", "relu6", "hardsigmoid", "hardswish", "selu",
           "celu", "mish", "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold", "glu", "softmin",
           "prelu", "pairwise_distance", "cosine_similarity", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
           "cosine_embedding_loss", "margin_ranking_loss", "soft_margin_loss", "hinge_embedding_loss",
           "triplet_margin_loss", "multilabel_soft_margin_loss", "embedding", "batch_norm", "instance_norm",
           "group_norm", "rms_norm", "conv1d", "conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"]


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


# ---------------------------------------------------------------- more activations

def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """input clamped to [min_val, max_val]; the gradient is zero outside the open interval."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    _check_floating("hardtanh_cpu", input)
    return _maybe_inplace(input, lambda x: ng.where(x <= min_val, min_val, ng.where(x >= max_val, max_val, x)),
                          inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """0 for x <= -3, 1 for x >= 3, x / 6 + 1/2 in between."""
    _check_floating("hardsigmoid_cpu", input)
    return _maybe_inplace(input, lambda x: ng.where(x <= -3.0, 0.0, ng.where(x >= 3.0, 1.0, x / 6 + 0.5)),
                          inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * hardsigmoid(x)."""
    _check_floating("hardswish_cpu", input)
    return _maybe_inplace(input, lambda x: ng.where(x <= -3.0, 0.0, ng.where(x >= 3.0, x, x * (x + 3) / 6)),
                          inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalizing constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    _check_floating("elu_cpu", input)
    return _maybe_inplace(
        input, lambda x: (ng.relu(x) + ng.expm1(x.clamp_max(0.0)) * _SELU_ALPHA) * _SELU_SCALE, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    _check_floating("elu_cpu", input)
    return _maybe_inplace(input, lambda x: ng.relu(x) + ng.expm1(x.clamp_max(0.0) / alpha) * alpha, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    _check_floating("mish_cpu", input)
    return _maybe_inplace(input, lambda x: x * ng.tanh(ng.softplus(x)), inplace)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - ng.tanh(input)


def _check_lambd(input: Tensor, lambd: float) -> None:
    if lambd < 0:
        big = float(np.finfo(input.dtype).max) if input.is_floating_point() else float(np.finfo(np.float32).max)
        raise RuntimeError(f"lambda must be in range [0, {big:g}] for input dtype "
                           f"{torch_name(input.dtype)}, but found {lambd:g}")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    _check_lambd(input, lambd)
    return ng.where(input > lambd, input - lambd, ng.where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, 0 elsewhere."""
    return ng.where((input >= -lambd) & (input <= lambd), 0.0, input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, `value` elsewhere."""
    return _maybe_inplace(input, lambda x: ng.where(x > threshold, x, value), inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of `input` along `dim`."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    return input.narrow(d, 0, n // 2) * ng.sigmoid(input.narrow(d, n // 2, n // 2))


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-input, dim)."""
    if dim is None:
        dim = _softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ng.softmax(-input, dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, weight * x elsewhere; `weight` has one element or one per channel (dim 1)."""
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    w = weight.reshape(()) if weight.numel() == 1 else weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return ng.where(input > 0, input, w * input)


# ---------------------------------------------------------------- distances

def _keep_grad_clamp_min(x: Tensor, eps: float) -> Tensor:
    """x.clamp_min(eps) whose derivative is that of x (PyTorch clamps these under no_grad)."""
    return x + (x.clamp_min(eps) - x).detach()


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """||x1 - x2 + eps||_p along the last dim (inputs broadcast)."""
    dim = max(x1.ndim, x2.ndim) - 1
    return (x1 - x2 + eps).norm(p, dim, keepdim=keepdim)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps)) along `dim` (inputs broadcast first)."""
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    n1 = _keep_grad_clamp_min(x1.norm(2, dim, keepdim=True), eps)
    n2 = _keep_grad_clamp_min(x2.norm(2, dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


# ---------------------------------------------------------------- more losses

def _reduction_arg(size_average, reduce, reduction: str) -> str:
    """`reduction`, overridden by the legacy arguments when given, and checked."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction(reduction)
    return reduction


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """target * (log(target) - input) for log-probabilities `input` (target given as log-probabilities
    when log_target); reduction 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = ng.exp(target) * (target - input)
    else:
        loss = ng.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """exp(input) - target * input (log_input), else input - target * log(input + eps); `full`
    adds Stirling's term target log(target) - target + log(2 pi target) / 2 where target > 1."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    loss = ng.exp(input) - target * input if log_input else input - target * ng.log(input + eps)
    if full:
        big = target > 1
        t = ng.where(big, target, 1.0)  # keeps log's gradient finite where the term is masked
        stirling = t * ng.log(t) - t + 0.5 * ng.log(2 * math.pi * t)
        loss = loss + ng.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """(log(var) + (input - target)^2 / var) / 2, var clamped to >= eps (+ log(2 pi) / 2 when full);
    `var` has input's shape, one dim less, one broadcast dim, or is a float."""
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = ng.full(input.shape, float(var), dtype=input.dtype)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim
                  and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = _keep_grad_clamp_min(var, eps)
    d = input - target
    loss = 0.5 * (ng.log(var) + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(input1, input2) where target == 1, max(0, cos - margin) where target == -1."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    tdim = target.ndim
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if tdim == 1 and (input1.ndim != 2 or input2.ndim != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if tdim == 0 and (input1.ndim != 1 or input2.ndim != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    prod = (input1 * input2).sum(tdim)
    mag1 = (input1 * input1).sum(tdim) + 1e-12
    mag2 = (input2 * input2).sum(tdim) + 1e-12
    cos = prod / ng.sqrt(mag1 * mag2)
    loss = ng.where(target == 1, 1 - cos, 0.0) + ng.where(target == -1, (cos - margin).clamp_min(0.0), 0.0)
    return _reduce(loss, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {_size(input1.shape)}, input2: {_size(input2.shape)}, target: "
                           f"{_size(target.shape)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0.0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), computed stably."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    return _reduce(-ng.logsigmoid(target * input), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """input where target == 1, max(0, margin - input) where target == -1."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    loss = (ng.where(target != 1, (margin - input).clamp_min(0.0), 0.0)
            + ng.where(target != -1, input, 0.0))
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(d(anchor, positive) - d(anchor, negative) + margin, 0), d the pairwise p-distance
    (with swap: the smaller of d(a, n) and d(p, n))."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number "
                           f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
                           f"negative {negative.ndim}D inputs")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ng.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0.0), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Binary cross entropy of sigmoid(input) against `target`, averaged over the classes (last dim)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * ng.logsigmoid(input) + (1 - target) * ng.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- embedding

def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` at the indices `input` (shape input.shape + (embedding_dim,)).

    Rows at `padding_idx` get no gradient; with `max_norm`, the referenced rows of `weight`
    whose `norm_type`-norm exceeds it are first rescaled in place (as PyTorch); with
    `scale_grad_by_freq`, a row's gradient is divided by its count in the mini-batch.
    """
    if sparse:
        raise NotImplementedError("numgrad has no sparse gradients: use sparse=False")
    if input.dtype not in (ng.int64, ng.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got torch.{_TYPE_NAMES.get(str(input.dtype), input.dtype)} "
                           "instead (while checking arguments for embedding)")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx += n
    idx = np.asarray(input.detach())
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm(weight, np.unique(idx), max_norm, norm_type)
    rows = weight[ng.from_numpy(idx.astype(np.int64))]
    if scale_grad_by_freq:
        _, inverse, counts = np.unique(idx, return_inverse=True, return_counts=True)
        scale = ng.from_numpy((1.0 / counts[inverse.reshape(idx.shape)]).astype(rows.dtype)[..., None])
        rows = rows * scale + (rows * (1 - scale)).detach()  # same value, gradient scaled
    if padding_idx is not None:
        keep = ng.from_numpy((idx != padding_idx)[..., None])
        rows = ng.where(keep, rows, rows.detach())
    return rows


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "bool": "BoolTensor"}


def _embedding_renorm(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, unrecorded) the given rows of `weight` whose norm exceeds max_norm."""
    with ng.no_grad():
        index = ng.from_numpy(rows.astype(np.int64))
        sel = weight[index]
        norms = sel.norm(norm_type, 1, keepdim=True)
        scale = ng.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_put_((index,), sel * scale)


# ---------------------------------------------------------------- normalization layers

def _channel_shape(input: Tensor) -> tuple:
    """Shape that broadcasts a per-channel (dim 1) vector against `input`."""
    return (input.shape[1],) + (1,) * (input.ndim - 2)


def _affine(out: Tensor, input: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    shape = _channel_shape(input)
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _verify_batch_size(shape) -> None:
    size = shape[0]
    for n in shape[2:]:
        size *= n
    if size == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {_size(shape)}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel (dim 1) over the batch and spatial dims, then * weight + bias.

    In training, uses the batch statistics (biased variance) and, when given, updates
    running_mean/var in place: r = (1 - momentum) * r + momentum * stat (unbiased variance);
    otherwise uses the running statistics.
    """
    if training:
        _verify_batch_size(input.shape)
    c = input.shape[1] if input.ndim > 1 else 1
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    dims = (0,) + tuple(range(2, input.ndim))
    shape = _channel_shape(input)
    if training or running_mean is None or running_var is None:
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if training and running_mean is not None and running_var is not None:
            n = input.numel() // c
            with ng.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.detach().reshape(c) * momentum)
                running_var.mul_(1 - momentum).add_(var.detach().reshape(c) * (momentum * n / max(n - 1, 1)))
        out = centered * ng.rsqrt(var + eps)
    else:
        out = (input - running_mean.reshape(shape)) * ng.rsqrt(running_var.reshape(shape) + eps)
    return _affine(out, input, weight, bias)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel of each sample over its spatial dims, then * weight + bias
    (running statistics, when given, are updated with the mean over the batch)."""
    if use_input_stats:
        size = 1
        for n in input.shape[2:]:
            size *= n
        if size == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"{_size(input.shape)}")
    if not use_input_stats and running_mean is not None and running_var is not None:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, input.ndim))
    mean = input.mean(dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dims, keepdim=True)
    if running_mean is not None and running_var is not None:
        n = input.numel() // (input.shape[0] * input.shape[1])
        with ng.no_grad():
            running_mean.mul_(1 - momentum).add_(mean.detach().reshape(input.shape[:2]).mean(0) * momentum)
            running_var.mul_(1 - momentum).add_(
                var.detach().reshape(input.shape[:2]).mean(0) * (momentum * n / max(n - 1, 1)))
    return _affine(centered * ng.rsqrt(var + eps), input, weight, bias)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalizes each group of channels of each sample (biased variance), then applies the
    per-channel weight and bias."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(input.shape)} and num_groups={num_groups}")
    x = input.reshape((n, num_groups, -1))
    centered = x - x.mean(-1, keepdim=True)
    out = centered * ng.rsqrt((centered * centered).mean(-1, keepdim=True) + eps)
    return _affine(out.reshape(input.shape), input, weight, bias)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    """x / sqrt(mean(x^2) + eps) over the last len(normalized_shape) dims, then * weight
    (eps None: the dtype's machine epsilon)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if input.ndim < len(shape) or input.shape[input.ndim - len(shape):] != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size{list(input.shape)}")
    if eps is None:
        eps = float(np.finfo(input.dtype).eps)
    dims = tuple(range(-len(shape), 0))
    out = input * ng.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return out if weight is None else out * weight


# ---------------------------------------------------------------- convolution and pooling

def _ntuple(value, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _windows(x: Tensor, kernel: tuple, stride: tuple, dilation: tuple, out: tuple) -> Tensor:
    """All the windows of the (N, C, *spatial) tensor `x`, as (N, C, *out, *kernel), by one
    index gather (differentiable to any order like the indexing op itself)."""
    n = len(kernel)
    index = []
    for d in range(n):
        pos = np.arange(out[d])[:, None] * stride[d] + np.arange(kernel[d])[None, :] * dilation[d]
        shape = [1] * (2 * n)
        shape[d], shape[n + d] = out[d], kernel[d]
        index.append(pos.reshape(shape))
    return x[(slice(None), slice(None)) + tuple(index)]


def _same_padding(kernel: tuple, dilation: tuple) -> list:
    """F.pad's list (last dim first) of the asymmetric padding that keeps the size ('same')."""
    pads = []
    for k, d in zip(reversed(kernel), reversed(dilation)):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return pads


def _conv(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups: int,
          n: int) -> Tensor:
    name = f"conv{n}d"
    if input.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(input.shape)}")
    unbatched = input.ndim == n + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.ndim != n + 2:
        raise RuntimeError(f"Expected {n + 2}-dimensional weight for {name}, but got weight of size "
                           f"{list(weight.shape)}")
    dt = input.dtype
    if weight.dtype != dt:
        raise RuntimeError(f"expected scalar type {torch_name(dt)} but found {torch_name(weight.dtype)}")
    if bias is not None and bias.dtype != dt:
        raise RuntimeError(f"Input type ({c_name(dt)}) and bias type ({c_name(bias.dtype)}) should be "
                           "the same")
    out_c, cin_g = weight.shape[:2]
    kernel = tuple(weight.shape[2:])
    stride, dilation = _ntuple(stride, n), _ntuple(dilation, n)
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if input.shape[1] != cin_g * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(input.shape)} to have {cin_g * groups} channels, but got {input.shape[1]} "
                           "channels instead")
    if out_c % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            input = pad(input, _same_padding(kernel, dilation))
    else:
        padding = _ntuple(padding, n)
        if any(p < 0 for p in padding):
            raise RuntimeError("negative padding is not supported")
        if any(padding):
            input = pad(input, [p for p in reversed(padding) for _ in range(2)])
    spatial = input.shape[2:]
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(s < e for s, e in zip(spatial, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, spatial))}). "
                           f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           "actual input size")
    out = tuple((s - e) // st + 1 for s, e, st in zip(spatial, eff, stride))
    cols = _windows(input, kernel, stride, dilation, out)  # (N, C, *out, *kernel)
    b = cols.shape[0]
    cols = cols.reshape((b, groups, cin_g) + out + kernel)
    w = weight.reshape((groups, out_c // groups, cin_g) + kernel)
    o, k = "ijl"[:n], "pqr"[:n]
    y = ng.einsum(f"ngc{o}{k},gmc{k}->ngm{o}", cols, w).reshape((b, out_c) + out)
    if bias is not None:
        y = y + bias.reshape((out_c,) + (1,) * n)
    return y.squeeze(0) if unbatched else y


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-D cross-correlation of (N, C_in, L) or (C_in, L) input with (C_out, C_in / groups, k)
    weight; padding may be an int or 'valid'/'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-D cross-correlation of (N, C_in, H, W) or (C_in, H, W) input with
    (C_out, C_in / groups, kH, kW) weight; padding may be ints or 'valid'/'same'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2)


def _pool_size(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output size (a ceil_mode window must start inside the input or left pad)."""
    span = length + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= length + p:
        out -= 1
    return out


def _pool_args(input: Tensor, kernel_size, stride, padding, dilation, ceil_mode: bool):
    """(batched 4-D input, unbatched flag, kernel, stride, padding, dilation, output size), checked."""
    if input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    unbatched = input.ndim == 3
    if unbatched:
        input = input.unsqueeze(0)
    k = _ntuple(kernel_size, 2)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _ntuple(stride, 2)
    p, d = _ntuple(padding, 2), _ntuple(dilation, 2)
    for pi, ki, di in zip(p, k, d):
        if pi > (di * (ki - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pi}, "
                               f"kernel_size={ki} and dilation={di}")
    h, w = input.shape[2:]
    out = tuple(_pool_size(n, ki, si, pi, di, ceil_mode) for n, ki, si, pi, di in zip((h, w), k, s, p, d))
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size: ({input.shape[1]}x{h}x{w}). Calculated output size: "
                           f"({input.shape[1]}x{out[0]}x{out[1]}). Output size is too small")
    return input, unbatched, k, s, p, d, out


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """Maximum over each (dilated) window of (N, C, H, W) or (C, H, W) input, padded with -inf;
    with return_indices also the flat H * W position of each maximum (the first one on ties)."""
    x, unbatched, k, s, p, d, out = _pool_args(input, kernel_size, stride, padding, dilation, ceil_mode)
    h, w = x.shape[2:]
    # pad with -inf on the left and enough on the right for the last (ceil_mode) window
    extra = [max((o - 1) * si + di * (ki - 1) + 1 - n - pi, 0) for o, si, di, ki, n, pi in
             zip(out, s, d, k, (h, w), p)]
    x = pad(x, [p[1], extra[1], p[0], extra[0]], value=-math.inf)
    cols = _windows(x, k, s, d, out).flatten(-2)  # (N, C, oh, ow, kh * kw)
    values, arg = cols.max(-1)
    if unbatched:
        values = values.squeeze(0)
    if not return_indices:
        return values
    # flat position in the unpadded input of each window element
    r = np.arange(out[0])[:, None] * s[0] - p[0] + np.arange(k[0])[None, :] * d[0]
    c = np.arange(out[1])[:, None] * s[1] - p[1] + np.arange(k[1])[None, :] * d[1]
    flat = (r[:, None, :, None] * w + c[None, :, None, :]).reshape(out[0], out[1], k[0] * k[1])
    a = np.asarray(arg.detach())
    indices = np.take_along_axis(np.broadcast_to(flat, a.shape + flat.shape[-1:]), a[..., None], -1)[..., 0]
    indices = ng.from_numpy(np.ascontiguousarray(indices).astype(np.int64))
    return values, indices.squeeze(0) if unbatched else indices


def _band(starts: np.ndarray, ends: np.ndarray, length: int, weights: np.ndarray) -> np.ndarray:
    """(len(starts), length) matrix with weights[i] on columns starts[i]:ends[i] of row i."""
    j = np.arange(length)
    return ((j >= starts[:, None]) & (j < ends[:, None])) * weights[:, None]


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """Mean over each window of (N, C, H, W) or (C, H, W) input (zero padding counted in the
    divisor when count_include_pad; divisor_override replaces the divisor)."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    x, unbatched, k, s, p, _, out = _pool_args(input, kernel_size, stride, padding, 1, ceil_mode)
    mats = []
    for o, n, ki, si, pi in zip(out, x.shape[2:], k, s, p):
        start = np.arange(o) * si - pi
        end = np.minimum(start + ki, n + pi)
        size = end - start
        start, end = np.maximum(start, 0), np.minimum(end, n)
        if divisor_override is not None:
            weights = np.ones(o)
        else:
            weights = 1.0 / (size if count_include_pad else end - start)
        mats.append(ng.from_numpy(_band(start, end, n, weights).astype(x.dtype)))
    y = ng.einsum("nchw,ih,jw->ncij", x, mats[0], mats[1])
    if divisor_override is not None:
        y = y / divisor_override
    return y.squeeze(0) if unbatched else y


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Mean over output_size[0] x output_size[1] near-equal windows of (N, C, H, W) or (C, H, W)
    input (window i of n inputs for o outputs: floor(i n / o) to ceil((i + 1) n / o))."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    sizes = _ntuple(output_size, 2)
    mats = []
    for o, n in zip(sizes, input.shape[-2:]):
        o = n if o is None else o
        i = np.arange(o)
        start, end = (i * n) // o, -((-(i + 1) * n) // o)
        mats.append(ng.from_numpy(_band(start, end, n, 1.0 / (end - start)).astype(input.dtype)))
    return ng.einsum("...hw,ih,jw->...ij", input, mats[0], mats[1])
