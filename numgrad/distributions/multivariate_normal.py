"""MultivariateNormal: a Gaussian over vectors, parameterized by a covariance matrix, a
precision matrix or the covariance's lower Cholesky factor (PyTorch's semantics)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import numgrad as ng
from numgrad._tensor import Tensor
from numgrad.creation import _rng
from numgrad.distributions import constraints
from numgrad.distributions.distribution import Distribution, _invalid_parameter
from numgrad.distributions.utils import _floating, lazy_property
from numgrad.linalg import cholesky, solve_triangular

__all__ = ["MultivariateNormal"]

_MATRICES = ("covariance_matrix", "precision_matrix", "scale_tril")


def _broadcast_shapes(*shapes: tuple) -> tuple:
    """torch.broadcast_shapes, with its error."""
    result = [1] * max(len(s) for s in shapes)
    for i, shape in enumerate(shapes):
        for d in range(-1, -len(shape) - 1, -1):
            if shape[d] == 1 or shape[d] == result[d]:
                continue
            if result[d] != 1:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[d]} at {d}! "
                    f"Mismatching argument at index {i} had torch.Size({list(shape)}); but "
                    f"expected shape should be broadcastable to {result}")
            result[d] = shape[d]
    return tuple(result)


def _expand(t: Tensor, shape: tuple) -> Tensor:
    """`t` expanded to `shape` (no op when it has that shape)."""
    return t if t._data.shape == shape else t.expand(shape)


def _batch_mv(bmat: Tensor, bvec: Tensor) -> Tensor:
    """Matrix-vector products over broadcast batch dims; one matrix product for one matrix."""
    if bmat.ndim == 2:
        return bvec.matmul(bmat.mT)
    return bmat.matmul(bvec.unsqueeze(-1)).squeeze(-1)


def _batch_mahalanobis(bL: Tensor, bx: Tensor) -> Tensor:
    """x^T (L L^T)^-1 x = |L^-1 x|^2 for lower-triangular L, through one triangular solve per
    matrix of L (x's extra batch entries become right-hand-side columns). L's batch shape
    must broadcast to x's batch shape."""
    n = bx.shape[-1]
    x_batch = bx.shape[:-1]
    nL = bL.ndim - 2
    outer = len(x_batch) - nL
    # x's batch dims facing L's are split into (repeats, L's size); the repeats go in front
    split = x_batch[:outer]
    for sL, sx in zip(bL.shape[:-2], x_batch[outer:]):
        split += (sx // sL, sL)
    perm = (tuple(range(outer)) + tuple(range(outer, outer + 2 * nL, 2))
            + tuple(range(outer + 1, outer + 2 * nL, 2)))
    x = bx.reshape(split + (n,))
    if perm != tuple(range(len(perm))):
        x = x.permute(perm + (len(perm),))
    flat_L = bL.reshape(-1, n, n) if nL else bL
    b = flat_L.shape[0] if nL else 1
    flat_x = x.reshape(-1, b, n).permute(1, 2, 0) if nL else x.reshape(-1, n).mT  # (b,) n, c
    M = solve_triangular(flat_L, flat_x, upper=False).pow(2).sum(-2)  # (b,) c
    if not nL:
        return M.reshape(x_batch)
    M = M.t().reshape(x.shape[:-1])
    inverse = tuple(range(outer))
    for i in range(nL):
        inverse += (outer + i, outer + nL + i)
    if inverse != tuple(range(len(inverse))):
        M = M.permute(inverse)
    return M.reshape(x_batch)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """The lower Cholesky factor of P^-1, without inverting P: with J the reversal
    permutation, J P J = Lf Lf^T makes P = U U^T for upper-triangular U = J Lf J, so
    P^-1 = (U^-T)(U^-T)^T with U^-T lower triangular."""
    Lf = cholesky(ng.flip(P, (-2, -1)))
    L_inv = ng.flip(Lf, (-2, -1)).mT
    eye = Tensor._make(np.eye(P.shape[-1], dtype=P.dtype))
    return solve_triangular(L_inv, eye, upper=False)


class MultivariateNormal(Distribution):
    """The multivariate normal distribution with mean vector `loc` and exactly one of a
    positive-definite `covariance_matrix`, a positive-definite `precision_matrix`, or
    `scale_tril`, the lower-triangular factor (positive diagonal) of the covariance.
    Everything is computed from `scale_tril` (a Cholesky factorization of the matrix
    given otherwise); the other two matrices are derived on first use."""

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True
    _term_params = ("_unbroadcasted_scale_tril",)

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        given = [(name, m) for name, m in zip(_MATRICES, (covariance_matrix, precision_matrix,
                                                          scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             "may be specified.")
        name, matrix = given[0]
        if matrix.dim() < 2:
            what = "scale_tril matrix" if name == "scale_tril" else name
            raise ValueError(f"{what} must be at least two-dimensional, with optional leading "
                             "batch dimensions")
        n = loc._data.shape[-1]
        if matrix._data.shape[-1] != n:
            raise ValueError(f"Incompatible shapes: loc has event size {n} but {name} has "
                             f"{matrix._data.shape[-2]} by {matrix._data.shape[-1]} matrices")
        batch_shape = _broadcast_shapes(matrix._data.shape[:-2], loc._data.shape[:-1])
        setattr(self, name, _expand(matrix, batch_shape + matrix._data.shape[-2:]))
        self.loc = _expand(loc, batch_shape + (n,))
        self._given = ((name, matrix), ("loc", loc))
        super().__init__(batch_shape, (n,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)

    def _check_parameters(self) -> None:
        # the parameters as given, before broadcasting: a matrix shared by the batch is
        # factored once; the message shows the broadcast parameter, as PyTorch's
        for name, value in self._given:
            constraint = self.arg_constraints[name]
            if not constraint._holds(value._data):
                raise _invalid_parameter(name, getattr(self, name), repr(self), constraint)

    def expand(self, batch_shape: Sequence[int], _instance: Any = None) -> "MultivariateNormal":
        new = self._get_checked_instance(MultivariateNormal, _instance)
        batch_shape = tuple(batch_shape)
        n = self._event_shape[0]
        new.loc = _expand(self.loc, batch_shape + (n,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        d = self.__dict__
        for name in _MATRICES:
            if name in d:
                setattr(new, name, _expand(d[name], batch_shape + (n, n)))
        Distribution.__init__(new, batch_shape, self._event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _matrix_shape(self) -> tuple:
        return self._batch_shape + self._event_shape + self._event_shape

    @lazy_property
    def scale_tril(self) -> Tensor:
        return _expand(self._unbroadcasted_scale_tril, self._matrix_shape())

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        L = self._unbroadcasted_scale_tril
        return _expand(L.matmul(L.mT), self._matrix_shape())

    @lazy_property
    def precision_matrix(self) -> Tensor:
        return _expand(ng.cholesky_inverse(self._unbroadcasted_scale_tril), self._matrix_shape())

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return _expand(self._unbroadcasted_scale_tril.pow(2).sum(-1),
                       self._batch_shape + self._event_shape)

    def _standard_normal(self, sample_shape: Sequence[int]) -> np.ndarray:
        dt = _floating(self.loc._data.dtype, "normal_kernel_cpu")
        return _rng[0].standard_normal(self._extended_shape(sample_shape)).astype(dt, copy=False)

    def sample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = self._standard_normal(sample_shape)
        L = self._unbroadcasted_scale_tril._data
        Lx = eps @ L.swapaxes(-1, -2) if L.ndim == 2 else (L @ eps[..., None])[..., 0]
        return Tensor._make(np.asarray(self.loc._data + Lx))

    def rsample(self, sample_shape: Sequence[int] = ()) -> Tensor:
        eps = Tensor._make(self._standard_normal(sample_shape))
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _compute_terms(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._param_terms()
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self) -> Tensor:
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return _expand(H, self._batch_shape) if self._batch_shape else H
