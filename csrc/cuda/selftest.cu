// Known-answer kernels for the execution model itself: barriers and shared memory, the built-in indices,
// warp shuffles and votes, atomics, block reductions. tests/test_cuda_emulated_kernels.py runs them
// under the emulation (and they run unchanged on a GPU, to compare). Output layouts:
//   shared_exchange  out[b*threads + t] = the value thread (mode 0: threads-1-t, mode 1: max(t-1, 0)) of
//                    block b wrote to shared memory, 1000*b + t + 1; with_barrier = false drops the
//                    __syncthreads between the write and the read (a bug the schedules must expose)
//   indices          12 ints per thread of the grid, in linear order: threadIdx, blockIdx, blockDim, gridDim
//   shuffles         per thread (64-thread blocks): 8 ints, 2 floats, 2 doubles (see the kernel)
//   votes            per thread: ballot(lane % 3 == 0), any(lane == 17 && warp even), all(1), all(lane != 5)
//   atomics          ints: [count, max id, min -id, CAS count, exchange], ulls: [count, or-bits],
//                    floats: [0.5 * count], doubles: [0.25 * count]
//   block_sum        out = [sum in, sum in^2] from one block of `threads`
//   divergent_shuffle  half a warp shuffles while the other half waits at __syncthreads: undefined on a
//                    GPU, a reported deadlock under the emulation (never call it on a GPU)
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

__global__ void shared_exchange_kernel(int* out, int mode, bool with_barrier) {
    __shared__ int buf[1024];
    const int t = int(threadIdx.x), n = int(blockDim.x);
    buf[t] = 1000 * int(blockIdx.x) + t + 1;
    if (with_barrier) __syncthreads();
    const int src = mode == 0 ? n - 1 - t : (t > 0 ? t - 1 : 0);
    out[int64_t(blockIdx.x) * n + t] = buf[src];
}

__global__ void indices_kernel(int* out) {
    const int64_t block = blockIdx.x + int64_t(gridDim.x) * (blockIdx.y + int64_t(gridDim.y) * blockIdx.z);
    const int64_t thread = threadIdx.x + int64_t(blockDim.x) * (threadIdx.y + int64_t(blockDim.y) * threadIdx.z);
    int* o = out + 12 * (block * blockDim.x * blockDim.y * blockDim.z + thread);
    const unsigned v[12] = {threadIdx.x, threadIdx.y, threadIdx.z, blockIdx.x, blockIdx.y, blockIdx.z,
                            blockDim.x,  blockDim.y,  blockDim.z,  gridDim.x,  gridDim.y,  gridDim.z};
    for (int i = 0; i < 12; ++i) o[i] = int(v[i]);
}

__global__ void shuffles_kernel(int* oi, float* of, double* od, int threads) {
    const int gid = int(blockIdx.x * blockDim.x + threadIdx.x);
    const int lane = int(threadIdx.x % 32), warp = gid / 32;
    const int v = lane * 10 + warp * 1000;
    const unsigned full = 0xffffffffu;
    int r[8];
    r[0] = __shfl_sync(full, v, (lane * 7 + 3) % 32);
    r[1] = __shfl_down_sync(full, v, 3);
    r[2] = __shfl_up_sync(full, v, 5);
    r[3] = __shfl_xor_sync(full, v, 6);
    r[4] = __shfl_sync(full, v, lane + 1, 8);
    r[5] = __shfl_down_sync(full, v, 2, 16);
    r[6] = __shfl_xor_sync(full, v, 9, 8);
    r[7] = warp_sum(v);
    const float f0 = __shfl_xor_sync(full, float(v) * 0.5f, 1), f1 = warp_max(float(v) * 0.5f);
    const double d0 = __shfl_sync(full, double(v) * 0.25, 31 - lane), d1 = __shfl_down_sync(full, double(v) * 0.25, 16);
    if (gid >= threads) return;
    for (int i = 0; i < 8; ++i) oi[8 * gid + i] = r[i];
    of[2 * gid] = f0, of[2 * gid + 1] = f1;
    od[2 * gid] = d0, od[2 * gid + 1] = d1;
}

