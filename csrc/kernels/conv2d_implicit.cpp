// Implicit-GEMM conv2d: when it applies, the tap-mask table, and the choice of the AVX2 or AVX-512 loops
// (conv2d_implicit_avx2.cpp / conv2d_implicit_avx512.cpp) by isa_level(). Built with the baseline flags.
#include "kernels/conv2d_implicit.h"

#include "kernels/cpu_isa.h"

namespace axonal {

void conv2d_implicit_forward_image_avx2(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                        const float* x, int64_t cb, int64_t ce, float beta, float* out);
void conv2d_implicit_weight_grad_image_avx2(const ConvGeom& g, const int32_t* masks, const float* dout,
                                            const float* x, float beta, float* acc_t);
void conv2d_implicit_forward_image_avx512(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                          const float* x, int64_t cb, int64_t ce, float beta, float* out);
void conv2d_implicit_weight_grad_image_avx512(const ConvGeom& g, const int32_t* masks, const float* dout,
                                              const float* x, float beta, float* acc_t);

bool conv2d_implicit_applies(const ConvGeom& g) {
    return avx2_enabled() && g.sh == 1 && g.sw == 1 && g.Q == g.W && !g.pointwise() && g.R * g.S <= 64;
}

// Room for the widest gather (32 lanes) past the last output position, in whole 16-lane rows.
int64_t conv2d_tap_mask_stride(const ConvGeom& g) { return (g.pq() + 32 + 15) / 16 * 16; }

void conv2d_tap_masks(const ConvGeom& g, int32_t* masks) {
    const int64_t stride = conv2d_tap_mask_stride(g), PQ = g.pq();
    for (int64_t r = 0; r < g.R; ++r)
        for (int64_t s = 0; s < g.S; ++s) {
            int32_t* m = masks + (r * g.S + s) * stride;
            const int64_t offh = r * g.dh - g.ph, offw = s * g.dw - g.pw;
            for (int64_t j = 0; j < stride; ++j) {
                const int64_t h = j / g.Q + offh, w = j % g.Q + offw;
                m[j] = (j < PQ && h >= 0 && h < g.H && w >= 0 && w < g.W) ? -1 : 0;
            }
        }
}

void conv2d_implicit_forward_image(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                   const float* x, int64_t cb, int64_t ce, float beta, float* out) {
    if (avx512_enabled())
        conv2d_implicit_forward_image_avx512(g, masks, packed_weight, x, cb, ce, beta, out);
    else
        conv2d_implicit_forward_image_avx2(g, masks, packed_weight, x, cb, ce, beta, out);
}

void conv2d_implicit_weight_grad_image(const ConvGeom& g, const int32_t* masks, const float* dout, const float* x,
                                       float beta, float* acc_t) {
    if (avx512_enabled())
        conv2d_implicit_weight_grad_image_avx512(g, masks, dout, x, beta, acc_t);
    else
        conv2d_implicit_weight_grad_image_avx2(g, masks, dout, x, beta, acc_t);
}

}  // namespace axonal
