// Naive direct-loop convolutions: the definition the fast kernels in conv2d.cpp are tested against.
// Written for obviousness, not speed; forward and weight sums accumulate in double. With groups, output
// channel k belongs to group k / (K / groups) and reads only that group's C / groups input channels
// (ci is the channel within the group, the weight's second index).
#include <cstdint>

#include "kernels/conv2d.h"

namespace axonal {

template <typename T>
void conv2d_forward_reference(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C,
                              int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                              int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                              bool relu, int64_t groups) {
    const int64_t P = conv2d_output_size(H, R, stride_h, pad_h, dil_h);
    const int64_t Q = conv2d_output_size(W, S, stride_w, pad_w, dil_w);
    const int64_t Cg = C / groups, Kg = K / groups;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t q = 0; q < Q; ++q) {
                    double acc = bias ? double(bias[k]) : 0.0;
                    for (int64_t ci = 0; ci < Cg; ++ci)
                        for (int64_t r = 0; r < R; ++r)
                            for (int64_t s = 0; s < S; ++s) {
                                int64_t h = p * stride_h - pad_h + r * dil_h;
                                int64_t w = q * stride_w - pad_w + s * dil_w;
                                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                const int64_t c = k / Kg * Cg + ci;
                                acc += double(weight[((k * Cg + ci) * R + r) * S + s]) *
                                       double(inp[((n * C + c) * H + h) * W + w]);
                            }
                    if (relu && acc < 0.0) acc = 0.0;  // NaN stays NaN, as in torch.relu
                    out[((n * K + k) * P + p) * Q + q] = T(acc);
                }
}

template <typename T>
void conv2d_backward_input_reference(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                     int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                                     int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                                     int64_t groups) {
    const int64_t P = conv2d_output_size(H, R, stride_h, pad_h, dil_h);
    const int64_t Q = conv2d_output_size(W, S, stride_w, pad_w, dil_w);
    const int64_t Cg = C / groups, Kg = K / groups;
    // Scatter: every forward product weight * inp sends dout * weight back to the input tap it read.
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t q = 0; q < Q; ++q) {
                    T g = dout[((n * K + k) * P + p) * Q + q];
                    for (int64_t ci = 0; ci < Cg; ++ci)
                        for (int64_t r = 0; r < R; ++r)
                            for (int64_t s = 0; s < S; ++s) {
                                int64_t h = p * stride_h - pad_h + r * dil_h;
                                int64_t w = q * stride_w - pad_w + s * dil_w;
                                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                const int64_t c = k / Kg * Cg + ci;
                                dinp[((n * C + c) * H + h) * W + w] += g * weight[((k * Cg + ci) * R + r) * S + s];
                            }
                }
}

template <typename T>
void conv2d_backward_weight_reference(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                      int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                                      int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                                      int64_t groups) {
    const int64_t P = conv2d_output_size(H, R, stride_h, pad_h, dil_h);
    const int64_t Q = conv2d_output_size(W, S, stride_w, pad_w, dil_w);
    const int64_t Cg = C / groups, Kg = K / groups;
    for (int64_t k = 0; k < K; ++k)
        for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t r = 0; r < R; ++r)
                for (int64_t s = 0; s < S; ++s) {
                    double acc = 0.0;
                    for (int64_t n = 0; n < N; ++n)
                        for (int64_t p = 0; p < P; ++p)
                            for (int64_t q = 0; q < Q; ++q) {
                                int64_t h = p * stride_h - pad_h + r * dil_h;
                                int64_t w = q * stride_w - pad_w + s * dil_w;
                                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                const int64_t c = k / Kg * Cg + ci;
                                acc += double(dout[((n * K + k) * P + p) * Q + q]) *
                                       double(inp[((n * C + c) * H + h) * W + w]);
                            }
                    dweight[((k * Cg + ci) * R + r) * S + s] += T(acc);
                }
    if (dbias) {
        for (int64_t k = 0; k < K; ++k) {
            double acc = 0.0;
            for (int64_t n = 0; n < N; ++n)
                for (int64_t pq = 0; pq < P * Q; ++pq) acc += double(dout[(n * K + k) * P * Q + pq]);
            dbias[k] += T(acc);
        }
    }
}

#define AXONAL_INSTANTIATE_CONV2D_REFERENCE(T)                                                                   \
    template void conv2d_forward_reference<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t,       \
                                              int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,     \
                                              int64_t, int64_t, int64_t, bool, int64_t);                         \
    template void conv2d_backward_input_reference<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, \
                                                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                     int64_t, int64_t, int64_t, int64_t);                        \
    template void conv2d_backward_weight_reference<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t,     \
                                                      int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                                                      int64_t, int64_t, int64_t, int64_t, int64_t);

AXONAL_INSTANTIATE_CONV2D_REFERENCE(float)
AXONAL_INSTANTIATE_CONV2D_REFERENCE(double)
#undef AXONAL_INSTANTIATE_CONV2D_REFERENCE

}  // namespace axonal
