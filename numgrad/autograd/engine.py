"""The backward engine: iterative, dependency-counted, op-agnostic.

Every op's derivative lives in its registry entry (`op.vjp`); the engine
only routes cotangents along `next_functions`, runs hooks, accumulates leaf
gradients and frees saved tensors. Cotangents may carry leading batch
dimensions (`is_grads_batched`); the engine never looks inside them beyond
checking their trailing shape.
"""
from __future__ import annotations

import numpy as np

from numgrad.autograd import grad_mode
from numgrad.autograd.graph import AccumulateGrad

_anomaly = [False]


def execute(roots, root_grads, *, retain_graph: bool, create_graph: bool,
            targets=None, accumulate: bool = True, batch_ndim: int = 0):
    """Backpropagate `root_grads` from `roots` (graph edges (node, output_nr)).

    targets: edges whose total gradient is wanted (None: every leaf). With
    accumulate=True gradients go to `.grad` of leaves (or of the target
    tensors); with accumulate=False they are returned, one per target edge,
    and no `.grad` is touched.
    """
    # 1. dependency counts over the reachable graph (iterative DFS; a node is
    #    visited when first counted)
    deps: dict = {}
    stack = list(dict.fromkeys(n for n, _ in roots if n is not None))
    root_nodes = set(stack)
    while stack:
        for m, _ in stack.pop().next_functions:
            if m is None:
                continue
            c = deps.get(m)
            if c is None:
                deps[m] = 1
                if m not in root_nodes:
                    stack.append(m)
            else:
                deps[m] = c + 1

    # 2. with targets, run only the nodes that lead to one
    target_slots = None
    runs = None
    if targets is not None:
        target_slots = {}
        for i, (n, nr) in enumerate(targets):
            if n is not None:
                target_slots.setdefault(n, []).append((nr, i))
        runs = _nodes_leading_to(target_slots, root_nodes, deps)

    buffers: dict = {}
    for (n, nr), g in zip(roots, root_grads):
        if n is None:
            continue
        buf = buffers.get(n)
        if buf is None:
            buf = buffers[n] = [None] * n.n_outputs
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    captured = [None] * (len(targets) if targets is not None else 0)
    pending = []
    ready = [n for n in buffers if n not in deps]
    pop, push = ready.pop, ready.append
    accumulate_grad, anomaly = AccumulateGrad, _anomaly[0]
    prev_mode = grad_mode.is_grad_enabled()
    grad_mode._set(create_graph)
    try:
        while ready:
            node = pop()
            grads = buffers.pop(node, None) or [None] * node.n_outputs
            hooked = node._hooked
            if hooked:
                grads = _run_pre_hooks(node, grads)
            if target_slots is not None and node in target_slots:
                for nr, i in target_slots[node]:
                    captured[i] = grads[nr]
                    if accumulate and grads[nr] is not None:
                        pending.append((targets.tensors[i], grads[nr]))
            if node.__class__ is accumulate_grad:
                if accumulate and targets is None and grads[0] is not None:
                    t = node.variable
                    if t is not None:
                        pending.append((t, grads[0]))
                continue
            if runs is not None and node not in runs:
                continue
            nexts = node.next_functions
            if len(grads) == 1:
                if grads[0] is None:
                    gin = (None,) * len(nexts)
                else:
                    op = node.op
                    vjp = op.vjp
                    if vjp is None:
                        _raise_no_derivative(node)
                    try:
                        gin = vjp(node, grads[0])
                    except Exception:
                        _warn_forward_trace(node)
                        raise
                    if hooked or anomaly or op.check_grads:
                        gin = _check_rule_result(node, gin, grads, batch_ndim)
                    elif gin.__class__ is not tuple:
                        gin = tuple(gin) if gin.__class__ is list else (gin,)
            elif all(g is None for g in grads):
                gin = (None,) * len(nexts)
            else:
                vjp = node.op.vjp
                if vjp is None:
                    _raise_no_derivative(node)
                try:
                    gin = vjp(node, *grads)
                except Exception:
                    _warn_forward_trace(node)
                    raise
                gin = _check_rule_result(node, gin, grads, batch_ndim)
            if not retain_graph:
                node._saved = node._out_data = None
            for (m, nr), g in zip(nexts, gin):
                if m is None:
                    continue
                if g is not None:
                    buf = buffers.get(m)
                    if buf is None:
                        buffers[m] = [g] if m.n_outputs == 1 else _slots(m, nr, g)
                    elif buf[nr] is None:
                        buf[nr] = g
                    else:
                        buf[nr] = buf[nr] + g
                left = deps[m] - 1
                deps[m] = left
                if not left:
                    push(m)
        # leaf grads change only once the whole pass succeeded: an error leaves them intact
        if pending:
            root_arrays = {id(g._data) for g in root_grads}
            assigned: set = set()
            for t, g in pending:
                _accumulate_into(t, g, create_graph, root_arrays, assigned)
    finally:
        grad_mode._set(prev_mode)
    return captured


