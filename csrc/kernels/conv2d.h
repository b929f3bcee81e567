// 2-D convolution (cross-correlation, as in PyTorch), NCHW, with groups. All arrays dense, C-contiguous.
//
//   inp     N x C x H x W
//   weight  K x (C / groups) x R x S
//   bias    K             (nullptr: no bias)
//   out     N x K x P x Q    P = (H + 2*pad_h - dil_h*(R-1) - 1) / stride_h + 1
//                            Q = (W + 2*pad_w - dil_w*(S-1) - 1) / stride_w + 1
//
//   out[n,k,p,q] = bias[k] + sum_{ci,r,s} weight[k,ci,r,s] * inp[n, g*Cg + ci, p*stride_h - pad_h + r*dil_h,
//                                                                       q*stride_w - pad_w + s*dil_w]
//   where taps that fall outside the input read zero, Cg = C / groups, Kg = K / groups and g = k / Kg: output
//   channel k sees only the Cg input channels of its group. groups = 1 is the ordinary convolution;
//   groups = C is depthwise (each input channel filtered by its own K / C filters).
//
// Preconditions (the Python binding checks them): every size >= 1, groups >= 1 dividing C and K, stride and
// dilation >= 1,
// padding >= 0, P and Q >= 1, and all element counts (including the C*R*S x P*Q im2col workspace per
// thread) fit comfortably in int64.
//
// relu = true applies max(0, .) to the output as it is written (the fused conv + bias + ReLU layer).
// conv2d_forward OVERWRITES out. The backward kernels ACCUMULATE (+=) into dinp, dweight and dbias,
// so gradients of several uses of one tensor sum naturally; zero them first for a plain gradient.
//
// The fast versions pick one of three methods per call (all float64 layers take the first):
//   im2col + GEMM (conv2d.cpp): one image, or one block of output rows of a large image (~1 MiB of
//     columns), at a time into a per-thread buffer, then gemm; col2im for the input gradient.
//   implicit GEMM (conv2d_implicit.h): float "flat-taps" layers (stride 1, Q == W) on AVX2 CPUs; the
//     GEMM's slivers are gathered straight from the image, no column matrix.
//   Winograd F(2x2, 3x3) / F(2x2, 5x5) (conv2d_winograd.h): float 3x3 and 5x5 stride-1 undilated
//     layers with C, K >= 8 on AVX2 CPUs: GEMMs on transformed tiles, 2.25x / 2.8x fewer multiplies.
// They allocate workspace (per-thread buffers, the packed or transformed weight, per-thread partial
// weight gradients) but never the results. For a fixed thread count they are deterministic.
// groups > 1 (conv2d_grouped.cpp): depthwise layers (groups == C) run a direct kernel over zero-padded
// planes; other grouped layers gather each group's channels into a dense batch and run the methods above.
// The *_reference versions are naive direct loops kept to test the fast ones against.
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void conv2d_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H,
                    int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                    int64_t pad_w, int64_t dil_h, int64_t dil_w, bool relu = false, int64_t groups = 1);

// dinp (N x C x H x W) += d out / d inp, given dout (N x K x P x Q).
template <typename T>
void conv2d_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                           int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups = 1);

// dweight (K x C/groups x R x S) += d out / d weight and, when dbias is not nullptr, dbias (K) += sum of dout
// over n, p, q; given dout (N x K x P x Q) and the forward input inp (N x C x H x W).
template <typename T>
void conv2d_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w,
                            int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups = 1);

template <typename T>
void conv2d_forward_reference(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C,
                              int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                              int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                              bool relu = false, int64_t groups = 1);

template <typename T>
void conv2d_backward_input_reference(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                     int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                                     int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                                     int64_t groups = 1);

template <typename T>
void conv2d_backward_weight_reference(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                      int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h,
                                      int64_t stride_w, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w,
                                     int64_t groups = 1);

// Output size along one axis, or a value <= 0 when the dilated kernel is larger than the padded input.
// Safe against overflow for any non-negative sizes (a huge kernel span counts as "too large").
int64_t conv2d_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil);

// The groups > 1 paths (conv2d_grouped.cpp), called by the functions above; same contracts.
template <typename T>
void conv2d_grouped_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                            int64_t dh, int64_t dw, bool relu, int64_t groups);
template <typename T>
void conv2d_grouped_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H,
                                   int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph,
                                   int64_t pw, int64_t dh, int64_t dw, int64_t groups);
template <typename T>
void conv2d_grouped_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C,
                                    int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
                                    int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups);

}  // namespace axonal
