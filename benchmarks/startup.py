"""Start-up cost of numgrad, measured in fresh Python processes.

    python benchmarks/startup.py            # 5 runs per row (cold rows: 3)
    python benchmarks/startup.py --quick    # 2 runs per row (cold rows: 1)

Rows (median over runs, each run a new interpreter):
  python -c pass / import numpy / import numba: the floor numgrad builds on;
  import numgrad: time of the import statement alone, and of the whole process;
  first gradient, empty cache: import + gradient of a small function (sin, mul,
      matmul, sum) with NUMBA_CACHE_DIR pointing at a fresh empty folder, so every
      kernel it needs is compiled;
  first gradient, warm cache: the same, run again with the folder the cold run
      filled, so kernels load from Numba's disk cache.
The kernel count is the number of distinct Numba kernels built in the process
(the values of `op.kernels` over `numgrad.ops.REGISTRY`).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
out = {{"import": t1 - t0}}
if {grad}:
    import numpy as np
    x = ng.tensor(np.linspace(-1.0, 1.0, 9, dtype=np.float32).reshape(3, 3), requires_grad=True)
    y = ng.matmul(ng.sin(x) * x, x).sum()
    y.backward()
    assert x.grad is not None and x.grad.dtype == np.float32
    out["grad"] = time.perf_counter() - t1
    # distinct objects: an op's kernel cache may hold one kernel under several keys
    out["kernels"] = len({{id(k) for op in ng.ops.REGISTRY.values() for k in op.kernels.values()}})
print(json.dumps(out))
"""


def run_child(imports: str, grad: bool, cache_dir: str | None) -> dict:
    """Run one fresh interpreter; return its own timings plus the process wall time."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    code = CHILD.format(imports=imports, grad=grad)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def median_of(runs: list[dict], key: str) -> float | None:
    vals = [r[key] for r in runs if key in r]
    return statistics.median(vals) if vals else None


def fmt(t: float | None) -> str:
    return "-" if t is None else f"{t * 1e3:.0f} ms"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs per row")
    args = ap.parse_args(argv)
    n, n_cold = (2, 1) if args.quick else (5, 3)

    rows = []
    with tempfile.TemporaryDirectory(prefix="numgrad-startup-") as tmp:
        # Baselines and plain import use a warm private cache dir (import compiles nothing).
        base_cache = os.path.join(tmp, "base")
        for label, imports in (("python -c pass", "pass"), ("import numpy", "import numpy"),
                               ("import numba", "import numba"),
                               ("import numgrad", "import numgrad as ng")):
            runs = [run_child(imports, False, base_cache) for _ in range(n)]
            rows.append((label, median_of(runs, "import"), None, median_of(runs, "wall"), None))

        cold_runs, warm_runs = [], []
        for i in range(n_cold):
            cache = os.path.join(tmp, f"cache{i}")
            os.mkdir(cache)
            cold_runs.append(run_child("import numgrad as ng", True, cache))
            warm_runs += [run_child("import numgrad as ng", True, cache)
                          for _ in range(max(1, n // n_cold))]
        for label, runs in (("first gradient, empty cache", cold_runs),
                            ("first gradient, warm cache", warm_runs)):
            rows.append((label, median_of(runs, "import"), median_of(runs, "grad"),
                         median_of(runs, "wall"), runs[0]["kernels"]))

    print(f"python {sys.version.split()[0]}; median of {n} runs ({n_cold} for empty-cache rows)\n")
    header = f"{'':<30}{'import':>10}{'gradient':>10}{'process':>10}{'kernels':>9}"
    print(header)
    print("-" * len(header))
    for label, t_imp, t_grad, t_wall, k in rows:
        print(f"{label:<30}{fmt(t_imp):>10}{fmt(t_grad):>10}{fmt(t_wall):>10}"
              f"{'' if k is None else k:>9}")


if __name__ == "__main__":
    main()
