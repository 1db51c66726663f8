"""Seed 003, "using the functional Module API": the same jvp of nn.Linear through
numgrad.func.functional_call with dual parameters, checked against the
delattr / setattr approach of the previous section.

The tutorial's code with `torch` replaced by `numgrad` (`import numgrad as ng`).
"""
import numpy as np

import numgrad as ng
import numgrad.autograd.forward_ad as fwAD
import numgrad.nn as nn
from numgrad.func import functional_call

# The previous section (usage with modules), whose results we compare against.
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

# We need a fresh module because the functional call requires the
# model to have parameters registered.
model = nn.Linear(5, 5)

dual_params = {}
with fwAD.dual_level():
    for name, p in params.items():
        # Using the same ``tangents`` from the above section
        dual_params[name] = fwAD.make_dual(p, tangents[name])
    out = functional_call(model, dual_params, input)
    jvp2 = fwAD.unpack_dual(out).tangent

# Check our results (numgrad has no allclose: compare the arrays)
print("jvp2[0] =", jvp2[0])
print("max |jvp - jvp2| =", (jvp - jvp2).abs().max().item())
assert np.allclose(jvp.numpy(), jvp2.numpy())
# functional_call put the model's own parameters back
assert all(isinstance(p, nn.Parameter) for p in model.parameters())
print("model parameters restored:", [name for name, _ in model.named_parameters()])
