"""Keep freed array memory in the process heap (glibc), so large temporaries
are not mapped and page-faulted afresh by every op.

By default glibc serves blocks from about 128 KB up with fresh `mmap`s and
gives them back on free, and trims the heap's free top eagerly; every op on
such arrays then pays page faults on memory the previous op just released
(half the time of `(tanh(x) * w).sum()` forward + backward on 4M floats,
measured on this project's benchmark machine). numgrad raises both thresholds
once at import. Set NUMGRAD_MALLOC_TUNING=0 to keep glibc's defaults; glibc's
own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ variables also take
precedence. Other C libraries (macOS, musl, Windows) are left alone.
"""
from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20   # blocks below this come from the heap
TRIM_THRESHOLD = 256 << 20  # free memory kept at the heap's top before returning it


def tune() -> bool:
    """Apply the thresholds; True if glibc accepted them."""
    env = os.environ
    if env.get("NUMGRAD_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if "MALLOC_MMAP_THRESHOLD_" in env or "MALLOC_TRIM_THRESHOLD_" in env:
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and
                mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))


TUNED = tune()
