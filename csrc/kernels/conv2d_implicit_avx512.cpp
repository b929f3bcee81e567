// Implicit-GEMM conv2d at the AVX-512 level: the gathers of conv2d_implicit_impl.h with mask registers
// (16-lane masked loads for the 32-wide B slivers, 8-lane ones for the 8-tap A slivers) and the AVX-512
// GEMM kernels, whose packed weight layout (8-row slivers) conv2d.cpp prepares at this level.
#include "kernels/conv2d_implicit.h"

#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
#include "kernels/conv2d_implicit_impl.h"
#include "kernels/gemm_avx512_kernels.h"

namespace axonal {
namespace {

// Masked-off lanes never touch memory (fault suppression), so a window hanging off the image is safe;
// addresses are formed in integers for that reason.
AX_INLINE const float* at_ptr(const float* base, int64_t at) {
    return reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float)));
}

AX_INLINE __m512 gather16(const float* base, int64_t at, const int32_t* mask) {
    const __mmask16 m = _mm512_movepi32_mask(_mm512_loadu_si512(mask));
    return _mm512_maskz_loadu_ps(m, at_ptr(base, at));
}

AX_INLINE __m256 gather8(const float* base, int64_t at, const int32_t* mask) {
    const __mmask8 m = _mm256_movepi32_mask(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask)));
    return _mm256_maskz_loadu_ps(m, at_ptr(base, at));
}

struct GatherAvx512 {
    static_assert(BlockingAvx512F32::NR == 32 && BlockingAvx512F32::MR == 8, "gathers written for 8 x 32 tiles");
    static AX_INLINE void prefetch(const float* base, int64_t at) {
        _mm_prefetch(reinterpret_cast<const char*>(at_ptr(base, at)), _MM_HINT_T0);
    }
    static AX_INLINE void gather_b(const float* x, int64_t at, const int32_t* m, float* dst) {
        _mm512_store_ps(dst, gather16(x, at, m));
        _mm512_store_ps(dst + 16, gather16(x, at + 16, m + 16));
    }
    // 8 masked rows (taps) of 8 positions, transposed into 8 columns of 8 taps: exact stores, no overlap.
    static AX_INLINE void gather_a(const float* x, const int64_t* off, const int32_t* const* mrow, int64_t mr,
                                   int64_t j, int64_t n, bool, float* dst) {
        __m256 v[8];
        for (int i = 0; i < 8; ++i) v[i] = i < mr ? gather8(x, j + off[i], mrow[i] + j) : _mm256_setzero_ps();
        transpose8x8(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        store_columns8(dst, 8, v, n);
    }
};

}  // namespace

void conv2d_implicit_forward_image_avx512(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                          const float* x, int64_t cb, int64_t ce, float beta, float* out) {
    implicit_forward_image<Avx512F32, GatherAvx512>(g, masks, conv2d_tap_mask_stride(g), packed_weight, x, cb, ce,
                                                    beta, out);
}

void conv2d_implicit_weight_grad_image_avx512(const ConvGeom& g, const int32_t* masks, const float* dout,
                                              const float* x, float beta, float* acc_t) {
    implicit_weight_grad_image<Avx512F32, GatherAvx512>(g, masks, conv2d_tap_mask_stride(g), dout, x, beta, acc_t);
}

}  // namespace axonal

#else  // no AVX-512 build: isa_level() is never avx512, nothing calls these.

#include <cstdlib>

namespace axonal {
void conv2d_implicit_forward_image_avx512(const ConvGeom&, const int32_t*, const float*, const float*, int64_t,
                                          int64_t, float, float*) {
    std::abort();
}
void conv2d_implicit_weight_grad_image_avx512(const ConvGeom&, const int32_t*, const float*, const float*, float,
                                              float*) {
    std::abort();
}
}  // namespace axonal

#endif
