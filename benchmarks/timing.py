"""Timing shared by the comparison scripts."""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable


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
