"""numgrad/oplib/stats.py: order statistics, quantiles, counts, searching, histograms,
covariance, distances and extra elementwise functions. Values against numpy/scipy in
float32 and float64, PyTorch's NaN and tie handling, dtypes, namedtuples and errors;
gradients against finite differences (reverse, forward, batched, second order).

Verified against torch 2.13 (see test_matches_torch): median with dim returns the first
NaN of a row holding NaN; nanmedian of an all-NaN row is (nan, 0); median() shares its
gradient among ties and among NaNs; cummax/cummin take the last index among ties and
propagate NaN with the latest NaN's index; unique keeps every NaN distinct; searchsorted
sends NaN values past every element; histc counts max in the last bin."""
from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.spatial.distance as ssd
import scipy.stats

import numgrad as ng
from numgrad.autograd import gradcheck, gradgradcheck

NAN = math.nan
RNG = np.random.default_rng(0)
FLOATS = [np.float32, np.float64]


def _t(a, dtype=np.float64, requires_grad=False) -> ng.Tensor:
    return ng.tensor(np.asarray(a, dtype=dtype), requires_grad=requires_grad)


def _distinct(*shape, seed=0) -> np.ndarray:
    """float64 values without ties (at least 0.05 apart)."""
    n = math.prod(shape)
    rng = np.random.default_rng(seed)
    return (rng.permutation(n) * 0.1 + rng.uniform(0, 0.05, n) - n * 0.05).reshape(shape)


def _check_all(fn, *inputs, atol=1e-5):
    assert gradcheck(fn, inputs, atol=atol, check_forward_ad=True, check_batched_grad=True)
    assert gradgradcheck(fn, inputs, atol=atol, check_batched_grad=True)


def _leaf(a) -> ng.Tensor:
    return ng.tensor(np.asarray(a, np.float64), requires_grad=True)


# ---------------------------------------------------------------- median, nanmedian, kthvalue, mode


@pytest.mark.parametrize("dtype", FLOATS)
def test_median_matches_lower_median(dtype):
    a = RNG.standard_normal((4, 7)).astype(dtype)
    x = ng.tensor(a)
    lower = np.sort(a, axis=1)[:, 3]
    r = ng.median(x, 1)
    assert isinstance(r, tuple) and r._fields == ("values", "indices")
    np.testing.assert_array_equal(r.values.numpy(), lower)
    np.testing.assert_array_equal(a[np.arange(4), r.indices.numpy()], lower)
    assert r.values.dtype == dtype and r.indices.dtype == np.int64
    values, indices = x.median(dim=-1, keepdim=True)
    assert values.shape == (4, 1) and indices.shape == (4, 1)
    even = RNG.standard_normal(6).astype(dtype)
    assert ng.median(ng.tensor(even)).item() == np.sort(even)[2]  # lower, not np.median's mean
    np.testing.assert_array_equal(ng.median(ng.tensor(a), 0).values.numpy(), np.sort(a, 0)[1])


def test_median_nan_and_ties():
    x = _t([3.0, 1.0, 2.0, 1.0, 3.0, NAN, 2.0])
    assert math.isnan(ng.median(x).item())
    r = ng.median(x, 0)
    assert math.isnan(r.values.item()) and r.indices.item() == 5  # the first NaN
    assert ng.median(_t([[1.0, NAN, 2.0, NAN]]), 1).indices.tolist() == [1]
    r = ng.nanmedian(x, 0)
    assert r._fields == ("values", "indices") and (r.values.item(), r.indices.item()) == (2.0, 2)
    assert ng.nanmedian(x).item() == 2.0
    r = ng.nanmedian(_t([NAN, NAN]), 0)
    assert math.isnan(r.values.item()) and r.indices.item() == 0
    assert ng.median(_t([[1.0, 1.0, 1.0, 1.0]]), 1).indices.tolist() == [1]
    assert math.isnan(ng.median(ng.zeros(0)).item())
    assert ng.median(ng.tensor([4, 1, 3])).item() == 3 and ng.median(ng.tensor([4, 1, 3])).dtype == np.int64


def test_median_gradients():
    x = _leaf([1.0, 3.0, 2.0, 3.0, 2.0])
    ng.median(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0, 0.5, 0, 0.5])  # shared among ties
    x = _leaf([1.0, NAN, 2.0, NAN])
    ng.median(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0, 0.5])
    x = _leaf(_distinct(3, 5))
    _check_all(lambda t: ng.median(t), x)
    _check_all(lambda t: ng.median(t, 1).values, x)
    _check_all(lambda t: ng.median(t, 0, keepdim=True).values, x)
    _check_all(lambda t: ng.nanmedian(t, 1).values, x)
    y = _leaf([[1.0, NAN, 3.0, 2.0]])
    assert gradcheck(lambda t: ng.nanmedian(t, 1).values, (y,), check_forward_ad=True)


