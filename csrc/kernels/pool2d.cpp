// Pooling kernels; shapes and semantics are documented in pool2d.h.
// The fast versions run one (n, c) plane per work item (planes are independent, so the accumulating
// backward kernels need no atomics) and clip each window to the real input once instead of testing
// every cell. 2x2 / stride 2 / no padding, the pooling in most small CNNs, has its own loops with no
// clipping and a branch-free body over the output columns so the compiler can vectorise it.
// The reference versions visit windows in the same order, so fast and reference agree bit for bit.
#include "kernels/pool2d.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/parallel.h"

namespace axonal {
namespace {

// Rough per-plane cost for parallel_for: reading the plane plus visiting every window.
int64_t plane_cost(int64_t H, int64_t W, int64_t P, int64_t Q) { return H * W + P * Q; }

bool is_2x2_s2_p0(int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    return kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0;
}

// Number of window cells [start, start + k) that lie inside [lo, hi).
inline int64_t overlap(int64_t start, int64_t k, int64_t lo, int64_t hi) {
    return std::min(start + k, hi) - std::max(start, lo);
}

template <typename T>
T avg_divisor(int64_t hs, int64_t ws, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t ph, int64_t pw,
              bool count_include_pad) {
    if (count_include_pad) return T(overlap(hs, kh, -ph, H + ph)) * T(overlap(ws, kw, -pw, W + pw));
    return T(overlap(hs, kh, 0, H)) * T(overlap(ws, kw, 0, W));
}

// ---- max pooling, one plane ----

template <typename T>
void max_plane_2x2(T* out, int32_t* am, const T* in, int64_t W, int64_t P, int64_t Q) {
    const int32_t W32 = int32_t(W);
    for (int64_t p = 0; p < P; ++p) {
        const T* r0 = in + 2 * p * W;
        const T* r1 = r0 + W;
        T* o = out + p * Q;
        int32_t* a = am + p * Q;
        const int32_t base = int32_t(2 * p * W);
        for (int64_t q = 0; q < Q; ++q) {
            // Same visiting order and update rule as torch: (v > m || isnan(v)) replaces the maximum.
            const int32_t i0 = base + int32_t(2 * q);
            T m = r0[2 * q];
            int32_t k = i0;
            T v = r0[2 * q + 1];
            bool t = (v > m) | (v != v);
            m = t ? v : m;
            k = t ? i0 + 1 : k;
            v = r1[2 * q];
            t = (v > m) | (v != v);
            m = t ? v : m;
            k = t ? i0 + W32 : k;
            v = r1[2 * q + 1];
            t = (v > m) | (v != v);
            m = t ? v : m;
            k = t ? i0 + W32 + 1 : k;
            o[q] = m;
            a[q] = k;
        }
    }
}

template <typename T>
void max_plane_general(T* out, int32_t* am, const T* in, int64_t H, int64_t W, int64_t P, int64_t Q, int64_t kh,
                       int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    for (int64_t p = 0; p < P; ++p) {
        const int64_t hs = p * sh - ph;
        const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + kh, H);
        for (int64_t q = 0; q < Q; ++q) {
            const int64_t ws = q * sw - pw;
            const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + kw, W);
            T m = -std::numeric_limits<T>::infinity();
            int64_t k = h0 * W + w0;
            for (int64_t h = h0; h < h1; ++h) {
                const T* row = in + h * W;
                for (int64_t w = w0; w < w1; ++w) {
                    const T v = row[w];
                    if (v > m || std::isnan(v)) {
                        m = v;
                        k = h * W + w;
                    }
                }
            }
            out[p * Q + q] = m;
            am[p * Q + q] = int32_t(k);
        }
    }
}

// ---- average pooling, one plane ----

template <typename T>
void avg_fwd_plane_2x2(T* out, const T* in, int64_t W, int64_t P, int64_t Q) {
    for (int64_t p = 0; p < P; ++p) {
        const T* r0 = in + 2 * p * W;
        const T* r1 = r0 + W;
        T* o = out + p * Q;
        for (int64_t q = 0; q < Q; ++q) o[q] = (((r0[2 * q] + r0[2 * q + 1]) + r1[2 * q]) + r1[2 * q + 1]) / T(4);
    }
}

