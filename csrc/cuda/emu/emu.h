// CUDA C++, emulated on the CPU: the part of the CUDA surface that csrc/cuda/*.cu use, so that the same
// sources compile as plain C++17 (g++ -x c++) into axonal._C_cuda_emu. See runtime.h for how a grid runs.
//
// What maps to what:
//   __global__ / __device__ / __host__ / __forceinline__ / __launch_bounds__   plain C++ (or nothing)
//   __shared__            `static`: one object per kernel, shared by the threads of the (one) running block
//   threadIdx ...         the running fiber's indices; blockIdx / blockDim / gridDim of the launch
//   __syncthreads         a block barrier (the fiber yields); __syncwarp a warp barrier
//   __shfl*_sync, votes   a per-warp exchange buffer and a warp barrier; full warps only (mask ignored)
//   atomic*               GCC __atomic builtins (compare-and-swap loops for floating point and min/max)
//   cudaStream_t          an opaque pointer, ignored: launches run synchronously, in order
// Not emulated: dynamic shared memory, cooperative groups, textures, warp-synchronous code without
// __syncwarp, memory-model subtleties (blocks run one after another, so there are no data races between
// blocks to find; races inside a block show up through the schedules).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda/emu/runtime.h"

#define AXONAL_CUDA_EMU_ACTIVE 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __shared__ static

// ---------------------------------------------------------------- vector types and indices

using uint3 = axonal::emu::uint3_t;

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
    constexpr operator uint3() const { return {x, y, z}; }
};

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

#define threadIdx (static_cast<const uint3&>(::axonal::emu::current->idx))
#define blockIdx (static_cast<const uint3&>(::axonal::emu::launch_info.block_idx))
#define blockDim (static_cast<const uint3&>(::axonal::emu::launch_info.block_dim))
#define gridDim (static_cast<const uint3&>(::axonal::emu::launch_info.grid_dim))
constexpr int warpSize = 32;

// ---------------------------------------------------------------- barriers, shuffles, votes