def test_median_errors_and_scalars():
    with pytest.raises(IndexError, match=r"median\(\): Expected reduction dim 1 to have non-zero size"):
        ng.median(ng.zeros(2, 0), 1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ng.median(ng.zeros(2), 1)
    r = ng.median(ng.tensor(2.5), 0)
    assert r.values.shape == () and r.indices.item() == 0


@pytest.mark.parametrize("dtype", FLOATS)
def test_kthvalue(dtype):
    a = _distinct(3, 6).astype(dtype)
    for k in (1, 3, 6):
        r = ng.kthvalue(ng.tensor(a), k, 1)
        assert r._fields == ("values", "indices")
        np.testing.assert_array_equal(r.values.numpy(), np.sort(a, 1)[:, k - 1])
        np.testing.assert_array_equal(r.indices.numpy(), np.argsort(a, 1)[:, k - 1])
    r = ng.tensor(a).kthvalue(2, 0, keepdim=True)
    assert r.values.shape == (1, 6)
    r = ng.kthvalue(_t([[NAN, 1.0, 2.0]]), 3, 1)  # NaN is the largest
    assert math.isnan(r.values.item()) and r.indices.item() == 0
    with pytest.raises(RuntimeError, match=r"kthvalue\(\): selected number k out of range for dimension 0"):
        ng.kthvalue(_t([1.0, 2.0]), 3)
    with pytest.raises(RuntimeError, match="k out of range"):
        ng.kthvalue(_t([1.0, 2.0]), 0)
    _check_all(lambda t: ng.kthvalue(t, 2, 0).values, _leaf(_distinct(4, 3)))


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_mode_against_scipy(dtype):
    a = RNG.integers(0, 4, (5, 9)).astype(dtype)
    r = ng.mode(ng.tensor(a), 1)
    ref = scipy.stats.mode(a, axis=1)  # the smallest most frequent value
    np.testing.assert_array_equal(r.values.numpy(), ref.mode)
    idx = r.indices.numpy()
    np.testing.assert_array_equal(a[np.arange(5), idx], ref.mode)
    for row, i in zip(a, idx):  # the last occurrence
        assert (row[i + 1:] != row[i]).all()
    assert r.values.dtype == dtype
    assert ng.tensor(a).mode(0, keepdim=True).values.shape == (1, 9)
    r = ng.mode(_t([[2.0, 1.0, 2.0, 1.0, 3.0]]), 1)
    assert r._fields == ("values", "indices") and (r.values.item(), r.indices.item()) == (1.0, 3)
    with pytest.raises(IndexError, match=r"mode\(\): Expected reduction dim 1 to have non-zero size"):
        ng.mode(ng.zeros(2, 0), 1)


def test_mode_gradient_goes_to_the_selected_index():
    x = _leaf([[2.0, 1.0, 2.0, 5.0]])
    ng.mode(x, 1).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1, 0]])
    # distinct values (the only case finite differences can check): the mode is the minimum
    _check_all(lambda t: ng.mode(t, 1).values, _leaf(_distinct(2, 4)))


# ---------------------------------------------------------------- cummax, cummin, logcumsumexp


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_cummax_cummin_values_and_indices(dtype):
    a = RNG.integers(0, 5, (3, 8)).astype(dtype)  # many ties
    for fn, acc in ((ng.cummax, np.maximum), (ng.cummin, np.minimum)):
        r = fn(ng.tensor(a), 1)
        assert r._fields == ("values", "indices") and r.values.dtype == dtype
        np.testing.assert_array_equal(r.values.numpy(), acc.accumulate(a, 1))
        idx = r.indices.numpy()
        for i in range(3):
            for j in range(8):  # the last index holding the running extreme
                k = idx[i, j]
                assert a[i, k] == r.values.numpy()[i, j] and (a[i, k + 1:j + 1] != a[i, k]).all()
    assert ng.tensor(a).cummax(0).values.shape == (3, 8)


def test_cummax_nan_and_edge_cases():
    r = ng.cummax(_t([1.0, 3.0, 2.0, 3.0, NAN, 1.0, NAN, 5.0]), 0)
    assert r.indices.tolist() == [0, 1, 1, 3, 4, 4, 6, 6]
    assert np.isnan(r.values.numpy()[4:]).all()
    assert ng.cummin(_t([1.0, 0.0, 2.0, 0.0, NAN, 1.0]), 0).indices.tolist() == [0, 1, 1, 3, 4, 4]
    r = ng.cummax(ng.zeros(0), 0)
    assert r.values.shape == (0,) and r.indices.dtype == np.int64
    r = ng.cummin(ng.tensor(2.0), 0)
    assert r.values.shape == () and r.indices.item() == 0


def test_cummax_gradients():
    x = _leaf([1.0, 3.0, 2.0, 4.0])
    ng.cummax(x, 0).values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1, 2, 0, 1])  # scatter-add to the indices
    _check_all(lambda t: ng.cummax(t, 1).values, _leaf(_distinct(3, 5)))
    _check_all(lambda t: ng.cummin(t, 0).values, _leaf(_distinct(4, 2)))


@pytest.mark.parametrize("dtype", FLOATS)
def test_logcumsumexp(dtype):
    a = RNG.standard_normal((3, 300)).astype(dtype) * 3  # more than one block
    out = ng.logcumsumexp(ng.tensor(a), 1)
    assert out.dtype == dtype
    ref = np.logaddexp.accumulate(a.astype(np.float64), 1)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)
    np.testing.assert_allclose(ng.tensor(a).logcumsumexp(0).numpy(), np.logaddexp.accumulate(a, 0), rtol=1e-5)
    # neither underflow nor overflow
    np.testing.assert_allclose(ng.logcumsumexp(_t([-1000.0, 0.0, 1000.0]), 0).numpy(), [-1000.0, 0.0, 1000.0])
    with pytest.raises(NotImplementedError, match="logcumsumexp_out_cpu"):
        ng.logcumsumexp(ng.tensor([1, 2]), 0)
    _check_all(lambda t: ng.logcumsumexp(t, 1), _leaf(RNG.standard_normal((2, 5))))
    _check_all(lambda t: ng.logcumsumexp(t, 0), _leaf(RNG.standard_normal(140)))


