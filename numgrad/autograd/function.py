"""Custom differentiable operations: `Function` (PyTorch's `torch.autograd.Function`).

A subclass supplies static `forward` and `backward` (and optionally `jvp` and
`setup_context`); `MyFn.apply(*args)` runs `forward` without recording and
attaches one graph node to the outputs. That node is also the `ctx` object
the methods receive: an instance of `<MyFn>Backward`, a `Node` subclass made
once per Function class, whose `op.vjp` calls the user's `backward`.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from numgrad import _tensor
from numgrad.autograd import forward_ad, grad_mode
from numgrad.autograd.graph import _FREED_MSG, Node, raise_modified


class _FunctionOp:
    """The registry-entry-like object a Function's node points to (`node.op`)."""

    __slots__ = ("name", "vjp")
    check_grads = True  # user code: the engine checks what backward returns

    def __init__(self, name, vjp):
        self.name, self.vjp = name, vjp


def _init_node(node, op, next_functions, in_shapes) -> None:
    """Fill the fields the engine reads on every node."""
    node.op = op
    node.next_functions = next_functions
    node.in_shapes = in_shapes
    node.out_shape = None
    node.params = None
    node._saved = ()
    node._versions = ()
    node._out_data = None
    hook = _tensor._anomaly_hook
    if hook is not None:
        hook(node)


