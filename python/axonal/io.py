"""save / load checkpoints in the safetensors format (never pickle).

What is saved may be a nested structure of dicts, lists, tuples, Tensors, NumPy arrays, numbers, strings, bools
and None -- a model's state_dict, an optimizer's state_dict, or a dict holding both plus an epoch counter.

The file is plain safetensors, readable by any safetensors tool:

* every Tensor / array is a tensor of the file, named by its path in the structure, dots between the parts.
  A flat state_dict is therefore stored under its own names (``0.weight``, ``1.running_mean``), so
  ``safetensors.torch.load_file(path)`` gives a state_dict that ``torch_model.load_state_dict`` accepts; in
  ``{"model": sd, "optimizer": opt_sd, "epoch": 3}`` the names read ``model.0.weight``,
  ``optimizer.state.0.exp_avg``. (A name already taken gets ``#1``, ``#2``... appended.)
* the structure around the tensors -- key order, int keys, tuples vs lists, Tensor vs ndarray, and every
  non-tensor value (an epoch, an optimizer's param_groups) -- is JSON in the metadata entry ``axonal.tree``
  (``axonal.format`` = "2"). Nodes: ``{"__tensor__": name, "shape": [...]}`` / ``{"__array__": ...}`` for a Tensor /
  an ndarray, ``{"__dict__": [[key, node], ...]}``, ``{"__tuple__": [node, ...]}``, a JSON list for a list, and
  JSON scalars for themselves. Another tool can write that entry too (the tests do, from PyTorch).

``load`` reads such files, files of the first axonal format (names like ``0:0.weight``, the same tree), and
any other safetensors file (one written by ``safetensors.torch.save_file``, say): then a flat name -> Tensor
dict. Pickle files (``torch.save``'s .pt/.pth) are refused with a ValueError that says how to convert them:
unpickling runs arbitrary code. The file is written to a temporary name and renamed into place, so a crash
mid-write never leaves a half-written checkpoint under the real name.

Damage is detected: ``save`` stores a CRC-32 of every tensor's bytes and of the structure in the metadata entry
``axonal.crc32``, and ``load`` checks them, so a truncated file, one with flipped bits or one whose header claims
more than the file holds raises a ValueError that names the file (instead of loading wrong numbers). Files without
that entry (other tools', older axonal's) are read unchecked, as before.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from typing import Any

import numpy as np

from . import backend
from ._typing import DeviceLike
from .tensor import Tensor

_TREE_KEY = "axonal.tree"
_FORMAT_KEY = "axonal.format"
_CRC_KEY = "axonal.crc32"
_FORMAT = "2"
_RESERVED_NAME = "__metadata__"  # the safetensors header's own entry: no tensor may take this name
_PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin", ".tar")


def _safetensors_numpy():
    try:
        from safetensors import numpy as st_numpy
    except ImportError as e:  # pragma: no cover - safetensors is a declared dependency
        raise ImportError("[save] the 'safetensors' package is required: pip install safetensors") from e
    return st_numpy


def _unique_name(name, arrays):
    if name and name != _RESERVED_NAME and name not in arrays:
        return name
    i = 1
    while f"{name}#{i}" in arrays:
        i += 1
    return f"{name}#{i}"


def _join(path, part):
    return f"{path}.{part}" if path else str(part)


def _flatten(obj, arrays, path):
    """Returns a JSON-able tree; arrays are moved into ``arrays`` under their dotted path and referenced by it."""
    if isinstance(obj, (Tensor, np.ndarray)):
        array = obj._host() if isinstance(obj, Tensor) else obj  # device tensors are written from host copies
        name = _unique_name(path, arrays)
        # Not np.ascontiguousarray: it turns a 0-d array (BatchNorm's num_batches_tracked) into shape (1,).
        arrays[name] = array if array.flags.c_contiguous else np.array(array, order="C")
        return {"__tensor__" if isinstance(obj, Tensor) else "__array__": name, "shape": list(array.shape)}
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"[save] dict keys must be str or int, got {type(k).__name__} at {path or 'top level'}")
        # JSON objects have string keys only: a list of pairs remembers which keys were ints, and their order.
        return {"__dict__": [[k, _flatten(v, arrays, _join(path, k))] for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(v, arrays, _join(path, i)) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    kind = type(obj).__qualname__
    if type(obj).__module__ != "builtins":
        kind = f"{type(obj).__module__}.{kind}"
    raise TypeError(f"[save] cannot save an object of type {kind} at {path or 'top level'} (Tensors, NumPy arrays, "
                    "dicts, lists, tuples, numbers, strings, bools and None can be saved)")


def _unflatten(node, arrays, bk):
    if isinstance(node, dict):
        if "__tensor__" in node or "__array__" in node:
            array = arrays[node.get("__tensor__", node.get("__array__"))]
            if "shape" in node:  # the first format stored 0-d arrays as shape (1,)
                array = array.reshape(node["shape"])
            return Tensor._make(bk.from_host(array)) if "__tensor__" in node else array
        if "__tuple__" in node:
            return tuple(_unflatten(v, arrays, bk) for v in node["__tuple__"])
        if "__dict__" in node:
            return {k: _unflatten(v, arrays, bk) for k, v in node["__dict__"]}
        raise ValueError(f"unknown node in checkpoint structure: {sorted(node)}")
    if isinstance(node, list):
        return [_unflatten(v, arrays, bk) for v in node]
    return node


def save(obj: Any, path: str | os.PathLike[str], metadata: dict[str, str] | None = None) -> None:
    """Writes ``obj`` (a state_dict, or nested structures holding them) to ``path`` atomically.

    The file is safetensors: the tensors under their own names (so PyTorch reads a state_dict saved by axonal),
    the nesting in the header's metadata. It is written to a temporary file and renamed over ``path``.

    Args:
        obj: a dict of tensors (``model.state_dict()``), or dicts / lists / numbers / strings holding them.
        path: the file to write.
        metadata: optional strings stored in the file's header (``load(..., return_metadata=True)``).
    """
    st = _safetensors_numpy()
    arrays = {}
    tree = _flatten(obj, arrays, "")
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    for key in (_TREE_KEY, _FORMAT_KEY, _CRC_KEY):
        if key in meta:
            raise ValueError(f"[save] metadata key {key!r} is reserved for the checkpoint's structure")
    meta[_TREE_KEY] = json.dumps(tree)
    meta[_FORMAT_KEY] = _FORMAT
    meta[_CRC_KEY] = json.dumps(_checksums(meta, arrays))
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
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Makes the rename itself durable (a power cut after save returns keeps the new file); best effort."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _crc(array):
    return zlib.crc32(array if array.flags.c_contiguous else np.ascontiguousarray(array))


def _checksums(meta, arrays):
    """CRC-32 of the metadata entries (the structure, the user's) and of every tensor's bytes."""
    entries = {k: zlib.crc32(v.encode()) for k, v in sorted(meta.items()) if k != _CRC_KEY}
    return {"meta": entries, "tensors": {k: _crc(a) for k, a in arrays.items()}}


def _verify(path, meta, arrays):
    """Raises ValueError naming ``path`` when a tensor or a metadata entry differs from what save recorded."""
    try:
        recorded = json.loads(meta[_CRC_KEY])
        want_meta, want_tensors = dict(recorded["meta"]), dict(recorded["tensors"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"[load] {path} is corrupt: its checksum entry is unreadable ({e!r})") from None
    if set(want_tensors) != set(arrays) or set(want_meta) != set(meta) - {_CRC_KEY}:
        raise ValueError(f"[load] {path} is corrupt: its tensors or metadata entries differ from the ones saved "
                         f"(tensors {sorted(arrays)} vs {sorted(want_tensors)})")
    for k, crc in want_meta.items():
        if zlib.crc32(meta[k].encode()) != crc:
            raise ValueError(f"[load] {path} is corrupt: metadata entry {k!r} fails its CRC-32 check")
    for k, crc in want_tensors.items():
        if _crc(arrays[k]) != crc:
            raise ValueError(f"[load] {path} is corrupt: tensor {k!r} fails its CRC-32 check (damaged bytes)")


def _conversion_hint(path):
    return (f"axonal reads only safetensors checkpoints (unpickling can run arbitrary code). Convert it once "
            f"with PyTorch: import torch, safetensors.torch; "
            f"safetensors.torch.save_file(torch.load({path!r}, weights_only=True), 'model.safetensors') "
            f"-- for a checkpoint that holds more than a state_dict, save its state_dict entry "
            f"(e.g. ckpt['model']) or other tensors as a flat dict of name -> tensor")


def _refuse_pickle(path):
    """Raises a ValueError naming safetensors when ``path`` is a pickle (torch.save's zip or legacy format)."""
    with open(path, "rb") as f:
        head = f.read(9)
    what = None
    # A safetensors file starts with its header's length (8 bytes, little-endian) and the header's "{". A length
    # of 0x0380 (896) begins with the bytes 0x80 0x03, pickle's protocol-3 opcode: the length decides first.
    if len(head) == 9 and head[8:9] == b"{" and 0 < int.from_bytes(head[:8], "little") <= os.path.getsize(path) - 8:
        return
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except zipfile.BadZipFile:
            names = []
        is_torch = any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)
        what = "a PyTorch checkpoint in torch.save's zip format" if is_torch else "a zip archive"
    elif len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        what = "a pickle (raw pickle or torch.save's legacy format)"
    if what is not None:
        raise ValueError(f"[load] {path} is {what}, not a safetensors file: {_conversion_hint(path)}")


def _foreign_dtypes(path, names):
    """name -> (dtype, shape, offsets) for the tensors NumPy has no dtype for (only BF16 is converted)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    start = 8 + n
    out = {}
    for name in names:
        info = header[name]
        if info["dtype"] == "BF16":
            out[name] = (info["shape"], start + info["data_offsets"][0], start + info["data_offsets"][1])
        elif info["dtype"].startswith("F8"):
            raise ValueError(f"tensor {name!r} has dtype {info['dtype']}, which axonal cannot hold; "
                             "convert it to float32 before saving")
    return out


def _read_foreign(path, shape, begin, end):
    """A bfloat16 tensor as float32: bfloat16 is the upper half of a float32's bits, so the widening is exact."""
    with open(path, "rb") as f:
        f.seek(begin)
        raw = np.frombuffer(f.read(end - begin), dtype="<u2")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(shape)


def load(path: str | os.PathLike[str], map_location: DeviceLike = None, return_metadata: bool = False,
         weights_only: bool = True) -> Any:
    """Reads a checkpoint written by ``save`` (or any safetensors file: then a flat name -> Tensor dict).

    NumPy arrays that were saved as arrays stay NumPy arrays; bfloat16 tensors (which NumPy lacks) come back as
    float32, exactly. Pickle files raise a ValueError explaining how to convert them to safetensors.

    Args:
        path: the file to read.
        map_location: the device the tensors come back on (the CPU by default).
        return_metadata: also return the metadata given to ``save``.
        weights_only: accepted for torch.load's signature: a safetensors file holds only data, so loading never
            runs code either way.

    Returns:
        What was saved (with ``return_metadata``, a pair of it and the metadata dict).
    """
    bk = backend.get(map_location)
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"[load] no such checkpoint file: {path}")
    _refuse_pickle(path)
    try:
        from safetensors import safe_open

        with safe_open(path, framework="numpy") as f:
            meta = dict(f.metadata() or {})
            names = list(f.keys())
            foreign = _foreign_dtypes(path, names)
            arrays = {k: _read_foreign(path, *foreign[k]) if k in foreign else f.get_tensor(k) for k in names}
    except Exception as e:  # safetensors raises its own error types for truncated / garbage files
        hint = f" ({_conversion_hint(path)})" if path.lower().endswith(_PICKLE_SUFFIXES) else ""
        raise ValueError(f"[load] {path} is not a valid safetensors checkpoint: {e}{hint}") from None
    if _CRC_KEY in meta:
        _verify(path, meta, arrays)
        meta.pop(_CRC_KEY)
    if _TREE_KEY in meta:
        try:
            obj = _unflatten(json.loads(meta.pop(_TREE_KEY)), arrays, bk)
        except (ValueError, KeyError, TypeError) as e:
            raise ValueError(f"[load] {path} has a corrupt axonal structure: {e!r}") from None
        meta.pop(_FORMAT_KEY, None)
    else:
        obj = {k: Tensor._make(bk.from_host(v)) for k, v in arrays.items()}
    return (obj, meta) if return_metadata else obj
