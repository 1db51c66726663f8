"""A small autograd profiler: per-op call counts and self/total CPU times.

    with numgrad.autograd.profiler.profile() as prof:
        ...
    print(prof.key_averages().table(sort_by="self_cpu_time_total"))
    prof.export_chrome_trace("trace.json")   # open in chrome://tracing

Only the thread that entered `profile` is recorded (as PyTorch's autograd profiler).
"""
from __future__ import annotations

import functools
import json
import os
import threading
import time
import warnings

from numgrad import _tensor


class _Stats:
    """What events and averages share: derived times, and PyTorch's device / memory
    fields, zero here (numgrad times the CPU side only), so their sort keys work."""

    key: str
    count: int
    cpu_time_total: float
    self_cpu_time_total: float
    device_time_total = self_device_time_total = device_time = 0.0
    cpu_memory_usage = self_cpu_memory_usage = device_memory_usage = self_device_memory_usage = 0

    @property
    def cpu_time(self) -> float:
        """Average CPU time per call (microseconds)."""
        return self.cpu_time_total / max(self.count, 1)

    @property
    def cpu_time_str(self) -> str:
        return _format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self) -> str:
        return _format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self) -> str:
        return _format_time(self.self_cpu_time_total)


class FunctionEvent(_Stats):
    """One timed range: an op or a record_function block (times in microseconds)."""

    count = 1

    def __init__(self, id: int, name: str, start_us: float, thread: int,
                 input_shapes: list, cpu_parent: FunctionEvent | None,
                 is_user_annotation: bool = False):
        self.id = id
        self.name = name
        self.start_us = self.end_us = start_us
        self.thread = thread
        self.input_shapes = input_shapes
        self.cpu_parent = cpu_parent
        self.cpu_children: list[FunctionEvent] = []
        self.is_user_annotation = is_user_annotation

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time_total(self) -> float:
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self) -> float:
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    def __repr__(self) -> str:
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time={self.cpu_time_str} "
                f"start_us={self.start_us:.3f} end_us={self.end_us:.3f} "
                f"cpu_children={[c.id for c in self.cpu_children]} thread={self.thread} "
                f"input_shapes={self.input_shapes}>")


class FunctionEventAvg(_Stats):
    """Events of one key (name, and input shapes if grouped by them), summed."""

    def __init__(self):
        self.key: str | None = None
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes: list | str | None = None
        self.cpu_parent: FunctionEvent | None = None
        self.is_user_annotation = False

    def add(self, other: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        """Sum `other` into this average (the first one added sets the key)."""
        if self.key is None:
            self.key = other.key
            self.input_shapes = other.input_shapes
            self.cpu_parent = other.cpu_parent
            self.is_user_annotation = other.is_user_annotation
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        return self

    __iadd__ = add

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes}>")


class EventList(list):
    """FunctionEvents or FunctionEventAvgs, with PyTorch's `table()` and averages."""

    @property
    def self_cpu_time_total(self) -> float:
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes: bool = False) -> EventList:
        """Events grouped by name (and input shapes): counts and summed self/total times."""
        groups: dict[tuple, FunctionEventAvg] = {}
        for e in self:
            key = (e.key, str(e.input_shapes)) if group_by_input_shapes else e.key
            groups.setdefault(key, FunctionEventAvg()).add(e)
        avgs = EventList(groups.values())
        if not group_by_input_shapes:
            for a in avgs:
                a.input_shapes = ""
        return avgs

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one FunctionEventAvg with key "Total"."""
        total = FunctionEventAvg()
        total.key = "Total"
        for e in self:
            total.add(e)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100,
              max_name_column_width: int | None = 55, max_shapes_column_width: int | None = 80,
              header: str | None = None, top_level_events_only: bool = False,
              time_unit: str | None = None) -> str:
        """PyTorch's summary table; sort_by names an attribute ("self_cpu_time_total",
        "cpu_time_total", "cpu_time", "count", "cuda_time_total", ...), largest first."""
        if not self:
            return ""
        rows = list(self)
        if sort_by is not None:
            attr = sort_by.replace("cuda", "device").replace("xpu", "device")
            rows.sort(key=lambda r: getattr(r, attr), reverse=True)
        if top_level_events_only:
            rows = [r for r in rows if r.cpu_parent is None]
        if row_limit >= 0:
            rows = rows[:row_limit]
        total = self.self_cpu_time_total
        fmt = functools.partial(_format_time, unit=time_unit)
        heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                 "# of Calls"]
        name_w = max(len(e.key) for e in self) + 4
        if max_name_column_width is not None:
            name_w = min(name_w, max_name_column_width)
        widths = [name_w] + [12] * (len(heads) - 1)
        if any(e.input_shapes for e in self):
            heads.append("Input Shapes")
            shapes_w = max(len(str(e.input_shapes)) for e in self) + 4
            if max_shapes_column_width is not None:
                shapes_w = min(shapes_w, max_shapes_column_width)
            widths.append(shapes_w)
        sep = "".join("-" * w + "  " for w in widths)

        def line(cells) -> str:
            return "".join(str(c).rjust(w) + "  " for c, w in zip(cells, widths))

        out = []
        if header is not None:
            out += ["=" * (len(sep) - 2), header]
        if top_level_events_only:
            out += ["=" * (len(sep) - 2), "This report only display top-level ops statistics"]
        out += [sep, line(heads), sep]
        for r in rows:
            name = r.key
            if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
                name = name[:max_name_column_width - 3] + "..."
            out.append(line([name, _share(r.self_cpu_time_total, total),
                             fmt(r.self_cpu_time_total), _share(r.cpu_time_total, total),
                             fmt(r.cpu_time_total), fmt(r.cpu_time), r.count,
                             str(r.input_shapes)[:widths[-1]]]))
        out += [sep, f"Self CPU time total: {fmt(total)}"]
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events in Chrome's trace format (open with chrome://tracing or Perfetto)."""
        pid = os.getpid()
        trace = []
        for e in self:
            event = {"name": e.name, "ph": "X",
                     "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                     "ts": e.start_us, "dur": e.cpu_time_total, "pid": pid, "tid": e.thread}
            if e.input_shapes:
                event["args"] = {"Input Dims": e.input_shapes}
            trace.append(event)
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)


