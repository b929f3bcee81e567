"""Autograd: Function (forward/backward with a ctx), the backward engine, grad modes and gradcheck."""
from .function import Context, Function
from .gradcheck import gradcheck
from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Context", "Function", "gradcheck", "enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]
