"""`numgrad.cuda`: the CUDA device. Its kernel table (numba.cuda) is a later
addition to the registry's KERNEL_BUILDERS; until then no CUDA device is usable."""
from __future__ import annotations


def is_available() -> bool:
    """Whether CUDA tensors can be created (False: the CUDA kernels are not built yet)."""
    return False


def device_count() -> int:
    return 0
