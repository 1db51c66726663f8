"""numgrad.linalg: linear algebra as in torch.linalg (differentiable, batched over leading dims)."""
from numgrad.oplib.linalg import (cholesky, det, inv, matrix_norm, solve, solve_triangular,
                                  vector_norm)
from numgrad.oplib.linalg import linalg_norm as norm

__all__ = ["vector_norm", "matrix_norm", "norm", "det", "inv", "solve", "solve_triangular",
           "cholesky"]
