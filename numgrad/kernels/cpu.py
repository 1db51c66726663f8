"""CPU kernels built with Numba.

Elementwise kernels are generated from an op's scalar formula: a plain Python
function of scalars that Numba compiles into a numpy ufunc for one dtype.
Kernels are built lazily (on first use of an op with a dtype) and cached on
disk, so importing numgrad compiles nothing.
"""
from __future__ import annotations

import hashlib
import math
import os

import numba
import numpy as np
from numba import types
from numba.extending import overload, register_jitable

from numgrad.kernels import vmath

_NUMBA_TYPE = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.bool_): "boolean",
}


def elementwise(scalar_fn, nin: int, dtype: np.dtype, out_dtype: np.dtype | None = None) -> np.ufunc:
    """Compile `scalar_fn` (nin scalars -> scalar) into a ufunc for `dtype`."""
    t = _NUMBA_TYPE[np.dtype(dtype)]
    o = _NUMBA_TYPE[np.dtype(out_dtype if out_dtype is not None else dtype)]
    sig = f"{o}({', '.join([t] * nin)})"
    # .ufunc is the raw numpy ufunc: about 3x cheaper to call than the DUFunc.
    try:
        return numba.vectorize([sig], cache=True)(scalar_fn).ufunc
    except RuntimeError as e:  # defined in a REPL/notebook: no source file to key a disk cache on
        if "locator" not in str(e):
            raise
        return numba.vectorize([sig])(scalar_fn).ufunc


# ---- scalar-broadcast loops ------------------------------------------------
# A ufunc given a 0-d operand (x * 2.0, x + alpha * y, x ** 2 in a batched
# backward pass) runs numba's strided loop, which does not vectorize: about 4x
# slower than the contiguous one on large arrays. For that case
# `elementwise_loop` compiles a loop over a (rows, inner) view of the output
# that takes each operand as a full (rows, inner) array, as one (inner,) row
# broadcast over the rows, or as a scalar.

def _at(a, r, j):
    """a[r, j], a[j] or a: an operand's element (which one is chosen when compiling)."""


@overload(_at, inline="always")
def _at_overload(a, r, j):
    if isinstance(a, types.Array):
        if a.ndim == 2:
            return lambda a, r, j: a[r, j]
        return lambda a, r, j: a[j]
    return lambda a, r, j: a


_jitable: dict = {}


def elementwise_loop(scalar_fn, nin: int, inplace: bool = False):
    """A jitted loop(out, *operands) writing scalar_fn over 2-D `out`, operands as
    `broadcast_plan` gives them. inplace=True: loop(*operands) writing into the
    first operand (a separate `out` aliasing an input would defeat vectorization:
    LLVM's overlap check falls back to the scalar loop).

    Numba keys a closure's disk cache on its cell contents: `f` is pickled by
    reference and `version` changes with scalar_fn's code and source file.
    """
    f = _jitable.get(scalar_fn)
    if f is None:
        f = _jitable[scalar_fn] = register_jitable(inline="always")(scalar_fn)
    version = _code_version(scalar_fn)
    if inplace:
        loop = _inplace_loop(f, version, nin)
    elif nin == 2:
        def loop(out, a, b):
            _ = version
            for r in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[r, j] = f(_at(a, r, j), _at(b, r, j))
    elif nin == 3:
        def loop(out, a, b, c):
            _ = version
            for r in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[r, j] = f(_at(a, r, j), _at(b, r, j), _at(c, r, j))
    elif nin == 4:
        def loop(out, a, b, c, d):
            _ = version
            for r in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[r, j] = f(_at(a, r, j), _at(b, r, j), _at(c, r, j), _at(d, r, j))
    elif nin == 5:  # the backward ops of four-argument densities (oplib/densities.py)
        def loop(out, a, b, c, d, e):
            _ = version
            for r in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[r, j] = f(_at(a, r, j), _at(b, r, j), _at(c, r, j), _at(d, r, j),
                                  _at(e, r, j))
    else:
        raise ValueError(f"the scalar-operand loops take 2 to 5 operands, not {nin}")
    # numpy's error model: x / 0 gives inf as the ufunc does, not ZeroDivisionError
    try:
        return numba.njit(cache=True, error_model="numpy")(loop)
    except RuntimeError as e:  # see elementwise()
        if "locator" not in str(e):
            raise
        return numba.njit(error_model="numpy")(loop)


