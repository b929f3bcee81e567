// The AVX2/FMA kernel set of the GEMM driver: the 6 x 16 (float) / 6 x 8 (double) micro-kernels, the
// vectorised packers, and the Avx2F32 / Avx2F64 kernel sets that gemm_driver.h is instantiated with.
// Include only from *_avx2.cpp files (built with -mavx2 -mfma) and only under AXONAL_HAVE_AVX2.
// Everything is in an anonymous namespace, like the driver: each such file gets its own copy.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/gemm_driver.h"

namespace axonal {
namespace {

#define AX_INLINE inline __attribute__((always_inline))
#define AX_INLINE_LAMBDA __attribute__((always_inline))

// The handful of 256-bit operations the kernel needs, for float (8 lanes) and double (4 lanes).
struct VecF32 {
    using T = float;
    using V = __m256;
    static constexpr int W = 8;
    static AX_INLINE V zero() { return _mm256_setzero_ps(); }
    static AX_INLINE V load(const T* p) { return _mm256_load_ps(p); }
    static AX_INLINE V loadu(const T* p) { return _mm256_loadu_ps(p); }
    static AX_INLINE V bcast(const T* p) { return _mm256_broadcast_ss(p); }
    static AX_INLINE V set1(T x) { return _mm256_set1_ps(x); }
    static AX_INLINE V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static AX_INLINE V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    static AX_INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
    static AX_INLINE __m256i mask(int64_t n) {
        return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<int64_t>(n, W))),
                                  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    }
    static AX_INLINE V maskload(const T* p, __m256i m) { return _mm256_maskload_ps(p, m); }
    static AX_INLINE void maskstore(T* p, __m256i m, V v) { _mm256_maskstore_ps(p, m, v); }
    static AX_INLINE void storeu(T* p, V v) { _mm256_storeu_ps(p, v); }
};

struct VecF64 {
    using T = double;
    using V = __m256d;
    static constexpr int W = 4;
    static AX_INLINE V zero() { return _mm256_setzero_pd(); }
    static AX_INLINE V load(const T* p) { return _mm256_load_pd(p); }
    static AX_INLINE V loadu(const T* p) { return _mm256_loadu_pd(p); }
    static AX_INLINE V bcast(const T* p) { return _mm256_broadcast_sd(p); }
    static AX_INLINE V set1(T x) { return _mm256_set1_pd(x); }
    static AX_INLINE V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
    static AX_INLINE V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    static AX_INLINE V add(V a, V b) { return _mm256_add_pd(a, b); }
    static AX_INLINE __m256i mask(int64_t n) {
        return _mm256_cmpgt_epi64(_mm256_set1_epi64x(std::min<int64_t>(n, W)), _mm256_setr_epi64x(0, 1, 2, 3));
    }
    static AX_INLINE V maskload(const T* p, __m256i m) { return _mm256_maskload_pd(p, m); }
    static AX_INLINE void maskstore(T* p, __m256i m, V v) { _mm256_maskstore_pd(p, m, v); }
    static AX_INLINE void storeu(T* p, V v) { _mm256_storeu_pd(p, v); }
};

#ifndef AX_PF_A
#define AX_PF_A 384  // elements of packed A ahead to prefetch
#endif

// How a B row is read inside the k loop.
enum { BM_PACKED = 0, BM_FULL = 1, BM_MASKED = 2 };

