"""`numgrad.autograd.forward_ad`: forward-mode AD with dual tensors (PyTorch's API).

A dual tensor carries, next to its value (the primal), one tangent per dual
level in `Tensor._fw` ({level: tangent}). While a level is active,
`numgrad._tensor.apply` calls `_propagate` after every op: for each level
present on the op's inputs it asks the op's registry entry for its jvp rule
and stores the output tangent. Rules run on numgrad ops with grad mode as is,
so tangents are themselves differentiable (reverse-over-forward,
forward-over-reverse) and carry the tangents of the other levels (nested
levels: forward-over-forward). Tangents may have leading batch dimensions
(one batched forward pass computes many jvps).

Unlike PyTorch, levels nest (`dual_level()` inside `dual_level()`); each level
is independent, so perturbations of different levels never mix up.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any, Callable, NamedTuple

import numpy as np

import numgrad._tensor as _tensor
from numgrad.autograd.grad_mode import _state as _grad_state

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class _Level:
    """One entered dual level. Tangent dicts are keyed by these objects (not by the
    level number), so a tangent left on a tensor by an exited level can never be
    mistaken for one of a later level with the same number."""

    __slots__ = ("index", "alive", "refs", "_prune_at", "grad_tangents", "jvp_from_backward",
                 "__weakref__")

    def __init__(self, index: int):
        self.index = index
        self.alive = True
        self.grad_tangents = True  # see _dual_level
        self.jvp_from_backward = False
        self.refs: list = []  # weakrefs to tensors holding a tangent of this level
        self._prune_at = 1024

    def track(self, t) -> None:
        refs = self.refs
        refs.append(weakref.ref(t))
        if len(refs) > self._prune_at:
            refs[:] = [r for r in refs if r() is not None]
            self._prune_at = 2 * len(refs) + 1024


_levels: list[_Level] = []  # entered levels, innermost last


def _level(level: int | None, *, required: bool) -> _Level | None:
    if level is None:
        level = len(_levels) - 1
    if 0 <= level < len(_levels):
        return _levels[level]
    if required:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    return None


def enter_dual_level() -> int:
    """Enter a new (innermost) dual level and return its number."""
    lv = _Level(len(_levels))
    _levels.append(lv)
    _tensor._fw_hook = _propagate
    return lv.index


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the innermost dual level, deleting every tangent of that level."""
    current = len(_levels) - 1
    if level is None:
        level = current
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    lv = _levels.pop()
    lv.alive = False
    for ref in lv.refs:
        t = ref()
        if t is not None and t._fw is not None:
            t._fw.pop(lv, None)
            if not t._fw:
                t._fw = None
    lv.refs = []
    if not _levels:
        _tensor._fw_hook = None


@contextlib.contextmanager
def _dual_level(grad_tangents: bool, jvp_from_backward: bool = False):
    """dual_level for numgrad's own transforms: grad_tangents=False when the tangents
    are never differentiated in reverse mode (jvp rules then run without recording);
    jvp_from_backward=True gives custom Functions without a jvp tangents from their
    backward (autograd.functional.jvp / hvp, which PyTorch computes by double backward)."""
    level = enter_dual_level()
    _levels[level].grad_tangents = grad_tangents
    _levels[level].jvp_from_backward = jvp_from_backward
    try:
        yield level
    finally:
        exit_dual_level()


