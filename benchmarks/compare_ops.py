"""One op at a time, forward + backward, numgrad next to PyTorch (one process, one thread).

    python benchmarks/compare_ops.py                  # small (8 x 16) and medium (256 x 512)
    python benchmarks/compare_ops.py --sizes medium --ops softmax,cross_entropy

Each task applies one op (or one nn.functional loss) to float32 inputs that
require grad, sums the result and backpropagates: the cost of the op's kernel,
its derivative rule and the per-op overhead, the way small research code uses
them. The table flags ratios above 1.5. Needs PyTorch (not a numgrad
dependency: `pip install torch==2.13.0`).
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from timing import bench, import_peers, pin_threads  # noqa: E402

pin_threads(1)

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numgrad as ng  # noqa: E402

torch, _ = import_peers(1)

SIZES = {"small": (8, 16), "medium": (256, 512)}


def tasks(lib, shape, rows):
    """name -> f(a, b): the op under test on (rows, cols) inputs a, b."""
    F = lib.nn.functional
    n_rows, n_cols = shape
    classes = lib.tensor(rows % n_cols)
    index = lib.tensor(rows)
    return {
        "add": lambda a, b: a + b,
        "mul_broadcast": lambda a, b: a * b[0],
        "div": lambda a, b: a / b,
        "pow3": lambda a, b: a ** 3,
        "exp": lambda a, b: lib.exp(a),
        "log": lambda a, b: lib.log(a),
        "tanh": lambda a, b: lib.tanh(a),
        "sigmoid": lambda a, b: lib.sigmoid(a),
        "relu": lambda a, b: F.relu(a - 1),
        "softplus": lambda a, b: F.softplus(a),
        "sum_dim0": lambda a, b: a.sum(0),
        "sum_dim1": lambda a, b: a.sum(1),
        "mean": lambda a, b: a.mean(),
        "max_dim": lambda a, b: a.max(1)[0],
        "amax": lambda a, b: a.amax(1),
        "var": lambda a, b: a.var(1),
        "vector_norm": lambda a, b: lib.linalg.vector_norm(a, dim=1),
        "softmax": lambda a, b: lib.softmax(a, 1),
        "log_softmax": lambda a, b: F.log_softmax(a, 1),
        "logsumexp": lambda a, b: lib.logsumexp(a, 1),
        "matmul_a_bT": lambda a, b: a @ b.T,
        "matmul_aT_b": lambda a, b: a.T @ b,
        "transpose": lambda a, b: a.T * 2,
        "reshape": lambda a, b: a.reshape(-1) * 2,
        "cat": lambda a, b: lib.cat([a, b], 0),
        "stack": lambda a, b: lib.stack([a, b], 0),
        "slice": lambda a, b: a[1:5, ::2] * 2,
        "index_rows": lambda a, b: a[index],
        "where": lambda a, b: lib.where(a > 1, a, b),
        "clamp": lambda a, b: a.clamp(0.7, 1.2),
        "maximum": lambda a, b: lib.maximum(a, b),
        "cumsum": lambda a, b: a.cumsum(1),
        "prod": lambda a, b: a.prod(1),
        "expand": lambda a, b: a[:, :1].expand(-1, n_cols) * 1,
        "mse_loss": lambda a, b: F.mse_loss(a, b),
        "cross_entropy": lambda a, b: F.cross_entropy(a, classes),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium")
    parser.add_argument("--ops", default="", help="comma-separated task names (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if torch is None:
        sys.exit("compare_ops.py needs PyTorch: pip install torch==2.13.0")
    print(f"numgrad {ng.__version__}, torch {torch.__version__}; 1 thread; median of "
          f"{args.repeat}; times in us; fwd + bwd of op(a, b).sum()")
    for size in args.sizes.split(","):
        shape = SIZES[size]
        rng = np.random.default_rng(0)
        a_np, b_np = (rng.uniform(0.5, 1.5, shape).astype(np.float32) for _ in range(2))
        rows = rng.integers(0, shape[0], shape[0])
        times = {}
        for lib in (ng, torch):
            a = lib.tensor(a_np, requires_grad=True)
            b = lib.tensor(b_np, requires_grad=True)
            for name, f in tasks(lib, shape, rows).items():
                if args.ops and name not in args.ops.split(","):
                    continue

                def step(f=f):
                    f(a, b).sum().backward()
                    a.grad = b.grad = None
                times.setdefault(name, []).append(bench(step, args.repeat, 0.02) * 1e6)
        print(f"\n{size} {shape[0]} x {shape[1]}")
        print(f"{'task':16s} {'numgrad':>10s} {'torch':>10s} {'ng/torch':>9s}")
        for name, (t_ng, t_torch) in times.items():
            flag = "  <<" if t_ng / t_torch > 1.5 else ""
            print(f"{name:16s} {t_ng:10.1f} {t_torch:10.1f} {t_ng / t_torch:9.2f}{flag}")


if __name__ == "__main__":
    main()
