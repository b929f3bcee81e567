// Fused optimizer updates on the GPU, torch.optim's rules exactly as csrc/kernels/optim_update.h states
// them: every operation in T, each hyperparameter first rounded to T, in the same order, each one a
// separately rounded IEEE operation (the *_rn helpers: nvcc may not contract them into FMAs), so the
// results equal the CPU kernels' bit for bit. p, g and the state arrays: n elements each, distinct.
//   sgd_update: d = g (or -g when maximize) [+ p * weight_decay]; with momentum: buf = d on the first step
//     (init_buf), else buf = buf * momentum + d * (1 - dampening); d = nesterov ? d + buf * momentum : buf;
//     p = p + d * (-lr).
//   adam_update (step t counted by the caller, step_size = lr / (1 - beta1^t),
//     bias_correction2_sqrt = sqrt(1 - beta2^t)): decoupled (AdamW) scales p by (1 - lr * weight_decay)
//     first; coupled (Adam) adds p * weight_decay to d; exp_avg += (d - exp_avg) * (1 - beta1);
//     exp_avg_sq = exp_avg_sq * beta2 + (d * d) * (1 - beta2); amsgrad (max_exp_avg_sq not null) keeps the
//     running max (NaN wins); p = p + (exp_avg / (sqrt(v) / bias_correction2_sqrt + eps)) * (-step_size).
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

template <typename T>
struct SgdArgs {
    T lr_neg, mom, damp1, wd;
    bool decay, use_momentum, init_buf, nesterov, maximize;
};

template <typename T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, int64_t n, SgdArgs<T> a) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        const T pi = p[i];
        T d;
        if (a.decay)
            d = a.maximize ? sub_rn(mul_rn(pi, a.wd), g[i]) : add_rn(mul_rn(pi, a.wd), g[i]);
        else
            d = a.maximize ? -g[i] : g[i];
        if (a.use_momentum) {
            const T bi = a.init_buf ? d : add_rn(mul_rn(buf[i], a.mom), mul_rn(d, a.damp1));
            buf[i] = bi;
            d = a.nesterov ? add_rn(d, mul_rn(bi, a.mom)) : bi;
        }
        p[i] = add_rn(pi, mul_rn(d, a.lr_neg));
    }
}

template <typename T>
struct AdamArgs {
    T shrink, wd, c1, beta2, c2, bc2, eps, step_neg;
    bool decoupled_decay, coupled_decay, maximize;
};

// np.maximum: NaN in either operand wins (the first when both are NaN).
template <typename T>
__device__ __forceinline__ T nan_max(T a, T b) {
    return (a != a || a >= b) ? a : b;
}

template <typename T>
__global__ void adam_kernel(T* p, const T* g, T* m1, T* m2, T* mx, int64_t n, AdamArgs<T> a) {
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        T pi = p[i];
        if (a.decoupled_decay) pi = mul_rn(pi, a.shrink);
        T d;
        if (a.coupled_decay)
            d = a.maximize ? sub_rn(mul_rn(pi, a.wd), g[i]) : add_rn(mul_rn(pi, a.wd), g[i]);
        else
            d = a.maximize ? -g[i] : g[i];
        T e = m1[i];
        e = add_rn(e, mul_rn(sub_rn(d, e), a.c1));
        m1[i] = e;
        T v = add_rn(mul_rn(m2[i], a.beta2), mul_rn(mul_rn(d, d), a.c2));
        m2[i] = v;
        if (mx) {
            v = nan_max(mx[i], v);
            mx[i] = v;
        }
        const T den = add_rn(div_rn(sqrt_rn(v), a.bc2), a.eps);
        p[i] = add_rn(pi, mul_rn(div_rn(e, den), a.step_neg));
    }
}

}  // namespace

template <typename T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double dampening,
                double weight_decay, bool nesterov, bool maximize, bool init_buf, cudaStream_t s) {
    const SgdArgs<T> a{T(-lr),           T(momentum), T(1 - dampening), T(weight_decay), weight_decay != 0,
                       momentum != 0,    init_buf,    nesterov,         maximize};
    if (n > 0) launch(sgd_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, p, g, buf, n, a);
    check_launch("sgd_update");
}

template <typename T>
void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n, double lr, double beta1,
                 double beta2, double eps, double weight_decay, bool decoupled, bool maximize, double step_size,
                 double bias_correction2_sqrt, cudaStream_t s) {
    const bool decay = weight_decay != 0;
    const AdamArgs<T> a{T(1 - lr * weight_decay), T(weight_decay),  T(1 - beta1),        T(beta2),
                        T(1 - beta2),             T(bias_correction2_sqrt), T(eps),       T(-step_size),
                        decay && decoupled,       decay && !decoupled,      maximize};
    if (n > 0)
        launch(adam_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, p, g, exp_avg, exp_avg_sq, max_exp_avg_sq, n, a);
    check_launch("adam_update");
}

#define AXONAL_INSTANTIATE(T)                                                                                      \
    template void sgd_update<T>(T*, const T*, T*, int64_t, double, double, double, double, bool, bool, bool,       \
                                cudaStream_t);                                                                     \
    template void adam_update<T>(T*, const T*, T*, T*, T*, int64_t, double, double, double, double, double, bool, \
                                 bool, double, double, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
