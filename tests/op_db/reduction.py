"""OpInfo entries for numgrad/oplib/reduction.py (reductions, softmax, cumsum, norms)."""
from __future__ import annotations

import numpy as np
import scipy.special as sp

import numgrad as ng
from numgrad.oplib.reduction import cross_entropy_rows, vector_norm
from tests.op_db import OpInfo


def _n(*shapes):
    """Inputs: one standard-normal array per shape."""
    def make(rng, dtype):
        return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)
    return make


_PICKED = np.array([[0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.0]])


def _fixed(*arrays):
    def make(rng, dtype):
        return tuple(np.asarray(a, dtype=dtype) for a in arrays)
    return make


def _distinct(*shape):
    """A shuffled range: no ties, values well apart (for max/min/argmax and inf-norms)."""
    def make(rng, dtype):
        n = int(np.prod(shape))
        return ((rng.permutation(n) - n / 2 + 0.25).reshape(shape).astype(dtype) / 2,)
    return make


def _ref_extreme(f, argf, dim, keepdim=False):
    return lambda x: (f(x, axis=dim, keepdims=keepdim), argf(x, axis=dim, keepdims=keepdim))


def _var_ref(x, axis=None, ddof=1, keepdims=False):
    return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims)


X23 = _n((2, 3))
X234 = _n((2, 3, 4))

