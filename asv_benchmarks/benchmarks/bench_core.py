"""asv benchmarks of numgrad's core, on the numgrad installed in the running Python.

    cd asv_benchmarks && asv machine --yes && asv run --python=same --quick --show-stderr
    asv run --python=same --bench SinChain     # one class; drop --quick for real timings

Workloads (the same as benchmarks/compare_torch.py, numgrad only):
  SinChain: 100 chained `sin` on 10 float32 elements, forward + backward
      (per-op overhead).
  TinyModel: Linear(1000, 100) -> ReLU -> Linear(100, 10), batch 16, squared
      error, backward, SGD step, zero_grad (numgrad.nn, numgrad.optim).
  TanhMul4M: `(tanh(x) * w).sum()` forward + backward on 4M float32 (memory
      bound); also its peak memory.
  ScalarOperand1M: elementwise ops with a Python-number operand on 1M float32
      (`x * 2.0`, and the in-place optimizer update `p.sub_(g, alpha=lr)`): the
      vectorizing scalar-operand loops (a regression there is 3x).
track_ benchmarks count things that do not depend on timing noise: graph nodes
recorded by the sin chain, and Numba kernels the workloads compile.
setup() runs each workload once, so kernel compilation is never timed.
BLAS / OpenMP / Numba run on one thread (the env matrix in asv.conf.json), as in
compare_torch.py: on 2 busy cores a 2-thread OpenBLAS made TinyModel's small
matmuls ~100x slower.
numgrad is imported from the running Python (`pip install -e .`); where it is
not installed, from the working tree this file belongs to (asv does not pass
PYTHONPATH to its benchmark processes).
"""
import sys
from pathlib import Path

import numpy as np

try:
    import numgrad as ng
except ImportError:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import numgrad as ng

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from core_tasks import sin_chain_numgrad, tanh_mul_numgrad, tiny_model_numgrad  # noqa: E402


def count_graph_nodes(root) -> int:
    """Distinct nodes reachable from `root.grad_fn` along next_functions (incl. AccumulateGrad)."""
    seen, stack = set(), [root.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(m for m, _ in n.next_functions)
    return len(seen)


def distinct_kernels() -> int:
    """Numba kernels built so far (an op may cache one kernel under several keys)."""
    return len({id(k) for op in ng.ops.REGISTRY.values() for k in op.kernels.values()})


class SinChain:
    def setup(self):
        self.step, self.forward = sin_chain_numgrad(ng)
        self.step()

    def time_forward_backward(self):
        self.step()

    def track_graph_nodes(self):
        return count_graph_nodes(self.forward())
    track_graph_nodes.unit = "nodes"


class TinyModel:
    def setup(self):
        self.step = tiny_model_numgrad(ng)
        self.step()

    def time_train_step(self):
        self.step()


class TanhMul4M:
    def setup(self):
        self.step = tanh_mul_numgrad(ng)
        self.step()

    def time_forward_backward(self):
        self.step()

    def peakmem_forward_backward(self):
        self.step()


class ScalarOperand1M:
    def setup(self):
        rng = np.random.default_rng(0)
        self.x = ng.tensor(rng.standard_normal(1 << 20, dtype=np.float32))
        self.g = ng.tensor(rng.standard_normal(1 << 20, dtype=np.float32))
        self.time_mul_scalar()
        self.time_inplace_update()

    def time_mul_scalar(self):
        self.x * 2.0

    def time_inplace_update(self):
        self.x.sub_(self.g, alpha=1e-3)


def track_kernels_compiled():
    """Kernels compiled by one run of each workload, in a fresh benchmark process."""
    for make in (lambda: sin_chain_numgrad(ng)[0], lambda: tiny_model_numgrad(ng), lambda: tanh_mul_numgrad(ng)):
        make()()
    return distinct_kernels()


track_kernels_compiled.unit = "kernels"
