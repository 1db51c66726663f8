"""`numgrad.autograd.functional`: derivatives of whole functions (PyTorch's higher-level API).

jacobian and hessian are vectorized by default: the rows of a jacobian come
from ONE batched backward pass (`autograd.grad(..., is_grads_batched=True)`
with identity rows as cotangents), or from one pass per `chunk_size` rows,
filled into a preallocated result. strategy="forward-mode" gets the columns
instead from ONE batched forward-mode pass (identity tangents with a leading
batch dimension, `numgrad.autograd.forward_ad`). jvp is one forward-mode pass
and hvp is reverse-over-forward (the gradient of the forward-mode directional
derivative; forward-over-reverse with strict=True); vjp and vhp are reverse mode.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

# Resolved at call time: this module may be imported while numgrad itself is initialising.
import numgrad as ng
from numgrad.autograd import forward_ad as fwAD

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

Tensors = "ng.Tensor | tuple[ng.Tensor, ...]"


# ----- argument handling (PyTorch's helpers and error messages) -----------------

def _as_tuple(inp, arg_name: str, fn_name: str):
    """(was `inp` a tuple, `inp` as a tuple of Tensors)."""
    if isinstance(inp, ng.Tensor):
        return False, (inp,)
    is_tuple = isinstance(inp, tuple)
    if not is_tuple:
        inp = (inp,)
    for i, el in enumerate(inp):
        if not isinstance(el, ng.Tensor):
            which = f"value at index {i}" if is_tuple else f"given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but the {which} has type {type(el)}.")
    return is_tuple, inp


def _tuple_postprocess(res, to_unpack):
    """Undo `_as_tuple` on a result (one flag, or two for tuples of tuples)."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph: bool, need_graph: bool):
    # Always a NEW tensor object, so inputs captured by the user function (the
    # originals) are told apart from the ones passed to it (PyTorch issue 32576).
    res = []
    for inp in inputs:
        if create_graph and inp._requires_grad:
            res.append(inp.view(inp.shape))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph: bool):
    """Detach results (recursively) unless the caller asked for a graph."""
    if isinstance(inputs[0], ng.Tensor):
        return inputs if create_graph else tuple([inp.detach() for inp in inputs])
    return tuple([_grad_postprocess(inp, create_graph) for inp in inputs])


def _validate_v(v, other, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v._data.shape != el_other._data.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {_size(el_other.shape)} but got "
                f"{_size(el_v.shape)}.")


def _size(shape) -> str:
    return f"torch.Size({list(shape)})"


def _check_requires_grad(inputs, input_type: str, strict: bool) -> None:
    """In strict mode, raise PyTorch's error for a result that does not depend on the inputs."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode.")
        if inp.requires_grad:
            continue
        if input_type == "hessian":
            raise RuntimeError(
                f"The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs.")
        if input_type == "jacobian":
            raise RuntimeError(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. This is not "
                "allowed in strict mode. You should ensure that your function is twice "
                "differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).")
        if input_type == "grad_inputs":
            raise RuntimeError(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                "user-provided function. This is not allowed in strict mode.")
        raise RuntimeError(
            f"Output {i} of the user-provided function does not require gradients. The outputs "
            "must be computed in a differentiable manner from the input when running in strict "
            "mode.")


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
                   is_grads_batched=False):
    """autograd.grad that skips outputs which are None or do not require grad (None results
    for inputs nothing reaches)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, grads = [], []
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o._requires_grad:
            outs.append(o)
            grads.append(g)
    if not outs:
        return (None,) * len(inputs)
    return ng.autograd.grad(outs, inputs, grads,
                            retain_graph=retain_graph, create_graph=create_graph,
                            allow_unused=True, is_grads_batched=is_grads_batched)


_ZERO_ERRORS = {
    "back": "The output of the user-provided function is independent of input {i}. This is not "
            "allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} "
                         "in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str):
    """Replace None gradients by zeros shaped like `refs` (strict mode: raise instead)."""
    if not strict and all(g is not None for g in grads):
        return tuple(grads)
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_ERRORS[stage].format(i=i))
            g = ng.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


