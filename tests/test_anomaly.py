"""Anomaly mode: PyTorch's messages, warnings and state handling (checked against torch)."""
from __future__ import annotations

import os
import warnings

import pytest

import numgrad as ng
from numgrad.autograd import anomaly_mode, detect_anomaly, set_detect_anomaly

ENABLED_WARNING = "Anomaly Detection has been enabled"


@pytest.fixture(autouse=True)
def _anomaly_off_after():
    yield
    anomaly_mode.set_anomaly_enabled(False)


def _backward_error(fn) -> tuple[str, list[str]]:
    """Run fn under detect_anomaly: the RuntimeError's message and the UserWarnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with detect_anomaly():
            with pytest.raises(RuntimeError) as e:
                fn()
    return str(e.value), [str(w.message) for w in caught if w.category is UserWarning]


def test_nan_names_the_backward_and_warns_with_the_forward_traceback():
    a = ng.tensor([1.0], requires_grad=True)
    b = ng.tensor([0.0], requires_grad=True)

    def run():
        out = (a / b) * 0  # inf * 0: DivBackward0's gradient for a is 0 / 0
        out.sum().backward()

    message, warned = _backward_error(run)
    assert message == "Function 'DivBackward0' returned nan values in its 0th output."
    assert warned[0].startswith(ENABLED_WARNING)
    trace = warned[1]
    assert trace.startswith("Error detected in DivBackward0. Traceback of forward call that "
                            "caused the error:\n")
    assert "in run\n    out = (a / b) * 0" in trace
    assert trace.endswith("out = (a / b) * 0  # inf * 0: DivBackward0's gradient for a is 0 / 0")
    assert os.path.dirname(ng.__file__) not in trace  # numgrad's own frames are left out


def test_output_index_is_the_input_whose_gradient_is_nan():
    a = ng.tensor([0.0], requires_grad=True)
    b = ng.tensor([0.0], requires_grad=True)
    message, _ = _backward_error(lambda: (a / b).sum().backward())
    assert message == "Function 'DivBackward0' returned nan values in its 1th output."


def test_nan_only_in_forward_values_raises_exactly_when_torch_does():
    a = ng.tensor([float("nan"), 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match=ENABLED_WARNING):
        with detect_anomaly():
            (a * 2).sum().backward()  # gradient 2: no NaN
            ng.tensor([-1.0], requires_grad=True).log().sum().backward()  # 1/x is finite
    assert a.grad.tolist() == [2.0, 2.0]
    b = ng.tensor([1.0, 1.0], requires_grad=True)
    message, _ = _backward_error(lambda: (a * b).sum().backward())  # b's gradient is a
    assert message == "Function 'MulBackward0' returned nan values in its 1th output."


def test_graph_recorded_before_anomaly_mode_has_no_forward_information():
    a = ng.tensor([0.0], requires_grad=True)
    y = (a.sqrt() * 0).sum()
    message, warned = _backward_error(y.backward)
    assert message == "Function 'SqrtBackward0' returned nan values in its 0th output."
    assert warned[1] == ("Error detected in SqrtBackward0. No forward pass information available. "
                         "Enable detect anomaly during forward pass for more information.")


def test_custom_function_backward_is_named():
    class Scale(ng.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    a = ng.tensor([1.0], requires_grad=True)
    message, _ = _backward_error(lambda: Scale.apply(a).sum().backward())
    assert message == "Function 'ScaleBackward' returned nan values in its 0th output."


def test_check_nan_false_keeps_anomaly_mode_without_raising():
    a = ng.tensor([0.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning, match=ENABLED_WARNING):
        with detect_anomaly(check_nan=False):
            assert anomaly_mode.is_anomaly_enabled()
            assert not anomaly_mode.is_anomaly_check_nan_enabled()
            (a.sqrt() * 0).sum().backward()
    assert not anomaly_mode.is_anomaly_enabled()


def test_set_detect_anomaly_call_and_context_manager():
    set_detect_anomaly(True)
    assert anomaly_mode.is_anomaly_enabled() and anomaly_mode.is_anomaly_check_nan_enabled()
    with set_detect_anomaly(False) as ctx:
        assert ctx is None and not anomaly_mode.is_anomaly_enabled()
    assert anomaly_mode.is_anomaly_enabled()  # restored on exit
    with set_detect_anomaly(True, check_nan=False):
        assert not anomaly_mode.is_anomaly_check_nan_enabled()
    assert anomaly_mode.is_anomaly_check_nan_enabled()
    set_detect_anomaly(False)
    assert not anomaly_mode.is_anomaly_enabled()


def test_detect_anomaly_decorator_restores_state_even_when_recursing():
    with pytest.warns(UserWarning, match=ENABLED_WARNING):
        @detect_anomaly()
        def depth(n: int) -> bool:
            return anomaly_mode.is_anomaly_enabled() and (n == 0 or depth(n - 1))

    assert depth(3)
    assert not anomaly_mode.is_anomaly_enabled()


def test_state_is_restored_after_an_exception():
    with pytest.raises(ValueError), pytest.warns(UserWarning, match=ENABLED_WARNING):
        with detect_anomaly():
            raise ValueError
    assert not anomaly_mode.is_anomaly_enabled()
    assert ng._tensor._anomaly_hook is None