template <typename T>
void avg_fwd_plane_general(T* out, const T* in, int64_t H, int64_t W, int64_t P, int64_t Q, int64_t kh, int64_t kw,
                           int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip) {
    for (int64_t p = 0; p < P; ++p) {
        const int64_t hs = p * sh - ph;
        const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + kh, H);
        for (int64_t q = 0; q < Q; ++q) {
            const int64_t ws = q * sw - pw;
            const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + kw, W);
            T s = T(0);
            for (int64_t h = h0; h < h1; ++h)
                for (int64_t w = w0; w < w1; ++w) s += in[h * W + w];
            out[p * Q + q] = s / avg_divisor<T>(hs, ws, H, W, kh, kw, ph, pw, cip);
        }
    }
}

template <typename T>
void avg_bwd_plane_2x2(T* din, const T* dout, int64_t W, int64_t P, int64_t Q) {
    for (int64_t p = 0; p < P; ++p) {
        T* r0 = din + 2 * p * W;
        T* r1 = r0 + W;
        const T* g = dout + p * Q;
        for (int64_t q = 0; q < Q; ++q) {
            const T v = g[q] / T(4);
            r0[2 * q] += v;
            r0[2 * q + 1] += v;
            r1[2 * q] += v;
            r1[2 * q + 1] += v;
        }
    }
}

template <typename T>
void avg_bwd_plane_general(T* din, const T* dout, int64_t H, int64_t W, int64_t P, int64_t Q, int64_t kh, int64_t kw,
                           int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip) {
    for (int64_t p = 0; p < P; ++p) {
        const int64_t hs = p * sh - ph;
        const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + kh, H);
        for (int64_t q = 0; q < Q; ++q) {
            const int64_t ws = q * sw - pw;
            const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + kw, W);
            const T v = dout[p * Q + q] / avg_divisor<T>(hs, ws, H, W, kh, kw, ph, pw, cip);
            for (int64_t h = h0; h < h1; ++h)
                for (int64_t w = w0; w < w1; ++w) din[h * W + w] += v;
        }
    }
}

}  // namespace

// ---------------------------------------------------------------- fast

template <typename T>
void max_pool2d_forward(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W,
                        int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    const bool fast = is_2x2_s2_p0(kh, kw, sh, sw, ph, pw);
    parallel_for(N * C, plane_cost(H, W, P, Q), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            const T* in = inp + i * H * W;
            T* o = out + i * P * Q;
            int32_t* a = argmax + i * P * Q;
            if (fast)
                max_plane_2x2(o, a, in, W, P, Q);
            else
                max_plane_general(o, a, in, H, W, P, Q, kh, kw, sh, sw, ph, pw);
        }
    });
}

template <typename T>
void max_pool2d_backward(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H, int64_t W,
                         int64_t P, int64_t Q, bool overwrite) {
    parallel_for(N * C, plane_cost(H, W, P, Q), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T* din = dinp + i * H * W;
            const T* g = dout + i * P * Q;
            const int32_t* a = argmax + i * P * Q;
            if (overwrite) std::fill(din, din + H * W, T(0));
            for (int64_t j = 0; j < P * Q; ++j) din[a[j]] += g[j];
        }
    });
}

template <typename T>
void avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    const bool fast = is_2x2_s2_p0(kh, kw, sh, sw, ph, pw);
    parallel_for(N * C, plane_cost(H, W, P, Q), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            const T* in = inp + i * H * W;
            T* o = out + i * P * Q;
            if (fast)
                avg_fwd_plane_2x2(o, in, W, P, Q);
            else
                avg_fwd_plane_general(o, in, H, W, P, Q, kh, kw, sh, sw, ph, pw, cip);
        }
    });
}

template <typename T>
void avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip, bool overwrite) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    const bool fast = is_2x2_s2_p0(kh, kw, sh, sw, ph, pw);
    parallel_for(N * C, plane_cost(H, W, P, Q), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T* din = dinp + i * H * W;
            const T* g = dout + i * P * Q;
            if (overwrite) std::fill(din, din + H * W, T(0));
            if (fast)
                avg_bwd_plane_2x2(din, g, W, P, Q);
            else
                avg_bwd_plane_general(din, g, H, W, P, Q, kh, kw, sh, sw, ph, pw, cip);
        }
    });
}

