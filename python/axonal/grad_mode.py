"""Whether operations record the graph: ``no_grad`` turns it off inside a ``with`` block or a function.
A leaf module: the tensor layer below autograd needs it too (in-place checks)."""
from __future__ import annotations

import functools
import threading
from typing import Any


class _State(threading.local):
    enabled = True  # the class attribute is every thread's default: a lookup, no getattr fallback per op


_state = _State()


def is_grad_enabled() -> bool:
    return _state.enabled


def set_grad_enabled(mode: bool) -> Any:
    _state.enabled = bool(mode)


class _GradMode:
    mode = True

    def __new__(cls, fn=None):
        # Bare decorator use (@no_grad without parentheses), as torch allows.
        self = super().__new__(cls)
        return self(fn) if callable(fn) else self

    def __enter__(self):
        self._prev = is_grad_enabled()
        set_grad_enabled(self.mode)
        return self

    def __exit__(self, *exc):
        set_grad_enabled(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: operations inside record no graph (inference, optimizer steps)."""

    mode = False


class enable_grad(_GradMode):
    mode = True
