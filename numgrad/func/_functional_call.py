"""functional_call: run a Module with some parameters/buffers swapped for given tensors
(PyTorch's torch.func.functional_call), and functorch's make_functional(_with_buffers)."""
from __future__ import annotations

import contextlib
from typing import Any, Sequence

from numgrad._tensor import Tensor

__all__ = ["functional_call", "make_functional", "make_functional_with_buffers"]

_MISSING = object()


def _swap(module, name: str, value):
    """Put `value` (a tensor, or _MISSING to remove) at dotted path `name`; return what
    was there (_MISSING if nothing). Parameters and buffers are replaced in their
    registries directly, so any tensor (e.g. a dual tensor) can stand in for them."""
    prefix, _, attr = name.rpartition(".")
    mod = module.get_submodule(prefix)
    for store in (mod._parameters, mod._buffers):
        if attr in store:
            orig = store[attr]
            if value is _MISSING:
                del store[attr]
            else:
                store[attr] = value
            return orig
    orig = getattr(mod, attr, _MISSING)
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{attr}`: {orig} is not an instance of torch.Tensor")
    if value is not _MISSING:
        setattr(mod, attr, value)
    elif orig is not _MISSING:
        delattr(mod, attr)
    return orig


def _untie(module, given: dict) -> dict:
    """`given` plus entries for the names tied (the same tensor) to a given name."""
    names: dict[int, set[str]] = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        names.setdefault(id(t), set()).add(name)
    tied = {n: group for group in names.values() if len(group) > 1 for n in group}
    out = dict(given)
    for name in given:
        if name not in tied:
            continue
        values = {id(given[n]) for n in tied[name] if n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, "
                             "which are tied. Consider using tie_weights=False")
        for n in tied[name]:
            out[n] = given[name]
    return out


@contextlib.contextmanager
def _reparametrize(module, given: dict, tie_weights: bool, strict: bool):
    values = _untie(module, given) if tie_weights else given
    if strict:
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        errors = []
        unexpected, missing = sorted(set(values) - valid), sorted(valid - set(values))
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(errors)))
    originals: dict[str, Any] = {}
    try:
        for name, value in values.items():
            if not isinstance(value, Tensor) and value is not None:
                raise TypeError(f"{value} is not an instance of torch.Tensor")
            originals[name] = _swap(module, name, value)
        yield
    finally:
        current = {name: _swap(module, name, orig) for name, orig in reversed(originals.items())}
        # the module may have reassigned a swapped-in tensor (e.g. a buffer update)
        given.update({k: current[k] for k in given if k in current})


def functional_call(module, parameter_and_buffer_dicts: dict | Sequence[dict], args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """module(*args, **kwargs) with its parameters and buffers named in
    `parameter_and_buffer_dicts` (one dict, or several with distinct keys) replaced
    by the given tensors for the call; the originals are restored afterwards, also
    when the call raises. Names not given keep the module's own tensors (an error
    with strict=True); tie_weights: a value given for one of several tied names is
    used for all of them."""
    if isinstance(parameter_and_buffer_dicts, dict):
        given = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (tuple, list)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts: dict[str, int] = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        given = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of "
                         f"dicts, but got {type(parameter_and_buffer_dicts)}")
    if "" in given:
        raise KeyError('tensor name can\'t be empty string ""')
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize(module, given, tie_weights, strict):
        return module(*args, **kwargs)


class FunctionalModuleWithBuffers:
    """`module` as a function of (params, buffers, *args) (functorch's API)."""

    def __init__(self, module, param_names: tuple, buffer_names: tuple):
        self.module = module
        self.param_names = param_names
        self.buffer_names = buffer_names

    def __call__(self, params, buffers, *args, **kwargs):
        values = dict(zip(self.param_names, params))
        values.update(zip(self.buffer_names, buffers))
        return functional_call(self.module, values, args, kwargs)


class FunctionalModule:
    """`module` as a function of (params, *args) (functorch's API)."""

    def __init__(self, module, param_names: tuple):
        self.module = module
        self.param_names = param_names

    def __call__(self, params, *args, **kwargs):
        return functional_call(self.module, dict(zip(self.param_names, params)), args, kwargs)


def make_functional_with_buffers(model) -> tuple[FunctionalModuleWithBuffers, tuple, tuple]:
    """(func, params, buffers) with func(params, buffers, *args) == model(*args) run with
    the given parameters and buffers (functorch's legacy API; prefer functional_call)."""
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    return (FunctionalModuleWithBuffers(model, tuple(params), tuple(buffers)),
            tuple(params.values()), tuple(buffers.values()))


def make_functional(model) -> tuple[FunctionalModule, tuple]:
    """(func, params) with func(params, *args) == model(*args) run with the given
    parameters (functorch's legacy API; prefer functional_call). The model's buffers
    are used as they are."""
    params = dict(model.named_parameters())
    return FunctionalModule(model, tuple(params)), tuple(params.values())
