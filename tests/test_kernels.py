"""CPU kernel paths: the scalar-broadcast loop must agree with the ufunc, op by op."""
import numpy as np
import pytest

import numgrad as ng
from numgrad.ops import registry

# elementwise ops with two or more operands (one-operand ops have none to broadcast)
# (those with a numpy composition for large arrays are checked against their formula below)
ELEMENTWISE = sorted(name for name, op in registry.REGISTRY.items()
                     if op.impls.get("cpu") is registry._elementwise_cpu
                     and op.scalar.__code__.co_argcount >= 2 and op.cpu_numpy is None)
N = registry._LOOP_MIN_SIZE + 37  # large enough for the loop path, not a multiple of 8


def _operands(dtype, kinds):
    """One operand per letter: F a full (N // 37, 37) array, R a (37,) row broadcast
    over it, S a 0-d value."""
    rng = np.random.default_rng(len(kinds))
    make = {"F": lambda: rng.uniform(0.5, 2.0, size=(N // 37, 37)),
            "R": lambda: rng.uniform(0.5, 2.0, size=37),
            "S": lambda: np.asarray(rng.uniform(0.5, 2.0))}
    return [make[k]().astype(dtype) for k in kinds]


def _layouts(nin):
    yield "F" + "S" * (nin - 1)
    yield "F" * (nin - 1) + "S"
    if nin >= 3:
        yield "FR" + "S" * (nin - 2)
        yield "RF" + "S" * (nin - 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_scalar_loop_matches_ufunc(name, dtype):
    op = registry.get(name)
    nin = op.scalar.__code__.co_argcount
    dtype = np.dtype(dtype)
    for kinds in _layouts(nin):
        arrays = _operands(dtype, kinds)
        assert registry.cpu_kernels.broadcast_plan(arrays) is not None, kinds
        got = registry._elementwise_cpu(op, *arrays)
        want = op.kernel("cpu", dtype, nin)(*arrays)
        assert got.dtype == want.dtype == dtype
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_expanded_single_value_is_a_scalar_operand():
    a = np.arange(4096, dtype=np.float32).reshape(64, 64)
    g = np.broadcast_to(np.float32(3), (64, 64))  # what sum's backward produces
    shape, grid, operands = registry.cpu_kernels.broadcast_plan([g, a])
    assert shape == (64, 64) and grid == (1, 4096) and operands[0] == 3 and operands[0].dtype == np.float32
    np.testing.assert_array_equal(registry._elementwise_cpu(registry.get("mul"), g, a), 3 * a)


def test_loop_path_cases():
    a = np.ones((64, 64), np.float32)
    s = np.asarray(2.0, np.float32)
    plan = registry.cpu_kernels.broadcast_plan
    shape, grid, ops = plan([a.T, s])              # not C-contiguous: copied
    assert grid == (1, 4096) and ops[0].flags.c_contiguous
    np.testing.assert_array_equal(registry._elementwise_cpu(registry.get("mul"), a.T, s), a.T * s)
    assert plan([a, a[:1]]) is None                # a row broadcast, but no single value
    assert plan([a, a]) is None                    # no single value
    assert plan([a, a[:, :1], s]) is None          # a column broadcast
    assert plan([a, np.ones((3, 64), np.float32), s]) is None  # not a broadcast of a's shape
    assert plan([a, a[:1], s])[1] == (64, 64)      # row and value: the loop's case


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


def test_inplace_arithmetic_shape_error_leaves_the_tensor_intact():
    p = ng.ones(3)
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        p.add_(ng.ones(2, 3))
    np.testing.assert_array_equal(p.numpy(), np.ones(3, dtype=np.float32))
    assert p._version[0] == 0


@pytest.mark.parametrize("rows, inner, cols", [(16, 1000, 100), (1, 7, 5), (5, 3, 9), (40, 6, 9)])
def test_matrix_product_with_a_transposed_operand(rows, inner, cols):
    # x @ W.T with W row-major (nn.Linear's layout) runs transposed when x has fewer rows
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, inner)).astype(np.float32)
    w = rng.standard_normal((cols, inner)).astype(np.float32)
    b = rng.standard_normal(cols).astype(np.float32)
    want = x.astype(np.float64) @ w.T.astype(np.float64)
    for got in (ng.matmul(ng.tensor(x), ng.tensor(w).T),
                ng.nn.functional.linear(ng.tensor(x), ng.tensor(w), ng.tensor(b)) - ng.tensor(b)):
        assert got.is_contiguous()
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-4)
    y = ng.nn.functional.linear(ng.tensor(x[None].repeat(2, 0)), ng.tensor(w), ng.tensor(b))
    assert y.shape == (2, rows, cols)
    np.testing.assert_allclose(y.numpy()[1], want + b, rtol=1e-4, atol=1e-4)