# ---------------------------------------------------------------- quantile, nanquantile


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_against_numpy(dtype, method):
    a = RNG.standard_normal((4, 11)).astype(dtype)
    qs = np.array([0.0, 0.1, 0.25, 0.5, 0.77, 1.0], dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    out = ng.quantile(ng.tensor(a), ng.tensor(qs), 1, interpolation=method)
    assert out.shape == (6, 4) and out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), np.quantile(a, qs, axis=1, method=method), rtol=tol, atol=tol)
    out = ng.tensor(a).quantile(0.3, dim=0, keepdim=True, interpolation=method)
    assert out.shape == (1, 11)
    np.testing.assert_allclose(out.numpy(), np.quantile(a, 0.3, axis=0, keepdims=True, method=method),
                               rtol=tol, atol=tol)
    out = ng.quantile(ng.tensor(a), ng.tensor(qs[:2]), keepdim=True, interpolation=method)
    assert out.shape == (2, 1, 1)
    np.testing.assert_allclose(out.numpy().ravel(), np.quantile(a, qs[:2], method=method), rtol=tol, atol=tol)
    assert ng.quantile(ng.tensor(a), ng.tensor(qs[1])).shape == ()


def test_quantile_nan():
    a = np.array([[1.0, NAN, 3.0, 2.0], [4.0, 1.0, 2.0, 3.0], [NAN, NAN, NAN, NAN]])
    out = ng.quantile(ng.tensor(a), 0.4, 1)
    assert np.isnan(out.numpy()[[0, 2]]).all() and out.numpy()[1] == np.quantile(a[1], 0.4)
    out = ng.nanquantile(ng.tensor(a), ng.tensor([0.4, 1.0], dtype=ng.float64), 1)
    ref = np.concatenate([np.nanquantile(a[:2], [0.4, 1.0], axis=1), [[NAN], [NAN]]], 1)
    np.testing.assert_allclose(out.numpy(), ref)  # an all-NaN row: NaN
    assert ng.tensor(a).nanquantile(0.5).item() == np.nanquantile(a, 0.5)


def test_quantile_errors():
    x = _t([1.0, 2.0], np.float32)
    for q, msg in ((2.0, r"q must be in the range \[0, 1\] but got 2"),
                   (-0.1, r"q must be in the range \[0, 1\] but got -0.1"),
                   (ng.tensor([[0.5]]), "q must be a scalar or 1D tensor"),
                   (ng.tensor([0.5], dtype=ng.float64), "q tensor must be same dtype as the input tensor"),
                   (ng.tensor([0.5, 1.5]), r"q values must be in the range \[0, 1\]")):
        with pytest.raises(RuntimeError, match=msg):
            ng.quantile(x, q)
    with pytest.raises(RuntimeError, match="interpolation must be one of linear, lower, higher, midpoint "
                                           "or nearest, but got x"):
        ng.quantile(x, 0.5, interpolation="x")
    with pytest.raises(RuntimeError, match="input tensor must be either float or double dtype"):
        ng.quantile(ng.tensor([1]), 0.5)
    with pytest.raises(RuntimeError, match="input tensor must be non-empty"):
        ng.nanquantile(ng.zeros(0), 0.5)


def test_quantile_gradients():
    x = _leaf(_distinct(3, 6))
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        _check_all(lambda t: ng.quantile(t, _t([0.2, 0.55]), 1, interpolation=method), x)
    _check_all(lambda t: ng.nanquantile(t, 0.3), x)
    # linear interpolation is differentiable in q too (PyTorch's composite quantile)
    _check_all(lambda t, q: ng.quantile(t, q, 0), x, _leaf([0.23, 0.61]))
    y = _leaf([[1.0, NAN, 3.0, 2.0]])
    assert gradcheck(lambda t: ng.nanquantile(t, 0.4, 1), (y,), check_forward_ad=True)


# ---------------------------------------------------------------- moments, nan-reductions, counts


@pytest.mark.parametrize("dtype", FLOATS)
def test_std_mean_var_mean(dtype):
    a = RNG.standard_normal((3, 5)).astype(dtype)
    s, m = ng.std_mean(ng.tensor(a), 1)
    np.testing.assert_allclose(s.numpy(), a.std(1, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(m.numpy(), a.mean(1), rtol=1e-5, atol=1e-7)
    v, m = ng.var_mean(ng.tensor(a), (0, 1), correction=0, keepdim=True)
    assert v.shape == m.shape == (1, 1)
    np.testing.assert_allclose(v.numpy(), a.var(keepdims=True), rtol=1e-5)
    v, m = ng.var_mean(ng.tensor(a), unbiased=False)
    np.testing.assert_allclose(v.numpy(), a.var(), rtol=1e-5)
    s, m = ng.std_mean(ng.tensor(a), True)  # the legacy (input, unbiased) overload
    np.testing.assert_allclose(s.numpy(), a.std(ddof=1), rtol=1e-5)
    x = _leaf(RNG.standard_normal((3, 4)))
    _check_all(lambda t: ng.std_mean(t, 1), x)
    _check_all(lambda t: ng.var_mean(t, 0, correction=0), x)


@pytest.mark.parametrize("dtype", FLOATS)
def test_nansum_nanmean(dtype):
    a = RNG.standard_normal((4, 5)).astype(dtype)
    a[a > 0.8] = NAN
    a[3] = NAN
    x = ng.tensor(a)
    np.testing.assert_allclose(ng.nansum(x).numpy(), np.nansum(a), rtol=1e-5)
    np.testing.assert_allclose(x.nansum(1, keepdim=True).numpy(), np.nansum(a, 1, keepdims=True), rtol=1e-5)
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        ref = np.nanmean(a, 1)
    np.testing.assert_allclose(x.nanmean(1).numpy(), ref, rtol=1e-5)  # an all-NaN row: nan
    np.testing.assert_allclose(ng.nanmean(x, (0, 1)).numpy(), np.nanmean(a), rtol=1e-5)
    assert ng.nansum(x).dtype == dtype and ng.nanmean(x).dtype == dtype
    assert ng.nansum(ng.tensor([1, 2])).dtype == np.int64 and ng.nansum(ng.tensor([True, True])).item() == 2
    assert ng.nanmean(ng.tensor([1, 2]), dtype=ng.float64).item() == 1.5
    with pytest.raises(RuntimeError, match=r"nanmean\(\): expected input to have floating point or complex "
                                           "dtype but got Long"):
        ng.nanmean(ng.tensor([1, 2]))


def test_nan_reduction_gradients_are_zero_at_nan():
    x = _leaf([1.0, NAN, 3.0])
    ng.nanmean(x).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, 0, 0.5])
    x = _leaf([[1.0, NAN, 3.0], [2.0, 5.0, NAN]])
    assert gradcheck(lambda t: ng.nansum(t, 1), (x,), check_forward_ad=True, check_batched_grad=True)
    assert gradcheck(lambda t: ng.nanmean(t, 0), (x,), check_forward_ad=True, check_batched_grad=True)
    y = _leaf(RNG.standard_normal((2, 3)))
    _check_all(lambda t: ng.nanmean(t, 1), y)
    _check_all(lambda t: ng.nansum(t), y)


