"""Tensor, and `apply`: run a registered op and record it in the graph."""
from __future__ import annotations

import weakref
from typing import Any, Sequence

import numpy as np

from numgrad import _dtype
from numgrad.autograd import grad_mode
from numgrad.autograd.graph import AccumulateGrad, node_class
from numgrad.ops.registry import Op

_grad_state = grad_mode._state


def _grad_enabled() -> bool:
    return _grad_state.enabled


class Tensor:
    """An n-dimensional array that can record the operations applied to it."""

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_version", "_output_nr",
                 "_accum", "_base", "_view_fn", "_device", "_fw", "__weakref__")

    __array_priority__ = 1000  # numpy scalars/arrays defer to Tensor operators

    def __init__(self, *args: Any, requires_grad: bool = False):
        """PyTorch's legacy constructor: Tensor(2, 3) is an uninitialized 2x3 tensor of
        the default dtype; Tensor(data) holds a sequence's values in the default dtype
        (a tensor's data as they are); Tensor() is empty."""
        dt = _dtype.get_default_dtype()
        if args and all(a.__class__ is int for a in args):
            data = np.empty(args, dtype=dt)
        elif len(args) > 1:
            raise TypeError("new() received an invalid combination of arguments")
        elif not args:
            data = np.empty(0, dtype=dt)
        elif isinstance(args[0], Tensor):
            data = args[0]._data
        elif isinstance(args[0], (list, tuple, np.ndarray)):
            data = np.array(args[0], dtype=dt)
        else:
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        _init_fields(self, data, False, None, None, "cpu")
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _make(cls, data, requires_grad=False, grad_fn=None, version=None, device="cpu"):
        t = object.__new__(cls)
        _init_fields(t, data, requires_grad, grad_fn, version, device)
        return t

    # ----- attributes -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def device(self) -> "Device":
        return Device(self._device)

    @property
    def is_cuda(self) -> bool:
        return self._device.startswith("cuda")

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self) -> np.ndarray:
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data
        return a if dtype is None else a.astype(dtype, copy=False)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        if self._base is not None and self._view_fn is not self._base.grad_fn:
            refresh_view(self)
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        flag = bool(flag)
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if flag and not _dtype.is_floating(self._data.dtype):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = flag

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has data of a different size: expected {list(self.shape)}, "
                    f"got {list(value.shape)}")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        return Tensor._make(self._data, False, None, None, self._device)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def _version_value(self) -> int:
        return self._version[0]

    def detach(self) -> "Tensor":
        """A tensor sharing storage (and version counter) that does not require grad."""
        t = Tensor._make(self._data, False, None, self._version, self._device)
        return t

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        self.grad_fn._retain = weakref.ref(self)
        self.grad_fn._hooked = True

    @property
    def retains_grad(self) -> bool:
        n = self.grad_fn
        return n is not None and n._retain is not None and n._retain() is self

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, run when the gradient of this tensor is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else _accumulate_node(self)
        if node._tensor_hooks is None:
            node._tensor_hooks = []
        entry = (self._output_nr, hook)
        node._tensor_hooks.append(entry)
        node._hooked = True
        from numgrad.autograd.graph import _Handle
        return _Handle(node._tensor_hooks, entry)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate the gradient of this tensor into the `.grad` of graph leaves."""
        from numgrad.autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ----- conversion ---------------------------------------------------
    def _type_str(self) -> str:
        name = _dtype._TORCH_NAMES.get(str(self.dtype), "")
        return f"torch.{name}Tensor {list(self.shape)}"

    def __repr__(self) -> str:
        return _format(self)

    def __format__(self, spec: str) -> str:
        """f"{loss:.4f}": a one-element 0-d tensor formats as its Python number."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return object.__format__(self, spec)

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self._scalar())

    def __int__(self) -> int:
        return int(self._scalar())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __index__(self) -> int:
        if not _dtype.is_integer(self.dtype) or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.")
        t = type(self)._make(self._data.copy(), self._requires_grad, None, None, self._device)
        if type(self) is not Tensor:
            t.__dict__.update(getattr(self, "__dict__", {}))
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, proto):
        return (_rebuild, (self._data, self._requires_grad))

    def clone(self) -> "Tensor":
        from numgrad.oplib import shape
        return shape.clone(self)

    def to(self, *args, **kwargs) -> "Tensor":
        """Return a tensor with the given dtype and/or device ("cpu")."""
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, str) or isinstance(a, Device):
                device = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                dtype = a
        out = self
        if device is not None and str(device) != self._device:
            raise RuntimeError(f"device {str(device)!r} is not available (only 'cpu' in this build)")
        if dtype is not None and np.dtype(dtype) != self.dtype:
            out = out.type(dtype)
        return out

    def cpu(self) -> "Tensor":
        return self

    def cuda(self, device=None) -> "Tensor":
        raise RuntimeError("CUDA is not available: numgrad's CUDA kernels are not built in this version")

    def type(self, dtype) -> "Tensor":
        from numgrad.oplib import pointwise
        return pointwise.to_dtype(self, np.dtype(dtype))

    def float(self) -> "Tensor":
        return self.type(np.float32)

    def double(self) -> "Tensor":
        return self.type(np.float64)

    def long(self) -> "Tensor":
        return self.type(np.int64)

    def int(self) -> "Tensor":
        return self.type(np.int32)

    def bool(self) -> "Tensor":
        return self.type(np.bool_)

    def is_floating_point(self) -> bool:
        return _dtype.is_floating(self.dtype)

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    def contiguous(self) -> "Tensor":
        return self if self._data.flags.c_contiguous else self.clone()