inline void __syncthreads() { ::axonal::emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { ::axonal::emu::sync_warp(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

namespace axonal {
namespace emu {
template <typename T>
inline T shuffle_from(T v, int src) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffles move up to 8 bytes");
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    bits = exchange(bits, src);
    T out;
    std::memcpy(&out, &bits, sizeof(T));
    return out;
}
inline int lane_id() { return int(current->lane); }
}  // namespace emu
}  // namespace axonal

// Lane arithmetic as in the CUDA programming guide: a warp splits into segments of `width` lanes; a
// source outside the caller's segment (down/up/xor) returns the caller's own value.
template <typename T>
inline T __shfl_sync(unsigned, T var, int src_lane, int width = warpSize) {
    const int lane = axonal::emu::lane_id();
    return axonal::emu::shuffle_from(var, (lane & ~(width - 1)) | (src_lane & (width - 1)));
}
template <typename T>
inline T __shfl_down_sync(unsigned, T var, unsigned delta, int width = warpSize) {
    const int lane = axonal::emu::lane_id();
    const int in_seg = lane & (width - 1);
    return axonal::emu::shuffle_from(var, in_seg + int(delta) < width ? lane + int(delta) : lane);
}
template <typename T>
inline T __shfl_up_sync(unsigned, T var, unsigned delta, int width = warpSize) {
    const int lane = axonal::emu::lane_id();
    const int in_seg = lane & (width - 1);
    return axonal::emu::shuffle_from(var, in_seg >= int(delta) ? lane - int(delta) : lane);
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T var, int lane_mask, int width = warpSize) {
    const int lane = axonal::emu::lane_id();
    const int src = lane ^ lane_mask;
    return axonal::emu::shuffle_from(var, (src & ~(width - 1)) == (lane & ~(width - 1)) ? src : lane);
}
inline unsigned __ballot_sync(unsigned mask, int pred) { return axonal::emu::ballot(pred != 0) & mask; }
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }
inline unsigned __activemask() { return 0xffffffffu; }

// ---------------------------------------------------------------- atomics

namespace axonal {
namespace emu {
template <typename T, typename F>
inline T atomic_update(T* addr, F f) {
    T old = __atomic_load_n(addr, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(addr, &old, f(old), true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
    return old;
}
template <typename T, typename F>
inline T atomic_update_float(T* addr, F f) {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    Bits* p = reinterpret_cast<Bits*>(addr);
    Bits old = __atomic_load_n(p, __ATOMIC_RELAXED), next;
    T oldv, newv;
    do {
        std::memcpy(&oldv, &old, sizeof(T));
        newv = f(oldv);
        std::memcpy(&next, &newv, sizeof(T));
    } while (!__atomic_compare_exchange_n(p, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return oldv;
}
}  // namespace emu
}  // namespace axonal

#define AXONAL_EMU_INT_ATOMICS(T)                                                                         \
    inline T atomicAdd(T* a, T v) { return __atomic_fetch_add(a, v, __ATOMIC_RELAXED); }                 \
    inline T atomicSub(T* a, T v) { return __atomic_fetch_sub(a, v, __ATOMIC_RELAXED); }                 \
    inline T atomicAnd(T* a, T v) { return __atomic_fetch_and(a, v, __ATOMIC_RELAXED); }                 \
    inline T atomicOr(T* a, T v) { return __atomic_fetch_or(a, v, __ATOMIC_RELAXED); }                   \
    inline T atomicXor(T* a, T v) { return __atomic_fetch_xor(a, v, __ATOMIC_RELAXED); }                 \
    inline T atomicExch(T* a, T v) { return __atomic_exchange_n(a, v, __ATOMIC_RELAXED); }               \
    inline T atomicMax(T* a, T v) {                                                                       \
        return axonal::emu::atomic_update(a, [v](T o) { return o < v ? v : o; });                         \
    }                                                                                                     \
    inline T atomicMin(T* a, T v) {                                                                       \
        return axonal::emu::atomic_update(a, [v](T o) { return v < o ? v : o; });                         \
    }                                                                                                     \
    inline T atomicCAS(T* a, T cmp, T v) {                                                                \
        __atomic_compare_exchange_n(a, &cmp, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);               \
        return cmp;                                                                                       \
    }
AXONAL_EMU_INT_ATOMICS(int)
AXONAL_EMU_INT_ATOMICS(unsigned)
AXONAL_EMU_INT_ATOMICS(long long)
AXONAL_EMU_INT_ATOMICS(unsigned long long)
#undef AXONAL_EMU_INT_ATOMICS

inline float atomicAdd(float* a, float v) {
    return axonal::emu::atomic_update_float(a, [v](float o) { return o + v; });
}
inline double atomicAdd(double* a, double v) {
    return axonal::emu::atomic_update_float(a, [v](double o) { return o + v; });
}
inline float atomicExch(float* a, float v) {
    return axonal::emu::atomic_update_float(a, [v](float) { return v; });
}

// ---------------------------------------------------------------- math and bit casts

inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
// The _rn intrinsics: one IEEE operation each, never contracted into an FMA (the emulation module is
// built with -ffp-contract=off; nvcc never contracts these).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline int __float_as_int(float f) {
    int i;
    std::memcpy(&i, &f, 4);
    return i;
}
inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, 4);
    return f;
}
inline long long __double_as_longlong(double d) {
    long long i;
    std::memcpy(&i, &d, 8);
    return i;
}
inline double __longlong_as_double(long long i) {
    double d;
    std::memcpy(&d, &i, 8);
    return d;
}
template <typename T>
inline T __ldg(const T* p) {
    return *p;
}

// ---------------------------------------------------------------- the runtime API the sources use

using cudaStream_t = CUstream_st*;
enum cudaError_t : int { cudaSuccess = 0, cudaErrorInvalidConfiguration = 9, cudaErrorLaunchFailure = 719 };
inline cudaError_t cudaGetLastError() { return cudaError_t(axonal::emu::take_last_error()); }
inline cudaError_t cudaPeekAtLastError() { return cudaError_t(axonal::emu::peek_last_error()); }
inline const char* cudaGetErrorString(cudaError_t e) {
    switch (e) {
        case cudaSuccess: return "no error";
        case cudaErrorInvalidConfiguration: return "invalid configuration argument";
        case cudaErrorLaunchFailure: return "unspecified launch failure";
    }
    return "unknown error";
}