def test_count_nonzero_and_argsort():
    a = RNG.integers(-1, 2, (3, 4, 5)).astype(np.float32)
    x = ng.tensor(a)
    out = ng.count_nonzero(x)
    assert out.dtype == np.int64 and out.item() == np.count_nonzero(a)
    np.testing.assert_array_equal(x.count_nonzero((0, 2)).numpy(), np.count_nonzero(a, axis=(0, 2)))
    np.testing.assert_array_equal(ng.count_nonzero(x, -1).numpy(), np.count_nonzero(a, axis=-1))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        ng.count_nonzero(x, (0, -3))
    b = RNG.integers(0, 3, (4, 7)).astype(np.float64)
    np.testing.assert_array_equal(ng.argsort(ng.tensor(b), 1).numpy(), np.argsort(b, 1, kind="stable"))
    np.testing.assert_array_equal(ng.tensor(b).argsort(dim=0, descending=True, stable=True).numpy(),
                                  np.argsort(-b, 0, kind="stable"))
    assert ng.argsort(_t([2.0, NAN, 1.0])).tolist() == [2, 0, 1]
    assert ng.argsort(_t([2.0, NAN, 1.0]), descending=True).tolist() == [1, 0, 2]
    assert ng.argsort(ng.tensor(1.0)).shape == ()


@pytest.mark.parametrize("dtype", FLOATS)
def test_aminmax(dtype):
    a = RNG.standard_normal((3, 4)).astype(dtype)
    r = ng.aminmax(ng.tensor(a))
    assert r._fields == ("min", "max") and (r.min.item(), r.max.item()) == (a.min(), a.max())
    mn, mx = ng.tensor(a).aminmax(dim=1, keepdim=True)
    np.testing.assert_array_equal(mn.numpy(), a.min(1, keepdims=True))
    np.testing.assert_array_equal(mx.numpy(), a.max(1, keepdims=True))
    with pytest.raises(RuntimeError, match=r"aminmax\(\): cannot compute aminmax over an empty dimension"):
        ng.aminmax(ng.zeros(0))
    with pytest.raises(IndexError, match="aminmax: Expected reduction dim 1 to have non-zero size"):
        ng.aminmax(ng.zeros(2, 0), dim=1)
    x = _leaf([1.0, 3.0, 3.0, 0.0])
    ng.aminmax(x).max.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 0.5, 0.5, 0])
    _check_all(lambda t: ng.aminmax(t, dim=0), _leaf(_distinct(3, 2)))


# ---------------------------------------------------------------- unique, isin, searchsorted, bucketize, histc


@pytest.mark.parametrize("dtype", FLOATS + [np.int64])
def test_unique_against_numpy(dtype):
    a = RNG.integers(0, 5, (3, 6)).astype(dtype)
    vals, inv, counts = ng.unique(ng.tensor(a), return_inverse=True, return_counts=True)
    rv, ri, rc = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(vals.numpy(), rv)
    assert vals.dtype == dtype and inv.dtype == counts.dtype == np.int64 and inv.shape == a.shape
    np.testing.assert_array_equal(inv.numpy().ravel(), ri.ravel())
    np.testing.assert_array_equal(counts.numpy(), rc)
    out = ng.tensor(a).unique()
    assert isinstance(out, ng.Tensor)
    vals, counts = ng.unique(ng.tensor(a), return_counts=True)
    np.testing.assert_array_equal(counts.numpy(), rc)
    rows = np.array([[1, 2], [1, 2], [0, 5]])
    vals, inv, counts = ng.unique(ng.tensor(rows), dim=0, return_inverse=True, return_counts=True)
    assert vals.tolist() == [[0, 5], [1, 2]] and inv.tolist() == [1, 1, 0] and counts.tolist() == [1, 2]


