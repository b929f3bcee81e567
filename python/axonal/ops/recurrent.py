"""Recurrent layers as ops: one Function per layer (all its directions) over the whole sequence.

``RecurrentLayer`` does, per direction, one GEMM for the input projections of every time step, then hands the
recurrence to the backend (``rnn_forward``: per step one GEMM for the hidden part and a fused gate pass; C++ on
the CPU, csrc/kernels/recurrent.h). Backward is the backend's ``rnn_backward`` plus two GEMMs for the input
side, so backpropagation through time costs O(T), with no per-step graph nodes and no per-step full-size zero
gradients (what indexing x[:, t] in a graph would give).

The sequence is always "packed" (torch.nn.utils.rnn.PackedSequence's layout): rows of x ordered by time step,
step t holding the first batch_sizes[t] sequences. A padded (T, B, I) batch is x.reshape(T * B, I) with
batch_sizes [B] * T.

A Function has one output, so the layer returns one flat array holding the output (N, D*H), h_n (D, B, H) and,
for the LSTM, c_n (D, B, H), and ``split_outputs`` cuts it with ``Part`` nodes (their backward is one
zero-filled array of the flat size per part used: once per layer, not per step).
"""
import numpy as np

from ..autograd.function import Function
from ..grad_mode import is_grad_enabled
from . import _checks

MODES = {"RNN_TANH": 0, "RNN_RELU": 1, "LSTM": 2, "GRU": 3}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
OP_NAMES = {"RNN_TANH": "rnn", "RNN_RELU": "rnn", "LSTM": "lstm", "GRU": "gru"}


class RecurrentLayer(Function):
    """forward(mode, batch_sizes, num_directions, x (N, I), h0 (D, B, H) or None, c0 or None,
    then per direction w_ih, w_hh, b_ih, b_hh (biases may be None)) -> flat [out, h_n, (c_n)]."""

    fresh_grads = True  # every gradient below is a new GEMM result, kernel output or sum

    @staticmethod
    def forward(ctx, mode, batch_sizes, num_dirs, x, h0, c0, *weights):
        bk, xp = ctx.backend, ctx.xp
        code = MODES[mode]
        lstm = mode == "LSTM"
        w_hh0 = weights[1]
        H = w_hh0.shape[1]
        B = int(batch_sizes[0])
        dt = x.dtype
        save = is_grad_enabled() and any(ctx.needs_input_grad)
        if lstm and (h0 is None) != (c0 is None):  # (the layers pass both or neither; a lone one meets zeros)
            zeros = xp.zeros((num_dirs, B, H), dtype=dt)
            h0, c0 = (zeros if h0 is None else h0), (zeros if c0 is None else c0)
        N = x.shape[0]
        flat = xp.empty(N * num_dirs * H + (2 if lstm else 1) * num_dirs * B * H, dtype=dt)
        out = flat[:N * num_dirs * H].reshape(N, num_dirs * H)
        h_n = flat[N * num_dirs * H:N * num_dirs * H + num_dirs * B * H].reshape(num_dirs, B, H)
        c_n = flat[N * num_dirs * H + num_dirs * B * H:].reshape(num_dirs, B, H) if lstm else None
        kept = []
        for d in range(num_dirs):
            w_ih, w_hh, b_ih, b_hh = weights[4 * d:4 * d + 4]
            gates = bk.matmul(x, w_ih.T)  # the input projections of every step: one GEMM
            # The gate pass adds the input-side bias (b_ih + b_hh, or the GRU's b_ih: its b_hn sits inside
            # r * (...), so the GRU's b_hh goes to the kernel apart) while it reads the gates anyway.
            b_x = b_ih if mode == "GRU" or b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
            o, hn, cn, saved = bk.rnn_forward(
                code, gates, None if h0 is None else xp.ascontiguousarray(h0[d]),
                xp.ascontiguousarray(c0[d]) if lstm and c0 is not None else None,
                xp.ascontiguousarray(w_hh), b_hh if mode == "GRU" else None, batch_sizes, save, d == 1, b_x)
            out[:, d * H:(d + 1) * H] = o
            h_n[d] = hn
            if lstm:
                c_n[d] = cn
            kept.append((gates, saved))
        if save:
            ctx.kept = kept
            ctx.x = x
            ctx.conf = (mode, batch_sizes, num_dirs, N, B, H)
            ctx.weights = weights
            ctx.zero_h0 = h0 is None
        return flat

    @staticmethod
    def backward(ctx, g):
        bk, xp = ctx.backend, ctx.xp
        mode, batch_sizes, num_dirs, N, B, H = ctx.conf
        lstm = mode == "LSTM"
        code = MODES[mode]
        weights, x, needs = ctx.weights, ctx.x, ctx.needs_input_grad
        g_out = g[:N * num_dirs * H].reshape(N, num_dirs * H)
        g_hn = g[N * num_dirs * H:N * num_dirs * H + num_dirs * B * H].reshape(num_dirs, B, H)
        g_cn = g[N * num_dirs * H + num_dirs * B * H:].reshape(num_dirs, B, H) if lstm else None
        gx = None
        state_grads = needs[4] or (lstm and needs[5])
        gh0 = xp.empty((num_dirs, B, H), dtype=g.dtype) if needs[4] else None
        gc0 = xp.empty((num_dirs, B, H), dtype=g.dtype) if lstm and needs[5] else None
        grads = []
        for d in range(num_dirs):
            w_ih, w_hh, b_ih, b_hh = weights[4 * d:4 * d + 4]
            gates, saved = ctx.kept[d]
            with_bias = b_hh is not None
            dgates, dw_hh, db_hh, dh0, dc0 = bk.rnn_backward(
                code, xp.ascontiguousarray(g_out[:, d * H:(d + 1) * H]), xp.ascontiguousarray(g_hn[d]),
                xp.ascontiguousarray(g_cn[d]) if lstm else None, gates, saved, xp.ascontiguousarray(w_hh),
                with_bias, batch_sizes, d == 1, ctx.zero_h0, state_grads)
            if needs[3]:
                part = bk.matmul(dgates, w_ih)
                gx = part if gx is None else gx + part
            dw_ih = bk.matmul(dgates.T, x) if needs[6 + 4 * d] else None
            db_ih = None
            if b_ih is not None and needs[8 + 4 * d]:
                db_ih = dgates.sum(axis=0) if mode == "GRU" or db_hh is None else db_hh.copy()
            if gh0 is not None:
                gh0[d] = dh0
            if gc0 is not None:
                gc0[d] = dc0
            grads += [dw_ih, dw_hh, db_ih, db_hh]
        return (None, None, None, gx, gh0, gc0, *grads)