// The k loop of the 6 x (2 W) micro-kernel: acc[i][h] += a(i, k) * b(k, h*W : h*W+W).
//   A_PACKED: a(i, k) = a[k*6 + i];  A_ROWS: a(i, k) = ar[i][k];  A_COLS: a(i, k) = ar[i][k*sa]
// (ar[i] are the row bases, clamped to the last valid row for a ragged tile).
template <class S, int AL, int BM>
AX_INLINE void kloop(int64_t kc, const typename S::T* a, const typename S::T* const* ar, int64_t sa,
                     const typename S::T* b, int64_t ldb, __m256i mb0, __m256i mb1, typename S::V (&acc)[6][2]) {
    using T = typename S::T;
    using V = typename S::V;
    constexpr int W = S::W;
    const T *r0 = ar[0], *r1 = ar[1], *r2 = ar[2], *r3 = ar[3], *r4 = ar[4], *r5 = ar[5];
    int64_t ka = 0;  // offset of column k in the unpacked A layouts
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; ++k) {
        V b0, b1;
        if (BM == BM_PACKED) {
            b0 = S::load(b);
            b1 = S::load(b + W);
            b += 2 * W;
        } else if (BM == BM_FULL) {
            b0 = S::loadu(b);
            b1 = S::loadu(b + W);
            b += ldb;
        } else {
            b0 = S::maskload(b, mb0);
            b1 = S::maskload(b + W, mb1);
            b += ldb;
        }
        V av;
#define AX_ROW(i, ptr)                          \
    av = S::bcast(ptr);                         \
    acc[i][0] = S::fma(av, b0, acc[i][0]);      \
    acc[i][1] = S::fma(av, b1, acc[i][1]);
        if (AL == A_PACKED) {
            // The A block streams from L2; without this the loop waits on it (measured: ~75% of peak
            // -> ~98% with the kernel alone, prefetching 64 k-steps = 1.5 KiB ahead).
            _mm_prefetch(reinterpret_cast<const char*>(a + AX_PF_A), _MM_HINT_T0);
            AX_ROW(0, a + 0) AX_ROW(1, a + 1) AX_ROW(2, a + 2) AX_ROW(3, a + 3) AX_ROW(4, a + 4) AX_ROW(5, a + 5)
            a += 6;
        } else {
            AX_ROW(0, r0 + ka) AX_ROW(1, r1 + ka) AX_ROW(2, r2 + ka) AX_ROW(3, r3 + ka) AX_ROW(4, r4 + ka)
            AX_ROW(5, r5 + ka)
            ka += AL == A_ROWS ? 1 : sa;
        }
#undef AX_ROW
    }
}

// C[0:mr, 0:nr] = alpha * acc + beta * C, with beta == 0 never reading C.
template <class S>
AX_INLINE void store_tile(typename S::V (&acc)[6][2], typename S::T* c, int64_t ldc, int64_t mr, int64_t nr,
                          typename S::T alpha, typename S::T beta) {
    using V = typename S::V;
    constexpr int W = S::W;
    const V va = S::set1(alpha), vb = S::set1(beta);
    if (nr == 2 * W) {
        for (int i = 0; i < 6; ++i) {
            if (i >= mr) break;
            typename S::T* ci = c + i * ldc;
            V x0 = S::mul(va, acc[i][0]), x1 = S::mul(va, acc[i][1]);
            if (beta == 0) {
            } else if (beta == 1) {
                x0 = S::add(x0, S::loadu(ci));
                x1 = S::add(x1, S::loadu(ci + W));
            } else {
                x0 = S::fma(vb, S::loadu(ci), x0);
                x1 = S::fma(vb, S::loadu(ci + W), x1);
            }
            S::storeu(ci, x0);
            S::storeu(ci + W, x1);
        }
    } else {
        const __m256i m0 = S::mask(nr), m1 = S::mask(nr - W);
        for (int i = 0; i < 6; ++i) {
            if (i >= mr) break;
            typename S::T* ci = c + i * ldc;
            V x0 = S::mul(va, acc[i][0]), x1 = S::mul(va, acc[i][1]);
            if (beta != 0) {
                x0 = S::fma(vb, S::maskload(ci, m0), x0);
                x1 = S::fma(vb, S::maskload(ci + W, m1), x1);
            }
            S::maskstore(ci, m0, x0);
            S::maskstore(ci + W, m1, x1);
        }
    }
}

