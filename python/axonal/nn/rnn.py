"""Recurrent layers with PyTorch's interface, parameter names, shapes, gate order and initialisation:
nn.RNN (tanh / relu), nn.LSTM, nn.GRU and the cells nn.RNNCell, nn.LSTMCell, nn.GRUCell.

Parameters per layer k and direction (suffix '' or '_reverse'): weight_ih_l{k} (G*H, I), weight_hh_l{k}
(G*H, H), bias_ih_l{k} (G*H), bias_hh_l{k} (G*H), G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n), all
U(-1/sqrt(H), 1/sqrt(H)) as in torch, so state_dicts move between the two. Each layer is one op over the
whole sequence (axonal/ops/recurrent.py); inputs may be padded tensors or PackedSequences.
"""
import math
import numbers
import warnings

import numpy as np

from .. import dtypes
from ..ops import recurrent as _rec
from ..ops.regularize import dropout as _dropout
from ..ops.shape import cat
from ..tensor import Tensor
from . import init
from .module import Module
from .parameter import Parameter
from .utils.rnn import PackedSequence, _host_ints


def _check_size(op, **sizes):
    for name, v in sizes.items():
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"[{op}] {name} must be a positive int, got {v!r}")


class RNNBase(Module):
    """The shared body of RNN, LSTM and GRU: mode is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU'."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        op = _rec.OP_NAMES.get(mode, "rnn")
        if mode not in _rec.MODES:
            raise ValueError(f"[{op}] unknown mode {mode!r}")
        _check_size(op, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1:
            raise ValueError(f"[{op}] dropout should be a number in range [0, 1] representing the probability of "
                             f"an element being zeroed, got {dropout!r}")
        if proj_size:
            raise NotImplementedError(f"[{op}] proj_size is not supported (LSTM with projections)")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), float(dropout)
        self.bidirectional, self.proj_size = bool(bidirectional), 0
        gates = _rec.GATES[mode] * hidden_size
        dtype = dtypes.resolve(dtype)
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                suffix = "_reverse" if d == 1 else ""
                layer_in = input_size if layer == 0 else hidden_size * dirs
                shapes = [("weight_ih", (gates, layer_in)), ("weight_hh", (gates, hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gates,)), ("bias_hh", (gates,))]
                for name, shape in shapes:
                    full = f"{name}_l{layer}{suffix}"
                    setattr(self, full, Parameter(np.empty(shape, dtype=dtype)))
                    self._flat_weights_names.append(full)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """Nothing to do (torch compacts cuDNN weights here); kept so scripts that call it run."""

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def _layer_weights(self, layer):
        """(w_ih, w_hh, b_ih, b_hh) per direction of one layer, flattened; None for missing biases."""
        out = []
        for d in range(2 if self.bidirectional else 1):
            suffix = "_reverse" if d == 1 else ""
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                present = self.bias or name.startswith("weight")
                out.append(getattr(self, f"{name}_l{layer}{suffix}") if present else None)
        return out

    @property
    def _op(self):
        return _rec.OP_NAMES[self.mode]

    # ---- forward ----------------------------------------------------------------------------------------
    def forward(self, input, hx=None):  # noqa: A002 - torch's name
        op, lstm = self._op, self.mode == "LSTM"
        dirs = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        if packed:
            x_rows, batch_sizes = input.data, _host_ints(input.batch_sizes)
            sorted_indices, unsorted_indices = input.sorted_indices, input.unsorted_indices
            batch, unbatched = int(batch_sizes[0]), False
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"[{op}] input must be a Tensor or a PackedSequence, got {type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"[{op}] expected input to be 2-D (unbatched) or 3-D, got {input.ndim}-D tensor "
                                 f"{input.shape}")
            unbatched = input.ndim == 2
            if unbatched:
                input = input.unsqueeze(1)  # noqa: A001 (torch's parameter name, rebound)
            elif self.batch_first:
                input = input.transpose(0, 1)  # noqa: A001
            steps, batch = input.shape[0], input.shape[1]
            if steps < 1 or batch < 1:
                raise ValueError(f"[{op}] input must have at least one step and one sequence, got {input.shape}")
            x_rows = input.reshape(steps * batch, input.shape[2])
            batch_sizes = np.full(steps, batch, dtype=np.int64)
            sorted_indices = unsorted_indices = None
        h0, c0 = self._initial_states(hx, batch, unbatched, sorted_indices)
        out, h_list, c_list = x_rows, [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                out = _dropout(out, self.dropout, True)
            sl = slice(layer * dirs, (layer + 1) * dirs)
            out, h_n, c_n = _rec.recurrent_layer(self.mode, out, batch_sizes, None if h0 is None else h0[sl],
                                                 None if c0 is None else c0[sl], self._layer_weights(layer), dirs)
            h_list.append(h_n)
            c_list.append(c_n)
        h_n = h_list[0] if len(h_list) == 1 else cat(h_list, 0)
        c_n = (c_list[0] if len(c_list) == 1 else cat(c_list, 0)) if lstm else None
        if unsorted_indices is not None:
            h_n = h_n[:, unsorted_indices]
            c_n = c_n[:, unsorted_indices] if lstm else None
        if packed:
            output = PackedSequence(out, input.batch_sizes, sorted_indices, unsorted_indices)
        else:
            output = out.reshape(steps, batch, out.shape[1])
            if unbatched:
                output, h_n = output.squeeze(1), h_n.squeeze(1)
                c_n = c_n.squeeze(1) if lstm else None
            elif self.batch_first:
                output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if lstm else (output, h_n)

    def _initial_states(self, hx, batch, unbatched, sorted_indices):
        """(h0, c0) as (L*D, B, H) tensors in the packed (sorted) order, or None for zeros."""
        op, lstm = self._op, self.mode == "LSTM"
        if hx is None:
            return None, None
        if lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"[{op}] hx must be a tuple (h_0, c_0) for the LSTM, got {type(hx).__name__}")
            states = list(hx)
        else:
            if isinstance(hx, (tuple, list)):
                raise TypeError(f"[{op}] hx must be a Tensor, got a {type(hx).__name__}")
            states = [hx]
        want = (self.num_layers * (2 if self.bidirectional else 1), self.hidden_size)
        out = []
        for name, s in zip(("h_0", "c_0"), states):
            if not isinstance(s, Tensor):
                raise TypeError(f"[{op}] {name} must be a Tensor, got {type(s).__name__}")
            if unbatched:
                if s.ndim != 2:
                    raise ValueError(f"[{op}] For unbatched 2-D input, {name} should also be 2-D but got "
                                     f"{s.ndim}-D tensor {s.shape}")
                s = s.unsqueeze(1)
            elif s.ndim != 3:
                raise ValueError(f"[{op}] For batched 3-D input, {name} should also be 3-D but got {s.ndim}-D "
                                 f"tensor {s.shape}")
            if s.shape != (want[0], batch, want[1]):
                raise ValueError(f"[{op}] Expected hidden size {(want[0], batch, want[1])}, got {s.shape} ({name})")
            if sorted_indices is not None:
                s = s[:, sorted_indices]
            out.append(s)
        return (out[0], out[1]) if lstm else (out[0], None)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


_RNN_ARGS = ("input_size", "hidden_size", "num_layers", "nonlinearity", "bias", "batch_first", "dropout",
             "bidirectional", "device", "dtype")


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu with nonlinearity='relu').

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None) -- positional arguments in torch's order."""

    def __init__(self, *args, **kwargs):
        if len(args) > len(_RNN_ARGS):
            raise TypeError(f"[rnn] takes at most {len(_RNN_ARGS)} positional arguments, got {len(args)}")
        for name, value in zip(_RNN_ARGS, args):
            if name in kwargs:
                raise TypeError(f"[rnn] got multiple values for argument {name!r}")
            kwargs[name] = value
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[rnn] Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """LSTM with torch's gate order (i, f, g, o): returns (output, (h_n, c_n))."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """GRU with torch's gate order (r, z, n); n = tanh(x_n + b_in + r * (W_hn h + b_hn))."""

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)