class FunctionCtx:
    """What `ctx` offers inside `forward` / `setup_context` / `backward` / `jvp`.

    Mixed into every `<Name>Backward` node class, so `ctx` is the node
    (`output.grad_fn`) and any attribute set on it is kept for backward.
    """

    # Plain class attributes shadowing Node's read-only `saved` / `output`
    # properties, so users may store their own `ctx.saved` / `ctx.output`.
    saved = None
    output = None

    def save_for_backward(self, *tensors) -> None:
        """Save tensors (inputs, outputs or intermediates; None allowed) for `backward`."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError(
                    f"save_for_backward can only save variables, but argument {i} is of type "
                    f"{type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        """Save tensors for `jvp` (read there through `ctx.saved_tensors`)."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _tensor.Tensor):
                raise TypeError(
                    f"save_for_forward expects all arguments to be tensors or None, but argument "
                    f"{i} is of type {type(t).__name__}")
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to `save_for_backward`, checked against in-place changes."""
        fw = self.__dict__.get("_in_jvp")
        if fw is not None:
            return fw
        if self._saved is None:  # freed by backward
            raise RuntimeError(_FREED_MSG)
        return tuple(_unpack(self, entry) for entry in self._saved)

    def mark_non_differentiable(self, *outputs) -> None:
        """These outputs will not require grad; backward still gets a (zero) grad slot for them."""
        self._non_differentiable = self.__dict__.get("_non_differentiable", ()) + outputs

    def mark_dirty(self, *tensors) -> None:
        """These inputs were modified in place by `forward` (they must also be returned)."""
        self._dirty = self.__dict__.get("_dirty", ()) + tensors

    def set_materialize_grads(self, value: bool) -> None:
        """True (default): grads of outputs that got none reach backward as zeros; False: as None."""
        self._materialize = bool(value)

    def apply(self, *grads):
        """Call the Function's backward on `grads` (as PyTorch's `grad_fn.apply`)."""
        return _backward_fn(self._forward_cls)(self, *grads)


def _unpack(node, entry):
    """A saved tensor back from its record, after the version check."""
    if entry is None:
        return None
    kind, t, version = entry[0], entry[1], entry[2]
    if kind == "o":  # an output of this node: (data, version counter) only, no reference cycle
        data, counter, nr, fw = t
        if counter[0] != version:
            raise_modified(_tensor.Tensor._make(data), node, nr, counter[0], version)
        out = _tensor.Tensor._make(data, True, node, counter)
        out._output_nr = nr
        out._fw = fw  # its tangents, for forward-over-reverse
        return out
    if t._version[0] != version:
        raise_modified(t, t.grad_fn, t._output_nr, t._version[0], version)
    return t


class Function:
    """Base class of custom differentiable operations (as `torch.autograd.Function`).

    Subclasses define static `forward(ctx, *args)` (or `forward(*args)` plus
    `setup_context(ctx, inputs, output)`), `backward(ctx, *grad_outputs)`
    returning one gradient (or None) per forward argument, and optionally
    `jvp(ctx, *tangents)` for forward mode. Use them through `apply`.
    """

    _backward_cls: type

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        name = cls.__name__ + "Backward"
        node_cls = type(name, (FunctionCtx, Node), {"_forward_cls": cls})
        node_cls.op = _FunctionOp(cls.__name__, _vjp)
        cls._backward_cls = node_cls

    @staticmethod
    def forward(ctx, *args, **kwargs) -> Any:
        """Compute the outputs (runs under no_grad)."""
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs: tuple, output: Any) -> None:
        """Optional: fill `ctx` from the inputs and output; then forward takes no ctx."""
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs) -> Any:
        """Gradients with respect to each forward argument, given the output gradients."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs) -> Any:
        """Output tangents given one tangent (or None) per forward argument."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the Function on `args` and record it in the graph when an input requires grad."""
        Tensor = _tensor.Tensor
        new_style = cls.setup_context is not Function.setup_context
        if new_style:
            bound = _signature(cls.forward).bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        for a, t in zip(args, is_tensor):
            if t and a._base is not None and a._view_fn is not a._base.grad_fn:
                _tensor.refresh_view(a)
        recording = grad_mode.is_grad_enabled() and any(
            a._requires_grad for a, t in zip(args, is_tensor) if t)
        ctx = cls._backward_cls()
        ctx.needs_input_grad = tuple(t and recording and a._requires_grad
                                     for a, t in zip(args, is_tensor))
        tensor_args = [a for a, t in zip(args, is_tensor) if t]
        # edges first: a dirty input's grad_fn is about to be replaced by this node
        _init_node(ctx, ctx.op, tuple(_tensor._edge(a) for a in tensor_args),
                   tuple(a._data.shape for a in tensor_args))
        ctx._is_tensor = is_tensor
        ctx._in_dtypes = tuple(a._data.dtype for a in tensor_args)
        # the inputs' tangents as they were: forward may modify an input in place (mark_dirty)
        in_tangents = (None if _tensor._fw_hook is None else
                       [a._fw and dict(a._fw) if t else None for a, t in zip(args, is_tensor)])
        with grad_mode.no_grad(), forward_ad._disabled():
            if new_style:
                raw = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, raw)
            else:
                raw = cls.forward(ctx, *args, **kwargs)
        outputs = _wrap_outputs(ctx, args, raw, recording)
        if in_tangents is not None:
            _forward_ad(ctx, args, outputs, in_tangents)
        _save(ctx)
        return outputs if isinstance(raw, tuple) else outputs[0]


@functools.lru_cache(maxsize=None)
def _signature(forward) -> inspect.Signature:
    return inspect.signature(forward)


def _backward_fn(cls):
    backward, vjp = cls.backward, cls.vjp
    if backward is not Function.backward and vjp is not Function.vjp and backward is not vjp:
        raise RuntimeError(
            "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You "
            "should only implement one of them.")
    return vjp if vjp is not Function.vjp else backward


