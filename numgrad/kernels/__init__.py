"""Backend kernels: Numba-compiled functions on raw arrays (no Tensor, no autograd)."""
