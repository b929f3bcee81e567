"""Variable-length sequences, as torch.nn.utils.rnn: PackedSequence, pad_sequence, pack_padded_sequence,
pad_packed_sequence, pack_sequence, unpad_sequence, unpack_sequence.

A PackedSequence holds the rows of several sequences ordered by time step: step t has the first
batch_sizes[t] sequences (sorted longest first), so a recurrent layer runs each step on a prefix of the batch
and no padding is ever computed. ``batch_sizes`` is an int64 CPU tensor (as in torch); ``sorted_indices``
(sorted position -> original sequence) and ``unsorted_indices`` (its inverse) are int64 tensors on the data's
device, or None when the batch was already sorted.

Packing and unpacking are single gather/scatter ops over precomputed row indices (differentiable, O(size)).
"""
from collections import namedtuple

import numpy as np

from ... import backend
from ...autograd.function import Function
from ...tensor import Tensor

_Base = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Base):
    """(data, batch_sizes, sorted_indices, unsorted_indices), as torch's. Build it with pack_padded_sequence
    or pack_sequence."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            raise ValueError("[PackedSequence] batch_sizes is required; build one with pack_padded_sequence")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = Tensor(np.asarray(batch_sizes, dtype=np.int64))
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The data (and the index tensors) moved / cast; batch_sizes stays on the CPU, as in torch."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        idx = [None if i is None else i.to(dev) for i in (self.sorted_indices, self.unsorted_indices)]
        return type(self)(data, self.batch_sizes, *idx)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    host = _host_ints(permutation)
    inverse = np.empty_like(host)
    inverse[host] = np.arange(host.size, dtype=np.int64)
    return _on_device_of(inverse, permutation)


def _host_ints(x):
    """x (a Tensor, list or array of ints) as a host int64 array."""
    if isinstance(x, Tensor):
        return np.asarray(x._host(), dtype=np.int64)
    return np.asarray(x, dtype=np.int64)


def _on_device_of(array, like):
    """A host int64 array as a tensor on the device of ``like`` (a Tensor, or the CPU)."""
    if isinstance(like, Tensor):
        return Tensor._make(backend.of(like.data).from_host(array))
    return Tensor._make(array)


class _GatherRows(Function):
    """out = x.reshape(-1, *rest)[rows]: rows are distinct, so the gradient is a plain scatter."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, rows, lead):
        ctx.shape, ctx.rows = x.shape, rows
        return x.reshape((-1,) + x.shape[lead:])[rows]

    @staticmethod
    def backward(ctx, g):
        shape = ctx.shape
        lead = len(shape) - (g.ndim - 1)
        grad = ctx.xp.zeros((int(np.prod(shape[:lead])),) + g.shape[1:], dtype=g.dtype)
        grad[ctx.rows] = g
        return grad.reshape(shape), None, None


class _ScatterRows(Function):
    """out of ``shape`` (A, B, *rest) filled with ``value``, the rows of data (M, *rest) put at flat rows ``rows``
    of its first two axes."""

    fresh_grads = False  # backward returns a gather of the incoming gradient (a new array, but keep it simple)

    @staticmethod
    def forward(ctx, data, rows, shape, value):
        ctx.rows = rows
        out = ctx.xp.full((shape[0] * shape[1],) + tuple(shape[2:]), value, dtype=data.dtype)
        out[rows] = data
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape((-1,) + g.shape[2:])[ctx.rows], None, None, None


def _packed_rows(batch_sizes, sorted_indices, steps, batch, batch_first):
    """Row numbers, in a (steps, batch) or (batch, steps) layout flattened over its first two axes, of
    every packed element: step t, sorted position k < batch_sizes[t] -> sequence sorted_indices[k]."""
    rows = []
    for t, b in enumerate(batch_sizes.tolist()):
        seq = sorted_indices[:b]
        rows.append(seq * steps + t if batch_first else t * batch + seq)
    return np.concatenate(rows).astype(np.int64)


def _device_rows(rows, like):
    bk = backend.of(like.data)
    return rows if bk is backend.cpu else bk.from_host(rows)