class dual_level(contextlib.ContextDecorator):
    """Context manager (or decorator) running its body inside a new dual level;
    tangents of that level are deleted on exit."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: Any) -> None:
        exit_dual_level()


class UnpackedDualTensor(NamedTuple):
    """What `unpack_dual` returns: the primal and the tangent (or None)."""

    primal: Any
    tangent: Any


def _size(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def make_dual(tensor, tangent, *, level: int | None = None):
    """A new tensor, a view of `tensor`, whose tangent at `level` (default: the
    innermost) is `tangent`: used as is when its layout (strides) and dtype match
    `tensor`'s, copied into `tensor`'s layout and dtype otherwise. Differentiable
    in reverse mode with respect to both."""
    from numgrad.oplib.shape import clone
    lv = _level(level, required=True)
    if tensor.dtype.kind != "f":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"torch.{tensor.dtype}")
    if tangent.dtype.kind != "f":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"torch.{tangent.dtype}")
    if tensor._fw is not None and lv in tensor._fw:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {lv.index} is not supported.")
    if tangent.shape != tensor.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {_size(tensor.shape)} "
            f"while the given forward gradient is of size {_size(tangent.shape)}.")
    if tangent._fw is not None and lv in tangent._fw:
        raise RuntimeError("Setting a forward grad that itself has a forward gradient at the "
                           f"same level{lv.index} is not supported.")
    if tangent._data.strides != tensor._data.strides or tangent.dtype != tensor.dtype:
        copy = clone(tangent)
        data = np.empty_like(tensor._data)  # keeps the primal's memory order
        data[...] = tangent._data
        copy._data = data
        tangent = copy
    return _dual(tensor, tangent, lv)


def _dual(tensor, tangent, lv: _Level):
    """A view of `tensor` with `tangent` at level `lv` (no checks: the tangent may
    carry leading batch dimensions)."""
    from numgrad.oplib.shape import RESHAPE
    dual = _tensor.apply(RESHAPE, (tensor,), {"shape": tensor.shape})
    # the primal's memory and version counter, but not a view for in-place writes: the
    # dual is the base of its own views, as it holds a tangent for every element
    dual._version = tensor._version
    _set_tangent(dual, lv, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of `tensor` at `level` (default: the innermost). The
    primal is a view of `tensor` without that tangent; the tangent is returned
    as is, or None (no tangent at that level, or no level active)."""
    lv = _level(level, required=False)
    fw = tensor._fw
    if lv is None or fw is None or lv not in fw:
        return UnpackedDualTensor(tensor, None)
    from numgrad.oplib.shape import RESHAPE
    primal = _tensor.apply(RESHAPE, (_strip(tensor, lv),), {"shape": tensor.shape})
    return UnpackedDualTensor(_tensor.mark_view(primal, tensor), fw[lv])


# ----- propagation through ops ------------------------------------------------------

def _set_tangent(t, lv: _Level, tangent) -> None:
    """Attach `tangent` to tensor `t` at level `lv`."""
    if t._fw is None:
        t._fw = {lv: tangent}
    else:
        t._fw[lv] = tangent
    lv.track(t)


def _strip(t, lv: _Level):
    """`t` without its tangent at `lv`: the same tensor for autograd (shared data,
    version counter and graph position) carrying the other levels' tangents."""
    fw = t._fw
    if fw is None or lv not in fw:
        return t
    a = _tensor.Tensor._make(t._data, t._requires_grad, t.grad_fn, t._version, t._device)
    a._output_nr = t._output_nr
    a._base, a._view_fn = t._base, t._view_fn
    if t._requires_grad and t.grad_fn is None:
        a._accum = _tensor._accumulate_node(t)  # gradients still reach the original leaf
    if len(fw) == 1:
        return a
    rest = {k: v for k, v in fw.items() if k is not lv and k.alive}
    if rest:
        a._fw = rest
        for k in rest:
            k.track(a)
    return a


class _JvpContext:
    """The `ctx` a jvp rule receives: the fields of a graph node (see
    numgrad.autograd.graph.Node), holding the primal inputs and output without
    the tangents of the level being computed (made on first use: many rules
    never read them)."""

    __slots__ = ("op", "params", "in_shapes", "out_shape", "needs_input_grad", "_inputs",
                 "_saved", "_result", "_level", "_nested", "_output")

    @property
    def saved(self) -> tuple:
        saved = self._saved
        if saved is None:
            lv = self._level
            saved = self._saved = tuple([_strip(t, lv) for t in self._inputs])
        return saved

    @property
    def output(self):
        out = self._output
        if out is None:
            if self._nested:
                # The output must carry the other levels' tangents (with their own
                # cross terms): recompute it from the stripped inputs.
                out = _tensor.apply(self.op, self.saved, self.params)
            else:
                out = _strip(self._result, self._level)
            self._output = out
        return out


