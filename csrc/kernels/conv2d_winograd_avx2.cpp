// Winograd F(2x2, 3x3) conv2d: transforms and the loop around the 16 GEMMs (see conv2d_winograd.h).
// Built with -mavx2 -mfma; conv2d_winograd_applies() is false unless this process runs the AVX2 kernels.
#include "kernels/conv2d_winograd.h"

#include "kernels/gemm_blocking.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace axonal {

namespace {

#define AX_INLINE inline __attribute__((always_inline))

// How a chunk of images is cut into blocks. Tile rows are numbered across the chunk's images,
// rho = image * th + ty; a block is a run of `rows` tile rows, T = rows * tw tiles, numbered
// t = (rho - rho0) * tw + tx. V (16 x C x ld) and M (16 x K x ld) hold one block: small enough to stay in
// L2 between the input transform, the 16 GEMMs and the output transform. Rows of V and M have ld = T + 8
// floats: the transforms handle 8 tiles at a time, and a tile row's last vector spills up to 7 lanes past
// it (into the next row's first tiles, rewritten right after, or into the slack).
struct Layout {
    int64_t th, tw;  // tile rows and columns of one image
    int64_t rows;    // tile rows per block
    int64_t T, ld;   // tiles per (full) block, row stride of V and M
};

Layout make_layout(const ConvGeom& g) {
    Layout L;
    L.th = (g.P + 1) / 2;
    L.tw = (g.Q + 1) / 2;
    // T is the GEMMs' column count, run in 16-wide slivers: pick the rows per block whose T fills its
    // last sliver best, among blocks of at most 128 tiles (or one tile row) - within 2% of the best fill,
    // the smallest block, for the caches.
    const int64_t max_rows = std::max<int64_t>(1, 128 / L.tw);
    auto fill = [](int64_t t) { return double(t) / double((t + 15) / 16 * 16); };
    double best = 0.0;
    for (int64_t r = 1; r <= max_rows; ++r) best = std::max(best, fill(r * L.tw));
    L.rows = 1;
    while (fill(L.rows * L.tw) < best - 0.02) ++L.rows;
    L.T = L.rows * L.tw;
    L.ld = L.T + 8;
    return L;
}

// U_xi (K x C) = (G g G^T)[xi] for every filter g = weight[k, c]; u has 16 * K * C floats.
void transform_weight(const float* weight, int64_t K, int64_t C, float* u) {
    for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < C; ++c) {
            const float* g = weight + (k * C + c) * 9;
            float gg[4][3];  // G g
            for (int j = 0; j < 3; ++j) {
                gg[0][j] = g[j];
                gg[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                gg[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                gg[3][j] = g[6 + j];
            }
            for (int i = 0; i < 4; ++i) {
                const float a = gg[i][0], b = gg[i][1], e = gg[i][2];
                const float row[4] = {a, 0.5f * (a + b + e), 0.5f * (a - b + e), e};
                for (int j = 0; j < 4; ++j) u[((i * 4 + j) * K + k) * C + c] = row[j];
            }
        }
}

// Even and odd elements of the 16 floats (lo, hi): (lo0, lo2, .., hi6) and (lo1, lo3, .., hi7).
AX_INLINE void deinterleave16(__m256 lo, __m256 hi, __m256& even, __m256& odd) {
    even = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0))), 0xD8));
    odd = _mm256_castpd_ps(
        _mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1))), 0xD8));
}

// Column masks of the input loads of the 8 tiles from tx0: the patches start at image column
// x0 = 2*tx0 - pw and the loads cover columns x0 .. x0+15 (a, two vectors) and x0+2 .. x0+17 (b); lanes
// outside [0, W) are padding. Masked-off lanes never touch memory, so the loads may hang off the row.
struct ColumnMasks {
    __m256i a0, a1, b0, b1;
};

