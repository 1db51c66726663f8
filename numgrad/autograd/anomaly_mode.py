"""Anomaly detection: name the op whose backward produced NaN and show where its forward ran."""
from __future__ import annotations

import traceback

from numgrad import _tensor
from numgrad.autograd import engine


def _remember_stack(node) -> None:
    node._anomaly = "".join(traceback.format_stack()[:-3])


def is_anomaly_enabled() -> bool:
    return engine._anomaly[0]


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly detection on or off (also usable as a context manager)."""
    engine._anomaly[0] = bool(mode)
    _tensor._anomaly_hook = _remember_stack if mode else None


class detect_anomaly:
    """Context manager / decorator: while active, forward stacks are recorded
    and a NaN produced in backward raises, naming the op."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = is_anomaly_enabled()
        set_detect_anomaly(self.check_nan)
        return self

    def __exit__(self, *exc):
        set_detect_anomaly(self._prev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def report_nan(node, index: int) -> None:
    where = node._anomaly or "(forward ran before anomaly detection was enabled)\n"
    raise RuntimeError(
        f"Function '{node.name()}' returned nan values in its {index}th output.\n"
        f"Traceback of forward call that caused the error:\n{where}")