def test_unique_keeps_nans_apart():
    vals, inv, counts = ng.unique(_t([1.0, NAN, 2.0, NAN, 1.0]), return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(vals.numpy(), [1.0, 2.0, NAN, NAN])
    assert inv.tolist() == [0, 2, 1, 3, 0] and counts.tolist() == [2, 1, 1, 1]


def test_isin():
    e = ng.tensor([[1, 2], [3, 4]])
    out = ng.isin(e, ng.tensor([2, 3, 9]))
    assert out.dtype == np.bool_ and out.tolist() == [[False, True], [True, False]]
    assert ng.isin(e, ng.tensor([2, 3]), invert=True).tolist() == [[True, False], [False, True]]
    assert ng.isin(e, 4).tolist() == [[False, False], [False, True]]
    assert ng.isin(3, ng.tensor([1, 3])).item() is True
    assert ng.isin(_t([1.0, NAN]), _t([NAN, 1.0])).tolist() == [True, False]


@pytest.mark.parametrize("dtype", FLOATS)
def test_searchsorted_against_numpy(dtype):
    seq = np.sort(RNG.integers(0, 10, 12)).astype(dtype)
    vals = RNG.integers(-1, 12, (3, 5)).astype(dtype)
    for side in ("left", "right"):
        out = ng.searchsorted(ng.tensor(seq), ng.tensor(vals), side=side)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.numpy(), np.searchsorted(seq, vals, side=side))
        out = ng.searchsorted(ng.tensor(seq), ng.tensor(vals), right=side == "right", out_int32=True)
        assert out.dtype == np.int32
        np.testing.assert_array_equal(out.numpy(), np.searchsorted(seq, vals, side=side))
    rows = np.sort(RNG.standard_normal((3, 7)), 1).astype(dtype)
    vals = RNG.standard_normal((3, 4)).astype(dtype)
    out = ng.searchsorted(ng.tensor(rows), ng.tensor(vals))
    np.testing.assert_array_equal(out.numpy(), [np.searchsorted(r, v) for r, v in zip(rows, vals)])
    unsorted = RNG.permutation(seq)
    sorter = np.argsort(unsorted, kind="stable")
    out = ng.searchsorted(ng.tensor(unsorted), ng.tensor(vals[0]), sorter=ng.tensor(sorter), right=True)
    np.testing.assert_array_equal(out.numpy(), np.searchsorted(unsorted, vals[0], side="right", sorter=sorter))
    assert ng.searchsorted(ng.tensor(seq), 5.0).shape == ()
    assert ng.searchsorted(ng.zeros(0), _t([1.0])).tolist() == [0]


def test_searchsorted_nan_and_errors():
    seq = _t([1.0, 2.0, NAN])
    vals = _t([NAN, 1.5, 3.0])
    assert ng.searchsorted(seq, vals).tolist() == [3, 1, 3]  # PyTorch's comparisons
    assert ng.searchsorted(seq, vals, right=True).tolist() == [3, 1, 3]
    with pytest.raises(RuntimeError, match="side and right can't be set to opposites, got side of left "
                                           "while right was True"):
        ng.searchsorted(seq, vals, side="left", right=True)
    with pytest.raises(RuntimeError, match="side can only be 'left' or 'right' but got x"):
        ng.searchsorted(seq, vals, side="x")
    with pytest.raises(RuntimeError, match=r"first N-1 dimensions of boundaries tensor and input value "
                                           r"tensor must match, but we got boundaries tensor \[1, 2\] "
                                           r"and input value tensor \[2\]"):
        ng.searchsorted(_t([[1.0, 2.0]]), _t([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="boundary and sorter must have the same size"):
        ng.searchsorted(seq, vals, sorter=ng.tensor([0, 1]))


def test_bucketize():
    b = _t([1.0, 3.0, 5.0, 7.0])
    v = _t([[0.0, 1.0, 3.0], [6.0, 7.0, 9.0]])
    assert ng.bucketize(v, b).tolist() == [[0, 0, 1], [3, 3, 4]]
    assert ng.bucketize(v, b, right=True).tolist() == [[0, 1, 2], [3, 4, 4]]
    assert ng.bucketize(4.0, b).item() == 2 and ng.bucketize(v, b, out_int32=True).dtype == np.int32
    with pytest.raises(RuntimeError, match=r"boundaries tensor must be 1 dimension, but got dim\(2\)"):
        ng.bucketize(v, _t([[1.0, 2.0]]))


@pytest.mark.parametrize("dtype", FLOATS)
def test_histc_against_numpy(dtype):
    a = RNG.standard_normal(500).astype(dtype)
    out = ng.histc(ng.tensor(a), bins=7, min=-1, max=1)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out.numpy(), np.histogram(a, 7, range=(-1, 1))[0])
    out = ng.tensor(a).histc(10)  # min == max: the data's range
    np.testing.assert_array_equal(out.numpy(), np.histogram(a, 10)[0])
    assert ng.histc(_t([1.0, 2.0, 3.0], dtype), bins=3).tolist() == [1, 1, 1]  # max in the last bin
    assert ng.histc(_t([1.0, 1.0], dtype), bins=2).tolist() == [0, 2]  # a range of one value: +-1
    assert ng.histc(_t([1.0, NAN, 5.0], dtype), bins=2, min=0, max=4).tolist() == [1, 0]  # NaN, out: ignored


def test_histc_errors():
    with pytest.raises(RuntimeError, match="bins must be > 0, but got 0 for dimension 0"):
        ng.histc(_t([1.0]), bins=0)
    with pytest.raises(RuntimeError, match="torch.histc: max must be larger than min"):
        ng.histc(_t([1.0]), min=2, max=1)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Long'"):
        ng.histc(ng.tensor([1]))
    with pytest.raises(RuntimeError, match=r"range of \[nan, nan\] is not finite"):
        ng.histc(_t([NAN]))


# ---------------------------------------------------------------- cov, corrcoef, cdist


@pytest.mark.parametrize("dtype", FLOATS)
def test_cov_against_numpy(dtype):
    a = RNG.standard_normal((3, 8)).astype(dtype)
    f = RNG.integers(1, 4, 8)
    w = RNG.uniform(0.1, 2, 8).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    x = ng.tensor(a)
    out = ng.cov(x)
    assert out.dtype == dtype and out.shape == (3, 3)
    np.testing.assert_allclose(out.numpy(), np.cov(a), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.cov(correction=0).numpy(), np.cov(a, ddof=0), rtol=tol, atol=tol)
    np.testing.assert_allclose(ng.cov(x, fweights=ng.tensor(f)).numpy(), np.cov(a, fweights=f),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(ng.cov(x, aweights=ng.tensor(w)).numpy(), np.cov(a, aweights=w),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(ng.cov(x, correction=2, fweights=ng.tensor(f), aweights=ng.tensor(w)).numpy(),
                               np.cov(a, ddof=2, fweights=f, aweights=w), rtol=tol, atol=tol)
    np.testing.assert_allclose(ng.cov(x, correction=0, aweights=ng.tensor(w)).numpy(),
                               np.cov(a, ddof=0, aweights=w), rtol=tol, atol=tol)
    out = ng.cov(ng.tensor(a[0]))
    assert out.shape == () and np.isclose(out.item(), np.cov(a[0]), rtol=tol)
    assert ng.cov(ng.tensor([[1, 2, 4], [0, 1, 5]])).dtype == np.float32


def test_cov_errors_and_warning():
    x = ng.zeros(2, 3)
    for kwargs, msg in (({"fweights": ng.tensor([1.0, 2.0, 3.0])},
                         "expected fweights to have integral dtype but got fweights with Float dtype"),
                        ({"fweights": ng.tensor([1, 2])}, "expected fweights to have the same numel as "
                                                          "there are observations in the input but got 2 != 3"),
                        ({"fweights": ng.tensor([1, -2, 1])}, "fweights cannot be negative"),
                        ({"fweights": ng.tensor([[1, 2, 1]])}, "expected fweights to have one or fewer "
                                                               "dimensions but got fweights with 2 dimensions"),
                        ({"aweights": ng.tensor([1, 2, 1])},
                         "expected aweights to have floating point dtype but got aweights with Long dtype"),
                        ({"aweights": ng.tensor([1.0, -2.0, 1.0])}, "aweights cannot be negative")):
        with pytest.raises(RuntimeError, match=msg):
            ng.cov(x, **kwargs)
    with pytest.raises(RuntimeError, match="expected input to have two or fewer dimensions but got an input "
                                           "with 3 dimensions"):
        ng.cov(ng.zeros(2, 2, 2))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        out = ng.cov(ng.zeros(2, 1))
    assert np.isnan(out.numpy()).all()


@pytest.mark.parametrize("dtype", FLOATS)
def test_corrcoef_against_numpy(dtype):
    a = RNG.standard_normal((4, 9)).astype(dtype)
    out = ng.tensor(a).corrcoef()
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), np.corrcoef(a), rtol=1e-5, atol=1e-6)
    assert (np.abs(out.numpy()) <= 1).all()
    assert ng.corrcoef(ng.tensor(a[0])).item() == 1.0


def test_cov_corrcoef_gradients():
    x = _leaf(RNG.standard_normal((3, 6)))
    _check_all(lambda t: ng.cov(t), x)
    _check_all(lambda t, w: ng.cov(t, correction=1, fweights=ng.tensor([1, 2, 1, 3, 1, 1]), aweights=w),
               x, _leaf(RNG.uniform(0.5, 2, 6)))
    _check_all(lambda t: ng.corrcoef(t)[0, 1:], x)  # off the diagonal (clamped at exactly 1)
    _check_all(lambda t: ng.cov(t), _leaf(RNG.standard_normal(5)))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.0, 1.0, 1.5, 2.0, 3.0, math.inf])