def _wrap_outputs(ctx, args, raw, recording) -> tuple:
    """Give the outputs their history (grad_fn = ctx) and record their metadata."""
    Tensor = _tensor.Tensor
    raw = raw if isinstance(raw, tuple) else (raw,)
    inputs = {id(a) for a in args if isinstance(a, Tensor)}
    dirty = {id(t) for t in ctx.__dict__.get("_dirty", ())}
    non_diff = {id(t) for t in ctx.__dict__.get("_non_differentiable", ())}
    returned = {id(o) for o in raw}
    if not dirty <= returned:
        raise RuntimeError(
            "Some elements marked as dirty during the forward method were not returned as "
            "output. The inputs that are modified inplace must all be outputs of the Function.")
    outputs, meta, diff, seen = [], [], [], set()
    for i, o in enumerate(raw):
        if not isinstance(o, Tensor):
            outputs.append(o)
            meta.append(None)
            diff.append(False)
            continue
        differentiable = id(o) not in non_diff and o._data.dtype.kind == "f"
        diff.append(differentiable)
        if id(o) in dirty:
            if recording and o._requires_grad and o.grad_fn is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation.")
            if not differentiable:
                o._requires_grad, o.grad_fn = False, None
        elif id(o) in inputs or id(o) in seen or o._requires_grad:
            # an input returned as is (or a tensor with its own history): a fresh alias
            # sharing data and version counter carries this node's history instead
            o = _tensor.Tensor._make(o._data, False, None, o._version, o._device)
        seen.add(id(o))
        if recording and differentiable:
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
        outputs.append(o)
        meta.append((o._data.shape, o._data.dtype))
    ctx.n_outputs = len(raw)
    ctx._out_meta = meta
    ctx._out_diff = diff
    ctx.out_shape = meta[0][0] if meta and meta[0] is not None else None
    return tuple(outputs)


def _save(ctx) -> None:
    """Turn the tensors given to save_for_backward into version-checked records."""
    to_save = ctx.__dict__.pop("_to_save", ())
    records = []
    for t in to_save:
        if t is None:
            records.append(None)
        elif t.grad_fn is ctx:  # own output: keep data and counter, not the tensor (no cycle)
            records.append(("o", (t._data, t._version, t._output_nr, t._fw), t._version[0]))
        else:
            records.append(("t", t, t._version[0]))
    ctx._saved = records


# ----- reverse mode --------------------------------------------------------

def _vjp(ctx, *grads):
    """The node's vjp rule: call the user's backward (once per sample for batched grads)."""
    meta = ctx._out_meta
    b, lead = 0, ()
    for g, m in zip(grads, meta):
        if g is not None and m is not None:
            b = g._data.ndim - len(m[0])
            lead = g._data.shape[:b]
            break
    if ctx.__dict__.get("_materialize", True):
        grads = tuple(_zeros(lead + m[0], m[1]) if g is None and m is not None else g
                      for g, m in zip(grads, meta))
    if b == 0:
        return _call_backward(ctx, grads)
    return _looped_backward(ctx, grads, b, lead)


def _looped_backward(ctx, grads, b, lead):
    """Batched cotangents: run backward per sample and stack the results (as PyTorch)."""
    from numgrad.oplib.shape import reshape, stack
    n = int(np.prod(lead))
    flat = [reshape(g, (n,) + g._data.shape[b:]) if g is not None else None for g in grads]
    per_sample = [_call_backward(ctx, [g[s] if g is not None else None for g in flat])
                  for s in range(n)]
    out = []
    for k, shape in enumerate(ctx.in_shapes):
        col = [r[k] for r in per_sample]
        if all(g is None for g in col):
            out.append(None)
            continue
        dt = ctx._in_dtypes[k]
        col = [g if g is not None else _zeros(shape, dt) for g in col]
        out.append(reshape(stack(col), lead + shape))
    return tuple(out)


def _zeros(shape, dtype):
    return _tensor.Tensor._make(np.zeros(shape, dtype=dtype))


def _call_backward(ctx, grads) -> tuple:
    """Call backward and check its result: one grad per forward argument, None for
    non-tensors; return the grads of the tensor arguments (one per graph edge)."""
    Tensor = _tensor.Tensor
    result = _backward_fn(ctx._forward_cls)(ctx, *grads)
    if not isinstance(result, tuple):
        result = (result,)
    is_tensor = ctx._is_tensor
    n = len(is_tensor)
    if len(result) > n and all(g is None for g in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"function {ctx.name()} returned an incorrect number of gradients (expected {n}, "
            f"got {len(result)})")
    out = []
    k = 0
    for i, g in enumerate(result):
        if not is_tensor[i]:
            if g is not None:
                raise RuntimeError(
                    f"function {ctx.name()} returned a gradient different than None at position "
                    f"{i + 1}, but the corresponding forward input was not a Variable")
            continue
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"function {ctx.name()} returned a gradient of type {type(g).__name__} at "
                    f"position {i + 1}; expected a Tensor or None")
            if not ctx.needs_input_grad[i]:
                g = None
            else:
                g = _fit(g, ctx.in_shapes[k], ctx._in_dtypes[k])
        out.append(g)
        k += 1
    return tuple(out)


