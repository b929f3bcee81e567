// Batch normalisation over N x C x HW (BatchNorm2d: HW = H * W; BatchNorm1d: HW = 1 for (N, C) input, or
// the length L of (N, C, L) input), per channel c, with torch's semantics:
//
//   training:  mean_c = mean of x[:, c, :], var_c = biased variance (divisor n = N * HW),
//              invstd_c = 1 / sqrt(var_c + eps),
//              y = (x - mean_c) * invstd_c * gamma_c + beta_c   (then max(0, .) when relu)
//              save_mean, save_invstd (C) are written for the backward pass;
//              running_mean = (1 - momentum) * running_mean + momentum * mean_c
//              running_var  = (1 - momentum) * running_var  + momentum * var_c * n / (n - 1)
//              (in place; both nullptr when the layer tracks no running statistics). Needs n >= 2.
//   eval:      y = x * scale_c + shift_c with scale_c = gamma_c / sqrt(running_var_c + eps) and
//              shift_c = beta_c - running_mean_c * scale_c: one multiply-add per element.
//   backward:  dy' = dy, or dy * (y > 0) when the forward applied ReLU (y is then its output);
//              xhat = (x - mean_c) * invstd_c
//              dbeta_c  += sum dy'            dgamma_c += sum dy' * xhat
//              batch_stats (training): dx += gamma_c * invstd_c * (dy' - mean(dy') - xhat * mean(dy' * xhat))
//              otherwise (eval mode, statistics are constants): dx += gamma_c * invstd_c * dy'
//              mean and invstd: the saved batch statistics, or the running ones in eval mode.
//
// gamma / beta nullptr: the layer has no affine parameters (gamma = 1, beta = 0). In the backward pass any
// of dx, dgamma, dbeta may be nullptr (not wanted); the others ACCUMULATE (+=), except that overwrite_dx
// writes dx instead (it may then hold garbage: one pass less than zeroing it first). The forward OVERWRITES y,
// which may be x itself (in place). Sums run in double per channel, so results do not depend on the
// thread count. The *_reference versions are naive loops kept to test the fast ones against.
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void batchnorm_forward_train(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var, const T* x,
                             const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW, double eps,
                             double momentum, bool relu);
template <typename T>
void batchnorm_forward_train_reference(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var,
                                       const T* x, const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW,
                                       double eps, double momentum, bool relu);

template <typename T>
void batchnorm_forward_eval(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma,
                            const T* beta, int64_t N, int64_t C, int64_t HW, double eps, bool relu);
template <typename T>
void batchnorm_forward_eval_reference(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma,
                                      const T* beta, int64_t N, int64_t C, int64_t HW, double eps, bool relu);

template <typename T>
void batchnorm_backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu, const T* mean,
                        const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool batch_stats,
                        bool overwrite_dx = false);
template <typename T>
void batchnorm_backward_reference(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu,
                                  const T* mean, const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW,
                                  bool batch_stats);

// The per-level copies of the fast versions (batchnorm_impl.h compiled into each namespace).
#define AX_BN_DECLARE(NS)                                                                                          \
    namespace NS {                                                                                                 \
    template <typename T>                                                                                          \
    void forward_train(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var, const T* x,           \
                       const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW, double eps, double momentum, \
                       bool relu);                                                                                 \
    template <typename T>                                                                                          \
    void forward_eval(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma, const T* beta, \
                      int64_t N, int64_t C, int64_t HW, double eps, bool relu);                                    \
    template <typename T>                                                                                          \
    void backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu, const T* mean,             \
                  const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool batch_stats,            \
                  bool overwrite_dx);                                                                              \
    }
AX_BN_DECLARE(bn_generic)
AX_BN_DECLARE(bn_avx2)
AX_BN_DECLARE(bn_avx512)
#undef AX_BN_DECLARE

}  // namespace axonal