def test_cdist_against_scipy(dtype, p):
    a = RNG.standard_normal((5, 3)).astype(dtype)
    b = RNG.standard_normal((4, 3)).astype(dtype)
    out = ng.cdist(ng.tensor(a), ng.tensor(b), p=p)
    assert out.dtype == dtype and out.shape == (5, 4)
    if p == 0:
        ref = (a[:, None] != b[None]).sum(-1)
    elif math.isinf(p):
        ref = ssd.cdist(a, b, "chebyshev")
    else:
        ref = ssd.cdist(a, b, "minkowski", p=p)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_cdist_batched_robust_and_errors():
    a = RNG.standard_normal((2, 1, 4, 3))
    b = RNG.standard_normal((3, 5, 3))
    out = ng.cdist(ng.tensor(a), ng.tensor(b))
    assert out.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(out.numpy()[1, 2], ssd.cdist(a[1, 0], b[2]), rtol=1e-12)
    # near points: computed from differences, not |x|^2 + |y|^2 - 2 x.y
    big = np.array([[1e4, 1e4], [1e4, 1e4 + 1e-3]])
    out = ng.cdist(ng.tensor(big), ng.tensor(big))
    np.testing.assert_allclose(out.numpy(), ssd.cdist(big, big), rtol=1e-9, atol=0)
    for args, msg in (((ng.zeros(2, 3), ng.zeros(2, 4)), "X1 and X2 must have the same number of columns. "
                                                          "X1: 3 X2: 4"),
                      ((ng.zeros(3), ng.zeros(2, 3)), "cdist only supports at least 2D tensors, X1 got: 1D"),
                      ((ng.zeros(2, 3, dtype=ng.int64), ng.zeros(2, 3)),
                       "cdist only supports floating-point dtypes, X1 got: Long"),
                      ((ng.zeros(2, 3), ng.zeros(2, 3), -1.0), "cdist only supports non-negative p values")):
        with pytest.raises(RuntimeError, match=msg):
            ng.cdist(*args)


def test_cdist_gradients():
    x1 = _leaf(RNG.standard_normal((4, 3)))
    x2 = _leaf(RNG.standard_normal((2, 3)))
    for p in (1.0, 1.5, 2.0, 3.0):
        _check_all(lambda a, b: ng.cdist(a, b, p), x1, x2)
    assert gradcheck(lambda a, b: ng.cdist(a, b, math.inf), (x1, x2), check_forward_ad=True,
                     check_batched_grad=True)
    # zero distance: zero gradient, as PyTorch
    x = _leaf([[1.0, 2.0]])
    ng.cdist(x, x.detach()).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0]])


# ---------------------------------------------------------------- elementwise