def _format_time(us: float, unit: str | None = None) -> str:
    if unit == "s" or unit is None and us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if unit == "ms" or unit is None and us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _share(us: float, total: float) -> str:
    return f"{100 * us / total:.2f}%" if total else "NaN"


class profile:
    """Context manager recording every numgrad op run inside it (forward and backward)
    on this thread. Profiles may nest: each records what runs inside it. Other PyTorch
    options (with_stack, profile_memory, ...) are accepted and ignored."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False,
                 use_device: str | None = None, record_shapes: bool = False, **_ignored):
        if use_cuda:
            warnings.warn("The attribute `use_cuda` will be deprecated soon, please use "
                          "``use_device = 'cuda'`` instead.", FutureWarning, stacklevel=2)
        self.enabled = enabled
        self.use_device = "cuda" if use_cuda else use_device
        self.record_shapes = record_shapes
        self.function_events = EventList()
        self._stack: list[FunctionEvent] = []
        self._entered = False

    def __enter__(self) -> profile:
        if self._entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._entered = True
        if self.enabled:
            self._thread = threading.get_ident()
            self._native_thread = threading.get_native_id()
            self._outer = _tensor._profiler
            self._t0 = time.perf_counter()
            _tensor._profiler = self
        return self

    def __exit__(self, *exc) -> bool:
        if self.enabled:
            _tensor._profiler = self._outer
        return False

    # called around every op by numgrad._tensor.apply, and by record_function
    def begin(self, name: str, arrays=(), user_annotation: bool = False) -> None:
        """Open a range named `name`; `arrays` are the op's inputs (for record_shapes)."""
        if self._outer is not None:
            self._outer.begin(name, arrays, user_annotation)
        if threading.get_ident() != self._thread:
            return
        stack = self._stack
        parent = stack[-1] if stack else None
        shapes = [list(a.shape) for a in arrays] if self.record_shapes else []
        e = FunctionEvent(len(self.function_events), name,
                          (time.perf_counter() - self._t0) * 1e6, self._native_thread, shapes,
                          parent, user_annotation)
        if parent is not None:
            parent.cpu_children.append(e)
        self.function_events.append(e)
        stack.append(e)

    def end(self) -> None:
        """Close the innermost open range."""
        if self._outer is not None:
            self._outer.end()
        if threading.get_ident() == self._thread:
            self._stack.pop().end_us = (time.perf_counter() - self._t0) * 1e6

    def events(self) -> EventList:
        """Every recorded event, in start order."""
        return self.function_events

    @property
    def self_cpu_time_total(self) -> float:
        return self.function_events.self_cpu_time_total

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """Events grouped by name (and input shapes, with record_shapes=True)."""
        return self.function_events.key_averages(group_by_input_shape)

    def total_average(self) -> FunctionEventAvg:
        return self.function_events.total_average()

    def table(self, **kwargs) -> str:
        """The table of every event (not averaged), as PyTorch's `profile.table()`."""
        return self.function_events.table(**kwargs)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        self.function_events.export_chrome_trace(path)

    def __str__(self) -> str:
        return self.table()


class record_function:
    """Label a block of code in the profile (its total time includes the ops inside);
    a context manager or a function decorator."""

    def __init__(self, name: str, args: str | None = None):
        self.name = name
        self.args = args

    def __enter__(self) -> record_function:
        self._prof = _tensor._profiler
        if self._prof is not None:
            self._prof.begin(self.name, user_annotation=True)
        return self

    def __exit__(self, *exc) -> bool:
        if self._prof is not None:
            self._prof.end()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
