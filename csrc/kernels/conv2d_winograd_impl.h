// Winograd F(2x2, 3x3) and F(2x2, 5x5) conv2d: transforms and the loop around the GEMMs (see
// conv2d_winograd.h), written once over a vector-ops set `O` and instantiated by conv2d_winograd_avx2.cpp
// (8 tiles per 256-bit vector) and conv2d_winograd_avx512.cpp (16 tiles per 512-bit vector, mask registers),
// each built with its flags. The GEMMs go through gemm.h, so they run the level's kernels. Everything has
// internal linkage, like the GEMM driver.
//
// Ops set interface (float; W lanes of type V; Mask a column mask):
//   zero, set1(x), add, sub, fmadd(a, b, c), max(a, b) (NaN in b passes), loadu(p), storeu(p, v)
//   lane_mask(first, width): lanes l with 0 <= first + l < width
//   masked_load(base, at, mask): base[at + l] on mask lanes, 0 elsewhere; off lanes never touch memory
//   deinterleave(lo, hi, even, odd): of the 2W floats (lo, hi), the even and the odd ones
//   store_pairs(out, a, b, n, accumulate): out[0 .. n) (n <= 2W) = (a0 b0 a1 b1 ...), or += when accumulate
//   hsum(v) in double; prefetch(p)
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>

