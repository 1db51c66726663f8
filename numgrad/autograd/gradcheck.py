"""gradcheck / gradgradcheck: compare analytical derivatives with finite differences."""
from __future__ import annotations

import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical derivatives differ."""


def _as_tuple(x):
    from numgrad._tensor import Tensor
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _diff_inputs(inputs):
    from numgrad._tensor import Tensor
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(fn, inputs):
    from numgrad._tensor import Tensor
    return [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]


def numerical_jacobian(fn, inputs, eps=1e-6):
    """J[out][inp] with shape (out.numel(), inp.numel()) by central differences."""
    idx = _diff_inputs(inputs)
    outs = _outputs(fn, inputs)
    jac = [[np.zeros((o.numel(), inputs[i].numel())) for i in idx] for o in outs]
    for k, i in enumerate(idx):
        x = inputs[i]._data
        flat = x.reshape(-1) if x.flags.c_contiguous else None
        if flat is None:
            raise ValueError("gradcheck inputs must be contiguous")
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            plus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
            flat[j] = orig - eps
            minus = [o._data.astype(np.float64).ravel().copy() for o in _outputs(fn, inputs)]
            flat[j] = orig
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


def _check_undefined_grad(fn, inputs) -> None:
    """Backward with zero cotangents for every output must give zero (or no) gradients."""
    from numgrad import autograd
    from numgrad._tensor import Tensor
    diff_in = [inputs[i] for i in _diff_inputs(inputs)]
    outs = [o for o in _outputs(fn, inputs) if o.requires_grad]
    if not outs or not diff_in:
        return
    zeros = [Tensor._make(np.zeros(o.shape, dtype=o.dtype)) for o in outs]
    grads = autograd.grad(outs, diff_in, zeros, allow_unused=True)
    for i, g in enumerate(grads):
        if g is not None and np.any(g._data != 0):
            raise GradcheckError(
                f"Expected backward function to handle undefined output grads: zero cotangents "
                f"gave a non-zero gradient for input {i}")


def gradcheck(fn, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, check_forward_ad: bool = False,
              check_backward_ad: bool = True, check_undefined_grad: bool = True,
              check_batched_grad: bool = False, nondet_tol: float = 0.0,
              fast_mode: bool = False) -> bool:
    """Check the derivatives of `fn` at `inputs` against finite differences.

    Inputs that require grad should be float64. Returns True, or raises
    GradcheckError naming the mismatching jacobian entries (False instead
    with raise_exception=False).
    """
    inputs = _as_tuple(inputs)
    for t in inputs:
        if getattr(t, "requires_grad", False) and t.dtype != np.float64:
            import warnings
            warnings.warn("Input #0 requires gradient and is not a double precision floating point. "
                          "This check will likely fail if all the inputs are not of double precision "
                          "floating point.")
    try:
        num = numerical_jacobian(fn, inputs, eps)
        if check_backward_ad:
            _compare(num, analytical_jacobian(fn, inputs), atol, rtol, "reverse mode")
        if check_batched_grad:
            _compare(num, analytical_jacobian(fn, inputs, batched=True), atol, rtol,
                     "batched reverse mode")
        if check_backward_ad and check_undefined_grad:
            _check_undefined_grad(fn, inputs)
        if check_forward_ad:
            from numgrad.autograd.forward_ad import forward_jacobian
            _compare(num, forward_jacobian(fn, inputs), atol, rtol, "forward mode")
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
    outs = _outputs(fn, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(Tensor._make(rng.standard_normal(o.shape).astype(o.dtype), True)
                             for o in outs if o.requires_grad)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)
    idx = _diff_inputs(inputs)

    def vjp_fn(*args):
        xs, gos = args[:n], args[n:]
        ys = [o for o in _outputs(fn, xs) if o.requires_grad]
        diff = [xs[i] for i in idx]
        gs = autograd.grad(ys, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp_fn, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_batched_grad=check_batched_grad,
                     check_forward_ad=check_fwd_over_rev)
