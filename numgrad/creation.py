"""Tensor creation functions (zeros, ones, rand, arange, ...) and the random seed."""
from __future__ import annotations

import numpy as np

from numgrad import _dtype
from numgrad._tensor import Tensor, _check_device, requiring_grad

_rng = [np.random.default_rng()]


def manual_seed(seed: int):
    """Seed numgrad's random number generator."""
    _rng[0] = np.random.default_rng(seed)
    return _rng[0]


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _new(a: np.ndarray, requires_grad: bool, device) -> Tensor:
    _check_device(device)
    t = Tensor._make(a)
    return requiring_grad(t) if requires_grad else t


def _dt(dtype):
    return np.dtype(dtype) if dtype is not None else _dtype.get_default_dtype()


def zeros(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of zeros."""
    return _new(np.zeros(_shape(size), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor of ones."""
    return _new(np.ones(_shape(size), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """An uninitialized tensor."""
    return _new(np.empty(_shape(size), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """A tensor filled with `fill_value`."""
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, int) else _dtype.get_default_dtype())
    return _new(np.full(_shape((size,)), fill_value, np.dtype(dtype)), requires_grad, device)


def _like(t: Tensor, dtype):
    return t.shape, (np.dtype(dtype) if dtype is not None else t.dtype)


def zeros_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return zeros(s, dtype=d, requires_grad=requires_grad, device=device)


def ones_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return ones(s, dtype=d, requires_grad=requires_grad, device=device)


def full_like(input: Tensor, fill_value, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return full(s, fill_value, dtype=d, requires_grad=requires_grad, device=device)


def rand(*size, dtype=None, requires_grad: bool = False, device=None, generator=None) -> Tensor:
    """Uniform samples on [0, 1)."""
    d = _dt(dtype)
    return _new(_rng[0].random(_shape(size)).astype(d), requires_grad, device)


def randn(*size, dtype=None, requires_grad: bool = False, device=None, generator=None) -> Tensor:
    """Standard normal samples."""
    d = _dt(dtype)
    return _new(_rng[0].standard_normal(_shape(size)).astype(d), requires_grad, device)


def rand_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return rand(s, dtype=d, requires_grad=requires_grad, device=device)


def randn_like(input: Tensor, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    s, d = _like(input, dtype)
    return randn(s, dtype=d, requires_grad=requires_grad, device=device)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Values from start to end (exclusive) by step."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = (np.int64 if all(isinstance(v, int) for v in (start, end, step))
                 else _dtype.get_default_dtype())
    return _new(np.arange(start, end, step).astype(np.dtype(dtype)), requires_grad, device)


def linspace(start, end, steps: int, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive."""
    return _new(np.linspace(start, end, steps).astype(_dt(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, *, dtype=None, requires_grad: bool = False, device=None) -> Tensor:
    """Identity matrix."""
    return _new(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def FloatTensor(data) -> Tensor:
    """Legacy constructor: a float32 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.float32))


def DoubleTensor(data) -> Tensor:
    """Legacy constructor: a float64 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.float64))


def LongTensor(data) -> Tensor:
    """Legacy constructor: an int64 tensor from `data`."""
    return Tensor._make(np.array(data, dtype=np.int64))


# ----- random sampling --------------------------------------------------------------

def _not_impl(kernel: str, dt) -> NotImplementedError:
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtype.torch_name(dt)}\'')


def _zero_grad_from(out: Tensor, *inputs) -> Tensor:
    """`out` (a sample) linked to the inputs that require grad, which get zero gradients,
    as PyTorch's NormalBackward / BernoulliBackward."""
    from numgrad.autograd import grad_mode
    from numgrad.oplib import pointwise as P
    if not grad_mode._state.enabled:
        return out
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad:
            out = P.where(_TRUE, out, t.to(out.dtype))
    return out


_TRUE = Tensor._make(np.ones((), dtype=bool))


def _int_arg(fn: str, name: str, pos: int, v) -> int:
    if isinstance(v, Tensor) and v.numel() == 1 and _dtype.is_integer(v.dtype):
        return int(v.item())
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be int, not "
                        f"{type(v).__name__}")
    return int(v)


def _size_arg(fn: str, pos: int, size) -> tuple:
    if isinstance(size, Tensor) or not isinstance(size, (tuple, list)):
        raise TypeError(f"{fn}(): argument 'size' (position {pos}) must be tuple of ints, not "
                        f"{type(size).__name__}")
    return _shape((size,))


def _randint_array(low: int, high: int, shape: tuple, dt: np.dtype) -> np.ndarray:
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if dt == np.bool_ and (low < 0 or high > 2):
        raise RuntimeError(("from" if low < 0 else "to - 1") + " is out of bounds for bool")
    return _rng[0].integers(low, high, shape).astype(dt)


def _low_high(name: str, args: list, low, high) -> tuple[int, int]:
    """(low, high) from randint's positional (high) or (low, high) and keywords."""
    if high is None:
        if not args:
            raise TypeError(f"{name}() missing required argument 'high'")
        high = args.pop()
    if low is None:
        low = args.pop() if args else 0
    if args:
        raise TypeError(f"{name}() received an invalid combination of arguments")
    high = _int_arg(name, "high", 2 if low else 1, high)
    return _int_arg(name, "low", 1, low), high


def randint(*args, size=None, low=None, high=None, dtype=None, requires_grad: bool = False,
            device=None, generator=None) -> Tensor:
    """Integers uniform on [low, high): randint(high, size) or randint(low, high, size)."""
    args = list(args)
    if size is None:
        if not args:
            raise TypeError("randint() missing required argument 'size'")
        size = args.pop()
        pos = len(args) + 1 + (high is not None) + (low is not None)
        size = _size_arg("randint", pos, size)
    else:
        size = _size_arg("randint", 3, size)
    low, high = _low_high("randint", args, low, high)
    d = np.dtype(dtype) if dtype is not None else _dtype.int64
    return _new(_randint_array(low, high, size, d), requires_grad, device)


def randint_like(input: Tensor, *args, low=None, high=None, dtype=None,
                 requires_grad: bool = False, device=None) -> Tensor:
    """randint with input's shape and dtype: randint_like(t, high) or (t, low, high)."""
    low, high = _low_high("randint_like", list(args), low, high)
    s, d = _like(input, dtype)
    return _new(_randint_array(low, high, s, d), requires_grad, device)


def randperm(n: int, *, dtype=None, requires_grad: bool = False, device=None,
             generator=None) -> Tensor:
    """A random permutation of 0 .. n-1 (int64 unless dtype is given)."""
    n = _int_arg("randperm", "n", 1, n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = np.dtype(dtype) if dtype is not None else _dtype.int64
    return _new(_rng[0].permutation(n).astype(d), requires_grad, device)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator=None) -> Tensor:
    """Indices sampled from the rows of `input` (unnormalized non-negative weights)."""
    if not _dtype.is_floating(input.dtype):
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{_dtype.torch_name(input.dtype)}")
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    num_samples = _int_arg("multinomial", "num_samples", 2, num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    p = input._data.astype(np.float64).reshape(-1, input.shape[-1])
    if not replacement and num_samples > p.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    sums = p.sum(1)
    if (sums <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _rng[0]
    if replacement:
        out = np.stack([rng.choice(p.shape[1], num_samples, p=row / s)
                        for row, s in zip(p, sums)])
    else:  # exponential race: the smallest E/p first (zero weights come last)
        with np.errstate(divide="ignore"):
            keys = rng.exponential(size=p.shape) / p
        out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    out = out.astype(np.int64)
    return Tensor._make(out.reshape(num_samples) if input.ndim == 1 else out)


def _fmt(x) -> str:
    return f"{float(x):g}"


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None,
           requires_grad: bool = False, device=None) -> Tensor:
    """Normal samples: normal(mean_tensor, std_tensor_or_float), normal(float, std_tensor),
    normal(float, float, size)."""
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got "
                            f"({type(mean).__name__}, {type(std).__name__}), but expected one "
                            f"of: (Tensor mean, Tensor std), (Tensor mean, float std), "
                            f"(float mean, Tensor std), (float mean, float std, tuple of ints size)")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
        a = _rng[0].normal(float(mean), float(std), _shape((size,)))
        return _new(a.astype(_dt(dtype)), requires_grad, device)
    d = mean.dtype if mt else std.dtype
    if not _dtype.is_floating(d):
        raise _not_impl("normal_kernel_cpu", d)
    m = mean._data if mt else float(mean)
    s = std._data if st else float(std)
    if st and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and s < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(s)}")
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        from numgrad.oplib import pointwise as P
        P.add(mean, std)  # raises PyTorch's broadcast message
        raise
    out = Tensor._make((m + s * _rng[0].standard_normal(shape)).astype(d))
    return _zero_grad_from(out, mean, std)


def bernoulli(input: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    """0/1 samples with probabilities `input` (or `p`), in input's dtype and shape."""
    if not _dtype.is_floating(input.dtype):
        raise _not_impl("bernoulli_tensor_cpu_p_" if p is None else "bernoulli_scalar_cpu_",
                        input.dtype)
    if p is None:
        prob = input._data
        if not ((prob >= 0) & (prob <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(p)}")
        prob = p
    out = Tensor._make((_rng[0].random(input.shape) < prob).astype(input.dtype))
    return _zero_grad_from(out, input)


# ----- in-place random fills (bound as Tensor methods) ------------------------------------

def _fill_(tensor: Tensor, sample) -> Tensor:
    from numgrad._methods import inplace
    return inplace(tensor, lambda old: Tensor._make(sample(old.shape).astype(old.dtype)))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill `tensor` in place with normal samples."""
    if not _dtype.is_floating(tensor.dtype):
        raise _not_impl("normal_kernel_cpu", tensor.dtype)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    return _fill_(tensor, lambda s: _rng[0].normal(float(mean), float(std), s))


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill `tensor` in place with uniform samples on [a, b)."""
    if not _dtype.is_floating(tensor.dtype):
        raise _not_impl("check_uniform_bounds", tensor.dtype)
    for name, v in (("from", a), ("to", b)):
        if not np.isfinite(v) or abs(v) > np.finfo(tensor.dtype).max:
            raise RuntimeError(f"{name} is out of bounds for {_dtype.c_name(tensor.dtype)}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(a)} > to={_fmt(b)}")
    return _fill_(tensor, lambda s: _rng[0].uniform(float(a), float(b), s))


# ----- inspection and index helpers ----------------------------------------------------

def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of the nonzero elements: an int64 (n, ndim) tensor, or one 1-D tensor per dim."""
    a = input._data
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(a.reshape(-1) if a.ndim == 0 else a))
    return Tensor._make(np.argwhere(a).astype(np.int64))


def is_tensor(obj) -> bool:
    """Whether `obj` is a numgrad Tensor (Parameters included)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of `input`."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input._data.size


def _tri_indices(name: str, fn, row: int, col: int, offset: int, dtype, device) -> Tensor:
    _check_device(device)
    d = np.dtype(dtype) if dtype is not None else _dtype.int64
    if not _dtype.is_integer(d):
        raise _not_impl(name, d)
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    return Tensor._make(np.stack(fn(row, offset, col)).astype(d).reshape(2, -1))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """Row and column indices (2, N) of the upper triangle of a row x col matrix."""
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype, device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None) -> Tensor:
    """Row and column indices (2, N) of the lower triangle of a row x col matrix."""
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype, device)
