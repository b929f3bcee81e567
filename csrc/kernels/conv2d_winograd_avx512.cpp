// Winograd conv2d at the AVX-512 level: the loops of conv2d_winograd_impl.h on 512-bit vectors (16 tiles per
// vector), column masks in mask registers. conv2d_winograd.cpp calls in here only at that level.
#include "kernels/conv2d_winograd.h"

#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
#include <immintrin.h>

#include "kernels/conv2d_winograd_impl.h"
#include "kernels/conv2d_winograd_ops256.h"
#include "kernels/gemm_blocking.h"

namespace axonal {
namespace {

struct WinoAvx512 {
    using V = __m512;
    using Mask = __mmask16;
    static constexpr int W = 16;
    static WINO_INLINE V zero() { return _mm512_setzero_ps(); }
    static WINO_INLINE V set1(float x) { return _mm512_set1_ps(x); }
    static WINO_INLINE V add(V a, V b) { return _mm512_add_ps(a, b); }
    static WINO_INLINE V sub(V a, V b) { return _mm512_sub_ps(a, b); }
    static WINO_INLINE V fmadd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
    // The all-lanes masked form: GCC 12 warns (-Wmaybe-uninitialized, -O2) on _mm512_max_ps's undefined source.
    static WINO_INLINE V max(V a, V b) { return _mm512_mask_max_ps(a, __mmask16(0xFFFF), a, b); }
    static WINO_INLINE V loadu(const float* p) { return _mm512_loadu_ps(p); }
    static WINO_INLINE void storeu(float* p, V v) { _mm512_storeu_ps(p, v); }
    static WINO_INLINE void prefetch(const float* p) { _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0); }
    static Mask lane_mask(int64_t first, int64_t width) {
        unsigned m = 0;
        for (int l = 0; l < 16; ++l)
            if (first + l >= 0 && first + l < width) m |= 1u << l;
        return Mask(m);
    }
    // Masked-off lanes never touch memory (fault suppression); the address is formed in integers.
    static WINO_INLINE V masked_load(const float* base, int64_t at, Mask mask) {
        const intptr_t address = reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float));
        return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(address));
    }
    static WINO_INLINE void deinterleave(V lo, V hi, V& even, V& odd) {
        const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
        even = _mm512_permutex2var_ps(lo, ie, hi);
        odd = _mm512_permutex2var_ps(lo, io, hi);
    }
    static WINO_INLINE void store_pairs(float* out, V a, V b, int64_t n, bool accumulate) {
        const __m512i i0 = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        const __m512i i1 = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
        V r0 = _mm512_permutex2var_ps(a, i0, b), r1 = _mm512_permutex2var_ps(a, i1, b);
        const __mmask16 m0 = n >= 16 ? 0xFFFF : __mmask16((1u << n) - 1u);
        const __mmask16 m1 = n >= 32 ? 0xFFFF : n <= 16 ? 0 : __mmask16((1u << (n - 16)) - 1u);
        if (accumulate) {
            r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, out));
            r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, out + 16));
        }
        _mm512_mask_storeu_ps(out, m0, r0);
        _mm512_mask_storeu_ps(out + 16, m1, r1);
    }
    static double hsum(V v) {
        alignas(64) float f[16];
        _mm512_store_ps(f, v);
        double acc = 0.0;
        for (float x : f) acc += double(x);
        return acc;
    }
};

}  // namespace

#ifndef AX512_WINO_MAX_TILES
#define AX512_WINO_MAX_TILES 128
#endif

// Tile rows of at most 8 tiles (outputs up to 16 wide: a 14 x 14 layer has 7) run the transforms on 256-bit
// vectors: 16 lanes would be more than half empty. Measured on a 14 x 14 C32->64 layer's weight gradient:
// 4.0 ms with 16-lane transforms, AVX2 2.8 ms.
static bool narrow_rows(const ConvGeom& g) { return (g.Q + 1) / 2 <= 8; }

void conv2d_winograd_avx512(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                            bool accumulate, float* out, int64_t nchunks) {
    if (narrow_rows(g))
        winograd_conv<Wino256>(g, inp, weight, bias, relu, accumulate, out, nchunks, BlockingAvx512F32::NR,
                               AX512_WINO_MAX_TILES);
    else
        winograd_conv<WinoAvx512>(g, inp, weight, bias, relu, accumulate, out, nchunks, BlockingAvx512F32::NR,
                                  AX512_WINO_MAX_TILES);
}

void conv2d_winograd_weight_grad_avx512(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                        float* dbias, int64_t nchunks) {
    if (narrow_rows(g))
        winograd_conv_weight_grad<Wino256>(g, dout, inp, dweight, dbias, nchunks, BlockingAvx512F32::NR);
    else
        winograd_conv_weight_grad<WinoAvx512>(g, dout, inp, dweight, dbias, nchunks, BlockingAvx512F32::NR);
}

}  // namespace axonal

#else  // no AVX-512 build: isa_level() is never avx512, nothing calls these.

#include <cstdlib>

namespace axonal {
void conv2d_winograd_avx512(const ConvGeom&, const float*, const float*, const float*, bool, bool, float*, int64_t) {
    std::abort();
}
void conv2d_winograd_weight_grad_avx512(const ConvGeom&, const float*, const float*, float*, float*, int64_t) {
    std::abort();
}
}  // namespace axonal

#endif