@pytest.mark.parametrize("dtype", FLOATS)
def test_elementwise_values(dtype):
    a = RNG.uniform(-3, 3, (3, 4)).astype(dtype)
    b = RNG.uniform(-3, 3, (4,)).astype(dtype)
    x, y = ng.tensor(a), ng.tensor(b)
    np.testing.assert_array_equal(ng.sgn(x).numpy(), np.sign(a))
    np.testing.assert_allclose(x.deg2rad().numpy(), np.deg2rad(a), rtol=1e-6)
    np.testing.assert_allclose(ng.rad2deg(x).numpy(), np.rad2deg(a), rtol=1e-6)
    np.testing.assert_allclose(ng.sinc(x).numpy(), np.sinc(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ng.log10(ng.abs(x)).numpy(), np.log10(np.abs(a)), rtol=1e-6)
    np.testing.assert_allclose(x.true_divide(y).numpy(), a / b, rtol=1e-6)
    np.testing.assert_array_equal(ng.rsub(x, y, alpha=2).numpy(), (b - 2 * a).astype(dtype))
    np.testing.assert_array_equal(ng.rsub(x, 1.0).numpy(), (1 - a).astype(dtype))
    fp = ng.float_power(x, 2)
    assert fp.dtype == np.float64
    np.testing.assert_allclose(fp.numpy(), np.float_power(a, 2), rtol=1e-15)
    assert ng.float_power(2, y).dtype == np.float64 and x.float_power(ng.tensor([2])).dtype == np.float64
    for d in (ng.sgn(x), ng.deg2rad(x), ng.sinc(x), ng.log10(x), ng.fmax(x, y)):
        assert d.dtype == dtype


def test_elementwise_dtypes_and_special_values():
    i = ng.tensor([180, 0, -10])
    assert ng.sgn(i).tolist() == [1, 0, -1] and ng.sgn(i).dtype == np.int64
    assert ng.deg2rad(i).dtype == np.float32 and ng.sinc(i).dtype == np.float32
    assert ng.log10(ng.tensor([10, 1000])).tolist() == [1.0, 3.0]  # exact powers of ten
    np.testing.assert_array_equal(ng.log10(_t([0.0, -1.0])).numpy(), [-math.inf, NAN])
    assert ng.sinc(_t([0.0])).item() == 1.0
    np.testing.assert_array_equal(ng.signbit(_t([-0.0, 0.0, -2.0, NAN, -NAN])).numpy(),
                                  np.signbit([-0.0, 0.0, -2.0, NAN, -NAN]))
    assert ng.signbit(ng.tensor([-1, 2])).tolist() == [True, False]
    h = ng.heaviside(_t([-1.0, 0.0, 2.0, NAN]), _t([0.5]))
    np.testing.assert_array_equal(h.numpy(), [0.0, 0.5, 1.0, 0.0])
    with pytest.raises(RuntimeError, match="heaviside is not yet implemented for tensors with different dtypes"):
        ng.heaviside(_t([1.0], np.float32), _t([1.0]))
    a, b = _t([1.0, NAN, 2.0, NAN, -0.5]), _t([NAN, 3.0, 2.0, NAN, 4.0])
    np.testing.assert_array_equal(ng.fmax(a, b).numpy(), np.fmax(a.numpy(), b.numpy()))
    np.testing.assert_array_equal(a.fmin(b).numpy(), np.fmin(a.numpy(), b.numpy()))
    assert ng.fmax(ng.tensor([1]), ng.tensor([1.5])).dtype == np.float32
    assert ng.fmin(ng.tensor([1, 5]), ng.tensor([3, 2])).tolist() == [1, 2]
    with pytest.raises(TypeError, match="must be Tensor"):
        ng.fmax(a, 1.0)


def test_equal():
    x = _t([1.0, 2.0])
    assert ng.equal(x, _t([1.0, 2.0])) is True
    assert x.equal(_t([1.0, 3.0])) is False
    assert ng.equal(x, _t([[1.0, 2.0]])) is False
    assert ng.equal(ng.tensor([1, 2]), _t([1.0, 2.0])) is True
    assert ng.equal(_t([NAN]), _t([NAN])) is False


def test_inplace_variants():
    x = _t([10.0, 100.0])
    assert x.log10_() is x and x.tolist() == [1.0, 2.0]
    x = _t([180.0])
    ng.deg2rad_(x)
    assert x.item() == math.pi
    x.rad2deg_()
    assert math.isclose(x.item(), 180.0)
    x = _t([-2.0, 3.0])
    assert x.sgn_().tolist() == [-1.0, 1.0]
    x = _t([0.5, 0.0])
    assert x.sinc_().tolist()[1] == 1.0
    x = _t([6.0])
    assert x.true_divide_(4).item() == 1.5
    x = _t([-1.0, 0.0])
    assert x.heaviside_(_t([0.5])).tolist() == [0.0, 0.5]
    x = _t([3.0])
    assert x.float_power_(2).item() == 9.0
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but the "
                                           "operation's result requires dtype Double"):
        _t([1.0], np.float32).float_power_(2)
    # in place in a graph
    leaf = _leaf([2.0, 5.0])
    y = leaf * 1
    y.log10_()
    y.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), 1 / (np.array([2.0, 5.0]) * math.log(10)))


def test_elementwise_gradients():
    x = _leaf(RNG.uniform(0.5, 3, (2, 3)))
    y = _leaf(RNG.uniform(-3, 3, (3,)))
    _check_all(ng.log10, x)
    _check_all(ng.sinc, _leaf(RNG.uniform(0.1, 2, 4) * np.array([1, -1, 1, -1])))
    _check_all(ng.deg2rad, y)
    _check_all(ng.rad2deg, y)
    _check_all(ng.float_power, x, y)
    _check_all(lambda a: ng.float_power(a, 2.5), x)
    _check_all(ng.true_divide, x, y)
    _check_all(lambda a, b: ng.rsub(a, b, alpha=3), x, y)
    _check_all(ng.fmax, x, _leaf(RNG.uniform(0.5, 3, 3) + 0.01))
    _check_all(ng.fmin, x, _leaf(RNG.uniform(0.5, 3, 3) + 0.01))
    # fmax's gradient: to input where it is picked (ties too) and to other where input is NaN
    a, b = _leaf([1.0, 2.0, NAN]), _leaf([2.0, 2.0, 0.5])
    ng.fmax(a, b).sum().backward()
    assert a.grad.tolist() == [0.0, 1.0, 0.0] and b.grad.tolist() == [1.0, 0.0, 1.0]
    z = _leaf([0.0, 1.5])
    ng.sinc(z).sum().backward()
    assert z.grad.numpy()[0] == 0.0
    assert not ng.sgn(x).requires_grad or ng.autograd.grad(ng.sgn(x).sum(), x)[0].abs().sum().item() == 0
    assert not ng.heaviside(x, x).requires_grad and not ng.signbit(x).requires_grad