def _nodes_leading_to(target_slots, root_nodes, deps):
    """The nodes with a path to a target node, or None when that is every node: the
    common case of targets that are leaves (AccumulateGrad) covering every leaf reached."""
    if all(n.__class__ is AccumulateGrad for n in target_slots) and all(
            n in target_slots for n in deps if n.__class__ is AccumulateGrad):
        return None
    parents: dict = {}
    for n in list(root_nodes) + list(deps):
        for m, _ in n.next_functions:
            if m is not None:
                parents.setdefault(m, []).append(n)
    runs = set()
    stack = list(target_slots)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in runs:
                runs.add(p)
                stack.append(p)
    return runs


def _slots(node, nr, g):
    buf = [None] * node.n_outputs
    buf[nr] = g
    return buf


def _warn_forward_trace(node):
    """In anomaly mode, a backward that raised shows where its node's forward ran."""
    if _anomaly[0]:
        from numgrad.autograd.anomaly_mode import warn_forward_trace
        warn_forward_trace(node)


def _raise_no_derivative(node):
    raise RuntimeError(f"the derivative for '{node.op.name}' is not implemented.")


def _check_rule_result(node, gin, grads, batch_ndim):
    """The vjp rule's gradients as a tuple, one per input, each of its input's shape
    (after the leading batch dims); then the node's post-hooks."""
    if gin.__class__ is not tuple:
        gin = tuple(gin) if isinstance(gin, list) else (gin,)
    in_shapes = node.in_shapes
    if len(gin) != len(in_shapes):
        raise RuntimeError(
            f"function {node.name()} returned an incorrect number of gradients "
            f"(expected {len(in_shapes)}, got {len(gin)})")
    i = 0
    for g in gin:
        if g is not None:
            shape = g._data.shape
            if (shape[batch_ndim:] if batch_ndim else shape) != in_shapes[i]:
                raise RuntimeError(
                    f"Function {node.name()} returned an invalid gradient at index {i} - got "
                    f"{list(shape[batch_ndim:])} but expected shape compatible with "
                    f"{list(in_shapes[i])}")
            if _anomaly[0] and g._data.dtype.kind == "f" and np.isnan(g._data).any():
                from numgrad.autograd.anomaly_mode import report_nan
                report_nan(node, i)
        i += 1
    if node._hooks:
        for h in node._hooks:
            r = h(gin, tuple(grads))
            if r is not None:
                gin = tuple(r)
    return gin


def _run_pre_hooks(node, grads):
    grads = list(grads)
    if node._tensor_hooks:
        for nr, hook in list(node._tensor_hooks):
            if grads[nr] is not None:
                r = hook(grads[nr])
                if r is not None:
                    grads[nr] = r
    if node._pre_hooks:
        for hook in list(node._pre_hooks):
            r = hook(tuple(grads))
            if r is not None:
                grads = list(r)
    if node._retain is not None:
        t = node._retain()
        if t is not None and grads[t._output_nr] is not None:
            g = grads[t._output_nr]
            g = g if grad_mode.is_grad_enabled() else g.detach()
            t._grad = g.detach() if t._grad is None else t._grad + g
    return grads


def _accumulate_into(t, g, create_graph, root_arrays, assigned):
    """Add gradient `g` into `t.grad` (a fresh, writable array the first time)."""
    if not create_graph:
        a = g._data
        flags = a.flags
        if (not flags.writeable or a.base is not None or not flags.c_contiguous
                or id(a) in root_arrays or id(a) in assigned):
            a = np.array(a, copy=True)
        if g._requires_grad or a is not g._data:
            g = type(g)._make(a, False, None, None, g._device)
        assigned.add(id(a))
    if g._data.dtype != t._data.dtype:
        g = g.type(t._data.dtype)
    if t._grad is None:
        t._grad = g
    elif create_graph or t._grad.requires_grad:
        t._grad = t._grad + g
    elif t._grad._data.flags.writeable:
        np.add(t._grad._data, g._data, out=t._grad._data)  # in place, as PyTorch
        t._grad._version[0] += 1
    else:
        t._grad = t._grad + g


class Targets(list):
    """Edges to capture, plus the tensors they belong to."""

    def __init__(self, edges, tensors):
        super().__init__(edges)
        self.tensors = tensors

