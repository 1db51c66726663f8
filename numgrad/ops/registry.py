"""The op registry: one `Op` entry per primitive.

An entry holds everything about its op: how to compute it on each device
(kernels looked up by device and dtype, built lazily), which values its
derivative rules need saved, its vjp rule and its jvp rule. The engine,
forward mode and batching read these entries; they never special-case an op.

Rules are written with numgrad ops (so they are differentiable themselves)
and are rank-polymorphic: a cotangent / tangent may carry extra LEADING batch
dimensions beyond the primal's shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from numgrad.kernels import cpu as cpu_kernels

REGISTRY: dict[str, "Op"] = {}

# from this many elements on, a 0-d operand goes through a vectorizing loop
# (cpu_kernels.elementwise_loop) rather than the ufunc's strided loop, and an op of
# several inputs runs its numpy composition, if it has one (Op.numpy_from)
_LOOP_MIN_SIZE = 2048


@dataclass(eq=False)
class Op:
    """A primitive op.

    name: PyTorch-style name; its graph node prints as `<Name>Backward0`.
    impls: device -> function(op, *arrays, **params) returning an array (or
        a tuple of arrays for ops with several outputs).
    vjp: function(ctx, *grads) -> one gradient (or None) per input. `ctx` is
        the graph node: `ctx.saved` (inputs listed in `save`, as tensors),
        `ctx.output` (if `save_output`), `ctx.params`, `ctx.in_shapes`,
        `ctx.out_shape`, `ctx.needs_input_grad`.
    jvp: function(ctx, *tangents) -> output tangent(s); same ctx fields.
    save: inputs the rules need: an index i (always saved) or a pair (i, j)
        (saved only when input j requires grad, e.g. mul saves y only for x's grad);
        save_output: rules need the output.
    scalar: for elementwise ops, the scalar formula kernels are built from
        (`scalar_f32` may override it for float32).
    cpu_numpy: a numpy ufunc computing the same function, used instead of the
        Numba kernel on the CPU for floating dtypes (numpy's SIMD loops for exp,
        log, sin... run 4 to 60x faster than Numba's scalar libm calls); or, for
        an op of several inputs, a function composing numpy ufuncs, used from
        `numpy_from` elements on (below, its several calls cost more than one kernel).
    numpy_from: that size (2048 unless the scalar formula calls special functions
        the composition evaluates once per parameter rather than once per element).
    differentiable: False for ops whose outputs never require grad.
    check_grads: the engine checks the count and shapes of what vjp returns
        (numgrad's own ops, whose rules the op table tests, skip it).
    """

    name: str
    impls: dict[str, Callable[..., Any]]
    vjp: Callable[..., Any] | None = None
    jvp: Callable[..., Any] | None = None
    save: tuple = ()
    save_output: bool = False
    scalar: Callable[..., Any] | None = None
    scalar_f32: Callable[..., Any] | None = None
    cpu_numpy: Callable[..., Any] | None = None
    differentiable: bool = True
    node_name: str = ""
    numpy_from: int = _LOOP_MIN_SIZE
    check_grads: bool = True
    kernels: dict[tuple[str, Any], Any] = field(default_factory=dict, repr=False)
    _node_cls: Any = field(default=None, repr=False)  # its graph-node class, made on first use
    _save_plans: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        if not self.node_name:
            self.node_name = "".join(p.capitalize() for p in self.name.split("_")) + "Backward0"

    def saved_inputs(self, needs_input_grad: tuple[bool, ...]) -> tuple[bool, ...]:
        """Which inputs a node saves, given which inputs require grad (from `save`)."""
        plan = self._save_plans.get(needs_input_grad)
        if plan is None:
            which = [False] * len(needs_input_grad)
            for i in self.save:
                if i.__class__ is tuple:  # (i, j): input i only if input j requires grad
                    i, j = i
                    if not needs_input_grad[j]:
                        continue
                which[i] = True
            plan = self._save_plans[needs_input_grad] = tuple(which)
        return plan

    def kernel(self, device: str, dtype: np.dtype, nin: int = 1, out_dtype=None):
        """The elementwise kernel of this op for (device, dtype), built on first use.

        Plain CPU kernels are keyed by the dtype alone: the per-op fast path
        (_elementwise_cpu) looks them up without building a tuple."""
        key = dtype if device == "cpu" and out_dtype is None else (device, dtype, out_dtype)
        k = self.kernels.get(key)
        if (k is None and key is dtype and isinstance(self.cpu_numpy, np.ufunc)
                and dtype.kind == "f"):
            k = self.kernels[key] = self.cpu_numpy
        if k is None:
            fn = self.scalar_f32 if (dtype == np.float32 and self.scalar_f32) else self.scalar
            k = KERNEL_BUILDERS[device](fn, nin, dtype, out_dtype)
            self.kernels[key] = k
        return k


# device -> function(scalar_fn, nin, dtype, out_dtype) -> callable on arrays.
# A CUDA backend adds its builder here; ops do not change.
KERNEL_BUILDERS: dict[str, Callable[..., Any]] = {"cpu": cpu_kernels.elementwise}


def register(op: Op) -> Op:
    """Add `op` to the registry (names are unique) and return it."""
    if op.name in REGISTRY:
        raise ValueError(f"op {op.name!r} is already registered")
    REGISTRY[op.name] = op
    return op


def get(name: str) -> Op:
    """The registered op called `name`."""
    return REGISTRY[name]


def _elementwise_cpu(op: Op, *arrays, out: np.ndarray | None = None):
    if out is not None:
        return _elementwise_into(op, arrays, out)
    a = arrays[0]
    if len(arrays) > 1 and (a.size >= op.numpy_from or arrays[1].size >= op.numpy_from):
        if op.cpu_numpy is not None and a.dtype.kind == "f":
            return op.cpu_numpy(*arrays)
        if a.size >= _LOOP_MIN_SIZE or arrays[1].size >= _LOOP_MIN_SIZE:
            plan = cpu_kernels.broadcast_plan(arrays)
            if plan is not None:
                return _scalar_loop_cpu(op, a.dtype, *plan)
    k = op.kernels.get(a.dtype)
    if k is None:
        k = op.kernel("cpu", a.dtype, len(arrays))
    return k(*arrays)




def _scalar_loop_cpu(op: Op, dtype: np.dtype, shape: tuple, grid: tuple, operands: list,
                     inplace: bool = False) -> np.ndarray:
    """op over `operands` (see cpu_kernels.broadcast_plan) into a new array of
    `shape` (run as a `grid` = (rows, inner) array), or, inplace=True, into operands[0]."""
    key = ("inplace" if inplace else "loop", dtype)
    loop = op.kernels.get(key)
    if loop is None:
        fn = op.scalar_f32 if (dtype == np.float32 and op.scalar_f32) else op.scalar
        loop = op.kernels[key] = cpu_kernels.elementwise_loop(fn, len(operands), inplace)
    if inplace:
        loop(*operands)
        return operands[0]
    out = np.empty(shape, dtype=dtype)
    loop(out.reshape(grid), *operands)
    return out


def _elementwise_into(op: Op, arrays, out: np.ndarray) -> np.ndarray:
    """The op's result written into `out` (which may be one of `arrays`: in-place updates)."""
    a = arrays[0]
    if out.size >= _LOOP_MIN_SIZE and out.dtype == a.dtype and out.flags.c_contiguous:
        plan = cpu_kernels.broadcast_plan(arrays)
        # in place: out is the first input and has the result's shape, the other
        # inputs do not overlap it
        if a is out and plan is not None and plan[0] == out.shape and all(
                x.ndim == 0 or not np.may_share_memory(x, out) for x in arrays[1:]):
            _scalar_loop_cpu(op, a.dtype, *plan, inplace=True)
            return out
    k = op.kernels.get(a.dtype)
    if k is None:
        k = op.kernel("cpu", a.dtype, len(arrays))
    k(*arrays, out=out)
    return out


def elementwise(name: str, scalar, vjp=None, jvp=None, *, save=(), save_output=False,
                scalar_f32=None, cpu_numpy=None, numpy_from=_LOOP_MIN_SIZE, differentiable=True,
                node_name="") -> Op:
    """Register an elementwise op computed from the scalar formula `scalar`.

    All inputs share one dtype (callers promote first); the output has it too
    unless the op is a comparison (bool output).
    """
    return register(Op(name, {"cpu": _elementwise_cpu}, vjp, jvp, tuple(save), save_output,
                       scalar, scalar_f32, cpu_numpy, differentiable, node_name, numpy_from))


def primitive(name: str, cpu, vjp=None, jvp=None, *, save=(), save_output=False,
              differentiable=True, node_name="") -> Op:
    """Register a non-elementwise op with a CPU implementation `cpu(op, *arrays, **params)`."""
    return register(Op(name, {"cpu": cpu}, vjp, jvp, tuple(save), save_output,
                       differentiable=differentiable, node_name=node_name))