# ---------------------------------------------------------------- against PyTorch (optional)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    a = _distinct(4, 7, seed=3)
    ta = torch.tensor(a, requires_grad=True)
    x = _leaf(a)

    def compare(name, ours, theirs):
        """Values, indices and the gradient of the values' weighted sum."""
        pair = isinstance(theirs, tuple)
        ov, tv = (ours.values, theirs.values) if pair else (ours, theirs)
        np.testing.assert_allclose(ov.detach().numpy(), tv.detach().numpy(), rtol=1e-12, err_msg=name)
        if pair:
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy(), err_msg=name)
        w = RNG.standard_normal(tv.shape)
        g = ng.autograd.grad((ov * ng.tensor(w)).sum(), x)[0].numpy()
        tg = torch.autograd.grad((tv * torch.tensor(w)).sum(), ta)[0].numpy()
        np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12, err_msg=name)

    q = [0.1, 0.5, 0.93]
    for name, ours, theirs in (
            ("median", ng.median(x, 1), torch.median(ta, 1)),
            ("median_all", ng.median(x), torch.median(ta)),
            ("nanmedian", ng.nanmedian(x, 0, keepdim=True), torch.nanmedian(ta, 0, keepdim=True)),
            ("kthvalue", ng.kthvalue(x, 3, 1), torch.kthvalue(ta, 3, 1)),
            ("cummax", ng.cummax(x, 1), torch.cummax(ta, 1)),
            ("cummin", ng.cummin(x, 0), torch.cummin(ta, 0)),
            ("logcumsumexp", ng.logcumsumexp(x, 1), torch.logcumsumexp(ta, 1)),
            ("quantile", ng.quantile(x, _t(q), 1), torch.quantile(ta, torch.tensor(q, dtype=torch.float64), 1)),
            ("nearest", ng.quantile(x, 0.4, 0, interpolation="nearest"),
             torch.quantile(ta, 0.4, 0, interpolation="nearest")),
            ("nanquantile", ng.nanquantile(x, 0.3), torch.nanquantile(ta, 0.3)),
            ("nanmean", ng.nanmean(x, 1), torch.nanmean(ta, 1)),
            ("cov", ng.cov(x), torch.cov(ta)),
            ("corrcoef", ng.corrcoef(x), torch.corrcoef(ta)),
            ("cdist", ng.cdist(x, x[:2] * 0.5), torch.cdist(ta, ta[:2] * 0.5)),
            ("cdist1", ng.cdist(x, x[:2] * 0.5, 1.0), torch.cdist(ta, ta[:2] * 0.5, 1.0)),
            ("aminmax", ng.aminmax(x, dim=0).max, torch.aminmax(ta, dim=0).max),
            ("sinc", ng.sinc(x), torch.sinc(ta)),
            ("log10", ng.log10(x.abs()), torch.log10(ta.abs())),
            ("fmax", ng.fmax(x, x.flip(1)), torch.fmax(ta, ta.flip(1))),
            ("float_power", ng.float_power(x.abs(), 1.7), torch.float_power(ta.abs(), 1.7))):
        compare(name, ours, theirs)
    m = np.array([[2.0, 1.0, 2.0, 1.0, 3.0], [5.0, 3.0, 5.0, 1.0, 3.0]])
    r, tr = ng.mode(_t(m), 1), torch.mode(torch.tensor(m), 1)
    np.testing.assert_array_equal(r.values.numpy(), tr.values.numpy())
    np.testing.assert_array_equal(r.indices.numpy(), tr.indices.numpy())
    seq, vals = np.array([1.0, 2.0, 2.0, NAN]), np.array([NAN, 2.0, 1.5, 3.0, 0.0])
    for right in (False, True):
        np.testing.assert_array_equal(
            ng.searchsorted(_t(seq), _t(vals), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
    h = RNG.standard_normal(1000)
    np.testing.assert_array_equal(ng.histc(_t(h), 13, -2, 2).numpy(),
                                  torch.histc(torch.tensor(h), 13, -2, 2).numpy())
    u = np.array([3.0, NAN, 1.0, 3.0, NAN])
    for o, t in zip(ng.unique(_t(u), return_inverse=True, return_counts=True),
                    torch.unique(torch.tensor(u), return_inverse=True, return_counts=True)):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_empty_median_kthvalue_and_bool_cov_as_pytorch():
    # the median of no integers is NaN cast to the dtype (its lowest value), as PyTorch
    assert ng.median(ng.zeros((2, 0), dtype=ng.int64)).item() == np.iinfo(np.int64).min
    r = ng.nanmedian(ng.zeros(0, dtype=ng.int32))
    assert r.dtype == ng.int32 and r.item() == np.iinfo(np.int32).min
    assert math.isnan(ng.median(ng.zeros(0)).item())
    with pytest.raises(IndexError, match=r"kthvalue\(\): Expected reduction dim 0 to have non-zero size"):
        ng.kthvalue(ng.zeros((0, 3)), 1, 0)
    with pytest.raises(RuntimeError, match=r"cov\(\): bool dtype is not supported for input"):
        ng.cov(ng.tensor([[True, False, True]]))