ColumnMasks column_masks(int64_t x0, int64_t W) {
    auto m = [&](int64_t first) {
        const __m256i cols = _mm256_add_epi32(_mm256_set1_epi32(int(first)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const __m256i ge0 = _mm256_cmpgt_epi32(cols, _mm256_set1_epi32(-1));
        const __m256i ltw = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(W)), cols);
        return _mm256_and_si256(ge0, ltw);
    };
    return {m(x0), m(x0 + 8), m(x0 + 2), m(x0 + 10)};
}

AX_INLINE __m256 masked_load(const float* base, int64_t at, __m256i mask) {
    return _mm256_maskload_ps(
        reinterpret_cast<const float*>(reinterpret_cast<intptr_t>(base) + intptr_t(at) * intptr_t(sizeof(float))), mask);
}

// V[xi][c][t .. t+7] = (B^T d B)[xi] for 8 tiles of one tile row, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0;
// 0 1 0 -1]. Patch row i is image row y0 + i of `plane` (zero outside [0, H)), columns from x0.
AX_INLINE void transform_input_8(const float* plane, int64_t W, int64_t H, int64_t y0, int64_t x0,
                                 const ColumnMasks& cm, float* v, int64_t xi_stride) {
    __m256 d[4][4];
    for (int i = 0; i < 4; ++i) {
        const int64_t y = y0 + i;
        if (y < 0 || y >= H) {
            d[i][0] = d[i][1] = d[i][2] = d[i][3] = _mm256_setzero_ps();
            continue;
        }
        const int64_t at = y * W + x0;
        deinterleave16(masked_load(plane, at, cm.a0), masked_load(plane, at + 8, cm.a1), d[i][0], d[i][1]);
        deinterleave16(masked_load(plane, at + 2, cm.b0), masked_load(plane, at + 10, cm.b1), d[i][2], d[i][3]);
    }
    __m256 t[4][4];
    for (int j = 0; j < 4; ++j) {
        t[0][j] = _mm256_sub_ps(d[0][j], d[2][j]);
        t[1][j] = _mm256_add_ps(d[1][j], d[2][j]);
        t[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
        t[3][j] = _mm256_sub_ps(d[1][j], d[3][j]);
    }
    for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(v + (i * 4 + 0) * xi_stride, _mm256_sub_ps(t[i][0], t[i][2]));
        _mm256_storeu_ps(v + (i * 4 + 1) * xi_stride, _mm256_add_ps(t[i][1], t[i][2]));
        _mm256_storeu_ps(v + (i * 4 + 2) * xi_stride, _mm256_sub_ps(t[i][2], t[i][1]));
        _mm256_storeu_ps(v + (i * 4 + 3) * xi_stride, _mm256_sub_ps(t[i][1], t[i][3]));
    }
}

// Z[xi][k][t .. t+7] = (A dY A^T)[xi] for 8 tiles of one tile row, dY the 2x2 blocks of output-gradient
// rows y0, y0+1 (the second one zero when second_row is false), columns from x0 (masks a0, a1 of
// column_masks(x0, Q)); A = [1 0; 1 1; 1 -1; 0 -1]. Returns the sum of each tile's dY.
AX_INLINE __m256 transform_dout_8(const float* plane, int64_t Q, int64_t y0, bool second_row, int64_t x0,
                                  const ColumnMasks& cm, float* z, int64_t xi_stride) {
    __m256 y[2][2];
    for (int a = 0; a < 2; ++a) {
        if (a == 1 && !second_row) {
            y[1][0] = y[1][1] = _mm256_setzero_ps();
            continue;
        }
        const int64_t at = (y0 + a) * Q + x0;
        deinterleave16(masked_load(plane, at, cm.a0), masked_load(plane, at + 8, cm.a1), y[a][0], y[a][1]);
    }
    __m256 w[4][2];
    for (int b = 0; b < 2; ++b) {
        w[0][b] = y[0][b];
        w[1][b] = _mm256_add_ps(y[0][b], y[1][b]);
        w[2][b] = _mm256_sub_ps(y[0][b], y[1][b]);
        w[3][b] = _mm256_sub_ps(_mm256_setzero_ps(), y[1][b]);
    }
    for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(z + (i * 4 + 0) * xi_stride, w[i][0]);
        _mm256_storeu_ps(z + (i * 4 + 1) * xi_stride, _mm256_add_ps(w[i][0], w[i][1]));
        _mm256_storeu_ps(z + (i * 4 + 2) * xi_stride, _mm256_sub_ps(w[i][0], w[i][1]));
        _mm256_storeu_ps(z + (i * 4 + 3) * xi_stride, _mm256_sub_ps(_mm256_setzero_ps(), w[i][1]));
    }
    // The tiles' dY summed, for the bias gradient (lanes outside the plane loaded zero).
    return _mm256_add_ps(_mm256_add_ps(y[0][0], y[0][1]), _mm256_add_ps(y[1][0], y[1][1]));
}

