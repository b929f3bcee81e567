// Implicit-GEMM conv2d at the AVX2 level: the gathers of conv2d_implicit_impl.h on ymm registers and the
// AVX2 GEMM kernels. Built with -mavx2 -mfma; conv2d_implicit.cpp calls in here only at that level.
#include "kernels/conv2d_implicit.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#include "kernels/conv2d_implicit_impl.h"
#include "kernels/gemm_avx2_kernels.h"

namespace axonal {
namespace {

// Lanes of a masked load that are off never touch memory (VMASKMOVPS does not fault on them), so a tap
// whose window starts before the image or ends past it is read safely; pointer arithmetic is done in
// integers for that reason.
AX_INLINE __m256 gather8(const float* base, int64_t at, const int32_t* mask) {
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask));
    return _mm256_maskload_ps(reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(base) +
                                                              intptr_t(at) * intptr_t(sizeof(float))),
                              m);
}

struct GatherAvx2 {
    static AX_INLINE void prefetch(const float* base, int64_t at) {
        const intptr_t address = reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float));
        _mm_prefetch(reinterpret_cast<const char*>(address), _MM_HINT_T0);
    }
    static AX_INLINE void gather_b(const float* x, int64_t at, const int32_t* m, float* dst) {
        _mm256_store_ps(dst, gather8(x, at, m));
        _mm256_store_ps(dst + 8, gather8(x, at + 8, m + 8));
    }
    // 6 masked rows of 8 positions, transposed; each column is written 8 wide, the next one overwriting
    // the 2 extra lanes, and the sliver's last column exactly (store6).
    static AX_INLINE void gather_a(const float* x, const int64_t* off, const int32_t* const* mrow, int64_t mr,
                                   int64_t j, int64_t n, bool end, float* dst) {
        const __m256 z = _mm256_setzero_ps();
        __m256 v[8];
        for (int i = 0; i < 6; ++i) v[i] = i < mr ? gather8(x, j + off[i], mrow[i] + j) : z;
        v[6] = v[7] = z;
        transpose8(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        for (int64_t q = 0; q < n; ++q) {
            if (q + 1 < n || !end)
                _mm256_storeu_ps(dst + q * 6, v[q]);
            else
                store6(dst + q * 6, v[q]);
        }
    }
};

}  // namespace

void conv2d_implicit_forward_image_avx2(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                        const float* x, int64_t cb, int64_t ce, float beta, float* out) {
    implicit_forward_image<Avx2F32, GatherAvx2>(g, masks, conv2d_tap_mask_stride(g), packed_weight, x, cb, ce, beta,
                                                out);
}

void conv2d_implicit_weight_grad_image_avx2(const ConvGeom& g, const int32_t* masks, const float* dout,
                                            const float* x, float beta, float* acc_t) {
    implicit_weight_grad_image<Avx2F32, GatherAvx2>(g, masks, conv2d_tap_mask_stride(g), dout, x, beta, acc_t);
}

}  // namespace axonal

#else  // no AVX2 build: conv2d_implicit_applies() is false, nothing calls these.

#include <cstdlib>

namespace axonal {
void conv2d_implicit_forward_image_avx2(const ConvGeom&, const int32_t*, const float*, const float*, int64_t,
                                        int64_t, float, float*) {
    std::abort();
}
void conv2d_implicit_weight_grad_image_avx2(const ConvGeom&, const int32_t*, const float*, const float*, float,
                                            float*) {
    std::abort();
}
}  // namespace axonal

#endif
