"""gradcheck / gradgradcheck behave like PyTorch's on inputs and outputs it rejects or
special-cases (expected messages are PyTorch's, observed with the same float64 data)."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import numgrad as ng
from numgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck
from numgrad.autograd.gradcheck import numerical_jacobian

NO_INPUT_REQUIRES_GRAD = ("gradcheck expects at least one input tensor to require gradient, "
                          "but none of them have requires_grad=True.")
NOT_MULTIPLIED = "backward not multiplied by grad_output"
UNDEFINED_NOT_HANDLED = "Expected backward function to handle undefined output grads."
UNDEFINED_NOT_ZERO = ("Expected all input grads to be undefined or zero when all output grads "
                      "are undefined or zero.")
EXPECTED_ZERO = "Numerical gradient for function expected to be zero"
STRIDE_0 = ("The 0th input has a dimension with stride 0. gradcheck only supports inputs that are "
            "non-overlapping to be able to compute the numerical gradients correctly. You should "
            "call .contiguous on the input before passing it to gradcheck.")


def leaf(*shape: int) -> ng.Tensor:
    data = np.linspace(0.1, 1.2, int(np.prod(shape))).reshape(shape)
    return ng.tensor(data, dtype=ng.float64, requires_grad=True)


def exactly(msg: str) -> str:
    return "^" + re.escape(msg) + "$"


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 2 * x


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, g):
        return g * 3


class NotMultiplied(Function):
    """sin whose backward adds 1 when the cotangent is all zero."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.sin()

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x.cos() + ng.where(g.abs().sum() == 0, ng.ones((), dtype=ng.float64), 0.0)


class MishandlesUndefined(Function):
    """(2x, 3x) whose backward goes wrong only when one output grad is undefined (None)
    and the other is zero: it then raises, or returns ones, by `mode`."""
    mode = "raise"

    @staticmethod
    def forward(ctx, x):
        ctx.set_materialize_grads(False)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, ga, gb):
        if ga is None and gb is None:
            return None
        if ga is None or gb is None:
            g = gb if ga is None else ga
            if not g.abs().sum().item():
                if MishandlesUndefined.mode == "raise":
                    raise RuntimeError("cannot handle an undefined grad")
                return ng.ones_like(g)
        return (0 if ga is None else ga * 2) + (0 if gb is None else gb * 3)


# ----- 1. at least one input must require grad --------------------------------------------

def test_no_input_requiring_grad_raises_value_error():
    x = ng.ones(3, dtype=ng.float64)
    with pytest.raises(ValueError, match=exactly(NO_INPUT_REQUIRES_GRAD)):
        gradcheck(lambda a: a * 2, (x,))
    with pytest.raises(ValueError, match=exactly(NO_INPUT_REQUIRES_GRAD)):
        gradcheck(lambda a: a * 2, (x,), raise_exception=False)
    with pytest.raises(ValueError, match=exactly(NO_INPUT_REQUIRES_GRAD)):
        gradcheck(lambda a: ng.ones(2, dtype=ng.float64), (3.0,))
    with pytest.raises(ValueError, match=exactly(NO_INPUT_REQUIRES_GRAD)):
        gradgradcheck(lambda a: a * 2, (x,))


def test_non_double_input_warning_names_the_input():
    x = ng.ones(2, dtype=ng.float64)
    y = ng.ones(2, dtype=ng.float32, requires_grad=True)
    with pytest.warns(UserWarning, match=r"^Input #1 requires gradient and is not a double"):
        gradcheck(lambda a, b: a * b, (x, y), atol=1e-2, rtol=1e-2)


# ----- 2. backward must be multiplied by grad_output ---------------------------------------

@pytest.mark.parametrize("check_undefined_grad", [True, False])
def test_backward_not_multiplied_by_grad_output(check_undefined_grad):
    x = leaf(3)
    with pytest.raises(GradcheckError, match=exactly(NOT_MULTIPLIED)):
        gradcheck(NotMultiplied.apply, (x,), check_undefined_grad=check_undefined_grad)
    assert gradcheck(NotMultiplied.apply, (x,), check_undefined_grad=check_undefined_grad,
                     raise_exception=False) is False


def test_backward_not_multiplied_is_a_backward_check():
    class WithJvp(NotMultiplied):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return x.sin()

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return t * x.cos()

    assert gradcheck(WithJvp.apply, (leaf(3),), check_backward_ad=False, check_forward_ad=True)


def test_backward_errors_on_zero_grad_output_propagate():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            if not g.abs().sum().item():
                raise RuntimeError("boom")
            return g * 2

    with pytest.raises(RuntimeError, match="^boom$"):
        gradcheck(Raises.apply, (leaf(3),), raise_exception=False)


