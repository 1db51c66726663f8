"""save / load: torch.save / torch.load for numgrad objects.

File format: the 9 bytes b"NUMGRAD1\\n", then one pickle (protocol 4) of the object.
Tensors and dtypes are not pickled as objects but as *persistent ids* (plain tuples):

    ("tensor", key, kind, dtype_str, shape, raw_bytes, requires_grad)
    ("dtype", dtype_str)

`kind` is "tensor" or "parameter" (numgrad.nn.Parameter); `key` numbers the tensors
so a tensor saved twice in one object (tied weights) loads as one tensor. The data is
the C-order bytes of the numpy array; `.grad` and the graph are not saved (as in PyTorch).

With weights_only=True (the default, as in PyTorch) the unpickler only accepts those ids,
builtin containers and scalars and collections.OrderedDict; any other global (classes,
functions) fails with pickle.UnpicklingError. Pass weights_only=False to load arbitrary
pickled objects from files you trust.
"""
from __future__ import annotations

import io
import os
import pickle
from typing import IO, Any, Union

import numpy as np

from numgrad._tensor import Tensor

_MAGIC = b"NUMGRAD1\n"
FileLike = Union[str, os.PathLike, IO[bytes]]

_SAFE_GLOBALS = {("collections", "OrderedDict"), ("builtins", "set"),
                 ("builtins", "frozenset"), ("builtins", "complex"), ("builtins", "slice"),
                 ("builtins", "bytearray"), ("builtins", "range")}


class _Pickler(pickle.Pickler):
    def __init__(self, f):
        super().__init__(f, protocol=4)
        self._keys: dict[int, int] = {}
        self._keep: list = []  # keeps ids valid while saving

    def persistent_id(self, obj):
        if isinstance(obj, Tensor):
            from numgrad.nn import Parameter
            first = id(obj) not in self._keys
            key = self._keys.setdefault(id(obj), len(self._keys))
            self._keep.append(obj)
            if not first:
                return ("tensor", key, None, None, None, None, None)
            a = obj._data
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return ("tensor", key, kind, a.dtype.str, a.shape, a.tobytes(order="C"),
                    obj._requires_grad)
        if isinstance(obj, np.dtype):
            return ("dtype", obj.str)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, weights_only: bool):
        super().__init__(f)
        self._weights_only = weights_only
        self._tensors: dict[int, Tensor] = {}

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or not pid:
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        if pid[0] == "dtype":
            return np.dtype(pid[1])
        if pid[0] != "tensor":
            raise pickle.UnpicklingError(f"unsupported persistent id {pid[0]!r}")
        _, key, kind, dt, shape, raw, requires_grad = pid
        if key in self._tensors:
            return self._tensors[key]
        a = np.frombuffer(raw, dtype=np.dtype(dt)).reshape(shape).copy()
        if kind == "parameter":
            from numgrad.nn import Parameter
            t = Parameter(Tensor._make(a), requires_grad=bool(requires_grad))
        else:
            t = Tensor._make(a)
            if requires_grad:
                t.requires_grad = True
        self._tensors[key] = t
        return t

    def find_class(self, module: str, name: str):
        if self._weights_only and (module, name) not in _SAFE_GLOBALS:
            raise pickle.UnpicklingError(
                "Weights only load failed. Re-running `load` with `weights_only` set to "
                "`False` will likely succeed, but it can result in arbitrary code execution. "
                f"Do it only if you got the file from a trusted source.\n"
                f"Unsupported global: GLOBAL {module}.{name}")
        return super().find_class(module, name)


def save(obj: Any, f: FileLike) -> None:
    """Save `obj` (tensors, state_dicts, nested containers, plain values) to a path or
    binary file object."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            return save(obj, fh)
    buf = io.BytesIO()
    _Pickler(buf).dump(obj)
    f.write(_MAGIC)
    f.write(buf.getvalue())


def load(f: FileLike, map_location=None, *, weights_only: bool | None = None) -> Any:
    """Load an object written by `save`. weights_only (default True) refuses any pickled
    global other than builtin containers; map_location may only name the CPU."""
    if map_location is not None and not callable(map_location) and not isinstance(
            map_location, dict) and str(map_location) != "cpu":
        raise RuntimeError(f"device {str(map_location)!r} is not available (only 'cpu' in "
                           "this build)")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return load(fh, map_location, weights_only=weights_only)
    if f.read(len(_MAGIC)) != _MAGIC:
        raise RuntimeError("Invalid magic number; corrupt file or not saved by numgrad.save")
    return _Unpickler(f, True if weights_only is None else bool(weights_only)).load()


__all__ = ["save", "load"]
