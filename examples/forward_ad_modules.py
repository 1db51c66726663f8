"""Seed 003, "usage with modules": the jvp of nn.Linear with respect to its parameters,
after replacing the parameters by dual tensors (delattr / setattr).

The tutorial's code with `torch` replaced by `numgrad` (`import numgrad as ng`).
"""
import numgrad as ng
import numgrad.autograd.forward_ad as fwAD
import numgrad.nn as nn

model = nn.Linear(5, 5)
input = ng.randn(16, 5)

params = {name: p for name, p in model.named_parameters()}
tangents = {name: ng.rand_like(p) for name, p in params.items()}

with fwAD.dual_level():
    for name, p in params.items():
        delattr(model, name)
        setattr(model, name, fwAD.make_dual(p, tangents[name]))

    out = model(input)
    jvp = fwAD.unpack_dual(out).tangent

# out = input @ W.T + b, so its tangent is input @ dW.T + db
expected = input @ tangents["weight"].T + tangents["bias"]
print("jvp shape:", jvp.shape)
print("jvp[0] =", jvp[0])
error = (jvp - expected).abs().max().item()
print("max |jvp - (input @ dW.T + db)| =", error)
assert error < 1e-5