def test_undefined_output_grad_must_be_handled():
    x = leaf(3)
    MishandlesUndefined.mode = "raise"
    with pytest.raises(GradcheckError, match=exactly(UNDEFINED_NOT_HANDLED)) as info:
        gradcheck(MishandlesUndefined.apply, (x,))
    assert str(info.value.__cause__) == "cannot handle an undefined grad"
    assert gradcheck(MishandlesUndefined.apply, (x,), raise_exception=False) is False
    assert gradcheck(MishandlesUndefined.apply, (x,), check_undefined_grad=False)


def test_undefined_output_grad_must_give_zero_grads():
    x = leaf(3)
    MishandlesUndefined.mode = "ones"
    with pytest.raises(GradcheckError, match=exactly(UNDEFINED_NOT_ZERO)):
        gradcheck(MishandlesUndefined.apply, (x,))
    assert gradcheck(MishandlesUndefined.apply, (x,), raise_exception=False) is False
    assert gradcheck(MishandlesUndefined.apply, (x,), check_undefined_grad=False)


def test_correct_multi_output_functions_pass_the_undefined_grad_check():
    x = leaf(2, 3)
    assert gradcheck(lambda a: a.unbind(0), (x,))
    assert gradcheck(lambda a: (a.sin(), a.exp().sum()), (x,))


# ----- 3. non-contiguous inputs -------------------------------------------------------------

@pytest.mark.parametrize("view", [lambda a: a.t(), lambda a: a[:, ::2], lambda a: a.t()[1:, ::2]],
                         ids=["t", "strided_slice", "t_strided"])
def test_non_contiguous_inputs(view):
    a = leaf(3, 4)
    before = a.tolist()
    x = view(a)
    assert not x.is_contiguous()
    w = ng.tensor(np.arange(x.numel(), dtype=np.float64).reshape(x.shape) + 1)
    assert gradcheck(Square.apply, (x,))
    assert gradcheck(lambda y: (y.exp() * w).cumsum(0), (x,), check_forward_ad=True,
                     check_batched_grad=True)
    assert gradgradcheck(lambda y: (y.exp() * w).cumsum(0), (x,))
    assert not gradcheck(WrongSquare.apply, (x,), raise_exception=False)
    assert a.tolist() == before


def test_numerical_jacobian_follows_logical_element_order():
    x = leaf(3, 4).t()  # (4, 3), not contiguous
    w = ng.tensor(np.arange(12, dtype=np.float64).reshape(4, 3) + 1)
    (jac,), = numerical_jacobian(lambda y: y * w, (x,))
    np.testing.assert_allclose(jac, np.diag(np.arange(12.0) + 1), atol=1e-8)


def test_non_contiguous_inputs_of_two_leaves():
    y, z = leaf(3, 4)[:, ::2], leaf(5, 3).t()[:, 1:]
    assert gradcheck(lambda a, b: (a.exp() * 0.5).cumsum(0) @ b.sin()[:2], (y, z))
    assert gradgradcheck(lambda a, b: (a.exp() * 0.5).cumsum(0) @ b.sin()[:2], (y, z))


def test_stride_0_input_raises():
    x = leaf(1).expand(3)
    with pytest.raises(RuntimeError, match=exactly(STRIDE_0)):
        gradcheck(lambda a: a.exp(), (x,), raise_exception=False)


# ----- 4. outputs that do not require grad --------------------------------------------------

def test_non_differentiable_output_with_nonzero_numerical_gradient():
    x = leaf(3)
    with pytest.raises(GradcheckError, match=exactly(EXPECTED_ZERO)):
        gradcheck(lambda a: a.detach() * 2, (x,))
    assert gradcheck(lambda a: a.detach() * 2, (x,), raise_exception=False) is False


def test_non_differentiable_output_with_zero_numerical_gradient():
    x = leaf(3)
    assert gradcheck(lambda a: ng.ones(2, dtype=ng.float64), (x,))
    assert gradcheck(lambda a: a.argmax(), (x,))


def test_non_differentiable_outputs_next_to_differentiable_ones_are_ignored():
    x = leaf(3)
    assert gradcheck(lambda a: (a * 2, a.detach() * 3), (x,))
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(lambda a: (a.detach() * 3, WrongSquare.apply(a)), (x,))


# ----- 5. outputs that are not tensors ------------------------------------------------------

@pytest.mark.parametrize("fn, name", [(lambda a: 3.0, "float"), (lambda a: (a * 2, 3.0), "float"),
                                      (lambda a: None, "NoneType")], ids=["float", "tuple", "None"])
def test_non_tensor_output_raises_attribute_error(fn, name):
    msg = f"'{name}' object has no attribute 'requires_grad'"
    with pytest.raises(AttributeError, match=exactly(msg)):
        gradcheck(fn, (leaf(3),), raise_exception=False)
    with pytest.raises(AttributeError, match=exactly(msg)):
        gradgradcheck(fn, (leaf(3),))


def test_inputs_as_tensor_or_list():
    x = leaf(3)
    assert gradcheck(Square.apply, x)
    assert gradcheck(lambda a, b: a * b, [x, leaf(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gradgradcheck(Square.apply, x)
