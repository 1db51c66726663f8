"""numgrad next to PyTorch (CPU) and JAX (where installed), in one process.

    python benchmarks/compare_torch.py             # full run (about a minute)
    python benchmarks/compare_torch.py --quick     # fewer repeats
    python benchmarks/compare_torch.py --profile   # also cProfile numgrad on each task

Tasks, each timed as forward + backward per call:
  (a) 100 chained `sin` on a 10-element float32 tensor, then `.sum().backward()`:
      per-op overhead (graph recording, dispatch, engine).
  (b) The TinyModel of the PyTorch autograd tutorial: Linear(1000, 100) -> ReLU
      -> Linear(100, 10), batch 16, loss `(ideal - pred).pow(2).sum()`,
      backward, SGD step (lr=0.001), zero_grad, with numgrad.nn / numgrad.optim.
  (c) `(tanh(x) * w).sum()` on 4M float32 with x and w requiring grad: memory
      bound; also compared with `np.copyto` of the bytes it must touch (read x
      and w, write their grads: 4 x 16 MB).

Every library runs on one thread (torch.set_num_threads, and the BLAS /
OpenMP / Numba / XLA thread counts through the environment before numpy loads;
`--threads N` changes that). JAX, where installed, runs `jax.jit(jax.grad(f))`:
the whole step compiled and fused, a bound rather than an eager peer. Each
timing is the median of several repeats after warm-up (which also compiles
numgrad's Numba kernels). The garbage collector stays enabled: collecting
graph cycles is part of the cost. Other processes on the machine skew the
ratios: run it on an idle machine.
"""
from __future__ import annotations

import argparse
import os
import sys


def _threads_from_argv() -> str:
    # Thread counts must be set before numpy / numba / torch are imported.
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "1"


_THREADS = _threads_from_argv()
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import bench, import_peers, pin_threads  # noqa: E402

pin_threads(_THREADS)

import cProfile  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

torch, jax = import_peers(_THREADS)
if jax is not None:
    import jax.numpy as jnp


# Run against the working tree this script lives in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numgrad as ng  # noqa: E402
from core_tasks import (BATCH, DIM_IN, DIM_OUT, HIDDEN, LR, N_LARGE, SIN_CHAIN,  # noqa: E402
                        large_inputs, make_tiny_model, sin_chain_numgrad, tanh_mul_numgrad,
                        tiny_model_numgrad, training_step)


# ------------------------------------------------------------------ timing

def fmt_time(t: float | None) -> str:
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


# ------------------------------------------------------------------ (a) sin chain


def sin_chain_torch():
    x = torch.linspace(0.0, 1.0, 10, dtype=torch.float32, requires_grad=True)

    def step():
        y = x
        for _ in range(SIN_CHAIN):
            y = torch.sin(y)
        y.sum().backward()
        x.grad = None
    return step


def sin_chain_jax():
    def f(x):
        for _ in range(SIN_CHAIN):
            x = jnp.sin(x)
        return x.sum()
    g = jax.jit(jax.grad(f))
    x = jnp.linspace(0.0, 1.0, 10, dtype=jnp.float32)
    return lambda: g(x).block_until_ready()


# ------------------------------------------------------------------ (b) TinyModel




def tiny_model_torch():
    g = torch.Generator().manual_seed(0)
    inp = torch.randn(BATCH, DIM_IN, generator=g)
    ideal = torch.randn(BATCH, DIM_OUT, generator=g)
    model = make_tiny_model(torch.nn)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return training_step(model, opt, inp, ideal)


def tiny_model_jax():
    key1, key2, key3, key4 = jax.random.split(jax.random.PRNGKey(0), 4)
    inp = jax.random.normal(key1, (BATCH, DIM_IN), jnp.float32)
    ideal = jax.random.normal(key2, (BATCH, DIM_OUT), jnp.float32)
    params = [jax.random.uniform(key3, (DIM_IN, HIDDEN), jnp.float32, -0.03, 0.03),
              jnp.zeros(HIDDEN, jnp.float32),
              jax.random.uniform(key4, (HIDDEN, DIM_OUT), jnp.float32, -0.1, 0.1),
              jnp.zeros(DIM_OUT, jnp.float32)]

    def loss(p):
        h = jnp.maximum(inp @ p[0] + p[1], 0.0)
        return ((ideal - (h @ p[2] + p[3])) ** 2).sum()

    @jax.jit
    def update(p):
        return [a - LR * g for a, g in zip(p, jax.grad(loss)(p))]

    def step():
        params[:] = update(params)
        params[0].block_until_ready()
    return step


