"""PyTorch semantics at the edges: type promotion, reductions of nothing or of
constants, formatting, matmul's dtype and size errors, grad-mode decorators."""
import numpy as np
import pytest

import numgrad as ng


def test_zero_dim_tensor_of_higher_category_decides_the_dtype():
    i64, f64 = ng.ones(2, dtype=ng.int64), ng.tensor(2.0, dtype=ng.float64)
    assert (i64 * f64).dtype == ng.float64 and (f64 * i64).dtype == ng.float64
    assert (i64 * 2.5).dtype == ng.float32  # a Python float: the default dtype
    assert (ng.ones(2, dtype=ng.int32) * ng.tensor(3)).dtype == ng.int32  # same category
    assert (ng.ones(2, dtype=ng.bool) * ng.tensor(3, dtype=ng.int32)).dtype == ng.int32
    assert (ng.ones(2) * ng.tensor(2.0, dtype=ng.float64)).dtype == ng.float32


def test_std_of_a_constant_has_zero_derivatives():
    x = ng.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]], dtype=ng.float64, requires_grad=True)
    x.std(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-0.5, 0, 0.5]])
    with ng.autograd.forward_ad.dual_level():
        d = ng.autograd.forward_ad.make_dual(ng.ones(4, dtype=ng.float64),
                                              ng.ones(4, dtype=ng.float64))
        assert ng.autograd.forward_ad.unpack_dual(d.std()).tangent.item() == 0.0


def test_mean_and_var_of_nothing_are_nan():
    assert np.isnan(ng.zeros(0).mean().item()) and np.isnan(ng.zeros(0).var().item())
    m = ng.zeros(3, 0, 2).mean(1)
    assert m.shape == (3, 2) and np.isnan(m.numpy()).all()
    assert ng.zeros(3, 0, 2).std(1, keepdim=True).shape == (3, 1, 2)


@pytest.mark.parametrize("fn", ["sum", "mean", "var", "std", "amax", "amin", "logsumexp"])
def test_reducing_an_empty_list_of_dims_reduces_every_dim(fn):
    x = ng.tensor(np.arange(6.0).reshape(2, 3))
    for dim in ((), []):
        got = getattr(ng, fn)(x, dim=dim)
        assert got.shape == ()
        np.testing.assert_allclose(got.numpy(), getattr(ng, fn)(x).numpy())
    assert ng.linalg.vector_norm(x, dim=()).shape == ()


def test_format_spec_of_one_element():
    assert f"{ng.tensor(1.23456):.2f}" == "1.23"
    assert f"{ng.tensor(3)}" == "3"
    with pytest.raises(TypeError):
        f"{ng.ones(2):.2f}"


def test_matmul_refuses_mixed_dtypes_and_names_sizes_as_pytorch():
    with pytest.raises(RuntimeError, match="^expected m1 and m2 to have the same dtype, but got: "
                       "float != double$"):
        ng.ones(2, 3) @ ng.ones(3, 2, dtype=ng.float64)
    with pytest.raises(RuntimeError, match="but got: long int != float$"):
        ng.mm(ng.ones(2, 3, dtype=ng.int64), ng.ones(3, 2))
    with pytest.raises(RuntimeError, match="^dot : expected both vectors to have same dtype, but "
                       "found Float and Double$"):
        ng.ones(3) @ ng.ones(3, dtype=ng.float64)
    with pytest.raises(RuntimeError, match=r"^inconsistent tensor size, expected tensor \[3\] and "
                       r"src \[4\] to have the same number of elements, but got 3 and 4 elements "
                       "respectively$"):
        ng.ones(3) @ ng.ones(4)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of "
                       r"tensor b \(3\) at non-singleton dimension 0"):
        ng.ones(2, 3, 4) @ ng.ones(3, 4, 5)


def test_grad_mode_decorators_without_parentheses_and_on_generators():
    x = ng.ones(2, requires_grad=True)

    @ng.no_grad
    def f(t):
        return t * 2

    @ng.enable_grad
    def g(t):
        return t * 2
    assert not f(x).requires_grad
    with ng.no_grad():
        assert g(x).requires_grad

    @ng.no_grad()
    def steps(t):
        sent = yield t * 2
        yield t * 3, ng.is_grad_enabled(), sent
    it = steps(x)
    first = next(it)
    assert ng.is_grad_enabled()  # the caller's mode between steps
    second, enabled, sent = it.send(5)
    assert not first.requires_grad and not second.requires_grad
    assert not enabled and sent == 5
    with pytest.raises(StopIteration):
        next(it)


