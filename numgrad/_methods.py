"""Binds op functions to Tensor: methods, Python operators and in-place variants."""
from __future__ import annotations

import numpy as np

from numgrad import _dtype, creation
from numgrad._tensor import Tensor, _grad_enabled, write_out
from numgrad.oplib import MODULES
from numgrad.oplib import linalg
from numgrad.oplib import pointwise as P


def inplace(self: Tensor, fn, *args, **kwargs) -> Tensor:
    """Run `fn(self, *args)` and write the result into `self` (in place).

    The graph is rebased: `self.grad_fn` becomes the node of the new value,
    whose input is a snapshot of the old value; the version counter is bumped
    so saved copies of the old value are detected. For a view, its base is
    rebased instead (as PyTorch's CopySlices): see `_inplace_on_view`.
    """
    recording = _grad_enabled()
    if recording and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None and (self._fw is not None or base._fw is not None
                             or recording and base._requires_grad
                             or _any_tracked(args, kwargs, recording)):
        return _inplace_on_view(self, base, recording, fn, args, kwargs)
    old = self
    if recording and self._requires_grad:
        # a snapshot carrying the old value's place in the graph
        old = Tensor._make(self._data.copy(), True, self.grad_fn, None, self._device)
        old._output_nr = self._output_nr
        old._fw = self._fw and dict(self._fw)
    out = fn(old, *args, **kwargs)
    if recording and self._requires_grad and not out._requires_grad:
        # a value constant in the graph (copy_ of a plain tensor, floor_divide_, logical_and_):
        # its node gives the old value a zero gradient, as the old one's would be wrong
        out = P.where(_TRUE, out, old)
    _check_writable(self, out)
    np.copyto(self._data, out._data, casting="unsafe")
    self._version[0] += 1
    if out._fw is not None or self._fw is not None:
        from numgrad.autograd.forward_ad import _inplace_update
        _inplace_update(self, out)
    if out._requires_grad and recording:
        self._requires_grad = True
        self.grad_fn = out.grad_fn
        self._output_nr = out._output_nr
        if out.grad_fn._out_data is not None:
            out.grad_fn._out_data = (out._data, out._version)
    return self


def _any_tracked(args, kwargs, recording: bool) -> bool:
    """Whether an operand carries tangents or (when recording) requires grad."""
    return any(isinstance(a, Tensor) and (a._fw is not None or recording and a._requires_grad)
               for a in (*args, *kwargs.values()))


def _check_writable(self: Tensor, out: Tensor) -> None:
    """`out` can be written into `self`: same shape, no float into an integer or bool
    tensor nor integer into a bool one, writable memory."""
    if out._data.shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
            f"{list(out._data.shape)}")
    if _KIND_RANK[out._data.dtype.kind] > _KIND_RANK[self._data.dtype.kind]:
        raise RuntimeError(f"result type {_dtype.torch_name(out._data.dtype)} can't be cast to the "
                           f"desired output type {_dtype.torch_name(self._data.dtype)}")
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: the tensor is a read-only (expanded) view; "
                           "clone it before writing in place")


_TRUE = Tensor._make(np.ones((), dtype=bool))
_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2}  # PyTorch casts in place only down this order


def _inplace_on_view(self: Tensor, base: Tensor, recording: bool, fn, args, kwargs) -> Tensor:
    """In-place `fn` on a view whose base is in a graph or carries tangents (or gets
    them from the other operands): the base takes the new value through index_put at
    the view's elements (PyTorch's CopySlices), and the view becomes a selection of
    the new base, so gradients and tangents reach both and earlier values stay intact."""
    if recording and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    select, put = _selection(self, base)
    if self._fw:
        _give_base_tangents(self, base, put)
    out = fn(select(base), *args, **kwargs)  # the view's value with its place in the graph
    _check_writable(self, out)
    inplace(base, put, out)  # writes the view's memory too
    view = select(base)
    self._requires_grad = view._requires_grad
    self.grad_fn = view.grad_fn
    self._output_nr = 0
    self._view_fn = base.grad_fn
    if view._fw is not None or self._fw is not None:
        from numgrad.autograd.forward_ad import _inplace_update
        _inplace_update(self, view)
    return self


def view_of(view: Tensor, base: Tensor) -> Tensor:
    """The value of `view` as a selection of `base` (its place in base's graph)."""
    return _selection(view, base)[0](base)


def _selection(view: Tensor, base: Tensor):
    """(select, put) for the elements of `base` that `view` shows: select(b) gives them
    (with b's graph), put(b, v) gives b with v written there."""
    from numgrad.oplib.indexing import index_put
    from numgrad.oplib.shape import reshape
    if base._data.ndim == 0:  # the view holds the base's one element
        shape = view._data.shape
        return (lambda b: reshape(b, shape)), (lambda b, v: reshape(v, ()))
    idx = (Ellipsis,) + _elements_in(view._data, base._data)  # batched tangents: leading dims
    return (lambda b: b[idx]), (lambda b, v: index_put(b, idx, v))


def _give_base_tangents(view: Tensor, base: Tensor, put) -> None:
    """A tangent the view holds but its base lacks (a dual made by make_dual from a
    plain tensor): the base takes it at the view's elements, zero elsewhere."""
    from numgrad.autograd.forward_ad import _set_tangent
    for lv, t in view._fw.items():
        if lv.alive and (base._fw is None or lv not in base._fw):
            shape = t._data.shape[:t._data.ndim - view._data.ndim] + base._data.shape
            _set_tangent(base, lv, put(Tensor._make(np.zeros(shape, t._data.dtype)), t))


