"""Autograd: Function (forward/backward with a ctx), the backward engine, grad modes and gradcheck."""
from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .api import backward, grad
from .function import Context, Function
from .gradcheck import gradcheck

__all__ = ["Context", "Function", "backward", "enable_grad", "grad", "gradcheck", "is_grad_enabled", "no_grad",
           "set_grad_enabled"]
