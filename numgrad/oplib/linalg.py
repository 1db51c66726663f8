"""Matrix products (BLAS through numpy) and numgrad.linalg."""
from __future__ import annotations

import numpy as np

from numgrad._tensor import Tensor, apply
from numgrad.oplib._util import binary_args, sum_to
from numgrad.ops.registry import primitive

__all__ = ["matmul"]
# functions that are also Tensor methods
METHODS = ("matmul",)
# functions that get in-place variants (`x.name_()`, `numgrad.name_(x)`)
INPLACE = ()


def _matmul_cpu(op, a, b):
    return np.matmul(a, b)


def _matmul_vjp(ctx, g):
    """Rank-polymorphic: 1-D operands are lifted to matrices, batch dims kept."""
    from numgrad.oplib.shape import reshape, transpose
    a, b = ctx.saved
    sa, sb = ctx.in_shapes
    nb = g.ndim - len(ctx.out_shape)
    a2 = reshape(a, (1,) + sa) if len(sa) == 1 else a
    b2 = reshape(b, sb + (1,)) if len(sb) == 1 else b
    out2 = ctx.out_shape
    if len(sa) == 1:
        out2 = out2[:-1] + (1,) + out2[-1:] if len(sb) > 1 else out2 + (1,)
    if len(sb) == 1:
        out2 = out2 + (1,)
    g2 = reshape(g, g.shape[:nb] + out2)
    ga = gb = None
    if ctx.needs_input_grad[0]:
        ga = matmul(g2, transpose(b2, -1, -2))
        ga = reshape(sum_to(ga, a2.shape, nb), g.shape[:nb] + sa)
    if ctx.needs_input_grad[1]:
        gb = matmul(transpose(a2, -1, -2), g2)
        gb = reshape(sum_to(gb, b2.shape, nb), g.shape[:nb] + sb)
    return ga, gb


MATMUL = primitive("matmul", _matmul_cpu, _matmul_vjp, save=(0, 1),
                   node_name="MmBackward0")


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with numpy/PyTorch broadcasting rules."""
    a, b = binary_args(input, other) if input.dtype != other.dtype else (input, other)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    k_a = a.shape[-1]
    k_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k_a != k_b:
        if a.ndim <= 2 and b.ndim <= 2:
            ra = f"{a.shape[0]}x{a.shape[1]}" if a.ndim == 2 else f"1x{a.shape[0]}"
            rb = f"{b.shape[0]}x{b.shape[1]}" if b.ndim == 2 else f"{b.shape[0]}x1"
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ra} and {rb})")
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{list(a.shape)}, {k_a}] but got: {list(b.shape)} (matmul shapes {list(a.shape)} and "
            f"{list(b.shape)} do not match)")
    return apply(MATMUL, (a, b))
