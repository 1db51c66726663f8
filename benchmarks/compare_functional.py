"""numgrad.autograd.functional next to torch.autograd.functional (and JAX where installed).

    python benchmarks/compare_functional.py             # full run (a few minutes)
    python benchmarks/compare_functional.py --quick     # fewer and shorter repeats
    python benchmarks/compare_functional.py --profile   # also cProfile numgrad where ng/torch > 1
    python benchmarks/compare_functional.py --rounds 5  # ng/torch as the median of 5 alternating rounds
    python benchmarks/compare_functional.py --models mlp_256,rosenbrock_200 --tasks jacobian,hessian

The models (benchmarks/models.py) are PyTorch's functional_autograd_benchmark
ppl_simple_reg and ppl_robust_reg (its code: log-densities from
torch.distributions / numgrad.distributions; JAX runs the formulas), their
*_formulas variants (the same log-densities written out with plain ops), an
MLP 256 -> 256 (two tanh layers) and a 200-dimensional Rosenbrock function,
the same code on each library. Tasks are
those of PyTorch's benchmark: vjp, jvp, vhp, hvp, jacobian, hessian and its
vectorized tasks jacfwd / jacrev (jacobian, vectorize=True, forward / reverse
mode) and hessian_fwdrev / hessian_revrev (hessian, vectorize=True, outer
jacobian in forward / reverse mode), called the way it calls them (inputs as
a tuple, v drawn like torch.rand_like). The torch.func column runs the
matching torch.func transform as PyTorch's benchmark runs functorch (vjp,
jvp, vjp / jvp of grad_and_value, jacrev, hessian, jacfwd, jacfwd(jacrev),
jacrev(jacrev)), under no_grad.

numgrad's jacobian / hessian run with its default vectorize=True (one batched
backward pass); the torch column is torch's faster of vectorize=False (its
default) and vectorize=True, named in the last column, except for the
Rosenbrock hessian, which is compared with torch's vectorized hessian. The
vectorized tasks run vectorize=True in both libraries (torch's forward mode
requires it); for the MLP's jacfwd, torch's fastest forward-mode jacobian is
the faster of the torch column (autograd.functional) and torch.func.jacfwd. The
"row-by-row" rows run both libraries with vectorize=False (one backward pass
per row). JAX, where installed, runs the matching jax transform under
`jax.jit` (vjp, jvp, vjp of grad, jvp of grad, jacrev, hessian, jacfwd,
jacfwd(jacrev), jacrev(jacrev)): a compiled bound, not an eager peer.

Before timing, every numgrad result is checked against torch's. Everything
runs in one process on one thread (torch.set_num_threads(1); BLAS, OpenMP,
Numba and XLA thread counts through the environment before numpy loads).
Each timing is the median of several repeats after warm-up (which compiles
numgrad's Numba kernels).
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import bench, import_peers, pin_threads  # noqa: E402

pin_threads(1)

import argparse  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

# Run against the working tree this script lives in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numgrad as ng  # noqa: E402

import models as M  # noqa: E402

torch, jax = import_peers(1)

# the headline task of each model, also run row by row
ROW_BY_ROW = {"mlp_256": "jacobian", "rosenbrock_200": "hessian"}
# (model, task) compared with torch's vectorized variant only
TORCH_VECTORIZED_ONLY = {("rosenbrock_200", "hessian")}


# ------------------------------------------------------------------ timing

def fmt_ms(t: float | None) -> str:
    return "-" if t is None else f"{t * 1e3:.3g}"


# ------------------------------------------------------------------ results

def _leaves(res) -> list[np.ndarray]:
    if isinstance(res, (tuple, list)):
        return [a for r in res for a in _leaves(r)]
    return [np.asarray(res.detach().numpy())]


def check_same(res_ng, res_torch, what: str) -> str | None:
    """None when numgrad's result matches torch's (float32 tolerance), else a message."""
    a, b = _leaves(res_ng), _leaves(res_torch)
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        return f"{what}: result structure differs from torch's"
    for x, y in zip(a, b):
        err = np.max(np.abs(x - y) / (1.0 + np.abs(y)), initial=0.0)
        if not err <= 1e-3:
            return f"{what}: differs from torch (max rel. error {err:.2e})"
    return None


# ------------------------------------------------------------------ torch.func, JAX

def torch_func_task(model: M.Model, B: M.Backend, task: str) -> Callable[[], Any]:
    """The torch.func transform matching `task`, as PyTorch's benchmark runs functorch
    (under no_grad; results shaped like torch.autograd.functional's)."""
    import torch.func as tf
    f = model.forward
    inputs = tuple(x.detach() for x in model.inputs)
    argnums = tuple(range(len(inputs)))
    v = M.task_vectors(model, B, task)

    def vjp():
        out, pullback = tf.vjp(f, *inputs)
        return out, pullback(v)

    def vhp():
        _, pullback, value = tf.vjp(tf.grad_and_value(f, argnums), *inputs, has_aux=True)
        return value, pullback(v)

    def hvp():
        _, tangent, value = tf.jvp(tf.grad_and_value(f, argnums), inputs, v, has_aux=True)
        return value, tangent
    fn = {"vjp": vjp, "vhp": vhp, "hvp": hvp,
          "jvp": lambda: tf.jvp(f, inputs, v),
          "jacobian": lambda: tf.jacrev(f, argnums)(*inputs),
          "hessian": lambda: tf.hessian(f, argnums)(*inputs),
          "jacfwd": lambda: tf.jacfwd(f, argnums)(*inputs),
          "jacrev": lambda: tf.jacrev(f, argnums)(*inputs),
          "hessian_fwdrev": lambda: tf.jacfwd(tf.jacrev(f, argnums), argnums)(*inputs),
          "hessian_revrev": lambda: tf.jacrev(tf.jacrev(f, argnums), argnums)(*inputs)}[task]
    return torch.no_grad()(fn)


def jax_task(model: M.Model, B: M.Backend, task: str) -> Callable[[], Any]:
    """The jitted jax transform matching `task` on `model`."""
    f, inputs = model.forward, model.inputs
    argnums = tuple(range(len(inputs)))
    v = M.task_vectors(model, B, task)
    if task == "vjp":
        g = jax.jit(lambda *x: jax.vjp(f, *x)[1](v))
    elif task == "jvp":
        g = jax.jit(lambda *x: jax.jvp(f, x, v))
    elif task == "vhp":
        g = jax.jit(lambda *x: jax.vjp(jax.grad(f, argnums), *x)[1](v))
    elif task == "hvp":
        g = jax.jit(lambda *x: jax.jvp(jax.grad(f, argnums), x, v))
    elif task in ("jacobian", "jacrev"):
        g = jax.jit(jax.jacrev(f, argnums))
    elif task == "jacfwd":
        g = jax.jit(jax.jacfwd(f, argnums))
    elif task == "hessian_revrev":
        g = jax.jit(jax.jacrev(jax.jacrev(f, argnums), argnums))
    else:  # hessian, hessian_fwdrev: jax.hessian is jacfwd(jacrev)
        g = jax.jit(jax.hessian(f, argnums))
    return lambda: jax.block_until_ready(g(*inputs))


# ------------------------------------------------------------------ rows

@dataclass
class Row:
    model: str
    task: str
    numgrad: Callable[[], Any]
    torch: dict[str, Callable[[], Any]] = field(default_factory=dict)  # variant -> callable
    torch_func: Callable[[], Any] | None = None
    jax: Callable[[], Any] | None = None


def build_rows(model_names, task_names, backends) -> list[Row]:
    rows = []
    for name in model_names:
        built = {b.name: M.MODELS[name](b) for b in backends}
        mn, mt = built["numgrad"], built.get("torch")
        for task in mn.tasks:
            if task not in task_names:
                continue
            nb = backends[0]
            matrix = task in ("jacobian", "hessian")
            row = Row(name, task, M.functional_task(mn, nb, task))
            if mt is not None:
                tb = backends[1]
                variants = ((True,) if (name, task) in TORCH_VECTORIZED_ONLY
                            or task in M.VECTORIZED_TASKS
                            else (False, True) if matrix else (None,))
                for vec in variants:
                    label = "" if vec is None else f"vectorize={vec}"
                    row.torch[label] = M.functional_task(mt, tb, task, vectorize=bool(vec))
                row.torch_func = torch_func_task(mt, tb, task)
            if "jax" in built:
                row.jax = jax_task(built["jax"], backends[-1], task)
            rows.append(row)
            if ROW_BY_ROW.get(name) == task:
                slow = Row(name, f"{task} row-by-row",
                           M.functional_task(mn, nb, task, vectorize=False))
                if mt is not None:
                    slow.torch["vectorize=False"] = M.functional_task(
                        mt, backends[1], task, vectorize=False)
                rows.append(slow)
    return rows


def profile(fn: Callable[[], Any], seconds: float, top: int) -> None:
    """cProfile `fn` for about `seconds` and print its heaviest functions by own time."""
    n, t0 = 0, time.perf_counter()
    prof = cProfile.Profile()
    prof.enable()
    while time.perf_counter() - t0 < seconds or n < 3:
        fn()
        n += 1
    prof.disable()
    print(f"  {n} calls profiled; top {top} by own time:")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    ap.add_argument("--profile", action="store_true",
                    help="cProfile numgrad on each row where it is slower than torch")
    ap.add_argument("--models", default=",".join(M.MODELS),
                    help="comma-separated models (default: all)")
    ap.add_argument("--tasks", default=",".join(M.ALL_TASKS),
                    help="comma-separated tasks (default: all)")
    ap.add_argument("--rounds", type=int, default=1,
                    help="time numgrad and torch alternately this many rounds and report the "
                         "median ratio and its range (steadier on a noisy machine)")
    args = ap.parse_args(argv)
    repeat, min_time = (3, 0.05) if args.quick else (7, 0.2)
    model_names = [m for m in args.models.split(",") if m]
    unknown = set(model_names) - set(M.MODELS)
    if unknown:
        ap.error(f"unknown models {sorted(unknown)}; choose from {list(M.MODELS)}")
    task_names = set(args.tasks.split(","))

    backends = [M.numgrad_backend()]
    if torch is not None:
        backends.append(M.torch_backend())
    if jax is not None:
        backends.append(M.jax_backend())
    import numba
    versions = [f"numgrad {ng.__version__}", f"numpy {np.__version__}", f"numba {numba.__version__}",
                f"torch {torch.__version__}" if torch is not None else "torch: not installed",
                f"jax {jax.__version__}" if jax is not None else "jax: not installed"]
    print(", ".join(versions) + f"; 1 thread; median of {repeat}; times in ms")

    rows = build_rows(model_names, task_names, backends)
    cols = ["numgrad"] + (["torch", "ng/torch", "torch.func", "ng/func"] if torch is not None
                          else []) \
        + (["jax.jit", "ng/jax"] if jax is not None else [])
    header = f"{'model':<24}{'task':<22}" + "".join(f"{c:>11}" for c in cols) \
        + ("  torch variant" if torch is not None else "")
    print(header)
    print("-" * len(header), flush=True)
    problems, slower = [], []
    for row in rows:
        what = f"{row.model} {row.task}"
        res_ng = row.numgrad()
        t_ng = bench(row.numgrad, repeat, min_time)
        cells, variant = [fmt_ms(t_ng)], ""
        if row.torch:
            timed = {}
            for label, fn in row.torch.items():
                msg = check_same(res_ng, fn(), f"{what} (torch {label or 'default'})")
                if msg:
                    problems.append(msg)
                timed[label] = bench(fn, repeat, min_time)
            variant = min(timed, key=timed.get)
            t_torch = timed[variant]
            ratio = t_ng / t_torch
            if args.rounds > 1:
                ratios = [bench(row.numgrad, 3, min_time / 2) / bench(row.torch[variant], 3, min_time / 2)
                          for _ in range(args.rounds)]
                ratio = statistics.median(ratios)
                spread = f"{min(ratios):.2f}-{max(ratios):.2f} over {args.rounds} rounds"
                variant = f"{spread}; {variant}" if variant else spread
            cells += [fmt_ms(t_torch), f"{ratio:.2f}"]
            if ratio > 1:
                slower.append(row)
        elif torch is not None:
            cells += ["-", "-"]
        if row.torch_func is not None:
            msg = check_same(res_ng, row.torch_func(), f"{what} (torch.func)")
            if msg:
                problems.append(msg)
            t_func = bench(row.torch_func, repeat, min_time)
            cells += [fmt_ms(t_func), f"{t_ng / t_func:.2f}"]
        elif torch is not None:
            cells += ["-", "-"]
        if jax is not None:
            if row.jax is not None and "row-by-row" not in row.task:
                t_jax = bench(row.jax, repeat, min_time)
                cells += [fmt_ms(t_jax), f"{t_ng / t_jax:.2f}"]
            else:
                cells += ["-", "-"]
        print(f"{row.model:<24}{row.task:<22}" + "".join(f"{c:>11}" for c in cells)
              + (f"  {variant}" if variant else ""), flush=True)
    for msg in problems:
        print("MISMATCH:", msg)
    if args.profile:
        for row in (slower if torch is not None else rows):
            print(f"\n=== cProfile, numgrad, {row.model} {row.task}")
            profile(row.numgrad, 1.0 if args.quick else 3.0, 15)


if __name__ == "__main__":
    main()