class Part(Function):
    """flat[start:stop] viewed as ``shape``: a piece of a multi-output op's flat result."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, flat, start, stop, shape):
        ctx.size, ctx.span = flat.shape[0], (start, stop)
        return flat[start:stop].reshape(shape)

    @staticmethod
    def backward(ctx, g):
        grad = ctx.xp.zeros(ctx.size, dtype=g.dtype)
        start, stop = ctx.span
        grad[start:stop] = g.reshape(-1)
        return grad, None, None, None


def split_outputs(flat, N, num_dirs, B, H, lstm):
    """(output (N, D*H), h_n (D, B, H), c_n or None) from RecurrentLayer's flat result."""
    n_out, n_state = N * num_dirs * H, num_dirs * B * H
    out = Part.apply(flat, 0, n_out, (N, num_dirs * H))
    h_n = Part.apply(flat, n_out, n_out + n_state, (num_dirs, B, H))
    c_n = Part.apply(flat, n_out + n_state, n_out + 2 * n_state, (num_dirs, B, H)) if lstm else None
    return out, h_n, c_n


def recurrent_layer(mode, x, batch_sizes, h0, c0, weights, num_dirs):
    """One layer over packed rows x (N, I): (output (N, D*H), h_n (D, B, H), c_n or None).

    batch_sizes: host int64 array; h0 / c0: (D, B, H) tensors or None (zeros); weights: per direction
    (w_ih, w_hh, b_ih, b_hh) tensors, biases None when the layer has none."""
    op = OP_NAMES[mode]
    check_layer(op, mode, x, batch_sizes, h0, c0, weights, num_dirs)
    H = weights[1].shape[1]
    B = int(batch_sizes[0])
    flat = RecurrentLayer.apply(mode, batch_sizes, num_dirs, _contiguous(x), h0, c0, *weights)
    return split_outputs(flat, x.shape[0], num_dirs, B, H, mode == "LSTM")


def _contiguous(t):
    if t.data.flags.c_contiguous:
        return t
    from .conv import _Contiguous

    return _Contiguous.apply(t)


def check_layer(op, mode, x, batch_sizes, h0, c0, weights, num_dirs):
    """Shapes and dtypes of one layer's arguments, with torch-like messages that name the shapes."""
    _checks.tensors(op, input=x)
    _checks.float_tensors(op, input=x)
    if x.ndim != 2:
        raise ValueError(f"[{op}] expects packed input rows of shape (N, input_size), got {x.shape}")
    G = GATES[mode]
    w_ih, w_hh = weights[0], weights[1]
    H = w_hh.shape[1]
    for d in range(num_dirs):
        for name, t in zip(("weight_ih", "weight_hh", "bias_ih", "bias_hh"), weights[4 * d:4 * d + 4]):
            if t is not None and t.dtype != x.dtype:
                raise TypeError(f"[{op}] input and {name} must have the same dtype, got input {x.dtype} {x.shape} and "
                                f"{name} {t.dtype} {t.shape}")
    if x.shape[1] != w_ih.shape[1]:
        raise ValueError(f"[{op}] input.size(-1) must be equal to input_size: expected {w_ih.shape[1]}, got "
                         f"{x.shape[1]} (input rows {x.shape}, weight_ih {w_ih.shape})")
    if w_ih.shape[0] != G * H or w_hh.shape != (G * H, H):
        raise ValueError(f"[{op}] weight_ih {w_ih.shape} / weight_hh {w_hh.shape} do not fit {G} gates of {H} units")
    sizes = np.asarray(batch_sizes)
    if sizes.ndim != 1 or sizes.size < 1 or int(sizes.sum()) != x.shape[0]:
        raise ValueError(f"[{op}] batch_sizes {sizes.tolist()} do not describe the {x.shape[0]} input rows")
    B = int(sizes[0])
    for name, t in (("hx", h0), ("cx", c0)):
        if t is None:
            continue
        if t.dtype != x.dtype:
            raise TypeError(f"[{op}] {name} must have the input's dtype {x.dtype}, got {t.dtype}")
        if t.shape != (num_dirs, B, H):
            raise ValueError(f"[{op}] expected {name} of a layer to have shape {(num_dirs, B, H)}, got {t.shape}")
