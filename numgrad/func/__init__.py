"""`numgrad.func`: composable function transforms (PyTorch's torch.func / JAX style).

    from numgrad.func import grad, jacrev, jacfwd, hessian
    grad(grad(lambda x: x.sin().sum()))  # transforms compose
    hessian(f)(x)                        # jacfwd(jacrev(f)): forward-over-reverse

Arguments and results may be pytrees (nested tuples, lists and dicts of tensors).
"""
from numgrad.func._functional_call import (functional_call, make_functional,
                                           make_functional_with_buffers)
from numgrad.func._pytree import tree_flatten, tree_map, tree_unflatten
from numgrad.func._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
           "functional_call", "make_functional", "make_functional_with_buffers", "tree_flatten",
           "tree_unflatten", "tree_map"]