// The k loop for a short tile of R < 6 rows (the last rows of a matrix whose row count is not a multiple
// of 6). The 6-row loop would spend a full tile's FMAs on it; with fewer rows there are too few
// independent accumulators to cover the FMA latency (about 5 cycles at 2 per cycle needs ~10 chains),
// so P consecutive k steps go to P separate accumulator sets, summed at the end. Measured at 128^3
// (21 full tiles + 2 rows): the short tile cost a full tile's time; with this ~40% of it.
template <class S, int AL, int BM, int R>
AX_INLINE void kloop_short(int64_t kc, const typename S::T* a, const typename S::T* const* ar, int64_t sa,
                           const typename S::T* b, int64_t ldb, __m256i mb0, __m256i mb1,
                           typename S::V (&out)[6][2]) {
    using T = typename S::T;
    using V = typename S::V;
    constexpr int W = S::W;
    constexpr int P = R == 1 ? 4 : R <= 3 ? 2 : 1;
    V acc[P][R][2];
    for (int p = 0; p < P; ++p)
        for (int i = 0; i < R; ++i) acc[p][i][0] = acc[p][i][1] = S::zero();
    const int64_t bstep = BM == BM_PACKED ? 2 * W : ldb;
    auto step = [&](int p, int64_t k) AX_INLINE_LAMBDA {
        const T* bk = b + k * bstep;
        V b0, b1;
        if (BM == BM_PACKED) {
            b0 = S::load(bk);
            b1 = S::load(bk + W);
        } else if (BM == BM_FULL) {
            b0 = S::loadu(bk);
            b1 = S::loadu(bk + W);
        } else {
            b0 = S::maskload(bk, mb0);
            b1 = S::maskload(bk + W, mb1);
        }
#pragma GCC unroll 6
        for (int i = 0; i < R; ++i) {
            const T* ai = AL == A_PACKED ? a + k * 6 + i : AL == A_ROWS ? ar[i] + k : ar[i] + k * sa;
            const V av = S::bcast(ai);
            acc[p][i][0] = S::fma(av, b0, acc[p][i][0]);
            acc[p][i][1] = S::fma(av, b1, acc[p][i][1]);
        }
    };
    int64_t k = 0;
    for (; k + P <= kc; k += P) {
#pragma GCC unroll 4
        for (int p = 0; p < P; ++p) step(p, k + p);
    }
    for (; k < kc; ++k) step(0, k);
    for (int i = 0; i < R; ++i) {
        V x0 = acc[0][i][0], x1 = acc[0][i][1];
        for (int p = 1; p < P; ++p) {
            x0 = S::add(x0, acc[p][i][0]);
            x1 = S::add(x1, acc[p][i][1]);
        }
        out[i][0] = x0;
        out[i][1] = x1;
    }
}

template <class S, int AL, int BM>
AX_INLINE void kloop_any(int64_t kc, const typename S::T* a, const typename S::T* const* ar, int64_t sa,
                         const typename S::T* b, int64_t ldb, __m256i mb0, __m256i mb1, int64_t mr,
                         typename S::V (&acc)[6][2]) {
    switch (mr) {
        case 1: kloop_short<S, AL, BM, 1>(kc, a, ar, sa, b, ldb, mb0, mb1, acc); break;
        case 2: kloop_short<S, AL, BM, 2>(kc, a, ar, sa, b, ldb, mb0, mb1, acc); break;
        case 3: kloop_short<S, AL, BM, 3>(kc, a, ar, sa, b, ldb, mb0, mb1, acc); break;
        case 4: kloop_short<S, AL, BM, 4>(kc, a, ar, sa, b, ldb, mb0, mb1, acc); break;
        case 5: kloop_short<S, AL, BM, 5>(kc, a, ar, sa, b, ldb, mb0, mb1, acc); break;
        default: kloop<S, AL, BM>(kc, a, ar, sa, b, ldb, mb0, mb1, acc);
    }
}

template <class S, int AL, int BL>
AX_INLINE void microkernel(int64_t kc, const typename S::T* a, int64_t sa, const typename S::T* b, int64_t ldb,
                           typename S::T* c, int64_t ldc, int64_t mr, int64_t nr, typename S::T alpha,
                           typename S::T beta) {
    using T = typename S::T;
    using V = typename S::V;
    constexpr int W = S::W;
    V acc[6][2];
    for (int i = 0; i < 6; ++i) acc[i][0] = acc[i][1] = S::zero();
    // Bring C's tile towards L1 while the k loop runs (its rows are ldc apart).
    for (int i = 0; i < 6; ++i) {
        if (i >= mr) break;
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 2 * W - 1), _MM_HINT_T0);
    }
    const T* ar[6];
    for (int i = 0; i < 6; ++i) {
        int64_t r = i < mr ? i : mr - 1;
        ar[i] = AL == A_ROWS ? a + r * sa : a + r;
    }
    const __m256i none = _mm256_setzero_si256();
    if (BL == B_PACKED) {
        kloop_any<S, AL, BM_PACKED>(kc, a, ar, sa, b, ldb, none, none, mr, acc);
    } else if (nr == 2 * W) {
        kloop_any<S, AL, BM_FULL>(kc, a, ar, sa, b, ldb, none, none, mr, acc);
    } else {
        kloop_any<S, AL, BM_MASKED>(kc, a, ar, sa, b, ldb, S::mask(nr), S::mask(nr - W), mr, acc);
    }
    store_tile<S>(acc, c, ldc, mr, nr, alpha, beta);
}

