"""`numgrad.ops`: the public op registry (see registry.py)."""
from numgrad.ops.registry import KERNEL_BUILDERS, REGISTRY, Op, elementwise, get, primitive, register

__all__ = ["Op", "REGISTRY", "KERNEL_BUILDERS", "register", "get", "elementwise", "primitive"]


def __getattr__(name):
    # `numgrad.ops.apply(op, inputs, params)` runs a registered op on tensors and records it;
    # it lives in the tensor layer, imported on demand to keep the registry below it.
    if name == "apply":
        from numgrad._tensor import apply
        return apply
    raise AttributeError(name)
