// The GEMM entry points of one instruction-set level: GemmAt<level, T> (T = float or double) holds the driver of
// gemm_driver.h instantiated with that level's kernel set, with gemm.h's contract after its trivial cases (M, N,
// K > 0, alpha != 0). gemm.cpp dispatches to them by isa_level().
//
// The member functions are written once, in gemm_level_impl.h, and compiled once per level by the file built with
// that level's flags: gemm_avx512.cpp, gemm_avx2.cpp, gemm.cpp (generic). Each of those files says which kernel set
// its level uses (a KernelsAt specialization) and instantiates GemmAt for its level; a file built without its
// level's support (another CPU family, a compiler without the flags) instantiates nothing, and gemm.cpp then never
// calls it (cpu_isa.cpp's isa_level() checks the same AXONAL_HAVE_* guards).
#pragma once
#include <cstdint>

#include "kernels/cpu_isa.h"

namespace axonal {

// The kernel set (gemm_driver.h's interface) of level L for T, as `type`; specialized by that level's file.
template <Isa L, typename T>
struct KernelsAt;

template <Isa L, typename T>
struct GemmAt {
    // C = alpha * op(A) * op(B) + beta * C (gemm() in gemm.h).
    static void run(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                    const T* B, int64_t ldb, T beta, T* C, int64_t ldc);
    // Pre-packed A (gemm_packed_a_size, gemm_pack_a, gemm_with_packed_a in gemm.h).
    static int64_t packed_a_size(int64_t M, int64_t K);
    static void pack_a(bool transA, const T* A, int64_t lda, int64_t M, int64_t K, T* out);
    static void with_packed_a(int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, bool transB, const T* B,
                              int64_t ldb, T beta, T* C, int64_t ldc);
    // Pre-packed B (gemm_packed_b_size, gemm_pack_b, gemm_with_packed_b in gemm.h).
    static int64_t packed_b_size(int64_t K, int64_t N);
    static void pack_b(bool transB, const T* B, int64_t ldb, int64_t K, int64_t N, T* out);
    static void with_packed_b(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* Bp,
                              T beta, T* C, int64_t ldc);
};

// Instantiated only in their levels' files (each with its flags), never implicitly where they are called.
extern template struct GemmAt<Isa::generic, float>;
extern template struct GemmAt<Isa::generic, double>;
extern template struct GemmAt<Isa::avx2, float>;
extern template struct GemmAt<Isa::avx2, double>;
extern template struct GemmAt<Isa::avx512, float>;
extern template struct GemmAt<Isa::avx512, double>;

}  // namespace axonal
