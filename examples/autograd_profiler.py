"""Seed 002, "autograd profiler": time 1000 iterations of z = (z / x) * y.

The tutorial's code with `import torch` replaced by `import numgrad as ng`.
"""
import numgrad as ng

device = ng.device('cpu')
run_on_gpu = False
if ng.cuda.is_available():
    device = ng.device('cuda')
    run_on_gpu = True

x = ng.randn(2, 3, requires_grad=True)
y = ng.rand(2, 3, requires_grad=True)
z = ng.ones(2, 3, requires_grad=True)

with ng.autograd.profiler.profile(use_cuda=run_on_gpu) as prf:
    for _ in range(1000):
        z = (z / x) * y

print(prf.key_averages().table(sort_by='self_cpu_time_total'))
