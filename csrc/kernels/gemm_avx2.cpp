// AVX2/FMA GEMM: micro-kernels, vectorised packing, and the driver of gemm_driver.h instantiated with
// them. This translation unit alone is compiled with -mavx2 -mfma; nothing here runs unless
// avx2_enabled() said yes at run time.
#include "kernels/gemm_avx2.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))

#include "kernels/gemm_avx2_kernels.h"

namespace axonal {

void gemm_avx2(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx2F32>::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void gemm_avx2(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
               const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx2F64>::run(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

int64_t gemm_avx2_packed_a_size(float, int64_t M, int64_t K) { return GemmDriver<Avx2F32>::packed_a_size(M, K); }
int64_t gemm_avx2_packed_a_size(double, int64_t M, int64_t K) { return GemmDriver<Avx2F64>::packed_a_size(M, K); }
void gemm_avx2_pack_a(bool ta, const float* A, int64_t lda, int64_t M, int64_t K, float* out) {
    GemmDriver<Avx2F32>::pack_a_all(ta, A, lda, M, K, out);
}
void gemm_avx2_pack_a(bool ta, const double* A, int64_t lda, int64_t M, int64_t K, double* out) {
    GemmDriver<Avx2F64>::pack_a_all(ta, A, lda, M, K, out);
}
void gemm_avx2_with_packed_a(int64_t M, int64_t N, int64_t K, float alpha, const float* Ap, bool tb, const float* B,
                             int64_t ldb, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx2F32>::run_packed_a(M, N, K, alpha, Ap, tb, B, ldb, beta, C, ldc);
}
void gemm_avx2_with_packed_a(int64_t M, int64_t N, int64_t K, double alpha, const double* Ap, bool tb,
                             const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx2F64>::run_packed_a(M, N, K, alpha, Ap, tb, B, ldb, beta, C, ldc);
}

int64_t gemm_avx2_packed_b_size(float, int64_t K, int64_t N) {
    return GemmDriver<Avx2F32>::packed_b_size(K, N);
}
void gemm_avx2_pack_b(bool tb, const float* B, int64_t ldb, int64_t K, int64_t N, float* out) {
    GemmDriver<Avx2F32>::pack_b_all(tb, B, ldb, K, N, out);
}
void gemm_avx2_with_packed_b(int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                             const float* Bp, float beta, float* C, int64_t ldc) {
    GemmDriver<Avx2F32>::run_packed_b(M, N, K, alpha, A, lda, Bp, beta, C, ldc);
}
int64_t gemm_avx2_packed_b_size(double, int64_t K, int64_t N) {
    return GemmDriver<Avx2F64>::packed_b_size(K, N);
}
void gemm_avx2_pack_b(bool tb, const double* B, int64_t ldb, int64_t K, int64_t N, double* out) {
    GemmDriver<Avx2F64>::pack_b_all(tb, B, ldb, K, N, out);
}
void gemm_avx2_with_packed_b(int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                             const double* Bp, double beta, double* C, int64_t ldc) {
    GemmDriver<Avx2F64>::run_packed_b(M, N, K, alpha, A, lda, Bp, beta, C, ldc);
}

}  // namespace axonal

#else  // built without AVX2 support (another architecture or compiler): cpu_isa() never reports avx2.

#include <cstdlib>

namespace axonal {
void gemm_avx2(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t, float,
               float*, int64_t) {
    std::abort();
}
void gemm_avx2(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, int64_t,
               double, double*, int64_t) {
    std::abort();
}
int64_t gemm_avx2_packed_a_size(float, int64_t, int64_t) { std::abort(); }
int64_t gemm_avx2_packed_a_size(double, int64_t, int64_t) { std::abort(); }
void gemm_avx2_pack_a(bool, const float*, int64_t, int64_t, int64_t, float*) { std::abort(); }
void gemm_avx2_pack_a(bool, const double*, int64_t, int64_t, int64_t, double*) { std::abort(); }
void gemm_avx2_with_packed_a(int64_t, int64_t, int64_t, float, const float*, bool, const float*, int64_t, float,
                             float*, int64_t) {
    std::abort();
}
void gemm_avx2_with_packed_a(int64_t, int64_t, int64_t, double, const double*, bool, const double*, int64_t,
                             double, double*, int64_t) {
    std::abort();
}
int64_t gemm_avx2_packed_b_size(float, int64_t, int64_t) { std::abort(); }
void gemm_avx2_pack_b(bool, const float*, int64_t, int64_t, int64_t, float*) { std::abort(); }
void gemm_avx2_with_packed_b(int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, float, float*,
                             int64_t) {
    std::abort();
}
int64_t gemm_avx2_packed_b_size(double, int64_t, int64_t) { std::abort(); }
void gemm_avx2_pack_b(bool, const double*, int64_t, int64_t, int64_t, double*) { std::abort(); }
void gemm_avx2_with_packed_b(int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, double,
                             double*, int64_t) {
    std::abort();
}
}  // namespace axonal

#endif
