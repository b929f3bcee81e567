// conv2d with groups > 1 (conv2d.h): depthwise layers on a direct kernel, other grouped layers on the
// dense kernels one group at a time.
//
// Depthwise (groups == C, K = C * mult, one input channel per filter): a matrix product per channel would
// have one row, so the layer runs as direct loops over each (image, channel) plane. The plane is first
// copied into a zero-padded buffer (in L1/L2), so every loop below reads without bounds tests; output rows
// are accumulated tap by tap with the tap's weight broadcast, a contiguous (stride 1) or strided loop the
// compiler vectorises. 3x3 undilated layers get the nine taps unrolled with constant offsets.
// Planes are independent, so forward and input gradient split them across threads; the weight gradient
// splits channels (each sums its own filter over every image in a fixed order: deterministic).
//
// Grouped (1 < C / groups): the channels of one group are contiguous within each image, so a group of the
// batch is gathered into a dense N x C/groups x H x W array with one copy per image, convolved by the
// groups = 1 kernels (Winograd, implicit GEMM, im2col: whatever the group's shape takes), and its output
// copied back. The copies cost one pass over input and output per direction, small beside the products
// (C/groups * R * S multiply-adds per output value).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "kernels/conv2d.h"
#include "kernels/parallel.h"

namespace axonal {
namespace {

// A per-thread buffer of at least n elements, reused across calls: slot 0 a padded plane, slot 1 sums.
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

// dinp plane += the scatter of every filter of its channel: each output value sends w[r,s] * dout back to
// the tap it read, accumulated in a zero-padded plane whose interior is then added to dinp.
template <typename T>
void depthwise_backward_input(const Depthwise& d, T* dinp, const T* dout, const T* weight) {
    const int64_t PQ = d.P * d.Q, RS = d.R * d.S;
    parallel_for(d.N * d.C, d.H * d.W + d.mult * PQ * RS, [&](int64_t b, int64_t e) {
        T* pad = thread_buffer<T>(d.Hp * d.Wp);
        for (int64_t nc = b; nc < e; ++nc) {
            const int64_t n = nc / d.C, c = nc % d.C;
            std::fill(pad, pad + d.Hp * d.Wp, T(0));
            for (int64_t m = 0; m < d.mult; ++m) {
                const int64_t k = c * d.mult + m;
                const T* wk = weight + k * RS;
                const T* go = dout + (n * d.K + k) * PQ;
                for (int64_t p = 0; p < d.P; ++p) {
                    const T* g = go + p * d.Q;
                    for (int64_t r = 0; r < d.R; ++r) {
                        T* row = pad + (p * d.sh + r * d.dh) * d.Wp;
                        for (int64_t s = 0; s < d.S; ++s) {
                            const T w = wk[r * d.S + s];
                            T* x = row + s * d.dw;
                            if (d.sw == 1)
                                for (int64_t q = 0; q < d.Q; ++q) x[q] += w * g[q];
                            else
                                for (int64_t q = 0; q < d.Q; ++q) x[q * d.sw] += w * g[q];
                        }
                    }
                }
            }
            T* gi = dinp + nc * d.H * d.W;
            for (int64_t h = 0; h < d.H; ++h) {
                const T* src = pad + (h + d.ph) * d.Wp + d.pw;
                T* dst = gi + h * d.W;
                for (int64_t w = 0; w < d.W; ++w) dst[w] += src[w];
            }
        }
    });
}

// sum_q a[q] * b[q * stride] with 16 partial sums for stride 1 (a vectorisable reduction), in T.
template <typename T>
T dot_row(const T* a, const T* b, int64_t n, int64_t stride) {
    if (stride != 1) {
        T acc = T(0);
        for (int64_t q = 0; q < n; ++q) acc += a[q] * b[q * stride];
        return acc;
    }
    T part[16] = {};
    int64_t q = 0;
    for (; q + 16 <= n; q += 16)
        for (int j = 0; j < 16; ++j) part[j] += a[q + j] * b[q + j];
    T acc = T(0);
    for (int j = 0; j < 16; ++j) acc += part[j];
    for (; q < n; ++q) acc += a[q] * b[q];
    return acc;
}

// dweight[k] += sum over images and output positions of dout * the tap each weight met; dbias[k] += sum of
// dout. Per (row, tap) a dot product in T, summed in double across rows and images.
template <typename T>
void depthwise_backward_weight(const Depthwise& d, T* dweight, T* dbias, const T* dout, const T* inp) {
    const int64_t PQ = d.P * d.Q, RS = d.R * d.S;
    parallel_for(d.C, d.N * (d.H * d.W + d.mult * PQ * RS), [&](int64_t cb, int64_t ce) {
        T* pad = thread_buffer<T>(d.Hp * d.Wp);
        double* acc = thread_buffer<double, 1>(d.mult * (RS + 1));  // per filter: RS weight sums, 1 bias sum
        for (int64_t c = cb; c < ce; ++c) {
            std::fill(acc, acc + d.mult * (RS + 1), 0.0);
            for (int64_t n = 0; n < d.N; ++n) {
                pad_plane(d, inp + (n * d.C + c) * d.H * d.W, pad);
                for (int64_t m = 0; m < d.mult; ++m) {
                    const int64_t k = c * d.mult + m;
                    const T* go = dout + (n * d.K + k) * PQ;
                    double* a = acc + m * (RS + 1);
                    for (int64_t p = 0; p < d.P; ++p) {
                        const T* g = go + p * d.Q;
                        for (int64_t r = 0; r < d.R; ++r) {
                            const T* row = pad + (p * d.sh + r * d.dh) * d.Wp;
                            for (int64_t s = 0; s < d.S; ++s)
                                a[r * d.S + s] += double(dot_row(g, row + s * d.dw, d.Q, d.sw));
                        }
                    }
                    if (dbias) {
                        T part[16] = {};
                        int64_t i = 0;
                        for (; i + 16 <= PQ; i += 16)
                            for (int j = 0; j < 16; ++j) part[j] += go[i + j];
                        double s = 0.0;
                        for (int j = 0; j < 16; ++j) s += double(part[j]);
                        for (; i < PQ; ++i) s += double(go[i]);
                        a[RS] += s;
                    }
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

// ---- grouped: one group at a time on the dense kernels ----

// dst (N x cg x plane) <- channels [c0, c0 + cg) of src (N x ctot x plane).
template <typename T>
void gather_group(T* dst, const T* src, int64_t N, int64_t ctot, int64_t c0, int64_t cg, int64_t plane) {
    parallel_for(N, cg * plane, [&](int64_t b, int64_t e) {
        for (int64_t n = b; n < e; ++n)
            std::memcpy(dst + n * cg * plane, src + (n * ctot + c0) * plane, sizeof(T) * size_t(cg * plane));
    });
}

// The reverse: channels [c0, c0 + cg) of dst (N x ctot x plane) <- (or += when add) src (N x cg x plane).
template <typename T>
void scatter_group(T* dst, const T* src, int64_t N, int64_t ctot, int64_t c0, int64_t cg, int64_t plane, bool add) {
    parallel_for(N, cg * plane, [&](int64_t b, int64_t e) {
        for (int64_t n = b; n < e; ++n) {
            T* d = dst + (n * ctot + c0) * plane;
            const T* s = src + n * cg * plane;
            if (add)
                for (int64_t i = 0; i < cg * plane; ++i) d[i] += s[i];
            else
                std::memcpy(d, s, sizeof(T) * size_t(cg * plane));
        }
    });
}

template <typename T>
std::unique_ptr<T[]> buffer(int64_t n) {
    return std::unique_ptr<T[]>(new T[size_t(std::max<int64_t>(n, 1))]);
}

}  // namespace

template <typename T>
void conv2d_grouped_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                            int64_t dh, int64_t dw, bool relu, int64_t groups) {
    if (groups == C) {
        depthwise_forward(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), out, inp, weight, bias, relu);
        return;
    }
    const int64_t Cg = C / groups, Kg = K / groups, HW = H * W;
    const int64_t P = conv2d_output_size(H, R, sh, ph, dh), Q = conv2d_output_size(W, S, sw, pw, dw), PQ = P * Q;
    auto xg = buffer<T>(N * Cg * HW);
    auto og = buffer<T>(N * Kg * PQ);
    for (int64_t grp = 0; grp < groups; ++grp) {
        gather_group(xg.get(), inp, N, C, grp * Cg, Cg, HW);
        conv2d_forward<T>(og.get(), xg.get(), weight + grp * Kg * Cg * R * S, bias ? bias + grp * Kg : nullptr, N, Cg,
                          H, W, Kg, R, S, sh, sw, ph, pw, dh, dw, relu, 1);
        scatter_group(out, og.get(), N, K, grp * Kg, Kg, PQ, false);
    }
}

template <typename T>
void conv2d_grouped_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                   int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                                   int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
    if (groups == C) {
        depthwise_backward_input(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), dinp, dout, weight);
        return;
    }
    const int64_t Cg = C / groups, Kg = K / groups, HW = H * W;
    const int64_t P = conv2d_output_size(H, R, sh, ph, dh), Q = conv2d_output_size(W, S, sw, pw, dw), PQ = P * Q;
    auto gog = buffer<T>(N * Kg * PQ);
    auto dxg = buffer<T>(N * Cg * HW);
    for (int64_t grp = 0; grp < groups; ++grp) {
        gather_group(gog.get(), dout, N, K, grp * Kg, Kg, PQ);
        // The dense kernel accumulates, so it gets zeros; the group's gradient is then added to dinp.
        std::fill(dxg.get(), dxg.get() + N * Cg * HW, T(0));
        conv2d_backward_input<T>(dxg.get(), gog.get(), weight + grp * Kg * Cg * R * S, N, Cg, H, W, Kg, R, S, sh, sw,
                                 ph, pw, dh, dw, 1);
        scatter_group(dinp, dxg.get(), N, C, grp * Cg, Cg, HW, true);
    }
}

template <typename T>
void conv2d_grouped_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                    int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
                                    int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
    if (groups == C) {
        depthwise_backward_weight(depthwise_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw), dweight, dbias, dout,
                                  inp);
        return;
    }
    const int64_t Cg = C / groups, Kg = K / groups, HW = H * W;
    const int64_t P = conv2d_output_size(H, R, sh, ph, dh), Q = conv2d_output_size(W, S, sw, pw, dw), PQ = P * Q;
    auto xg = buffer<T>(N * Cg * HW);
    auto gog = buffer<T>(N * Kg * PQ);
    for (int64_t grp = 0; grp < groups; ++grp) {
        gather_group(xg.get(), inp, N, C, grp * Cg, Cg, HW);
        gather_group(gog.get(), dout, N, K, grp * Kg, Kg, PQ);
        // The group's filters and biases are contiguous slices of dweight and dbias.
        conv2d_backward_weight<T>(dweight + grp * Kg * Cg * R * S, dbias ? dbias + grp * Kg : nullptr, gog.get(),
                                  xg.get(), N, Cg, H, W, Kg, R, S, sh, sw, ph, pw, dh, dw, 1);
    }
}

#define AXONAL_INSTANTIATE_GROUPED(T)                                                                              \
    template void conv2d_grouped_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, \
                                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,        \
                                            int64_t, int64_t, bool, int64_t);                                     \
    template void conv2d_grouped_backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t,    \
                                                   int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                                   int64_t, int64_t, int64_t);                                    \
    template void conv2d_grouped_backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t,        \
                                                    int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,         \
                                                    int64_t, int64_t, int64_t, int64_t, int64_t);
AXONAL_INSTANTIATE_GROUPED(float)
AXONAL_INSTANTIATE_GROUPED(double)
#undef AXONAL_INSTANTIATE_GROUPED

}  // namespace axonal
