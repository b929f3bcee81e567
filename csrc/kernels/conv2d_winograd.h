// Winograd F(2x2, 3x3) and F(2x2, 5x5) conv2d (float, AVX2/FMA and AVX-512 CPUs) for 3x3 and 5x5, stride-1,
// undilated layers.
//
// Each 2x2 block of outputs ("tile") is computed from an a x a input patch d (a = R + 1) and an R x R
// filter g as
//   Y = A^T [ (G g G^T) (.) (B^T d B) ] A        (.) elementwise over the a^2 positions xi
// with B^T (a x a), G (a x R), A^T (2 x a) the Toom-Cook matrices: a^2 multiplies per tile and channel
// pair instead of 4 R^2 (16 vs 36 for 3x3, 36 vs 100 for 5x5). Summed over input channels, the
// elementwise products become a^2 independent GEMMs,
//   M_xi (K x T) = U_xi (K x C) @ V_xi (C x T),   U = G g G^T (the weight, transformed and packed once),
//   V = B^T d B (the input tiles, transformed per block of tile rows), T = tiles in the block,
// run on the same packed GEMM as everything else; the output transform then applies A^T . A, the bias
// and the optional ReLU as it writes the output. The transforms are vectorised over 8 (AVX2) or 16 (AVX-512)
// tiles of a tile row.
// Accuracy: F(2x2, 3x3)'s transforms only add and halve; F(2x2, 5x5)'s use the points +-2 and
// coefficients down to 1/24. Measured against a float64 direct convolution, largest error relative to
// the largest output, C = 256: 5e-7 (3x3) and 7e-6 (5x5), where a float32 direct convolution gives 5e-8.
// tests/test_conv_kernels.py holds them to 1e-5.
#pragma once
#include <cstdint>

#include "kernels/conv2d_geom.h"

namespace axonal {

// True when this process runs the AVX2 or AVX-512 kernels and the layer is 3x3 or 5x5, stride 1, dilation 1,
// padding below the kernel size, with enough channels on both sides for the GEMMs to pay (C, K >= 8).
bool conv2d_winograd_applies(const ConvGeom& g);

// out (N x K x P x Q) = conv(inp, weight) + bias, ReLU'd when relu; or, when accumulate, out += conv(inp,
// weight) (no bias or ReLU then: the input-gradient use). Images are split into nchunks fixed chunks run
// in parallel, each on one thread (so the result is deterministic for a fixed thread count).
void conv2d_winograd(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                     bool accumulate, float* out, int64_t nchunks);

// dweight (K x C x R x R) += the weight gradient, and dbias (K, unless null) += the bias gradient, given
// dout (N x K x P x Q) and inp. The same transforms
// the other way round: with Z = A dY A^T (dY a 2x2 tile of dout) and V = B^T d B,
//   dweight[k, c] += G^T S G,   S_xi (K x C) = sum over tiles of Z_xi (K x T) @ V_xi^T (T x C),
// one GEMM per xi and block of tiles, accumulated per chunk and reduced in chunk order (deterministic
// for a fixed thread count).
void conv2d_winograd_weight_grad(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                 float* dbias, int64_t nchunks);

}  // namespace axonal
