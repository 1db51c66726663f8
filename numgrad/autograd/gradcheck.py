"""gradcheck / gradgradcheck: compare analytical derivatives with finite differences."""
from __future__ import annotations

import warnings

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical derivatives differ."""


def _as_tuple(x) -> tuple:
    """As PyTorch: a tuple as is, a list as a tuple, anything else as a 1-tuple."""
    if isinstance(x, tuple):
        return x
    return tuple(x) if isinstance(x, list) else (x,)


def _diff_inputs(inputs) -> list[int]:
    from numgrad._tensor import Tensor
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(fn, inputs) -> list:
    from numgrad._tensor import Tensor
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def _differentiable_outputs(outputs) -> list:
    """The outputs that require grad; as in PyTorch, a non-tensor output raises
    AttributeError ("'float' object has no attribute 'requires_grad'")."""
    return [o for o in _as_tuple(outputs) if o.requires_grad]


def _check_inputs(inputs: tuple) -> None:
    """Warn about differentiable inputs that are not float64, reject those with a
    stride-0 dimension (perturbing one element would move several) and require
    at least one input that requires grad."""
    idx = _diff_inputs(inputs)
    for i in idx:
        t = inputs[i]
        if t.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point. This check will likely fail if all the inputs are not of double "
                          "precision floating point.", stacklevel=3)
        if any(st == 0 and sz > 1 for st, sz in zip(t._data.strides, t.shape)):
            raise RuntimeError(
                f"The {i}th input has a dimension with stride 0. gradcheck only supports inputs "
                "that are non-overlapping to be able to compute the numerical gradients "
                "correctly. You should call .contiguous on the input before passing it to "
                "gradcheck.")
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")


def numerical_jacobian(fn, inputs, eps=1e-6):
    """J[out][inp] with shape (out.numel(), inp.numel()) by central differences.

    Each element of an input is perturbed in place in the input's own data, so
    any layout (a transpose, a strided slice) works; columns follow the input's
    logical (row-major) element order."""
    idx = _diff_inputs(inputs)
    outs = _outputs(fn, inputs)
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in idx] for o in outs]
    for k, i in enumerate(idx):
        x = inputs[i]._data
        for j, pos in enumerate(np.ndindex(x.shape)):
            orig = x[pos]
            x[pos] = orig + eps
            plus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            x[pos] = orig - eps
            minus = [o._data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
            x[pos] = orig
            for oi in range(len(outs)):
                jac[oi][k][:, j] = (plus[oi] - minus[oi]) / (2 * eps)
    return jac


def analytical_jacobian(fn, inputs, batched: bool = False):
    """J[out][inp] from vector-jacobian products: one backward per output
    element, or ONE batched backward per output with `batched=True`."""
    from numgrad import autograd
    from numgrad._tensor import Tensor
    idx = _diff_inputs(inputs)
    outs = _outputs(fn, inputs)
    diff_in = [inputs[i] for i in idx]
    jac = []
    for o in outs:
        rows = [np.zeros((o.numel(), inputs[i].numel())) for i in idx]
        if o.requires_grad and o.numel():
            if batched:
                eye = Tensor._make(np.eye(o.numel(), dtype=o.dtype).reshape((o.numel(),) + o.shape))
                gs = autograd.grad(o, diff_in, eye, retain_graph=True, allow_unused=True,
                                   is_grads_batched=True)
                for k, g in enumerate(gs):
                    if g is not None:
                        rows[k][:] = g._data.reshape(o.numel(), -1)
            else:
                for r in range(o.numel()):
                    v = np.zeros(o.numel(), dtype=o.dtype)
                    v[r] = 1
                    gs = autograd.grad(o, diff_in, Tensor._make(v.reshape(o.shape)),
                                       retain_graph=True, allow_unused=True)
                    for k, g in enumerate(gs):
                        if g is not None:
                            rows[k][r] = g._data.ravel()
        jac.append(rows)
    return jac


def _compare(num, ana, atol, rtol, what):
    for oi, (nrow, arow) in enumerate(zip(num, ana)):
        for ii, (n, a) in enumerate(zip(nrow, arow)):
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol)
            if bad.any():
                where = np.argwhere(bad)[:8]
                entries = "\n".join(f"  [{r}, {c}]: numerical {n[r, c]:.8g}, analytical {a[r, c]:.8g}"
                                    for r, c in where)
                raise GradcheckError(
                    f"Jacobian mismatch for output {oi} with respect to input {ii} ({what}),\n"
                    f"numerical:{n}\nanalytical:{a}\nmismatching entries (row = output element, "
                    f"column = input element):\n{entries}")


def _zero_cotangent_grads(outputs: list, diff_in: list) -> tuple:
    """Input gradients of a backward through `outputs` with all-zero cotangents."""
    from numgrad import autograd
    from numgrad._tensor import Tensor
    zeros = [Tensor._make(np.zeros(o.shape, dtype=o.dtype)) for o in outputs]
    return autograd.grad(outputs, diff_in, zeros, retain_graph=True, allow_unused=True)


def _all_zero(grads) -> bool:
    return all(g is None or not np.any(g._data) for g in grads)


def _check_backward_mul_by_grad_output(outputs: list, diff_in: list) -> None:
    """Zero cotangents for every output must give zero (or no) input gradients."""
    if not _all_zero(_zero_cotangent_grads(outputs, diff_in)):
        raise GradcheckError("backward not multiplied by grad_output")


def _check_undefined_grad(outputs: list, diff_in: list) -> None:
    """Backward must handle an output that gets no gradient: for each of several
    outputs, backpropagate zeros through the others only, so that the left-out
    output's grad reaches its node's backward as None (as zeros unless the
    Function turned off set_materialize_grads), and expect zero input gradients."""
    if len(outputs) < 2:
        return  # leaving out the only output would leave nothing to backpropagate
    for k in range(len(outputs)):
        try:
            grads = _zero_cotangent_grads(outputs[:k] + outputs[k + 1:], diff_in)
        except RuntimeError as e:
            raise GradcheckError("Expected backward function to handle undefined output "
                                 "grads.") from e
        if not _all_zero(grads):
            raise GradcheckError("Expected all input grads to be undefined or zero when all "
                                 "output grads are undefined or zero.")


def _select(jac: list, keep: list[bool]) -> list:
    return [rows for rows, k in zip(jac, keep) if k]


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, check_forward_ad: bool = False,
              check_backward_ad: bool = True, check_undefined_grad: bool = True,
              check_batched_grad: bool = False, nondet_tol: float = 0.0,
              fast_mode: bool = False) -> bool:
    """Check the derivatives of `fn` at `inputs` against finite differences.

    Inputs that require grad should be float64; at least one must (ValueError
    otherwise). Only the outputs that require grad are checked; when none does,
    the numerical gradient must be zero. With check_backward_ad, zero
    cotangents must also give zero gradients ("backward not multiplied by
    grad_output"), and with check_undefined_grad, so must leaving an output out
    of the backward. Returns True, or raises GradcheckError naming the
    mismatching jacobian entries (False instead with raise_exception=False).
    """
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = _as_tuple(fn(*inputs))
    outputs = _differentiable_outputs(func_out)  # AttributeError for a non-tensor output
    is_diff = [o.requires_grad for o in func_out]
    diff_in = [inputs[i] for i in _diff_inputs(inputs)]
    try:
        num = numerical_jacobian(fn, inputs, eps)
        if not outputs:
            if any(np.any(j) for rows in num for j in rows):
                raise GradcheckError("Numerical gradient for function expected to be zero")
            return True
        num = _select(num, is_diff)
        if check_backward_ad:
            _compare(num, _select(analytical_jacobian(fn, inputs), is_diff), atol, rtol,
                     "reverse mode")
        if check_forward_ad:
            from numgrad.autograd.forward_ad import forward_jacobian
            _compare(num, _select(forward_jacobian(fn, inputs), is_diff), atol, rtol,
                     "forward mode")
        if check_backward_ad:
            if check_batched_grad:
                _compare(num, _select(analytical_jacobian(fn, inputs, batched=True), is_diff),
                         atol, rtol, "batched reverse mode")
            _check_backward_mul_by_grad_output(outputs, diff_in)
            if check_undefined_grad:
                _check_undefined_grad(outputs, diff_in)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  nondet_tol: float = 0.0) -> bool:
    """Check second derivatives: gradcheck of the vector-jacobian product of `fn`."""
    from numgrad import autograd
    from numgrad._tensor import Tensor
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o.shape).astype(o.dtype), True)
                             for o in _differentiable_outputs(fn(*inputs)))
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    idx = _diff_inputs(inputs)

    def vjp_fn(*args):
        xs, gos = args[:n], args[n:]
        ys = _differentiable_outputs(fn(*xs))
        diff = [xs[i] for i in idx]
        gs = autograd.grad(ys, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp_fn, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_batched_grad=check_batched_grad,
                     check_forward_ad=check_fwd_over_rev)
