"""Grad mode: thread-local switches, usable as context managers and decorators."""
from __future__ import annotations

import functools
import inspect
import threading

class _State(threading.local):
    # class-level defaults: a thread that never set a mode reads these without
    # the (slow) failed attribute lookup that getattr(..., default) would do
    enabled = True
    inference = False


_state = _State()


def is_grad_enabled() -> bool:
    """Whether operations are currently recorded for autograd."""
    return _state.enabled


def _set(mode: bool) -> None:
    _state.enabled = mode


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _Mode:
    """Base: a context manager that is also a decorator (fresh state per call)."""

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self._clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        """A generator function whose body runs in this mode at every step, while the
        caller's code between steps runs in its own (as PyTorch's decorators)."""
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            step, value = gen.send, None
            while True:
                try:
                    with self._clone():
                        response = step(value)
                except StopIteration as stop:
                    return stop.value
                try:
                    value = yield response
                    step = gen.send
                except GeneratorExit:
                    gen.close()
                    raise
                except BaseException as e:  # thrown in by the caller: pass it on
                    step, value = gen.throw, e
        return wrapper

    def _clone(self):
        return self.__class__()

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._target())
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False


class _BareDecorator(_Mode):
    """A mode also usable as a decorator without parentheses (`@no_grad`)."""

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        return self if orig_func is None else self(orig_func)


class no_grad(_BareDecorator):
    """Disable gradient recording (context manager or decorator)."""

    def _target(self):
        return False


class enable_grad(_BareDecorator):
    """Enable gradient recording (context manager or decorator)."""

    def _target(self):
        return True


class set_grad_enabled(_Mode):
    """Set grad mode on or off; takes effect immediately, also usable as a context manager."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._prev = is_grad_enabled()
        _set(self.mode)

    def _clone(self):
        return set_grad_enabled(self.mode)

    def _target(self):
        return self.mode

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set(self._prev)  # used as a decorator: undo the immediate switch
        return super().__call__(fn)


class inference_mode(_Mode):
    """Like no_grad (tensors created inside never record history)."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def _clone(self):
        return inference_mode(self.mode)

    def _target(self):
        return not self.mode if self.mode else is_grad_enabled()

    def __enter__(self):
        self._prev_inf = is_inference_mode_enabled()
        _state.inference = self.mode
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._prev_inf
        return super().__exit__(*exc)
