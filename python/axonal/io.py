"""save / load checkpoints in the safetensors format (never pickle).

What is saved may be a nested structure of dicts, lists, Tensors, NumPy arrays, numbers, strings, bools and
None -- a model's state_dict, an optimizer's state_dict, or a dict holding both plus an epoch counter. The
arrays go into the safetensors file as tensors; the structure around them goes into the file's metadata as
JSON, so a checkpoint is readable by any safetensors tool. The file is written to a temporary name and
renamed into place, so a crash mid-write never leaves a half-written checkpoint under the real name.
"""
import json
import os
import tempfile

import numpy as np

from . import backend
from .tensor import Tensor

_TREE_KEY = "axonal.tree"
_FORMAT_KEY = "axonal.format"
_FORMAT = "1"


def _safetensors_numpy():
    try:
        from safetensors import numpy as st_numpy
    except ImportError as e:  # pragma: no cover - safetensors is a declared dependency
        raise ImportError("[save] the 'safetensors' package is required: pip install safetensors") from e
    return st_numpy


def _flatten(obj, arrays, path):
    """Returns a JSON-able tree; arrays are moved into ``arrays`` and referenced by key."""
    if isinstance(obj, (Tensor, np.ndarray)):
        array = obj._host() if isinstance(obj, Tensor) else obj  # device tensors are written from host copies
        key = f"{len(arrays)}:{path}"
        arrays[key] = np.ascontiguousarray(array)
        # The shape rides along: safetensors stores 0-d arrays as shape (1,).
        return {"__tensor__" if isinstance(obj, Tensor) else "__array__": key, "shape": list(array.shape)}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)):
                raise TypeError(f"[save] dict keys must be str or int, got {type(k).__name__} at {path or 'top level'}")
        # JSON objects have string keys only: remember which keys were ints.
        return {"__dict__": [[k, _flatten(v, arrays, f"{path}.{k}" if path else str(k))] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, arrays, f"{path}[{i}]") for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"[save] cannot save an object of type {type(obj).__name__} at {path or 'top level'}")


def _unflatten(node, arrays, bk):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor._make(bk.from_host(arrays[node["__tensor__"]].reshape(node["shape"])))
        if "__array__" in node:
            return arrays[node["__array__"]].reshape(node["shape"])
        if "__tuple__" in node:
            return tuple(_unflatten(v, arrays, bk) for v in node["__tuple__"])
        if "__dict__" in node:
            return {k: _unflatten(v, arrays, bk) for k, v in node["__dict__"]}
        raise ValueError(f"[load] unknown node in checkpoint structure: {sorted(node)}")
    if isinstance(node, list):
        return [_unflatten(v, arrays, bk) for v in node]
    return node


def save(obj, path, metadata=None):
    """Writes ``obj`` (state dicts, nested) to ``path`` atomically. ``metadata``: optional dict of strings."""
    st = _safetensors_numpy()
    arrays = {}
    tree = _flatten(obj, arrays, "")
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta[_TREE_KEY] = json.dumps(tree)
    meta[_FORMAT_KEY] = _FORMAT
    payload = st.save(arrays, metadata=meta)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".axonal-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load(path, map_location=None, return_metadata=False, weights_only=None):
    """Reads a checkpoint written by ``save`` (or any safetensors file: then a flat name -> Tensor dict).
    Tensors come back on ``map_location`` (a device or its name; the CPU by default); NumPy arrays that were
    saved as arrays stay NumPy arrays. ``weights_only`` is accepted for torch.load's callers: a safetensors
    file holds only data, so loading never runs code either way."""
    bk = backend.get(map_location)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[load] no such checkpoint file: {path}")
    try:
        from safetensors import safe_open

        with safe_open(path, framework="numpy") as f:
            meta = dict(f.metadata() or {})
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types for truncated / garbage files
        raise ValueError(f"[load] {path} is not a valid safetensors checkpoint: {e}") from None
    if _TREE_KEY in meta:
        try:
            obj = _unflatten(json.loads(meta.pop(_TREE_KEY)), arrays, bk)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"[load] {path} has a corrupt axonal structure: {e}") from None
        meta.pop(_FORMAT_KEY, None)
    else:
        obj = {k: Tensor._make(bk.from_host(v)) for k, v in arrays.items()}
    return (obj, meta) if return_metadata else obj