def _inplace_loop(f, version, nin: int):
    # Numba has no varargs loops: one literal loop per operand count. Two to four:
    # a single operand has no scalar to broadcast (broadcast_plan never asks).
    if nin == 2:
        def loop(a, b):
            _ = version
            for r in range(a.shape[0]):
                for j in range(a.shape[1]):
                    a[r, j] = f(a[r, j], _at(b, r, j))
    elif nin == 3:
        def loop(a, b, c):
            _ = version
            for r in range(a.shape[0]):
                for j in range(a.shape[1]):
                    a[r, j] = f(a[r, j], _at(b, r, j), _at(c, r, j))
    elif nin == 4:
        def loop(a, b, c, d):
            _ = version
            for r in range(a.shape[0]):
                for j in range(a.shape[1]):
                    a[r, j] = f(a[r, j], _at(b, r, j), _at(c, r, j), _at(d, r, j))
    else:
        raise ValueError(f"the scalar-operand loops take 2 to 4 operands, not {nin}")
    return loop


def _code_version(fn) -> int:
    code = fn.__code__
    try:
        stamp = os.stat(code.co_filename).st_mtime_ns
    except OSError:
        stamp = 0
    digest = hashlib.sha256(repr((code.co_code, code.co_consts, code.co_names, stamp)).encode())
    return int.from_bytes(digest.digest()[:7], "little")


def broadcast_plan(arrays):
    """(shape, (rows, inner), operands) for `elementwise_loop`, or None (the ufunc's case).

    The output `shape` is the largest operand's. Each operand must be one value
    (0-d, or an expanded view with all strides 0: passed as a numpy scalar), an
    array of that shape (passed as (rows, inner)), or an array matching its
    trailing dims (one row broadcast over the leading dims, passed as (inner,);
    all such rows alike); and at least one must be a single value, the case
    numba's ufunc loop leaves unvectorized. Non-contiguous arrays are copied
    (reshape), still cheaper than the ufunc's strided loop.
    """
    big = arrays[0]
    for a in arrays:
        if a.size > big.size:
            big = a
    shape = big.shape
    row = None
    scalar = False
    for a in arrays:
        if a.ndim == 0 or not any(a.strides):
            if a.ndim and a.shape != shape:
                return None
            scalar = True
        elif a.shape != shape:
            r = a.shape
            while r and r[0] == 1:
                r = r[1:]
            if not r or len(r) > len(shape) or shape[len(shape) - len(r):] != r:
                return None
            if row is None:
                row = r
            elif r != row:
                return None
    if not scalar or not big.size:
        return None
    inner = math.prod(row) if row is not None else big.size
    rows = big.size // inner
    operands = []
    for a in arrays:
        if a.ndim == 0:
            operands.append(a[()])
        elif not any(a.strides):
            operands.append(a[(0,) * a.ndim])
        elif a.shape == shape:
            operands.append(a.reshape(rows, inner))
        else:
            operands.append(a.reshape(inner))
    return shape, (rows, inner), operands


# Row reductions on a C-contiguous 2-D array (outer, inner), reducing `inner`.
# Callers move the reduced axes last and reshape; see ops/reduction.py.

# float sums may be reordered (and so vectorized)
_REASSOC = {"reassoc", "nsz", "contract"}


@numba.njit(cache=True, fastmath=_REASSOC)
def sum_all(a, out):
    """out[()] = the sum of every element of C-contiguous `a`. A full sum of a small
    array costs less this way than through numpy's reduce machinery (0.4 vs 0.8 us)."""
    flat = a.ravel()
    acc = a.dtype.type(0)
    for i in range(flat.size):
        acc += flat[i]
    out[()] = acc


@numba.njit(cache=True, fastmath=_REASSOC)
def sum_rows(a, out):
    n = a.shape[1]
    for i in range(a.shape[0]):
        acc = a.dtype.type(0)
        for j in range(n):
            acc += a[i, j]
        out[i] = acc
    return out


@numba.njit(cache=True)
def sum_middle(a, out):
    """out[i, k] = sum over j of a[i, j, k]: reducing the MIDDLE axis of a
    C-contiguous (outer, n, inner) array without a transposed copy (leading dims
    when outer is 1: bias gradients, unbroadcasting batch dims)."""
    out[:] = 0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            for k in range(a.shape[2]):
                out[i, k] += a[i, j, k]
    return out


