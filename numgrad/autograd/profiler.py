"""A small autograd profiler: per-op call counts and self/total CPU times.

    with numgrad.autograd.profiler.profile() as prof:
        ...
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))
    prof.export_chrome_trace("trace.json")   # open in chrome://tracing
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass

from numgrad import _tensor


@dataclass
class FunctionEvent:
    """One timed range: an op or a record_function block (times in microseconds)."""

    name: str
    start_us: float
    cpu_time_total: float
    self_cpu_time_total: float
    thread: int


@dataclass
class FunctionEventAvg:
    """All events of one name, summed."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    def _add(self, e: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += e.cpu_time_total
        self.self_cpu_time_total += e.self_cpu_time_total


_SORT_KEYS = {
    "self_cpu_time_total": "self_cpu_time_total", "cpu_time_total": "cpu_time_total",
    "cpu_time": "cpu_time", "count": "count", "self_cpu_time": "self_cpu_time_total",
}


class EventList(list):
    """Events (or averages) with PyTorch's `table()`."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, **_ignored) -> str:
        rows = list(self)
        if sort_by is not None:
            if sort_by not in _SORT_KEYS:
                raise ValueError(f"sort_by must be one of {sorted(_SORT_KEYS)}, got {sort_by!r}")
            rows.sort(key=lambda r: getattr(r, _SORT_KEYS[sort_by]), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total_self = sum(r.self_cpu_time_total for r in self) or 1.0
        name_w = max([len("Name")] + [len(r.key) for r in rows]) + 4
        heads = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        line = "-" * name_w + ("  " + "-" * 12) * len(heads)
        out = [line, "Name".rjust(name_w) + "".join("  " + h.rjust(12) for h in heads), line]
        for r in rows:
            cells = [f"{100 * r.self_cpu_time_total / total_self:.2f}%", _fmt(r.self_cpu_time_total),
                     f"{100 * r.cpu_time_total / total_self:.2f}%", _fmt(r.cpu_time_total),
                     _fmt(r.cpu_time), str(r.count)]
            out.append(r.key.rjust(name_w) + "".join("  " + c.rjust(12) for c in cells))
        out.append(line)
        out.append(f"Self CPU time total: {_fmt(total_self)}")
        return "\n".join(out) + "\n"


def _fmt(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class profile:
    """Context manager recording every numgrad op run inside it (forward and backward)."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, record_shapes: bool = False,
                 **_ignored):
        self.enabled = enabled
        self._events: list[FunctionEvent] = []
        self._stack: list = []
        self._lock = threading.Lock()
        self._t0 = 0.0

    def __enter__(self):
        if self.enabled:
            if _tensor._profiler is not None:
                raise RuntimeError("profiler already enabled; nested profile() is not supported")
            self._t0 = time.perf_counter()
            _tensor._profiler = self
        return self

    def __exit__(self, *exc):
        if self.enabled:
            _tensor._profiler = None
        return False

    # called by numgrad._tensor.apply and record_function
    def begin(self, name: str) -> None:
        self._stack.append([name, time.perf_counter(), 0.0])

    def end(self) -> None:
        name, start, child = self._stack.pop()
        dur = (time.perf_counter() - start) * 1e6
        if self._stack:
            self._stack[-1][2] += dur
        self._events.append(FunctionEvent(name, (start - self._t0) * 1e6, dur, dur - child,
                                          threading.get_ident()))

    def events(self) -> EventList:
        return EventList(self._events)

    def key_averages(self) -> EventList:
        """Events grouped by name: counts and summed self/total times."""
        groups: dict[str, FunctionEventAvg] = {}
        for e in self._events:
            groups.setdefault(e.name, FunctionEventAvg(e.name))._add(e)
        return EventList(groups.values())

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events in Chrome's trace format (open with chrome://tracing)."""
        trace = {"traceEvents": [
            {"name": e.name, "ph": "X", "cat": "cpu_op", "ts": e.start_us, "dur": e.cpu_time_total,
             "pid": os.getpid(), "tid": e.thread} for e in self._events]}
        with open(path, "w") as f:
            json.dump(trace, f)

    def table(self, **kwargs) -> str:
        return self.key_averages().table(**kwargs)


class record_function:
    """Label a block of code in the profile (its total time includes the ops inside)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        self._prof = _tensor._profiler
        if self._prof is not None:
            self._prof.begin(self.name)
        return self

    def __exit__(self, *exc):
        if self._prof is not None:
            self._prof.end()
        return False
