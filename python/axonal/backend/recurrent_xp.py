"""The recurrent kernels (csrc/kernels/recurrent.h) written with an array module: the CUDA backend's rnn_forward /
rnn_backward until csrc/cuda has kernels of its own, and a second, independent reference for the C++ ones.

Same contract as axonal._C.rnn_forward / rnn_backward (modes 0 rnn tanh, 1 rnn relu, 2 lstm, 3 gru; packed rows
described by a host int64 ``batch_sizes``; ``gates`` overwritten with the activations), except that ``saved``
is a tuple of arrays here. One matrix product per step for the hidden part, elementwise gate math on whole
step blocks, and d W_hh as one product at the end, as in the C++ kernels.
"""
RNN_TANH, RNN_RELU, LSTM, GRU = 0, 1, 2, 3


def _sigmoid(xp, x):
    # 0.5 (1 + tanh(x / 2)): no exp overflow for large |x| (1 / (1 + exp(-x)) warns there).
    return 0.5 * (xp.tanh(0.5 * x) + 1)


def _steps(batch_sizes, reverse):
    """(t, rows in step t, first row of step t) in the order the forward runs them."""
    sizes = [int(b) for b in batch_sizes.tolist()]
    offsets = [0]
    for b in sizes:
        offsets.append(offsets[-1] + b)
    order = range(len(sizes) - 1, -1, -1) if reverse else range(len(sizes))
    return [(t, sizes[t], offsets[t]) for t in order], offsets[-1]


def rnn_forward(xp, matmul, mode, gates, h0, c0, w_hh, b_hh, batch_sizes, save=True, reverse=False, b_x=None):
    """(out (N, H), h_n, c_n or None, saved tuple or None); ``matmul`` is the backend's."""
    steps, N = _steps(batch_sizes, reverse)
    if b_x is not None:
        gates += b_x
    B, H = int(batch_sizes[0]), w_hh.shape[1]
    h = h0.copy() if h0 is not None else xp.zeros((B, H), dtype=w_hh.dtype)
    c = None
    if mode == LSTM:
        c = c0.copy() if c0 is not None else xp.zeros((B, H), dtype=w_hh.dtype)
    dt = w_hh.dtype
    out = xp.empty((N, H), dtype=dt)
    h_prev = xp.empty((N, H), dtype=dt) if save else None
    extra = xp.empty((N, 2 * H if mode == LSTM else H), dtype=dt) if save and mode in (LSTM, GRU) else None
    w_t = w_hh.T
    for t, b, r0 in steps:
        rows = slice(r0, r0 + b)
        g = gates[rows]
        hp = h[:b]
        if save:
            h_prev[rows] = hp
        y = matmul(hp, w_t)
        if mode in (RNN_TANH, RNN_RELU):
            pre = g + y
            g[...] = xp.tanh(pre) if mode == RNN_TANH else xp.maximum(pre, 0)
            hn = g
        elif mode == LSTM:
            pre = g + y
            i, f = _sigmoid(xp, pre[:, :H]), _sigmoid(xp, pre[:, H:2 * H])
            u, o = xp.tanh(pre[:, 2 * H:3 * H]), _sigmoid(xp, pre[:, 3 * H:])
            cp = c[:b]
            cn = f * cp + i * u
            tc = xp.tanh(cn)
            if save:
                extra[rows, :H] = cp
                extra[rows, H:] = tc
            g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:] = i, f, u, o
            c[:b] = cn
            hn = o * tc
        else:
            if b_hh is not None:
                y = y + b_hh
            r = _sigmoid(xp, g[:, :H] + y[:, :H])
            z = _sigmoid(xp, g[:, H:2 * H] + y[:, H:2 * H])
            n = xp.tanh(g[:, 2 * H:] + r * y[:, 2 * H:])
            if save:
                extra[rows] = y[:, 2 * H:]
            hn = (1 - z) * n + z * hp
            g[:, :H], g[:, H:2 * H], g[:, 2 * H:] = r, z, n
        out[rows] = hn
        h[:b] = hn
    saved = (h_prev, extra, out) if save else None
    return out, h, c, saved


def rnn_backward(xp, matmul, mode, grad_out, grad_h_n, grad_c_n, gates, saved, w_hh, with_bias, batch_sizes,
                 reverse=False, zero_h0=False, need_state_grads=True):
    """(d gates, d w_hh, d b_hh or None, d h0 or None, d c0 or None), as axonal._C.rnn_backward (zero_h0 changes
    nothing here: h_prev is stored as zeros)."""
    steps, N = _steps(batch_sizes, reverse)
    h_prev, extra, _ = saved
    GH, H = w_hh.shape
    B = int(batch_sizes[0])
    dt = w_hh.dtype
    dh = grad_h_n.copy() if grad_h_n is not None else xp.zeros((B, H), dtype=dt)
    dc = None
    if mode == LSTM:
        dc = grad_c_n.copy() if grad_c_n is not None else xp.zeros((B, H), dtype=dt)
    dgates = xp.empty((N, GH), dtype=dt)
    dy = xp.empty((N, GH), dtype=dt) if mode == GRU else dgates
    for t, b, r0 in reversed(steps):
        rows = slice(r0, r0 + b)
        g = gates[rows]
        d = dh[:b] if grad_out is None else dh[:b] + grad_out[rows]
        if mode in (RNN_TANH, RNN_RELU):
            dgates[rows] = d * (1 - g * g) if mode == RNN_TANH else d * (g > 0)
            direct = None
        elif mode == LSTM:
            i, f, u, o = g[:, :H], g[:, H:2 * H], g[:, 2 * H:3 * H], g[:, 3 * H:]
            cp, tc = extra[rows, :H], extra[rows, H:]
            dct = dc[:b] + d * o * (1 - tc * tc)
            dg = dgates[rows]
            dg[:, :H] = dct * u * i * (1 - i)
            dg[:, H:2 * H] = dct * cp * f * (1 - f)
            dg[:, 2 * H:3 * H] = dct * i * (1 - u * u)
            dg[:, 3 * H:] = d * tc * o * (1 - o)
            dc[:b] = dct * f
            direct = None
        else:
            r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
            hp, hn = h_prev[rows], extra[rows]
            dn = d * (1 - z) * (1 - n * n)
            dz = d * (hp - n) * z * (1 - z)
            dr = dn * hn * r * (1 - r)
            dg, dyr = dgates[rows], dy[rows]
            dg[:, :H], dg[:, H:2 * H], dg[:, 2 * H:] = dr, dz, dn
            dyr[:, :H], dyr[:, H:2 * H], dyr[:, 2 * H:] = dr, dz, dn * r
            direct = d * z
        back = matmul(dy[rows], w_hh)
        dh[:b] = back if direct is None else back + direct
    dw = matmul(dy.T, h_prev)
    db = dy.sum(axis=0) if with_bias else None
    if not need_state_grads:
        return dgates, dw, db, None, None
    return dgates, dw, db, dh, dc
