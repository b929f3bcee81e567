// Depthwise conv2d (groups == C, K = C * mult: each input channel filtered by its own mult filters), the
// direct kernels conv2d_grouped.cpp runs for such layers; shapes and contracts as conv2d.h with weight
// K x 1 x R x S. A matrix product per channel would have a single row, so these are direct loops
// (conv2d_depthwise_impl.h), compiled for each instruction-set level and chosen by isa_level().
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void conv2d_depthwise_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H,
                              int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw, int64_t dh, int64_t dw, bool relu);
template <typename T>
void conv2d_depthwise_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                     int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                                     int64_t pw, int64_t dh, int64_t dw);
template <typename T>
void conv2d_depthwise_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                      int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
                                      int64_t ph, int64_t pw, int64_t dh, int64_t dw);

// The per-level copies (conv2d_depthwise_impl.h compiled into each namespace).
#define AX_DW_DECLARE(NS)                                                                                          \
    namespace NS {                                                                                                 \
    template <typename T>                                                                                          \
    void forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H, int64_t W, \
                 int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,      \
                 int64_t dw, bool relu);                                                                           \
    template <typename T>                                                                                          \
    void backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W,      \
                        int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw,           \
                        int64_t dh, int64_t dw);                                                                   \
    template <typename T>                                                                                          \
    void backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H,      \
                         int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,           \
                         int64_t pw, int64_t dh, int64_t dw);                                                      \
    }
AX_DW_DECLARE(depthwise_generic)
AX_DW_DECLARE(depthwise_avx2)
AX_DW_DECLARE(depthwise_avx512)
#undef AX_DW_DECLARE

}  // namespace axonal
