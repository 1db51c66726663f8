"""OpInfo entries for numgrad/oplib/linalg.py (products, einsum, trace, numgrad.linalg)."""
from __future__ import annotations

import numpy as np

import numgrad as ng
import numgrad.linalg as LA
from tests.op_db import OpInfo


def _n(*shapes):
    """Inputs: one standard-normal array per shape."""
    def make(rng, dtype):
        return tuple(rng.standard_normal(s).astype(dtype) for s in shapes)
    return make


def _well_conditioned(*shapes):
    """Square matrices (last two dims) near 2*I, then any further right-hand sides."""
    def make(rng, dtype):
        a = rng.standard_normal(shapes[0]) * 0.5 + 2 * np.eye(shapes[0][-1])
        rest = tuple(rng.standard_normal(s).astype(dtype) for s in shapes[1:])
        return (a.astype(dtype),) + rest
    return make


def _spd(x):
    """A symmetric positive-definite matrix built from `x` (so gradcheck may perturb any entry)."""
    eye = ng.from_numpy(np.eye(x.shape[-1], dtype=x.dtype))
    return x @ x.mT + eye


def _spd_ref(x):
    return x @ np.swapaxes(x, -1, -2) + np.eye(x.shape[-1])


def _unit(t):
    """`t` with ones on its diagonal."""
    t = t.copy()
    np.fill_diagonal(t, 1.0)
    return t


def _ein(eq):
    return OpInfo(f"einsum_{eq.replace(',', '_').replace('->', '_to_').replace('...', 'E')}",
                  lambda *xs: ng.einsum(eq, *xs), lambda *xs: np.einsum(eq, *xs), None,
                  covers=["einsum"])


def _einsum_entries():
    cases = [("ij,jk->ik", (2, 3), (3, 2)), ("ii->i", (3, 3)), ("ii", (3, 3)),
             ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)), ("i,i", (3,), (3,)), ("ij->", (2, 3)),
             ("ijk->kji", (2, 3, 2)), ("ij,kl->ijkl", (2, 2), (1, 3)), ("ij,jk", (2, 3), (3, 2)),
             ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)), ("...ij,...jk->...ik", (2, 3), (2, 3, 2)),
             ("ij,j->i", (2, 3), (1,)), ("iij,j->ij", (2, 2, 3), (3,)), ("ij,ik->k", (2, 3), (2, 2))]
    out = []
    for eq, *shapes in cases:
        op = _ein(eq)
        op.inputs = _n(*shapes)
        out.append(op)
    return out


