// 2-D max and average pooling, NCHW, PyTorch semantics (ceil_mode=False, dilation 1).
//   inp, dinp          : (N, C, H, W)
//   out, dout, argmax  : (N, C, P, Q), P = pool2d_out_size(H, kh, stride_h, pad_h), Q likewise for W
//   argmax[n, c, p, q] : flat index h * W + w of the winning cell inside input plane (n, c)
// Preconditions (the binding checks them; the kernels do not): all sizes >= 1, P >= 1, Q >= 1,
// 0 <= pad <= kernel / 2 (so every window holds at least one real cell), H * W <= INT32_MAX.
//
// Max pooling: padding counts as -inf, so a padded cell never wins. A NaN in a window wins (the last
// NaN when there are several), and a window of only -inf reports its first real cell, as torch does.
// Average pooling: count_include_pad=true divides by the number of window cells inside the padded
// input (torch's default; with ceil_mode=False that is always kh * kw), false by the real cells only.
//
// Backward kernels ACCUMULATE into dinp. The *_reference versions are naive serial loops kept to test
// the fast ones against.
#pragma once
#include <cstdint>

namespace axonal {

// floor((size + 2 * pad - kernel) / stride) + 1; 0 means the window does not fit. Written as
// size - (kernel - 2 * pad) so that huge (but valid, pad <= kernel / 2) values cannot overflow.
inline int64_t pool2d_out_size(int64_t size, int64_t kernel, int64_t stride, int64_t pad) {
    int64_t span = size - (kernel - 2 * pad);
    return span < 0 ? 0 : span / stride + 1;
}

template <typename T>
void max_pool2d_forward(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W,
                        int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w);
template <typename T>
void max_pool2d_forward_reference(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H,
                                  int64_t W, int64_t kh, int64_t kw, int64_t stride_h, int64_t stride_w,
                                  int64_t pad_h, int64_t pad_w);

// Every argmax value must lie in [0, H * W). The backward kernels accumulate (+=) into dinp; with
// overwrite = true they first zero each input plane themselves (while it is in cache), so dinp may be
// uninitialised memory — one pass over the gradient instead of a separate memset of the whole array.
template <typename T>
void max_pool2d_backward(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H, int64_t W,
                         int64_t P, int64_t Q, bool overwrite = false);
template <typename T>
void max_pool2d_backward_reference(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H,
                                   int64_t W, int64_t P, int64_t Q);

template <typename T>
void avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                        int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, bool count_include_pad);
template <typename T>
void avg_pool2d_forward_reference(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                                  int64_t kw, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                                  bool count_include_pad);

template <typename T>
void avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, bool count_include_pad,
                         bool overwrite = false);
template <typename T>
void avg_pool2d_backward_reference(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                                   int64_t kw, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                                   bool count_include_pad);

// Adaptive average pooling (torch.nn.AdaptiveAvgPool2d / F.adaptive_avg_pool2d): inp (N, C, H, W) ->
// out (N, C, OH, OW), OH and OW >= 1 (they may exceed H and W). Output cell (i, j) averages input rows
// [floor(i * H / OH), ceil((i + 1) * H / OH)) and columns [floor(j * W / OW), ceil((j + 1) * W / OW)) —
// torch's bins, which overlap when OH does not divide H. OH = OW = 1 is global average pooling.
// The backward kernel ACCUMULATES: dinp[h, w] += dout[i, j] / (bin area) for every bin holding (h, w).
inline int64_t adaptive_bin_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
inline int64_t adaptive_bin_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

template <typename T>
void adaptive_avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                                 int64_t OW);
template <typename T>
void adaptive_avg_pool2d_forward_reference(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W,
                                           int64_t OH, int64_t OW);
template <typename T>
void adaptive_avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW);
template <typename T>
void adaptive_avg_pool2d_backward_reference(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W,
                                            int64_t OH, int64_t OW);

}  // namespace axonal
