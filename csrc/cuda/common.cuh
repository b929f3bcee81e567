// Shared by every csrc/cuda/*.cu: the CUDA headers (or the emulation header when the sources are
// compiled as C++ for axonal._C_cuda_emu), the one launch helper, and small device helpers.
#pragma once
#include <cstdint>

#if defined(AXONAL_CUDA_EMU)
#include <tuple>

#include "cuda/emu/emu.h"
#else
#include <cuda_runtime.h>
#endif

#include "cuda/kernels.h"

namespace axonal {
namespace cuda {

// Launches kernel<<<grid, block, 0, stream>>>(args...) (arguments converted to the kernel's parameter
// types first). Under emulation: runs the grid now, each thread calling kernel(args...) with its own copy
// of the arguments. Errors surface through cudaGetLastError (check_launch).
template <typename... Params, typename... Args>
inline void launch(void (*kernel)(Params...), dim3 grid, dim3 block, cudaStream_t stream, Args... args) {
    static_assert(sizeof...(Params) == sizeof...(Args), "launch: wrong number of kernel arguments");
#if defined(AXONAL_CUDA_EMU)
    struct Ctx {
        void (*kernel)(Params...);
        std::tuple<std::decay_t<Params>...> args;
    } ctx{kernel, std::tuple<std::decay_t<Params>...>(static_cast<std::decay_t<Params>>(args)...)};
    const emu::Thunk body{[](const void* p) {
                              const Ctx& c = *static_cast<const Ctx*>(p);
                              std::apply(c.kernel, c.args);
                          },
                          &ctx};
    emu::launch(grid, block, 0, stream, body);
#else
    kernel<<<grid, block, 0, stream>>>(static_cast<Params>(args)...);
#endif
}

// Throws std::runtime_error("[op] CUDA error ...") when the last launch (or an earlier asynchronous
// failure) left an error; never synchronises.
void check_launch(const char* op);

// ---------------------------------------------------------------- sizes

constexpr int kThreads = 256;  // block size of the elementwise kernels: 8 warps, a good default occupancy
// Grid-stride kernels stop growing the grid here. On a GPU, 65536 blocks of 256 threads (16M threads) is far
// more than an H200 holds at once (132 SMs x 2048 threads = 270K), so the threads already loop and a larger
// grid only adds block scheduling. The emulation runs every thread as a fiber (tens of ns to start one, on
// its own stack), so it caps the grid at 16 blocks (4096 threads) and lets each thread loop longer; the
// grid-stride loops are the same code.
#if defined(AXONAL_CUDA_EMU)
constexpr int64_t kMaxGridX = 16;
#else
constexpr int64_t kMaxGridX = 65536;
#endif

inline unsigned grid_for(int64_t n, int threads = kThreads) {
    int64_t blocks = (n + threads - 1) / threads;
    if (blocks < 1) blocks = 1;
    return unsigned(blocks < kMaxGridX ? blocks : kMaxGridX);
}

// ---------------------------------------------------------------- device helpers

template <typename T>
__host__ __device__ __forceinline__ T ax_min(T a, T b) {
    return b < a ? b : a;
}
template <typename T>
__host__ __device__ __forceinline__ T ax_max(T a, T b) {
    return a < b ? b : a;
}

// numpy.maximum(v, 0): NaN passes, -0.0 becomes +0.0.
template <typename T>
__device__ __forceinline__ T relu1(T v) {
    return (v > T(0) || v != v) ? v : T(0);
}

// One correctly rounded IEEE operation each, never fused into an FMA by nvcc: the optimizer and
// activation kernels must give the CPU kernels' bits.
__device__ __forceinline__ float add_rn(float a, float b) { return __fadd_rn(a, b); }
__device__ __forceinline__ double add_rn(double a, double b) { return __dadd_rn(a, b); }
__device__ __forceinline__ float sub_rn(float a, float b) { return __fsub_rn(a, b); }
__device__ __forceinline__ double sub_rn(double a, double b) { return __dsub_rn(a, b); }
__device__ __forceinline__ float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ __forceinline__ double mul_rn(double a, double b) { return __dmul_rn(a, b); }
__device__ __forceinline__ float div_rn(float a, float b) { return __fdiv_rn(a, b); }
__device__ __forceinline__ double div_rn(double a, double b) { return __ddiv_rn(a, b); }
__device__ __forceinline__ float sqrt_rn(float a) { return __fsqrt_rn(a); }
__device__ __forceinline__ double sqrt_rn(double a) { return __dsqrt_rn(a); }

__device__ __forceinline__ float exp_t(float x) { return expf(x); }
__device__ __forceinline__ double exp_t(double x) { return exp(x); }

// Warp reductions (all 32 lanes must take part; every lane gets the result).
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
template <typename T>
__device__ __forceinline__ T warp_max(T v) {
    for (int o = 16; o > 0; o >>= 1) v = ax_max(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, every thread calling); every thread gets the
// total, added in the same order by all of them. Starts with a barrier so back-to-back calls can reuse
// the scratch array.
template <typename T>
__device__ T block_sum(T v) {
    __shared__ T part[32];
    v = warp_sum(v);
    __syncthreads();
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
    __syncthreads();
    T total = T(0);
    for (unsigned w = 0; w < blockDim.x / 32; ++w) total += part[w];
    return total;
}

// The 16-byte vector of T (float4 / double2) and how many T it holds.
template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
    using type = float4;
    static constexpr int n = 4;
};
template <>
struct Vec16<double> {
    using type = double2;
    static constexpr int n = 2;
};

}  // namespace cuda
}  // namespace axonal
