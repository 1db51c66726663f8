"""`python -m numgrad`: a short self-check and demo.

Computes a gradient, a jacobian and a hessian of small functions, prints them
with timings (the first call includes Numba compilation) and checks them
against closed forms. Exit code 1 if any check fails.
"""
from __future__ import annotations

import sys
import time

import numpy as np

import numgrad as ng


def logsumexp(x: ng.Tensor) -> ng.Tensor:
    """f(x) = log(sum(exp(x))); grad f = softmax(x), hessian = diag(p) - p p^T."""
    return ng.log(ng.exp(x).sum())


def g(x: ng.Tensor) -> ng.Tensor:
    """g(x) = sin(x) * sum(x^2); jacobian = diag(cos(x) * s) + 2 sin(x) x^T."""
    return ng.sin(x) * (x * x).sum()


def gradient(x: np.ndarray) -> np.ndarray:
    t = ng.tensor(x, requires_grad=True)
    return ng.autograd.grad(logsumexp(t), t)[0].numpy()


def jacobian(x: np.ndarray) -> np.ndarray:
    functional = getattr(ng.autograd, "functional", None)
    if functional is not None and hasattr(functional, "jacobian"):
        return functional.jacobian(g, ng.tensor(x)).numpy()
    # one batched backward pass: the rows of the identity are the cotangents
    t = ng.tensor(x, requires_grad=True)
    y = g(t)
    eye = ng.eye(y.numel(), dtype=y.dtype)
    return ng.autograd.grad(y, t, eye, is_grads_batched=True)[0].numpy()


def hessian(x: np.ndarray) -> np.ndarray:
    t = ng.tensor(x, requires_grad=True)
    (grad,) = ng.autograd.grad(logsumexp(t), t, create_graph=True)
    eye = ng.eye(t.numel(), dtype=t.dtype)
    return ng.autograd.grad(grad, t, eye, is_grads_batched=True)[0].numpy()


def _timed(fn, x):
    t0 = time.perf_counter()
    out = fn(x)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    fn(x)
    warm = time.perf_counter() - t0
    return out, first, warm


def main() -> int:
    x = np.array([0.5, -1.0, 2.0, 0.25])
    p = np.exp(x) / np.exp(x).sum()
    s = (x * x).sum()
    expected = {
        "gradient of log(sum(exp(x)))": p,
        "jacobian of sin(x) * sum(x**2)": np.diag(np.cos(x) * s) + 2 * np.outer(np.sin(x), x),
        "hessian of log(sum(exp(x)))": np.diag(p) - np.outer(p, p),
    }
    fns = [gradient, jacobian, hessian]
    np.set_printoptions(precision=6, suppress=True)
    print(f"numgrad {ng.__version__} self-check at x = {x}\n")
    ok = True
    for (title, want), fn in zip(expected.items(), fns):
        try:
            got, first, warm = _timed(fn, x)
            good = got.shape == want.shape and np.allclose(got, want, rtol=1e-10, atol=1e-12)
            err = np.abs(got - want).max() if got.shape == want.shape else float("inf")
        except Exception as e:  # report every check, not just the first failure
            print(f"{title}: FAILED with {type(e).__name__}: {e}\n")
            ok = False
            continue
        print(f"{title}  (first call {first * 1e3:.1f} ms, warm {warm * 1e3:.2f} ms)")
        print(got)
        print(f"max |error| vs closed form: {err:.2e}  {'ok' if good else 'MISMATCH'}\n")
        ok &= good
    print("all checks passed" if ok else "SELF-CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
