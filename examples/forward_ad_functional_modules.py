"""Seed 003, "using the functional API with modules": the jvp of nn.Linear with respect
to its parameters through numgrad.func.jvp, with functorch's make_functional_with_buffers
and with its torch.func replacement, functional_call.

The tutorial's code with `functorch` replaced by `numgrad.func` and `torch` by `numgrad`.
"""
import numgrad as ng
import numgrad.func as ft
import numgrad.nn as nn

model = nn.Linear(5, 5)
input = ng.randn(16, 5)
tangents = tuple([ng.rand_like(p) for p in model.parameters()])

# Given a ``nn.Module``, ``ft.make_functional_with_buffers`` extracts the state
# (``params`` and buffers) and returns a functional version of the model that
# can be invoked like a function: ``func(params, buffers, input)``.
func, params, buffers = ft.make_functional_with_buffers(model)


# Because ``jvp`` requires every input to be associated with a tangent, we need to
# create a new function that, when given the parameters, produces the output
def func_params_only(params):
    return func(params, buffers, input)


model_output, jvp_out = ft.jvp(func_params_only, (params,), (tangents,))

dW, db = tangents
print("model_output[0] =", model_output[0])
print("jvp_out[0] =", jvp_out[0])
assert (model_output - model(input)).abs().max().item() == 0
assert (jvp_out - (input @ dW.T + db)).abs().max().item() < 1e-5

# The same with torch.func's functional_call (parameters as a dict of name -> tensor)
named = dict(model.named_parameters())
tangents_by_name = dict(zip(named, tangents))
out2, jvp2 = ft.jvp(lambda p: ft.functional_call(model, p, (input,)), (named,),
                    (tangents_by_name,))
print("functional_call: max |jvp_out - jvp2| =", (jvp_out - jvp2).abs().max().item())
assert (jvp_out - jvp2).abs().max().item() < 1e-6
