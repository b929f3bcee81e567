// The three convolutions as implicit GEMMs for tile_gemm.cuh; conv2d.cu launches them.
// Per group g (blockIdx.z), with Cg = C / groups input and Kg = K / groups output channels, RS = R * S:
//   forward       out[n, g*Kg+k, p, q]   M = Kg, N = N*P*Q, Kd = Cg*RS
//                 A = weight rows (dense, Kg x Cg*RS), B = im2col of the input, gathered on the fly
//   input grad    dinp[n, g*Cg+c, h, w]  M = Cg, N = N*H*W, Kd = Kg*RS
//                 A = weight transposed (c, k*RS + rs), B = dout at the output pixel each tap came from
//                 (zero where (h + pad - r*dil) is not a multiple of the stride or falls outside)
//   weight grad   dweight[g*Kg+k, c, r, s]  M = Kg, N = Cg*RS, Kd = N*P*Q (split over blockIdx.z too)
//                 A = dout rows, B = im2col transposed
// Taps outside the image read zero. Pixel offsets are precomputed per column and per reduction row, so
// a gathered element costs an add and two unsigned compares. Index values (h, w, offsets within an image
// row) fit in int: the binding keeps every size and geometry value below 2^30.
#pragma once
#include "cuda/tile_gemm.cuh"

namespace axonal {
namespace cuda {

struct ConvGeom {
    int64_t N, C, H, W, K, P, Q, Cg, Kg;
    int R, S, sh, sw, ph, pw, dh, dw;
};

// An index that puts any tap outside the image (it stays negative after adding any valid offset).
constexpr int kFar = -(1 << 30);

// ---------------------------------------------------------------- forward

// B(k = c*RS + r*S + s, x = n*PQ + p*Q + q) = in_g[n, c, p*sh - ph + r*dh, q*sw - pw + s*dw]
template <typename T>
struct FwdImcol {
    const T* in;
    ConvGeom g;
    struct Col {
        int64_t pix;
        int h0, w0;
    };
    struct Row {
        int64_t off;
        int dh, dw;
    };
    __device__ Col col(int64_t x) const {
        const int64_t PQ = g.P * g.Q;
        if (x >= g.N * PQ) return {0, kFar, 0};
        const int64_t n = x / PQ, pq = x % PQ;
        const int h0 = int(pq / g.Q) * g.sh - g.ph, w0 = int(pq % g.Q) * g.sw - g.pw;
        return {n * g.C * g.H * g.W + int64_t(h0) * g.W + w0, h0, w0};
    }
    __device__ Row row(int64_t k, int64_t kend) const {
        if (k >= kend) return {0, kFar, 0};
        const int RS = g.R * g.S, rs = int(k % RS), r = rs / g.S, s = rs % g.S;
        return {(k / RS) * g.H * g.W + int64_t(r * g.dh) * g.W + s * g.dw, r * g.dh, s * g.dw};
    }
    __device__ T fetch(const Col& c, const Row& r) const {
        const int h = c.h0 + r.dh, w = c.w0 + r.dw;
        return (unsigned(h) < unsigned(g.H) && unsigned(w) < unsigned(g.W)) ? in[c.pix + r.off] : T(0);
    }
};

template <class Cfg>
struct ConvFwdProblem {
    using T = typename Cfg::value_type;
    using value_type = T;
    static constexpr int V = Cfg::V;
    const T* inp;
    const T* weight;
    const T* bias;
    T* out;
    ConvGeom g;
    bool vecW, relu;
    int64_t y_base = 0, z_base = 0;

    struct Slice {
        const T* w;
        const T* in;
        const T* bias;
        T* out;
        int64_t kbeg, kend;
    };
    struct Cols {
        int64_t off[V];  // n*K*PQ + pq, or -1 past the last column
    };
    using ALoader = DenseTileLoader<T, Cfg::BM, Cfg::BK, Cfg::NT, true>;
    using BLoader = XLanesLoader<T, Cfg::BN, Cfg::BK, Cfg::NT, FwdImcol<T>>;

