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
    """One batched backward pass: the rows of the identity are the cotangents."""
    return ng.autograd.functional.jacobian(g, ng.tensor(x)).numpy()


def hessian(x: np.ndarray) -> np.ndarray:
    """Reverse over reverse: one batched backward pass over the gradient's graph."""
    return ng.autograd.functional.hessian(logsumexp, ng.tensor(x)).numpy()


def mlp(n: int):
    """A two-layer tanh MLP R^n -> R^n and a scalar loss on it, float64."""
    rng = np.random.default_rng(0)
    w1 = ng.tensor(rng.standard_normal((n, n)) / np.sqrt(n))
    w2 = ng.tensor(rng.standard_normal((n, n)) / np.sqrt(n))

    def f(x):
        return ng.tanh(ng.tanh(x @ w1) @ w2)

    def loss(x):
        return (f(x) ** 2).sum()
    return f, loss


def batched_vs_rows(n: int = 128) -> bool:
    """Print batched and row-by-row jacobian / hessian timings; check they agree."""
    f, loss = mlp(n)
    x = ng.tensor(np.linspace(-1, 1, n))
    F = ng.autograd.functional
    ok = True
    print(f"batched (one pass) vs row by row ({n} passes), {n}-dim tanh MLP, float64:")
    for name, fn, arg in [("jacobian", F.jacobian, f), ("hessian", F.hessian, loss)]:
        fn(arg, x)  # compile the kernels outside the timings
        times, results = [], []
        for vectorize in (True, False):
            t0 = time.perf_counter()
            results.append(fn(arg, x, vectorize=vectorize).numpy())
            times.append(time.perf_counter() - t0)
        same = np.allclose(results[0], results[1], rtol=1e-10, atol=1e-12)
        ok &= same
        print(f"  {name:8s} batched {times[0] * 1e3:8.2f} ms   row by row {times[1] * 1e3:8.2f} ms   "
              f"speed-up {times[1] / times[0]:5.1f}x   {'same result' if same else 'MISMATCH'}")
    print()
    return ok


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
    try:
        ok &= batched_vs_rows()
    except Exception as e:
        print(f"batched vs row-by-row: FAILED with {type(e).__name__}: {e}\n")
        ok = False
    print("all checks passed" if ok else "SELF-CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
