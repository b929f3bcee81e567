// AVX-512 GEMM: the driver of gemm_driver.h instantiated with the kernel set of gemm_avx512_kernels.h.
// This translation unit alone (with the other *_avx512.cpp files) is compiled with the AVX-512 flags;
// nothing here runs unless avx512_enabled() said yes at run time.
#include "kernels/gemm_avx512.h"

#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))

#include "kernels/gemm_avx512_kernels.h"

namespace axonal {

void gemm_avx512(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx512F32>::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm_avx512(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                 const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx512F64>::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int64_t gemm_avx512_packed_a_size(float, int64_t M, int64_t K) { return GemmDriver<Avx512F32>::packed_a_size(M, K); }
int64_t gemm_avx512_packed_a_size(double, int64_t M, int64_t K) {
    return GemmDriver<Avx512F64>::packed_a_size(M, K);
}
void gemm_avx512_pack_a(bool ta, const float* A, int64_t lda, int64_t M, int64_t K, float* out) {
    GemmDriver<Avx512F32>::pack_a_all(ta, A, lda, M, K, out);
}
void gemm_avx512_pack_a(bool ta, const double* A, int64_t lda, int64_t M, int64_t K, double* out) {
    GemmDriver<Avx512F64>::pack_a_all(ta, A, lda, M, K, out);
}
void gemm_avx512_with_packed_a(int64_t M, int64_t N, int64_t K, float alpha, const float* Ap, bool tb,
                               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx512F32>::run_packed_a(M, N, K, alpha, Ap, tb, B, ldb, beta, C, ldc);
}
void gemm_avx512_with_packed_a(int64_t M, int64_t N, int64_t K, double alpha, const double* Ap, bool tb,
                               const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx512F64>::run_packed_a(M, N, K, alpha, Ap, tb, B, ldb, beta, C, ldc);
}

int64_t gemm_avx512_packed_b_size(float, int64_t K, int64_t N) {
    return GemmDriver<Avx512F32>::packed_b_size(K, N);
}
void gemm_avx512_pack_b(bool tb, const float* B, int64_t ldb, int64_t K, int64_t N, float* out) {
    GemmDriver<Avx512F32>::pack_b_all(tb, B, ldb, K, N, out);
}
void gemm_avx512_with_packed_b(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                               const float* Bp, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx512F32>::run_packed_b(M, N, K, alpha, A, lda, Bp, beta, C, ldc);
}
int64_t gemm_avx512_packed_b_size(double, int64_t K, int64_t N) {
    return GemmDriver<Avx512F64>::packed_b_size(K, N);
}
void gemm_avx512_pack_b(bool tb, const double* B, int64_t ldb, int64_t K, int64_t N, double* out) {
    GemmDriver<Avx512F64>::pack_b_all(tb, B, ldb, K, N, out);
}
void gemm_avx512_with_packed_b(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                               const double* Bp, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx512F64>::run_packed_b(M, N, K, alpha, A, lda, Bp, beta, C, ldc);
}

}  // namespace axonal

#else  // built without AVX-512 support: cpu_isa() never reports avx512, so nothing dispatches here.

#include <cstdlib>

namespace axonal {
void gemm_avx512(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
                 float*, int64_t) {
    std::abort();
}
void gemm_avx512(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, int64_t,
                 double, double*, int64_t) {
    std::abort();
}
int64_t gemm_avx512_packed_a_size(float, int64_t, int64_t) { std::abort(); }
int64_t gemm_avx512_packed_a_size(double, int64_t, int64_t) { std::abort(); }
void gemm_avx512_pack_a(bool, const float*, int64_t, int64_t, int64_t, float*) { std::abort(); }
void gemm_avx512_pack_a(bool, const double*, int64_t, int64_t, int64_t, double*) { std::abort(); }
void gemm_avx512_with_packed_a(int64_t, int64_t, int64_t, float, const float*, bool, const float*, int64_t, float,
                               float*, int64_t) {
    std::abort();
}
void gemm_avx512_with_packed_a(int64_t, int64_t, int64_t, double, const double*, bool, const double*, int64_t,
                               double, double*, int64_t) {
    std::abort();
}
int64_t gemm_avx512_packed_b_size(float, int64_t, int64_t) { std::abort(); }
void gemm_avx512_pack_b(bool, const float*, int64_t, int64_t, int64_t, float*) { std::abort(); }
void gemm_avx512_with_packed_b(int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, float, float*,
                               int64_t) {
    std::abort();
}
int64_t gemm_avx512_packed_b_size(double, int64_t, int64_t) { std::abort(); }
void gemm_avx512_pack_b(bool, const double*, int64_t, int64_t, int64_t, double*) { std::abort(); }
void gemm_avx512_with_packed_b(int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, double,
                               double*, int64_t) {
    std::abort();
}
}  // namespace axonal

#endif