def test_det_is_differentiable_at_singular_matrices():
    # rank n-1: the derivative (the cofactor matrix) is not zero; rank n-2: it is
    for a, want in (([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
                    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]],
                     [[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]]),
                    ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]], np.zeros((3, 3)))):
        A = ng.tensor(a, dtype=ng.float64, requires_grad=True)
        ng.linalg.det(A).backward()
        np.testing.assert_allclose(A.grad.numpy(), want, atol=1e-12)
        assert ng.autograd.gradcheck(ng.linalg.det, (A,), check_forward_ad=True,
                                     check_batched_grad=True)
        assert ng.autograd.gradgradcheck(ng.linalg.det, (A,))
    batch = ng.tensor([[[1.0, 2.0], [2.0, 4.0]], [[2.0, 1.0], [0.5, 3.0]]], dtype=ng.float64,
                      requires_grad=True)
    assert ng.autograd.gradcheck(ng.linalg.det, (batch,), check_forward_ad=True)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "cumsum"])
def test_row_ops_over_an_empty_dim(fn):
    for shape, dim in (((2, 0), 1), ((2, 0), 0), ((0, 3), 1)):
        x = ng.zeros(*shape, requires_grad=True)
        y = getattr(x, fn)(dim)
        y.sum().backward()
        assert y.shape == shape and x.grad.shape == shape


def test_device_object_and_scalar_conversion_errors():
    x = ng.ones(2)
    assert x.device == "cpu" and x.device.type == "cpu" and x.device.index is None
    assert repr(x.device) == "device(type='cpu')" and not x.is_cuda
    assert ng.zeros(2, device=x.device).device == x.device
    assert repr(ng.device("cuda:1")) == "device(type='cuda', index=1)"
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python "
                       "scalars"):
        float(ng.ones(2))
    with pytest.raises(RuntimeError, match=r"amax\(\): Expected reduction dim to be specified for "
                       r"input.numel\(\) == 0"):
        ng.zeros(0).amax()
    with pytest.raises(IndexError, match=r"max\(\): Expected reduction dim 1 to have non-zero "
                       "size"):
        ng.zeros(2, 0).max(1)


def test_modified_saved_tensor_error_names_the_op_that_wrote_it():
    x = ng.ones(3, requires_grad=True)
    y = x.exp()
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[3\]\], which is output 0 of "
                       r"Add, is at version 1; expected version 0 instead"):
        z.sum().backward()
    y = x.exp()
    y.add_(1)  # exp saved its output
    with pytest.raises(RuntimeError, match="which is output 0 of Exp, is at version 1"):
        y.sum().backward()
    w = ng.ones(3)
    z = x * w
    w.add_(1)  # a tensor outside the graph: no producing op to name
    with pytest.raises(RuntimeError, match=r"\[torch.FloatTensor \[3\]\] is at version 1"):
        z.sum().backward()


def test_operators_and_matrix_transpose():
    a, b = ng.tensor([5, 6]), ng.tensor([2, 4])
    for got, want in ((a + b, [7, 10]), (1 - a, [-4, -5]), (7 // b, [3, 1]), (13 % b, [1, 1]),
                      (2 ** b, [4, 16]), (a & b, [0, 4]), (3 | b, [3, 7]), (a ^ b, [7, 2])):
        np.testing.assert_array_equal(got.numpy(), want)
    x = ng.ones(2)
    x += 1
    x *= 4
    x //= 3
    x %= 2
    np.testing.assert_array_equal(x.numpy(), [0.0, 0.0])
    assert ng.ones(2, 3).mT.shape == (3, 2)
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches "
                       "of matrices. Got 1-D tensor."):
        ng.ones(3).mT


def test_legacy_constructor_unary_plus_and_view_strictness():
    assert ng.Tensor([1, 2]).dtype == ng.float32 and ng.Tensor(2, 3).shape == (2, 3)
    assert ng.Tensor().shape == (0,) and ng.Tensor(ng.tensor([1, 2])).dtype == ng.int64
    with pytest.raises(TypeError, match=r"new\(\): data must be a sequence \(got float\)"):
        ng.Tensor(2.5)
    x = ng.ones(2, 3)
    assert (+x) is x
    assert x.view(6).shape == (6,) and x.T.view(3, 2).shape == (3, 2)
    with pytest.raises(RuntimeError, match=r"view size is not compatible with input tensor's size "
                       r"and stride .* Use .reshape\(...\) instead."):
        x.T.view(-1)
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can "
                       "require gradients$"):
        ng.zeros(2, dtype=ng.int64, requires_grad=True)


def test_leaky_relu_second_derivative_is_zero_and_linear_refuses_mixed_dtypes():
    A = ng.from_numpy(np.random.default_rng(0).standard_normal((3, 3)))
    x = ng.tensor([0.3, -0.2, 0.5], dtype=ng.float64, requires_grad=True)
    g, = ng.autograd.grad(ng.nn.functional.leaky_relu(A @ x).sum(), x, create_graph=True)
    assert g.requires_grad  # connected, as PyTorch's leaky_relu_backward
    h, = ng.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.numpy(), np.zeros(3))
    with pytest.raises(RuntimeError, match="^mat1 and mat2 must have the same dtype, but got "
                       "Double and Float$"):
        ng.nn.Linear(2, 1)(ng.ones(1, 2, dtype=ng.float64))


