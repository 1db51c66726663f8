"""Seed 003, "basic usage": a directional derivative of fn(x, y) = x**2 + y**2 with dual tensors.

The tutorial's code with `torch` replaced by `numgrad` (`import numgrad as ng`).
"""
import numgrad as ng
import numgrad.autograd.forward_ad as fwAD

primal = ng.randn(10, 10)
tangent = ng.randn(10, 10)


def fn(x, y):
    return x ** 2 + y ** 2


# All forward AD computation must be performed in the context of
# a ``dual_level`` context. All dual tensors created in such a context
# will have their tangents destroyed upon exit.
with fwAD.dual_level():
    # The dual tensor made by ``make_dual`` is a view of the primal; a tangent with
    # the primal's layout is used as is.
    dual_input = fwAD.make_dual(primal, tangent)
    assert fwAD.unpack_dual(dual_input).tangent is tangent

    # A tangent with a different layout (here transposed) is copied into the primal's layout.
    dual_input_alt = fwAD.make_dual(primal, tangent.T)
    assert fwAD.unpack_dual(dual_input_alt).tangent is not tangent

    # Tensors without a tangent count as having a zero tangent.
    plain_tensor = ng.randn(10, 10)
    dual_output = fn(dual_input, plain_tensor)

    # Unpacking returns a namedtuple with ``primal`` and ``tangent``.
    jvp = fwAD.unpack_dual(dual_output).tangent

assert fwAD.unpack_dual(dual_output).tangent is None

# d/dt fn(primal + t * tangent, plain) at t = 0 is 2 * primal * tangent
print("jvp[:2, :4] =", jvp[:2, :4])
error = (jvp - 2 * primal * tangent).abs().max().item()
print("max |jvp - 2 * primal * tangent| =", error)
assert error < 1e-5