class Device(str):
    """A device name ("cpu" or "cuda:0"), accepted wherever a device string is and
    equal to it; `.type` and `.index` as PyTorch's torch.device."""

    @property
    def type(self) -> str:
        return self.split(":")[0]

    @property
    def index(self) -> int | None:
        _, _, i = self.partition(":")
        return int(i) if i else None

    def __repr__(self) -> str:
        i = self.index
        return f"device(type='{self.type}')" if i is None else f"device(type='{self.type}', index={i})"


def device(name: str) -> Device:
    return Device(name)


def _rebuild(data, requires_grad):
    return Tensor._make(data, requires_grad)


def _format(t: Tensor) -> str:
    a = t._data
    summarize = a.size > _PRINT_THRESHOLD
    fmt = _element_formatter(_summarized(a) if summarize else a)
    if a.ndim == 0:
        body = fmt(a.item())
    elif a.size == 0:
        body = "[]"
    else:
        body = _nested_str(a, len("tensor("), fmt, summarize)
    extras = []
    if a.size == 0 and a.shape != (0,):
        extras.append(f"size={tuple(a.shape)}")
    if a.dtype != _dtype.get_default_dtype() and (a.size == 0 or a.dtype not in _INFERRED_DTYPES):
        extras.append(f"dtype=torch.{a.dtype}")  # empty: nothing shows int64 or bool
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._requires_grad:
        extras.append("requires_grad=True")
    # suffixes go on a new line where they would pass the line width, as PyTorch's
    text = "tensor(" + body
    last_line = len(text) - text.rfind("\n") + 1
    for e in extras:
        if last_line + len(e) + 2 > _LINE_WIDTH:
            text += ",\n" + " " * len("tensor(") + e
            last_line = len("tensor(") + len(e)
        else:
            text += ", " + e
            last_line += len(e) + 2
    return text + ")"


