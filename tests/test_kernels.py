"""CPU kernel paths: the scalar-broadcast loop must agree with the ufunc, op by op."""
import numpy as np
import pytest

import numgrad as ng
from numgrad.ops import registry

# elementwise ops with two or more operands (one-operand ops have none to broadcast)
ELEMENTWISE = sorted(name for name, op in registry.REGISTRY.items()
                     if op.impls.get("cpu") is registry._elementwise_cpu
                     and op.scalar.__code__.co_argcount >= 2)
N = registry._LOOP_MIN_SIZE + 37  # large enough for the loop path, not a multiple of 8


def _operands(nin, dtype, scalar_at):
    rng = np.random.default_rng(nin)
    arrays = []
    for i in range(nin):
        if i in scalar_at:
            arrays.append(np.asarray(rng.uniform(0.5, 2.0), dtype=dtype))
        else:
            arrays.append(rng.uniform(0.5, 2.0, size=(N // 37, 37)).astype(dtype))
    return arrays


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scalar_loop_matches_ufunc(name, dtype):
    op = registry.get(name)
    nin = op.scalar.__code__.co_argcount
    dtype = np.dtype(dtype)
    for scalar_at in ({nin - 1}, set(range(1, nin))):
        arrays = _operands(nin, dtype, scalar_at)
        assert registry.cpu_kernels.broadcast_scalars(arrays) is not None
        got = registry._elementwise_cpu(op, *arrays)
        want = op.kernel("cpu", dtype, nin)(*arrays)
        assert got.dtype == want.dtype == dtype
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_expanded_single_value_is_a_scalar_operand():
    a = np.arange(4096, dtype=np.float32).reshape(64, 64)
    g = np.broadcast_to(np.float32(3), (64, 64))  # what sum's backward produces
    shape, operands = registry.cpu_kernels.broadcast_scalars([g, a])
    assert shape == (64, 64) and operands[0] == 3 and operands[0].dtype == np.float32
    np.testing.assert_array_equal(registry._elementwise_cpu(registry.get("mul"), g, a), 3 * a)


def test_loop_path_not_taken_for_strided_or_mismatched_operands():
    a = np.ones((64, 64), np.float32)
    s = np.asarray(2.0, np.float32)
    assert registry.cpu_kernels.broadcast_scalars([a.T, s]) is None      # not C-contiguous
    assert registry.cpu_kernels.broadcast_scalars([a, a[:1]]) is None    # broadcasting, not 0-d
    assert registry.cpu_kernels.broadcast_scalars([a, a]) is None        # no 0-d operand


def test_scalar_operand_results_through_public_ops():
    x = ng.tensor(np.linspace(-3, 3, N, dtype=np.float32), requires_grad=True)
    y = (x * 2.0 - 1.0).clamp(-2.0, 2.0)
    np.testing.assert_array_equal(
        y.detach().numpy(), np.clip(np.linspace(-3, 3, N, dtype=np.float32) * np.float32(2)
                                    - np.float32(1), -2, 2))
    y.sum().backward()
    inside = np.abs(np.linspace(-3, 3, N, dtype=np.float32) * 2 - 1) <= 2
    np.testing.assert_array_equal(x.grad.numpy(), np.where(inside, 2.0, 0.0).astype(np.float32))


def _tuned_in_subprocess(**env_overrides) -> str:
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", "import numgrad; print(numgrad._malloc.TUNED)"],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_allocator_tuning_applies_on_glibc_and_can_be_turned_off():
    import platform
    if platform.libc_ver()[0] == "glibc":
        assert _tuned_in_subprocess() == "True"
    assert _tuned_in_subprocess(NUMGRAD_MALLOC_TUNING="0") == "False"
    assert _tuned_in_subprocess(MALLOC_TRIM_THRESHOLD_="131072") == "False"


@pytest.mark.parametrize("n", [7, N])  # ufunc path and loop path
def test_out_argument_writes_in_place_and_bumps_the_version(n):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
    for fn, ref in [(lambda x, y, out: ng.add(x, y, alpha=0.5, out=out), a + np.float32(0.5) * b),
                    (lambda x, y, out: ng.sub(x, y, out=out), a - b),
                    (lambda x, y, out: ng.mul(x, 3.0, out=out), a * np.float32(3)),
                    (lambda x, y, out: ng.div(x, y, rounding_mode="floor", out=out),
                     np.floor(a / b))]:
        x, y, out = ng.tensor(a.copy()), ng.tensor(b.copy()), ng.zeros(n)
        v = out._version[0]
        assert fn(x, y, out) is out
        np.testing.assert_allclose(out.numpy(), ref, rtol=1e-6)
        assert out._version[0] > v
        x_in = ng.tensor(a.copy())  # the output is also the first input
        fn(x_in, y, x_in)
        np.testing.assert_allclose(x_in.numpy(), ref, rtol=1e-6)


def test_out_argument_errors():
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ng.add(ng.ones(2, 3), ng.ones(3), out=ng.ones(3))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
        ng.add(ng.ones(3), ng.ones(3), out=ng.zeros(3, dtype=ng.int64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ng.mul(ng.ones(3, requires_grad=True), 2.0, out=ng.zeros(3))


@pytest.mark.parametrize("n", [7, N])
def test_inplace_arithmetic_fast_path_matches_the_general_one(n):
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(n).astype(np.float32) for _ in range(2))
    p = ng.tensor(a.copy())
    v = p._version[0]
    p.sub_(ng.tensor(b), alpha=0.1).mul_(2.0).add_(1).div_(ng.tensor(b))
    want = (((a - np.float32(0.1) * b) * np.float32(2)) + np.float32(1)) / b
    np.testing.assert_allclose(p.numpy(), want, rtol=1e-6)
    assert p._version[0] == v + 4
    # overlapping operands: the kernel must read before it writes
    w = ng.tensor(np.arange(n, dtype=np.float32))
    w[:-1].add_(w[1:])
    np.testing.assert_array_equal(w.numpy()[:-1], 2 * np.arange(n - 1, dtype=np.float32) + 1)


def test_inplace_on_tensor_saved_for_backward_is_still_detected():
    x = ng.ones(N, requires_grad=True)
    y = ng.ones(N)
    z = x * y  # saves y
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
