"""Anomaly detection: record where each op's forward ran; a NaN produced in backward
warns with that forward traceback and raises, naming the op's backward (as PyTorch)."""
from __future__ import annotations

import functools
import os
import traceback
import warnings

from numgrad import _tensor
from numgrad.autograd import engine

__all__ = ["detect_anomaly", "set_detect_anomaly"]

_enabled = [False]  # engine._anomaly[0] is "enabled and check_nan": it drives the NaN check
_NUMGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _remember_stack(node) -> None:
    """Keep the forward call stack of `node`, without numgrad's own trailing frames."""
    frames = traceback.extract_stack()
    while frames and frames[-1].filename.startswith(_NUMGRAD_DIR):
        frames.pop()
    node._anomaly = frames


def is_anomaly_enabled() -> bool:
    return _enabled[0]


def is_anomaly_check_nan_enabled() -> bool:
    return engine._anomaly[0]


def set_anomaly_enabled(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off (check_nan: raise when a backward produces NaN)."""
    _enabled[0] = bool(mode)
    engine._anomaly[0] = bool(mode and check_nan)
    _tensor._anomaly_hook = _remember_stack if mode else None


class detect_anomaly:
    """Context manager / decorator enabling anomaly detection: forward stacks are
    recorded and (with check_nan) a NaN produced in backward raises, naming the op."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._prev: list[tuple[bool, bool]] = []  # a stack: the decorated function may recurse
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime "
                      "and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._prev.append((is_anomaly_enabled(), is_anomaly_check_nan_enabled()))
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc) -> bool:
        set_anomaly_enabled(*self._prev.pop())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off; as a context manager, restore the previous
    state on exit."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self._prev = is_anomaly_enabled(), is_anomaly_check_nan_enabled()
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> bool:
        set_anomaly_enabled(*self._prev)
        return False


def warn_forward_trace(node) -> None:
    """Warn with the forward traceback of the op that made `node` (as PyTorch does for an
    error in that node's backward)."""
    frames = node._anomaly
    if frames is None:
        warnings.warn(f"Error detected in {node.name()}. No forward pass information available. "
                      "Enable detect anomaly during forward pass for more information.")
    else:
        warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                      "the error:\n" + "".join(traceback.format_list(frames)).rstrip("\n"))


def report_nan(node, index: int) -> None:
    """Called by the engine when `node`'s backward returned NaN in gradient `index`."""
    warn_forward_trace(node)
    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {index}th output.")
