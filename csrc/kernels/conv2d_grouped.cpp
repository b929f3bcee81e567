// conv2d with groups > 1 (conv2d.h): depthwise layers (groups == C) on the direct kernels of
// conv2d_depthwise.h, other grouped layers on the dense kernels one group at a time.
//
// Grouped (1 < C / groups): the channels of one group are contiguous within each image, so a group of the
// batch is gathered into a dense N x C/groups x H x W array with one copy per image, convolved by the
// groups = 1 kernels (Winograd, implicit GEMM, im2col: whatever the group's shape takes), and its output
// copied back. The copies cost one pass over input and output per direction, small beside the products
// (C/groups * R * S multiply-adds per output value).
#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/conv2d.h"
#include "kernels/conv2d_depthwise.h"
#include "kernels/parallel.h"

namespace axonal {
namespace {

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
        conv2d_depthwise_forward(out, inp, weight, bias, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, relu);
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
        conv2d_depthwise_backward_input(dinp, dout, weight, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw);
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
        conv2d_depthwise_backward_weight(dweight, dbias, dout, inp, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw);
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