def _fit(g, shape, dtype):
    """Sum a broadcast gradient back to its input's shape and give it the input's dtype
    (as PyTorch's validate_outputs); an incompatible shape is left for the engine to report."""
    if g._data.shape != shape:
        try:
            compatible = np.broadcast_shapes(g._data.shape, shape) == g._data.shape
        except ValueError:
            compatible = False
        if compatible:
            from numgrad.oplib._util import sum_to
            g = sum_to(g, shape)
    if g._data.dtype != dtype:
        g = g.type(dtype)
    return g


# ----- once_differentiable --------------------------------------------------

_ONCE_MSG = ("trying to differentiate twice a function that was marked with "
             "@once_differentiable")


def _delayed_error(ctx, *grads):
    raise RuntimeError(_ONCE_MSG)


_DELAYED_ERROR_OP = _FunctionOp("DelayedError", _delayed_error)
_DelayedError = type("DelayedError", (Node,), {})  # with a __dict__: n_outputs varies per node


def once_differentiable(fn):
    """Decorate `backward`: it runs under no_grad, and differentiating its result
    (double backward) raises an error instead of silently giving wrong results."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return outputs
        Tensor = _tensor.Tensor
        grad_args = [a for a in args if isinstance(a, Tensor) and a._requires_grad]
        # Unlike PyTorch, an input that needs grad also counts (create_graph=True with plain
        # cotangents): the true second derivative depends on it, so refuse rather than drop it.
        if not grad_args and not any(ctx.needs_input_grad):
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        node = _DelayedError()
        edges = tuple(_tensor._edge(a) for a in grad_args) + tuple(
            e for e in ctx.next_functions if e[0] is not None)
        _init_node(node, _DELAYED_ERROR_OP, edges, (None,) * len(edges))
        node.n_outputs = len(outs)
        wrapped = []
        for i, o in enumerate(outs):
            if isinstance(o, Tensor):
                o = Tensor._make(o._data, True, node, o._version, o._device)
                o._output_nr = i
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)

    return wrapper



# ----- forward mode ----------------------------------------------------------

def _forward_ad(ctx, args, outputs, in_tangents) -> None:
    """Give the outputs their tangents, from the user's jvp, at each dual level of the
    inputs (`in_tangents`: each argument's tangents before forward ran)."""
    levels = sorted({lv for fw in in_tangents if fw for lv in fw if lv.alive},
                    key=lambda lv: lv.index)
    if not levels:
        return
    saved = ctx.__dict__.pop("_saved_for_forward", ())
    materialize = ctx.__dict__.get("_materialize", True)
    for lv in levels:
        tangents = []
        for a, fw, is_t in zip(args, in_tangents, ctx._is_tensor):
            t = None
            if is_t:
                t = fw.get(lv) if fw else None
                if t is None and materialize and a._data.dtype.kind == "f":
                    t = _zeros(a._data.shape, a._data.dtype)
            tangents.append(t)
        jvp = _call_jvp
        if lv.jvp_from_backward and ctx._forward_cls.jvp is Function.jvp:
            jvp = _jvp_from_backward
            saved = ctx.__dict__.get("_to_save", ())
        # saved tensors without this level's tangent: jvp computes with primals
        ctx._in_jvp = tuple(None if t is None else forward_ad._strip(t, lv) for t in saved)
        try:
            result = _jvp_maybe_batched(ctx, args, tangents, jvp)
        finally:
            del ctx._in_jvp
        if jvp is _jvp_from_backward and not lv.grad_tangents:
            result = tuple(None if t is None else t.detach() for t in result)
        for o, t, differentiable in zip(outputs, result, ctx._out_diff):
            if not differentiable:
                continue
            if t is None:
                if o._fw and lv in o._fw:  # a dirty input's old tangent no longer applies
                    del o._fw[lv]
                continue
            tshape, shape = t._data.shape, o._data.shape
            if len(tshape) < len(shape) or tshape[len(tshape) - len(shape):] != shape:
                raise RuntimeError(
                    f"Function {type(ctx).__name__} returned an invalid forward gradient of shape "
                    f"{list(tshape)} for an output of shape {list(shape)}")
            forward_ad._set_tangent(o, lv, t)


def _jvp_maybe_batched(ctx, args, tangents, jvp) -> tuple:
    """Call jvp(ctx, tangents) once, or once per sample when tangents carry leading
    batch dims (batched forward mode), stacking the per-sample output tangents."""
    from numgrad.oplib.shape import reshape, stack
    b, lead = 0, ()
    for a, t in zip(args, tangents):
        if t is not None and t._data.ndim > a._data.ndim:
            b = t._data.ndim - a._data.ndim
            lead = t._data.shape[:b]
            break
    if b == 0:
        return jvp(ctx, tangents)
    n = int(np.prod(lead))
    flat = []
    for a, t in zip(args, tangents):
        if t is not None and t._data.ndim > a._data.ndim:
            if t._data.shape[:b] != lead:
                raise RuntimeError(
                    f"batched forward mode: tangents with different batch shapes "
                    f"{list(lead)} and {list(t._data.shape[:-a._data.ndim or None])}")
            t = reshape(t, (n,) + a._data.shape)
            flat.append((True, t))
        else:
            flat.append((False, t))
    snapshot = dict(ctx.__dict__)  # jvp may delete what forward stored (`del ctx.result`)
    per_sample = []
    for s in range(n):
        ctx.__dict__.update(snapshot)
        per_sample.append(jvp(ctx, [t[s] if batched else t for batched, t in flat]))
    out = []
    for k, m in enumerate(ctx._out_meta):
        col = [r[k] for r in per_sample]
        if m is None or all(t is None for t in col):
            out.append(None)
            continue
        col = [t if t is not None else _zeros(m[0], m[1]) for t in col]
        out.append(reshape(stack(col), lead + m[0]))
    return tuple(out)


def _call_jvp(ctx, tangents) -> tuple:
    result = ctx._forward_cls.jvp(ctx, *tangents)
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != ctx.n_outputs:
        raise RuntimeError(
            "Function's jvp returned an invalid number of forward gradients (expected "
            f"{ctx.n_outputs} but got {len(result)})")
    return result


def _jvp_from_backward(ctx, tangents) -> tuple:
    """The output tangents J t of a Function without jvp, from its backward: backward(u)
    = J^T u is linear in u, so J t is the gradient in u of <backward(u), t> (the
    double-backward trick PyTorch's autograd.functional.jvp and hvp compute with, so
    there they work for such Functions too)."""
    from numgrad.autograd import grad as autograd_grad
    Tensor = _tensor.Tensor
    us = [Tensor._make(np.zeros(m[0], m[1]), True) if m is not None and diff else None
          for m, diff in zip(ctx._out_meta, ctx._out_diff)]
    is_tensor = ctx._is_tensor
    needs = ctx.needs_input_grad
    # every input with a tangent needs its gradient, whatever forward recorded
    ctx.needs_input_grad = tuple(t is not None for t in tangents)
    try:
        with grad_mode.enable_grad():
            grads = _call_backward(ctx, [
                u if u is not None or m is None or not ctx.__dict__.get("_materialize", True)
                else _zeros(m[0], m[1]) for u, m in zip(us, ctx._out_meta)])
            tensor_tangents = [t for t, is_t in zip(tangents, is_tensor) if is_t]
            total = None
            for g, t in zip(grads, tensor_tangents):
                if g is not None and t is not None and g._requires_grad:
                    term = (g * t.type(g.dtype)).sum()
                    total = term if total is None else total + term
            if total is None:  # backward does not depend on its cotangents
                return (None,) * len(us)
            live = [u for u in us if u is not None]
            jt = iter(autograd_grad(total, live, create_graph=True, allow_unused=True))
    finally:
        ctx.needs_input_grad = needs
    return tuple(None if u is None else next(jt) for u in us)