def _elements_in(view: np.ndarray, base: np.ndarray) -> tuple:
    """Where each element of `view` (an array in `base`'s memory) sits in `base`:
    one index array per dim of base, with base[idx] equal to view."""
    def addresses(a):
        addr = np.full(a.shape, a.__array_interface__["data"][0], dtype=np.int64)
        for k, (n, stride) in enumerate(zip(a.shape, a.strides)):
            addr += (np.arange(n, dtype=np.int64) * stride).reshape((-1,) + (1,) * (a.ndim - k - 1))
        return addr
    where = addresses(base).reshape(-1)
    order = np.argsort(where, kind="stable")
    flat = order[np.searchsorted(where[order], addresses(view))]
    return np.unravel_index(flat, base.shape)


def _make_inplace(fn):
    def method(self, *args, **kwargs):
        return inplace(self, fn, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}."
    return method


def _make_arith_inplace(fn, op):
    """x.add_(y) etc.: when nothing is recorded (no grad needed, no forward-mode
    tangents) and the result keeps x's dtype, the kernel writes straight into x
    (`op`'s kernel for a tensor y of x's dtype and device, fn's out= otherwise);
    else the general `inplace` path."""
    def method(self, other, **kwargs):
        if (self._fw is None and self._data.dtype.kind == "f"
                and not (_grad_enabled() and (self._requires_grad
                                              or getattr(other, "_requires_grad", False)))
                and self._data.flags.writeable):
            if isinstance(other, Tensor):
                if other._fw is None and other._data.dtype == self._data.dtype:
                    if not kwargs and other._device == self._device:
                        return write_out(op, (self._data, other._data), self)
                    return fn(self, other, out=self, **kwargs)
            elif other.__class__ is float or other.__class__ is int:
                return fn(self, other, out=self, **kwargs)
        return inplace(self, fn, other, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}."
    return method


_ARITH = {P.add: P.ADD, P.sub: P.SUB, P.mul: P.MUL, P.div: P.DIV}
INPLACE_FUNCTIONS = {}
for _mod in MODULES:
    for _name in _mod.METHODS:
        setattr(Tensor, _name, getattr(_mod, _name))
    for _name in _mod.INPLACE:
        _fn = getattr(_mod, _name)
        _m = _make_arith_inplace(_fn, _ARITH[_fn]) if _fn in _ARITH else _make_inplace(_fn)
        setattr(Tensor, _name + "_", _m)
        INPLACE_FUNCTIONS[_name + "_"] = _m


def _zero_(self):
    return inplace(self, lambda x: Tensor._make(np.zeros_like(x._data)))


def _copy_(self, src):
    from numgrad.oplib.shape import expand
    src = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
    return inplace(self, lambda x, s: P.to_dtype(expand(s, x.shape), x.dtype), src)


def _fill_(self, value):
    return _copy_(self, value)  # a number or a 0-d tensor (taking the sum of the gradient)


Tensor.zero_ = _zero_
Tensor.fill_ = _fill_
Tensor.copy_ = _copy_


def _rev(fn):
    return lambda self, other: fn(other, self)


# Python's binary operators: __op__, the reflected __rop__ (for a commutative function
# self stays the first input, as in PyTorch) and the in-place __iop__ (its `_` method)
for _stem, _fn, _commutative, _inplace in (
        ("add", P.add, True, True), ("sub", P.sub, False, True), ("mul", P.mul, True, True),
        ("truediv", P.div, False, True), ("floordiv", P.floor_divide, False, True),
        ("mod", P.remainder, False, True), ("pow", P.pow, False, False),
        ("matmul", linalg.matmul, False, False), ("and", P.bitwise_and, True, True),
        ("or", P.bitwise_or, True, True), ("xor", P.bitwise_xor, True, True)):
    setattr(Tensor, f"__{_stem}__", _fn)
    setattr(Tensor, f"__r{_stem}__", _fn if _commutative else _rev(_fn))
    if _inplace:
        setattr(Tensor, f"__i{_stem}__", getattr(Tensor, _fn.__name__ + "_"))
Tensor.normal_ = creation.normal_
Tensor.uniform_ = creation.uniform_
Tensor.nonzero = creation.nonzero
Tensor.__neg__ = P.neg
Tensor.__abs__ = P.abs
Tensor.__pos__ = Tensor.positive = lambda self: self  # noqa: E731  (PyTorch: +x is x)


def _invert(self: Tensor) -> Tensor:
    """~x: bitwise not of a bool or integer tensor."""
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return P.bitwise_not(self)


Tensor.__invert__ = _invert
Tensor.__eq__ = P.eq
Tensor.__ne__ = P.ne
Tensor.__lt__ = P.lt
Tensor.__le__ = P.le
Tensor.__gt__ = P.gt
Tensor.__ge__ = P.ge
_REVERSED_DIMS = [tuple(reversed(range(n))) for n in range(8)]
Tensor.T = property(lambda self: self.permute(
    _REVERSED_DIMS[self._data.ndim] if self._data.ndim < 8 else tuple(reversed(range(self.ndim)))))
def _mT(self: Tensor) -> Tensor:
    """The matrix transpose of the last two dims (of a matrix or a batch of them)."""
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return self.transpose(-2, -1)


Tensor.mT = property(_mT)
