// The geometry of one conv2d call, shared by the im2col kernels (conv2d.cpp) and the implicit-GEMM
// ones (conv2d_implicit_avx2.cpp). Names as in conv2d.h: N images of C x H x W, K filters of C x R x S,
// strides sh/sw, paddings ph/pw, dilations dh/dw, output P x Q.
#pragma once
#include <cstdint>

#include "kernels/conv2d.h"

namespace axonal {

struct ConvGeom {
    int64_t N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, P, Q;
    int64_t crs() const { return C * R * S; }
    int64_t pq() const { return P * Q; }
    int64_t hw() const { return H * W; }
    // col would be an exact copy of the image: use the image itself.
    bool pointwise() const { return R == 1 && S == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

inline ConvGeom make_geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh,
                          int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
    return {N,  C,  H,  W,  K,  R,  S,
            sh, sw, ph, pw, dh, dw, conv2d_output_size(H, R, sh, ph, dh), conv2d_output_size(W, S, sw, pw, dw)};
}

}  // namespace axonal