double hsum(__m256 v) {
    alignas(32) float f[8];
    _mm256_store_ps(f, v);
    double acc = 0.0;
    for (float x : f) acc += double(x);
    return acc;
}

// dw (3 x 3) += G^T s G for one 4 x 4 s (element xi at s[xi * stride]), G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1].
void add_weight_from_transformed(const float* s, int64_t stride, float* dw) {
    float h[3][4];
    for (int j = 0; j < 4; ++j) {
        const float s0 = s[(0 * 4 + j) * stride], s1 = s[(1 * 4 + j) * stride];
        const float s2 = s[(2 * 4 + j) * stride], s3 = s[(3 * 4 + j) * stride];
        h[0][j] = s0 + 0.5f * (s1 + s2);
        h[1][j] = 0.5f * (s1 - s2);
        h[2][j] = 0.5f * (s1 + s2) + s3;
    }
    for (int i = 0; i < 3; ++i) {
        dw[i * 3 + 0] += h[i][0] + 0.5f * (h[i][1] + h[i][2]);
        dw[i * 3 + 1] += 0.5f * (h[i][1] - h[i][2]);
        dw[i * 3 + 2] += 0.5f * (h[i][1] + h[i][2]) + h[i][3];
    }
}

// Prefetches rows [y0, y0 + nrows) (clipped to [0, H)) of a plane with rows of W floats. The transforms
// walk one plane per image and channel, a few hundred bytes each, 50 KB or more apart: too short for
// the hardware prefetcher to lock on, so each loop fetches the plane its next channel will read.
AX_INLINE void prefetch_rows(const float* plane, int64_t W, int64_t H, int64_t y0, int64_t nrows) {
    const int64_t b = std::max<int64_t>(0, y0) * W, e = std::min<int64_t>(H, y0 + nrows) * W;
    for (int64_t i = b; i < e; i += 16) _mm_prefetch(reinterpret_cast<const char*>(plane + i), _MM_HINT_T0);
    if (e > b) _mm_prefetch(reinterpret_cast<const char*>(plane + e - 1), _MM_HINT_T0);
}

// V (16 x C x L.ld) = the input transform of tile rows [rho0, rho1) of the images from nb (tile row rho
// is row rho % th of image nb + rho / th), masks from column_masks() per 8-tile vector.
void transform_input_block(const ConvGeom& g, const Layout& L, const float* inp, int64_t nb, int64_t rho0,
                           int64_t rho1, const ColumnMasks* masks, float* V) {
    const int64_t C = g.C, H = g.H, W = g.W, nvec = (L.tw + 7) / 8, xi_v = C * L.ld;
    for (int64_t c = 0; c < C; ++c)
        for (int64_t rho = rho0; rho < rho1; ++rho) {
            const int64_t n = nb + rho / L.th, ty = rho % L.th;
            const float* plane = inp + (n * C + c) * H * W;
            if (c + 1 < C) prefetch_rows(plane + H * W, W, H, 2 * ty - g.ph, 4);
            float* v = V + c * L.ld + (rho - rho0) * L.tw;
            for (int64_t vi = 0; vi < nvec; ++vi)
                transform_input_8(plane, W, H, 2 * ty - g.ph, 16 * vi - g.pw, masks[vi], v + 8 * vi, xi_v);
        }
}