    __device__ Slice slice(int64_t grp) const {
        const int64_t crs = g.Cg * g.R * g.S;
        return {weight + grp * g.Kg * crs, inp + grp * g.Cg * g.H * g.W, bias ? bias + grp * g.Kg : nullptr,
                out + grp * g.Kg * g.P * g.Q, 0, crs};
    }
    __device__ ALoader a_loader(const Slice& sl, int64_t m0, int tid) const {
        return ALoader(sl.w, sl.kend, g.Kg, vecW, m0, tid);
    }
    __device__ BLoader b_loader(const Slice& sl, int64_t n0, int tid) const {
        return BLoader(FwdImcol<T>{sl.in, g}, n0, tid);
    }
    __device__ Cols cols(const Slice&, int64_t x0) const {
        Cols c;
        const int64_t PQ = g.P * g.Q;
        for (int e = 0; e < V; ++e) {
            const int64_t x = x0 + e;
            c.off[e] = x < g.N * PQ ? (x / PQ) * g.K * PQ + x % PQ : -1;
        }
        return c;
    }
    __device__ void store(const Slice& sl, int64_t m, const Cols& c, const T* v) const {
        if (m >= g.Kg) return;
        const T b = sl.bias ? sl.bias[m] : T(0);
        T* dst = sl.out + m * g.P * g.Q;
        for (int e = 0; e < V; ++e) {
            if (c.off[e] < 0) continue;
            const T val = v[e] + b;
            dst[c.off[e]] = relu ? relu1(val) : val;
        }
    }
};

// ---------------------------------------------------------------- input gradient

// A(x = c, k = kk*RS + rs) = w_g[kk, c, rs]  (the weight of group g seen as Cg x Kg*RS)
template <typename T>
struct DgradWeight {
    const T* w;
    ConvGeom g;
    struct Col {
        int64_t off;  // c * RS, or -1 past Cg
    };
    struct Row {
        int64_t off;  // kk * Cg * RS + rs, or -1 past the range
    };
    __device__ Col col(int64_t c) const { return {c < g.Cg ? c * g.R * g.S : -1}; }
    __device__ Row row(int64_t k, int64_t kend) const {
        const int64_t RS = g.R * g.S;
        return {k < kend ? (k / RS) * g.Cg * RS + k % RS : -1};
    }
    __device__ T fetch(const Col& c, const Row& r) const { return (c.off >= 0 && r.off >= 0) ? w[c.off + r.off] : T(0); }
};

// B(k = kk*RS + r*S + s, x = n*HW + h*W + w) = dout_g[n, kk, p, q] with p*sh = h + ph - r*dh, q likewise.
template <typename T>
struct DgradDout {
    const T* dout;
    ConvGeom g;
    struct Col {
        int64_t base;  // n * K * PQ
        int hp, wp;    // h + ph, w + pw
    };
    struct Row {
        int64_t off;  // kk * PQ
        int rdh, sdw;
    };
    __device__ Col col(int64_t x) const {
        const int64_t HW = g.H * g.W;
        if (x >= g.N * HW) return {0, kFar, 0};
        const int64_t n = x / HW, hw = x % HW;
        return {n * g.K * g.P * g.Q, int(hw / g.W) + g.ph, int(hw % g.W) + g.pw};
    }
    __device__ Row row(int64_t k, int64_t kend) const {
        if (k >= kend) return {0, -kFar, 0};
        const int RS = g.R * g.S, rs = int(k % RS);
        return {(k / RS) * g.P * g.Q, (rs / g.S) * g.dh, (rs % g.S) * g.dw};
    }
    __device__ T fetch(const Col& c, const Row& r) const {
        const int hh = c.hp - r.rdh, ww = c.wp - r.sdw;
        if (hh < 0 || ww < 0) return T(0);
        int p = hh, q = ww;
        if (g.sh != 1) {
            p = hh / g.sh;
            if (p * g.sh != hh) return T(0);
        }
        if (g.sw != 1) {
            q = ww / g.sw;
            if (q * g.sw != ww) return T(0);
        }
        if (p >= g.P || q >= g.Q) return T(0);
        return dout[c.base + r.off + int64_t(p) * g.Q + q];
    }
};

template <class Cfg>
struct ConvDgradProblem {
    using T = typename Cfg::value_type;
    using value_type = T;
    static constexpr int V = Cfg::V;
    T* dinp;
    const T* dout;
    const T* weight;
    ConvGeom g;
    int64_t y_base = 0, z_base = 0;

    struct Slice {
        const T* w;
        const T* dout;
        T* dinp;
        int64_t kbeg, kend;
    };
    struct Cols {
        int64_t off[V];  // n*C*HW + hw, or -1 past the last pixel
    };
    using ALoader = KLanesLoader<T, Cfg::BM, Cfg::BK, Cfg::NT, DgradWeight<T>>;
    using BLoader = XLanesLoader<T, Cfg::BN, Cfg::BK, Cfg::NT, DgradDout<T>>;