# ---- cells -----------------------------------------------------------------------------------------------
class RNNCellBase(Module):
    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        op = _rec.OP_NAMES[mode] + "_cell"
        _check_size(op, input_size=input_size, hidden_size=hidden_size)
        self.mode, self.input_size, self.hidden_size, self.bias = mode, input_size, hidden_size, bool(bias)
        gates = _rec.GATES[mode] * hidden_size
        dtype = dtypes.resolve(dtype)
        self.weight_ih = Parameter(np.empty((gates, input_size), dtype=dtype))
        self.weight_hh = Parameter(np.empty((gates, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(np.empty((gates,), dtype=dtype))
            self.bias_hh = Parameter(np.empty((gates,), dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        if device is not None:
            self.to(device)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, input, states):  # noqa: A002
        """(h', c' or None) for input (B, I) or (I,) and states [h] / [h, c] (each None, (B, H) or (H,))."""
        op = _rec.OP_NAMES[self.mode] + "_cell"
        if not isinstance(input, Tensor):
            raise TypeError(f"[{op}] input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"[{op}] Expected input to be 1D or 2D, got {input.ndim}D instead ({input.shape})")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        batch = x.shape[0]
        prepared = []
        for name, s in zip(("hx", "cx"), states):
            if s is None:
                prepared.append(None)
                continue
            if not isinstance(s, Tensor):
                raise TypeError(f"[{op}] {name} must be a Tensor, got {type(s).__name__}")
            if s.ndim != input.ndim:
                raise ValueError(f"[{op}] {name} must have {input.ndim} dims like the input {input.shape}, "
                                 f"got {s.shape}")
            s = s.unsqueeze(0) if unbatched else s
            if s.shape != (batch, self.hidden_size):
                raise ValueError(f"[{op}] Expected {name} of shape {(batch, self.hidden_size)}, got {s.shape}")
            prepared.append(s.unsqueeze(0))
        h0 = prepared[0]
        c0 = prepared[1] if len(prepared) > 1 else None
        weights = [self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh]
        out, _, c_n = _rec.recurrent_layer(self.mode, x, np.array([batch], dtype=np.int64), h0, c0, weights, 1)
        c_n = None if c_n is None else c_n.squeeze(0)
        if unbatched:
            out = out.squeeze(0)
            c_n = None if c_n is None else c_n.squeeze(0)
        return out, c_n

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"[rnn_cell] Unknown nonlinearity: {nonlinearity}")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size, bias, device,
                         dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, [hx])[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: (h', c') = cell(x, (h, c))."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("[lstm_cell] hx must be a tuple (h, c)")
        return self._step(input, [None, None] if hx is None else list(hx))


class GRUCell(RNNCellBase):
    """One GRU step: h' = cell(x, h)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, [hx])[0]


__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]