// One output row segment: out[0 .. n) (n <= 16) gets the interleave (a0 b0 a1 b1 ... a7 b7), added to
// what is there when accumulate.
inline void store_row(float* out, __m256 a, __m256 b, int64_t n, bool accumulate) {
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

// The output of 8 tiles tx0..tx0+7 of tile row ty, filter k: Y = A^T m A with A^T = [1 1 1 0; 0 1 -1 -1],
// from m[xi] = M[xi][k][t0 ..], plus bias, ReLU; written to output rows 2ty, 2ty+1 (those inside P).
AX_INLINE void transform_output_8(const float* m, int64_t xi_stride, float bias, bool relu, bool accumulate,
                               float* out_row, int64_t Q, int64_t ncols, bool second_row) {
    __m256 s0[4], s1[4];
    for (int j = 0; j < 4; ++j) {
        const __m256 m0 = _mm256_loadu_ps(m + (0 * 4 + j) * xi_stride);
        const __m256 m1 = _mm256_loadu_ps(m + (1 * 4 + j) * xi_stride);
        const __m256 m2 = _mm256_loadu_ps(m + (2 * 4 + j) * xi_stride);
        const __m256 m3 = _mm256_loadu_ps(m + (3 * 4 + j) * xi_stride);
        s0[j] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
        s1[j] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    const __m256 vb = _mm256_set1_ps(bias), zero = _mm256_setzero_ps();
    __m256 y00 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s0[0], s0[1]), s0[2]), vb);
    __m256 y01 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s0[1], s0[2]), s0[3]), vb);
    __m256 y10 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s1[0], s1[1]), s1[2]), vb);
    __m256 y11 = _mm256_add_ps(_mm256_sub_ps(_mm256_sub_ps(s1[1], s1[2]), s1[3]), vb);
    if (relu) {  // MAXPS returns its second operand when either is NaN: NaN stays NaN, as in torch.relu
        y00 = _mm256_max_ps(zero, y00);
        y01 = _mm256_max_ps(zero, y01);
        y10 = _mm256_max_ps(zero, y10);
        y11 = _mm256_max_ps(zero, y11);
    }
    store_row(out_row, y00, y01, ncols, accumulate);
    if (second_row) store_row(out_row + Q, y10, y11, ncols, accumulate);
}

}  // namespace

bool conv2d_winograd_applies(const ConvGeom& g) {
    return avx2_enabled() && g.R == 3 && g.S == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 &&
           g.ph >= 0 && g.pw >= 0 && g.ph <= 2 && g.pw <= 2 && g.P >= 1 && g.Q >= 1 && g.C >= 8 && g.K >= 8;
}