def _lengths_array(lengths, op):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise ValueError(f"[{op}] lengths must be 1-D, got shape {lengths.shape}")
        arr = np.asarray(lengths._host())
        if arr.dtype.kind not in "iu":
            raise TypeError(f"[{op}] lengths must be integers, got {lengths.dtype}")
        return arr.astype(np.int64)
    arr = np.asarray(lengths)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise ValueError(f"[{op}] lengths must be a 1-D sequence of ints, got {lengths!r}")
    return arr.astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):  # noqa: A002 - torch's name
    """Packs a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the given lengths.

    enforce_sorted=True requires lengths in decreasing order (sorted_indices is then None); False sorts them
    (stably) and records the permutation, so the layers' h_n comes back in the original order."""
    op = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"[{op}] input must be a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"[{op}] input must have at least 2 dims (T, B, *), got {input.shape}")
    lengths = _lengths_array(lengths, op)
    steps, batch = (input.shape[1], input.shape[0]) if batch_first else (input.shape[0], input.shape[1])
    if lengths.size != batch:
        raise ValueError(f"[{op}] expected {batch} lengths for the batch of input {input.shape}, got {lengths.size}")
    if lengths.size and lengths.min() <= 0:
        raise RuntimeError(f"[{op}] Length of all samples has to be greater than 0, but found an element in "
                           f"'lengths' that is <= 0 (lengths {lengths.tolist()})")
    if lengths.max() > steps:
        raise RuntimeError(f"[{op}] a length {int(lengths.max())} exceeds the {steps} steps of input {input.shape}")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"[{op}] `lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                               f"True (got {lengths.tolist()}). You can pass `enforce_sorted=False` to "
                               "pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do "
                               "not need ONNX exportability.")
        order = np.arange(batch, dtype=np.int64)
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable").astype(np.int64)
        sorted_indices = _on_device_of(order, input)
    sorted_lengths = lengths[order]
    batch_sizes = np.array([(sorted_lengths > t).sum() for t in range(int(sorted_lengths[0]))], dtype=np.int64)
    rows = _packed_rows(batch_sizes, order, steps, batch, batch_first)
    data = _GatherRows.apply(input, _device_rows(rows, input), 2)
    return PackedSequence(data, Tensor._make(batch_sizes), sorted_indices,
                          None if sorted_indices is None else invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The padded batch (T, B, *) (or (B, T, *)) of a PackedSequence, in the original order, and the lengths
    (an int64 CPU tensor). total_length pads to that many steps (it must be >= the longest sequence)."""
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"[{op}] expects a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    batch_sizes = _host_ints(sequence.batch_sizes)
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"[{op}] Expected total_length to be at least the length of the longest sequence "
                             f"({steps}), but got total_length={total_length}")
        steps = int(total_length)
    order = (np.arange(batch, dtype=np.int64) if sequence.sorted_indices is None
             else _host_ints(sequence.sorted_indices))
    rows = _packed_rows(batch_sizes, order, steps, batch, batch_first)
    shape = ((batch, steps) if batch_first else (steps, batch)) + tuple(data.shape[1:])
    padded = _ScatterRows.apply(data, _device_rows(rows, data), shape, padding_value)
    sorted_lengths = np.array([(batch_sizes > k).sum() for k in range(batch)], dtype=np.int64)
    lengths = np.empty(batch, dtype=np.int64)
    lengths[order] = sorted_lengths
    return padded, Tensor._make(lengths)


class _PadSequence(Function):
    fresh_grads = False  # backward returns views of the incoming gradient

    @staticmethod
    def forward(ctx, batch_first, padding_value, left, *arrays):
        longest = max(a.shape[0] for a in arrays)
        rest = arrays[0].shape[1:]
        out = ctx.xp.full((len(arrays), longest) + rest, padding_value, dtype=arrays[0].dtype)
        spans = []
        for i, a in enumerate(arrays):
            n = a.shape[0]
            span = slice(longest - n, longest) if left else slice(0, n)
            out[i, span] = a
            spans.append(span)
        ctx.spans, ctx.batch_first = spans, batch_first
        return out if batch_first else out.swapaxes(0, 1)

    @staticmethod
    def backward(ctx, g):
        if not ctx.batch_first:
            g = g.swapaxes(0, 1)
        return (None, None, None, *(g[i, span] for i, span in enumerate(ctx.spans)))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks tensors of shape (L_i, *) into (L_max, B, *) (or (B, L_max, *)), padding with padding_value on
    the right (or the left)."""
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences)
    sequences = list(sequences)
    if not sequences:
        raise ValueError(f"[{op}] received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueError(f"[{op}] padding_side must be 'left' or 'right', got {padding_side!r}")
    for s in sequences:
        if not isinstance(s, Tensor):
            raise TypeError(f"[{op}] every sequence must be a Tensor, got {type(s).__name__}")
        if s.ndim < 1 or s.shape[1:] != sequences[0].shape[1:] or s.dtype != sequences[0].dtype:
            shapes = ", ".join(f"{t.shape} {t.dtype}" for t in sequences)
            raise ValueError(f"[{op}] sequences must agree in every dim but the first and in dtype, got {shapes}")
    return _PadSequence.apply(bool(batch_first), padding_value, padding_side == "left", *sequences)


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), lengths): sequences longest first unless
    enforce_sorted=False."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_i, *) in a padded batch."""
    lengths = _lengths_array(lengths, "unpad_sequence")
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(lengths.tolist())]


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]
