// The depthwise conv2d loops (conv2d_depthwise.h), written once and compiled per instruction set: included by
// conv2d_depthwise.cpp (baseline), conv2d_depthwise_avx2.cpp and conv2d_depthwise_avx512.cpp, each defining
// AX_DW_NS (the namespace its entry points live in) first. The loops are plain C++ that the compiler
// vectorises with the flags of the including file: contiguous output rows, a broadcast weight per tap.
//
// Each (image, channel) plane is copied into a zero-padded buffer (in L1/L2), so every loop reads without
// bounds tests; 3x3 undilated layers get the nine taps unrolled with constant offsets. Planes are
// independent, so forward and input gradient split them across threads; the weight gradient splits
// channels (each sums its own filters over every image in a fixed order, so results do not depend on the
// thread count).
#ifndef AX_DW_NS
#error "define AX_DW_NS before including conv2d_depthwise_impl.h"
#endif
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

#include "kernels/conv2d.h"
#include "kernels/parallel.h"

namespace axonal {
namespace AX_DW_NS {
namespace {

// A per-thread buffer of at least n elements, reused across calls: slot 0 a padded plane, 1-3 sums and copies.
template <typename T, int slot = 0>
T* thread_buffer(int64_t n) {
    struct Buf {
        T* p = nullptr;
        size_t cap = 0;
        ~Buf() { std::free(p); }
    };
    thread_local Buf b;
    if (b.cap < size_t(n)) {
        std::free(b.p);
        b.p = static_cast<T*>(std::malloc(sizeof(T) * size_t(n)));
        b.cap = b.p ? size_t(n) : 0;
        if (!b.p) throw std::bad_alloc();
    }
    return b.p;
}

struct Depthwise {
    int64_t N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, P, Q, mult, Hp, Wp;
};

Depthwise depthwise_geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh,
                         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
    Depthwise d{N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, 0, 0, K / C, 0, 0};
    d.P = conv2d_output_size(H, R, sh, ph, dh);
    d.Q = conv2d_output_size(W, S, sw, pw, dw);
    // Rows and columns the taps can reach: at most the padded plane.
    d.Hp = std::max(H + 2 * ph, (d.P - 1) * sh + (R - 1) * dh + 1);
    d.Wp = std::max(W + 2 * pw, (d.Q - 1) * sw + (S - 1) * dw + 1);
    return d;
}

// pad (Hp x Wp) <- plane (H x W) at offset (ph, pw), zeros around it.
template <typename T>
void pad_plane(const Depthwise& d, const T* plane, T* pad) {
    std::fill(pad, pad + d.ph * d.Wp, T(0));
    for (int64_t h = 0; h < d.H; ++h) {
        T* row = pad + (h + d.ph) * d.Wp;
        std::fill(row, row + d.pw, T(0));
        std::memcpy(row + d.pw, plane + h * d.W, sizeof(T) * size_t(d.W));
        std::fill(row + d.pw + d.W, row + d.Wp, T(0));
    }
    std::fill(pad + (d.H + d.ph) * d.Wp, pad + d.Hp * d.Wp, T(0));
}

template <typename T>
inline T relu1(T v) {
    return (v > T(0) || v != v) ? v : T(0);  // as relu_forward: NaN passes, -0.0 becomes +0.0
}

// Output row p of filter wk (R x S) over the padded plane: o[q] = bias + sum_{r,s} wk[r,s] * pad[p*sh + r*dh,
// q*sw + s*dw]. 3x3, undilated, stride 1 or 2: the nine taps in one pass with constant offsets.
template <typename T, int SW>
void depthwise_row_3x3(const Depthwise& d, const T* pad, const T* wk, T bias, int64_t p, T* o) {
    const T* r0 = pad + (p * d.sh) * d.Wp;
    const T* r1 = r0 + d.Wp;
    const T* r2 = r1 + d.Wp;
    const T w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4], w5 = wk[5], w6 = wk[6], w7 = wk[7], w8 = wk[8];
    for (int64_t q = 0; q < d.Q; ++q) {
        const int64_t x = q * SW;
        o[q] = bias + w0 * r0[x] + w1 * r0[x + 1] + w2 * r0[x + 2] + w3 * r1[x] + w4 * r1[x + 1] + w5 * r1[x + 2] +
               w6 * r2[x] + w7 * r2[x + 1] + w8 * r2[x + 2];
    }
}

template <typename T>
void depthwise_row_any(const Depthwise& d, const T* pad, const T* wk, T bias, int64_t p, T* o) {
    std::fill(o, o + d.Q, bias);
    for (int64_t r = 0; r < d.R; ++r) {
        const T* row = pad + (p * d.sh + r * d.dh) * d.Wp;
        for (int64_t s = 0; s < d.S; ++s) {
            const T w = wk[r * d.S + s];
            const T* x = row + s * d.dw;
            if (d.sw == 1)
                for (int64_t q = 0; q < d.Q; ++q) o[q] += w * x[q];
            else
                for (int64_t q = 0; q < d.Q; ++q) o[q] += w * x[q * d.sw];
        }
    }
}

template <typename T>
void depthwise_forward(const Depthwise& d, T* out, const T* inp, const T* weight, const T* bias, bool relu) {
    const bool k3 = d.R == 3 && d.S == 3 && d.dh == 1 && d.dw == 1 && (d.sw == 1 || d.sw == 2);
    const int64_t PQ = d.P * d.Q, RS = d.R * d.S;
    parallel_for(d.N * d.C, d.H * d.W + d.mult * PQ * RS, [&](int64_t b, int64_t e) {
        T* pad = thread_buffer<T>(d.Hp * d.Wp);
        for (int64_t nc = b; nc < e; ++nc) {
            const int64_t n = nc / d.C, c = nc % d.C;
            pad_plane(d, inp + nc * d.H * d.W, pad);
            for (int64_t m = 0; m < d.mult; ++m) {
                const int64_t k = c * d.mult + m;
                const T* wk = weight + k * RS;
                const T bk = bias ? bias[k] : T(0);
                T* o = out + (n * d.K + k) * PQ;
                for (int64_t p = 0; p < d.P; ++p) {
                    T* orow = o + p * d.Q;
                    if (k3 && d.sw == 1)
                        depthwise_row_3x3<T, 1>(d, pad, wk, bk, p, orow);
                    else if (k3)
                        depthwise_row_3x3<T, 2>(d, pad, wk, bk, p, orow);
                    else
                        depthwise_row_any(d, pad, wk, bk, p, orow);
                    if (relu)
                        for (int64_t q = 0; q < d.Q; ++q) orow[q] = relu1(orow[q]);
                }
            }
        }
    });
}

// Stride 1: the input gradient is itself a depthwise correlation, of dout with the flipped filter:
//   dinp[h, w] += sum_{r,s} wk[r, s] * dout[h + ph - r*dh, w + pw - s*dw]   (dout zero outside P x Q)
// read from dout copied into a zero-padded buffer (rows and columns shifted by TOP = (R-1)*dh and
// LEFT = (S-1)*dw, so every index is in range), one output row at a time; 3x3 undilated unrolled. A
// scatter (each dout value sent to its R*S taps) was 3x slower than the forward pass.
struct FlippedPad {
    int64_t top, left, rows, cols;
};

inline FlippedPad flipped_pad(const Depthwise& d) {
    FlippedPad f;
    f.top = (d.R - 1) * d.dh;
    f.left = (d.S - 1) * d.dw;
    f.rows = std::max(d.P, d.H + d.ph) + f.top + 1;
    f.cols = std::max(d.Q, d.W + d.pw) + f.left + 1;
    return f;
}

template <typename T>
void pad_dout(const Depthwise& d, const FlippedPad& f, const T* go, T* buf) {
    std::fill(buf, buf + f.rows * f.cols, T(0));
    for (int64_t p = 0; p < d.P; ++p) std::memcpy(buf + (p + f.top) * f.cols + f.left, go + p * d.Q, sizeof(T) * size_t(d.Q));
}

template <typename T>
void depthwise_input_row(const Depthwise& d, const FlippedPad& f, const T* buf, const T* wk, int64_t h, T* dst) {
    const int64_t y0 = h + d.ph + f.top, x0 = d.pw + f.left;  // the (r, s) = (0, 0) term's position
    if (d.R == 3 && d.S == 3 && d.dh == 1 && d.dw == 1) {
        const T* r0 = buf + y0 * f.cols + x0;
        const T* r1 = r0 - f.cols;
        const T* r2 = r1 - f.cols;
        const T w0 = wk[0], w1 = wk[1], w2 = wk[2], w3 = wk[3], w4 = wk[4], w5 = wk[5], w6 = wk[6], w7 = wk[7], w8 = wk[8];
        for (int64_t w = 0; w < d.W; ++w)
            dst[w] += w0 * r0[w] + w1 * r0[w - 1] + w2 * r0[w - 2] + w3 * r1[w] + w4 * r1[w - 1] + w5 * r1[w - 2] +
                      w6 * r2[w] + w7 * r2[w - 1] + w8 * r2[w - 2];
        return;
    }
    for (int64_t r = 0; r < d.R; ++r) {
        const T* row = buf + (y0 - r * d.dh) * f.cols + x0;
        for (int64_t s = 0; s < d.S; ++s) {
            const T wv = wk[r * d.S + s];
            const T* x = row - s * d.dw;
            for (int64_t w = 0; w < d.W; ++w) dst[w] += wv * x[w];
        }
    }
}

// Other strides, also a gather: input row h receives from output row p = (h + ph - r*dh) / sh of every filter
// row r for which that divides exactly. Along the row, tap s sends dout[p, q] to column
// w = q*sw + s*dw - pw, so the columns of one phase (w mod sw) receive a contiguous run of dout: each tap is
// a vectorisable axpy into the buffer of its phase (index w / sw, offset by a margin for the negative ones),
// and the phase buffers are interleaved into the dinp row at the end. A scatter with strided stores into a
// padded plane ran 3x slower than the forward pass.
struct PhaseRows {
    int64_t margin, len;  // buffer index j + margin for column j * sw + phase
};

inline PhaseRows phase_rows(const Depthwise& d) {
    PhaseRows f;
    f.margin = (d.pw + d.sw - 1) / d.sw + 1;
    f.len = std::max(d.Q + ((d.S - 1) * d.dw) / d.sw + 1, d.W / d.sw + 1) + 2 * f.margin;
    return f;
}

// Floor division and its remainder for a possibly negative numerator (positive divisor).
inline int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

template <typename T>
void depthwise_input_row_strided(const Depthwise& d, const PhaseRows& f, const T* go, const T* wk, int64_t h, T* buf,
                                 T* dst) {
    std::fill(buf, buf + d.sw * f.len, T(0));
    for (int64_t r = 0; r < d.R; ++r) {
        const int64_t num = h + d.ph - r * d.dh;
        if (num < 0 || num % d.sh != 0 || num / d.sh >= d.P) continue;
        const T* g = go + (num / d.sh) * d.Q;
        for (int64_t s = 0; s < d.S; ++s) {
            const int64_t e = s * d.dw - d.pw, t = floor_div(e, d.sw), phase = e - t * d.sw;
            T* b = buf + phase * f.len + f.margin + t;
            const T w = wk[r * d.S + s];
            for (int64_t q = 0; q < d.Q; ++q) b[q] += w * g[q];
        }
    }
    if (d.sw == 2) {
        const T* b0 = buf + f.margin;
        const T* b1 = buf + f.len + f.margin;
        int64_t j = 0;
        for (; 2 * j + 1 < d.W; ++j) {
            dst[2 * j] += b0[j];
            dst[2 * j + 1] += b1[j];
        }
        if (2 * j < d.W) dst[2 * j] += b0[j];
        return;
    }
    for (int64_t w = 0; w < d.W; ++w) dst[w] += buf[(w % d.sw) * f.len + f.margin + w / d.sw];
}

template <typename T>
void depthwise_backward_input(const Depthwise& d, T* dinp, const T* dout, const T* weight) {
    const int64_t PQ = d.P * d.Q, RS = d.R * d.S;
    const bool unit = d.sh == 1 && d.sw == 1;
    const FlippedPad f = flipped_pad(d);
    const PhaseRows pr = phase_rows(d);
    parallel_for(d.N * d.C, d.H * d.W + d.mult * PQ * RS, [&](int64_t b, int64_t e) {
        T* buf = thread_buffer<T>(unit ? f.rows * f.cols : d.sw * pr.len);
        for (int64_t nc = b; nc < e; ++nc) {
            const int64_t n = nc / d.C, c = nc % d.C;
            T* gi = dinp + nc * d.H * d.W;
            for (int64_t m = 0; m < d.mult; ++m) {
                const int64_t k = c * d.mult + m;
                const T* go = dout + (n * d.K + k) * PQ;
                if (unit) {
                    pad_dout(d, f, go, buf);
                    for (int64_t h = 0; h < d.H; ++h) depthwise_input_row(d, f, buf, weight + k * RS, h, gi + h * d.W);
                } else {
                    for (int64_t h = 0; h < d.H; ++h)
                        depthwise_input_row_strided(d, pr, go, weight + k * RS, h, buf, gi + h * d.W);
                }
            }
        }
    });
}

// sum of x[0:n) with 16 partial sums (vectorisable), in double.
template <typename T>
double sum_row(const T* x, int64_t n) {
    T part[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) part[j] += x[i + j];
    double s = 0.0;
    for (int j = 0; j < 16; ++j) s += double(part[j]);
    for (; i < n; ++i) s += double(x[i]);
    return s;
}

#ifndef AX_DW_VBYTES
#define AX_DW_VBYTES 16  // bytes per vector of the 3x3 weight sums (the including file sets its width)
#endif

// A vector of AX_DW_VBYTES bytes (GCC / Clang vector extension: the including file's flags pick the
// instructions), loaded and stored unaligned.
template <typename T>
struct DwVec {
    typedef T V __attribute__((vector_size(AX_DW_VBYTES)));
    typedef typename std::conditional<sizeof(T) == 4, int32_t, int64_t>::type I;
    typedef I M __attribute__((vector_size(AX_DW_VBYTES)));  // lane masks for selects
    static constexpr int L = AX_DW_VBYTES / int(sizeof(T));
    static inline V load(const T* p) {
        V v;
        __builtin_memcpy(&v, p, sizeof(V));
        return v;
    }
    static inline double hsum(V v) {
        double s = 0.0;
        for (int l = 0; l < L; ++l) s += double(v[l]);
        return s;
    }
};

// sums[rs] += sum_{p,q} dout[p, q] * pad[p*sh + r, q*SW + s] for a 3x3 undilated filter (stride SW = 1 or 2
// along the row). The nine sums are vectors of L output columns held in registers across all P rows, one
// horizontal sum per plane; a stride-2 plane is first split into its even and odd columns so that every tap
// reads contiguous memory (s = 0, 1, 2 read even[q], odd[q], even[q + 1]). The last columns, fewer than L,
// take one more block with the lanes past Q zeroed in both factors (dout is copied with rows padded to L). (Written with GCC's auto-vectoriser,
// a register block of T acc[9][L] came out as a tangle of 128-bit shuffles: 7 ms where the forward pass
// takes 1.5.)
template <typename T, int SW>
void weight_sums_3x3(const Depthwise& d, const T* pad, const T* go, T* split, T* gbuf, double* sums) {
    using Vt = DwVec<T>;
    using V = typename Vt::V;
    constexpr int L = Vt::L;
    const int64_t rows = d.Hp;
    int64_t ld = d.Wp;  // row stride of the planes the taps read
    const T* planes[3] = {pad, pad + 1, pad + 2};  // tap s reads planes[s] at column q
    if (SW == 2) {
        // even[y][j] = pad[y][2j], odd[y][j] = pad[y][2j + 1], each row padded with zeros to ld.
        ld = (d.Wp + 1) / 2 + L + 1;
        T* even = split;
        T* odd = split + rows * ld;
        for (int64_t y = 0; y < rows; ++y) {
            const T* src = pad + y * d.Wp;
            T* e = even + y * ld;
            T* o = odd + y * ld;
            int64_t j = 0;
            for (; 2 * j + 1 < d.Wp; ++j) {
                e[j] = src[2 * j];
                o[j] = src[2 * j + 1];
            }
            for (int64_t jj = j; jj < ld; ++jj) e[jj] = T(0), o[jj] = T(0);
            if (2 * j < d.Wp) e[j] = src[2 * j];
        }
        planes[0] = even;
        planes[1] = odd;
        planes[2] = even + 1;
    }
    // dout rows copied with a stride rounded up to L, zeros past Q: every block loads whole vectors.
    const int64_t qv = (d.Q + L - 1) / L * L;
    for (int64_t p = 0; p < d.P; ++p) {
        std::memcpy(gbuf + p * qv, go + p * d.Q, sizeof(T) * size_t(d.Q));
        std::fill(gbuf + p * qv + d.Q, gbuf + (p + 1) * qv, T(0));
    }
    V acc[9];
    for (int64_t q0 = 0; q0 < d.Q; q0 += L) {
        const int64_t lanes = std::min<int64_t>(L, d.Q - q0);
        typename Vt::M keep;  // -1 on the lanes that are real output columns
        for (int l = 0; l < L; ++l) keep[l] = l < lanes ? -1 : 0;
        for (int t = 0; t < 9; ++t) acc[t] = V{};
        for (int64_t p = 0; p < d.P; ++p) {
            const V g = Vt::load(gbuf + p * qv + q0);
            for (int r = 0; r < 3; ++r) {
                const int64_t y = (p * d.sh + r) * ld + q0;
#pragma GCC unroll 3
                for (int s = 0; s < 3; ++s) {
                    V x = Vt::load(planes[s] + y);
                    // Lanes past Q: 0 * 0 (a select: 0 * an infinite value of the row would be NaN).
                    if (lanes < L) x = keep != 0 ? x : V{};
                    acc[r * 3 + s] += g * x;
                }
            }
        }
        for (int t = 0; t < 9; ++t) sums[t] += Vt::hsum(acc[t]);
    }
}

template <typename T>
void weight_sums_any(const Depthwise& d, const T* pad, const T* go, T* part) {
    for (int64_t p = 0; p < d.P; ++p) {
        const T* g = go + p * d.Q;
        for (int64_t r = 0; r < d.R; ++r) {
            const T* row = pad + (p * d.sh + r * d.dh) * d.Wp;
            for (int64_t s = 0; s < d.S; ++s) {
                const T* x = row + s * d.dw;
                T* pr = part + (r * d.S + s) * d.Q;
                if (d.sw == 1)
                    for (int64_t q = 0; q < d.Q; ++q) pr[q] += g[q] * x[q];
                else if (d.sw == 2)
                    for (int64_t q = 0; q < d.Q; ++q) pr[q] += g[q] * x[2 * q];
                else
                    for (int64_t q = 0; q < d.Q; ++q) pr[q] += g[q] * x[q * d.sw];
            }
        }
    }
}

// dweight[k] += sum over images and output positions of dout * the tap each weight met; dbias[k] += sum of
// dout. Per image and filter, each tap (r, s) keeps a row of Q partial sums, acc[rs][q] += dout[p, q] *
// pad[p*sh + r*dh, q*sw + s*dw] over the output rows p: a vectorisable loop with no horizontal sum per row
// (a dot product per row and tap was 4x slower than the forward pass on 28-wide rows). Each image's partial
// sums are then added in double.
template <typename T>
void depthwise_backward_weight(const Depthwise& d, T* dweight, T* dbias, const T* dout, const T* inp) {
    const int64_t PQ = d.P * d.Q, RS = d.R * d.S;
    const bool k3 = d.R == 3 && d.S == 3 && d.dh == 1 && d.dw == 1 && (d.sw == 1 || d.sw == 2);
    parallel_for(d.C, d.N * (d.H * d.W + d.mult * PQ * RS), [&](int64_t cb, int64_t ce) {
        // Slack past the plane: the 3x3 sums' last block loads whole vectors (the lanes past Q are discarded).
        T* pad = thread_buffer<T>(d.Hp * d.Wp + 2 * DwVec<T>::L + 4);
        // Row sums (generic filters), or the even / odd split of a stride-2 plane (3x3).
        T* part = thread_buffer<T, 2>(std::max(RS * d.Q, 2 * d.Hp * ((d.Wp + 1) / 2 + DwVec<T>::L + 1)));
        T* gbuf = thread_buffer<T, 3>(d.P * ((d.Q + DwVec<T>::L - 1) / DwVec<T>::L * DwVec<T>::L));
        double* acc = thread_buffer<double, 1>(d.mult * (RS + 1));  // per filter: RS weight sums, 1 bias sum
        for (int64_t c = cb; c < ce; ++c) {
            std::fill(acc, acc + d.mult * (RS + 1), 0.0);
            for (int64_t n = 0; n < d.N; ++n) {
                pad_plane(d, inp + (n * d.C + c) * d.H * d.W, pad);
                for (int64_t m = 0; m < d.mult; ++m) {
                    const int64_t k = c * d.mult + m;
                    const T* go = dout + (n * d.K + k) * PQ;
                    double* a = acc + m * (RS + 1);
                    if (k3) {
                        if (d.sw == 1)
                            weight_sums_3x3<T, 1>(d, pad, go, part, gbuf, a);
                        else
                            weight_sums_3x3<T, 2>(d, pad, go, part, gbuf, a);
                    } else {
                        std::fill(part, part + RS * d.Q, T(0));
                        weight_sums_any(d, pad, go, part);
                        for (int64_t t = 0; t < RS; ++t) a[t] += sum_row(part + t * d.Q, d.Q);
                    }
                    if (dbias) a[RS] += sum_row(go, PQ);
                }
            }
            for (int64_t m = 0; m < d.mult; ++m) {
                const int64_t k = c * d.mult + m;
                const double* a = acc + m * (RS + 1);
                for (int64_t t = 0; t < RS; ++t) dweight[k * RS + t] += T(a[t]);
                if (dbias) dbias[k] += T(a[RS]);
            }
        }
    });
}


}  // namespace

template <typename T>
void forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H, int64_t W,
             int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
             bool relu) {
    depthwise_forward(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), out, inp, weight, bias, relu);
}

template <typename T>
void backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W, int64_t K,
                    int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
    depthwise_backward_input(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), dinp, dout, weight);
}

template <typename T>
void backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W,
                     int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                     int64_t dw) {
    depthwise_backward_weight(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), dweight, dbias, dout, inp);
}

#define AX_DW_INSTANTIATE(T)                                                                                      \
    template void forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                             int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool);     \
    template void backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);             \
    template void backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,    \
                                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
AX_DW_INSTANTIATE(float)
AX_DW_INSTANTIATE(double)
#undef AX_DW_INSTANTIATE

}  // namespace AX_DW_NS
}  // namespace axonal
