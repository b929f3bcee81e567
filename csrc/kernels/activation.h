// Fused activation and loss kernels: one pass where NumPy would make several, and no temporaries.
//
//   relu_forward(out, inp, n)            out[i] = inp[i] < 0 ? 0 : inp[i]            out, inp: (n)
//       NaN passes and -0.0 becomes +0.0, bit for bit as numpy.maximum(inp, 0). out may equal inp (in place).
//   relu_backward(dinp, dout, out, n, accumulate)
//       dinp[i] (+)= dout[i] * (out[i] > 0 ? 1 : 0)                                dinp, dout, out: (n)
//       out is the forward's result. A product with 1/0, not a select, so a NaN or inf upstream gradient
//       where out <= 0 gives NaN, bit for bit as NumPy's `dout * (out > 0)`. accumulate=false overwrites
//       dinp (no zero-filled buffer needed), true adds to it.
//   add_relu_forward(out, a, b, n)      out[i] = relu(a[i] + b[i])                 out, a, b: (n)
//       The residual join of a ResNet block in one pass; out may equal a or b. relu as relu_forward.
//   add_relu_backward(da, db, dout, out, n, accumulate)
//       g = dout[i] * (out[i] > 0 ? 1 : 0) (as relu_backward); da[i] (+)= g and db[i] (+)= g, one pass for
//       both branches of the join. Either of da, db may be nullptr (that branch needs no gradient); with
//       accumulate=false they are overwritten.
//   bias_relu_forward(y, bias, M, N)     y[m, n] = relu(y[m, n] + bias[n]), in place  y: (M, N) rows
//       contiguous, bias: (N). The Linear -> ReLU epilogue: the add and the ReLU in one pass over y.
//
//   softmax_cross_entropy(loss, dlogits, logits, target, weight, M, C, ignore_index, smoothing)
//       logits: (M, C) row-major; target: (M) int64 class indices; weight: (C) or nullptr (all ones);
//       loss: (M) per-row loss, 0 for ignored rows; dlogits: (M, C) or nullptr (not wanted).
//       With q[m, c] = valid_m * ((1 - smoothing) * w[t_m] * [c == t_m] + smoothing / C * w[c])
//       (valid_m: t_m != ignore_index) and logp = log_softmax(logits) per row:
//         loss[m] = -sum_c q[m, c] * logp[m, c];  dlogits[m, c] = softmax[m, c] * sum_c' q[m, c'] - q[m, c]
//       (dlogits is the gradient of sum_m loss[m]; the caller scales it for 'mean'). Sums over a row
//       accumulate in double. Returns the summed losses and the weight total sum_m valid_m * w[t_m]
//       (the 'mean' divisor) in *loss_sum / *weight_sum.
//       Precondition (the binding checks it): every non-ignored target lies in [0, C).
//   softmax_cross_entropy_check_targets(target, M, C, ignore_index) -> index of the first row whose
//       target is out of range and not ignore_index, or -1.
//
// The *_reference versions are naive serial loops kept to test the fast ones against.
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void relu_forward(T* out, const T* inp, int64_t n);
template <typename T>
void relu_forward_reference(T* out, const T* inp, int64_t n);

template <typename T>
void relu_backward(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate);
template <typename T>
void relu_backward_reference(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate);

template <typename T>
void add_relu_forward(T* out, const T* a, const T* b, int64_t n);
template <typename T>
void add_relu_forward_reference(T* out, const T* a, const T* b, int64_t n);

template <typename T>
void add_relu_backward(T* da, T* db, const T* dout, const T* out, int64_t n, bool accumulate);
template <typename T>
void add_relu_backward_reference(T* da, T* db, const T* dout, const T* out, int64_t n, bool accumulate);

template <typename T>
void bias_relu_forward(T* y, const T* bias, int64_t M, int64_t N);
template <typename T>
void bias_relu_forward_reference(T* y, const T* bias, int64_t M, int64_t N);

int64_t softmax_cross_entropy_check_targets(const int64_t* target, int64_t M, int64_t C, int64_t ignore_index);

template <typename T>
void softmax_cross_entropy(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight, int64_t M,
                           int64_t C, int64_t ignore_index, double smoothing, double* loss_sum, double* weight_sum);
template <typename T>
void softmax_cross_entropy_reference(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight,
                                     int64_t M, int64_t C, int64_t ignore_index, double smoothing, double* loss_sum,
                                     double* weight_sum);

}  // namespace axonal
