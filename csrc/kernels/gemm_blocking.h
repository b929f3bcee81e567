// Blocking constants and micro-kernels for gemm.cpp: the one place where tile and cache sizes live.
//
// A micro-kernel computes C[0:mr, 0:nr] += Apanel (kc x MR, column-major slivers) * Bpanel (kc x NR,
// row-major slivers); mr <= MR and nr <= NR handle the ragged edges.
//
// How the sizes were chosen (x86-64 with 32 KiB L1d, 512 KiB-1 MiB L2 per core, a shared L3):
//   MR x NR: the register tile. AVX2 has 16 ymm registers; a 6 x 16 float tile is 12 accumulators
//            + 2 for the B row + 1 broadcast of A = 15, the largest that fits (BLIS's Haswell choice).
//            For double the same register budget gives 6 x 8.
//   KC:      one B sliver (KC x NR) plus one A sliver (KC x MR) should stay in L1 while the micro-kernel
//            streams them: 256 * (16 + 6) * 4 B = 22 KiB < 32 KiB.
//   MC:      the packed A block (MC x KC) stays in L2: 144 * 256 * 4 B = 144 KiB, leaving room for the
//            B slivers flowing through; kept a multiple of MR and small enough that M = 1024 splits into
//            several blocks per thread for load balance.
//   NC:      the packed B panel (KC x NC) lives in L3 and is shared by all threads: 256 * 4096 * 4 B = 4 MiB.
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
using MicroKernel = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr);

struct BlockingAvx2F32 {
    static constexpr int MR = 6, NR = 16;
    static constexpr int64_t MC = 144, KC = 256, NC = 4096;
};
struct BlockingAvx2F64 {
    static constexpr int MR = 6, NR = 8;
    static constexpr int64_t MC = 96, KC = 256, NC = 2048;
};
// Portable path: a tile the compiler can auto-vectorize with baseline SSE2 / NEON.
struct BlockingGenericF32 {
    static constexpr int MR = 4, NR = 8;
    static constexpr int64_t MC = 128, KC = 256, NC = 2048;
};
struct BlockingGenericF64 {
    static constexpr int MR = 4, NR = 4;
    static constexpr int64_t MC = 128, KC = 256, NC = 2048;
};

// Portable micro-kernel: accumulates the full MR x NR tile in a local array, then adds the valid part.
template <typename T, typename Blocking>
void microkernel_generic_impl(int64_t kc, const T* a, const T* b, T* c, int64_t ldc, int64_t mr, int64_t nr) {
    constexpr int MR = Blocking::MR, NR = Blocking::NR;
    T acc[MR][NR] = {};
    for (int64_t k = 0; k < kc; ++k) {
        const T* ak = a + k * MR;
        const T* bk = b + k * NR;
        for (int i = 0; i < MR; ++i)
            for (int j = 0; j < NR; ++j) acc[i][j] += ak[i] * bk[j];
    }
    for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] += acc[i][j];
}

template <typename T, typename Blocking>
MicroKernel<T> microkernel_generic() {
    return &microkernel_generic_impl<T, Blocking>;
}

// Defined in gemm_avx2.cpp (compiled with -mavx2 -mfma). cpu_has_avx2_fma() is false when that file
// was built without AVX2 support or the running CPU lacks it; the other two are then never called.
bool cpu_has_avx2_fma();
MicroKernel<float> microkernel_avx2_f32();
MicroKernel<double> microkernel_avx2_f64();

}  // namespace axonal
