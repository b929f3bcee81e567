"""default_collate / default_convert: torch's rules for turning a list of samples into a batch.

``default_collate(samples)``, by the type of the first sample:

* Tensor -> the samples stacked on a new first dimension (same dtype, same device);
* NumPy array or NumPy scalar -> stacked into a Tensor of its dtype (string and object arrays are refused);
* bool -> a bool Tensor, int -> int64, float -> the default float dtype (float32; torch makes float64 here, but
  axonal's fast path is float32 and a float64 target next to float32 outputs would promote the loss);
* str / bytes -> kept as a list;
* dict (any mapping) -> the same kind of mapping, each key collated over the samples;
* namedtuple -> the same namedtuple of collated fields; tuple -> a *list* of collated fields (as torch does);
  list and other sequences -> the same kind of sequence; all samples must have the same length.

``default_convert(sample)`` is what the DataLoader applies per sample when automatic batching is off
(``batch_size=None``): NumPy arrays and scalars become Tensors, containers are walked, the rest is untouched.
"""
import collections.abc
import copy

import numpy as np

from .. import backend, dtypes
from ..tensor import Tensor

_ERROR = "[default_collate] batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numeric_dtype(dtype):
    return dtype.kind in "biufc"


def _stack(arrays):
    first = arrays[0]
    for i, a in enumerate(arrays):
        if a.shape != first.shape:
            raise RuntimeError(f"[default_collate] stack expects each tensor to be equal size, but got "
                               f"{tuple(first.shape)} at entry 0 and {tuple(a.shape)} at entry {i}")
    xp = backend.of(first).xp if type(first) in backend._by_type else np
    return Tensor._make(xp.stack(arrays))


def _is_namedtuple(obj):
    return isinstance(obj, tuple) and hasattr(obj, "_fields")


def _rebuild_mapping(elem, items):
    """A mapping of ``elem``'s kind holding ``items``: a clone for mutable mappings (their type may carry extra
    state), ``type(elem)(items)`` otherwise, a plain dict when neither works (torch's order of attempts)."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(items)
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def _rebuild_sequence(elem, items):
    try:
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(elem)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Stacks a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([t.data for t in batch])
    if isinstance(elem, np.ndarray):
        if not _is_numeric_dtype(elem.dtype):
            raise TypeError(_ERROR.format(f"numpy array of dtype {elem.dtype}"))
        return _stack([np.asarray(a) for a in batch])
    if isinstance(elem, (np.bool_, np.number)):  # before float: np.float64 is a float
        return Tensor._make(np.asarray(batch))
    if isinstance(elem, bool):  # before int: a bool is an int
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.asarray(batch, dtype=dtypes.int64))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=dtypes.get_default_dtype()))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("[default_collate] each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _rebuild_sequence(elem, fields)  # tuples: lists, as torch
    raise TypeError(_ERROR.format(type(elem)))


def default_convert(data):
    """NumPy arrays / scalars -> Tensors (sharing memory), walking dicts and sequences; anything else unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return Tensor._make(data) if _is_numeric_dtype(data.dtype) else data
    if isinstance(data, (np.bool_, np.number)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data
