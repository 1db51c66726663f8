"""The core speed tasks of issue 2, built on numgrad once and shared by
compare_torch.py (side by side with PyTorch) and the asv suite (bench_core.py).

Each builder returns a no-argument `step` running forward + backward (and, for the
TinyModel, the SGD step and zero_grad)."""
from __future__ import annotations

import numpy as np

SIN_CHAIN = 100
BATCH, DIM_IN, HIDDEN, DIM_OUT = 16, 1000, 100, 10
LR = 0.001
N_LARGE = 4 * 1024 * 1024


def sin_chain_numgrad(ng):
    """(step, forward): 100 chained `sin` on 10 float32 elements, then .sum().backward()."""
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


def make_tiny_model(nn):
    """The tutorial's TinyModel, written once for any torch-like `nn` module."""
    class TinyModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer1 = nn.Linear(DIM_IN, HIDDEN)
            self.relu = nn.ReLU()
            self.layer2 = nn.Linear(HIDDEN, DIM_OUT)

        def forward(self, x):
            return self.layer2(self.relu(self.layer1(x)))
    return TinyModel()


def training_step(model, opt, inp, ideal):
    """One step of seed 002's loop: squared error, backward, SGD step, zero_grad."""
    def step():
        loss = (ideal - model(inp)).pow(2).sum()
        loss.backward()
        opt.step()
        opt.zero_grad()
    return step


def tiny_model_numgrad(ng):
    rng = np.random.default_rng(0)
    inp = ng.tensor(rng.standard_normal((BATCH, DIM_IN), dtype=np.float32))
    ideal = ng.tensor(rng.standard_normal((BATCH, DIM_OUT), dtype=np.float32))
    model = make_tiny_model(ng.nn)
    return training_step(model, ng.optim.SGD(model.parameters(), lr=LR), inp, ideal)


def large_inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal(N_LARGE, dtype=np.float32),
            rng.standard_normal(N_LARGE, dtype=np.float32))


def tanh_mul_numgrad(ng):
    """(tanh(x) * w).sum() forward + backward on 4M float32, x and w requiring grad."""
    xa, wa = large_inputs()
    x = ng.tensor(xa, requires_grad=True)
    w = ng.tensor(wa, requires_grad=True)

    def step():
        (ng.tanh(x) * w).sum().backward()
        x.grad = w.grad = None
    return step