def _propagate(op, inputs, params, result) -> None:
    """The hook `apply` calls after each op while a dual level is active."""
    first = levels = None
    for t in inputs:
        fw = t._fw
        if fw:
            for lv in fw:
                if lv.alive and lv is not first:
                    if first is None:
                        first = lv
                    elif levels is None:
                        levels = [first, lv]
                    elif lv not in levels:
                        levels.append(lv)
    if first is None or not op.differentiable or result._data.dtype.kind != "f":
        return
    jvp = op.jvp
    if jvp is None:
        raise NotImplementedError(
            f"Trying to use forward AD with {op.name} that does not support it because it has "
            "not been implemented yet.")
    if levels is None:
        levels = (first,)
    else:
        levels.sort(key=lambda lv: lv.index)
    nested = len(levels) > 1
    # With a single level in existence whose tangents are never differentiated, the
    # rule runs with propagation (and recording) off: its inputs and output need not
    # be stripped of their tangents first.
    alone = len(_levels) == 1 and not first.grad_tangents
    out_shape = result._data.shape
    one = len(inputs) == 1
    in_shapes = (inputs[0]._data.shape,) if one else tuple([t._data.shape for t in inputs])
    for lv in levels:
        if one:  # every level in `levels` came from this input's tangents
            tangents = (inputs[0]._fw[lv],)
        else:
            tangents = [None if t._fw is None else t._fw.get(lv) for t in inputs]
        ctx = _JvpContext()
        ctx.op = op
        ctx.params = params
        ctx.in_shapes = in_shapes
        ctx.out_shape = out_shape
        ctx.needs_input_grad = (_tensor._ONE_NEEDS_GRAD if one
                                else tuple([g is not None for g in tangents]))
        ctx._inputs = inputs
        ctx._saved = inputs if alone else None
        ctx._result = result
        ctx._level = lv
        ctx._nested = nested
        ctx._output = result if alone else None
        prev_grad = _grad_state.enabled
        if not lv.grad_tangents:
            _grad_state.enabled = False
        if alone:
            _tensor._fw_hook = None
        try:
            tangent = jvp(ctx, *tangents)
        finally:
            _grad_state.enabled = prev_grad
            if alone:
                _tensor._fw_hook = _propagate
        if tangent is None:
            continue
        if op.check_grads:  # numgrad's own rules are checked by the op table instead
            tshape = tangent._data.shape
            if tshape[len(tshape) - len(out_shape):] != out_shape or len(tshape) < len(out_shape):
                raise RuntimeError(
                    f"the jvp rule of {op.name} returned a tangent of shape {list(tshape)}, "
                    f"expected {list(out_shape)} (after any leading batch dimensions)")
        _set_tangent(result, lv, tangent)
    node = result.grad_fn
    if node is not None and node._out_data is not None:
        node._out_fw = result._fw  # the saved output keeps its tangents (forward-over-reverse)



def _inplace_update(self, out) -> None:
    """After `self` was overwritten in place by the value of `out`: `self` takes
    `out`'s tangents (zero ones at levels `out` has none)."""
    fw = self._fw
    new = out._fw
    if fw:
        for lv in list(fw):
            if new is None or lv not in new:
                # the new value does not depend on that level's perturbation: a zero
                # tangent (as PyTorch: x.zero_() on a dual keeps a tangent, of zeros)
                fw[lv] = _tensor.Tensor._make(np.zeros_like(fw[lv]._data))
    if not new:
        return
    # never written in place: a tangent may be shared (an op passing its input's tangent
    # through, the caller's `v`); a view's base gets its new tangent from the view path
    for lv, tangent in new.items():
        if lv.alive:
            _set_tangent(self, lv, tangent)


@contextlib.contextmanager
def _disabled():
    """Run a block without propagating tangents (e.g. a custom Function's forward)."""
    hook = _tensor._fw_hook
    _tensor._fw_hook = None
    try:
        yield
    finally:
        _tensor._fw_hook = hook


def _active_levels(tensors) -> list:
    """The live levels at which some of `tensors` carry a tangent, outermost first."""
    found = []
    for t in tensors:
        if t._fw:
            for lv in t._fw:
                if lv.alive and lv not in found:
                    found.append(lv)
    found.sort(key=lambda lv: lv.index)
    return found


# ----- whole jacobians ------------------------------------------------------------

def forward_jacobian(fn: Callable, inputs) -> list[list[np.ndarray]]:
    """J[out][inp] (float64, shape (out.numel(), inp.numel())) of `fn` at
    `inputs`, for the inputs that require grad: ONE batched forward pass per
    input, whose tangent is the identity with a leading batch dimension."""
    from numgrad._tensor import Tensor
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    idx = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    jac: list = []
    for k, i in enumerate(idx):
        x = inputs[i]
        n = x.numel()
        with dual_level():
            eye = Tensor._make(np.eye(n, dtype=x.dtype).reshape((n,) + x.shape))
            args = list(inputs)
            args[i] = _dual(x, eye, _levels[-1])
            res = fn(*args)
            outs = [o for o in ((res,) if isinstance(res, Tensor) else res)
                    if isinstance(o, Tensor)]
            if not jac:
                jac = [[np.zeros((o.numel(), inputs[j].numel())) for j in idx] for o in outs]
            for oi, o in enumerate(outs):
                t = unpack_dual(o).tangent
                if t is None:
                    continue
                if t.shape != (n,) + o.shape:
                    raise RuntimeError(
                        f"batched forward mode: output {oi} has a tangent of shape "
                        f"{list(t.shape)}, expected {list((n,) + o.shape)}")
                jac[oi][k][:] = t._data.reshape(n, -1).T
    return jac