def test_cached_scalar_operands_keep_the_sign_of_zero():
    x = ng.tensor([-0.0])
    assert np.signbit((x - 0.0).numpy()[0])       # -0 - 0 = -0
    assert not np.signbit((x - -0.0).numpy()[0])  # -0 - (-0) = +0
    assert np.signbit((x + -0.0).numpy()[0])


@pytest.mark.parametrize("dims", [(0,), (1,), (2,), (0, 1), (1, 2), (0, 2), (0, 1, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_over_blocks_of_dims_matches_numpy(dims, keepdim):
    # 3000 elements: past the small-array numpy path, through the middle-axis kernel
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 25, 20))
    for x in (a, a.transpose(1, 0, 2)):  # C-contiguous and not
        got = ng.tensor(x.astype(np.float32)).sum(dims, keepdim=keepdim)
        np.testing.assert_allclose(got.numpy(), x.sum(dims, keepdims=keepdim), rtol=1e-5, atol=1e-4)
        assert got.dtype == ng.float32


@pytest.mark.parametrize("shape", [(10, 1), (7,), (3, 4, 5), (0,), (2, 0), (5000,)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_full_sums_match_numpy(shape, dtype):
    # full reductions of contiguous arrays run one kernel (cpu.sum_all) at every size
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    for keepdim in (False, True):
        got = ng.tensor(x).sum(tuple(range(x.ndim)), keepdim=keepdim)
        want = x.sum(keepdims=keepdim)
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-4)
    mean = ng.tensor(x).mean().numpy()
    if x.size:
        np.testing.assert_allclose(mean, x.mean(), rtol=1e-5, atol=1e-5)
    else:
        assert np.isnan(mean)  # the mean of nothing


# (ops of up to three inputs: one varying, two parameters; tests/test_densities.py checks the
# four- and five-input log-density compositions)
CPU_UFUNC_OPS = sorted(name for name, op in registry.REGISTRY.items()
                       if op.cpu_numpy is not None and op.scalar.__code__.co_argcount <= 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CPU_UFUNC_OPS)
def test_numpy_cpu_kernel_agrees_with_the_scalar_formula(name, dtype):
    # the CPU runs numpy's ufunc; other devices compile the scalar formula: both must agree
    op = registry.get(name)
    dtype = np.dtype(dtype)
    x = np.concatenate([np.linspace(-3, 3, 97), [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, 20.0, -20.0,
                                                 np.inf, -np.inf, np.nan]]).astype(dtype)
    nin = op.scalar.__code__.co_argcount
    args = [x] + [np.asarray(v, dtype) for v in (1.5, 20.0)[:nin - 1]]  # softplus: beta, threshold
    if nin == 1:
        assert op.kernel("cpu", dtype, 1) is op.cpu_numpy
    else:  # a composition, used from registry._LOOP_MIN_SIZE elements on
        big = [np.resize(x, N)] + args[1:]
        np.testing.assert_array_equal(registry._elementwise_cpu(op, *big), op.cpu_numpy(*big))
    formula = registry.KERNEL_BUILDERS["cpu"](op.scalar_f32 if dtype == np.float32 and op.scalar_f32
                                              else op.scalar, nin, dtype)
    with np.errstate(all="ignore"):
        want, got = formula(*args), op.cpu_numpy(*args)
        scalar_got = op.cpu_numpy(*[a[..., 1] if a.ndim else a for a in args])
    assert np.asarray(scalar_got).dtype == dtype  # 0-d inputs too
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=4e-6 if dtype == np.float32 else 1e-13, atol=1e-30)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_vectorizable_exp_is_within_two_ulp_of_exp(dtype):
    import numba

    from numgrad.kernels import vmath

    @numba.njit(error_model="numpy")
    def run(a, out):
        for i in range(a.shape[0]):
            out[i] = vmath.exp(a[i])
        return out

    lo, hi = (-110.0, 95.0) if dtype == np.float32 else (-760.0, 720.0)
    edges = [0.0, -0.0, np.inf, -np.inf, np.nan, 88.72, 88.73, -87.3, -103.9, 709.78, 709.79,
             -745.1, -745.2, 1e-30, -1e-30]
    x = np.concatenate([np.linspace(lo, hi, 200_001), edges]).astype(dtype)
    with np.errstate(all="ignore"):
        want = np.exp(x.astype(np.longdouble))
        got = run(x, np.empty_like(x))
        want_d = want.astype(dtype)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want_d))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want_d))
    np.testing.assert_array_equal(got == 0, want_d == 0)
    normal = np.isfinite(want_d) & (want_d >= np.finfo(dtype).tiny)
    ulp = np.spacing(want_d[normal]).astype(np.longdouble)
    assert np.max(np.abs(got[normal] - want[normal]) / ulp) <= 2
    assert vmath.exp(1.0) == np.exp(1.0)  # plain Python (the CUDA simulator) gets math.exp