# PyTorch's print options: summarize beyond 1000 elements with 3 edge items per dim,
# 80 columns, 4 decimals
_PRINT_THRESHOLD, _EDGE_ITEMS, _LINE_WIDTH = 1000, 3, 80
# dtypes a non-empty repr leaves out: the values show them
_INFERRED_DTYPES = (np.dtype(np.int64), np.dtype(np.bool_))


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements a summarized print shows (edge items along every dim), flattened."""
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape[0] > 2 * _EDGE_ITEMS:
        a = np.concatenate([a[:_EDGE_ITEMS], a[-_EDGE_ITEMS:]])
    return a if a.ndim == 1 else np.concatenate([_summarized(x) for x in a])


def _nested_str(a: np.ndarray, indent: int, fmt, summarize: bool) -> str:
    """`a` (ndim >= 1) as PyTorch prints it, starting at column `indent`."""
    n = a.shape[0]
    cut = summarize and n > 2 * _EDGE_ITEMS
    rows = (list(range(_EDGE_ITEMS)) + [None] + list(range(n - _EDGE_ITEMS, n))) if cut \
        else range(n)
    if a.ndim == 1:
        items = [" ..." if i is None else fmt(a[i].item()) for i in rows]
        per_line = max(1, (_LINE_WIDTH - indent) // (len(fmt(a[0].item())) + 2)) if n else 1
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = ["..." if i is None else _nested_str(a[i], indent + 1, fmt, summarize) for i in rows]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _element_formatter(a: np.ndarray):
    """PyTorch's element format for the values `a`, right-justified to a common width.
    Floats: integers as "3.", else 4 decimals, scientific when the nonzero finite
    magnitudes span more than 1000x or leave [1e-4, 1e8]."""
    if a.dtype.kind != "f":
        strs = [str(v) for v in a.reshape(-1).tolist()]
        width = max([1] + [len(x) for x in strs])
        return lambda v: str(v).rjust(width)
    finite = a[np.isfinite(a)]
    vals = finite[finite != 0].astype(np.float64)
    int_mode = bool(np.all(vals == np.ceil(vals)))
    sci = False
    if vals.size:
        mags = np.abs(vals)
        mx, mn = mags.max(), mags.min()
        sci = mx / mn > 1000.0 or mx > 1.0e8 or (not int_mode and mn < 1.0e-4)

    def fmt(v) -> str:
        if sci:
            return f"{v:.4e}"
        if int_mode:
            return f"{v:.0f}." if np.isfinite(v) else f"{v:.0f}"
        return f"{v:.4f}"
    width = 1
    if vals.size:  # the widest string comes from an extreme value or magnitude
        mags = np.abs(vals)
        for v in (vals.max(), vals.min(), vals[mags.argmax()], vals[mags.argmin()]):
            width = max(width, len(fmt(v)))
    return lambda v: fmt(v).rjust(width)


def _accumulate_node(t: Tensor) -> AccumulateGrad:
    """The (cached) AccumulateGrad node of leaf `t`."""
    acc = t._accum
    if acc is None:
        acc = t._accum = AccumulateGrad(t)
    return acc


def _edge(t: Tensor):
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    if t._requires_grad:
        acc = t._accum
        if acc is None:
            acc = _accumulate_node(t)
        return (acc, 0)
    return _NO_EDGE


_NO_EDGE = (None, 0)


# ----- creating tensors ---------------------------------------------------

def _infer_array(data, dtype) -> np.ndarray:
    if isinstance(data, Tensor):
        a = data._data
    elif isinstance(data, np.ndarray):
        a = data
    elif isinstance(data, (list, tuple)) and any(isinstance(d, Tensor) for d in _flatten(data)):
        a = np.array([[_as_np(x) for x in data]][0])
    else:
        a = np.asarray(data)
        if a.dtype.kind == "f" and dtype is None and not isinstance(data, np.generic):
            a = a.astype(_dtype.get_default_dtype())
        elif a.dtype.kind in "iu" and dtype is None and not isinstance(data, np.generic):
            a = a.astype(np.int64)
    if dtype is not None:
        a = a.astype(np.dtype(dtype), copy=False)
    elif a.dtype.kind not in "fiub":
        raise TypeError(f"can't convert data of dtype {a.dtype} to a tensor")
    return a


def _flatten(xs):
    for x in xs:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        else:
            yield x


def _as_np(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return np.array([_as_np(v) for v in x])
    return x


def tensor(data: Any, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A new leaf tensor holding a copy of `data`."""
    _check_device(device)
    a = np.array(_infer_array(data, dtype), copy=True)
    t = Tensor._make(a)
    return requiring_grad(t) if requires_grad else t