def _v_or_default(v, against, is_against_tuple, create_graph, fn_name, what):
    """Validated `v` as a tuple, or None where it may be left out (a single one-element tensor)."""
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
        _validate_v(v, against, is_against_tuple)
        return v
    if len(against) != 1 or against[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the {what} a single Tensor with a "
                           "single element.")
    return None


_V_OF_INPUT = "input to the user-provided function is"


def _tangents(v, inputs) -> tuple:
    """`v` as forward-mode tangents of `inputs` (one for a single-element input when
    left out); integer vectors take the input's dtype, as in PyTorch's double-backward
    jvp, where they are cotangents cast to the input's dtype."""
    if v is None:
        return (ng.ones_like(inputs[0]),)
    return tuple(t if t.dtype.kind == "f" or x.dtype.kind != "f" else t.type(x.dtype)
                 for t, x in zip(v, inputs))


def _single_scalar_output(func, inputs, fn_name: str, strict: bool):
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                          fn_name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           "contain a single element")
    return outputs


# ----- vector products ---------------------------------------------------------

def vjp(func: Callable, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensors, Tensors]:
    """(func(*inputs), v^T J): the vector-Jacobian product of `func` at `inputs`."""
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        v = _v_or_default(v, outputs, is_outputs_tuple, create_graph, "vjp",
                          "user-provided function returns")
    with ng.set_grad_enabled(create_graph or ng.is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(res, is_inputs_tuple)


def jvp(func: Callable, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensors, Tensors]:
    """(func(*inputs), J v): the Jacobian-vector product, from one forward-mode pass
    whose input tangents are `v`."""
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _tangents(_v_or_default(v, inputs, is_inputs_tuple, create_graph, "jvp",
                                    _V_OF_INPUT), inputs)
        with fwAD._dual_level(grad_tangents=create_graph, jvp_from_backward=True):
            outputs = func(*(fwAD.make_dual(x, t) for x, t in zip(inputs, v)))
            is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided "
                                                  "function", "jvp")
            _check_requires_grad(outputs, "outputs", strict=strict)
            unpacked = [fwAD.unpack_dual(o) for o in outputs]
        outputs = tuple(p for p, _ in unpacked)
        if strict:
            # PyTorch's rule: every input must reach some output
            reached = _autograd_grad(outputs, inputs, create_graph=True,
                                     grad_outputs=tuple(ng.zeros_like(o, requires_grad=True)
                                                       for o in outputs))
            _check_requires_grad(reached, "grad_inputs", strict=strict)
        res = _fill_in_zeros(tuple(t for _, t in unpacked), outputs, strict, create_graph,
                             "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return (_tuple_postprocess(outputs, is_outputs_tuple),
            _tuple_postprocess(res, is_outputs_tuple))


