// AVX2/FMA micro-kernels for gemm.cpp. This translation unit alone is compiled with -mavx2 -mfma;
// nothing here runs unless cpu_has_avx2_fma() said yes at run time.
#include "kernels/gemm_blocking.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#include <immintrin.h>

namespace axonal {

namespace {

// 6 x 16 float tile: 12 ymm accumulators, 2 for the B row, 1 for the A broadcast.
void ukernel_f32_6x16(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr,
                      int64_t nr) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
    __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
    __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
    __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k) {
        __m256 b0 = _mm256_load_ps(b);
        __m256 b1 = _mm256_load_ps(b + 8);
        __m256 av;
        av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
        a += 6;
        b += 16;
    }
    if (mr == 6 && nr == 16) {
        __m256* rows[6][2] = {{&c00, &c01}, {&c10, &c11}, {&c20, &c21}, {&c30, &c31}, {&c40, &c41}, {&c50, &c51}};
        for (int i = 0; i < 6; ++i) {
            float* ci = c + i * ldc;
            _mm256_storeu_ps(ci, _mm256_add_ps(_mm256_loadu_ps(ci), *rows[i][0]));
            _mm256_storeu_ps(ci + 8, _mm256_add_ps(_mm256_loadu_ps(ci + 8), *rows[i][1]));
        }
        return;
    }
    // Ragged edge: spill the tile and add only the valid part.
    alignas(32) float tile[6][16];
    _mm256_store_ps(tile[0], c00); _mm256_store_ps(tile[0] + 8, c01);
    _mm256_store_ps(tile[1], c10); _mm256_store_ps(tile[1] + 8, c11);
    _mm256_store_ps(tile[2], c20); _mm256_store_ps(tile[2] + 8, c21);
    _mm256_store_ps(tile[3], c30); _mm256_store_ps(tile[3] + 8, c31);
    _mm256_store_ps(tile[4], c40); _mm256_store_ps(tile[4] + 8, c41);
    _mm256_store_ps(tile[5], c50); _mm256_store_ps(tile[5] + 8, c51);
    for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] += tile[i][j];
}

// 6 x 8 double tile: the same register budget as the float kernel.
void ukernel_f64_6x8(int64_t kc, const double* a, const double* b, double* c, int64_t ldc, int64_t mr,
                     int64_t nr) {
    __m256d acc[6][2];
    for (int i = 0; i < 6; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_pd();
    for (int64_t k = 0; k < kc; ++k) {
        __m256d b0 = _mm256_load_pd(b);
        __m256d b1 = _mm256_load_pd(b + 4);
        for (int i = 0; i < 6; ++i) {
            __m256d av = _mm256_broadcast_sd(a + i);
            acc[i][0] = _mm256_fmadd_pd(av, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_pd(av, b1, acc[i][1]);
        }
        a += 6;
        b += 8;
    }
    alignas(32) double tile[6][8];
    for (int i = 0; i < 6; ++i) {
        _mm256_store_pd(tile[i], acc[i][0]);
        _mm256_store_pd(tile[i] + 4, acc[i][1]);
    }
    for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j) c[i * ldc + j] += tile[i][j];
}

}  // namespace

bool cpu_has_avx2_fma() {
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}
MicroKernel<float> microkernel_avx2_f32() { return &ukernel_f32_6x16; }
MicroKernel<double> microkernel_avx2_f64() { return &ukernel_f64_6x8; }

}  // namespace axonal

#else  // built without AVX2 support (another architecture or compiler): report "no", never dispatch here.

namespace axonal {
bool cpu_has_avx2_fma() { return false; }
MicroKernel<float> microkernel_avx2_f32() { return nullptr; }
MicroKernel<double> microkernel_avx2_f64() { return nullptr; }
}  // namespace axonal

#endif
