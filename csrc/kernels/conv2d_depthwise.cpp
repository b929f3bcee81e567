// Depthwise conv2d: the baseline copy of conv2d_depthwise_impl.h, and the choice between it and the AVX2 /
// AVX-512 copies (conv2d_depthwise_avx2.cpp, conv2d_depthwise_avx512.cpp) by isa_level().
// Measured on the dev machine (1 thread, N64 C32 28x28 3x3, forward / input grad / weight grad): baseline
// SSE2 1.75 / 1.80 / 3.81 ms; see the commit log for the wider copies.
#include "kernels/conv2d_depthwise.h"

#include "kernels/cpu_isa.h"

#define AX_DW_NS depthwise_generic
#define AX_DW_VBYTES 16  // the vector width of this level
#include "kernels/conv2d_depthwise_impl.h"
#undef AX_DW_NS

namespace axonal {

#define AX_DW_DISPATCH(FN, ...)                                        \
    do {                                                               \
        const Isa level = isa_level();                                 \
        if (level == Isa::avx512)                                      \
            depthwise_avx512::FN<T>(__VA_ARGS__);                      \
        else if (level == Isa::avx2)                                   \
            depthwise_avx2::FN<T>(__VA_ARGS__);                        \
        else                                                           \
            depthwise_generic::FN<T>(__VA_ARGS__);                     \
    } while (0)

template <typename T>
void conv2d_depthwise_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H,
                              int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                              int64_t pw, int64_t dh, int64_t dw, bool relu) {
    AX_DW_DISPATCH(forward, out, inp, weight, bias, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, relu);
}

template <typename T>
void conv2d_depthwise_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                     int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                                     int64_t pw, int64_t dh, int64_t dw) {
    AX_DW_DISPATCH(backward_input, dinp, dout, weight, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw);
}

template <typename T>
void conv2d_depthwise_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                      int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
                                      int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
    AX_DW_DISPATCH(backward_weight, dweight, dbias, dout, inp, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw);
}
#undef AX_DW_DISPATCH

#define AX_DW_INSTANTIATE(T)                                                                                       \
    template void conv2d_depthwise_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, \
                                              int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                                              int64_t, int64_t, bool);                                             \
    template void conv2d_depthwise_backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t,  \
                                                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,        \
                                                     int64_t, int64_t, int64_t);                                  \
    template void conv2d_depthwise_backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t,      \
                                                      int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                      int64_t, int64_t, int64_t, int64_t);
AX_DW_INSTANTIATE(float)
AX_DW_INSTANTIATE(double)
#undef AX_DW_INSTANTIATE

}  // namespace axonal
