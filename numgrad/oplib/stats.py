"""Statistics, order statistics and extra elementwise functions, composed from registry ops where possible.

Differentiable results are compositions of existing ops (sort, gather, where, lerp,
logsumexp, matmul, vector_norm...), so they have PyTorch's gradients to any order in
reverse and forward mode with no new rules; integer and bool results (indices, counts,
positions) are computed with numpy. The one new primitive is the elementwise log10.
"""
from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor
from numgrad.oplib import pointwise as P
from numgrad.oplib import reduction as R
from numgrad.oplib._util import normalize_dim
from numgrad.oplib.indexing import diagonal, gather
from numgrad.oplib.linalg import matmul
from numgrad.oplib.shape import cat, movedim, reshape, squeeze, transpose, unsqueeze

__all__ = ["median", "nanmedian", "quantile", "nanquantile", "mode", "kthvalue", "cummax", "cummin",
           "logcumsumexp", "std_mean", "var_mean", "nanmean", "nansum", "count_nonzero", "argsort",
           "unique", "isin", "searchsorted", "bucketize", "histc", "cov", "corrcoef", "cdist",
           "aminmax", "sgn", "heaviside", "float_power", "float_power_", "true_divide", "deg2rad",
           "rad2deg", "fmax", "fmin", "sinc", "log10", "signbit", "equal", "rsub"]
# functions that are also Tensor methods
METHODS = ("median", "nanmedian", "quantile", "nanquantile", "mode", "kthvalue", "cummax", "cummin",
           "logcumsumexp", "nanmean", "nansum", "count_nonzero", "argsort", "unique", "histc", "cov",
           "corrcoef", "aminmax", "sgn", "heaviside", "float_power", "float_power_", "true_divide",
           "deg2rad", "rad2deg", "fmax", "fmin", "sinc", "log10", "signbit", "equal")
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ("sgn", "heaviside", "true_divide", "deg2rad", "rad2deg", "sinc", "log10")

_median_result = namedtuple("median", ["values", "indices"])
_nanmedian_result = namedtuple("nanmedian", ["values", "indices"])
_mode_result = namedtuple("mode", ["values", "indices"])
_kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
_cummax_result = namedtuple("cummax", ["values", "indices"])
_cummin_result = namedtuple("cummin", ["values", "indices"])
_aminmax_result = namedtuple("aminmax", ["min", "max"])


def _const(a) -> Tensor:
    return Tensor._make(np.asarray(a))


def _check_tensor(name: str, x, arg: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(x).__name__}")


# ---------------------------------------------------------------- selections along a dim


def _select_along(result, name: str, input: Tensor, dim: int, keepdim: bool, pick):
    """(values, indices) of one element per row along `dim`: `pick(rows)` maps the
    (rows, n) array of those rows to one index per row. The values are a gather, so
    the gradient goes to the selected index (PyTorch's value_selecting_reduction)."""
    _check_tensor(name, input)
    d = normalize_dim(dim, input.ndim)
    x = reshape(input, (1,)) if input.ndim == 0 else input
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    a = np.moveaxis(x._data, d, -1)
    idx = pick(a.reshape(-1, a.shape[-1])).astype(np.int64).reshape(a.shape[:-1])
    idx = np.expand_dims(idx, d)
    values = gather(x, d, Tensor._make(idx))
    if input.ndim == 0:
        return result(reshape(values, ()), _const(idx.reshape(())))
    if not keepdim:
        return result(squeeze(values, d), _const(idx.squeeze(d)))
    return result(values, _const(idx))


def _order(rows: np.ndarray) -> np.ndarray:
    """Stable ascending order of each row, NaN last."""
    return np.argsort(rows, axis=1, kind="stable")


def _nan_rows(rows: np.ndarray) -> np.ndarray:
    return np.isnan(rows) if rows.dtype.kind == "f" else np.zeros(rows.shape, bool)


def _median_pick(rows: np.ndarray) -> np.ndarray:
    k = (rows.shape[1] - 1) // 2
    idx = _order(rows)[:, k]
    nan = _nan_rows(rows)
    has = nan.any(axis=1)
    idx[has] = nan[has].argmax(axis=1)  # a row with NaN: its first NaN (PyTorch)
    return idx


