// Softmax + cross-entropy on the GPU, the CPU kernel's definition (csrc/kernels/activation.h):
//   logits: M x C row-major; target: M int64; weight: C or nullptr (all ones); loss: M; dlogits: M x C or
//   nullptr; sums: 2 doubles on the device receiving (sum_m loss[m], sum_m valid_m * w[t_m]).
//   q[m, c] = valid_m * ((1 - smoothing) * w[t_m] * [c == t_m] + smoothing / C * w[c]), valid_m: t_m != ignore
//   loss[m] = -sum_c q[m, c] * log_softmax(logits)[m, c]      (0 for ignored rows)
//   dlogits[m, c] = softmax[m, c] * sum_c' q[m, c'] - q[m, c]   (the gradient of sum_m loss[m])
// One warp per row: exponentials in T, row sums in double (as the CPU), combined by a shuffle tree, so
// results agree with the CPU to double rounding of those sums (and the GPU's expf/logf ulps). The two
// totals come from a second one-block kernel that adds the rows in a fixed order: deterministic, and
// nothing is read back to the host. A target outside [0, C) that is not ignore_index gives a NaN loss and
// gradient row (check_targets reports the first such row, also on the device).
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

constexpr int kRowsPerBlock = 4;  // 4 warps = 128 threads per block

template <typename T>
__global__ void xent_rows_kernel(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight,
                                 int64_t M, int64_t C, int64_t ignore_index, double smoothing) {
    const int lane = int(threadIdx.x % 32);
    for (int64_t m = int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / 32; m < M;
         m += int64_t(gridDim.x) * kRowsPerBlock) {
        const T* row = logits + m * C;
        T* drow = dlogits ? dlogits + m * C : nullptr;
        const int64_t t = target[m];
        if (t == ignore_index || t < 0 || t >= C) {
            // An ignored row gives 0. A target out of range (softmax_cross_entropy_check_targets finds those
            // first) gives NaN instead of reading outside the row: a bad label must not fault the device.
            const T fillv = t == ignore_index ? T(0) : T(NAN);
            if (lane == 0) loss[m] = fillv;
            if (drow)
                for (int64_t c = lane; c < C; c += 32) drow[c] = fillv;
            continue;
        }
        T mx = -INFINITY;
        for (int64_t c = lane; c < C; c += 32) mx = row[c] > mx ? row[c] : mx;
        mx = warp_max(mx);
        double se = 0;
        for (int64_t c = lane; c < C; c += 32) se += double(exp_t(T(row[c] - mx)));
        se = warp_sum(se);
        const double lse = double(mx) + log(se);
        const double hot = (1.0 - smoothing) * (weight ? double(weight[t]) : 1.0);
        const double spread = smoothing / double(C);
        double l = -hot * (double(row[t]) - lse);
        double wsum_all = double(C);
        if (smoothing != 0) {
            double acc = 0, ws = 0;
            for (int64_t c = lane; c < C; c += 32) {
                const double w = weight ? double(weight[c]) : 1.0;
                acc += w * (double(row[c]) - lse);
                ws += w;
            }
            acc = warp_sum(acc);
            if (weight) wsum_all = warp_sum(ws);
            l -= spread * acc;
        }
        if (lane == 0) loss[m] = T(l);
        if (!drow) continue;
        const double scale = (hot + spread * wsum_all) / se;
        for (int64_t c = lane; c < C; c += 32) {
            const T e = exp_t(T(row[c] - mx));
            const double q = spread * (weight ? double(weight[c]) : 1.0) + (c == t ? hot : 0.0);
            drow[c] = T(double(e) * scale - q);
        }
    }
}

template <typename T>
__global__ void xent_sums_kernel(double* sums, const T* loss, const int64_t* target, const T* weight, int64_t M,
                                 int64_t C, int64_t ignore_index) {
    double ls = 0, ws = 0;
    for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
        ls += double(loss[m]);
        const int64_t t = target[m];
        if (t != ignore_index) ws += weight ? (t >= 0 && t < C ? double(weight[t]) : double(NAN)) : 1.0;
    }
    ls = block_sum(ls);
    ws = block_sum(ws);
    if (threadIdx.x == 0) {
        sums[0] = ls;
        sums[1] = ws;
    }
}

// result[0] = the first row whose target is neither ignore_index nor in [0, C), or -1.
__global__ void xent_check_targets_kernel(const int64_t* target, int64_t M, int64_t C, int64_t ignore_index,
                                          int64_t* result) {
    __shared__ long long part[32];
    long long first = M;
    for (int64_t m = threadIdx.x; m < M; m += blockDim.x) {
        const int64_t t = target[m];
        if (t != ignore_index && (t < 0 || t >= C)) {
            first = m;
            break;
        }
    }
    for (int o = 16; o > 0; o >>= 1) first = ax_min(first, __shfl_xor_sync(0xffffffffu, first, o));
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = first;
    __syncthreads();
    if (threadIdx.x == 0) {
        for (unsigned w = 1; w < blockDim.x / 32; ++w) first = ax_min(first, part[w]);
        result[0] = first < M ? int64_t(first) : int64_t(-1);
    }
}

}  // namespace

template <typename T>
void softmax_cross_entropy(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight, int64_t M,
                           int64_t C, int64_t ignore_index, double smoothing, double* sums, cudaStream_t s) {
    if (M > 0) {
        const unsigned blocks = grid_for((M + kRowsPerBlock - 1) / kRowsPerBlock, 1);
        launch(xent_rows_kernel<T>, dim3(blocks), dim3(32 * kRowsPerBlock), s, loss, dlogits, logits, target, weight, M,
               C, ignore_index, smoothing);
    }
    launch(xent_sums_kernel<T>, dim3(1), dim3(kThreads), s, sums, loss, target, weight, M, C, ignore_index);
    check_launch("cross_entropy");
}

void softmax_cross_entropy_check_targets(const int64_t* target, int64_t M, int64_t C, int64_t ignore_index,
                                         int64_t* result, cudaStream_t s) {
    launch(xent_check_targets_kernel, dim3(1), dim3(kThreads), s, target, M, C, ignore_index, result);
    check_launch("cross_entropy");
}

#define AXONAL_INSTANTIATE(T)                                                                                  \
    template void softmax_cross_entropy<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, int64_t, \
                                           double, double*, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
