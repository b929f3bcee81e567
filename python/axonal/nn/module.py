"""Module: the base of every layer. Attributes that are Parameters, Modules or registered buffers are
tracked by name, so parameters(), state_dict() and friends find them without any bookkeeping by users."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .._typing import DeviceLike, DTypeLike
from ..tensor import Tensor

if TYPE_CHECKING:
    from typing_extensions import Self

    from .parameter import Parameter

from collections import OrderedDict

import numpy as np

from .. import backend
from ..ops.device import parse_to_args
from .parameter import Parameter


class _HookHandle:
    """What register_forward_(pre_)hook returns: ``remove()`` takes the hook off."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks, self.id = hooks, _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)


def _add_hook(hooks, hook):
    if not callable(hook):
        raise TypeError(f"[Module] a hook must be callable, got {type(hook).__name__}")
    handle = _HookHandle(hooks)
    hooks[handle.id] = hook
    return handle


class Module:
    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # ---- registration ------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"[Module] call super().__init__() in {type(self).__name__}.__init__ "
                                 f"before assigning {name!r}")
        if isinstance(value, Parameter):
            target = self._parameters
        elif isinstance(value, Module):
            target = self._modules
        elif name in self.__dict__.get("_buffer_names", ()):
            target = self._buffers
        else:
            target = None
        # Only the other stores lose the name: reassigning keeps its place in its own store, so
        # state_dict order does not change when e.g. a weight is replaced (as in torch).
        for store in (self._parameters, self._buffers, self._modules):
            if store is not target:
                store.pop(name, None)
        if target is None:
            object.__setattr__(self, name, value)
            return
        target[name] = value
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        for store in ("_parameters", "_buffers", "_modules"):
            d = self.__dict__.get(store)
            if d is not None and name in d:
                return d[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """State that is saved in state_dict but not trained (e.g. BatchNorm running statistics)."""
        self.__dict__.setdefault("_buffer_names", set()).add(name)
        self._buffers[name] = tensor
        self.__dict__.pop(name, None)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"[Module] {type(module).__name__} is not a Module subclass (adding {name!r})")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"[Module] {type(module).__name__} has no submodule {part!r} (in {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target: str) -> Parameter:
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"[Module] {type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    # ---- traversal ---------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", _seen: set[int] | None = None) -> Iterator[tuple[str, Module]]:
        # A module used twice (shared layers) is yielded once, as in torch.
        _seen = set() if _seen is None else _seen
        if id(self) in _seen:
            return
        _seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, _seen)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        for name, child in self._modules.items():
            if child is not None:
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs of this module and, with ``recurse``, its submodules; each parameter once.

        Args:
            prefix: prepended to every name (with a dot).
            recurse: include the submodules' parameters.

        Returns:
            An iterator of ("layer.weight", Parameter) pairs, in registration order.
        """
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and, with ``recurse``, its submodules (what an optimizer takes).

        Args:
            recurse: include the submodules' parameters.

        Returns:
            An iterator of Parameters, each once.
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mod_prefix, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_prefix}.{name}" if mod_prefix else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # ---- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Self:
        """Sets training mode (dropout active, batch norm on batch statistics) on this module and its submodules.

        Args:
            mode: True for training, False for evaluation.

        Returns:
            The module itself.
        """
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Self:
        """Sets evaluation mode, ``train(False)``.

        Returns:
            The module itself.
        """
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Self:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears every parameter's gradient.

        Args:
            set_to_none: drop the gradients (``p.grad = None``) rather than filling them with zeros.
        """
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def apply(self, fn: Callable[[Module], None]) -> Self:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Moves and/or casts every parameter, gradient and buffer in place.

        torch's forms: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)``. The Parameter objects
        stay the same, so an optimizer built before keeps updating them. Only floating-point tensors are cast
        (num_batches_tracked stays int64).

        Args:
            *args: a device, a dtype, both, or a tensor whose device and dtype are taken.
            **kwargs: ``device=``, ``dtype=``; ``copy=`` and ``non_blocking=`` are accepted.

        Returns:
            The module itself.
        """
        dev, dtype, _ = parse_to_args(args, kwargs)
        target = None if dev is None else backend.get(dev)  # raises, saying why, when the device is missing

        def convert(t):
            data = t.data if target is None else backend.transfer(t.data, target)
            if dtype is not None and data.dtype.kind == "f" and data.dtype != dtype:
                data = data.astype(dtype)
            t.data = data

        for p in self.parameters():
            convert(p)
            if p.grad is not None:
                convert(p.grad)
        for b in self.buffers():
            convert(b)
        return self

    def cuda(self, device: DeviceLike = None) -> Self:
        return self.to("cuda" if device is None else device)

    def cpu(self) -> Self:
        return self.to("cpu")

    def double(self) -> Self:
        return self.to(np.float64)

    def float(self) -> Self:
        return self.to(np.float32)

    def half(self) -> Self:
        return self.to(np.float16)

    def type(self, dst_type: DTypeLike) -> Self:
        return self.to(dst_type)

    # ---- state -------------------------------------------------------------------------------
    def state_dict(self, destination: dict[str, Any] | None = None, prefix: str = "") -> dict[str, Any]:
        """Name -> Tensor for every parameter and buffer (the arrays are shared, not copied).

        Args:
            destination: a dict to fill instead of a new OrderedDict.
            prefix: prepended to every name.

        Returns:
            The names ("0.weight", "bn.running_mean", ...) and their tensors, in registration order.
        """
        # torch's layout: each module's parameters then its buffers, then its children in order; a shared
        # module appears under every name it is reachable by (so checkpoints load into either copy).
        state = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                state[prefix + name] = p
        for name, b in self._buffers.items():
            if b is not None:
                state[prefix + name] = b
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(state, f"{prefix}{name}.")
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> tuple[list[str], list[str]]:
        """Copies the values of ``state_dict`` into this module's parameters and buffers, in place.

        Every shape is checked before anything is copied, so a failed load leaves the module untouched.

        Args:
            state_dict: name -> Tensor or array (from ``state_dict()``, ``ax.load`` or a PyTorch checkpoint).
            strict: raise KeyError when names are missing or unexpected.

        Returns:
            (missing keys, unexpected keys).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"[load_state_dict] missing keys {missing}, unexpected keys {unexpected}")
        pairs = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            value = value.data if isinstance(value, Tensor) else value
            if type(value) not in backend._by_type:
                value = np.asarray(value)
            if value.shape != target.shape:
                raise ValueError(
                    f"[load_state_dict] size mismatch for {name}: checkpoint has {value.shape}, "
                    f"model has {target.shape}"
                )
            pairs.append((target, value))
        # Copy only once every shape has been checked, so a failed load leaves the model untouched.
        for target, value in pairs:
            target.data[...] = backend.transfer(value, backend.of(target.data))
        return missing, unexpected

    # ---- calling and display -----------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"[Module] {type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pre, post = self.__dict__.get("_forward_pre_hooks"), self.__dict__.get("_forward_hooks")
        if not pre and not post:
            return self.forward(*args, **kwargs)
        for hook in list(pre.values()):
            result = hook(self, args)
            if result is not None:  # a hook may replace the inputs (a single value means one input)
                args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook in list(post.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> Any:
        """Calls ``hook(module, args)`` before forward; a returned value replaces the inputs."""
        return _add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> Any:
        """Calls ``hook(module, args, output)`` after forward; a returned value replaces the output."""
        return _add_hook(self._forward_hooks, hook)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = []
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"