__global__ void votes_kernel(unsigned* out) {
    const int gid = int(blockIdx.x * blockDim.x + threadIdx.x);
    const int lane = int(threadIdx.x % 32), warp = gid / 32;
    const unsigned full = 0xffffffffu;
    out[4 * gid + 0] = __ballot_sync(full, lane % 3 == 0);
    out[4 * gid + 1] = unsigned(__any_sync(full, lane == 17 && warp % 2 == 0));
    out[4 * gid + 2] = unsigned(__all_sync(full, 1));
    out[4 * gid + 3] = unsigned(__all_sync(full, lane != 5));
}

__global__ void atomics_kernel(int* ints, unsigned long long* ulls, float* floats, double* doubles) {
    const int gid = int(blockIdx.x * blockDim.x + threadIdx.x);
    atomicAdd(ints + 0, 1);
    atomicMax(ints + 1, gid);
    atomicMin(ints + 2, -gid);
    int old = ints[3], seen;
    do {
        seen = old;
        old = atomicCAS(ints + 3, seen, seen + 1);
    } while (old != seen);
    atomicExch(ints + 4, gid);
    atomicAdd(ulls + 0, 1ull);
    atomicOr(ulls + 1, 1ull << (gid % 64));
    atomicAdd(floats + 0, 0.5f);
    atomicAdd(doubles + 0, 0.25);
}

__global__ void block_sum_kernel(double* out, const double* in, int n) {
    double s = 0, s2 = 0;
    for (int i = int(threadIdx.x); i < n; i += int(blockDim.x)) {
        s += in[i];
        s2 += in[i] * in[i];
    }
    s = block_sum(s);
    s2 = block_sum(s2);
    if (threadIdx.x == 0) out[0] = s, out[1] = s2;
}

__global__ void divergent_shuffle_kernel(int* out) {
    const int lane = int(threadIdx.x % 32);
    int v = lane;
    if (lane < 16)
        v = __shfl_xor_sync(0x0000ffffu, v, 1);
    else
        __syncthreads();
    out[threadIdx.x] = v;
}

}  // namespace

void selftest_shared_exchange(int* out, int threads, int blocks, int mode, bool with_barrier, cudaStream_t s) {
    launch(shared_exchange_kernel, dim3(unsigned(blocks)), dim3(unsigned(threads)), s, out, mode, with_barrier);
    check_launch("selftest_shared_exchange");
}

void selftest_indices(int* out, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                      cudaStream_t s) {
    launch(indices_kernel, dim3(gx, gy, gz), dim3(bx, by, bz), s, out);
    check_launch("selftest_indices");
}

void selftest_shuffles(int* oi, float* of, double* od, int warps, cudaStream_t s) {
    launch(shuffles_kernel, dim3(unsigned((warps + 1) / 2)), dim3(64), s, oi, of, od, warps * 32);
    check_launch("selftest_shuffles");
}

void selftest_votes(unsigned* out, int warps, cudaStream_t s) {
    launch(votes_kernel, dim3(unsigned(warps)), dim3(32), s, out);
    check_launch("selftest_votes");
}

void selftest_atomics(int* ints, unsigned long long* ulls, float* floats, double* doubles, int blocks, int threads,
                      cudaStream_t s) {
    launch(atomics_kernel, dim3(unsigned(blocks)), dim3(unsigned(threads)), s, ints, ulls, floats, doubles);
    check_launch("selftest_atomics");
}

void selftest_block_sum(double* out, const double* in, int n, int threads, cudaStream_t s) {
    launch(block_sum_kernel, dim3(1), dim3(unsigned(threads)), s, out, in, n);
    check_launch("selftest_block_sum");
}

void selftest_divergent_shuffle(int* out, cudaStream_t s) {
    launch(divergent_shuffle_kernel, dim3(1), dim3(32), s, out);
    check_launch("selftest_divergent_shuffle");
}

}  // namespace cuda
}  // namespace axonal
