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

SIN_CHAIN = 100
BATCH, DIM_IN, HIDDEN, DIM_OUT = 16, 1000, 100, 10
LR = 0.001
N_LARGE = 4 * 1024 * 1024


def sin_chain_step():
    x = ng.tensor(np.linspace(0.0, 1.0, 10, dtype=np.float32), requires_grad=True)

    def forward():
        y = x
        for _ in range(SIN_CHAIN):
            y = ng.sin(y)
        return y.sum()

    def step():
        forward().backward()
        x.grad = None
    return step, forward


def tiny_model_step():
    rng = np.random.default_rng(0)
    inp = ng.tensor(rng.standard_normal((BATCH, DIM_IN), dtype=np.float32))
    ideal = ng.tensor(rng.standard_normal((BATCH, DIM_OUT), dtype=np.float32))
    nn, optim = ng.nn, ng.optim

    class TinyModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(DIM_IN, HIDDEN)
            self.relu = nn.ReLU()
            self.layer2 = nn.Linear(HIDDEN, DIM_OUT)

        def forward(self, x):
            return self.layer2(self.relu(self.layer1(x)))

    model = TinyModel()
    opt = optim.SGD(model.parameters(), lr=LR)

    def step():
        loss = (ideal - model(inp)).pow(2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step


def tanh_mul_step():
    rng = np.random.default_rng(0)
    x = ng.tensor(rng.standard_normal(N_LARGE, dtype=np.float32), requires_grad=True)
    w = ng.tensor(rng.standard_normal(N_LARGE, dtype=np.float32), requires_grad=True)

    def step():
        (ng.tanh(x) * w).sum().backward()
        x.grad = w.grad = None
    return step


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
        self.step, self.forward = sin_chain_step()
        self.step()

    def time_forward_backward(self):
        self.step()

    def track_graph_nodes(self):
        return count_graph_nodes(self.forward())
    track_graph_nodes.unit = "nodes"


class TinyModel:
    def setup(self):
        self.step = tiny_model_step()
        self.step()

    def time_train_step(self):
        self.step()


class TanhMul4M:
    def setup(self):
        self.step = tanh_mul_step()
        self.step()

    def time_forward_backward(self):
        self.step()

    def peakmem_forward_backward(self):
        self.step()


def track_kernels_compiled():
    """Kernels compiled by one run of each workload, in a fresh benchmark process."""
    for make in (lambda: sin_chain_step()[0], tiny_model_step, tanh_mul_step):
        make()()
    return distinct_kernels()


track_kernels_compiled.unit = "kernels"