@pytest.mark.parametrize("index", [[0, 3, 3, -1, 2, 0], [[1, -4], [1, 1]]])
def test_row_scatter_add_matches_np_add_at(index):
    # x[index] backward and index_put(accumulate=True) with repeated and negative rows
    rng = np.random.default_rng(3)
    x = ng.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    i = ng.tensor(np.array(index))
    w = rng.standard_normal(np.shape(index) + (3,))
    (x[i] * ng.tensor(w)).sum().backward()
    want = np.zeros((4, 3))
    np.add.at(want, np.array(index), w)
    np.testing.assert_allclose(x.grad.numpy(), want)
    v = rng.standard_normal(3)  # broadcast over the selected rows
    got = ng.zeros(4, 3, dtype=ng.float64).index_put((i,), ng.tensor(v), accumulate=True)
    want = np.zeros((4, 3))
    np.add.at(want, np.array(index), np.broadcast_to(v, np.shape(index) + (3,)))
    np.testing.assert_allclose(got.numpy(), want)


def test_arg_reductions_take_the_first_nan_then_the_first_tie():
    x = ng.tensor([[1.0, 3.0, 3.0, 0.0], [2.0, np.nan, 5.0, np.nan], [4.0, 4.0, -1.0, -1.0]])
    assert ng.argmax(x, 1).tolist() == [1, 1, 0]
    assert ng.argmin(x, 1).tolist() == [3, 1, 2]
    values, indices = x.max(1)
    assert indices.tolist() == [1, 1, 0] and np.isnan(values.numpy()[1])
    assert x.min(0)[1].tolist() == [0, 1, 2, 1]


def test_scalar_loop_divides_by_zero_as_the_ufunc_does():
    # the loop path (from registry._LOOP_MIN_SIZE elements) must give inf / nan, not raise
    x = np.tile(np.array([1.0, -1.0, 0.0], dtype=np.float32), N)
    with np.errstate(all="ignore"):
        want = x / np.float32(0.0)
    np.testing.assert_array_equal((ng.tensor(x) / 0.0).numpy(), want)
    y = ng.tensor(x)
    y.div_(0.0)
    np.testing.assert_array_equal(y.numpy(), want)
