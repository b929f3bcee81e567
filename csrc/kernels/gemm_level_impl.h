// GemmAt's member functions (gemm_level.h), for whichever level the including file specialized KernelsAt for.
// Include only from gemm_avx512.cpp, gemm_avx2.cpp and gemm.cpp, after gemm_driver.h and the kernel set, then
// instantiate GemmAt for that file's level: the code is compiled with that file's instruction-set flags.
#pragma once
#include "kernels/gemm_driver.h"
#include "kernels/gemm_level.h"

namespace axonal {

template <Isa L, typename T>
void GemmAt<L, T>::run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                       const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    GemmDriver<typename KernelsAt<L, T>::type>::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <Isa L, typename T>
int64_t GemmAt<L, T>::packed_a_size(int64_t M, int64_t K) {
    return GemmDriver<typename KernelsAt<L, T>::type>::packed_a_size(M, K);
}

template <Isa L, typename T>
void GemmAt<L, T>::pack_a(bool ta, const T* A, int64_t lda, int64_t M, int64_t K, T* out) {
    GemmDriver<typename KernelsAt<L, T>::type>::pack_a_all(ta, A, lda, M, K, out);
}

template <Isa L, typename T>
void GemmAt<L, T>::with_packed_a(int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, bool tb, const T* B,
                                 int64_t ldb, T beta, T* C, int64_t ldc) {
    GemmDriver<typename KernelsAt<L, T>::type>::run_packed_a(M, N, K, alpha, Ap, tb, B, ldb, beta, C, ldc);
}

template <Isa L, typename T>
int64_t GemmAt<L, T>::packed_b_size(int64_t K, int64_t N) {
    return GemmDriver<typename KernelsAt<L, T>::type>::packed_b_size(K, N);
}

template <Isa L, typename T>
void GemmAt<L, T>::pack_b(bool tb, const T* B, int64_t ldb, int64_t K, int64_t N, T* out) {
    GemmDriver<typename KernelsAt<L, T>::type>::pack_b_all(tb, B, ldb, K, N, out);
}

template <Isa L, typename T>
void GemmAt<L, T>::with_packed_b(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* Bp,
                                 T beta, T* C, int64_t ldc) {
    GemmDriver<typename KernelsAt<L, T>::type>::run_packed_b(M, N, K, alpha, A, lda, Bp, beta, C, ldc);
}

}  // namespace axonal