    __device__ Slice slice(int64_t grp) const {
        const int64_t RS = g.R * g.S;
        return {weight + grp * g.Kg * g.Cg * RS, dout + grp * g.Kg * g.P * g.Q, dinp + grp * g.Cg * g.H * g.W, 0,
                g.Kg * RS};
    }
    __device__ ALoader a_loader(const Slice& sl, int64_t m0, int tid) const {
        return ALoader(DgradWeight<T>{sl.w, g}, m0, tid);
    }
    __device__ BLoader b_loader(const Slice& sl, int64_t n0, int tid) const {
        return BLoader(DgradDout<T>{sl.dout, g}, n0, tid);
    }
    __device__ Cols cols(const Slice&, int64_t x0) const {
        Cols c;
        const int64_t HW = g.H * g.W;
        for (int e = 0; e < V; ++e) {
            const int64_t x = x0 + e;
            c.off[e] = x < g.N * HW ? (x / HW) * g.C * HW + x % HW : -1;
        }
        return c;
    }
    __device__ void store(const Slice& sl, int64_t m, const Cols& c, const T* v) const {
        if (m >= g.Cg) return;
        T* dst = sl.dinp + m * g.H * g.W;
        for (int e = 0; e < V; ++e)
            if (c.off[e] >= 0) dst[c.off[e]] += v[e];
    }
};

// ---------------------------------------------------------------- weight gradient

// A(x = kk, k = j = n*PQ + pq) = dout_g[n, kk, pq]
template <typename T>
struct WgradDout {
    const T* dout;
    ConvGeom g;
    struct Col {
        int64_t off;  // kk * PQ, or -1 past Kg
    };
    struct Row {
        int64_t off;  // n * K * PQ + pq, or -1 past the range
    };
    __device__ Col col(int64_t kk) const { return {kk < g.Kg ? kk * g.P * g.Q : -1}; }
    __device__ Row row(int64_t j, int64_t kend) const {
        const int64_t PQ = g.P * g.Q;
        return {j < kend ? (j / PQ) * g.K * PQ + j % PQ : -1};
    }
    __device__ T fetch(const Col& c, const Row& r) const {
        return (c.off >= 0 && r.off >= 0) ? dout[c.off + r.off] : T(0);
    }
};

// B(k = j = n*PQ + p*Q + q, x = c*RS + r*S + s) = in_g[n, c, p*sh - ph + r*dh, q*sw - pw + s*dw]
template <typename T>
struct WgradImcol {
    const T* in;
    ConvGeom g;
    struct Col {
        int64_t pix;  // c*HW + r*dh*W + s*dw
        int rdh, sdw;
    };
    struct Row {
        int64_t pix;  // n*C*HW + h0*W + w0
        int h0, w0;
    };
    __device__ Col col(int64_t x) const {
        const int RS = g.R * g.S;
        if (x >= g.Cg * RS) return {0, kFar, 0};
        const int rs = int(x % RS), rdh = (rs / g.S) * g.dh, sdw = (rs % g.S) * g.dw;
        return {(x / RS) * g.H * g.W + int64_t(rdh) * g.W + sdw, rdh, sdw};
    }
    __device__ Row row(int64_t j, int64_t kend) const {
        if (j >= kend) return {0, kFar, 0};
        const int64_t PQ = g.P * g.Q, n = j / PQ, pq = j % PQ;
        const int h0 = int(pq / g.Q) * g.sh - g.ph, w0 = int(pq % g.Q) * g.sw - g.pw;
        return {n * g.C * g.H * g.W + int64_t(h0) * g.W + w0, h0, w0};
    }
    __device__ T fetch(const Col& c, const Row& r) const {
        const int h = r.h0 + c.rdh, w = r.w0 + c.sdw;
        return (unsigned(h) < unsigned(g.H) && unsigned(w) < unsigned(g.W)) ? in[r.pix + c.pix] : T(0);
    }
};

template <class Cfg>
struct ConvWgradProblem {
    using T = typename Cfg::value_type;
    using value_type = T;
    static constexpr int V = Cfg::V;
    T* dweight;
    const T* dout;
    const T* inp;
    ConvGeom g;
    int64_t splits, kchunk;
    int64_t y_base = 0, z_base = 0;

    struct Slice {
        const T* dout;
        const T* in;
        T* dw;
        int64_t kbeg, kend;
    };
    struct Cols {
        int64_t x0;
    };
    using ALoader = KLanesLoader<T, Cfg::BM, Cfg::BK, Cfg::NT, WgradDout<T>>;
    using BLoader = KLanesLoader<T, Cfg::BN, Cfg::BK, Cfg::NT, WgradImcol<T>>;

    __device__ Slice slice(int64_t z) const {
        const int64_t grp = z / splits, sp = z % splits, kbeg = sp * kchunk;
        return {dout + grp * g.Kg * g.P * g.Q, inp + grp * g.Cg * g.H * g.W,
                dweight + grp * g.Kg * g.Cg * g.R * g.S, kbeg, ax_min(g.N * g.P * g.Q, kbeg + kchunk)};
    }
    __device__ ALoader a_loader(const Slice& sl, int64_t m0, int tid) const {
        return ALoader(WgradDout<T>{sl.dout, g}, m0, tid);
    }
    __device__ BLoader b_loader(const Slice& sl, int64_t n0, int tid) const {
        return BLoader(WgradImcol<T>{sl.in, g}, n0, tid);
    }
    __device__ Cols cols(const Slice&, int64_t x0) const { return {x0}; }
    __device__ void store(const Slice& sl, int64_t m, const Cols& c, const T* v) const {
        const int64_t crs = g.Cg * g.R * g.S;
        if (m >= g.Kg) return;
        T* dst = sl.dw + m * crs;
        for (int e = 0; e < V; ++e) {
            const int64_t x = c.x0 + e;
            if (x >= crs) continue;
            if (splits > 1)
                atomicAdd(dst + x, v[e]);
            else
                dst[x] += v[e];
        }
    }
};

}  // namespace cuda
}  // namespace axonal