@numba.njit(cache=True)
def scatter_add_rows(out, index, v):
    """out[index[i]] += v[i] for the rows of 2-D `out` and `v` (indices in range,
    negative ones counting from the end): the backward of x[index] and of
    embeddings, about 100x faster than np.add.at."""
    n = out.shape[0]
    for i in range(index.shape[0]):
        r = index[i]
        if r < 0:
            r += n
        for j in range(v.shape[1]):
            out[r, j] += v[i, j]
    return out


@numba.njit(cache=True)
def prod_rows(a, out):
    for i in range(a.shape[0]):
        acc = a.dtype.type(1)
        for j in range(a.shape[1]):
            acc *= a[i, j]
        out[i] = acc
    return out


@numba.njit(cache=True, inline="always")
def _row_max(a, i):
    m = a[i, 0]
    for j in range(1, a.shape[1]):
        if a[i, j] > m:
            m = a[i, j]
    return m


@numba.njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def logsumexp_rows(a, out):
    for i in range(a.shape[0]):
        m = _row_max(a, i)
        if np.isinf(m):
            # all -inf (or an +inf): avoid inf - inf
            out[i] = m
            continue
        acc = a.dtype.type(0)
        for j in range(a.shape[1]):
            acc += vmath.exp(a[i, j] - m)
        out[i] = m + np.log(acc)
    return out


@numba.njit(cache=True)
def cumsum_rows(a, out):
    for i in range(a.shape[0]):
        acc = a.dtype.type(0)
        for j in range(a.shape[1]):
            acc += a[i, j]
            out[i, j] = acc
    return out


@numba.njit(cache=True, error_model="numpy")
def var_rows(a, correction, out):
    # two passes (mean, then squared deviations): stable without Welford's cost
    n = a.shape[1]
    for i in range(a.shape[0]):
        m = a.dtype.type(0)
        for j in range(n):
            m += a[i, j]
        m = m / a.dtype.type(n)
        acc = a.dtype.type(0)
        for j in range(n):
            d = a[i, j] - m
            acc += d * d
        out[i] = acc / a.dtype.type(n - correction)
    return out


@numba.njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def softmax_rows(a, out):
    n = a.shape[1]
    for i in range(a.shape[0]):
        if n == 0:
            continue
        m = _row_max(a, i)
        s = a.dtype.type(0)
        for j in range(n):
            e = vmath.exp(a[i, j] - m)
            out[i, j] = e
            s += e
        for j in range(n):
            out[i, j] /= s
    return out


@numba.njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def log_softmax_rows(a, out):
    n = a.shape[1]
    for i in range(a.shape[0]):
        if n == 0:
            continue
        m = _row_max(a, i)
        if np.isinf(m):
            # all -inf (or an +inf): avoid inf - inf in the shift
            m = a.dtype.type(0)
        s = a.dtype.type(0)
        for j in range(n):
            s += vmath.exp(a[i, j] - m)
        lse = m + np.log(s)
        for j in range(n):
            out[i, j] = a[i, j] - lse
    return out


@numba.njit(cache=True, error_model="numpy")
def norm_rows(a, p, out):
    # vector p-norm of each row; p = inf / -inf give max / min |a|, p = 0 counts non-zeros
    pp = a.dtype.type(p)
    for i in range(a.shape[0]):
        acc = a.dtype.type(0)
        if p == 2.0:
            for j in range(a.shape[1]):
                acc += a[i, j] * a[i, j]
            acc = np.sqrt(acc)
        elif p == 1.0:
            for j in range(a.shape[1]):
                acc += abs(a[i, j])
        elif p == np.inf or p == -np.inf:
            if a.shape[1]:
                acc = abs(a[i, 0])
            for j in range(1, a.shape[1]):
                v = abs(a[i, j])
                if acc != acc:
                    break
                if v != v or (p > 0 and v > acc) or (p < 0 and v < acc):
                    acc = v
        elif p == 0.0:
            for j in range(a.shape[1]):
                if a[i, j] != 0:
                    acc += a.dtype.type(1)
        else:
            for j in range(a.shape[1]):
                acc += abs(a[i, j]) ** pp
            acc = acc ** (a.dtype.type(1) / pp)
        out[i] = acc
    return out
