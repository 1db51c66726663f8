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
