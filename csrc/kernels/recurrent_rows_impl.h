// The fused gate passes (recurrent_rows.h) and the sigmoid / tanh they use, written so that the loops over a
// row vectorise with whatever instruction set the including file is built for: straight-line float code, no
// libm calls, selects done on the bits (a `c ? a : b` on floats followed by more arithmetic is split into
// branches by GCC, and then not vectorised because those branches hold trapping floating-point operations).
//
// Everything here has internal linkage ON PURPOSE: recurrent.cpp (baseline flags) and recurrent_avx2.cpp
// (-mavx2 -mfma) both include it, and shared inline functions compiled with different flags would be an ODR
// violation (the linker could keep the AVX2 copy for the baseline path).
//
// exp: x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2, ln2 split in a 9-bit-exact high part
// (355/512) and the low remainder so n * ln2_hi is exact; e^r - 1 by its Taylor series to r^7 (the first
// left out term, r^8/8! <= 0.347^8/40320, is 5e-9, below float's 6e-8 epsilon); 2^n by building the exponent
// bits. The argument is clamped to [-87, 88] first, where e^x stays a normal float, so sigmoid and tanh
// saturate cleanly instead of meeting inf. NaN passes through.
// sigmoid(x) = 1 / (1 + e^-x); tanh(x) = sign(x) m / (m + 2), m = e^{2|x|} - 1 kept apart as 2^n (e^r - 1) +
// (2^n - 1) so that small |x| keep their relative precision.
// Measured against double on a grid over [-20, 20] (tests/test_rnn_kernels.py): relative error below 2e-7
// for both. The double versions call std::exp / std::tanh (double is for gradient checks, not speed).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/recurrent.h"
#include "kernels/recurrent_rows.h"