#include "kernels/conv2d_geom.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace axonal {
namespace {

#define WINO_INLINE inline __attribute__((always_inline))

// The transform matrices of F(2, r): 2 outputs from an a = r + 1 point input, with y = A^T [(G g) .
// (B^T d)] for the correlation y_i = sum_k g_k d_{i+k}. Derived by Toom-Cook on the points 0, 1, -1
// (and 2, -2 for r = 5) plus infinity, and checked exactly (rational arithmetic) against the
// correlation; the 2-D transforms apply them along both axes.
struct F23 {
    static constexpr int R = 3, A = 4;
    static constexpr float BT[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    static constexpr float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    static constexpr float AT[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};
};
struct F25 {
    static constexpr int R = 5, A = 6;
    static constexpr float BT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                       {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
    static constexpr float G[6][5] = {{1.0f / 4, 0, 0, 0, 0},
                                      {-1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6, -1.0f / 6},
                                      {-1.0f / 6, 1.0f / 6, -1.0f / 6, 1.0f / 6, -1.0f / 6},
                                      {1.0f / 24, 1.0f / 12, 1.0f / 6, 1.0f / 3, 2.0f / 3},
                                      {1.0f / 24, -1.0f / 12, 1.0f / 6, -1.0f / 3, 2.0f / 3},
                                      {0, 0, 0, 0, 1}};
    static constexpr float AT[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
};

// acc + c * x, with the common coefficients +-1 as a plain add or subtract. Called with compile-time
// coefficients in fully unrolled loops, so the tests fold away (and zero terms are skipped by callers).
template <class O>
WINO_INLINE typename O::V axpy(float c, typename O::V x, typename O::V acc) {
    if (c == 1.0f) return O::add(acc, x);
    if (c == -1.0f) return O::sub(acc, x);
    return O::fmadd(O::set1(c), x, acc);
}

// out[i] = sum_j m[i][j] * x[j * stride] for an NI x NJ coefficient matrix m: one axis of a transform.
template <class O, int NI, int NJ>
WINO_INLINE void apply(const float (&m)[NI][NJ], const typename O::V* x, int stride, typename O::V* out,
                       int out_stride) {
#pragma GCC unroll 8
    for (int i = 0; i < NI; ++i) {
        typename O::V acc = O::zero();
#pragma GCC unroll 8
        for (int j = 0; j < NJ; ++j)
            if (m[i][j] != 0.0f) acc = axpy<O>(m[i][j], x[j * stride], acc);
        out[i * out_stride] = acc;
    }
}

// out[i] = sum_j m[j][i] * x[j * stride]: the transposed matrix.
template <class O, int NJ, int NI>
WINO_INLINE void apply_t(const float (&m)[NJ][NI], const typename O::V* x, int stride, typename O::V* out,
                         int out_stride) {
#pragma GCC unroll 8
    for (int i = 0; i < NI; ++i) {
        typename O::V acc = O::zero();
#pragma GCC unroll 8
        for (int j = 0; j < NJ; ++j)
            if (m[j][i] != 0.0f) acc = axpy<O>(m[j][i], x[j * stride], acc);
        out[i * out_stride] = acc;
    }
}

// How a chunk of images is cut into blocks. Tile rows are numbered across the chunk's images,
// rho = image * th + ty; a block is a run of `rows` tile rows, T = rows * tw tiles, numbered
// t = (rho - rho0) * tw + tx. V (a^2 x C x ld) and M (a^2 x K x ld) hold one block: small enough to stay
// near L2 between the input transform, the a^2 GEMMs and the output transform. Rows of V and M have
// ld = T + W floats: the transforms handle W tiles at a time, and a tile row's last vector spills up to
// W - 1 lanes past it (into the next row's first tiles, rewritten right after, or into the slack).
struct Layout {
    int64_t th, tw;  // tile rows and columns of one image
    int64_t rows;    // tile rows per block
    int64_t T, ld;   // tiles per (full) block, row stride of V and M
};

// T is the GEMMs' column count, run in NR-wide slivers (the level's GEMM tile): pick the rows per block
// whose T fills its last sliver best, among blocks of at most max_tiles tiles (or one tile row) - within 2%
// of the best fill, the smallest block, for the caches.
template <class O>
Layout make_layout(const ConvGeom& g, int64_t NR, int64_t max_tiles) {
    Layout L;
    L.th = (g.P + 1) / 2;
    L.tw = (g.Q + 1) / 2;
    const int64_t max_rows = std::max<int64_t>(1, max_tiles / L.tw);
    auto fill = [NR](int64_t t) { return double(t) / double((t + NR - 1) / NR * NR); };
    double best = 0.0;
    for (int64_t r = 1; r <= max_rows; ++r) best = std::max(best, fill(r * L.tw));
    L.rows = 1;
    while (fill(L.rows * L.tw) < best - 0.02) ++L.rows;
    L.T = L.rows * L.tw;
    L.ld = L.T + O::W;
    return L;
}

// U_xi (K x C) = (G g G^T)[xi] for every filter g = weight[k, c] (R x R); u has a^2 * K * C floats.
template <class F>
void transform_weight(const float* weight, int64_t K, int64_t C, float* u) {
    constexpr int R = F::R, A = F::A;
    for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < C; ++c) {
            const float* g = weight + (k * C + c) * R * R;
            float gg[A][R];  // G g
            for (int i = 0; i < A; ++i)
                for (int j = 0; j < R; ++j) {
                    float v = 0.0f;
                    for (int l = 0; l < R; ++l) v += F::G[i][l] * g[l * R + j];
                    gg[i][j] = v;
                }
            for (int i = 0; i < A; ++i)
                for (int j = 0; j < A; ++j) {
                    float v = 0.0f;
                    for (int l = 0; l < R; ++l) v += gg[i][l] * F::G[j][l];
                    u[((i * A + j) * K + k) * C + c] = v;
                }
        }
}

// Column masks of the loads of the W tiles from tx0: the patches start at column x0 = 2*tx0 - pad and the
// loads cover columns x0 + 2q .. x0 + 2q + 2W - 1 (two vectors each, q < a/2); lanes outside [0, width)
// are padding.
template <class O>
struct ColumnMasks {
    typename O::Mask m[3][2];
};

template <class O>
ColumnMasks<O> column_masks(int64_t x0, int64_t width) {
    ColumnMasks<O> cm;
    for (int q = 0; q < 3; ++q) {
        cm.m[q][0] = O::lane_mask(x0 + 2 * q, width);
        cm.m[q][1] = O::lane_mask(x0 + 2 * q + O::W, width);
    }
    return cm;
}

// V[xi][c][t .. t+W-1] = (B^T d B)[xi] for W tiles of one tile row: patch row i is image row y0 + i of
// `plane` (zero outside [0, H)), patch column j of tile tx0 + l is column x0 + 2l + j.
template <class O, class F>
WINO_INLINE void transform_input_vec(const float* plane, int64_t W, int64_t H, int64_t y0, int64_t x0,
                                     const ColumnMasks<O>& cm, float* v, int64_t xi_stride) {
    using V = typename O::V;
    constexpr int A = F::A;
    V d[A][A], t[A][A];
    for (int i = 0; i < A; ++i) {
        const int64_t y = y0 + i;
        if (y < 0 || y >= H) {
            for (int j = 0; j < A; ++j) d[i][j] = O::zero();
            continue;
        }
        const int64_t at = y * W + x0;
        for (int q = 0; q < A / 2; ++q)
            O::deinterleave(O::masked_load(plane, at + 2 * q, cm.m[q][0]),
                            O::masked_load(plane, at + 2 * q + O::W, cm.m[q][1]), d[i][2 * q], d[i][2 * q + 1]);
    }
    for (int j = 0; j < A; ++j) apply<O>(F::BT, &d[0][j], A, &t[0][j], A);  // t = B^T d (down the columns)
    for (int i = 0; i < A; ++i) {
        V row[A];
        apply<O>(F::BT, &t[i][0], 1, row, 1);  // row i of t B
        for (int j = 0; j < A; ++j) O::storeu(v + (i * A + j) * xi_stride, row[j]);
    }
}

// Z[xi][k][t .. t+W-1] = (A dY A^T)[xi] for W tiles of one tile row, dY the 2x2 blocks of output-gradient
// rows y0, y0+1 (the second one zero when second_row is false), columns from x0 (masks m[0] of
// column_masks(x0, Q)). Returns the sum of each tile's dY, for the bias gradient.
template <class O, class F>
WINO_INLINE typename O::V transform_dout_vec(const float* plane, int64_t Q, int64_t y0, bool second_row, int64_t x0,
                                             const ColumnMasks<O>& cm, float* z, int64_t xi_stride) {
    using V = typename O::V;
    constexpr int A = F::A;
    V y[2][2];
    for (int a = 0; a < 2; ++a) {
        if (a == 1 && !second_row) {
            y[1][0] = y[1][1] = O::zero();
            continue;
        }
        const int64_t at = (y0 + a) * Q + x0;
        O::deinterleave(O::masked_load(plane, at, cm.m[0][0]), O::masked_load(plane, at + O::W, cm.m[0][1]), y[a][0],
                        y[a][1]);
    }
    V w[A][2];
    for (int b = 0; b < 2; ++b) apply_t<O>(F::AT, &y[0][b], 2, &w[0][b], 2);  // w = A dY
    for (int i = 0; i < A; ++i) {
        V row[A];
        apply_t<O>(F::AT, &w[i][0], 1, row, 1);  // row i of w A^T
        for (int j = 0; j < A; ++j) O::storeu(z + (i * A + j) * xi_stride, row[j]);
    }
    return O::add(O::add(y[0][0], y[0][1]), O::add(y[1][0], y[1][1]));
}

// dw (R x R) += G^T s G for one a x a s.
template <class F>
void add_weight_from_transformed(const float* s, float* dw) {
    constexpr int R = F::R, A = F::A;
    float h[R][A];  // G^T s
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < A; ++j) {
            float v = 0.0f;
            for (int l = 0; l < A; ++l) v += F::G[l][i] * s[l * A + j];
            h[i][j] = v;
        }
    for (int i = 0; i < R; ++i)
        for (int j = 0; j < R; ++j) {
            float v = 0.0f;
            for (int l = 0; l < A; ++l) v += h[i][l] * F::G[l][j];
            dw[i * R + j] += v;
        }
}

// Prefetches rows [y0, y0 + nrows) (clipped to [0, H)) of a plane with rows of W floats. The transforms
// walk one plane per image and channel, a few hundred bytes each, 50 KB or more apart: too short for
// the hardware prefetcher to lock on, so each loop fetches the plane its next channel will read.
template <class O>
WINO_INLINE void prefetch_rows(const float* plane, int64_t W, int64_t H, int64_t y0, int64_t nrows) {
    const int64_t b = std::max<int64_t>(0, y0) * W, e = std::min<int64_t>(H, y0 + nrows) * W;
    for (int64_t i = b; i < e; i += 16) O::prefetch(plane + i);
    if (e > b) O::prefetch(plane + e - 1);
}

// V (a^2 x C x L.ld) = the input transform of tile rows [rho0, rho1) of the images from nb (tile row rho
// is row rho % th of image nb + rho / th), masks from column_masks() per W-tile vector.
template <class O, class F>
void transform_input_block(const ConvGeom& g, const Layout& L, const float* inp, int64_t nb, int64_t rho0,
                           int64_t rho1, const ColumnMasks<O>* masks, float* V) {
    constexpr int W_ = O::W;
    const int64_t C = g.C, H = g.H, W = g.W, nvec = (L.tw + W_ - 1) / W_, xi_v = C * L.ld;
    for (int64_t c = 0; c < C; ++c)
        for (int64_t rho = rho0; rho < rho1; ++rho) {
            const int64_t n = nb + rho / L.th, ty = rho % L.th;
            const float* plane = inp + (n * C + c) * H * W;
            if (c + 1 < C) prefetch_rows<O>(plane + H * W, W, H, 2 * ty - g.ph, F::A);
            float* v = V + c * L.ld + (rho - rho0) * L.tw;
            for (int64_t vi = 0; vi < nvec; ++vi)
                transform_input_vec<O, F>(plane, W, H, 2 * ty - g.ph, 2 * W_ * vi - g.pw, masks[vi], v + W_ * vi,
                                          xi_v);
        }
}

// The output of W tiles of one tile row, filter k: Y = A^T m A from m[xi] = M[xi][k][t ..], plus bias,
// ReLU; written to output rows 2ty, 2ty+1 (the second only when second_row).
template <class O, class F>
WINO_INLINE void transform_output_vec(const float* m, int64_t xi_stride, float bias, bool relu, bool accumulate,
                                      float* out_row, int64_t Q, int64_t ncols, bool second_row) {
    using V = typename O::V;
    constexpr int A = F::A;
    V x[A][A], s[2][A], y[2][2];
    for (int i = 0; i < A; ++i)
        for (int j = 0; j < A; ++j) x[i][j] = O::loadu(m + (i * A + j) * xi_stride);
    for (int j = 0; j < A; ++j) apply<O>(F::AT, &x[0][j], A, &s[0][j], A);  // s = A^T m
    for (int a = 0; a < 2; ++a) apply<O>(F::AT, &s[a][0], 1, &y[a][0], 1);   // y = s A
    const V vb = O::set1(bias), zero = O::zero();
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
            y[a][b] = O::add(y[a][b], vb);
            // max returns its second operand when either is NaN: NaN stays NaN, as in torch.relu.
            if (relu) y[a][b] = O::max(zero, y[a][b]);
        }
    O::store_pairs(out_row, y[0][0], y[0][1], ncols, accumulate);
    if (second_row) O::store_pairs(out_row + Q, y[1][0], y[1][1], ncols, accumulate);
}

template <class O, class F>
void winograd_forward(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                      bool accumulate, float* out, int64_t nchunks, int64_t NR, int64_t max_tiles) {
    constexpr int A2 = F::A * F::A, W_ = O::W;
    const int64_t C = g.C, K = g.K, W = g.W, P = g.P, Q = g.Q;
    const Layout L = make_layout<O>(g, NR, max_tiles);
    // The weight: transformed, then each U_xi packed once as the left operand of its GEMM.
    std::unique_ptr<float[]> u(new float[size_t(A2 * K * C)]);
    transform_weight<F>(weight, K, C, u.get());
    const int64_t psize = gemm_packed_a_size<float>(K, C);
    std::unique_ptr<float[]> up(new float[size_t(A2 * psize)]);
    for (int xi = 0; xi < A2; ++xi) gemm_pack_a<float>(false, K, C, u.get() + xi * K * C, C, up.get() + xi * psize);
    // Column masks of each W-tile vector of a tile row; per chunk V and M, allocated before the region.
    const int64_t nvec = (L.tw + W_ - 1) / W_;
    std::unique_ptr<ColumnMasks<O>[]> masks(new ColumnMasks<O>[size_t(nvec)]);
    for (int64_t v = 0; v < nvec; ++v) masks[v] = column_masks<O>(2 * W_ * v - g.pw, W);
    const int64_t xi_v = C * L.ld, xi_m = K * L.ld, per_chunk = A2 * (C + K) * L.ld;
    std::unique_ptr<float[]> ws(new float[size_t(nchunks * per_chunk)]);

    auto chunk = [&](int64_t ch) {
        const int64_t nb = g.N * ch / nchunks, ne = g.N * (ch + 1) / nchunks;
        float* V = ws.get() + ch * per_chunk;
        float* M = V + A2 * xi_v;
        // The output transform reads up to W - 1 columns past a block's last tile: give those finite values
        // (they only reach discarded lanes).
        for (int64_t r = 0; r < A2 * K; ++r) std::fill(M + r * L.ld + L.T, M + (r + 1) * L.ld, 0.0f);
        const int64_t rho_end = (ne - nb) * L.th;  // tile rows of this chunk, across its images
        for (int64_t rho0 = 0; rho0 < rho_end; rho0 += L.rows) {
            const int64_t rho1 = std::min(rho_end, rho0 + L.rows), T = (rho1 - rho0) * L.tw;
            transform_input_block<O, F>(g, L, inp, nb, rho0, rho1, masks.get(), V);
            for (int xi = 0; xi < A2; ++xi)
                gemm_with_packed_a<float>(K, T, C, 1.0f, up.get() + xi * psize, false, V + xi * xi_v, L.ld, 0.0f,
                                          M + xi * xi_m, L.ld);
            for (int64_t k = 0; k < K; ++k) {
                const float b = (bias && !accumulate) ? bias[k] : 0.0f;
                for (int64_t rho = rho0; rho < rho1; ++rho) {
                    const int64_t n = nb + rho / L.th, ty = rho % L.th;
                    float* o = out + ((n * K + k) * P + 2 * ty) * Q;
                    const float* m = M + k * L.ld + (rho - rho0) * L.tw;
                    for (int64_t vi = 0; vi < nvec; ++vi)
                        transform_output_vec<O, F>(m + W_ * vi, xi_m, b, relu && !accumulate, accumulate,
                                                   o + 2 * W_ * vi, Q, std::min<int64_t>(2 * W_, Q - 2 * W_ * vi),
                                                   2 * ty + 1 < P);
                }
            }
        }
    };
    parallel_for(nchunks, A2 * K * C * L.T, [&](int64_t b, int64_t e) {
        for (int64_t ch = b; ch < e; ++ch) chunk(ch);
    });
}

template <class O, class F>
void winograd_weight_grad(const ConvGeom& g, const float* dout, const float* inp, float* dweight, float* dbias,
                          int64_t nchunks, int64_t NR) {
    using Vv = typename O::V;
    constexpr int A2 = F::A * F::A, W_ = O::W;
    const int64_t C = g.C, K = g.K, W = g.W, P = g.P, Q = g.Q;
    Layout L = make_layout<O>(g, NR, 128);
    // Here T is the GEMMs' reduction length, so a block needs no particular width: about 128 tiles, whole
    // tile rows, keep the GEMM calls few and V and Z (a^2 x (C + K) x T floats) near L2.
    L.rows = std::max<int64_t>(1, 128 / L.tw);
    L.T = L.rows * L.tw;
    L.ld = L.T + W_;
    const int64_t nvec = (L.tw + W_ - 1) / W_;
    std::unique_ptr<ColumnMasks<O>[]> in_masks(new ColumnMasks<O>[size_t(nvec)]);
    std::unique_ptr<ColumnMasks<O>[]> out_masks(new ColumnMasks<O>[size_t(nvec)]);
    for (int64_t v = 0; v < nvec; ++v) {
        in_masks[v] = column_masks<O>(2 * W_ * v - g.pw, W);
        out_masks[v] = column_masks<O>(2 * W_ * v, Q);
    }
    const int64_t xi_v = C * L.ld, xi_z = K * L.ld, KC = K * C;
    const int64_t s_offset = A2 * (C + K) * L.ld, per_chunk = s_offset + A2 * KC;
    std::unique_ptr<float[]> ws(new float[size_t(nchunks * per_chunk)]);
    std::unique_ptr<double[]> bias_parts(new double[size_t(nchunks * K)]);

    auto chunk = [&](int64_t ch) {
        const int64_t nb = g.N * ch / nchunks, ne = g.N * (ch + 1) / nchunks;
        float* V = ws.get() + ch * per_chunk;
        float* Z = V + A2 * xi_v;
        float* S = V + s_offset;  // a^2 x K x C, this chunk's transformed gradient
        double* bsum = bias_parts.get() + ch * K;
        std::fill(bsum, bsum + K, 0.0);
        bool first = true;
        const int64_t rho_end = (ne - nb) * L.th;
        for (int64_t rho0 = 0; rho0 < rho_end; rho0 += L.rows) {
            const int64_t rho1 = std::min(rho_end, rho0 + L.rows), T = (rho1 - rho0) * L.tw;
            transform_input_block<O, F>(g, L, inp, nb, rho0, rho1, in_masks.get(), V);
            for (int64_t k = 0; k < K; ++k) {
                Vv dy_sum = O::zero();
                for (int64_t rho = rho0; rho < rho1; ++rho) {
                    const int64_t n = nb + rho / L.th, ty = rho % L.th;
                    const float* plane = dout + (n * K + k) * P * Q;
                    if (k + 1 < K) prefetch_rows<O>(plane + P * Q, Q, P, 2 * ty, 2);
                    float* z = Z + k * L.ld + (rho - rho0) * L.tw;
                    for (int64_t vi = 0; vi < nvec; ++vi)
                        dy_sum = O::add(dy_sum, transform_dout_vec<O, F>(plane, Q, 2 * ty, 2 * ty + 1 < P, 2 * W_ * vi,
                                                                          out_masks[vi], z + W_ * vi, xi_z));
                }
                bsum[k] += O::hsum(dy_sum);
            }
            // S_xi (K x C) (+)= Z_xi (K x T) @ V_xi^T: V_xi's rows are the columns of op(B).
            for (int xi = 0; xi < A2; ++xi)
                gemm<float>(false, true, K, C, T, 1.0f, Z + xi * xi_z, L.ld, V + xi * xi_v, L.ld, first ? 0.0f : 1.0f,
                            S + xi * KC, C);
            first = false;
        }
        if (first) std::fill(S, S + A2 * KC, 0.0f);  // a chunk without images (never: nchunks <= N)
    };
    parallel_for(nchunks, A2 * K * C * L.T, [&](int64_t b, int64_t e) {
        for (int64_t ch = b; ch < e; ++ch) chunk(ch);
    });
    // Sum the chunks' S in chunk order, then back to R x R.
    parallel_for(K, C * A2 * nchunks, [&](int64_t kb, int64_t ke) {
        float s[A2];
        for (int64_t k = kb; k < ke; ++k)
            for (int64_t c = 0; c < C; ++c) {
                for (int xi = 0; xi < A2; ++xi) {
                    float v = 0.0f;
                    for (int64_t ch = 0; ch < nchunks; ++ch) v += ws[ch * per_chunk + s_offset + xi * KC + k * C + c];
                    s[xi] = v;
                }
                add_weight_from_transformed<F>(s, dweight + (k * C + c) * F::R * F::R);
            }
    });
    if (dbias)
        for (int64_t k = 0; k < K; ++k) {
            double acc = 0.0;
            for (int64_t ch = 0; ch < nchunks; ++ch) acc += bias_parts[ch * K + k];
            dbias[k] += float(acc);
        }
}

// The two entry points of conv2d_winograd.h for one ops set.
template <class O>
void winograd_conv(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                   bool accumulate, float* out, int64_t nchunks, int64_t NR, int64_t max_tiles) {
    if (g.R == 3)
        winograd_forward<O, F23>(g, inp, weight, bias, relu, accumulate, out, nchunks, NR, max_tiles);
    else
        winograd_forward<O, F25>(g, inp, weight, bias, relu, accumulate, out, nchunks, NR, max_tiles);
}

template <class O>
void winograd_conv_weight_grad(const ConvGeom& g, const float* dout, const float* inp, float* dweight, float* dbias,
                               int64_t nchunks, int64_t NR) {
    if (g.R == 3)
        winograd_weight_grad<O, F23>(g, dout, inp, dweight, dbias, nchunks, NR);
    else
        winograd_weight_grad<O, F25>(g, dout, inp, dweight, dbias, nchunks, NR);
}

}  // namespace
}  // namespace axonal
