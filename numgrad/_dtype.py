"""dtypes: numgrad uses numpy dtypes; the default float dtype is float32."""
from __future__ import annotations

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
float = float32
double = float64
long = int64
int = int32

_default = [float32]


def get_default_dtype() -> np.dtype:
    """The dtype Python floats become (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the dtype Python floats become: float32 or float64."""
    d = np.dtype(d)
    if d not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


_TORCH_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
                "bool": "Bool"}


def torch_name(d) -> str:
    """PyTorch's name of dtype `d` in messages ("Float", "Long", ...)."""
    return _TORCH_NAMES.get(str(d), str(d))


_C_NAMES = {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def c_name(d) -> str:
    """The C++ scalar type name PyTorch prints for dtype `d` in some messages ("double")."""
    return _C_NAMES.get(str(d), str(d))


def is_floating(d) -> bool:
    return np.dtype(d).kind == "f"


def is_integer(d) -> bool:
    return np.dtype(d).kind in "iu"


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """Result dtype of a binary op on two tensors (PyTorch's category rules)."""
    if a == b:
        return a
    if a.kind != b.kind:
        # the higher category wins as is: int64 + float32 -> float32 (numpy would say float64)
        order = "biuf"
        return a if order.index(a.kind) > order.index(b.kind) else b
    return np.promote_types(a, b)


def finfo(dtype=None) -> np.finfo:
    """Machine limits of a float dtype (default: the default dtype): `eps`, `max`, `min`,
    `tiny` / `smallest_normal`, `resolution`, `bits`, as torch.finfo."""
    d = get_default_dtype() if dtype is None else np.dtype(dtype)
    if d.kind != "f":
        raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to "
                        "handle 'torch.finfo'")
    return np.finfo(d)


def iinfo(dtype) -> np.iinfo:
    """Machine limits of an integer dtype (`max`, `min`, `bits`), as torch.iinfo."""
    d = np.dtype(dtype)
    if d.kind == "b":
        raise TypeError("torch.bool is not supported by torch.iinfo")
    if d.kind not in "iu":
        raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                        "'torch.iinfo'")
    return np.iinfo(d)