def requiring_grad(t: Tensor) -> Tensor:
    """`t` made to require grad by a factory function's requires_grad=True (whose error
    PyTorch words differently from requires_grad_'s)."""
    if t._data.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t._requires_grad = True
    return t


def as_tensor(data: Any, dtype=None, device=None) -> Tensor:
    """`data` as a tensor, sharing memory where possible."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return Tensor._make(_infer_array(data, dtype))


def from_numpy(a: np.ndarray) -> Tensor:
    """A tensor sharing memory with numpy array `a`."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    return Tensor._make(a)


def _check_device(device) -> None:
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"device {str(device)!r} is not available (only 'cpu' in this build)")


def scalar_array(x: float | int, dt: np.dtype) -> np.ndarray:
    """A read-only 0-d array holding `x` as `dt`, cached: ops wrapping Python
    scalars (x * 2.0, softplus's beta) do not build a new array per call."""
    key = (x, dt) if x else (repr(x), dt)  # 0.0 == -0.0 == 0 would share one entry
    a = _scalar_arrays.get(key)
    if a is None:
        a = np.array(x, dtype=dt)
        a.flags.writeable = False  # shared between calls: never written
        if len(_scalar_arrays) < 4096:
            _scalar_arrays[key] = a
    return a


def to_tensor_like(x, like: Tensor) -> Tensor:
    """Wrap a Python/numpy scalar as a tensor of `like`'s dtype (PyTorch scalar promotion)."""
    if isinstance(x, Tensor):
        return x
    dt = like._data.dtype
    cls = x.__class__
    if cls is float or cls is int:
        if cls is float and dt.kind != "f":
            dt = _dtype.get_default_dtype()
        elif dt.kind == "b":
            dt = np.dtype(np.int64) if cls is int else _dtype.get_default_dtype()
        return _new(scalar_array(x, dt), like._device)
    if cls is bool or isinstance(x, np.bool_):
        return Tensor._make(np.asarray(x, dtype=dt if dt.kind in "fiu" else np.bool_))
    if isinstance(x, np.generic):
        kind = x.dtype.kind
        if kind == "f" and dt.kind != "f":
            dt = _dtype.get_default_dtype()
        return Tensor._make(np.asarray(x, dtype=dt))
    if isinstance(x, (np.ndarray, list, tuple)):
        a = np.asarray(x)
        return Tensor._make(a.astype(dt) if a.dtype.kind != "f" or dt.kind == "f" else a)
    raise TypeError(f"expected Tensor or number, got {type(x).__name__}")


_scalar_arrays: dict = {}


# ----- recording ops --------------------------------------------------------