// 8 x 8 float transpose in registers.
AX_INLINE void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6,
                          __m256& r7) {
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
    r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
    r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
    r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
    r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
    r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
    r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
    r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Stores the first 6 lanes of v at p (24 bytes) without touching p[6], p[7].
AX_INLINE void store6(float* p, __m256 v) {
    _mm_storeu_ps(p, _mm256_castps256_ps128(v));
    _mm_storel_pi(reinterpret_cast<__m64*>(p + 4), _mm256_extractf128_ps(v, 1));
}

// float A slivers (MR = 6). Non-transposed A: 6 rows of 8 k values are transposed in registers and
// written as 8 consecutive 6-value columns (each written 8 wide, the next one overwriting the 2 extra
// lanes; the last one of a sliver written exactly, so threads packing neighbouring slivers never
// touch each other's bytes).
void pack_a_f32(bool transA, const float* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc,
                float* out) {
    constexpr int MR = 6;
    for (int64_t s = 0; s * MR < mc; ++s) {
        float* dst = out + s * kc * MR;
        const int64_t r0 = i0 + s * MR;
        const int64_t mr = std::min<int64_t>(MR, i0 + mc - r0);
        if (!transA) {
            const float* rows[6];
            for (int i = 0; i < 6; ++i) rows[i] = A + (r0 + (i < mr ? i : 0)) * lda + k0;
            const __m256 z = _mm256_setzero_ps();
            int64_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                __m256 x0 = _mm256_loadu_ps(rows[0] + k);
                __m256 x1 = mr > 1 ? _mm256_loadu_ps(rows[1] + k) : z;
                __m256 x2 = mr > 2 ? _mm256_loadu_ps(rows[2] + k) : z;
                __m256 x3 = mr > 3 ? _mm256_loadu_ps(rows[3] + k) : z;
                __m256 x4 = mr > 4 ? _mm256_loadu_ps(rows[4] + k) : z;
                __m256 x5 = mr > 5 ? _mm256_loadu_ps(rows[5] + k) : z;
                __m256 x6 = z, x7 = z;
                transpose8(x0, x1, x2, x3, x4, x5, x6, x7);
                float* d = dst + k * MR;
                _mm256_storeu_ps(d + 0, x0);
                _mm256_storeu_ps(d + 6, x1);
                _mm256_storeu_ps(d + 12, x2);
                _mm256_storeu_ps(d + 18, x3);
                _mm256_storeu_ps(d + 24, x4);
                _mm256_storeu_ps(d + 30, x5);
                _mm256_storeu_ps(d + 36, x6);
                if (k + 8 < kc)
                    _mm256_storeu_ps(d + 42, x7);
                else
                    store6(d + 42, x7);
            }
            for (; k < kc; ++k)
                for (int i = 0; i < 6; ++i) dst[k * MR + i] = i < mr ? rows[i][k] : 0.0f;
        } else {
            const __m256i m = VecF32::mask(mr);
            const float* src = A + k0 * lda + r0;
            for (int64_t k = 0; k < kc; ++k) {
                __m256 x = _mm256_maskload_ps(src + k * lda, m);
                if (k + 1 < kc)
                    _mm256_storeu_ps(dst + k * MR, x);
                else
                    store6(dst + k * MR, x);
            }
        }
    }
}

