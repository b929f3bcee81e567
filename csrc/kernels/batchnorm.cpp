// Batch normalisation: the naive references, the baseline copy of the fast loops (batchnorm_impl.h) and the
// choice between it and the AVX2 / AVX-512 copies (batchnorm_avx2.cpp, batchnorm_avx512.cpp) by isa_level().
// Semantics in batchnorm.h; how the fast loops are laid out in batchnorm_impl.h.
#include "kernels/batchnorm.h"

#include <cmath>

#include "kernels/cpu_isa.h"

#define AX_BN_NS bn_generic
#include "kernels/batchnorm_impl.h"
#undef AX_BN_NS

namespace axonal {

// ---------------------------------------------------------------- references

template <typename T>
void batchnorm_forward_train_reference(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var,
                                       const T* x, const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW,
                                       double eps, double momentum, bool relu) {
    const double n = double(N * HW);
    for (int64_t c = 0; c < C; ++c) {
        double s = 0.0;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) s += double(x[(i * C + c) * HW + h]);
        const double mean = s / n;
        double q = 0.0;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) {
                const double d = double(x[(i * C + c) * HW + h]) - mean;
                q += d * d;
            }
        const double var = q / n, invstd = 1.0 / std::sqrt(var + eps);
        save_mean[c] = T(mean);
        save_invstd[c] = T(invstd);
        if (running_mean) running_mean[c] = T((1.0 - momentum) * double(running_mean[c]) + momentum * mean);
        if (running_var) running_var[c] = T((1.0 - momentum) * double(running_var[c]) + momentum * var * n / (n - 1.0));
        const double g = gamma ? double(gamma[c]) : 1.0, b = beta ? double(beta[c]) : 0.0;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) {
                const int64_t at = (i * C + c) * HW + h;
                T v = T((double(x[at]) - mean) * invstd * g + b);
                y[at] = relu && !(v > T(0) || v != v) ? T(0) : v;
            }
    }
}

template <typename T>
void batchnorm_forward_eval_reference(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma,
                                      const T* beta, int64_t N, int64_t C, int64_t HW, double eps, bool relu) {
    for (int64_t c = 0; c < C; ++c) {
        const double invstd = 1.0 / std::sqrt(double(running_var[c]) + eps);
        const double g = gamma ? double(gamma[c]) : 1.0, b = beta ? double(beta[c]) : 0.0;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) {
                const int64_t at = (i * C + c) * HW + h;
                T v = T((double(x[at]) - double(running_mean[c])) * invstd * g + b);
                y[at] = relu && !(v > T(0) || v != v) ? T(0) : v;
            }
    }
}

template <typename T>
void batchnorm_backward_reference(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu,
                                  const T* mean, const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW,
                                  bool batch_stats) {
    const double n = double(N * HW);
    auto grad = [&](int64_t at) { return y_relu && !(y_relu[at] > T(0)) ? 0.0 : double(dy[at]); };
    for (int64_t c = 0; c < C; ++c) {
        const double m = double(mean[c]), is = double(invstd[c]), g = gamma ? double(gamma[c]) : 1.0;
        double sdy = 0.0, sdyx = 0.0;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) {
                const int64_t at = (i * C + c) * HW + h;
                sdy += grad(at);
                sdyx += grad(at) * (double(x[at]) - m) * is;
            }
        if (dbeta) dbeta[c] += T(sdy);
        if (dgamma) dgamma[c] += T(sdyx);
        if (!dx) continue;
        for (int64_t i = 0; i < N; ++i)
            for (int64_t h = 0; h < HW; ++h) {
                const int64_t at = (i * C + c) * HW + h;
                const double xhat = (double(x[at]) - m) * is;
                const double d = batch_stats ? grad(at) - sdy / n - xhat * sdyx / n : grad(at);
                dx[at] += T(g * is * d);
            }
    }
}

// ---------------------------------------------------------------- the fast versions, by level

#define AX_BN_DISPATCH(FN, ...)                  \
    do {                                         \
        const Isa level = isa_level();           \
        if (level == Isa::avx512)                \
            bn_avx512::FN<T>(__VA_ARGS__);       \
        else if (level == Isa::avx2)             \
            bn_avx2::FN<T>(__VA_ARGS__);         \
        else                                     \
            bn_generic::FN<T>(__VA_ARGS__);      \
    } while (0)

template <typename T>
void batchnorm_forward_train(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var, const T* x,
                             const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW, double eps,
                             double momentum, bool relu) {
    AX_BN_DISPATCH(forward_train, y, save_mean, save_invstd, running_mean, running_var, x, gamma, beta, N, C, HW, eps,
                   momentum, relu);
}

template <typename T>
void batchnorm_forward_eval(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma,
                            const T* beta, int64_t N, int64_t C, int64_t HW, double eps, bool relu) {
    AX_BN_DISPATCH(forward_eval, y, x, running_mean, running_var, gamma, beta, N, C, HW, eps, relu);
}

template <typename T>
void batchnorm_backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu, const T* mean,
                        const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool batch_stats,
                        bool overwrite_dx) {
    AX_BN_DISPATCH(backward, dx, dgamma, dbeta, dy, x, y_relu, mean, invstd, gamma, N, C, HW, batch_stats,
                   overwrite_dx);
}
#undef AX_BN_DISPATCH

#define AXONAL_INSTANTIATE_BATCHNORM(T)                                                                            \
    template void batchnorm_forward_train<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t,  \
                                             int64_t, double, double, bool);                                      \
    template void batchnorm_forward_train_reference<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t, \
                                                       int64_t, int64_t, double, double, bool);                   \
    template void batchnorm_forward_eval<T>(T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, \
                                            int64_t, double, bool);                                                 \
    template void batchnorm_forward_eval_reference<T>(T*, const T*, const T*, const T*, const T*, const T*,        \
                                                      int64_t, int64_t, int64_t, double, bool);                    \
    template void batchnorm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*,    \
                                        int64_t, int64_t, int64_t, bool, bool);                                    \
    template void batchnorm_backward_reference<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*,    \
                                                  const T*, int64_t, int64_t, int64_t, bool);

AXONAL_INSTANTIATE_BATCHNORM(float)
AXONAL_INSTANTIATE_BATCHNORM(double)
#undef AXONAL_INSTANTIATE_BATCHNORM

}  // namespace axonal
