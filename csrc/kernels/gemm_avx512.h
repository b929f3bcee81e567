// The AVX-512 instantiation of the GEMM driver, defined in gemm_avx512.cpp (built with the AVX-512 flags).
// Call only when avx512_enabled() is true; same contract as gemm() in gemm.h (after its trivial cases).
#pragma once
#include <cstdint>

#include "kernels/gemm_blocking.h"

namespace axonal {

void gemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm_avx512(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
               int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// The pre-packed-A entry points of gemm.h (gemm_packed_a_size, gemm_pack_a, gemm_with_packed_a).
int64_t gemm_avx512_packed_a_size(float, int64_t M, int64_t K);
int64_t gemm_avx512_packed_a_size(double, int64_t M, int64_t K);
void gemm_avx512_pack_a(bool transA, const float* A, int64_t lda, int64_t M, int64_t K, float* out);
void gemm_avx512_pack_a(bool transA, const double* A, int64_t lda, int64_t M, int64_t K, double* out);
void gemm_avx512_with_packed_a(int64_t M, int64_t N, int64_t K, float alpha, const float* Ap, bool transB,
                             const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm_avx512_with_packed_a(int64_t M, int64_t N, int64_t K, double alpha, const double* Ap, bool transB,
                             const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

// The pre-packed-B entry points of gemm.h (gemm_packed_b_size, gemm_pack_b, gemm_with_packed_b).
int64_t gemm_avx512_packed_b_size(float, int64_t K, int64_t N);
int64_t gemm_avx512_packed_b_size(double, int64_t K, int64_t N);
void gemm_avx512_pack_b(bool transB, const float* B, int64_t ldb, int64_t K, int64_t N, float* out);
void gemm_avx512_pack_b(bool transB, const double* B, int64_t ldb, int64_t K, int64_t N, double* out);
void gemm_avx512_with_packed_b(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                             const float* Bp, float beta, float* C, int64_t ldc);
void gemm_avx512_with_packed_b(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                             const double* Bp, double beta, double* C, int64_t ldc);

}  // namespace axonal
