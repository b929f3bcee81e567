// Winograd conv2d: when it applies, and the choice of the AVX2 or AVX-512 loops (conv2d_winograd_avx2.cpp /
// conv2d_winograd_avx512.cpp) by isa_level(). Built with the baseline flags.
#include "kernels/conv2d_winograd.h"

#include "kernels/cpu_isa.h"

namespace axonal {

void conv2d_winograd_avx2(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                          bool accumulate, float* out, int64_t nchunks);
void conv2d_winograd_weight_grad_avx2(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                      float* dbias, int64_t nchunks);
void conv2d_winograd_avx512(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                            bool accumulate, float* out, int64_t nchunks);
void conv2d_winograd_weight_grad_avx512(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                        float* dbias, int64_t nchunks);

bool conv2d_winograd_applies(const ConvGeom& g) {
    return avx2_enabled() && (g.R == 3 || g.R == 5) && g.S == g.R && g.sh == 1 && g.sw == 1 && g.dh == 1 &&
           g.dw == 1 && g.ph >= 0 && g.pw >= 0 && g.ph < g.R && g.pw < g.R && g.P >= 1 && g.Q >= 1 && g.C >= 8 &&
           g.K >= 8;
}

void conv2d_winograd(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                     bool accumulate, float* out, int64_t nchunks) {
    if (avx512_enabled())
        conv2d_winograd_avx512(g, inp, weight, bias, relu, accumulate, out, nchunks);
    else
        conv2d_winograd_avx2(g, inp, weight, bias, relu, accumulate, out, nchunks);
}

void conv2d_winograd_weight_grad(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                 float* dbias, int64_t nchunks) {
    if (avx512_enabled())
        conv2d_winograd_weight_grad_avx512(g, dout, inp, dweight, dbias, nchunks);
    else
        conv2d_winograd_weight_grad_avx2(g, dout, inp, dweight, dbias, nchunks);
}

}  // namespace axonal
