// Naive serial versions of the recurrent kernels (recurrent.h): each step's hidden product as a plain
// triple loop accumulated in double, std::exp / std::tanh for both element types, one cell at a time.
// Written straight from the equations in recurrent.h, to test the fast kernels against.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/recurrent.h"

namespace axonal {
namespace {

double sigmoid_ref(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// Rows [0, b) of y (b x G*H) = h (b x H) @ w^T (w: G*H x H), as doubles.
void hidden_product(std::vector<double>& y, const double* h, const double* w, int64_t b, int64_t GH, int64_t H) {
    y.assign(size_t(b * GH), 0.0);
    for (int64_t r = 0; r < b; ++r)
        for (int64_t k = 0; k < GH; ++k) {
            double acc = 0;
            for (int64_t j = 0; j < H; ++j) acc += h[r * H + j] * w[k * H + j];
            y[size_t(r * GH + k)] = acc;
        }
}

std::vector<int64_t> row_offsets(const int64_t* batch_sizes, int64_t steps) {
    std::vector<int64_t> off(size_t(steps) + 1, 0);
    for (int64_t t = 0; t < steps; ++t) off[size_t(t) + 1] = off[size_t(t)] + batch_sizes[t];
    return off;
}

template <typename T>
std::vector<double> widen(const T* p, int64_t n) {
    std::vector<double> v(size_t(n), 0.0);
    if (p)
        for (int64_t i = 0; i < n; ++i) v[size_t(i)] = double(p[i]);
    return v;
}

}  // namespace

template <typename T>
void rnn_sequence_forward_reference(int mode, T* gates, T* out, T* h_n, T* c_n, T* saved, const T* w_hh,
                                    const T* b_hh, const T* b_x, const T* h0, const T* c0,
                                    const int64_t* batch_sizes, int64_t steps, int64_t B, int64_t H, bool reverse) {
    const int64_t G = rnn_gate_count(mode), GH = G * H, S = rnn_saved_width(mode) * H;
    const std::vector<int64_t> off = row_offsets(batch_sizes, steps);
    std::vector<double> w = widen(w_hh, GH * H), bh = widen(b_hh, GH), bx = widen(b_x, GH);
    std::vector<double> h = widen(h0, B * H), c = widen(mode == RNN_LSTM ? c0 : nullptr, B * H), y;
    for (int64_t s = 0; s < steps; ++s) {
        const int64_t t = reverse ? steps - 1 - s : s, b = batch_sizes[t];
        hidden_product(y, h.data(), w.data(), b, GH, H);
        for (int64_t r = 0; r < b; ++r) {
            const int64_t row = off[size_t(t)] + r;
            T* g = gates + row * GH;
            for (int64_t k = 0; k < GH; ++k) g[k] = T(double(g[k]) + bx[size_t(k)]);  // the input-side bias
            T* sv = saved ? saved + row * S : nullptr;
            const double* yr = y.data() + r * GH;
            for (int64_t j = 0; j < H; ++j) {
                const size_t hj = size_t(r * H + j);
                if (sv) sv[j] = T(h[hj]);
                double hn;
                if (mode == RNN_TANH || mode == RNN_RELU) {
                    double pre = double(g[j]) + yr[j];
                    hn = mode == RNN_TANH ? std::tanh(pre) : (pre < 0 ? 0.0 : pre);
                    g[j] = T(hn);
                } else if (mode == RNN_LSTM) {
                    double i = sigmoid_ref(double(g[j]) + yr[j]);
                    double f = sigmoid_ref(double(g[H + j]) + yr[H + j]);
                    double gg = std::tanh(double(g[2 * H + j]) + yr[2 * H + j]);
                    double o = sigmoid_ref(double(g[3 * H + j]) + yr[3 * H + j]);
                    double cn = f * c[hj] + i * gg;
                    double tc = std::tanh(cn);
                    if (sv) {
                        sv[H + j] = T(c[hj]);
                        sv[2 * H + j] = T(tc);
                    }
                    g[j] = T(i), g[H + j] = T(f), g[2 * H + j] = T(gg), g[3 * H + j] = T(o);
                    c[hj] = cn;
                    hn = o * tc;
                } else {
                    double hr = yr[j] + bh[size_t(j)], hz = yr[H + j] + bh[size_t(H + j)];
                    double hhn = yr[2 * H + j] + bh[size_t(2 * H + j)];
                    double rr = sigmoid_ref(double(g[j]) + hr);
                    double z = sigmoid_ref(double(g[H + j]) + hz);
                    double n = std::tanh(double(g[2 * H + j]) + rr * hhn);
                    if (sv) sv[H + j] = T(hhn);
                    g[j] = T(rr), g[H + j] = T(z), g[2 * H + j] = T(n);
                    hn = (1 - z) * n + z * h[hj];
                }
                out[row * H + j] = T(hn);
            }
            // Update the state after the whole row is done: the row's h is read above for every unit.
            for (int64_t j = 0; j < H; ++j) h[size_t(r * H + j)] = double(out[(off[size_t(t)] + r) * H + j]);
        }
    }
    for (int64_t i = 0; i < B * H; ++i) {
        h_n[i] = T(h[size_t(i)]);
        if (mode == RNN_LSTM) c_n[i] = T(c[size_t(i)]);
    }
}

template <typename T>
void rnn_sequence_backward_reference(int mode, T* dgates, T* dw_hh, T* db_hh, T* dh0, T* dc0, const T* grad_out,
                                     const T* grad_h_n, const T* grad_c_n, const T* gates, const T* saved,
                                     const T* w_hh, const int64_t* batch_sizes, int64_t steps, int64_t B,
                                     int64_t H, bool reverse) {
    const int64_t G = rnn_gate_count(mode), GH = G * H, S = rnn_saved_width(mode) * H;
    const std::vector<int64_t> off = row_offsets(batch_sizes, steps);
    const int64_t N = off[size_t(steps)];
    std::vector<double> w = widen(w_hh, GH * H);
    std::vector<double> dh = widen(grad_h_n, B * H), dc = widen(mode == RNN_LSTM ? grad_c_n : nullptr, B * H);
    std::vector<double> dhh(size_t(N * GH), 0.0);  // gradient of the hidden products W_hh h (+ b_hh)
    for (int64_t s = steps - 1; s >= 0; --s) {
        const int64_t t = reverse ? steps - 1 - s : s, b = batch_sizes[t];
        for (int64_t r = 0; r < b; ++r) {
            const int64_t row = off[size_t(t)] + r;
            const T* g = gates + row * GH;
            const T* sv = saved + row * S;
            T* dg = dgates + row * GH;
            double* dy = dhh.data() + row * GH;
            for (int64_t j = 0; j < H; ++j) {
                const size_t hj = size_t(r * H + j);
                const double d = dh[hj] + (grad_out ? double(grad_out[row * H + j]) : 0.0);
                if (mode == RNN_TANH || mode == RNN_RELU) {
                    double hv = g[j];
                    double dp = mode == RNN_TANH ? d * (1 - hv * hv) : (hv > 0 ? d : 0.0);
                    dg[j] = T(dp), dy[j] = dp;
                    dh[hj] = 0;
                } else if (mode == RNN_LSTM) {
                    double i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
                    double cp = sv[H + j], tc = sv[2 * H + j];
                    double dct = dc[hj] + d * o * (1 - tc * tc);
                    double di = dct * gg * i * (1 - i), df = dct * cp * f * (1 - f);
                    double dgg = dct * i * (1 - gg * gg), d_o = d * tc * o * (1 - o);
                    dg[j] = T(di), dg[H + j] = T(df), dg[2 * H + j] = T(dgg), dg[3 * H + j] = T(d_o);
                    dy[j] = di, dy[H + j] = df, dy[2 * H + j] = dgg, dy[3 * H + j] = d_o;
                    dc[hj] = dct * f;
                    dh[hj] = 0;
                } else {
                    double rr = g[j], z = g[H + j], n = g[2 * H + j];
                    double hp = sv[j], hhn = sv[H + j];
                    double dn = d * (1 - z) * (1 - n * n);
                    double dz = d * (hp - n) * z * (1 - z);
                    double dr = dn * hhn * rr * (1 - rr);
                    dg[j] = T(dr), dg[H + j] = T(dz), dg[2 * H + j] = T(dn);
                    dy[j] = dr, dy[H + j] = dz, dy[2 * H + j] = dn * rr;
                    dh[hj] = d * z;  // the direct path h -> h'
                }
            }
        }
        // d h_{t-1} += dhh_t @ W_hh for the rows of this step.
        for (int64_t r = 0; r < b; ++r) {
            const double* dy = dhh.data() + (off[size_t(t)] + r) * GH;
            for (int64_t j = 0; j < H; ++j) {
                double acc = 0;
                for (int64_t k = 0; k < GH; ++k) acc += dy[k] * w[size_t(k * H + j)];
                dh[size_t(r * H + j)] += acc;
            }
        }
    }
    for (int64_t k = 0; k < GH; ++k) {
        for (int64_t j = 0; j < H; ++j) {
            double acc = 0;
            for (int64_t row = 0; row < N; ++row) acc += dhh[size_t(row * GH + k)] * double(saved[row * S + j]);
            dw_hh[k * H + j] += T(acc);
        }
        if (db_hh) {
            double acc = 0;
            for (int64_t row = 0; row < N; ++row) acc += dhh[size_t(row * GH + k)];
            db_hh[k] += T(acc);
        }
    }
    for (int64_t i = 0; dh0 && i < B * H; ++i) {
        dh0[i] = T(dh[size_t(i)]);
        if (mode == RNN_LSTM) dc0[i] = T(dc[size_t(i)]);
    }
}

#define AXONAL_INSTANTIATE(T)                                                                                  \
    template void rnn_sequence_forward_reference<T>(int, T*, T*, T*, T*, T*, const T*, const T*, const T*,   \
                                                    const T*, const T*, const int64_t*, int64_t, int64_t,       \
                                                    int64_t, bool);                                             \
    template void rnn_sequence_backward_reference<T>(int, T*, T*, T*, T*, T*, const T*, const T*, const T*,  \
                                                     const T*, const T*, const T*, const int64_t*, int64_t,  \
                                                     int64_t, int64_t, bool);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace axonal
