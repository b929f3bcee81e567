// Winograd conv2d at the AVX2 level: the loops of conv2d_winograd_impl.h on 256-bit vectors (8 tiles per
// vector). Built with -mavx2 -mfma; conv2d_winograd.cpp calls in here only at that level.
#include "kernels/conv2d_winograd.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#include "kernels/conv2d_winograd_impl.h"
#include "kernels/conv2d_winograd_ops256.h"
#include "kernels/gemm_blocking.h"

namespace axonal {

// Blocks of at most 128 tiles: V and M of a block (a^2 x (C + K) x T) stay near L2 (measured on the AVX2
// dev machine, 512 KiB L2).
void conv2d_winograd_avx2(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                          bool accumulate, float* out, int64_t nchunks) {
    winograd_conv<Wino256>(g, inp, weight, bias, relu, accumulate, out, nchunks, BlockingAvx2F32::NR, 128);
}

void conv2d_winograd_weight_grad_avx2(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                      float* dbias, int64_t nchunks) {
    winograd_conv_weight_grad<Wino256>(g, dout, inp, dweight, dbias, nchunks, BlockingAvx2F32::NR);
}

}  // namespace axonal

#else  // no AVX2 build: Winograd never applies.

#include <cstdlib>

namespace axonal {
void conv2d_winograd_avx2(const ConvGeom&, const float*, const float*, const float*, bool, bool, float*, int64_t) {
    std::abort();
}
void conv2d_winograd_weight_grad_avx2(const ConvGeom&, const float*, const float*, float*, float*, int64_t) {
    std::abort();
}
}  // namespace axonal

#endif