def apply(op: Op, inputs: Sequence[Tensor], params: dict | None = None) -> Tensor:
    """Run `op` on `inputs` and, when grad mode is on and an input requires
    grad, record a graph node for it. This is the per-op hot path."""
    # (each input: a view whose base was rebased in place since it was made is refreshed
    # first, see refresh_view; the check is written out, as this is the per-op hot path)
    if len(inputs) == 1:
        t = inputs[0]
        if t._base is not None and t._view_fn is not t._base.grad_fn:
            refresh_view(t)
        dev = t._device
        record = t._requires_grad
        arrays = (t._data,)
    elif len(inputs) == 2:
        t, u = inputs
        if t._base is not None and t._view_fn is not t._base.grad_fn:
            refresh_view(t)
        if u._base is not None and u._view_fn is not u._base.grad_fn:
            refresh_view(u)
        dev = t._device
        if u._device != dev:
            _raise_devices(dev, u._device)
        record = t._requires_grad or u._requires_grad
        arrays = (t._data, u._data)
    else:
        dev = inputs[0]._device
        record = False
        arrays = []
        for t in inputs:
            if t._base is not None and t._view_fn is not t._base.grad_fn:
                refresh_view(t)
            if t._requires_grad:
                record = True
            if t._device != dev:
                _raise_devices(dev, t._device)
            arrays.append(t._data)
    impl = op.impls.get(dev)
    if impl is None:
        raise NotImplementedError(f"op {op.name!r} has no kernel for device {dev!r}")
    if _profiler is not None:
        _profiler.begin(op.name, arrays)
        try:
            out = impl(op, *arrays, **params) if params else impl(op, *arrays)
        finally:
            _profiler.end()
    else:
        out = impl(op, *arrays, **params) if params else impl(op, *arrays)
    if out.__class__ is not _ndarray and dev == "cpu":
        out = np.asarray(out)  # numpy gives scalars for 0-d results; tensors hold arrays
    res = _new(out, dev)
    if record and op.differentiable and _grad_state.enabled:
        res._requires_grad = True
        res.grad_fn = _record(op, inputs, params, res)
    if _fw_hook is not None:
        _fw_hook(op, inputs, params, res)
    return res


def apply_out(op: Op, inputs: Sequence[Tensor], out: Tensor) -> Tensor:
    """Run elementwise `op` on `inputs`, writing the result into `out` (PyTorch's
    `out=`): no graph node, `out`'s version counter is bumped."""
    if _grad_state.enabled and (out._requires_grad or any(t._requires_grad for t in inputs)):
        raise RuntimeError(
            f"{op.name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad.")
    if out._fw is not None or any(t._fw is not None for t in inputs):
        raise RuntimeError(f"{op.name}(): out=... is not supported with forward-mode AD")
    dev = out._device
    for t in inputs:
        if t._device != dev:
            _raise_devices(dev, t._device)
    if not out._data.flags.writeable:
        raise RuntimeError("unsupported operation: the out= tensor is a read-only (expanded) view")
    return write_out(op, [t._data for t in inputs], out)


def write_out(op: Op, arrays, out: Tensor) -> Tensor:
    """Run `op`'s kernel on `arrays` (on `out`'s device) into `out` and bump its version:
    apply_out after its checks (in-place arithmetic calls it directly)."""
    try:
        op.impls[out._device](op, *arrays, out=out._data)
    except TypeError as e:  # numpy refused the cast into out's dtype
        raise RuntimeError(
            f"result type {_dtype.torch_name(arrays[0].dtype)} can't be cast to the desired "
            f"output type {_dtype.torch_name(out._data.dtype)}") from e
    except ValueError as e:  # out's shape is not the broadcast shape
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        raise RuntimeError(f"output with shape {list(out._data.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}") from e
    out._version[0] += 1
    return out


def _raise_devices(a, b):
    raise RuntimeError("Expected all tensors to be on the same device, but found at least two "
                       f"devices, {a} and {b}!")


def _init_fields(t, data, requires_grad, grad_fn, version, device) -> None:
    t._data = data
    t._requires_grad = requires_grad
    t._grad = None
    t.grad_fn = grad_fn
    t._version = version if version is not None else [0]
    t._output_nr = 0
    t._accum = None
    t._base = None
    t._view_fn = None
    t._device = device
    t._fw = None


def _new(data, dev="cpu") -> Tensor:
    """A plain result tensor: _init_fields inlined, as this runs once per op."""
    t = _object_new(Tensor)
    t._data = data
    t._requires_grad = False
    t._grad = None
    t.grad_fn = None
    t._version = [0]
    t._output_nr = 0
    t._accum = None
    t._base = None
    t._view_fn = None
    t._device = dev
    t._fw = None
    return t


