"""Seed 003, "functional API": jvp(func, primals, tangents) from numgrad.func
(functorch / torch.func style), with functools.partial for inputs without tangents.

The tutorial's code with `functorch` replaced by `numgrad.func` and `torch` by `numgrad`.
"""
import functools

import numgrad as ng
import numgrad.func as ft

primal0 = ng.randn(10, 10)
tangent0 = ng.randn(10, 10)
primal1 = ng.randn(10, 10)
tangent1 = ng.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


# Here is a basic example to compute the JVP of the above function.
# The ``jvp(func, primals, tangents)`` returns ``func(*primals)`` as well as the
# computed Jacobian-vector product (JVP). Each primal must be associated with a tangent of
# the same shape.
primal_out, tangent_out = ft.jvp(fn, (primal0, primal1), (tangent0, tangent1))
expected = 2 * primal0 * tangent0 + 2 * primal1 * tangent1
print("tangent_out[0, :4] =", tangent_out[0, :4])
print("max |tangent_out - (2 x dx + 2 y dy)| =", (tangent_out - expected).abs().max().item())
assert (tangent_out - expected).abs().max().item() < 1e-5
assert (primal_out - fn(primal0, primal1)).abs().max().item() == 0

# ``jvp`` requires every primal to be associated with a tangent.
# If we only want to associate certain inputs to `fn` with tangents,
# then we'll need to create a new function that captures inputs without tangents:
primal = ng.randn(10, 10)
tangent = ng.randn(10, 10)
y = ng.randn(10, 10)

new_fn = functools.partial(fn, y=y)
primal_out, tangent_out = ft.jvp(new_fn, (primal,), (tangent,))
print("with partial: max |tangent_out - 2 x dx| =",
      (tangent_out - 2 * primal * tangent).abs().max().item())
assert (tangent_out - 2 * primal * tangent).abs().max().item() < 1e-5
