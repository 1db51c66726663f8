"""The autograd profiler: seed 002's example, key averages, tables, chrome trace,
record_function, nesting (checked against PyTorch's torch.autograd.profiler)."""
from __future__ import annotations

import json
import threading

import pytest

import numgrad as ng
from numgrad.autograd import profiler

HEADS = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]


def test_seed_002_profiler_example_counts_div_and_mul():
    x = ng.randn(2, 3, requires_grad=True)
    y = ng.rand(2, 3, requires_grad=True)
    z = ng.ones(2, 3, requires_grad=True)
    with profiler.profile(use_cuda=False) as prf:
        for _ in range(1000):
            z = (z / x) * y
    avgs = {a.key: a for a in prf.key_averages()}
    assert avgs["div"].count == 1000 and avgs["mul"].count == 1000
    assert set(avgs) == {"div", "mul"}
    table = prf.key_averages().table(sort_by="self_cpu_time_total")
    lines = table.splitlines()
    assert [h.strip() for h in lines[1].split("  ") if h.strip()] == HEADS
    assert any(line.strip().startswith("div") and line.split()[-1] == "1000" for line in lines)
    assert any(line.strip().startswith("mul") and line.split()[-1] == "1000" for line in lines)
    assert lines[-1].startswith("Self CPU time total: ")


def test_backward_ops_are_recorded_and_profiler_switches_off():
    x = ng.randn(3, requires_grad=True)
    with profiler.profile() as prof:
        x.exp().sum().backward()
    names = [e.name for e in prof.events()]
    assert names[:2] == ["exp", "sum"] and len(names) > 2
    assert ng._tensor._profiler is None


def test_record_function_and_chrome_trace(tmp_path):
    x = ng.randn(3)
    with profiler.profile() as prof:
        with profiler.record_function("my_block"):
            x.sin().cos()
    avg = {a.key: a for a in prof.key_averages()}
    block = avg["my_block"]
    assert block.cpu_time_total >= avg["sin"].cpu_time_total + avg["cos"].cpu_time_total
    assert block.self_cpu_time_total < block.cpu_time_total
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert [e["name"] for e in events] == ["my_block", "sin", "cos"]
    assert [e["cat"] for e in events] == ["user_annotation", "cpu_op", "cpu_op"]
    for e in events:
        assert e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    block_ev, sin_ev = events[0], events[1]
    assert block_ev["ts"] <= sin_ev["ts"] and sin_ev["ts"] + sin_ev["dur"] <= block_ev["ts"] + block_ev["dur"]


def _rows(table: str) -> list[list[str]]:
    """The body rows of a table, split into cells."""
    lines = table.splitlines()
    return [[c.strip() for c in line.split("  ") if c.strip()] for line in lines[3:-2]]


def test_table_sort_keys_row_limit_and_unknown_key():
    x = ng.randn(3)
    with profiler.profile() as prof:
        for _ in range(3):
            x.sin()
        x.cos()
    avgs = prof.key_averages()
    assert [r[0] for r in _rows(avgs.table(sort_by="count"))] == ["sin", "cos"]
    for key in ["self_cpu_time_total", "cpu_time_total", "cpu_time", "cuda_time_total",
                "self_cuda_time_total", "device_time_total", "cpu_memory_usage",
                "self_cpu_memory_usage"]:
        assert {r[0] for r in _rows(avgs.table(sort_by=key))} == {"sin", "cos"}
    assert len(_rows(avgs.table(sort_by="count", row_limit=1))) == 1
    assert len(_rows(avgs.table(row_limit=-1))) == 2
    with pytest.raises(AttributeError, match="has no attribute 'bogus'"):
        avgs.table(sort_by="bogus")
    assert [r[-1] for r in _rows(avgs.table(sort_by="count"))] == ["3", "1"]


