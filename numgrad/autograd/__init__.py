"""`numgrad.autograd`: reverse-mode differentiation of recorded graphs."""
from __future__ import annotations

import numpy as np

from numgrad.autograd import engine
from numgrad.autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,
                                        set_grad_enabled)
from numgrad.autograd.graph import Node

__all__ = ["backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "Node", "gradcheck", "gradgradcheck", "detect_anomaly",
           "set_detect_anomaly", "Function", "once_differentiable", "forward_ad", "functional",
           "profiler"]


def _tuple(x):
    if x is None:
        return None
    if isinstance(x, _tensor.Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs, grad_outputs, batched: bool):
    """Validate outputs / grad_outputs and fill in implicit ones."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients and "
            f"{len(outputs)} outputs")
    edges, grads = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, _tensor.Tensor):
            raise TypeError(f"outputs must be Tensors, got {type(out).__name__}")
        if not out._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if batched:
                raise RuntimeError("is_grads_batched=True requires explicit grad_outputs")
            g = _tensor.Tensor._make(_ones(out._data.shape, out._data.dtype))
        else:
            if not isinstance(g, _tensor.Tensor):
                g = _tensor.Tensor._make(np.asarray(g, dtype=out.dtype))
            shape = g._data.shape[1:] if batched else g._data.shape
            if shape != out._data.shape:
                if batched:
                    raise RuntimeError(
                        "If `is_grads_batched=True`, we interpret the first dimension of each "
                        f"grad_output as the batch dimension. The sizes of the remaining "
                        f"dimensions are expected to match the shape of corresponding output, "
                        f"but a mismatch was detected: grad_output[{i}] has a shape of "
                        f"{_size(g.shape)} and output[{i}] has a shape of {_size(out.shape)}.")
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {_size(g.shape)} and "
                    f"output[{i}] has a shape of {_size(out.shape)}.")
            if g._data.dtype != out._data.dtype:
                g = g.type(out.dtype)
        edges.append(_tensor._edge(out))
        grads.append(g)
    return edges, grads


def _ones(shape: tuple, dtype) -> np.ndarray:
    """The implicit root gradient: a fresh array (hooks may change it in place)."""
    return np.array(1, dtype=dtype) if shape == () else np.ones(shape, dtype=dtype)


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             grad_variables=None, inputs=None) -> None:
    """Sum the gradients of `tensors` into the `.grad` of graph leaves (or of `inputs`)."""
    tensors = _tuple(tensors)
    grad_tensors = _tuple(grad_tensors if grad_tensors is not None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    edges, grads = _root_grads(tensors, grad_tensors, False)
    targets = None
    if inputs is not None:
        inputs = _tuple(inputs)
        if len(inputs) == 0:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        targets = _targets(inputs)
    engine.execute(edges, grads, retain_graph=retain_graph, create_graph=create_graph,
                   targets=targets, accumulate=True)


def _targets(inputs):
    edges = []
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        edges.append(_tensor._edge(t))
    return engine.Targets(edges, list(inputs))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False):
    """Gradients of `outputs` with respect to `inputs` (a tuple), without touching `.grad`.

    is_grads_batched=True: each grad_output carries a leading batch dimension and
    ONE backward pass computes all the batched vector-jacobian products.
    """
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tuple(outputs)
    inputs = _tuple(inputs)
    if retain_graph is None:
        retain_graph = create_graph
    edges, grads = _root_grads(outputs, _tuple(grad_outputs), is_grads_batched)
    targets = _targets(inputs)
    result = engine.execute(edges, grads, retain_graph=retain_graph, create_graph=create_graph,
                            targets=targets, accumulate=False,
                            batch_ndim=1 if is_grads_batched else 0)
    out = []
    for t, g in zip(inputs, result):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                shape = ((grads[0].shape[0],) if is_grads_batched else ()) + t.shape
                g = _tensor.Tensor._make(np.zeros(shape, dtype=t.dtype))
        elif not create_graph and g._requires_grad:
            g = g.detach()
        out.append(g)
    return tuple(out)


from numgrad import _tensor  # noqa: E402 (it imports this package: names resolved at call time)
from numgrad.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: E402
from numgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402
from numgrad.autograd import functional, profiler  # noqa: E402
from numgrad.autograd.function import Function, once_differentiable  # noqa: E402
from numgrad.autograd import forward_ad  # noqa: E402
