"""Optimizer: parameter groups, per-parameter state, zero_grad/step and a torch-layout state_dict.

Updates act on ``p.data`` in place (models and the optimizer share the array). Subclasses provide
``_check(options)`` (hyperparameter validation), ``_init_state(p, state, group)`` and
``_update(p, g, state, group)``, where ``p`` is the parameter's array and ``g`` its gradient array; both
compute with the array module of the parameter's device, so the state lives where the parameter does (and
follows it when the model is moved after the state was made).

SGD, Adam and AdamW run their update as one fused kernel of the device (the backend's sgd_update /
adam_update) when its ``fused_update_ready`` holds for the parameter, gradient and state arrays, and through
the array module otherwise; the two paths compute the same operations in the same order. Setting
``_use_fused = False`` on an optimizer forces the array-module path (the tests compare the two).
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend
from .._typing import ParamsT
from ..grad_mode import enable_grad
from ..tensor import Tensor


class _RequiredParameter:
    """Marks a default that every parameter group has to set itself (torch's ``required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_LOAD = "[Optimizer.load_state_dict]"


class Optimizer:
    _use_fused = True

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = _Scratch()
        self._state_kind = {}  # id(parameter) -> the array type its state was made for (its device)
        if isinstance(params, Tensor):
            raise TypeError(
                f"[{self._name}] params should be an iterable of Tensors or dicts, but got a single Tensor "
                f"of shape {params.shape}; wrap it in a list"
            )
        if isinstance(params, dict):
            params = [params]
        if isinstance(params, (set, frozenset)):
            raise TypeError(_unordered(self._name))
        groups = list(params)
        if not groups:
            raise ValueError(f"[{self._name}] got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    # ---- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        if not isinstance(param_group, dict):
            raise TypeError(f"[{self._name}] a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"[{self._name}] a parameter group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(_unordered(self._name))
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"[{self._name}] can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"[{self._name}] can't optimize a non-leaf Tensor (shape {p.shape})")
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                f"[{self._name}] a parameter group contains the same parameter more than once; "
                "it would be updated more than once per step",
                UserWarning,
                stacklevel=3,
            )
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"[{self._name}] parameter group didn't specify a value of required option {name}")
            group.setdefault(name, default)
        self._check(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"[{self._name}] some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check(self, options):
        """Raises ValueError for invalid hyperparameters (run on the defaults and on every group)."""

    # ---- the step ---------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad._ctx is not None:
                        p.grad = p.grad.detach()
                    p.grad.requires_grad = False
                    p.grad.data[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure()'s loss (or None)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                if g.shape != p.data.shape:
                    raise ValueError(f"[{self._name}] gradient of shape {g.shape} for a parameter of shape {p.shape}")
                if type(g) is not type(p.data):
                    raise RuntimeError(f"[{self._name}] the gradient is on {p.grad.device} but its parameter "
                                       f"(shape {p.shape}) is on {p.device}")
                state = self.state[p]
                if not state:
                    self._init_state(p.data, state, group)
                    self._state_kind[id(p)] = type(p.data)
                elif self._state_kind.get(id(p)) is not type(p.data):
                    _follow_parameter(state, p.data)  # the model moved (or the state was loaded)
                    self._state_kind[id(p)] = type(p.data)
                self._update(p.data, g, state, group)
        return loss

    def _init_state(self, p, state, group):
        pass

    def _update(self, p, g, state, group):
        raise NotImplementedError

    @staticmethod
    def _effective_grad(p, g, wd, maximize, out):
        """The gradient with maximize's sign flip and L2 weight decay applied (``g`` itself is never written)."""
        if wd == 0:
            if not maximize:
                return g
            return backend.of(p).xp.negative(g, out=out)
        xp = backend.of(p).xp
        xp.multiply(p, wd, out=out)
        if maximize:
            xp.subtract(out, g, out=out)
        else:
            xp.add(out, g, out=out)
        return out

    # ---- state_dict -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torch's layout: {'state': {index: {name: value}}, 'param_groups': [{options..., 'params': [index]}]}.

        Only plain values (arrays, numbers, strings, bools, lists, dicts, None). Arrays are the live state
        (not copies), as in torch: copy them if you keep training and want a snapshot.
        """
        index_of, groups, start = {}, [], 0
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            indices = list(range(start, start + len(group["params"])))
            for p, i in zip(group["params"], indices):
                index_of.setdefault(id(p), i)
            packed["params"] = indices
            start += len(indices)
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index_of:
                state[index_of[id(p)]] = {k: _plain(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError(f"{_LOAD} expected a dict with 'state' and 'param_groups' entries")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{_LOAD} loaded state dict has {len(saved_groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if "params" not in saved:
                raise ValueError(f"{_LOAD} parameter group {i} of the loaded state dict has no 'params' entry")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{_LOAD} loaded parameter group {i} has {len(saved['params'])} parameters, "
                    f"but the optimizer's group {i} has {len(group['params'])}"
                )
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, p in zip(saved["params"], group["params"]):
                param_of[int(index)] = p

        new_state = defaultdict(dict)
        for key, saved_state in state_dict["state"].items():
            try:
                p = param_of[int(key)]
            except (KeyError, ValueError, TypeError):
                raise ValueError(
                    f"{_LOAD} state refers to parameter {key!r}, which no parameter group of the loaded "
                    "state dict lists"
                ) from None
            if not isinstance(saved_state, dict):
                raise ValueError(f"{_LOAD} state of parameter {key!r} must be a dict, got {type(saved_state).__name__}")
            new_state[p] = {name: _load_value(name, value, p, key) for name, value in saved_state.items()}

        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = {}
            for k, v in saved.items():
                if k == "params":
                    continue
                # JSON has no tuples: give back the tuple an option (betas) had.
                new_group[k] = tuple(v) if isinstance(group.get(k), tuple) and isinstance(v, list) else v
            for k, v in group.items():
                new_group.setdefault(k, v)
            new_group["params"] = group["params"]
            self._check(new_group)
            new_groups.append(new_group)
        self.param_groups = new_groups
        self.state = new_state

    def __repr__(self):
        lines = [self._name + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)


def _follow_parameter(state, p):
    """Moves state arrays to the parameter's device when the model moved after the state was made."""
    kind = type(p)
    for name, value in state.items():
        if type(value) is not kind and type(value) in backend._by_type:
            state[name] = backend.transfer(value, backend.of(p))


def _unordered(name):
    return (f"[{name}] parameters must be given in an ordered collection (a list), not a set: "
            "the order of a set changes between runs, and the state_dict refers to parameters by position")


def _plain(value):
    """Tuples become lists and NumPy scalars Python numbers, so a state_dict is JSON-friendly."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _load_value(name, value, p, key):
    if isinstance(value, Tensor):
        value = value.data
    if type(value) in backend._by_type:
        value = backend.of(value).to_host(value)
    if not isinstance(value, np.ndarray) and hasattr(value, "numpy") and hasattr(value, "shape"):
        value = value.numpy()  # e.g. a torch tensor
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value.item()
        if value.shape != p.shape:
            raise ValueError(
                f"{_LOAD} state '{name}' of parameter {key!r} has shape {value.shape}, "
                f"but the parameter has shape {p.shape}"
            )
        # A copy in the parameter's dtype, on its device: the optimizer owns its state from here on.
        return backend.get(p.device).from_host(np.array(value, dtype=p.dtype, copy=True))
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Scratch:
    """Reusable temporaries for the in-place updates, so that a step allocates nothing after the first."""

    def __init__(self):
        self._buffers = {}

    def get(self, like, count):
        key = (type(like), like.dtype)
        buf = self._buffers.get(key)
        if buf is None or buf.shape[0] < count or buf.shape[1] < like.size:
            rows = count if buf is None else max(count, buf.shape[0])
            cols = like.size if buf is None else max(like.size, buf.shape[1])
            buf = self._buffers[key] = backend.of(like).xp.empty((rows, cols), dtype=like.dtype)
        return [buf[i, : like.size].reshape(like.shape) for i in range(count)]

    def __deepcopy__(self, memo):
        return _Scratch()