void conv2d_winograd(const ConvGeom& g, const float* inp, const float* weight, const float* bias, bool relu,
                     bool accumulate, float* out, int64_t nchunks) {
    const int64_t C = g.C, K = g.K, W = g.W, P = g.P, Q = g.Q;
    const Layout L = make_layout(g);
    // The weight: transformed, then each U_xi packed once as the left operand of its GEMM.
    std::unique_ptr<float[]> u(new float[size_t(16 * K * C)]);
    transform_weight(weight, K, C, u.get());
    const int64_t psize = gemm_packed_a_size<float>(K, C);
    std::unique_ptr<float[]> up(new float[size_t(16 * psize)]);
    for (int xi = 0; xi < 16; ++xi) gemm_pack_a<float>(false, K, C, u.get() + xi * K * C, C, up.get() + xi * psize);
    // Column masks of each 8-tile vector of a tile row; per chunk V and M, allocated before the region.
    const int64_t nvec = (L.tw + 7) / 8;
    std::unique_ptr<ColumnMasks[]> masks(new ColumnMasks[size_t(nvec)]);
    for (int64_t v = 0; v < nvec; ++v) masks[v] = column_masks(16 * v - g.pw, W);
    const int64_t xi_v = C * L.ld, xi_m = K * L.ld, per_chunk = 16 * (C + K) * L.ld;
    std::unique_ptr<float[]> ws(new float[size_t(nchunks * per_chunk)]);

    auto chunk = [&](int64_t ch) {
        const int64_t nb = g.N * ch / nchunks, ne = g.N * (ch + 1) / nchunks;
        float* V = ws.get() + ch * per_chunk;
        float* M = V + 16 * xi_v;
        // The output transform reads up to 7 columns past a block's last tile: give those finite values
        // (they only reach discarded lanes).
        for (int64_t r = 0; r < 16 * K; ++r) std::fill(M + r * L.ld + L.T, M + (r + 1) * L.ld, 0.0f);
        const int64_t rho_end = (ne - nb) * L.th;  // tile rows of this chunk, across its images
        for (int64_t rho0 = 0; rho0 < rho_end; rho0 += L.rows) {
            const int64_t rho1 = std::min(rho_end, rho0 + L.rows), T = (rho1 - rho0) * L.tw;
            transform_input_block(g, L, inp, nb, rho0, rho1, masks.get(), V);
            for (int xi = 0; xi < 16; ++xi)
                gemm_with_packed_a<float>(K, T, C, 1.0f, up.get() + xi * psize, false, V + xi * xi_v, L.ld, 0.0f,
                                          M + xi * xi_m, L.ld);
            for (int64_t k = 0; k < K; ++k) {
                const float b = (bias && !accumulate) ? bias[k] : 0.0f;
                for (int64_t rho = rho0; rho < rho1; ++rho) {
                    const int64_t n = nb + rho / L.th, ty = rho % L.th;
                    float* o = out + ((n * K + k) * P + 2 * ty) * Q;
                    const float* m = M + k * L.ld + (rho - rho0) * L.tw;
                    for (int64_t vi = 0; vi < nvec; ++vi)
                        transform_output_8(m + 8 * vi, xi_m, b, relu && !accumulate, accumulate, o + 16 * vi, Q,
                                           std::min<int64_t>(16, Q - 16 * vi), 2 * ty + 1 < P);
                }
            }
        }
    };
    parallel_for(nchunks, 16 * K * C * L.T, [&](int64_t b, int64_t e) {
        for (int64_t ch = b; ch < e; ++ch) chunk(ch);
    });
}

