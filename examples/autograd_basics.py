"""Seed 002, "a simple example": sin on [0, 2*pi], the grad_fn chain, and d(out)/da = 2*cos(a).

The tutorial's code with `import torch` replaced by `import numgrad as ng`.
Plots go to examples/out/ when matplotlib is installed.
"""
import math
from pathlib import Path

import numgrad as ng

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    plt = None
OUT = Path(__file__).resolve().parent / "out"


def save_plot(x, y, name):
    """Plot y against x into examples/out/<name>.png (skipped without matplotlib)."""
    if plt is None:
        print(f"(matplotlib not installed: skipping {name}.png)")
        return
    OUT.mkdir(exist_ok=True)
    plt.figure()
    plt.plot(x, y)
    plt.savefig(OUT / f"{name}.png")
    plt.close()


a = ng.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
print(a)

b = ng.sin(a)
save_plot(a.detach(), b.detach(), "sin")
print(b)

c = 2 * b
print(c)

d = c + 1
print(d)

out = d.sum()
print(out)

print('d:')
print(d.grad_fn)
print(d.grad_fn.next_functions)
print(d.grad_fn.next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions)
print('\nc:')
print(c.grad_fn)
print('\nb:')
print(b.grad_fn)
print('\na:')
print(a.grad_fn)

out.backward()
print(a.grad)
save_plot(a.detach(), a.grad.detach(), "sin_grad")

# only leaves get .grad: c is an intermediate result
print(c.grad)