OPS = [
    OpInfo("sum", lambda x: ng.sum(x), np.sum, X23),
    OpInfo("sum_dim", lambda x: x.sum(1), lambda x: x.sum(1), X23, covers=["sum"]),
    OpInfo("sum_dims_keepdim", lambda x: x.sum((0, 2), keepdim=True),
           lambda x: x.sum((0, 2), keepdims=True), X234, covers=["sum"]),
    OpInfo("mean", lambda x: ng.mean(x), np.mean, X23),
    OpInfo("mean_dim_keepdim", lambda x: x.mean(-1, keepdim=True),
           lambda x: x.mean(-1, keepdims=True), X234, covers=["mean"]),
    OpInfo("var", lambda x: ng.var(x), _var_ref, X23),
    OpInfo("var_dim", lambda x: x.var(1), lambda x: _var_ref(x, 1), X234, covers=["var"]),
    OpInfo("var_correction0_keepdim", lambda x: x.var((0, 2), correction=0, keepdim=True),
           lambda x: _var_ref(x, (0, 2), 0, True), X234, covers=["var"]),
    OpInfo("var_unbiased_false", lambda x: x.var(0, unbiased=False),
           lambda x: _var_ref(x, 0, 0), X23, covers=["var"]),
    OpInfo("std", lambda x: ng.std(x), lambda x: np.std(x, ddof=1), X23),
    OpInfo("std_dim", lambda x: x.std(-1, keepdim=True),
           lambda x: np.std(x, -1, ddof=1, keepdims=True), X234, covers=["std"]),
    OpInfo("prod", lambda x: ng.prod(x), np.prod, X23),
    OpInfo("prod_dim", lambda x: x.prod(1), lambda x: x.prod(1), X234, covers=["prod"]),
    OpInfo("prod_dim_keepdim", lambda x: x.prod(0, keepdim=True),
           lambda x: x.prod(0, keepdims=True), X23, covers=["prod"]),
    OpInfo("prod_one_zero", lambda x: x.prod(1), lambda x: x.prod(1),
           _fixed([[1.5, 0.0, -2.0], [0.5, 2.0, 1.2]]), covers=["prod"]),
    OpInfo("prod_two_zeros", lambda x: x.prod(), np.prod,
           _fixed([[1.5, 0.0, -2.0], [0.0, 2.0, 1.2]]), covers=["prod"]),
    OpInfo("amax", lambda x: ng.amax(x), np.max, _distinct(2, 3)),
    OpInfo("amax_dims", lambda x: x.amax((0, 2), keepdim=True),
           lambda x: x.max((0, 2), keepdims=True), _distinct(2, 3, 2), covers=["amax"]),
    OpInfo("amax_ties", lambda x: x.amax(1), lambda x: x.max(1),
           _fixed([[1.0, 3.0, 3.0, 2.0], [0.5, 0.5, -2.0, -1.0]]), covers=["amax"],
           gradgrad=False),  # the gradient jumps at a tie
    OpInfo("amin", lambda x: x.amin(-1), lambda x: x.min(-1), _distinct(2, 3)),
    OpInfo("amin_ties", lambda x: ng.amin(x), np.min,
           _fixed([[1.0, -3.0], [-3.0, 2.0]]), covers=["amin"], gradgrad=False),
    OpInfo("max", lambda x: ng.max(x), np.max, _distinct(2, 3)),
    OpInfo("max_ties", lambda x: x.max(), np.max, _fixed([[1.0, 3.0], [3.0, 2.0]]),
           covers=["max"], gradgrad=False),
    OpInfo("min", lambda x: x.min(), np.min, _distinct(2, 3)),
    OpInfo("max_dim", lambda x: tuple(ng.max(x, 1)), _ref_extreme(np.max, np.argmax, 1),
           _distinct(2, 3, 2)),
    OpInfo("max_dim_keepdim", lambda x: tuple(x.max(dim=0, keepdim=True)),
           _ref_extreme(np.max, np.argmax, 0, True), _distinct(3, 2), covers=["max_dim"]),
    OpInfo("min_dim", lambda x: tuple(x.min(-1)), _ref_extreme(np.min, np.argmin, -1),
           _distinct(2, 3)),
    OpInfo("argmax", lambda x: ng.argmax(x), np.argmax, _distinct(2, 3), grad=False),
    OpInfo("argmax_dim", lambda x: x.argmax(1, keepdim=True),
           lambda x: np.argmax(x, 1, keepdims=True), _distinct(2, 3, 2), grad=False,
           covers=["argmax"]),
    OpInfo("argmin", lambda x: x.argmin(0), lambda x: np.argmin(x, 0), _distinct(2, 3), grad=False),
    OpInfo("any", lambda x: (ng.any(x > 0), x.any(1, keepdim=True), ng.any(x < -100, dim=(0, 2))),
           lambda x: (np.any(x > 0), np.any(x, 1, keepdims=True), np.any(x < -100, axis=(0, 2))),
           X234, grad=False),
    OpInfo("all", lambda x: (x.all(), ng.all(x > -100, 0), (x > 0).all(dim=())),
           lambda x: (np.all(x), np.all(x > -100, 0), np.all(x > 0)), X234, grad=False),
    OpInfo("logsumexp", lambda x: ng.logsumexp(x, 1), lambda x: sp.logsumexp(x, 1), X23),
    # picked: one-hot rows times class weights, one row ignored (all zero)
    OpInfo("cross_entropy_rows", lambda x: cross_entropy_rows(x, ng.tensor(_PICKED, dtype=x.dtype)),
           lambda x: -(sp.log_softmax(x, 1) * _PICKED).sum(1), _n((3, 4))),
    OpInfo("logsumexp_dims_keepdim", lambda x: x.logsumexp((0, 2), keepdim=True),
           lambda x: sp.logsumexp(x, (0, 2), keepdims=True), X234, covers=["logsumexp"]),
    OpInfo("softmax", lambda x: ng.softmax(x, -1), lambda x: sp.softmax(x, -1), X23),
    OpInfo("softmax_dim0", lambda x: x.softmax(0), lambda x: sp.softmax(x, 0), X234,
           covers=["softmax"]),
    OpInfo("log_softmax", lambda x: ng.log_softmax(x, 1), lambda x: sp.log_softmax(x, 1), X23),
    OpInfo("log_softmax_dim0", lambda x: x.log_softmax(0), lambda x: sp.log_softmax(x, 0), X234,
           covers=["log_softmax"]),
    OpInfo("cumsum", lambda x: ng.cumsum(x, 1), lambda x: np.cumsum(x, 1), X23),
    OpInfo("cumsum_dim0", lambda x: x.cumsum(0), lambda x: np.cumsum(x, 0), X234,
           covers=["cumsum"]),
    OpInfo("cumprod", lambda x: ng.cumprod(x, 1), lambda x: np.cumprod(x, 1), X23),
    OpInfo("cumprod_dim0", lambda x: x.cumprod(0), lambda x: np.cumprod(x, 0), X234, covers=["cumprod"]),
    OpInfo("cumprod_one_zero", lambda x: x.cumprod(-1), lambda x: np.cumprod(x, -1),
           _fixed([[1.5, 0.0, -2.0, 0.7], [0.5, 2.0, 1.2, -1.1]]), covers=["cumprod"]),
    OpInfo("cumprod_zeros", lambda x: x.cumprod(0), lambda x: np.cumprod(x, 0),
           _fixed([[0.0, 1.5, 2.0], [2.0, 0.0, 0.0], [0.0, -1.2, 0.0], [0.5, 0.0, 1.3]]), covers=["cumprod"]),
    OpInfo("sort", lambda x: tuple(ng.sort(x)), lambda x: (np.sort(x), np.argsort(x)), _distinct(2, 3, 4),
           covers=["index"]),
    OpInfo("sort_descending_dim0", lambda x: tuple(x.sort(0, descending=True)),
           lambda x: (-np.sort(-x, 0), np.argsort(-x, 0)), _distinct(3, 2), covers=["index"]),
    OpInfo("topk", lambda x: tuple(ng.topk(x, 2)),
           lambda x: (-np.sort(-x)[..., :2], np.argsort(-x)[..., :2]), _distinct(2, 4), covers=["index"]),
    OpInfo("topk_smallest_dim0", lambda x: tuple(x.topk(2, 0, largest=False)),
           lambda x: (np.sort(x, 0)[:2], np.argsort(x, 0)[:2]), _distinct(3, 2), covers=["index"]),
    OpInfo("norm", lambda x: ng.norm(x), np.linalg.norm, X23, covers=["linalg_vector_norm"]),
    OpInfo("norm_p1_dim", lambda x: x.norm(1, dim=1), lambda x: np.linalg.norm(x, 1, axis=1),
           X23, covers=["linalg_vector_norm"], gradgrad=False),
    OpInfo("norm_inf_dim_keepdim", lambda x: x.norm(float("inf"), dim=0, keepdim=True),
           lambda x: np.abs(x).max(0, keepdims=True), _distinct(3, 2),
           covers=["linalg_vector_norm"]),
    OpInfo("norm_p3_dims", lambda x: ng.norm(x, 3, dim=(0, 2)),
           lambda x: (np.abs(x) ** 3).sum((0, 2)) ** (1 / 3), X234, covers=["linalg_vector_norm"]),
    OpInfo("vector_norm_p0_5", lambda x: vector_norm(x, 0.5, -1),
           lambda x: (np.abs(x) ** 0.5).sum(-1) ** 2, X23, covers=["linalg_vector_norm"]),
    OpInfo("vector_norm_neg_inf", lambda x: vector_norm(x, -np.inf),
           lambda x: np.abs(x).min(), _distinct(2, 3), covers=["linalg_vector_norm"]),
    OpInfo("vector_norm_zero_row", lambda x: vector_norm(x, 2, 1),
           lambda x: np.linalg.norm(x, axis=1), _fixed([[0.0, 0.0], [3.0, -4.0]]),
           covers=["linalg_vector_norm"], gradgrad=False),
]