// ---------------------------------------------------------------- reference (naive, serial)

template <typename T>
void max_pool2d_forward_reference(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H,
                                  int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t q = 0; q < Q; ++q) {
                T m = -std::numeric_limits<T>::infinity();
                int64_t k = -1;
                // Window offsets are clipped to the real input only so that a huge padded kernel
                // cannot make this loop run for ever; padded cells would be skipped anyway.
                const int64_t hs = p * sh - ph, ws = q * sw - pw;
                for (int64_t i = std::max<int64_t>(0, -hs); i < kh && hs + i < H; ++i)
                    for (int64_t j = std::max<int64_t>(0, -ws); j < kw && ws + j < W; ++j) {
                        const int64_t h = hs + i, w = ws + j;
                        const T v = inp[(nc * H + h) * W + w];
                        if (k < 0 || v > m || std::isnan(v)) {
                            m = v;
                            k = h * W + w;
                        }
                    }
                out[(nc * P + p) * Q + q] = m;
                argmax[(nc * P + p) * Q + q] = int32_t(k);
            }
}

template <typename T>
void max_pool2d_backward_reference(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H,
                                   int64_t W, int64_t P, int64_t Q) {
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t j = 0; j < P * Q; ++j) dinp[nc * H * W + argmax[nc * P * Q + j]] += dout[nc * P * Q + j];
}

template <typename T>
void avg_pool2d_forward_reference(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                                  int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t q = 0; q < Q; ++q) {
                const int64_t hs = p * sh - ph, ws = q * sw - pw;
                T s = T(0);
                for (int64_t i = std::max<int64_t>(0, -hs); i < kh && hs + i < H; ++i)
                    for (int64_t j = std::max<int64_t>(0, -ws); j < kw && ws + j < W; ++j)
                        s += inp[(nc * H + hs + i) * W + ws + j];
                out[(nc * P + p) * Q + q] = s / avg_divisor<T>(hs, ws, H, W, kh, kw, ph, pw, cip);
            }
}

template <typename T>
void avg_pool2d_backward_reference(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                                   int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip) {
    const int64_t P = pool2d_out_size(H, kh, sh, ph), Q = pool2d_out_size(W, kw, sw, pw);
    for (int64_t nc = 0; nc < N * C; ++nc)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t q = 0; q < Q; ++q) {
                const int64_t hs = p * sh - ph, ws = q * sw - pw;
                const T v = dout[(nc * P + p) * Q + q] / avg_divisor<T>(hs, ws, H, W, kh, kw, ph, pw, cip);
                for (int64_t i = std::max<int64_t>(0, -hs); i < kh && hs + i < H; ++i)
                    for (int64_t j = std::max<int64_t>(0, -ws); j < kw && ws + j < W; ++j)
                        dinp[(nc * H + hs + i) * W + ws + j] += v;
            }
}

#define AXONAL_POOL2D_INSTANTIATE(T)                                                                                  \
    template void max_pool2d_forward<T>(T*, int32_t*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,         \
                                        int64_t, int64_t, int64_t, int64_t, int64_t);                                 \
    template void max_pool2d_forward_reference<T>(T*, int32_t*, const T*, int64_t, int64_t, int64_t, int64_t,        \
                                                  int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);              \
    template void max_pool2d_backward<T>(T*, const T*, const int32_t*, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                         int64_t, bool);                                                              \
    template void max_pool2d_backward_reference<T>(T*, const T*, const int32_t*, int64_t, int64_t, int64_t,         \
                                                   int64_t, int64_t, int64_t);                                        \
    template void avg_pool2d_forward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                        int64_t, int64_t, int64_t, bool);                                             \
    template void avg_pool2d_forward_reference<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,        \
                                                  int64_t, int64_t, int64_t, int64_t, int64_t, bool);                 \
    template void avg_pool2d_backward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,        \
                                         int64_t, int64_t, int64_t, int64_t, bool, bool);                                   \
    template void avg_pool2d_backward_reference<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                   int64_t, int64_t, int64_t, int64_t, int64_t, bool);

AXONAL_POOL2D_INSTANTIATE(float)
AXONAL_POOL2D_INSTANTIATE(double)
#undef AXONAL_POOL2D_INSTANTIATE

}  // namespace axonal
