// Batch normalisation on the GPU, layout N x C x HW (BatchNorm2d: HW = H*W; BatchNorm1d: HW = 1 or L).
//   x, out, dout, dx: N x C x HW; gamma, beta, running_*, save_*, dgamma, dbeta: C (gamma/beta/running_*
//   may be null: scale 1, shift 0, no running update).
// Training forward, per channel c over its count = N*HW values (count >= 2, the binding checks):
//   mean = sum x / count, var = sum (x - mean)^2 / count (biased; two passes, sums in double);
//   save_mean = mean, save_invstd = 1 / sqrt(var + eps);
//   running_mean = running_mean * (1 - momentum) + momentum * mean,
//   running_var  = running_var * (1 - momentum) + momentum * var * count / (count - 1)   (as torch);
//   out = (x - mean) * (gamma * invstd) + beta, then max(0, .) when relu. OVERWRITES out.
// Eval forward: the same scale-shift with running_mean and 1 / sqrt(running_var + eps).
// Backward (of the training forward), with g = dout * (out > 0 when relu), xhat = (x - mean) * invstd:
//   dbeta += sum g, dgamma += sum g * xhat (each when not null),
//   dx += gamma * invstd * (g - sum g / count - xhat * sum(g * xhat) / count). ACCUMULATES.
// Statistics kernels run one block per channel (deterministic, no atomics); the elementwise pass runs
// planes on blockIdx.y and positions on x.
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

constexpr int kStatThreads = 512;

// Calls f(i) for the flat index i of every element of channel c, split over the block's threads: planes
// one after another when a plane fills the block, else one flat sweep (BatchNorm1d: HW = 1).
template <class F>
__device__ __forceinline__ void for_channel(int64_t N, int64_t C, int64_t HW, int64_t c, F f) {
    if (HW >= int64_t(blockDim.x)) {
        for (int64_t n = 0; n < N; ++n) {
            const int64_t base = (n * C + c) * HW;
            for (int64_t j = threadIdx.x; j < HW; j += blockDim.x) f(base + j);
        }
    } else {
        for (int64_t j = threadIdx.x; j < N * HW; j += blockDim.x) f(((j / HW) * C + c) * HW + j % HW);
    }
}

template <typename T>
__global__ void bn_stats_kernel(T* save_mean, T* save_invstd, T* running_mean, T* running_var, const T* x, int64_t N,
                                int64_t C, int64_t HW, double eps, double momentum) {
    const int64_t c = blockIdx.x;
    const double count = double(N * HW);
    double s = 0;
    for_channel(N, C, HW, c, [&](int64_t i) { s += double(x[i]); });
    const double mean = block_sum(s) / count;
    double ss = 0;
    for_channel(N, C, HW, c, [&](int64_t i) {
        const double d = double(x[i]) - mean;
        ss += d * d;
    });
    const double var = block_sum(ss) / count;
    if (threadIdx.x == 0) {
        save_mean[c] = T(mean);
        save_invstd[c] = T(1.0 / sqrt(var + eps));
        const T keep = T(1 - momentum), mom = T(momentum);
        if (running_mean) running_mean[c] = add_rn(mul_rn(running_mean[c], keep), mul_rn(mom, T(mean)));
        if (running_var)
            running_var[c] = add_rn(mul_rn(running_var[c], keep), mul_rn(mom, T(var * count / (count - 1))));
    }
}

// out = (x - mean[c]) * scale + shift with scale = gamma[c] * invstd[c], shift = beta[c]; invstd is given
// (training) or 1 / sqrt(var[c] + eps) (eval).
template <typename T>
__global__ void bn_apply_kernel(T* out, const T* x, const T* mean, const T* invstd, const T* var, const T* gamma,
                                const T* beta, int64_t planes, int64_t C, int64_t HW, double eps, bool relu) {
    for (int64_t plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const int64_t c = plane % C;
        const T is = invstd ? invstd[c] : div_rn(T(1), sqrt_rn(add_rn(var[c], T(eps))));
        const T scale = gamma ? mul_rn(gamma[c], is) : is, shift = beta ? beta[c] : T(0), mu = mean[c];
        const T* xp = x + plane * HW;
        T* op = out + plane * HW;
        for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < HW; j += int64_t(gridDim.x) * blockDim.x) {
            const T v = (xp[j] - mu) * scale + shift;
            op[j] = relu ? relu1(v) : v;
        }
    }
}

