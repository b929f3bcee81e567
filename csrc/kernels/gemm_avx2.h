// The AVX2/FMA instantiation of the GEMM driver, defined in gemm_avx2.cpp (built with -mavx2 -mfma).
// Call only when avx2_enabled() is true; same contract as gemm() in gemm.h (after its trivial cases).
#pragma once
#include <cstdint>

#include "kernels/gemm_blocking.h"

namespace axonal {

void gemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);
void gemm_avx2(bool transA, bool transB, int64_t M, int64_t N, int64_t K, double alpha, const double* A,
               int64_t lda, const double* B, int64_t ldb, double beta, double* C, int64_t ldc);

}  // namespace axonal