_object_new = object.__new__
_ndarray = np.ndarray


# forward-mode AD installs a callback here (numgrad.autograd.forward_ad)
_fw_hook = None
# the active numgrad.autograd.profiler.profile, if any
_profiler = None


def _record(op: Op, inputs, params, out: Tensor):
    node = (op._node_cls or op_node_class(op))()
    n = len(inputs)
    if n == 1:
        t = inputs[0]
        if op.save:  # a one-input op can only save its input
            node._saved = (t,)
            versions = [t._version[0]]
        else:
            node._saved = ()
            versions = []
        node.in_shapes = (t._data.shape,)
        node.needs_input_grad = _ONE_NEEDS_GRAD
        fn = t.grad_fn
        node.next_functions = ((fn, t._output_nr) if fn is not None else _edge(t),)
    elif n == 2:
        t, u = inputs
        rt, ru = t._requires_grad, u._requires_grad
        need = _TWO_NEED_GRAD[rt][ru]
        if op.save:
            st, su = op.saved_inputs(need)
            node._saved = (t if st else None, u if su else None)
            versions = [t._version[0] if st else 0, u._version[0] if su else 0]
        else:
            node._saved = ()
            versions = []
        node.in_shapes = (t._data.shape, u._data.shape)
        node.needs_input_grad = need
        fn, fu = t.grad_fn, u.grad_fn
        node.next_functions = (
            (fn, t._output_nr) if fn is not None else (_edge(t) if rt else _NO_EDGE),
            (fu, u._output_nr) if fu is not None else (_edge(u) if ru else _NO_EDGE))
    else:
        need, shapes, edges = [], [], []
        for t in inputs:
            need.append(t._requires_grad)
            shapes.append(t._data.shape)
            edges.append(_edge(t))
        need = tuple(need)
        if op.save:
            saved, versions = [], []
            for t, s in zip(inputs, op.saved_inputs(need)):
                saved.append(t if s else None)
                versions.append(t._version[0] if s else 0)
            node._saved = tuple(saved)
        else:
            node._saved = ()
            versions = []
        node.in_shapes = tuple(shapes)
        node.needs_input_grad = need
        node.next_functions = tuple(edges)
    if op.save_output:
        node._out_data = (out._data, out._version)
        versions.append(0)
    else:
        node._out_data = None
    node._versions = versions
    node.params = params
    node.out_shape = out._data.shape
    if _anomaly_hook is not None:
        _anomaly_hook(node)
    return node


_ONE_NEEDS_GRAD = (True,)
_TWO_NEED_GRAD = tuple(tuple((a, b) for b in (False, True)) for a in (False, True))
_anomaly_hook = None


def op_node_class(op: Op) -> type:
    """The graph-node class of `op` (one per op, made on first use)."""
    cls = op._node_cls
    if cls is None:
        cls = op._node_cls = node_class(op)
    return cls


def mark_view(out: Tensor, base: Tensor) -> Tensor:
    """Make `out` share `base`'s version counter when it shares its memory."""
    d, b = out._data, base._data
    owner = d.base  # numpy points a view of a view at the array owning the memory
    if (owner is not None and (owner is b or owner is b.base)) or np.may_share_memory(d, b):
        out._version = base._version
        root = base if base._base is None else base._base
        out._base = root
        out._view_fn = root.grad_fn
    return out


def refresh_view(t: Tensor) -> None:
    """A view whose base was rebased by an in-place op after the view was made (its
    grad_fn changed): the view's place in the graph becomes a selection of the base's
    new value (as PyTorch regenerates a view's grad_fn), so gradients see the write."""
    if _grad_state.enabled:  # (else nothing is recorded: refreshed when it will be)
        from numgrad._methods import view_of
        base = t._base
        v = view_of(t, base)
        t._requires_grad, t.grad_fn, t._output_nr = v._requires_grad, v.grad_fn, 0
        t._view_fn = base.grad_fn