template <typename T>
__global__ void bn_backward_kernel(T* dx, T* dgamma, T* dbeta, const T* dout, const T* x, const T* out,
                                   const T* save_mean, const T* save_invstd, const T* gamma, int64_t N, int64_t C,
                                   int64_t HW, bool relu) {
    const int64_t c = blockIdx.x;
    const double count = double(N * HW);
    const T mu = save_mean[c], is = save_invstd[c];
    double sg = 0, sgx = 0;
    for_channel(N, C, HW, c, [&](int64_t i) {
        const T g = (relu && !(out[i] > T(0))) ? T(0) : dout[i];
        sg += double(g);
        sgx += double(g) * double((x[i] - mu) * is);
    });
    sg = block_sum(sg);
    sgx = block_sum(sgx);
    if (threadIdx.x == 0) {
        if (dbeta) dbeta[c] += T(sg);
        if (dgamma) dgamma[c] += T(sgx);
    }
    if (!dx) return;
    const T k = (gamma ? gamma[c] : T(1)) * is, mg = T(sg / count), mgx = T(sgx / count);
    for_channel(N, C, HW, c, [&](int64_t i) {
        const T g = (relu && !(out[i] > T(0))) ? T(0) : dout[i];
        const T xhat = (x[i] - mu) * is;
        dx[i] += k * (g - mg - xhat * mgx);
    });
}

void apply_grid(int64_t planes, int64_t HW, dim3* grid, dim3* block) {
    const int threads = HW >= kThreads ? kThreads : int((HW + 31) / 32 * 32);
    const unsigned gx = grid_for(HW, threads);
    *grid = dim3(gx, unsigned(ax_min<int64_t>(planes, ax_min<int64_t>(65535, ax_max<int64_t>(1, kMaxGridX * 4 / gx)))));
    *block = dim3(threads);
}

}  // namespace

template <typename T>
void batchnorm_forward_train(T* out, T* save_mean, T* save_invstd, const T* x, const T* gamma, const T* beta,
                             T* running_mean, T* running_var, int64_t N, int64_t C, int64_t HW, double eps,
                             double momentum, bool relu, cudaStream_t s) {
    if (C > 0) {
        launch(bn_stats_kernel<T>, dim3(unsigned(C)), dim3(kStatThreads), s, save_mean, save_invstd, running_mean,
               running_var, x, N, C, HW, eps, momentum);
        dim3 grid, block;
        apply_grid(N * C, HW, &grid, &block);
        launch(bn_apply_kernel<T>, grid, block, s, out, x, save_mean, save_invstd, static_cast<const T*>(nullptr), gamma,
               beta, N * C, C, HW, eps, relu);
    }
    check_launch("batch_norm");
}

template <typename T>
void batchnorm_forward_eval(T* out, const T* x, const T* gamma, const T* beta, const T* running_mean,
                            const T* running_var, int64_t N, int64_t C, int64_t HW, double eps, bool relu,
                            cudaStream_t s) {
    if (N * C * HW > 0) {
        dim3 grid, block;
        apply_grid(N * C, HW, &grid, &block);
        launch(bn_apply_kernel<T>, grid, block, s, out, x, running_mean, static_cast<const T*>(nullptr), running_var,
               gamma, beta, N * C, C, HW, eps, relu);
    }
    check_launch("batch_norm");
}

template <typename T>
void batchnorm_backward(T* dx, T* dgamma, T* dbeta, const T* dout, const T* x, const T* out, const T* save_mean,
                        const T* save_invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool relu,
                        cudaStream_t s) {
    if (C > 0)
        launch(bn_backward_kernel<T>, dim3(unsigned(C)), dim3(kStatThreads), s, dx, dgamma, dbeta, dout, x, out,
               save_mean, save_invstd, gamma, N, C, HW, relu);
    check_launch("batch_norm_backward");
}

#define AXONAL_INSTANTIATE(T)                                                                                      \
    template void batchnorm_forward_train<T>(T*, T*, T*, const T*, const T*, const T*, T*, T*, int64_t, int64_t,    \
                                             int64_t, double, double, bool, cudaStream_t);                         \
    template void batchnorm_forward_eval<T>(T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, \
                                            int64_t, double, bool, cudaStream_t);                                  \
    template void batchnorm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*,     \
                                        int64_t, int64_t, int64_t, bool, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
