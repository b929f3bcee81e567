// The AVX-512 kernel set of the GEMM driver: the MR x (NV * 16) float / MR x (NV * 8) double
// micro-kernels on zmm registers, the vectorised packers, and the Avx512F32 / Avx512F64 kernel sets that
// gemm_driver.h is instantiated with (tile sizes and their derivation: gemm_blocking.h).
// Include only from *_avx512.cpp files (built with the AVX-512 flags) and only under AXONAL_HAVE_AVX512.
// Everything is in an anonymous namespace, like the driver: each such file gets its own copy.
//
// Compared with the AVX2 kernels: 32 vector registers instead of 16 hold a larger tile (fewer loads per
// FMA, fewer passes over C), mask registers handle ragged columns in every load and store (no separate
// masked-load path: a masked-off lane never touches memory), and a vector is twice as wide.
#pragma once
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "kernels/gemm_driver.h"

namespace axonal {
namespace {

#ifndef AX_INLINE
#define AX_INLINE inline __attribute__((always_inline))
#endif

struct Vec512F32 {
    using T = float;
    using V = __m512;
    using Mask = __mmask16;
    static constexpr int W = 16;
    static AX_INLINE V zero() { return _mm512_setzero_ps(); }
    static AX_INLINE V load(const T* p) { return _mm512_load_ps(p); }
    static AX_INLINE V loadu(const T* p) { return _mm512_loadu_ps(p); }
    static AX_INLINE V bcast(const T* p) { return _mm512_set1_ps(*p); }
    static AX_INLINE V set1(T x) { return _mm512_set1_ps(x); }
    static AX_INLINE V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    static AX_INLINE V mul(V a, V b) { return _mm512_mul_ps(a, b); }
    static AX_INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
    // Lanes [0, n) on (n clamped to [0, W]).
    static AX_INLINE Mask mask(int64_t n) {
        return n >= W ? Mask(0xFFFF) : n <= 0 ? Mask(0) : Mask((1u << unsigned(n)) - 1u);
    }
    static AX_INLINE V maskload(const T* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
    static AX_INLINE void maskstore(T* p, Mask m, V v) { _mm512_mask_storeu_ps(p, m, v); }
    static AX_INLINE void storeu(T* p, V v) { _mm512_storeu_ps(p, v); }
    static AX_INLINE void store(T* p, V v) { _mm512_store_ps(p, v); }
};

struct Vec512F64 {
    using T = double;
    using V = __m512d;
    using Mask = __mmask8;
    static constexpr int W = 8;
    static AX_INLINE V zero() { return _mm512_setzero_pd(); }
    static AX_INLINE V load(const T* p) { return _mm512_load_pd(p); }
    static AX_INLINE V loadu(const T* p) { return _mm512_loadu_pd(p); }
    static AX_INLINE V bcast(const T* p) { return _mm512_set1_pd(*p); }
    static AX_INLINE V set1(T x) { return _mm512_set1_pd(x); }
    static AX_INLINE V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
    static AX_INLINE V mul(V a, V b) { return _mm512_mul_pd(a, b); }
    static AX_INLINE V add(V a, V b) { return _mm512_add_pd(a, b); }
    static AX_INLINE Mask mask(int64_t n) {
        return n >= W ? Mask(0xFF) : n <= 0 ? Mask(0) : Mask((1u << unsigned(n)) - 1u);
    }
    static AX_INLINE V maskload(const T* p, Mask m) { return _mm512_maskz_loadu_pd(m, p); }
    static AX_INLINE void maskstore(T* p, Mask m, V v) { _mm512_mask_storeu_pd(p, m, v); }
    static AX_INLINE void storeu(T* p, V v) { _mm512_storeu_pd(p, v); }
    static AX_INLINE void store(T* p, V v) { _mm512_store_pd(p, v); }
};

// The micro-kernel is a function of its own, not inlined into the driver's loops: inlined there, GCC 12
// spilled accumulators of the 16-register tile to the stack inside the k loop (1891 spill instructions in
// the driver, none out of line). A call per kc x 8 x 32 tile costs nothing measurable.
#define AX512_KERNEL_ATTR __attribute__((noinline))

#ifndef AX512_PF_A
#define AX512_PF_A 512  // bytes of packed A ahead to prefetch (the A block streams from L2)
#endif

// How a B row is read inside the k loop.
enum { BM512_PACKED = 0, BM512_FULL = 1, BM512_MASKED = 2 };

// Accumulator sets for a tile of R rows: enough independent FMA chains to cover the FMA latency
// (4 cycles x 2 pipes on cores with two 512-bit FMA units = 8 chains), by splitting consecutive k steps
// over P copies of the R x NV accumulators, summed at the end.
constexpr int chains_for(int R, int NV) { return R * NV >= 8 ? 1 : (8 + R * NV - 1) / (R * NV) > 4 ? 4 : (8 + R * NV - 1) / (R * NV); }

// out[0:R][*] = sum_k a(i, k) b(k, :) for the first R rows of an MR-row tile.
//   A_PACKED: a(i, k) = a[k*MR + i];  A_ROWS: a(i, k) = ar[i][k];  A_COLS: a(i, k) = ar[i][k*sa]
template <class S, int MR, int NV, int AL, int BM, int R>
AX_INLINE void kloop512(int64_t kc, const typename S::T* a, const typename S::T* const* ar, int64_t sa,
                        const typename S::T* b, int64_t ldb, const typename S::Mask* mb,
                        typename S::V (&out)[MR][NV]) {
    using T = typename S::T;
    using V = typename S::V;
    constexpr int W = S::W;
    constexpr int P = chains_for(R, NV);
    V acc[P][R][NV];
#pragma GCC unroll 64
    for (int p = 0; p < P; ++p)
#pragma GCC unroll 64
        for (int i = 0; i < R; ++i)
#pragma GCC unroll 8
            for (int h = 0; h < NV; ++h) acc[p][i][h] = S::zero();
    const T* rows[R];
#pragma GCC unroll 64
    for (int i = 0; i < R; ++i) rows[i] = ar[i];
    const int64_t bstep = BM == BM512_PACKED ? NV * W : ldb;
    const int64_t astep = AL == A_COLS ? sa : 1;
    auto step = [&](int p, int64_t k) __attribute__((always_inline)) {
        const T* bk = b + k * bstep;
        V bv[NV];
#pragma GCC unroll 8
        for (int h = 0; h < NV; ++h) {
            if (BM == BM512_PACKED)
                bv[h] = S::load(bk + h * W);
            else if (BM == BM512_FULL)
                bv[h] = S::loadu(bk + h * W);
            else
                bv[h] = S::maskload(bk + h * W, mb[h]);
        }
        if (AL == A_PACKED && R == MR)
            _mm_prefetch(reinterpret_cast<const char*>(a + k * MR) + AX512_PF_A, _MM_HINT_T0);
#pragma GCC unroll 64
        for (int i = 0; i < R; ++i) {
            const T* ai = AL == A_PACKED ? a + k * MR + i : rows[i] + k * astep;
            const V av = S::bcast(ai);
#pragma GCC unroll 8
            for (int h = 0; h < NV; ++h) acc[p][i][h] = S::fma(av, bv[h], acc[p][i][h]);
        }
    };
    int64_t k = 0;
    if (P == 1) {
#pragma GCC unroll 4
        for (; k < kc; ++k) step(0, k);
    } else {
        for (; k + P <= kc; k += P) {
#pragma GCC unroll 4
            for (int p = 0; p < P; ++p) step(p, k + p);
        }
        for (; k < kc; ++k) step(0, k);
    }
#pragma GCC unroll 64
    for (int i = 0; i < R; ++i)
#pragma GCC unroll 8
        for (int h = 0; h < NV; ++h) {
            V x = acc[0][i][h];
#pragma GCC unroll 4
            for (int p = 1; p < P; ++p) x = S::add(x, acc[p][i][h]);
            out[i][h] = x;
        }
}

// The row count of a tile picks its k loop at run time: kloop512 for R = mr.
template <class S, int MR, int NV, int AL, int BM, int R = 1>
AX_INLINE void kloop512_rows(int64_t mr, int64_t kc, const typename S::T* a, const typename S::T* const* ar,
                             int64_t sa, const typename S::T* b, int64_t ldb, const typename S::Mask* mb,
                             typename S::V (&out)[MR][NV]) {
    if constexpr (R < MR) {
        if (mr == R) {
            kloop512<S, MR, NV, AL, BM, R>(kc, a, ar, sa, b, ldb, mb, out);
            return;
        }
        kloop512_rows<S, MR, NV, AL, BM, R + 1>(mr, kc, a, ar, sa, b, ldb, mb, out);
    } else {
        kloop512<S, MR, NV, AL, BM, MR>(kc, a, ar, sa, b, ldb, mb, out);
    }
}

// C[0:mr, 0:nr] = alpha * acc + beta * C, with beta == 0 never reading C.
template <class S, int MR, int NV>
AX_INLINE void store_tile512(typename S::V (&acc)[MR][NV], typename S::T* c, int64_t ldc, int64_t mr, int64_t nr,
                             typename S::T alpha, typename S::T beta) {
    using V = typename S::V;
    using Mask = typename S::Mask;
    constexpr int W = S::W;
    const V va = S::set1(alpha), vb = S::set1(beta);
    const bool full = nr == NV * W;
    Mask m[NV];
#pragma GCC unroll 8
    for (int h = 0; h < NV; ++h) m[h] = S::mask(nr - h * W);
#pragma GCC unroll 64
    for (int i = 0; i < MR; ++i) {
        if (i >= mr) break;
        typename S::T* ci = c + i * ldc;
#pragma GCC unroll 8
        for (int h = 0; h < NV; ++h) {
            V x = alpha == 1 ? acc[i][h] : S::mul(va, acc[i][h]);
            if (full) {
                if (beta == 1)
                    x = S::add(x, S::loadu(ci + h * W));
                else if (beta != 0)
                    x = S::fma(vb, S::loadu(ci + h * W), x);
                S::storeu(ci + h * W, x);
            } else {
                if (beta == 1)
                    x = S::add(x, S::maskload(ci + h * W, m[h]));
                else if (beta != 0)
                    x = S::fma(vb, S::maskload(ci + h * W, m[h]), x);
                S::maskstore(ci + h * W, m[h], x);
            }
        }
    }
}

template <class S, int MR, int NV, int AL, int BL>
AX_INLINE void microkernel512(int64_t kc, const typename S::T* a, int64_t sa, const typename S::T* b, int64_t ldb,
                              typename S::T* c, int64_t ldc, int64_t mr, int64_t nr, typename S::T alpha,
                              typename S::T beta) {
    using T = typename S::T;
    using V = typename S::V;
    using Mask = typename S::Mask;
    constexpr int W = S::W;
    V acc[MR][NV];
    // Rows past mr are never written by a short k loop nor stored; zeroed so the compiler can see that.
    for (int i = 0; i < MR; ++i)
        for (int h = 0; h < NV; ++h) acc[i][h] = S::zero();
    // Bring C's tile towards L1 while the k loop runs (its rows are ldc apart).
    for (int i = 0; i < MR; ++i) {
        if (i >= mr) break;
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + NV * W - 1), _MM_HINT_T0);
    }
    const T* ar[MR];
    for (int i = 0; i < MR; ++i) {
        const int64_t r = i < mr ? i : mr - 1;
        ar[i] = AL == A_ROWS ? a + r * sa : a + r;
    }
    Mask mb[NV];
    for (int h = 0; h < NV; ++h) mb[h] = S::mask(nr - h * W);
    if (BL == B_PACKED)
        kloop512_rows<S, MR, NV, AL, BM512_PACKED>(mr, kc, a, ar, sa, b, ldb, mb, acc);
    else if (nr == NV * W)
        kloop512_rows<S, MR, NV, AL, BM512_FULL>(mr, kc, a, ar, sa, b, ldb, mb, acc);
    else
        kloop512_rows<S, MR, NV, AL, BM512_MASKED>(mr, kc, a, ar, sa, b, ldb, mb, acc);
    store_tile512<S, MR, NV>(acc, c, ldc, mr, nr, alpha, beta);
}

// 8 x 8 float transpose in registers (ymm; AVX-512VL gives these 32 registers too).
AX_INLINE void transpose8x8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6,
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

// dst[q * stride .. + 8) = x[q] for q < n (1 <= n <= 8). Constant indices only: a loop over q < n makes GCC
// keep x on the stack and copy it out in 8-byte moves (measured: a quarter of a C = 1 layer's weight
// gradient). aligned: every dst + q * stride is 32-byte aligned.
template <bool aligned = false>
AX_INLINE void store_columns8(float* dst, int64_t stride, const __m256 (&x)[8], int64_t n) {
    auto st = [&](int q) __attribute__((always_inline)) {
        if (aligned)
            _mm256_store_ps(dst + q * stride, x[q]);
        else
            _mm256_storeu_ps(dst + q * stride, x[q]);
    };
    switch (n) {
        case 8: st(7); [[fallthrough]];
        case 7: st(6); [[fallthrough]];
        case 6: st(5); [[fallthrough]];
        case 5: st(4); [[fallthrough]];
        case 4: st(3); [[fallthrough]];
        case 3: st(2); [[fallthrough]];
        case 2: st(1); [[fallthrough]];
        default: st(0);
    }
}

// Lanes [0, n) of an 8-lane vector (n clamped to [0, 8]).
AX_INLINE __mmask8 mask8(int64_t n) { return n >= 8 ? __mmask8(0xFF) : n <= 0 ? __mmask8(0) : __mmask8((1u << n) - 1u); }

// float A slivers of 8 rows. Non-transposed A: 8 rows of 8 k values (rows past mr read as zero) are
// transposed in registers into 8 columns of the sliver. Transposed A: each k is a row of the stored
// matrix, one masked load.
void pack_a_f32_mr8(bool transA, const float* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc,
                    float* out) {
    constexpr int MR = 8;
    for (int64_t s = 0; s * MR < mc; ++s) {
        float* dst = out + s * kc * MR;
        const int64_t r0 = i0 + s * MR;
        const int64_t mr = std::min<int64_t>(MR, i0 + mc - r0);
        if (!transA) {
            const float* rows[8];
            for (int i = 0; i < 8; ++i) rows[i] = A + (r0 + (i < mr ? i : 0)) * lda + k0;
            int64_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                __m256 x[8];
                for (int i = 0; i < 8; ++i) x[i] = i < mr ? _mm256_loadu_ps(rows[i] + k) : _mm256_setzero_ps();
                transpose8x8(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
                store_columns8(dst + k * MR, MR, x, 8);
            }
            if (k < kc) {  // the last k values: masked loads, same transpose, only the real columns stored
                const __mmask8 mk = mask8(kc - k);
                __m256 x[8];
                for (int i = 0; i < 8; ++i) x[i] = i < mr ? _mm256_maskz_loadu_ps(mk, rows[i] + k) : _mm256_setzero_ps();
                transpose8x8(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
                store_columns8(dst + k * MR, MR, x, kc - k);
            }
        } else {
            const __mmask8 m = mask8(mr);
            const float* src = A + k0 * lda + r0;
            for (int64_t k = 0; k < kc; ++k) _mm256_storeu_ps(dst + k * MR, _mm256_maskz_loadu_ps(m, src + k * lda));
        }
    }
}

// float B slivers 32 wide. Non-transposed B: two (masked) 16-lane loads per k; several complete slivers
// are walked row by row (each line of B read once, one stream for the prefetcher; see the AVX2 packer).
// Transposed B (rows of the stored matrix are columns of op(B)): 8 x 8 blocks transposed in registers.
void pack_b_f32_nr32(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc,
                     float* out) {
    constexpr int NR = 32;
    int64_t s = 0;
    if (!transB && nc >= 2 * NR) {
        const int64_t full = nc / NR;
        for (int64_t k = 0; k < kc; ++k) {
            const float* src = B + (k0 + k) * ldb + j0;
            float* d = out + k * NR;
            for (int64_t t = 0; t < full; ++t) {
                _mm512_store_ps(d + t * kc * NR, _mm512_loadu_ps(src + t * NR));
                _mm512_store_ps(d + t * kc * NR + 16, _mm512_loadu_ps(src + t * NR + 16));
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
            const __mmask16 m0 = Vec512F32::mask(nr), m1 = Vec512F32::mask(nr - 16);
            for (int64_t k = 0; k < kc; ++k) {
                _mm512_store_ps(dst + k * NR, _mm512_maskz_loadu_ps(m0, src + k * ldb));
                _mm512_store_ps(dst + k * NR + 16, _mm512_maskz_loadu_ps(m1, src + k * ldb + 16));
            }
        } else {
            const float* rows[32];
            for (int j = 0; j < 32; ++j) rows[j] = B + (c0 + (j < nr ? j : 0)) * ldb + k0;
            int64_t k = 0;
            for (; k < kc; k += 8) {
                const int64_t kn = std::min<int64_t>(8, kc - k);
                const __mmask8 mk = mask8(kn);
                for (int g = 0; g * 8 < nr; ++g) {
                    __m256 x[8];
                    for (int i = 0; i < 8; ++i) {
                        const int j = 8 * g + i;
                        x[i] = j < nr ? _mm256_maskz_loadu_ps(mk, rows[j] + k) : _mm256_setzero_ps();
                    }
                    transpose8x8(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
                    store_columns8<true>(dst + k * NR + 8 * g, NR, x, kn);
                }
                for (int g = int((nr + 7) / 8); g < 4; ++g)
                    for (int q = 0; q < kn; ++q) _mm256_store_ps(dst + (k + q) * NR + 8 * g, _mm256_setzero_ps());
            }
        }
    }
}

struct Avx512F32 {
    using T = float;
    using Blocking = BlockingAvx512F32;
    static_assert(Blocking::MR == 8 && Blocking::NR == 32, "the packers below are written for 8 x 32 tiles");
    template <int AL, int BL>
    static AX512_KERNEL_ATTR void kernel(int64_t kc, const T* a, int64_t sa, const T* b, int64_t ldb, T* c,
                                         int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta) {
        microkernel512<Vec512F32, 8, 2, AL, BL>(kc, a, sa, b, ldb, c, ldc, mr, nr, alpha, beta);
    }
    static void pack_a(bool t, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc, T* out) {
        pack_a_f32_mr8(t, A, lda, i0, k0, mc, kc, out);
    }
    static void pack_b(bool t, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc, T* out) {
        pack_b_f32_nr32(t, B, ldb, k0, j0, kc, nc, out);
    }
};

// float64: the same register tile in vectors (8 x 2 vectors of 8) and the portable packers, which the
// compiler vectorises with AVX-512 here. It exists for gradient checks, not for speed.
struct Avx512F64 {
    using T = double;
    using Blocking = BlockingAvx512F64;
    template <int AL, int BL>
    static AX512_KERNEL_ATTR void kernel(int64_t kc, const T* a, int64_t sa, const T* b, int64_t ldb, T* c,
                                         int64_t ldc, int64_t mr, int64_t nr, T alpha, T beta) {
        microkernel512<Vec512F64, Blocking::MR, Blocking::NR / 8, AL, BL>(kc, a, sa, b, ldb, c, ldc, mr, nr, alpha,
                                                                          beta);
    }
    static void pack_a(bool t, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc, T* out) {
        pack_a_portable<T, Blocking::MR>(t, A, lda, i0, k0, mc, kc, out);
    }
    static void pack_b(bool t, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc, T* out) {
        pack_b_portable<T, Blocking::NR>(t, B, ldb, k0, j0, kc, nc, out);
    }
};

}  // namespace
}  // namespace axonal
