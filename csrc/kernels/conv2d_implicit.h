// Implicit-GEMM conv2d (float, AVX2/FMA and AVX-512 CPUs): the GEMM's operand slivers are gathered straight from
// the image, so the column matrix of im2col is never written and read back.
//
// It applies to "flat-taps" layers (see conv2d.cpp): stride 1 and Q == W, i.e. every 3x3 pad 1 or 5x5
// pad 2 layer. There output position j = p*Q + q reads tap (c, r, s) at plane_c[j + off(r, s)] with
// off = (r*dh - ph)*W + (s*dw - pw), so 16 consecutive output positions of one tap are 16 consecutive
// floats of the image, and a per-tap mask zeroes the ones that fall into the padding (off the top or
// bottom, or wrapped round from the neighbouring row). The masks depend only on the geometry: they are
// built once per call into a table (conv2d_tap_masks) and shared by every image and thread.
//
// The three entry points each handle one image on the calling thread (the caller parallelises over
// images); conv2d.cpp chooses between them and its im2col kernels (conv2d_implicit_applies).
#pragma once
#include <cstdint>

#include "kernels/conv2d_geom.h"

namespace axonal {

// True when this process runs the AVX2 or AVX-512 kernels and the layer is a flat-taps one with a column matrix
// (not pointwise) and at most 64 taps per channel.
bool conv2d_implicit_applies(const ConvGeom& g);

// The mask table: masks[rs * conv2d_tap_mask_stride(g) + j] is -1 when tap rs = r*S + s of output
// position j lies inside the image, 0 when it lies in the padding or j >= P*Q.
int64_t conv2d_tap_mask_stride(const ConvGeom& g);
void conv2d_tap_masks(const ConvGeom& g, int32_t* masks);  // R*S*stride entries

// out (K x PQ of one image, its columns [cb, ce) only) = beta * out + weight @ col(x)[:, cb:ce], with the
// weight (K x C*R*S) packed by gemm_pack_a<float>(false, K, C*R*S, ...) and x one C x H x W image.
void conv2d_implicit_forward_image(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                   const float* x, int64_t cb, int64_t ce, float beta, float* out);

// acc_t (C*R*S x K) = beta * acc_t + col(x) (C*R*S x P*Q) @ dout^T, for one image x (C x H x W) and its
// output gradient dout (K x P*Q): the transpose of that image's weight gradient.
void conv2d_implicit_weight_grad_image(const ConvGeom& g, const int32_t* masks, const float* dout, const float* x,
                                       float beta, float* acc_t);

}  // namespace axonal
