// The implicit-GEMM conv2d loops (see conv2d_implicit.h), written once over an ISA: a GEMM kernel set
// `Ks` (gemm_avx2_kernels.h / gemm_avx512_kernels.h) and a gather set `G` that fills its slivers from the
// image. Included by conv2d_implicit_avx2.cpp and conv2d_implicit_avx512.cpp, each built with its flags;
// everything has internal linkage, like the GEMM driver.
//
// Gather set interface (float only):
//   G::gather_b(x, at, mask, dst)      dst[0 : NR] = x[at + l] where mask[l] != 0, else 0; masked-off
//                                      lanes never touch memory (at may lie before the image)
//   G::gather_a(x, off, mrow, mr, j, n, end, dst)
//                                      the n <= 8 (k) positions j .. j+n-1 of MR taps, tap i at
//                                      x[j + off[i]] masked by mrow[i][j ..], rows i >= mr zero; written
//                                      k-major as n columns of MR values at dst (dst[q * MR + i]); end: these
//                                      are the sliver's last columns (nothing past them may be written)
//   G::prefetch(x, at)                 towards L1
#pragma once
#include <algorithm>
#include <cstdint>

#include "kernels/conv2d_geom.h"
#include "kernels/gemm_driver.h"

namespace axonal {
namespace {

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

#ifndef AX_PF_GATHER
#define AX_PF_GATHER 64  // image elements ahead of a tap's window to prefetch
#endif

template <class Ks, class G>
void implicit_forward_image(const ConvGeom& g, const int32_t* masks, int64_t mstride, const float* packed_weight,
                            const float* x, int64_t cb, int64_t ce, float beta, float* out) {
    constexpr int NR = Ks::Blocking::NR;
    // B sliver = NR output positions x kc taps: per tap, NR masked loads from the image.
    auto gather_b = [&](int64_t pc, int64_t j0, int64_t kc, int64_t, float* dst) {
        const int64_t j = cb + j0;
        TapCursor tap(g, pc);
        for (int64_t k = 0; k < kc; ++k, tap.next()) {
            const int64_t at = j + tap.offset();
            // The next slivers' image rows: a large image (64 channels of 56 x 56 = 800 KB) is not in L2,
            // and the gather walks 9 x C streams at once, more than the hardware prefetcher follows.
            G::prefetch(x, at + AX_PF_GATHER);
            G::gather_b(x, at, masks + tap.rs() * mstride + j, dst + k * NR);
        }
    };
    GemmDriver<Ks>::run_packed_a_gather_b(g.K, ce - cb, g.crs(), 1.0f, packed_weight, gather_b, beta, out + cb,
                                          g.pq());
}

template <class Ks, class G>
void implicit_weight_grad_image(const ConvGeom& g, const int32_t* masks, int64_t mstride, const float* dout,
                                const float* x, float beta, float* acc_t) {
    constexpr int MR = Ks::Blocking::MR;
    // A sliver = kc output positions x MR taps, stored k-major.
    auto gather_a = [&](int64_t pc, int64_t i0, int64_t kc, int64_t mr, float* dst) {
        int64_t off[MR];
        const int32_t* mrow[MR];
        TapCursor tap(g, i0);
        for (int i = 0; i < MR; ++i) {
            off[i] = tap.offset();
            mrow[i] = masks + tap.rs() * mstride;
            if (i + 1 < mr) tap.next();  // rows past mr repeat the last tap; the gather zeroes them
        }
        for (int64_t k = 0; k < kc; k += 8)
            G::gather_a(x, off, mrow, mr, pc + k, std::min<int64_t>(8, kc - k), k + 8 >= kc, dst + k * MR);
    };
    // op(B) = dout^T (P*Q x K): dout's rows are its columns, so it is packed transposed.
    GemmDriver<Ks>::run_gather_a(g.crs(), g.K, g.pq(), 1.0f, gather_a, true, dout, g.pq(), beta, acc_t, g.K);
}

}  // namespace
}  // namespace axonal