def test_div_gradient_in_a_tiny_denominator_does_not_underflow():
    # -g * a / b**2 computed as -(g * ((a / b) / b)), as PyTorch: b * b underflows to 0
    a = ng.tensor(0., dtype=ng.float64)
    b = ng.tensor(1e-160, dtype=ng.float64, requires_grad=True)
    (a / b).backward()
    assert b.grad.item() == 0.0
    a = ng.tensor(3., dtype=ng.float64, requires_grad=True)
    b = ng.tensor(1e-100, dtype=ng.float64, requires_grad=True)
    g, = ng.autograd.grad(a / b, b, create_graph=True)
    assert g.item() == -3e200
    gg, = ng.autograd.grad(g, b)
    assert gg.item() == pytest.approx(6e300)  # 2 a / b**3 (PyTorch's order overflows to inf)


@pytest.mark.parametrize("data, text", [
    ([1., -1.], "tensor([ 1., -1.])"),
    ([float("nan"), 0.], "tensor([nan, 0.])"),
    ([float("-inf"), float("nan")], "tensor([-inf, nan])"),
    ([[1., 2.], [-3., 4.]], "tensor([[ 1.,  2.],\n        [-3.,  4.]])"),
    ([-0.5, 1e-5], "tensor([-5.0000e-01,  1.0000e-05])"),
    ([0.01, 100.], "tensor([1.0000e-02, 1.0000e+02])"),
    ([float("nan"), 1e-5], "tensor([       nan, 1.0000e-05])"),
    ([1.5, -2.25], "tensor([ 1.5000, -2.2500])"),
    ([[1.], [-10.]], "tensor([[  1.],\n        [-10.]])"),
    ([[]], "tensor([], size=(1, 0))"),
    (3.5, "tensor(3.5000)"),
    ([True, False], "tensor([ True, False])"),
])
def test_repr_matches_pytorch(data, text):
    assert repr(ng.tensor(data)) == text


def test_repr_wraps_and_summarizes_as_pytorch():
    assert repr(ng.arange(30.) - 5) == (
        "tensor([-5., -4., -3., -2., -1.,  0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,\n"
        "         9., 10., 11., 12., 13., 14., 15., 16., 17., 18., 19., 20., 21., 22.,\n"
        "        23., 24.])")
    assert repr(ng.arange(2000.)) == (
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n"
        "        1.9990e+03])")
    assert repr(ng.arange(12.).reshape(2, 2, 3)) == (
        "tensor([[[ 0.,  1.,  2.],\n         [ 3.,  4.,  5.]],\n\n"
        "        [[ 6.,  7.,  8.],\n         [ 9., 10., 11.]]])")


def test_finfo_and_iinfo():
    assert ng.finfo(ng.float32).eps == 2.0 ** -23
    assert ng.finfo().tiny == 2.0 ** -126  # the default dtype, float32
    assert ng.finfo(ng.ones(2, dtype=ng.float64).dtype).max == 1.7976931348623157e308
    assert ng.iinfo(ng.int64).max == 2 ** 63 - 1
    with pytest.raises(TypeError, match=r"torch.finfo\(\) requires a floating point input type"):
        ng.finfo(ng.int64)
    with pytest.raises(TypeError, match=r"torch.iinfo\(\) requires an integer input type"):
        ng.iinfo(ng.float32)


def test_nan_to_num_gradient_is_zero_where_replaced():
    x = ng.tensor([1.0, float("nan"), float("inf"), -float("inf")], requires_grad=True)
    y = x.nan_to_num()
    assert y.tolist()[:2] == [1.0, 0.0] and y[2].item() == np.finfo(np.float32).max
    (y * ng.tensor([2.0, 3.0, 4.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0, 0.0]
    assert ng.nan_to_num(ng.tensor([1, 2])).tolist() == [1, 2]


def test_broadcast_error_is_pytorch_s():
    with pytest.raises(RuntimeError) as e:
        ng.zeros(2) - ng.zeros(3)
    assert str(e.value) == ("The size of tensor a (2) must match the size of tensor b (3) at "
                            "non-singleton dimension 0")


def test_reducing_a_repeated_dim_is_refused():
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        ng.zeros(2, 3).sum((0, -2))
    assert ng.ones(2, 3).sum((1, 0)).item() == 6.0


def test_vector_norm_below_one_has_zero_gradient_at_zero_components():
    x = ng.tensor([0.0, 1.0, -2.0], dtype=ng.float64, requires_grad=True)
    g, = ng.autograd.grad(ng.linalg.vector_norm(x, 0.5), x)
    assert g[0].item() == 0.0 and np.isfinite(g.numpy()).all()
    z = ng.zeros(2, dtype=ng.float64, requires_grad=True)
    assert ng.autograd.grad(ng.linalg.vector_norm(z, 0.5), z)[0].tolist() == [0.0, 0.0]


def test_empty_tensor_repr_shows_any_non_default_dtype():
    assert repr(ng.zeros(0, dtype=ng.int64)) == "tensor([], dtype=torch.int64)"
    assert repr(ng.tensor([1, 2])) == "tensor([1, 2])"