void conv2d_winograd_weight_grad(const ConvGeom& g, const float* dout, const float* inp, float* dweight,
                                 float* dbias, int64_t nchunks) {
    const int64_t C = g.C, K = g.K, W = g.W, P = g.P, Q = g.Q;
    Layout L = make_layout(g);
    // Here T is the GEMMs' reduction length, so a block needs no particular width: about 128 tiles, whole
    // tile rows, keep the 16 GEMMs' calls few and V and Z (16 x (C + K) x T floats) near L2.
    L.rows = std::max<int64_t>(1, 128 / L.tw);
    L.T = L.rows * L.tw;
    L.ld = L.T + 8;
    const int64_t nvec = (L.tw + 7) / 8;
    std::unique_ptr<ColumnMasks[]> in_masks(new ColumnMasks[size_t(nvec)]), out_masks(new ColumnMasks[size_t(nvec)]);
    for (int64_t v = 0; v < nvec; ++v) {
        in_masks[v] = column_masks(16 * v - g.pw, W);
        out_masks[v] = column_masks(16 * v, Q);
    }
    const int64_t xi_v = C * L.ld, xi_z = K * L.ld, KC = K * C;
    const int64_t per_chunk = 16 * (C + K) * L.ld + 16 * KC;
    std::unique_ptr<float[]> ws(new float[size_t(nchunks * per_chunk)]);
    std::unique_ptr<double[]> bias_parts(new double[size_t(nchunks * K)]);

    auto chunk = [&](int64_t ch) {
        const int64_t nb = g.N * ch / nchunks, ne = g.N * (ch + 1) / nchunks;
        float* V = ws.get() + ch * per_chunk;
        float* Z = V + 16 * xi_v;
        float* S = Z + 16 * xi_z;  // 16 x K x C, this chunk's transformed gradient
        double* bsum = bias_parts.get() + ch * K;
        std::fill(bsum, bsum + K, 0.0);
        bool first = true;
        const int64_t rho_end = (ne - nb) * L.th;
        for (int64_t rho0 = 0; rho0 < rho_end; rho0 += L.rows) {
            const int64_t rho1 = std::min(rho_end, rho0 + L.rows), T = (rho1 - rho0) * L.tw;
            transform_input_block(g, L, inp, nb, rho0, rho1, in_masks.get(), V);
            for (int64_t k = 0; k < K; ++k) {
                __m256 dy_sum = _mm256_setzero_ps();
                for (int64_t rho = rho0; rho < rho1; ++rho) {
                    const int64_t n = nb + rho / L.th, ty = rho % L.th;
                    const float* plane = dout + (n * K + k) * P * Q;
                    if (k + 1 < K) prefetch_rows(plane + P * Q, Q, P, 2 * ty, 2);
                    float* z = Z + k * L.ld + (rho - rho0) * L.tw;
                    for (int64_t vi = 0; vi < nvec; ++vi)
                        dy_sum = _mm256_add_ps(dy_sum, transform_dout_8(plane, Q, 2 * ty, 2 * ty + 1 < P, 16 * vi,
                                                                        out_masks[vi], z + 8 * vi, xi_z));
                }
                bsum[k] += hsum(dy_sum);
            }
            // S_xi (K x C) (+)= Z_xi (K x T) @ V_xi^T: V_xi's rows are the columns of op(B).
            for (int xi = 0; xi < 16; ++xi)
                gemm<float>(false, true, K, C, T, 1.0f, Z + xi * xi_z, L.ld, V + xi * xi_v, L.ld, first ? 0.0f : 1.0f,
                            S + xi * KC, C);
            first = false;
        }
        if (first) std::fill(S, S + 16 * KC, 0.0f);  // a chunk without images (never: nchunks <= N)
    };
    parallel_for(nchunks, 16 * K * C * L.T, [&](int64_t b, int64_t e) {
        for (int64_t ch = b; ch < e; ++ch) chunk(ch);
    });
    // Sum the chunks' S in chunk order, then back to 3 x 3.
    parallel_for(K, C * 16 * nchunks, [&](int64_t kb, int64_t ke) {
        float s[16];
        for (int64_t k = kb; k < ke; ++k)
            for (int64_t c = 0; c < C; ++c) {
                for (int xi = 0; xi < 16; ++xi) {
                    float v = 0.0f;
                    for (int64_t ch = 0; ch < nchunks; ++ch) v += ws[ch * per_chunk + 16 * (C + K) * L.ld + xi * KC + k * C + c];
                    s[xi] = v;
                }
                add_weight_from_transformed(s, 1, dweight + (k * C + c) * 9);
            }
    });
    if (dbias)
        for (int64_t k = 0; k < K; ++k) {
            double acc = 0.0;
            for (int64_t ch = 0; ch < nchunks; ++ch) acc += bias_parts[ch * K + k];
            dbias[k] += float(acc);
        }
}

}  // namespace axonal

#else  // no AVX2 build: Winograd never applies.

#include <cstdlib>

namespace axonal {
bool conv2d_winograd_applies(const ConvGeom&) { return false; }
void conv2d_winograd(const ConvGeom&, const float*, const float*, const float*, bool, bool, float*, int64_t) {
    std::abort();
}
void conv2d_winograd_weight_grad(const ConvGeom&, const float*, const float*, float*, float*, int64_t) {
    std::abort();
}
}  // namespace axonal

#endif
