"""Graph nodes: one `Node` per recorded op application, `AccumulateGrad` per leaf."""
from __future__ import annotations

import weakref

from numgrad import _tensor  # a cycle: _tensor imports this module; read at call time

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A backward function in the graph (what `tensor.grad_fn` returns).

    Fields read by derivative rules: `saved` (saved input tensors, None where
    not saved), `output` (the op's output, if saved), `params`, `in_shapes`,
    `out_shape`, `needs_input_grad`.
    """

    __slots__ = ("_saved", "_versions", "_out_data", "params", "in_shapes", "out_shape",
                 "needs_input_grad", "next_functions", "__dict__", "__weakref__")

    n_outputs = 1
    op = None  # the registry entry; a class attribute of each op's node class
    # rarely set (hooks, retain_grad, anomaly stack, forward tangent of the saved output):
    # class defaults, so recording a node does not pay for them
    _out_fw = _pre_hooks = _hooks = _tensor_hooks = _retain = _anomaly = None
    # True once a hook or retain_grad was registered: the engine's one check for all of them
    _hooked = False

    @property
    def metadata(self) -> dict:
        """A dict for the user's own annotations (as PyTorch's Node.metadata)."""
        return self.__dict__.setdefault("_metadata", {})

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def saved(self):
        if self._saved is None:  # freed by backward
            raise RuntimeError(_FREED_MSG)
        saved = self._saved
        for t, v in zip(saved, self._versions):
            if t is not None and t._version[0] != v:
                _raise_modified(t, self, v)
        return saved

    @property
    def output(self):
        if self._saved is None:  # freed by backward
            raise RuntimeError(_FREED_MSG)
        data, version = self._out_data
        if version[0] != self._versions[-1]:
            _raise_modified_out(self, version[0], self._versions[-1])
        t = _tensor.Tensor._make(data, True, self, version)
        t._fw = self._out_fw  # forward-mode tangents (forward_ad)
        return t

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        self._hooked = True
        return _Handle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return new grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        self._hooked = True
        return _Handle(self._pre_hooks, fn)

    def _free(self):
        self._saved = None
        self._out_data = None


def raise_modified(t, fn, nr: int, got: int, expected: int):
    """PyTorch's error for a saved tensor `t` modified in place: it names the op that
    produced it (`fn`, output `nr`; none for a leaf)."""
    where = f", which is output {nr} of {_op_name(fn)}," if fn is not None else ""
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{t._type_str()}]{where} is at version {got}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to compute "
        "its gradient, with numgrad.autograd.set_detect_anomaly(True).")


def _op_name(node) -> str:
    """The op of a graph node as PyTorch names it in that error ("Exp" for ExpBackward0)."""
    name = node.name()
    return name[:name.rindex("Backward")] if "Backward" in name else name


def _raise_modified(t, node, expected):
    raise_modified(t, t.grad_fn, t._output_nr, t._version[0], expected)


def _raise_modified_out(node, got, expected):
    raise_modified(_tensor.Tensor._make(node._out_data[0]), node, 0, got, expected)


class _Handle:
    """What register_hook returns: `.remove()` unregisters the hook."""

    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)


def node_class(op) -> type:
    """A Node subclass named after `op` (e.g. "SinBackward0") with `op` as class attribute."""
    return type(op.node_name, (Node,), {"__slots__": (), "op": op})


class AccumulateGrad:
    """The graph node of a leaf tensor that requires grad: adds incoming grads to `.grad`."""

    __slots__ = ("_variable_ref", "_pre_hooks", "_hooks", "_tensor_hooks", "_retain", "_hooked",
                 "metadata", "__weakref__")
    next_functions = ()
    n_outputs = 1

    def __init__(self, variable):
        self._variable_ref = weakref.ref(variable)
        self._pre_hooks = None
        self._hooks = None
        self._tensor_hooks = None
        self._retain = None
        self._hooked = False
        self.metadata = {}

    @property
    def variable(self):
        return self._variable_ref()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"

    register_hook = Node.register_hook
    register_prehook = Node.register_prehook