// float B slivers (NR = 16). Non-transposed B: two (masked) row loads per k. Transposed B (rows of the
// stored matrix are columns of op(B)): 8 x 8 blocks transposed in registers.
void pack_b_f32(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc,
                float* out) {
    constexpr int NR = 16;
    int64_t s = 0;
    if (!transB && nc >= 2 * NR) {
        // Several complete slivers: walk B row by row across all of them, so each cache line of B is read
        // once and the hardware prefetcher sees one stream. Sliver by sliver, every k is a new row (a new
        // page when ldb is large) and a B row not aligned to 64 bytes has its lines fetched twice, once
        // for each neighbouring sliver. Measured 20% faster packing of a 256 x 1024 panel.
        const int64_t full = nc / NR;
        for (int64_t k = 0; k < kc; ++k) {
            const float* src = B + (k0 + k) * ldb + j0;
            float* d = out + k * NR;
            for (int64_t t = 0; t < full; ++t) {
                _mm256_store_ps(d + t * kc * NR, _mm256_loadu_ps(src + t * NR));
                _mm256_store_ps(d + t * kc * NR + 8, _mm256_loadu_ps(src + t * NR + 8));
            }
        }
        s = full;
    }
    for (; s * NR < nc; ++s) {
        float* dst = out + s * kc * NR;
        const int64_t c0 = j0 + s * NR;
        const int64_t nr = std::min<int64_t>(NR, j0 + nc - c0);
        if (!transB) {
            const float* src = B + k0 * ldb + c0;
            if (nr == NR) {
                for (int64_t k = 0; k < kc; ++k) {
                    _mm256_store_ps(dst + k * NR, _mm256_loadu_ps(src + k * ldb));
                    _mm256_store_ps(dst + k * NR + 8, _mm256_loadu_ps(src + k * ldb + 8));
                }
            } else {
                const __m256i m0 = VecF32::mask(nr), m1 = VecF32::mask(nr - 8);
                for (int64_t k = 0; k < kc; ++k) {
                    _mm256_store_ps(dst + k * NR, _mm256_maskload_ps(src + k * ldb, m0));
                    _mm256_store_ps(dst + k * NR + 8, _mm256_maskload_ps(src + k * ldb + 8, m1));
                }
            }
        } else {
            const float* rows[16];
            for (int j = 0; j < 16; ++j) rows[j] = B + (c0 + (j < nr ? j : 0)) * ldb + k0;
            const __m256 z = _mm256_setzero_ps();
            int64_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                for (int h = 0; h < 2; ++h) {
                    const int j = 8 * h;
                    __m256 x0 = j + 0 < nr ? _mm256_loadu_ps(rows[j + 0] + k) : z;
                    __m256 x1 = j + 1 < nr ? _mm256_loadu_ps(rows[j + 1] + k) : z;
                    __m256 x2 = j + 2 < nr ? _mm256_loadu_ps(rows[j + 2] + k) : z;
                    __m256 x3 = j + 3 < nr ? _mm256_loadu_ps(rows[j + 3] + k) : z;
                    __m256 x4 = j + 4 < nr ? _mm256_loadu_ps(rows[j + 4] + k) : z;
                    __m256 x5 = j + 5 < nr ? _mm256_loadu_ps(rows[j + 5] + k) : z;
                    __m256 x6 = j + 6 < nr ? _mm256_loadu_ps(rows[j + 6] + k) : z;
                    __m256 x7 = j + 7 < nr ? _mm256_loadu_ps(rows[j + 7] + k) : z;
                    transpose8(x0, x1, x2, x3, x4, x5, x6, x7);
                    float* d = dst + k * NR + j;
                    _mm256_store_ps(d + 0 * NR, x0);
                    _mm256_store_ps(d + 1 * NR, x1);
                    _mm256_store_ps(d + 2 * NR, x2);
                    _mm256_store_ps(d + 3 * NR, x3);
                    _mm256_store_ps(d + 4 * NR, x4);
                    _mm256_store_ps(d + 5 * NR, x5);
                    _mm256_store_ps(d + 6 * NR, x6);
                    _mm256_store_ps(d + 7 * NR, x7);
                }
            }
            for (; k < kc; ++k)
                for (int j = 0; j < 16; ++j) dst[k * NR + j] = j < nr ? rows[j][k] : 0.0f;
        }
    }
}

struct Avx2F32 {
    using T = float;
    using Blocking = BlockingAvx2F32;
    template <int AL, int BL>
    static AX_INLINE void kernel(int64_t kc, const T* a, int64_t sa, const T* b, int64_t ldb, T* c, int64_t ldc,
                                 int64_t mr, int64_t nr, T alpha, T beta) {
        microkernel<VecF32, AL, BL>(kc, a, sa, b, ldb, c, ldc, mr, nr, alpha, beta);
    }
    static void pack_a(bool t, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc, T* out) {
        pack_a_f32(t, A, lda, i0, k0, mc, kc, out);
    }
    static void pack_b(bool t, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc, T* out) {
        pack_b_f32(t, B, ldb, k0, j0, kc, nc, out);
    }
};

// float64 keeps its own, simpler path: the same kernel shape (6 x 8) and the portable packers, which
// the compiler vectorises with AVX2 here. It exists for gradient checks, not for speed.
struct Avx2F64 {
    using T = double;
    using Blocking = BlockingAvx2F64;
    template <int AL, int BL>
    static AX_INLINE void kernel(int64_t kc, const T* a, int64_t sa, const T* b, int64_t ldb, T* c, int64_t ldc,
                                 int64_t mr, int64_t nr, T alpha, T beta) {
        microkernel<VecF64, AL, BL>(kc, a, sa, b, ldb, c, ldc, mr, nr, alpha, beta);
    }
    static void pack_a(bool t, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc, T* out) {
        pack_a_portable<T, 6>(t, A, lda, i0, k0, mc, kc, out);
    }
    static void pack_b(bool t, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc, T* out) {
        pack_b_portable<T, 8>(t, B, ldb, k0, j0, kc, nc, out);
    }
};

}  // namespace
}  // namespace axonal