def _nanmedian_pick(rows: np.ndarray) -> np.ndarray:
    m = (~_nan_rows(rows)).sum(axis=1)
    k = np.maximum((m - 1) // 2, 0)
    return np.take_along_axis(_order(rows), k[:, None], axis=1)[:, 0]


def _whole_median(input: Tensor, ignore_nan: bool) -> Tensor:
    """The lower median of all elements; the gradient is shared evenly among the
    elements equal to it (PyTorch's evenly_distribute_backward)."""
    if input.numel() == 0:  # NaN, cast as PyTorch casts it (the lowest integer) for integer dtypes
        kind = input.dtype.kind
        return _const(np.array(np.nan if kind == "f" else np.iinfo(input.dtype).min if kind in "iu"
                               else False, input.dtype))
    flat = input._data.reshape(1, -1)
    i = (_nanmedian_pick if ignore_nan else _median_pick)(flat)[0]
    v = flat[0, i]
    if v != v:  # NaN: shared among the NaN elements
        mask = np.isnan(input._data)
        return P.div(R.sum(P.where(_const(mask), input, 0.0)), float(mask.sum()))
    if input.dtype.kind != "f":
        return _const(np.array(v))
    # the max over the elements equal to the median: exact, and amax shares the gradient
    return R.amax(P.where(_const(input._data == v), input, -math.inf))


def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """Lower median of all elements (a tensor), or (values, indices) along `dim`;
    NaN propagates."""
    if dim is None:
        _check_tensor("median", input)
        return _whole_median(input, False)
    return _select_along(_median_result, "median", input, dim, keepdim, _median_pick)


def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """median ignoring NaN (NaN only where every element is NaN)."""
    if dim is None:
        _check_tensor("nanmedian", input)
        return _whole_median(input, True)
    return _select_along(_nanmedian_result, "nanmedian", input, dim, keepdim, _nanmedian_pick)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the `k`-th smallest element (1-based) along `dim`; NaN is largest."""
    _check_tensor("kthvalue", input)
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if n == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    return _select_along(_kthvalue_result, "kthvalue", input, dim, keepdim,
                         lambda rows: _order(rows)[:, k - 1])


def _mode_pick(rows: np.ndarray) -> np.ndarray:
    order = _order(rows)
    s = np.take_along_axis(rows, order, axis=1)
    n = s.shape[1]
    same = s[:, 1:] == s[:, :-1]
    if s.dtype.kind == "f":
        same |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    pos = np.arange(n)
    start = np.maximum.accumulate(np.where(np.concatenate([np.ones((len(s), 1), bool), ~same], 1),
                                           pos, 0), axis=1)
    # the end of the first longest run (the smallest most frequent value); stable sorting
    # puts its last occurrence there
    end = (pos - start).argmax(axis=1)
    return order[np.arange(len(s)), end]


def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """(values, indices): the most frequent value along `dim` (the smallest among equally
    frequent ones) and the index of its last occurrence."""
    return _select_along(_mode_result, "mode", input, dim, keepdim, _mode_pick)


def _cumulative(result, name: str, input: Tensor, dim: int, ufunc, better):
    _check_tensor(name, input)
    d = normalize_dim(dim, input.ndim)
    x = reshape(input, (1,)) if input.ndim == 0 else input
    a = x._data
    if a.size == 0:
        return result(x.clone(), _const(np.zeros(a.shape, np.int64)))
    run = ufunc.accumulate(a, axis=d)  # NaN propagates
    prev = np.concatenate([np.take(a, [0], axis=d), np.delete(run, -1, axis=d)], axis=d)
    # a new record where x is NaN or beats (ties included) a non-NaN running value
    take = better(a, prev)
    if a.dtype.kind == "f":
        take = np.isnan(a) | (~np.isnan(prev) & take)
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    pos = np.arange(a.shape[d]).reshape(shape)
    idx = np.maximum.accumulate(np.where(take, pos, 0), axis=d).astype(np.int64)
    values = gather(x, d, Tensor._make(idx))
    if input.ndim == 0:
        return result(reshape(values, ()), _const(idx.reshape(())))
    return result(values, _const(idx))


def cummax(input: Tensor, dim: int):
    """(values, indices) of the running maximum along `dim` (last index among ties; NaN
    propagates); the gradient goes to the selected indices."""
    return _cumulative(_cummax_result, "cummax", input, dim, np.maximum, np.greater_equal)


def cummin(input: Tensor, dim: int):
    """(values, indices) of the running minimum along `dim` (see cummax)."""
    return _cumulative(_cummin_result, "cummin", input, dim, np.minimum, np.less_equal)


_LCSE_BLOCK = 128


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """log(cumsum(exp(input))) along `dim`, computed without overflow or underflow."""
    _check_tensor("logcumsumexp", input)
    if input.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_dtype.torch_name(input.dtype)}'")
    d = normalize_dim(dim, input.ndim)
    if input.ndim == 0 or input.numel() == 0:
        return input.clone()
    x = movedim(input, d, -1)
    n = x.shape[-1]
    # within a block of b elements: out_i = logsumexp_j<=i x_j from a (b, b) masked matrix;
    # across blocks the running total is carried with logaddexp
    outs, carry = [], None
    for s in range(0, n, _LCSE_BLOCK):
        xb = x[..., s:s + _LCSE_BLOCK]
        b = xb.shape[-1]
        lower = _const(np.tril(np.ones((b, b), bool)))
        block = R.logsumexp(P.where(lower, unsqueeze(xb, -2), -math.inf), -1)
        if carry is not None:
            block = P.logaddexp(block, unsqueeze(carry, -1))
        carry = block[..., -1]
        outs.append(block)
    out = outs[0] if len(outs) == 1 else cat(outs, -1)
    return movedim(out, -1, d)


# ---------------------------------------------------------------- quantiles

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input: Tensor, q, dim, keepdim: bool, interpolation: str, ignore_nan: bool) -> Tensor:
    _check_tensor("quantile", input)
    if input.dtype.kind != "f":
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype != input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
        if not ((q._data >= 0) & (q._data <= 1)).all():
            raise RuntimeError("quantile() q values must be in the range [0, 1]")
        scalar_q = q.ndim == 0
        qt = reshape(q, (-1,))
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
        scalar_q = True
        qt = _const(np.array([q], input.dtype))
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError("quantile() interpolation must be one of linear, lower, higher, midpoint "
                           f"or nearest, but got {interpolation}")
    if dim is None:
        x = reshape(input, (-1,))
        kept = (1,) * input.ndim
    else:
        d = normalize_dim(dim, input.ndim)
        x = movedim(input, d, -1) if input.ndim else reshape(input, (1,))
        kept = tuple(1 if k == d else n for k, n in enumerate(input.shape))
    s = R.sort(x, -1).values  # NaN last
    nan = np.isnan(s._data)
    if ignore_nan:
        # ranks among the non-NaN values; a row of NaN only gets rank 0 (so NaN)
        m = (~nan).sum(axis=-1, keepdims=True) - 1
        ranks = P.mul(qt, _const(m.astype(input.dtype)))
        ranks = P.where(_const(ranks._data < 0), 0.0, ranks)
    else:
        last = s.shape[-1] - 1
        # a row with NaN gets the last rank, where the NaN is
        ranks = P.where(_const(nan.any(axis=-1, keepdims=True)), float(last), P.mul(qt, float(last)))
    r = ranks._data
    if interpolation == "lower":
        r = np.floor(r)
    elif interpolation == "higher":
        r = np.ceil(r)
    elif interpolation == "nearest":
        r = np.round(r)  # half to even, as PyTorch's round
    below = r.astype(np.int64)
    out = gather(s, -1, _const(below))
    if interpolation in ("linear", "midpoint"):
        above = gather(s, -1, _const(np.ceil(r).astype(np.int64)))
        if interpolation == "midpoint":
            weights = _const(np.full(r.shape, 0.5, input.dtype))
        else:  # differentiable in q
            weights = P.sub(ranks, _const(below.astype(input.dtype)))
        out = P.lerp(out, above, weights)
    out = movedim(out, -1, 0)  # quantiles first
    if keepdim:
        out = reshape(out, out.shape[:1] + kept)
    return reshape(out, out.shape[1:]) if scalar_q else out


def quantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The `q`-quantiles (a number, or a 1-D tensor whose quantiles come first in the
    result) of `input` along `dim` (all elements if None); NaN propagates."""
    return _quantile(input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """quantile ignoring NaN (NaN only where every element is NaN)."""
    return _quantile(input, q, dim, keepdim, interpolation, True)


# ---------------------------------------------------------------- moments and counts


def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim`, with `std`'s correction (1 by default)."""
    return (R.std(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, None if isinstance(dim, bool) else dim, keepdim))


def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim`, with `var`'s correction (1 by default)."""
    return (R.var(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, None if isinstance(dim, bool) else dim, keepdim))


def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum over `dim` treating NaN as zero (whose gradient is zero)."""
    _check_tensor("nansum", input)
    if dtype is not None:
        input = input.type(dtype)
    if input.dtype.kind == "f":
        input = P.where(_const(np.isnan(input._data)), 0.0, input)
    return R.sum(input, dim, keepdim)


def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean over `dim` of the non-NaN elements (NaN where there are none)."""
    _check_tensor("nanmean", input)
    if dtype is not None:
        input = input.type(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype but "
                           f"got {_dtype.torch_name(input.dtype)}")
    dims = R.reduction_dims(dim, input.ndim)
    count = (~np.isnan(input._data)).sum(axis=dims, keepdims=keepdim).astype(input.dtype)
    with np.errstate(invalid="ignore"):
        return P.div(nansum(input, dims, keepdim), _const(count))


def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """The number of non-zero elements over `dim` (all dims if None), as int64."""
    _check_tensor("count_nonzero", input)
    if dim is not None and not isinstance(dim, int):
        seen = [normalize_dim(d, input.ndim) for d in dim]
        for d in seen:
            if seen.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    dims = R.reduction_dims(dim, input.ndim)
    return _const(np.count_nonzero(input._data, axis=dims).astype(np.int64))


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The indices that sort `input` along `dim` (stable; NaN is the largest value)."""
    _check_tensor("argsort", input)
    d = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return _const(np.zeros((), np.int64))
    return _const(R._argsort(input._data, d, descending))


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """(min, max) over `dim` (all elements if None); gradients shared among ties."""
    _check_tensor("aminmax", input)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = ()
    else:
        d = normalize_dim(dim, input.ndim)
        if input.ndim and input.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
        dims = d
    return _aminmax_result(R.amin(input, dims, keepdim), R.amax(input, dims, keepdim))


# ---------------------------------------------------------------- unique, isin, searching, histograms


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements of `input` (or slices along `dim`), sorted; optionally the
    index of each input element in them and their counts. Each NaN is distinct (PyTorch).
    Unsorted output (`sorted=False`) is returned sorted too."""
    _check_tensor("unique", input)
    a = input._data
    if dim is None:
        vals, inv, counts = np.unique(a.reshape(-1), return_inverse=True, return_counts=True,
                                      equal_nan=False)
        inv = inv.reshape(a.shape)
    else:
        d = normalize_dim(dim, a.ndim)
        vals, inv, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d,
                                      equal_nan=False)
        inv = inv.reshape(-1)
    out = [_const(vals)]
    if return_inverse:
        out.append(_const(inv.astype(np.int64)))
    if return_counts:
        out.append(_const(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _array(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of `elements` is in `test_elements` (either may be a number)."""
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise TypeError("isin(): expected elements or test_elements to be a Tensor")
    return _const(np.isin(_array(elements), _array(test_elements), assume_unique=assume_unique,
                          invert=invert))


def _search(seq: np.ndarray, values: np.ndarray, right: bool, sorter) -> np.ndarray:
    """PyTorch's binary search, row by row: `seq` (rows, n), `values` (rows, m). Written as
    PyTorch's loop so NaN behaves the same (a NaN value goes past every element)."""
    rows, n = seq.shape
    lo = np.zeros(values.shape, np.int64)
    hi = np.full(values.shape, n, np.int64)
    r = np.arange(rows)[:, None]
    for _ in range(n.bit_length()):
        active = lo < hi
        mid = (lo + hi) >> 1
        at = np.minimum(mid, n - 1)
        if sorter is not None:
            at = sorter[r, at]
        v = seq[r, at]
        go_right = ~(v > values) if right else ~(v >= values)
        lo = np.where(active & go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)
    return lo


def searchsorted(sorted_sequence: Tensor, input, *, out_int32: bool = False, right: bool = False,
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """For each value of `input`, the index in `sorted_sequence` (along its last dim) where it
    would be inserted to keep it sorted: before equal elements, or after them with right=True
    or side='right'. `sorter` gives the order of an unsorted sequence."""
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                               "side of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    values = _array(input)
    if seq.ndim > 1 and (values.ndim != seq.ndim or values.shape[:-1] != seq.shape[:-1]):
        raise RuntimeError(
            "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
            "dimensions of boundaries tensor and input value tensor must match, but we got "
            f"boundaries tensor {list(seq.shape)} and input value tensor {list(values.shape)}")
    order = None
    if sorter is not None:
        if sorter.shape != sorted_sequence.shape:
            raise RuntimeError(
                "torch.searchsorted(): boundary and sorter must have the same size, but got "
                f"boundary tensor {list(seq.shape)} and got sorter tensor {list(sorter.shape)}")
        order = sorter._data.reshape(math.prod(seq.shape[:-1]), seq.shape[-1] if seq.ndim else 1)
    seq2 = seq.reshape(math.prod(seq.shape[:-1]), seq.shape[-1] if seq.ndim else 1)
    vals2 = values.reshape(seq2.shape[0], -1) if seq.ndim > 1 else values.reshape(1, -1)
    dt = np.result_type(seq2.dtype, vals2.dtype)
    out = _search(seq2.astype(dt, copy=False), vals2.astype(dt, copy=False), right, order)
    return _const(out.reshape(values.shape).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:
    """The bucket of each value of `input` among the sorted 1-D `boundaries`:
    boundaries[i-1] < x <= boundaries[i] (right=False) or boundaries[i-1] <= x < boundaries[i]."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's range if
    min == max), as `input`'s dtype; elements outside the range (and NaN) are ignored."""
    _check_tensor("histc", input)
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_dtype.torch_name(a.dtype)}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = a.dtype.type(min), a.dtype.type(max)
    if lo == hi and a.size:
        lo, hi = a.min(), a.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    x = a[(a >= lo) & (a <= hi)]
    # PyTorch's linear bin position, computed in the input's dtype; max falls in the last bin
    pos = ((x - lo) * a.dtype.type(bins) / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return _const(np.bincount(pos, minlength=bins).astype(a.dtype))


# ---------------------------------------------------------------- covariance, correlation, distances


def _check_weights(name: str, w: Tensor, n: int, kind: str, kinds: str) -> None:
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got {name} "
                           f"with {w.ndim} dimensions")
    if w.dtype.kind not in kinds:
        raise RuntimeError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{_dtype.torch_name(w.dtype)} dtype")
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are observations "
                           f"in the input but got {w.numel()} != {n}")
    if (w._data < 0).any():
        raise RuntimeError(f"cov(): {name} cannot be negative")


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:
    """Covariance matrix of the variables in the rows of `input` (observations in the
    columns; a 1-D input is one variable), with integer frequency weights `fweights` and
    float observation weights `aweights` (differentiable) as in PyTorch / numpy.cov."""
    _check_tensor("cov", input)
    if input.ndim > 2:
        raise RuntimeError("cov(): expected input to have two or fewer dimensions but got an input "
                           f"with {input.ndim} dimensions")
    if input.dtype == np.bool_:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = reshape(input, (1, -1)) if input.ndim < 2 else input
    if x.dtype.kind != "f":
        x = P.to_dtype(x, _dtype.get_default_dtype())
    n = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n, "integral", "iub")
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n, "floating point", "f")
        w = aweights if w is None else P.mul(w, aweights)
    if w is None:
        w_sum = float(n)
        avg = R.mean(x, 1)
        norm = w_sum - correction
    else:
        w = P.to_dtype(w, x.dtype) if w.dtype != x.dtype else w
        w_sum = R.sum(w)
        avg = P.div(R.sum(P.mul(x, w), 1), w_sum)
        if correction == 0:
            norm = w_sum
        elif aweights is not None:
            norm = P.sub(w_sum, P.div(P.mul(R.sum(P.mul(w, aweights)), float(correction)), w_sum))
        else:
            norm = P.sub(w_sum, float(correction))
    if (norm.item() if isinstance(norm, Tensor) else norm) <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                      "the number of observations.", UserWarning, stacklevel=2)
        norm = 0.0
    xc = P.sub(x, unsqueeze(avg, 1))
    c = matmul(xc, transpose(xc if w is None else P.mul(xc, w), 0, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        c = P.div(c, norm)
    return reshape(c, ()) if c.shape == (1, 1) else c


def corrcoef(input: Tensor) -> Tensor:
    """Pearson correlation coefficients of the variables in the rows of `input`, in [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return P.div(c, c)
    s = P.sqrt(diagonal(c))
    c = P.div(P.div(c, unsqueeze(s, 1)), unsqueeze(s, 0))
    return P.clamp(c, -1.0, 1.0)


_COMPUTE_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                  "donot_use_mm_for_euclid_dist")


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of `x1` (..., P, M) and each row of `x2`
    (..., R, M), as (..., P, R), batch dims broadcasting. Always computed from the
    differences (PyTorch's non-matmul path, exact for near points; `compute_mode` is
    accepted); the gradient at zero distance is zero."""
    for name, x in (("X1", x1), ("X2", x2)):
        _check_tensor("cdist", x, "x" + name[1])
        if x.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{_dtype.torch_name(x.dtype)}")
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if compute_mode not in _COMPUTE_MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    diff = P.sub(unsqueeze(x1, -2), unsqueeze(x2, -3))
    return R.vector_norm(diff, p, -1)


# ---------------------------------------------------------------- elementwise


def sgn(input: Tensor) -> Tensor:
    """The sign of each element (sign, for real tensors)."""
    return P.sign(input)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0, `values` where input == 0, 1 where input > 0 (NaN gives 0, as PyTorch).
    Not differentiable (PyTorch implements no derivative): the result is a constant."""
    _check_tensor("heaviside", input)
    _check_tensor("heaviside", values, "values")
    if input.dtype != values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    a, v = input._data, values._data
    return _const(np.where(a == 0, v, a > 0).astype(a.dtype))


def _float64(x):
    return P.to_dtype(x, _dtype.float64) if isinstance(x, Tensor) and x.dtype != np.float64 else x


def float_power(input, exponent) -> Tensor:
    """input ** exponent computed in float64 (a float64 result whatever the dtypes)."""
    return P.pow(_float64(input), _float64(exponent))


def float_power_(self: Tensor, exponent) -> Tensor:
    """In-place float_power: `self` must be float64."""
    if self.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {_dtype.torch_name(self.dtype)} "
                           "but the operation's result requires dtype Double")
    from numgrad._methods import inplace  # _methods binds this module's functions
    return inplace(self, float_power, exponent)


def true_divide(input, other) -> Tensor:
    """input / other with true (float) division: div."""
    return P.div(input, other)


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians (integers become the default float dtype)."""
    return P.mul(P._floating(input), math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees (integers become the default float dtype)."""
    return P.mul(P._floating(input), 180.0 / math.pi)


def _nan_ignoring(name: str, input, other, better) -> Tensor:
    a, b = P._tensor_args(name, input, other)
    pick = better(a._data, b._data)
    if a.dtype.kind == "f":
        pick = pick | np.isnan(b._data)
    # PyTorch's gradient: all to `input` where it is picked (ties included), else to `other`
    return P.where(_const(pick), a, b)


def fmax(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum ignoring NaN (NaN only where both are NaN)."""
    return _nan_ignoring("fmax", input, other, np.greater_equal)


def fmin(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum ignoring NaN (NaN only where both are NaN)."""
    return _nan_ignoring("fmin", input, other, np.less_equal)


def sinc(input: Tensor) -> Tensor:
    """sin(pi x) / (pi x), and 1 at x = 0 (where the gradient is 0)."""
    x = P.mul(P._floating(input), math.pi)
    zero = _const(x._data == 0)
    safe = P.where(zero, 1.0, x)
    return P.where(zero, 1.0, P.div(P.sin(safe), safe))


def _log10(x):
    return math.log10(x) if x > 0 else (-math.inf if x == 0 else math.nan)


_LN10 = math.log(10.0)
# the Numba kernel (libm's log10): numpy's float32 log10 is 1 ulp off at powers of ten
LOG10, log10 = P.unary("log10", _log10, lambda ctx, g: P.div(g, P.mul(ctx.saved[0], _LN10)))
log10.__doc__ = "Elementwise base-10 logarithm (integers become the default float dtype)."


def signbit(input: Tensor) -> Tensor:
    """Whether each element has its sign bit set (True for -0.0)."""
    _check_tensor("signbit", input)
    return _const(np.signbit(input._data))


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and elements (NaN is never equal)."""
    _check_tensor("equal", input)
    _check_tensor("equal", other, "other")
    return input.shape == other.shape and bool((input._data == other._data).all())


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """other - alpha * input."""
    return P.sub(other, input, alpha=alpha)
