// The 256-bit vector ops of the Winograd loops (conv2d_winograd_impl.h): 8 tiles per vector. Used by the AVX2
// level, and by the AVX-512 level for tile rows of at most 8 tiles (a 16-lane vector would be half empty).
// Include only from files built with AVX2 (or wider) flags.
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/conv2d_winograd_impl.h"

namespace axonal {
namespace {

struct Wino256 {
    using V = __m256;
    using Mask = __m256i;
    static constexpr int W = 8;
    static WINO_INLINE V zero() { return _mm256_setzero_ps(); }
    static WINO_INLINE V set1(float x) { return _mm256_set1_ps(x); }
    static WINO_INLINE V add(V a, V b) { return _mm256_add_ps(a, b); }
    static WINO_INLINE V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    static WINO_INLINE V fmadd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
    static WINO_INLINE V max(V a, V b) { return _mm256_max_ps(a, b); }
    static WINO_INLINE V loadu(const float* p) { return _mm256_loadu_ps(p); }
    static WINO_INLINE void storeu(float* p, V v) { _mm256_storeu_ps(p, v); }
    static WINO_INLINE void prefetch(const float* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
    static Mask lane_mask(int64_t first, int64_t width) {
        const __m256i cols = _mm256_add_epi32(_mm256_set1_epi32(int(first)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const __m256i ge0 = _mm256_cmpgt_epi32(cols, _mm256_set1_epi32(-1));
        const __m256i ltw = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(width)), cols);
        return _mm256_and_si256(ge0, ltw);
    }
    // Masked-off lanes never touch memory, so loads may hang off the row; the address is formed in integers.
    static WINO_INLINE V masked_load(const float* base, int64_t at, Mask mask) {
        const intptr_t address = reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float));
        return _mm256_maskload_ps(reinterpret_cast<const float*>(address), mask);
    }
    // Even and odd elements of the 16 floats (lo, hi): (lo0, lo2, .., hi6) and (lo1, lo3, .., hi7).
    static WINO_INLINE void deinterleave(V lo, V hi, V& even, V& odd) {
        even = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
        odd = _mm256_castpd_ps(
            _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
    }
    static inline void store_pairs(float* out, V a, V b, int64_t n, bool accumulate) {
        const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);
        __m256 r0 = _mm256_permute2f128_ps(lo, hi, 0x20), r1 = _mm256_permute2f128_ps(lo, hi, 0x31);
        if (n == 16) {
            if (accumulate) {
                r0 = _mm256_add_ps(r0, _mm256_loadu_ps(out));
                r1 = _mm256_add_ps(r1, _mm256_loadu_ps(out + 8));
            }
            _mm256_storeu_ps(out, r0);
            _mm256_storeu_ps(out + 8, r1);
            return;
        }
        alignas(32) float buf[16];
        _mm256_store_ps(buf, r0);
        _mm256_store_ps(buf + 8, r1);
        if (accumulate)
            for (int64_t i = 0; i < n; ++i) out[i] += buf[i];
        else
            std::memcpy(out, buf, sizeof(float) * size_t(n));
    }
    static double hsum(V v) {
        alignas(32) float f[8];
        _mm256_store_ps(f, v);
        double acc = 0.0;
        for (float x : f) acc += double(x);
        return acc;
    }
};

}  // namespace
}  // namespace axonal
