"""`numgrad.nn.init`: parameter initialisation, as `torch.nn.init`.

Every function fills its tensor in place under `no_grad` (so it works on Parameters
that require grad), bumps the tensor's version counter and returns the tensor. The
random ones draw from numgrad's generator (`numgrad.manual_seed`); the `generator`
arguments are accepted for compatibility and ignored, as elsewhere in numgrad.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

import numgrad as ng
from numgrad import _dtype
from numgrad._tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
           "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "sparse_",
           # deprecated aliases (for backward compatibility, as PyTorch)
           "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
           "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"]


def _rng() -> np.random.Generator:
    from numgrad import creation
    return creation._rng[0]


def _write(tensor: Tensor, values) -> Tensor:
    """Copy `values` (a numpy array of tensor's shape) into `tensor` in place."""
    with ng.no_grad():
        tensor.copy_(Tensor._make(np.asarray(values)))
    return tensor


def _check_normal(tensor: Tensor) -> None:
    """The dtype check of `Tensor.normal_` (floating point only), without drawing."""
    if not _dtype.is_floating(tensor.dtype):
        from numgrad import creation
        creation.normal_(tensor)  # raises PyTorch's "not implemented for 'Long'" error


# ----- helpers shared with PyTorch's private API --------------------------------------

def _no_grad_uniform_(tensor: Tensor, a: float, b: float, generator=None) -> Tensor:
    with ng.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def _no_grad_normal_(tensor: Tensor, mean: float, std: float, generator=None) -> Tensor:
    with ng.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _no_grad_fill_(tensor: Tensor, val: float) -> Tensor:
    with ng.no_grad():
        return tensor.fill_(val)


def _no_grad_zero_(tensor: Tensor) -> Tensor:
    with ng.no_grad():
        return tensor.zero_()


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _no_grad_trunc_normal_(tensor: Tensor, mean: float, std: float, a: float, b: float,
                           generator=None) -> Tensor:
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=3)
    _check_normal(tensor)
    rng = _rng()
    dt = tensor.dtype
    shape = tensor.shape
    # bounds cast to the tensor's dtype, so the rejection is consistent with its values
    lo, hi = float(np.asarray(a, dt)), float(np.asarray(b, dt))
    p = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    if p > 0.3:
        # rejection from the normal itself: redraw the samples outside [a, b]
        result = rng.normal(float(mean), float(std), shape).astype(dt)
        while True:
            mask = (result < lo) | (result > hi)
            if not mask.any():
                break
            result = np.where(mask, rng.normal(float(mean), float(std), shape).astype(dt), result)
    else:
        # a narrow window: uniform proposals on [a, b], accepted with pdf(x) / pdf(mode)
        mode = max(a, min(mean, b))
        log_peak = -0.5 * ((mode - mean) / std) ** 2

        def propose():
            x = rng.uniform(float(a), float(b), shape).astype(dt)
            log_pdf = -0.5 * ((x.astype(np.float64) - mean) / std) ** 2 - log_peak
            return x, np.log(rng.random(shape)) > log_pdf

        result, pending = propose()
        while pending.any():
            x, reject = propose()
            result = np.where(pending, x, result)
            pending = pending & reject
    return _write(tensor, result)


# ----- gains and fans -----------------------------------------------------------------

def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (as `torch.nn.init.calculate_gain`)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    elif nonlinearity == "tanh":
        return 5.0 / 3
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, int) or isinstance(param, float):
            # True/False are instances of int, hence the check above
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    elif nonlinearity == "selu":
        return 3.0 / 4  # found empirically (pytorch/pytorch#50664)
    else:
        raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps = shape[1]
    num_output_fmaps = shape[0]
    receptive_field_size = 1
    for s in shape[2:]:
        receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


# ----- public initialisers ----------------------------------------------------------

def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill `tensor` with samples of U(a, b)."""
    return _no_grad_uniform_(tensor, a, b, generator)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill `tensor` with samples of N(mean, std^2)."""
    return _no_grad_normal_(tensor, mean, std, generator)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill `tensor` with samples of N(mean, std^2) truncated to [a, b]."""
    return _no_grad_trunc_normal_(tensor, mean, std, a, b, generator=generator)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill `tensor` with `val`."""
    return _no_grad_fill_(tensor, val)


def ones_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with ones."""
    return _no_grad_fill_(tensor, 1.0)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with zeros."""
    return _no_grad_zero_(tensor)


def eye_(tensor: Tensor) -> Tensor:
    """Fill the 2-D `tensor` with the identity matrix (ones on the main diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill the 3-, 4- or 5-D `tensor` with the Dirac delta (identity convolution), per group."""
    dimensions = tensor.dim()
    if dimensions not in [3, 4, 5]:
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    a = np.zeros(sizes, dtype=tensor.dtype)
    centre = tuple(s // 2 for s in sizes[2:])
    for dim, s in enumerate(sizes[2:], 2):
        if s == 0 and groups * min_dim:
            raise IndexError(f"index 0 is out of bounds for dimension {dim} with size 0")
    for g in range(groups):
        for d in range(min_dim):
            a[(g * out_chans_per_grp + d, d) + centre] = 1
    return _write(tensor, a)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _no_grad_uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _no_grad_normal_(tensor, 0.0, std, generator)


def _kaiming_std(tensor: Tensor, a: float, mode: str, nonlinearity: str) -> float | None:
    """He initialization's std, gain / sqrt(fan); None (with PyTorch's warning) for an
    empty tensor, which is left as it is."""
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He uniform: U(-bound, bound) with bound = gain * sqrt(3 / fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    with ng.no_grad():
        return tensor.uniform_(-bound, bound, generator=generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    with ng.no_grad():
        return tensor.normal_(0, std, generator=generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator=None) -> Tensor:
    """Fill `tensor` (flattened to rows x rest) with a (semi-)orthogonal matrix times `gain`."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    _check_normal(tensor)
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flattened = _rng().standard_normal((rows, cols)).astype(tensor.dtype)
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    # make Q uniform (https://arxiv.org/pdf/math-ph/0609050.pdf)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _write(tensor, (q * gain).reshape(tensor.shape))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """Fill the 2-D `tensor` with N(0, std^2) samples, `ceil(sparsity * rows)` zeros per column."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tuple(tensor.shape)
    num_zeros = math.ceil(sparsity * rows)
    _check_normal(tensor)
    rng = _rng()
    a = rng.normal(0.0, float(std), (rows, cols)).astype(tensor.dtype)
    for col_idx in range(cols):
        a[rng.permutation(rows)[:num_zeros], col_idx] = 0
    return _write(tensor, a)


# ----- deprecated aliases ---------------------------------------------------------------

def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = (f"{old_name}(...)\n\n    Deprecated in favor of "
                               f":func:`numgrad.nn.init.{new_name}`.")
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