def vhp(func: Callable, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensors, Tensors]:
    """(func(*inputs), v^T H): the vector-Hessian product of a scalar function."""
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _v_or_default(v, inputs, is_inputs_tuple, create_graph, "vhp", _V_OF_INPUT)
        outputs = _single_scalar_output(func, inputs, "vhp", strict)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
    with ng.set_grad_enabled(create_graph or ng.is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        res = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return _tuple_postprocess(outputs, False), _tuple_postprocess(res, is_inputs_tuple)


def hvp(func: Callable, inputs: Tensors, v: Tensors | None = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Tensors, Tensors]:
    """(func(*inputs), H v): the Hessian-vector product of a scalar function, from
    forward mode: reverse-over-forward (the gradient of the forward-mode directional
    derivative grad(f) . v); with strict=True forward-over-reverse (the tangent of
    the gradient), as PyTorch's strict checks are about the gradient itself."""
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        v = _tangents(_v_or_default(v, inputs, is_inputs_tuple, create_graph, "hvp",
                                    _V_OF_INPUT), inputs)
        # reverse-over-forward differentiates the tangents; forward-over-reverse
        # only when create_graph asks for it
        with fwAD._dual_level(grad_tangents=not strict or create_graph, jvp_from_backward=True):
            duals = tuple(fwAD.make_dual(x, t) for x, t in zip(inputs, v))
            outputs = _single_scalar_output(func, duals, "hvp", strict)
            if strict:
                jac = _autograd_grad(outputs, duals, create_graph=True)
                _check_requires_grad(jac, "jacobian", strict=strict)
                tangents = tuple(None if g is None else fwAD.unpack_dual(g).tangent
                                 for g in jac)
            primal, directional = fwAD.unpack_dual(outputs[0])
        if not strict:
            tangents = (_autograd_grad((directional,), inputs, create_graph=create_graph)
                        if directional is not None else (None,) * len(inputs))
        outputs = (primal,)
        res = _fill_in_zeros(tangents, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    res = _grad_postprocess(res, create_graph)
    return _tuple_postprocess(outputs, False), _tuple_postprocess(res, is_inputs_tuple)


# ----- jacobian and hessian ----------------------------------------------------

def _check_strategy(strategy: str) -> None:
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')


def jacobian(func: Callable, inputs: Tensors, create_graph: bool = False, strict: bool = False,
             vectorize: bool = True, strategy: str = "reverse-mode",
             chunk_size: int | None = None) -> Tensors | tuple[Tensors, ...]:
    """The Jacobian of `func` at `inputs`.

    Result [i][j] has shape outputs[i].shape + inputs[j].shape (tuples unpacked
    where `inputs` / the outputs are single Tensors). vectorize=True computes
    `chunk_size` rows (default: all) per batched backward pass; vectorize=False
    one row per pass. strategy="forward-mode" computes columns (input elements)
    the same way with batched forward-mode passes (results of the outputs' dtype).
    """
    _check_strategy(strategy)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError("jacobian: `chunk_size` should be greater than 0.")
    if strategy == "forward-mode":
        return _jacfwd(func, inputs, create_graph, strict, vectorize, chunk_size)
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        jac = _jacobian_of(outputs, inputs, create_graph, strict, vectorize, chunk_size)
    jac = _grad_postprocess(jac, create_graph)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacfwd(func, inputs, create_graph, strict, vectorize, chunk_size):
    """The jacobian from forward mode: column c (an element of the flattened inputs)
    is the tangent of the outputs for the identity tangent e_c. vectorize=True
    pushes `chunk_size` columns (default: all) through ONE forward pass as a
    leading batch dimension of the tangents; vectorize=False one column per pass."""
    if strict:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` "
            "are not supported together (yet). Please either set `strict=False` or "
            "`strategy=\"reverse-mode\"`.")
    with ng.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        offsets = [0]
        for x in inputs:
            offsets.append(offsets[-1] + x.numel())
        total = offsets[-1]
        step = (chunk_size or max(total, 1)) if vectorize else 1
        blocks = None  # per output: tangent blocks (columns, *out.shape)
        for c0 in range(0, max(total, 1), step):
            c1 = min(c0 + step, total)
            with fwAD._dual_level(grad_tangents=create_graph) as level:
                args = []
                for x, o in zip(inputs, offsets):
                    lo, hi = max(c0, o), min(c1, o + x.numel())
                    if lo >= hi:
                        args.append(x)
                        continue
                    basis = np.zeros((c1 - c0, x.numel()), dtype=x.dtype)
                    basis[np.arange(lo - c0, hi - c0), np.arange(lo - o, hi - o)] = 1
                    if vectorize:
                        args.append(fwAD._dual(x, ng.from_numpy(
                            basis.reshape((c1 - c0,) + x.shape)), fwAD._levels[level]))
                    else:
                        args.append(fwAD.make_dual(x, ng.from_numpy(basis.reshape(x.shape))))
                is_outputs_tuple, outputs = _as_tuple(
                    func(*args), "outputs of the user-provided function", "jacobian")
                unpacked = [fwAD.unpack_dual(out) for out in outputs]
            if blocks is None:
                blocks = [[] for _ in outputs]
            for i, (p, t) in enumerate(unpacked):
                if t is None:
                    t = ng.zeros((c1 - c0,) + p.shape, dtype=p.dtype)
                elif not vectorize:
                    t = t.reshape((1,) + p.shape)
                blocks[i].append(t)
        outputs = [p for p, _ in unpacked]
        jac = []
        for out, bl in zip(outputs, blocks):
            m = out.numel()
            if create_graph:
                full = bl[0] if len(bl) == 1 else ng.cat(bl)
                row = tuple(full.narrow(0, o, x.numel()).reshape(x.numel(), m).t()
                            .reshape(out.shape + x.shape) for x, o in zip(inputs, offsets))
            else:
                full = bl[0]._data if len(bl) == 1 else np.concatenate([b._data for b in bl])
                full = full.reshape(total, m)
                row = tuple(ng.from_numpy(np.ascontiguousarray(full[o:o + x.numel()].T)
                                          .reshape(out.shape + x.shape))
                            for x, o in zip(inputs, offsets))
            jac.append(row)
    jac = _grad_postprocess(tuple(jac), create_graph)
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_of(outputs, inputs, create_graph, strict, vectorize, chunk_size):
    """J[i][j] = d outputs[i] / d inputs[j] from vjps of identity rows.

    Rows are numbered across the flattened outputs. Without strict or
    create_graph one pass covers the rows of every output; otherwise each output
    gets its own passes (to name the output an input is missing from, and to
    keep differentiable results without slicing).
    """
    numels = [o.numel() for o in outputs]
    offsets = [0]
    for n in numels:
        offsets.append(offsets[-1] + n)
    total = offsets[-1]
    step = (chunk_size or max(total, 1)) if vectorize else 1
    per_output = strict or create_graph
    groups = ([(offsets[i], offsets[i + 1], i) for i in range(len(outputs))] if per_output
              else [(0, total, None)])
    passes = [(r0, min(r0 + step, hi), k) for lo, hi, k in groups for r0 in range(lo, hi, step)]

    if create_graph:
        blocks = [[[] for _ in inputs] for _ in outputs]
    elif len(passes) == 1 and passes[0][:2] == (0, total):
        return _jacobian_one_pass(outputs, offsets, inputs, vectorize, strict, passes[0][2])
    else:
        jac = [[np.zeros(o.shape + x.shape, dtype=x.dtype) for x in inputs] for o in outputs]
    for p, (r0, r1, k) in enumerate(passes):
        grads = _rows_vjp(outputs, offsets, inputs, r0, r1, vectorize, create_graph,
                          retain_graph=create_graph or p < len(passes) - 1)
        for j, g in enumerate(grads):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {k} of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode.")
                continue
            if create_graph:
                if strict and not g.requires_grad:
                    raise RuntimeError(
                        f"The jacobian of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode when create_graph=True.")
                blocks[k][j].append((r0 - offsets[k], g))
                continue
            rows = g._data.reshape(r1 - r0, -1)
            for i in range(len(outputs)):
                lo, hi = max(r0, offsets[i]), min(r1, offsets[i + 1])
                if lo < hi:
                    jac[i][j].reshape(numels[i], -1)[lo - offsets[i]:hi - offsets[i]] = \
                        rows[lo - r0:hi - r0]
    if create_graph:
        return tuple(tuple(_join_rows(blocks[i][j], out, x) for j, x in enumerate(inputs))
                     for i, out in enumerate(outputs))
    return tuple(tuple(ng.from_numpy(a) for a in row) for row in jac)


def _jacobian_one_pass(outputs, offsets, inputs, batched, strict, k):
    """All rows from one backward pass, split into views of its result (no copy)."""
    grads = _rows_vjp(outputs, offsets, inputs, 0, offsets[-1], batched, False, retain_graph=False)
    arrays = []
    for j, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(
                    f"Output {k} of the user-provided function is independent of input {j}. "
                    "This is not allowed in strict mode.")
            a = np.zeros((offsets[-1],) + x.shape, dtype=x.dtype)
        else:
            a = g._data
            # own the memory: rules may return broadcast views, or one tensor for two inputs
            if (not a.flags.c_contiguous or not a.flags.writeable
                    or any(np.may_share_memory(a, b) for b in arrays)):
                a = np.array(a, order="C")
        arrays.append(a)
    return tuple(
        tuple(ng.from_numpy(a[offsets[i]:offsets[i + 1]].reshape(out.shape + x.shape))
              for a, x in zip(arrays, inputs))
        for i, out in enumerate(outputs))


def _rows_vjp(outputs, offsets, inputs, r0, r1, batched, create_graph, retain_graph):
    """Rows r0..r1 of the jacobian, as one Tensor of shape (r1 - r0,) + input.shape per
    input (None where no output reaches the input): vjps of identity rows."""
    batched = batched and r1 - r0 > 1  # one row (a scalar output): a plain vjp is cheaper
    outs, cotangents = [], []
    for out, o in zip(outputs, offsets):
        lo, hi = max(r0, o), min(r1, o + out.numel())
        if lo >= hi or not out.requires_grad:
            continue
        basis = np.zeros((r1 - r0, out.numel()), dtype=out.dtype)
        basis[np.arange(lo - r0, hi - r0), np.arange(lo - o, hi - o)] = 1
        outs.append(out)
        cotangents.append(ng.from_numpy(basis.reshape(((r1 - r0,) if batched else ()) + out.shape)))
    if not outs:
        return (None,) * len(inputs)
    grads = ng.autograd.grad(outs, inputs, cotangents, retain_graph=retain_graph,
                             create_graph=create_graph, allow_unused=True,
                             is_grads_batched=batched)
    if batched:
        return grads
    return tuple(None if g is None else g.reshape((1,) + g.shape) for g in grads)


def _join_rows(blocks, out, x):
    """Differentiably assemble row blocks [(first_row, Tensor (rows,) + x.shape)] into the
    jacobian block d out / d x (missing rows are zero)."""
    n, shape = out.numel(), out.shape + x.shape
    if not blocks:
        return ng.zeros(shape, dtype=x.dtype)
    if len(blocks) == 1 and blocks[0][1].shape[0] == n:
        return blocks[0][1].reshape(shape)
    # Each block lands in place through a 0/1 placement matrix (a differentiable scatter
    # built from matmul).
    total = None
    for first, b in blocks:
        rows = b.shape[0]
        place = np.zeros((n, rows), dtype=b.dtype)
        place[first + np.arange(rows), np.arange(rows)] = 1
        term = ng.matmul(ng.from_numpy(place), b.reshape(rows, -1))
        total = term if total is None else total + term
    return total.reshape(shape)


def hessian(func: Callable, inputs: Tensors, create_graph: bool = False, strict: bool = False,
            vectorize: bool = True, outer_jacobian_strategy: str = "reverse-mode",
            chunk_size: int | None = None) -> Tensors | tuple[Tensors, ...]:
    """The Hessian of scalar function `func` at `inputs`: the jacobian of its gradient.

    The gradient graph is built once (create_graph=True); its jacobian then
    comes from batched vjps over it (reverse-over-reverse), or with
    outer_jacobian_strategy="forward-mode" from batched tangents pushed through
    the gradient computation (forward-over-reverse). Result [i][j] has shape
    inputs[i].shape + inputs[j].shape.
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    _check_strategy(outer_jacobian_strategy)

    def gradient(*inp):
        out = _single_scalar_output(func, inp, "hessian", strict)
        grads = _autograd_grad(out, inp, create_graph=True)
        grads = tuple(ng.zeros_like(x) if g is None else g for g, x in zip(grads, inp))
        _check_requires_grad(grads, "jacobian", strict=strict)
        return grads

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy, chunk_size=chunk_size)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))
