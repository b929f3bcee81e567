"""Type aliases for the public API's annotations (evaluated lazily: every annotated module uses
``from __future__ import annotations``, so these cost nothing at run time)."""
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Dict, Union

if TYPE_CHECKING:
    from .backend.device import device
    from .tensor import Tensor

DeviceLike = Union[str, "device", None]
"""A device or its name: "cpu", "cuda", "cuda:0"; None means the CPU (or the input's device)."""
DTypeLike = Any
"""A NumPy dtype, scalar type or name: ``ax.float32`` is ``numpy.dtype('float32')``."""
Size = Union[int, Sequence[int]]
"""Sizes given as ``f(2, 3)`` or ``f((2, 3))``."""
TensorLike = Union["Tensor", int, float, bool]
"""A Tensor or a Python number (broadcast as a 0-d tensor)."""
ParamsT = Union[Iterable["Tensor"], Iterable[Dict[str, Any]]]
"""What an optimizer takes: tensors (model.parameters()) or parameter groups (dicts with "params" and options)."""
