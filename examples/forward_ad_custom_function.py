"""Seed 003, "custom autograd Function": a Function with a jvp() staticmethod, and
gradcheck of its forward-mode derivative.

The tutorial's code with `torch` replaced by `numgrad` (`import numgrad as ng`).
"""
import numgrad as ng
import numgrad.autograd.forward_ad as fwAD


class Fn(ng.autograd.Function):
    @staticmethod
    def forward(ctx, foo):
        result = ng.exp(foo)
        # Tensors stored in ``ctx`` can be used in the subsequent forward grad
        # computation.
        ctx.result = result
        return result

    @staticmethod
    def jvp(ctx, gI):
        gO = gI * ctx.result
        # If the tensor stored in ``ctx`` will not also be used in the backward pass,
        # one can manually free it using ``del``
        del ctx.result
        return gO


fn = Fn.apply

primal = ng.randn(10, 10, dtype=ng.double, requires_grad=True)
tangent = ng.randn(10, 10)

with fwAD.dual_level():
    dual_input = fwAD.make_dual(primal, tangent)
    dual_output = fn(dual_input)
    jvp = fwAD.unpack_dual(dual_output).tangent

print("jvp[0, :4] =", jvp[0, :4])
error = (jvp - tangent * primal.detach().exp()).abs().max().item()
print("max |jvp - tangent * exp(primal)| =", error)
assert error < 1e-6

# gradcheck only checks reverse mode by default: check_forward_ad=True checks the
# jvp; the backward checks are skipped since Fn has no backward.
print(ng.autograd.gradcheck(Fn.apply, (primal,), check_forward_ad=True,
                            check_backward_ad=False, check_undefined_grad=False,
                            check_batched_grad=False))
