"""The op table: one OpInfo per op, from which tests/test_ops.py generates
forward-value, gradcheck, gradgradcheck, batched-vjp and float32 checks.

Each module here (pointwise.py, reduction.py, shape.py, indexing.py,
linalg.py) defines `OPS: list[OpInfo]` for the ops of the matching
numgrad/oplib module. tests/test_ops.py also checks that every op in
numgrad.ops.REGISTRY is covered by some entry (`covers`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class OpInfo:
    """One sample of one op.

    name: test id. fn: callable on numgrad tensors (the op under test).
    ref: the same computation on numpy float64 arrays (numpy/scipy reference).
    inputs: function(rng, dtype) -> tuple of numpy arrays; floating ones of
        `dtype` are differentiated, others (ints, bools) passed as-is.
    covers: registry op names this entry exercises (default: [name]).
    grad: False for ops that are not differentiable (comparisons...).
    gradgrad: False where second derivatives are not meaningful for the sample.
    atol/rtol: tolerances for gradcheck (float64) and forward values.
    """

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any] | None
    inputs: Callable[[np.random.Generator, Any], tuple]
    covers: list[str] = field(default_factory=list)
    grad: bool = True
    gradgrad: bool = True
    atol: float = 1e-5
    rtol: float = 1e-3
    ref_atol: float = 1e-5

    def __post_init__(self):
        if not self.covers:
            self.covers = [self.name]


def all_ops() -> list[OpInfo]:
    import importlib
    import pkgutil
    import tests.op_db as pkg
    ops = []
    for m in pkgutil.iter_modules(pkg.__path__):
        ops.extend(importlib.import_module(f"tests.op_db.{m.name}").OPS)
    return ops
