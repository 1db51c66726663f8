"""Timing and thread pinning shared by the comparison scripts (stdlib only, so
it can be imported before numpy)."""
from __future__ import annotations

import os
import statistics
import time
from typing import Any, Callable


def pin_threads(n: int | str = 1) -> None:
    """Set BLAS / OpenMP / Numba / XLA thread counts; call before numpy is imported."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = str(n)
    if str(n) == "1":
        os.environ.setdefault("XLA_FLAGS",
                              "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def import_peers(threads: int | str = 1):
    """(torch, jax): the comparison peers where installed (else None), set to
    `threads` threads and, for JAX, the CPU."""
    try:
        import torch
        torch.set_num_threads(int(threads))
    except ImportError:
        torch = None
    try:
        import jax
        jax.config.update("jax_platforms", "cpu")
    except ImportError:
        jax = None
    return torch, jax


def bench(fn: Callable[[], Any], repeat: int, min_time: float) -> float:
    """Median seconds per call of `fn` over `repeat` rounds of >= `min_time` each."""
    for _ in range(3):
        fn()
    number = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        dt = time.perf_counter() - t0
        if dt >= min_time:
            break
        number = max(number * 2, int(number * min_time / max(dt, 1e-9) * 1.2))
    times = [dt / number]
    for _ in range(repeat - 1):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)