OPS = [
    OpInfo("matmul", lambda a, b: ng.matmul(a, b), np.matmul, _n((2, 3), (3, 2))),
    OpInfo("matmul_batched_broadcast", lambda a, b: a @ b, np.matmul, _n((2, 1, 2, 3), (3, 3, 2)),
           covers=["matmul"]),
    OpInfo("matmul_vec_mat", lambda a, b: a.matmul(b), np.matmul, _n((3,), (2, 3, 2)),
           covers=["matmul"]),
    OpInfo("matmul_mat_vec", lambda a, b: a @ b, np.matmul, _n((2, 2, 3), (3,)), covers=["matmul"]),
    OpInfo("matmul_matrix_vector", lambda a, b: a @ b, np.matmul, _n((2, 3), (3,)),
           covers=["matmul"]),
    OpInfo("matmul_vector_matrix", lambda a, b: a @ b, np.matmul, _n((3,), (3, 2)),
           covers=["matmul"]),
    OpInfo("linear", lambda x, w, b: ng.linear(x, w, b), lambda x, w, b: x @ w.T + b,
           _n((4, 3), (2, 3), (2,))),
    OpInfo("linear_3d_input", lambda x, w, b: ng.linear(x, w, b), lambda x, w, b: x @ w.T + b,
           _n((2, 2, 3), (2, 3), (2,)), covers=["linear"]),
    OpInfo("linear_1d_input", lambda x, w, b: ng.linear(x, w, b), lambda x, w, b: x @ w.T + b,
           _n((3,), (2, 3), (2,)), covers=["linear"]),
    OpInfo("mm", lambda a, b: ng.mm(a, b), np.matmul, _n((2, 3), (3, 2)), covers=["matmul"]),
    OpInfo("bmm", lambda a, b: a.bmm(b), np.matmul, _n((2, 2, 3), (2, 3, 2)), covers=["matmul"]),
    OpInfo("dot", lambda a, b: ng.dot(a, b), np.dot, _n((3,), (3,)), covers=["matmul"]),
    OpInfo("outer", lambda a, b: a.outer(b), np.outer, _n((3,), (2,)), covers=["mul"]),
    OpInfo("trace", lambda a: ng.trace(a), np.trace, _n((3, 3))),
    OpInfo("trace_rect", lambda a: a.trace(), np.trace, _n((2, 3)), covers=["trace"]),
    *_einsum_entries(),
    OpInfo("det", lambda a: LA.det(a), np.linalg.det, _well_conditioned((3, 3)),
           covers=["linalg_det"]),
    OpInfo("det_batched", lambda a: a.det(), np.linalg.det, _well_conditioned((2, 2, 2)),
           covers=["linalg_det"]),
    OpInfo("inv", lambda a: LA.inv(a), np.linalg.inv, _well_conditioned((3, 3)),
           covers=["linalg_inv"]),
    OpInfo("inverse_batched", lambda a: ng.inverse(a), np.linalg.inv, _well_conditioned((2, 2, 2)),
           covers=["linalg_inv"]),
    OpInfo("solve", lambda a, b: LA.solve(a, b), np.linalg.solve,
           _well_conditioned((3, 3), (3, 2)), covers=["linalg_solve"]),
    OpInfo("solve_vector", lambda a, b: LA.solve(a, b), np.linalg.solve,
           _well_conditioned((3, 3), (3,)), covers=["linalg_solve"]),
    OpInfo("solve_batched_vector", lambda a, b: LA.solve(a, b),
           lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
           _well_conditioned((2, 2, 2), (2, 2)), covers=["linalg_solve"]),
    OpInfo("solve_broadcast", lambda a, b: LA.solve(a, b), np.linalg.solve,
           _well_conditioned((2, 2), (3, 2, 1)), covers=["linalg_solve"]),
    OpInfo("solve_broadcast_a", lambda a, b: LA.solve(a, b), np.linalg.solve,
           _well_conditioned((3, 2, 2), (2, 1)), covers=["linalg_solve"]),
    OpInfo("solve_right", lambda a, b: LA.solve(a, b, left=False),
           lambda a, b: np.linalg.solve(a.T, b.T).T, _well_conditioned((2, 2), (3, 2)),
           covers=["linalg_solve"]),
    OpInfo("cholesky", lambda a: LA.cholesky(_spd(a)), lambda a: np.linalg.cholesky(_spd_ref(a)),
           _n((3, 3)), covers=["linalg_cholesky"]),
    OpInfo("cholesky_batched_upper", lambda a: LA.cholesky(_spd(a), upper=True),
           lambda a: np.swapaxes(np.linalg.cholesky(_spd_ref(a)), -1, -2), _n((2, 2, 2)),
           covers=["linalg_cholesky"]),
    OpInfo("solve_triangular", lambda a, b: LA.solve_triangular(a, b, upper=False),
           lambda a, b: np.linalg.solve(np.tril(a), b), _well_conditioned((3, 3), (3, 2)),
           covers=["linalg_solve_triangular"]),
    OpInfo("solve_triangular_upper_broadcast", lambda a, b: LA.solve_triangular(a, b, upper=True),
           lambda a, b: np.linalg.solve(np.triu(a), b), _well_conditioned((2, 3, 3), (3, 1)),
           covers=["linalg_solve_triangular"]),
    OpInfo("solve_triangular_broadcast_b", lambda a, b: LA.solve_triangular(a, b, upper=False),
           lambda a, b: np.linalg.solve(np.tril(a), b), _well_conditioned((2, 2), (3, 2, 2)),
           covers=["linalg_solve_triangular"]),
    OpInfo("solve_triangular_unit_right",
           lambda a, b: LA.solve_triangular(a, b, upper=False, left=False, unitriangular=True),
           lambda a, b: np.swapaxes(np.linalg.solve(
               np.swapaxes(_unit(np.tril(a)), -1, -2), np.swapaxes(b, -1, -2)), -1, -2),
           _well_conditioned((3, 3), (2, 3)), covers=["linalg_solve_triangular"]),
    OpInfo("cholesky_inverse", lambda a: ng.cholesky_inverse(LA.cholesky(_spd(a))),
           lambda a: np.linalg.inv(_spd_ref(a)), _n((2, 3, 3)),
           covers=["linalg_cholesky", "linalg_solve_triangular", "matmul"]),
    OpInfo("cholesky_inverse_upper", lambda a: a.cholesky_inverse(upper=True),
           lambda a: np.linalg.inv(np.triu(a).T @ np.triu(a)), _well_conditioned((3, 3)),
           covers=["linalg_solve_triangular", "matmul"]),
    OpInfo("linalg_vector_norm", lambda a: LA.vector_norm(a, 2, (0, 1)),
           lambda a: np.sqrt((a * a).sum((0, 1))), _n((2, 3, 2))),
    OpInfo("linalg_norm_flat", lambda a: LA.norm(a), lambda a: np.linalg.norm(a.ravel()),
           _n((2, 2, 2)), covers=["linalg_vector_norm"]),
    OpInfo("linalg_norm_vec_dim", lambda a: LA.norm(a, 3, dim=1),
           lambda a: np.linalg.norm(a, 3, axis=1), _n((2, 3)), covers=["linalg_vector_norm"]),
    OpInfo("linalg_norm_fro", lambda a: LA.norm(a, "fro"), lambda a: np.linalg.norm(a, "fro"),
           _n((2, 3)), covers=["linalg_vector_norm"]),
    OpInfo("matrix_norm_1", lambda a: LA.matrix_norm(a, 1), lambda a: np.linalg.norm(a, 1, (-2, -1)),
           _n((2, 2, 3)), covers=["linalg_vector_norm", "amax"], gradgrad=False),
    OpInfo("linalg_norm_neg_inf_keepdim", lambda a: LA.norm(a, -np.inf, (0, 1), keepdim=True),
           lambda a: np.linalg.norm(a, -np.inf, (0, 1), keepdims=True), _n((2, 3)),
           covers=["linalg_vector_norm", "amin"], gradgrad=False),
]
