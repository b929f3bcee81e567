// Implicit-GEMM conv2d: the gathers that replace im2col, and the driver loops they feed (see
// conv2d_implicit.h). Built with -mavx2 -mfma; conv2d_implicit_applies() is false unless this process
// runs the AVX2 kernels, so nothing here is reached on other CPUs.
#include "kernels/conv2d_implicit.h"

#include "kernels/gemm_blocking.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#include "kernels/gemm_avx2_kernels.h"

namespace axonal {

namespace {

using Driver = GemmDriver<Avx2F32>;

// Walks the taps t = c*R*S + r*S + s in order, keeping the plane offset of the current tap.
struct TapCursor {
    const ConvGeom& g;
    int64_t c, r, s;
    TapCursor(const ConvGeom& geom, int64_t t) : g(geom) {
        const int64_t RS = g.R * g.S;
        c = t / RS;
        r = (t % RS) / g.S;
        s = t % g.S;
    }
    int64_t rs() const { return r * g.S + s; }
    // Where output position j reads this tap: plane c at j + offset().
    int64_t offset() const { return c * g.hw() + (r * g.dh - g.ph) * g.W + (s * g.dw - g.pw); }
    void next() {
        if (++s == g.S) {
            s = 0;
            if (++r == g.R) {
                r = 0;
                ++c;
            }
        }
    }
};

// Lanes of a masked load that are off never touch memory (VMASKMOVPS does not fault on them), so a tap
// whose window starts before the image or ends past it is read safely; pointer arithmetic is done in
// integers for that reason.
AX_INLINE __m256 gather8(const float* base, int64_t at, const int32_t* mask) {
    const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mask));
    return _mm256_maskload_ps(reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(base) +
                                                              intptr_t(at) * intptr_t(sizeof(float))),
                              m);
}

#ifndef AX_PF_GATHER
#define AX_PF_GATHER 64  // image elements ahead of a tap's window to prefetch (4 slivers)
#endif

// The next slivers' image rows: a large image (64 channels of 56 x 56 = 800 KB) is not in L2, and the
// gather's loads walk 9 x C streams at once, more than the hardware prefetcher follows.
AX_INLINE void prefetch_ahead(const float* base, int64_t at) {
    const intptr_t address = reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float));
    _mm_prefetch(reinterpret_cast<const char*>(address), _MM_HINT_T0);
}

}  // namespace

bool conv2d_implicit_applies(const ConvGeom& g) {
    return isa_level() == Isa::avx2 && g.sh == 1 && g.sw == 1 && g.Q == g.W && !g.pointwise() && g.R * g.S <= 64;
}

int64_t conv2d_tap_mask_stride(const ConvGeom& g) { return (g.pq() + 16 + 7) / 8 * 8; }

void conv2d_tap_masks(const ConvGeom& g, int32_t* masks) {
    const int64_t stride = conv2d_tap_mask_stride(g), PQ = g.pq();
    for (int64_t r = 0; r < g.R; ++r)
        for (int64_t s = 0; s < g.S; ++s) {
            int32_t* m = masks + (r * g.S + s) * stride;
            const int64_t offh = r * g.dh - g.ph, offw = s * g.dw - g.pw;
            for (int64_t j = 0; j < stride; ++j) {
                const int64_t h = j / g.Q + offh, w = j % g.Q + offw;
                m[j] = (j < PQ && h >= 0 && h < g.H && w >= 0 && w < g.W) ? -1 : 0;
            }
        }
}

void conv2d_implicit_forward_image(const ConvGeom& g, const int32_t* masks, const float* packed_weight,
                                   const float* x, int64_t cb, int64_t ce, float beta, float* out) {
    const int64_t mstride = conv2d_tap_mask_stride(g);
    // B sliver = 16 output positions x kc taps: per tap, two masked 8-wide loads from the image.
    auto gather_b = [&](int64_t pc, int64_t j0, int64_t kc, int64_t, float* dst) {
        const int64_t j = cb + j0;
        TapCursor tap(g, pc);
        for (int64_t k = 0; k < kc; ++k, tap.next()) {
            const int64_t at = j + tap.offset();
            const int32_t* m = masks + tap.rs() * mstride + j;
            prefetch_ahead(x, at + AX_PF_GATHER);
            _mm256_store_ps(dst + k * 16, gather8(x, at, m));
            _mm256_store_ps(dst + k * 16 + 8, gather8(x, at + 8, m + 8));
        }
    };
    Driver::run_packed_a_gather_b(g.K, ce - cb, g.crs(), 1.0f, packed_weight, gather_b, beta, out + cb, g.pq());
}

void conv2d_implicit_weight_grad_image(const ConvGeom& g, const int32_t* masks, const float* dout, const float* x,
                                       float beta, float* acc_t) {
    const int64_t mstride = conv2d_tap_mask_stride(g);
    // A sliver = kc output positions x 6 taps, stored k-major: 6 masked rows of 8 positions, transposed.
    auto gather_a = [&](int64_t pc, int64_t i0, int64_t kc, int64_t mr, float* dst) {
        int64_t off[6];
        const int32_t* mrow[6];
        TapCursor tap(g, i0);
        for (int i = 0; i < 6; ++i) {
            off[i] = tap.offset();
            mrow[i] = masks + tap.rs() * mstride;
            if (i + 1 < mr) tap.next();  // rows past mr repeat the last tap; they are zeroed below
        }
        const __m256 z = _mm256_setzero_ps();
        for (int64_t k = 0; k < kc; k += 8) {
            const int64_t j = pc + k;
            __m256 v[8];
            for (int i = 0; i < 6; ++i) v[i] = i < mr ? gather8(x, j + off[i], mrow[i] + j) : z;
            v[6] = v[7] = z;
            transpose8(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
            // v[q] now holds the 6 taps of position j + q (and 2 zero lanes). Each column is written 8
            // wide, the next one overwriting the 2 extra lanes; the sliver's last column exactly.
            const int64_t cols = std::min<int64_t>(8, kc - k);
            float* d = dst + k * 6;
            for (int64_t q = 0; q < cols; ++q) {
                if (k + q + 1 < kc)
                    _mm256_storeu_ps(d + q * 6, v[q]);
                else
                    store6(d + q * 6, v[q]);
            }
        }
    };
    // op(B) = dout^T (P*Q x K): dout's rows are its columns, so it is packed transposed.
    Driver::run_gather_a(g.crs(), g.K, g.pq(), 1.0f, gather_a, true, dout, g.pq(), beta, acc_t, g.K);
}

}  // namespace axonal

#else  // no AVX2 build: the implicit path never applies.

#include <cstdlib>

namespace axonal {
bool conv2d_implicit_applies(const ConvGeom&) { return false; }
int64_t conv2d_tap_mask_stride(const ConvGeom&) { std::abort(); }
void conv2d_tap_masks(const ConvGeom&, int32_t*) { std::abort(); }
void conv2d_implicit_forward_image(const ConvGeom&, const int32_t*, const float*, const float*, int64_t, int64_t,
                                   float, float*) {
    std::abort();
}
void conv2d_implicit_weight_grad_image(const ConvGeom&, const int32_t*, const float*, const float*, float, float*) {
    std::abort();
}
}  // namespace axonal

#endif