namespace axonal {
namespace {  // NOLINT: internal linkage per including file, see above

inline float select_bits(bool c, float a, float b) {
    uint32_t ia, ib;
    std::memcpy(&ia, &a, sizeof ia);
    std::memcpy(&ib, &b, sizeof ib);
    const uint32_t mask = 0u - uint32_t(c);
    const uint32_t r = (ia & mask) | (ib & ~mask);
    float f;
    std::memcpy(&f, &r, sizeof f);
    return f;
}

// e^x = scale * (1 + rq) for x clamped to [-87, 88]: scale = 2^n, rq = e^r - 1 (see the file comment).
inline void exp_parts(float x, float* scale, float* rq) {
    x = select_bits(x < -87.0f, -87.0f, x);
    x = select_bits(x > 88.0f, 88.0f, x);
    // Round to nearest by the 1.5 * 2^23 trick: adding it pushes the fraction bits out of the mantissa.
    const float shifter = 12582912.0f;
    const float n = (x * 1.44269504088896341f + shifter) - shifter;
    float r = x - n * 0.693359375f;
    r = r - n * -2.12194440054690583e-4f;  // ln2 - 355/512
    float q = 1.0f / 5040;                  // (e^r - 1) / r = sum r^k / (k+1)!, k = 0..6
    q = q * r + 1.0f / 720;
    q = q * r + 1.0f / 120;
    q = q * r + 1.0f / 24;
    q = q * r + 1.0f / 6;
    q = q * r + 0.5f;
    q = q * r + 1.0f;
    *rq = r * q;
    const uint32_t bits = uint32_t(int32_t(n) + 127) << 23;
    std::memcpy(scale, &bits, sizeof *scale);
}

inline float sigmoid_fast(float x) {
    float scale, rq;
    exp_parts(-x, &scale, &rq);
    return 1.0f / (1.0f + (scale + scale * rq));
}

// tanh(x) = sign(x) m / (m + 2) with m = e^{2|x|} - 1 >= 0 computed as scale * rq + (scale - 1), which keeps
// its relative precision for small |x| (no 1 - (something near 1) anywhere).
inline float tanh_fast(float x) {
    float scale, rq;
    exp_parts(2.0f * std::fabs(x), &scale, &rq);
    const float m = scale * rq + (scale - 1.0f);
    return std::copysign(m / (m + 2.0f), x);
}

inline double sigmoid_fast(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double tanh_fast(double x) { return std::tanh(x); }

// ---- forward: one row per call ---------------------------------------------------------------------------

template <typename T, bool Save>
void rnn_row(bool relu, T* __restrict g, const T* __restrict bx, const T* __restrict y, T* __restrict h,
             T* __restrict out, T* __restrict sv, int64_t H) {
    if (Save)
        for (int64_t j = 0; j < H; ++j) sv[j] = h[j];
    if (relu) {
        for (int64_t j = 0; j < H; ++j) {
            const T v = g[j] + bx[j] + y[j];
            g[j] = v < T(0) ? T(0) : v;  // NaN passes, as torch's relu
        }
    } else {
        for (int64_t j = 0; j < H; ++j) g[j] = tanh_fast(g[j] + bx[j] + y[j]);
    }
    for (int64_t j = 0; j < H; ++j) h[j] = out[j] = g[j];
}

template <typename T, bool Save>
void lstm_row(T* __restrict g, const T* __restrict bx, const T* __restrict y, T* __restrict h, T* __restrict c,
              T* __restrict out, T* __restrict sv, int64_t H) {
    T* __restrict gi = g;
    T* __restrict gf = g + H;
    T* __restrict gg = g + 2 * H;
    T* __restrict go = g + 3 * H;
    for (int64_t j = 0; j < H; ++j) {
        const T i = sigmoid_fast(gi[j] + bx[j] + y[j]), f = sigmoid_fast(gf[j] + bx[H + j] + y[H + j]);
        const T u = tanh_fast(gg[j] + bx[2 * H + j] + y[2 * H + j]);
        const T o = sigmoid_fast(go[j] + bx[3 * H + j] + y[3 * H + j]);
        const T cp = c[j];
        const T cn = f * cp + i * u;
        const T tc = tanh_fast(cn);
        const T hn = o * tc;
        gi[j] = i, gf[j] = f, gg[j] = u, go[j] = o;
        if (Save) sv[j] = h[j], sv[H + j] = cp, sv[2 * H + j] = tc;
        c[j] = cn;
        h[j] = hn;
        out[j] = hn;
    }
}

template <typename T, bool Save>
void gru_row(T* __restrict g, const T* __restrict bx, const T* __restrict y, const T* __restrict b_hh,
             T* __restrict h, T* __restrict out, T* __restrict sv, int64_t H) {
    T* __restrict gr = g;
    T* __restrict gz = g + H;
    T* __restrict gn = g + 2 * H;
    for (int64_t j = 0; j < H; ++j) {
        const T hr = y[j] + b_hh[j], hz = y[H + j] + b_hh[H + j], hn = y[2 * H + j] + b_hh[2 * H + j];
        const T r = sigmoid_fast(gr[j] + bx[j] + hr), z = sigmoid_fast(gz[j] + bx[H + j] + hz);
        const T n = tanh_fast(gn[j] + bx[2 * H + j] + r * hn);
        const T hp = h[j];
        const T hnew = (T(1) - z) * n + z * hp;
        gr[j] = r, gz[j] = z, gn[j] = n;
        if (Save) sv[j] = hp, sv[H + j] = hn;
        h[j] = hnew;
        out[j] = hnew;
    }
}

template <typename T, bool Save>
void forward_rows_impl(const RnnStepForward<T>& s, int64_t lo, int64_t hi) {
    const int64_t H = s.H, GH = rnn_gate_count(s.mode) * H, S = rnn_saved_width(s.mode) * H;
    for (int64_t r = lo; r < hi; ++r) {
        T* g = s.gates + r * GH;
        T* sv = Save ? s.saved + r * S : nullptr;
        const T* y = s.y + r * GH;
        if (s.mode == RNN_LSTM)
            lstm_row<T, Save>(g, s.b_x, y, s.h + r * H, s.c + r * H, s.out + r * H, sv, H);
        else if (s.mode == RNN_GRU)
            gru_row<T, Save>(g, s.b_x, y, s.b_hh, s.h + r * H, s.out + r * H, sv, H);
        else
            rnn_row<T, Save>(s.mode == RNN_RELU, g, s.b_x, y, s.h + r * H, s.out + r * H, sv, H);
    }
}

template <typename T>
void forward_rows(const RnnStepForward<T>& s, int64_t lo, int64_t hi) {
    if (s.saved)
        forward_rows_impl<T, true>(s, lo, hi);
    else
        forward_rows_impl<T, false>(s, lo, hi);
}

// ---- backward: one row per call --------------------------------------------------------------------------
// dh: the sequence's running d h (in: from later steps and h_n; out: what the step's direct paths leave, before
// the caller's GEMM adds dhh @ W_hh), dcell: the LSTM's running d c, go: the row of grad_out or null.

template <typename T, bool Grad>
void rnn_row_backward(bool relu, const T* __restrict g, const T* __restrict go, const T* __restrict dh,
                      T* __restrict dg, int64_t H) {
    for (int64_t j = 0; j < H; ++j) {
        const T d = Grad ? dh[j] + go[j] : dh[j];
        const T hv = g[j];
        dg[j] = relu ? (hv > T(0) ? d : T(0)) : d * (T(1) - hv * hv);
    }
}

template <typename T, bool Grad>
void lstm_row_backward(const T* __restrict g, const T* __restrict sv, const T* __restrict go, const T* __restrict dh,
                       T* __restrict dcell, T* __restrict dg, int64_t H) {
    const T* __restrict gi = g;
    const T* __restrict gf = g + H;
    const T* __restrict gg = g + 2 * H;
    const T* __restrict gov = g + 3 * H;
    for (int64_t j = 0; j < H; ++j) {
        const T d = Grad ? dh[j] + go[j] : dh[j];
        const T i = gi[j], f = gf[j], u = gg[j], o = gov[j];
        const T cp = sv[H + j], tc = sv[2 * H + j];
        const T dc = dcell[j] + d * o * (T(1) - tc * tc);
        dg[j] = dc * u * i * (T(1) - i);
        dg[H + j] = dc * cp * f * (T(1) - f);
        dg[2 * H + j] = dc * i * (T(1) - u * u);
        dg[3 * H + j] = d * tc * o * (T(1) - o);
        dcell[j] = dc * f;
    }
}

template <typename T, bool Grad>
void gru_row_backward(const T* __restrict g, const T* __restrict sv, const T* __restrict go, T* __restrict dh,
                      T* __restrict dg, T* __restrict dy, int64_t H) {
    for (int64_t j = 0; j < H; ++j) {
        const T d = Grad ? dh[j] + go[j] : dh[j];
        const T r = g[j], z = g[H + j], n = g[2 * H + j];
        const T hp = sv[j], hn = sv[H + j];
        const T dn = d * (T(1) - z) * (T(1) - n * n);
        const T dz = d * (hp - n) * z * (T(1) - z);
        const T dr = dn * hn * r * (T(1) - r);
        dg[j] = dr, dg[H + j] = dz, dg[2 * H + j] = dn;
        dy[j] = dr, dy[H + j] = dz, dy[2 * H + j] = dn * r;
        dh[j] = d * z;  // the direct path h -> h'
    }
}

template <typename T, bool Grad>
void backward_rows_impl(const RnnStepBackward<T>& s, int64_t lo, int64_t hi) {
    const int64_t H = s.H, GH = rnn_gate_count(s.mode) * H, S = rnn_saved_width(s.mode) * H;
    for (int64_t r = lo; r < hi; ++r) {
        const T* g = s.gates + r * GH;
        const T* go = Grad ? s.grad_out + r * H : nullptr;
        if (s.mode == RNN_LSTM)
            lstm_row_backward<T, Grad>(g, s.saved + r * S, go, s.dh + r * H, s.dcell + r * H, s.dgates + r * GH, H);
        else if (s.mode == RNN_GRU)
            gru_row_backward<T, Grad>(g, s.saved + r * S, go, s.dh + r * H, s.dgates + r * GH, s.dy + r * GH, H);
        else
            rnn_row_backward<T, Grad>(s.mode == RNN_RELU, g, go, s.dh + r * H, s.dgates + r * GH, H);
    }
}

template <typename T>
void backward_rows(const RnnStepBackward<T>& s, int64_t lo, int64_t hi) {
    if (s.grad_out)
        backward_rows_impl<T, true>(s, lo, hi);
    else
        backward_rows_impl<T, false>(s, lo, hi);
}

}  // namespace
}  // namespace axonal