# ------------------------------------------------------------------ (c) large elementwise



def tanh_mul_torch():
    xa, wa = large_inputs()
    x = torch.tensor(xa, requires_grad=True)
    w = torch.tensor(wa, requires_grad=True)

    def step():
        (torch.tanh(x) * w).sum().backward()
        x.grad = w.grad = None
    return step


def tanh_mul_jax():
    xa, wa = large_inputs()
    x, w = jnp.asarray(xa), jnp.asarray(wa)
    g = jax.jit(jax.grad(lambda x, w: (jnp.tanh(x) * w).sum(), argnums=(0, 1)))
    return lambda: g(x, w)[1].block_until_ready()


def memcpy_4x16mb():
    """Copy 2 x 16 MB into 2 x 16 MB: the bytes task (c) must read and write."""
    src = np.ones(2 * N_LARGE, dtype=np.float32)
    dst = np.empty_like(src)
    return lambda: np.copyto(dst, src)


# ------------------------------------------------------------------ driver

TASKS = [
    ("a", f"sin x{SIN_CHAIN} chain, 10 el f32", lambda: sin_chain_numgrad(ng)[0], sin_chain_torch,
     sin_chain_jax),
    ("b", "TinyModel train step (b=16)", lambda: tiny_model_numgrad(ng), tiny_model_torch,
     tiny_model_jax),
    ("c", "(tanh(x)*w).sum(), 4M f32", lambda: tanh_mul_numgrad(ng), tanh_mul_torch, tanh_mul_jax),
]


def profile_step(step, seconds: float, top: int) -> None:
    """cProfile `step` for about `seconds` and print numgrad's heaviest functions."""
    n, t0 = 0, time.perf_counter()
    prof = cProfile.Profile()
    prof.enable()
    while time.perf_counter() - t0 < seconds or n < 3:
        step()
        n += 1
    prof.disable()
    print(f"  {n} calls profiled; top {top} by own time:")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(top)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    ap.add_argument("--profile", action="store_true", help="cProfile numgrad on each task")
    ap.add_argument("--threads", type=int, default=1, help="threads for every library (default 1)")
    ap.add_argument("--tasks", default="abc", help="which tasks to run, e.g. 'ac'")
    args = ap.parse_args(argv)
    repeat, min_time = (3, 0.05) if args.quick else (7, 0.2)

    versions = [f"numgrad {ng.__version__}", f"numpy {np.__version__}"]
    import numba
    versions.append(f"numba {numba.__version__}")
    versions.append(f"torch {torch.__version__}" if torch is not None else "torch: not installed")
    versions.append(f"jax {jax.__version__}" if jax is not None else "jax: not installed")
    print(", ".join(versions) + f"; threads={args.threads}; median of {repeat}")

    cols = ["numgrad"] + (["torch", "ng/torch"] if torch is not None else []) \
        + (["jax.jit", "ng/jax"] if jax is not None else [])
    header = f"{'task':<36}" + "".join(f"{c:>11}" for c in cols)
    rows = [header, "-" * len(header)]
    timings: dict[str, dict[str, float]] = {}
    for key, title, make_ng, make_torch, make_jax in TASKS:
        if key not in args.tasks:
            continue
        step = make_ng()
        t_ng = bench(step, repeat, min_time)
        cells = [fmt_time(t_ng)]
        got = timings[key] = {"numgrad": t_ng}
        if torch is not None:
            t_torch = bench(make_torch(), repeat, min_time)
            cells += [fmt_time(t_torch), f"{t_ng / t_torch:.2f}"]
            got["torch"] = t_torch
        if jax is not None:
            t_jax = bench(make_jax(), repeat, min_time)
            cells += [fmt_time(t_jax), f"{t_ng / t_jax:.2f}"]
            got["jax.jit"] = t_jax
        rows.append(f"({key}) {title:<32}" + "".join(f"{c:>11}" for c in cells))
        if args.profile:
            print(f"\n=== cProfile, numgrad, task ({key}) {title}")
            profile_step(step, 1.0 if args.quick else 3.0, 20)
    print()
    print("\n".join(rows))
    if "c" in timings:
        t_copy = bench(memcpy_4x16mb(), repeat, min_time)
        ratios = ", ".join(f"{name} {t / t_copy:.2f}x" for name, t in timings["c"].items())
        print(f"\n(c) vs np.copyto of 4 x 16 MB ({fmt_time(t_copy)}, "
              f"{4 * 16 * 2**20 / t_copy / 1e9:.1f} GB/s): {ratios}")


if __name__ == "__main__":
    main()
