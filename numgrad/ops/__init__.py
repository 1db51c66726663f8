"""`numgrad.ops`: the public op registry (see registry.py)."""
from numgrad.ops.registry import KERNEL_BUILDERS, REGISTRY, Op, elementwise, get, primitive, register

__all__ = ["Op", "REGISTRY", "KERNEL_BUILDERS", "register", "get", "elementwise", "primitive"]
