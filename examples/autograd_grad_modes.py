"""Seed 002, "turning autograd off and on": requires_grad, no_grad (context manager and
decorator), detach, and the error for an in-place op on a leaf that requires grad.

The tutorial's code with `import torch` replaced by `import numgrad as ng`.
"""
import math

import numgrad as ng

a = ng.ones(2, 3, requires_grad=True)
print(a)

b1 = 2 * a
print(b1)

a.requires_grad = False
b2 = 2 * a
print(b2)

a = ng.ones(2, 3, requires_grad=True) * 2
b = ng.ones(2, 3, requires_grad=True) * 3

c1 = a + b
print(c1)

with ng.no_grad():
    c2 = a + b

print(c2)

c3 = a * b
print(c3)

def add_tensors1(x, y):
    return x + y

@ng.no_grad()
def add_tensors2(x, y):
    return x + y


a = ng.ones(2, 3, requires_grad=True) * 2
b = ng.ones(2, 3, requires_grad=True) * 3

c1 = add_tensors1(a, b)
print(c1)

c2 = add_tensors2(a, b)
print(c2)

x = ng.rand(5, requires_grad=True)
y = x.detach()

print(x)
print(y)

# "The following cell raises a runtime error. This is expected behavior."
a = ng.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
try:
    ng.sin_(a)
except RuntimeError as e:
    print(f"RuntimeError: {e}")
else:
    raise SystemExit("expected a RuntimeError for an in-place op on a leaf that requires grad")