def test_table_options_header_top_level_and_time_unit():
    x = ng.randn(3)
    with profiler.profile() as prof:
        with profiler.record_function("outer"):
            x.sin()
        x.cos()
    table = prof.key_averages().table(header="HEADER", top_level_events_only=True, time_unit="ms")
    lines = table.splitlines()
    assert lines[0].startswith("===") and lines[1] == "HEADER"
    assert lines[3] == "This report only display top-level ops statistics"
    rows = _rows("\n".join(lines[4:]))
    assert sorted(r[0] for r in rows) == ["cos", "outer"]
    assert all(r[2].endswith("ms") for r in rows) and lines[-1].endswith("ms")


def test_empty_or_disabled_profile_gives_empty_table():
    with profiler.profile() as prof:
        pass
    assert prof.key_averages().table() == ""
    with profiler.profile(enabled=False) as off:
        ng.randn(3).sin()
    assert len(off.events()) == 0 and off.table() == ""


def test_events_total_average_and_parents():
    x = ng.randn(3)
    with profiler.profile() as prof:
        with profiler.record_function("blk"):
            x.sin()
        x.sin()
    events = prof.function_events
    assert events is prof.events()
    assert [(e.name, e.key, e.count) for e in events] == [("blk", "blk", 1), ("sin", "sin", 1),
                                                           ("sin", "sin", 1)]
    blk, inner, outer = events
    assert inner.cpu_parent is blk and blk.cpu_children == [inner] and outer.cpu_parent is None
    total = prof.total_average()
    assert total.key == "Total" and total.count == 3
    assert total.self_cpu_time_total == pytest.approx(prof.self_cpu_time_total)
    assert prof.key_averages().total_average().count == 3
    assert [r[0] for r in _rows(prof.table())] == ["blk", "sin", "sin"]  # one row per event
    assert blk.cpu_time_total_str.endswith("s") and blk.self_cpu_time_total_str.endswith("s")


def test_record_function_decorator_and_outside_a_profile():
    @profiler.record_function("step")
    def step(t):
        return t.sin()

    x = ng.randn(3)
    step(x)  # no profile: nothing recorded, no error
    with profiler.profile() as prof:
        step(x)
        with profiler.record_function("labelled", "some args") as rf:
            step(x)
    assert isinstance(rf, profiler.record_function)
    counts = {a.key: a.count for a in prof.key_averages()}
    assert counts == {"step": 2, "sin": 2, "labelled": 1}


def test_nested_profiles_both_record():
    x = ng.randn(3)
    with profiler.profile() as outer:
        x.sin()
        with profiler.profile() as inner:
            x.cos()
        x.exp()
    assert [e.name for e in outer.events()] == ["sin", "cos", "exp"]
    assert [e.name for e in inner.events()] == ["cos"]
    assert ng._tensor._profiler is None


def test_profile_is_not_reentrant():
    prof = profiler.profile()
    with prof:
        pass
    with pytest.raises(RuntimeError, match="Profiler context manager is not reentrant"):
        with prof:
            pass


def test_only_the_profiling_thread_is_recorded():
    x = ng.randn(3)
    with profiler.profile() as prof:
        t = threading.Thread(target=lambda: [x.sin() for _ in range(100)])
        t.start()
        for _ in range(100):
            x.cos()
        t.join()
    assert {a.key: a.count for a in prof.key_averages()} == {"cos": 100}


def test_use_cuda_warns_as_pytorch():
    with pytest.warns(FutureWarning, match="use_device = 'cuda'"):
        prof = profiler.profile(use_cuda=True)
    assert prof.use_device == "cuda"


def test_record_shapes_and_group_by_input_shape():
    with profiler.profile(record_shapes=True) as prof:
        ng.randn(2, 3).sin()
        ng.randn(4).sin()
        ng.randn(4).sin()
    assert [e.input_shapes for e in prof.events() if e.name == "sin"] == [[[2, 3]], [[4]], [[4]]]
    grouped = {(a.key, str(a.input_shapes)): a.count
               for a in prof.key_averages(group_by_input_shape=True) if a.key == "sin"}
    assert grouped == {("sin", "[[2, 3]]"): 1, ("sin", "[[4]]"): 2}
    assert "Input Shapes" in prof.key_averages(group_by_input_shape=True).table()
    assert "Input Shapes" not in prof.key_averages().table()
