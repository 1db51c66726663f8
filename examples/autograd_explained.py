"""Seed 004 ("PyTorch Autograd: understanding the heart of PyTorch's magic"): tensor
attributes in a dynamic computation graph, is_leaf, backward with and without an
explicit gradient, and no_grad.

The article's code with `import torch` replaced by `import numgrad as ng`. The
article's embedded gists did not survive in the seed text; the first and third
blocks below rebuild them from what the text describes (x = 1.0 requiring grad,
y = 2.0, z = x * y; the ways a tensor becomes a leaf).
"""
import numpy as np

import numgrad as ng

# The graph of the figure: x requires grad, y does not, z = x * y.
x = ng.tensor(1.0, requires_grad=True)
y = ng.tensor(2.0)
z = x * y
for i, name in zip([x, y, z], "xyz"):
    print(f"{name}\ndata: {i.data}\nrequires_grad: {i.requires_grad}\n"
          f"grad: {i.grad}\ngrad_fn: {i.grad_fn}\nis_leaf: {i.is_leaf}\n")

# requires_grad can be switched on in place
a = ng.randn(1, 1)
a.requires_grad_(True)
print(a.requires_grad, a.is_leaf)

# Leaves: tensors created explicitly, results of ops on tensors that do not
# require grad, and detached tensors.
leaf1 = ng.tensor(1.0)
leaf2 = ng.randn(1, 1)
leaf3 = ng.tensor(np.ones(2)) * 3
leaf4 = (x * 2).detach()
print([t.is_leaf for t in (leaf1, leaf2, leaf3, leaf4)])

# backward() on a scalar passes an implicit gradient of tensor(1.0) ...
z.backward()
print(x.grad)  # dz/dx = y = 2
# ... which is the same as passing it explicitly
x.grad = None
z = x * y
z.backward(ng.tensor(1.0))
print(x.grad)

x = ng.tensor([0.0, 2.0, 8.0], requires_grad = True)
y = ng.tensor([5.0 , 1.0 , 7.0], requires_grad = True)
z = x * y

try:
    z.backward()
except RuntimeError as e:
    print(f"RuntimeError: {e}")

z.backward(ng.FloatTensor([1.0, 1.0, 1.0]))
print(x.grad)  # = y: the vector-jacobian product J^T v with J = diag(y), v = ones
print(y.grad)  # = x

with ng.no_grad():
    w = x * y
print(w.requires_grad, w.grad_fn)
