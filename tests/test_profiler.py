"""The autograd profiler: seed 002's example, key averages, chrome trace, record_function."""
from __future__ import annotations

import json

import numgrad as ng


def test_seed_002_profiler_example_counts_div_and_mul():
    x = ng.randn(2, 3, requires_grad=True)
    y = ng.rand(2, 3, requires_grad=True)
    z = ng.ones(2, 3, requires_grad=True)
    with ng.autograd.profiler.profile(use_cuda=False) as prf:
        for _ in range(1000):
            z = (z / x) * y
    avgs = {a.key: a for a in prf.key_averages()}
    assert avgs["div"].count == 1000 and avgs["mul"].count == 1000
    assert set(avgs) == {"div", "mul"}
    table = prf.key_averages().table(sort_by="self_cpu_time_total")
    lines = table.splitlines()
    assert "Name" in lines[1] and "# of Calls" in lines[1]
    assert any(line.strip().startswith("div") and line.endswith("1000") for line in lines)
    assert any(line.strip().startswith("mul") and line.endswith("1000") for line in lines)
    assert "Self CPU time total" in lines[-1]


def test_backward_ops_are_recorded_and_profiler_switches_off():
    x = ng.randn(3, requires_grad=True)
    with ng.autograd.profiler.profile() as prof:
        x.exp().sum().backward()
    names = [e.name for e in prof.events()]
    assert names[:2] == ["exp", "sum"] and len(names) > 2
    assert ng._tensor._profiler is None


def test_record_function_and_chrome_trace(tmp_path):
    x = ng.randn(3)
    with ng.autograd.profiler.profile() as prof:
        with ng.autograd.profiler.record_function("my_block"):
            x.sin().cos()
    avg = {a.key: a for a in prof.key_averages()}
    block = avg["my_block"]
    assert block.cpu_time_total >= avg["sin"].cpu_time_total + avg["cos"].cpu_time_total
    assert block.self_cpu_time_total < block.cpu_time_total
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())
    assert {e["name"] for e in trace["traceEvents"]} == {"my_block", "sin", "cos"}
    assert all(e["ph"] == "X" and e["dur"] >= 0 for e in trace["traceEvents"])
