"""Seed 002, "advanced topics" and "high-level API": backward with a gradient vector,
jacobian of exp_adder, and vjp of do_some_doubling.

The tutorial's code with `import torch` replaced by `import numgrad as ng`.
"""
import numgrad as ng

x = ng.randn(3, requires_grad=True)

y = x * 2
while y.data.norm() < 1000:
    y = y * 2

print(y)

v = ng.tensor([0.1, 1.0, 0.0001], dtype=ng.float) # stand-in for gradients
y.backward(v)

print(x.grad)

def exp_adder(x, y):
    return 2 * x.exp() + 3 * y

inputs = (ng.rand(1), ng.rand(1)) # arguments for the function
print(inputs)
print(ng.autograd.functional.jacobian(exp_adder, inputs))

inputs = (ng.rand(3), ng.rand(3)) # arguments for the function
print(inputs)
print(ng.autograd.functional.jacobian(exp_adder, inputs))

def do_some_doubling(x):
    y = x * 2
    while y.data.norm() < 1000:
        y = y * 2
    return y

inputs = ng.randn(3)
my_gradients = ng.tensor([0.1, 1.0, 0.0001])
print(ng.autograd.functional.vjp(do_some_doubling, inputs, v=my_gradients))
