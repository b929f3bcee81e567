// Fast conv2d: im2col + GEMM, one image at a time, and the dispatch to the implicit-GEMM and Winograd
// kernels (conv2d_implicit.h, conv2d_winograd.h) for the float layers they handle.
//
// For one image the convolution is a matrix product:
//   col    (C*R*S) x (P*Q)   col[(c,r,s), (p,q)] = inp[c, p*stride_h - pad_h + r*dil_h, q*stride_w - pad_w + s*dil_w]
//   out_n  K x (P*Q)        = weight (K x C*R*S) @ col
//   dcol   (C*R*S) x (P*Q)  = weight^T @ dout_n, scattered back onto dinp_n by col2im
//   dweight K x (C*R*S)    += dout_n @ col^T
// A 1x1 convolution with stride 1 and no padding has col == inp_n, so it skips im2col/col2im. Large
// images are processed in blocks of output rows (block_rows()), so col never leaves the caches; the
// weight, the left operand of every image's product, is packed once per call (gemm_pack_a).
//
// Which method, measured on the 2-core AVX2 dev machine at batch 64 (benchmarks/conv_pool_table.py):
// Winograd wherever it applies (forward+backward, 3x3 14x14 C32->64: 9.6 -> 6.9 ms, 3x3 56x56 C64->64:
// 150 -> 83 ms, 5x5 14x14 C32->64: 27 -> 16 ms), else implicit GEMM for flat-taps layers (10-15% faster
// than im2col: no column matrix written and read back), else im2col. The input gradient of a stride-1
// layer is itself a convolution (of dout with the flipped, transposed weight), so it reuses the forward
// kernels when they apply.
//
// Threads: with at least as many images as threads, the batch is cut into one fixed chunk per thread;
// each chunk owns its im2col buffer (and, for dweight, a partial sum reduced afterwards in chunk
// order), and gemm runs serially inside the region. With fewer images than threads (typically N == 1)
// the images run one after the other and gemm, im2col and col2im parallelise internally instead.
// Either way the chunking depends only on N and the thread count, so results are deterministic for a
// fixed thread count. The implicit-GEMM and Winograd kernels run their images serially per chunk, so
// they are used only in the first case (or with a single thread).
#include "kernels/conv2d.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "kernels/conv2d_geom.h"
#include "kernels/conv2d_implicit.h"
#include "kernels/conv2d_winograd.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace axonal {

int64_t conv2d_output_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
    const int64_t big = std::numeric_limits<int64_t>::max() / 4;
    if (in < 0 || kernel < 1 || stride < 1 || pad < 0 || dil < 1) return 0;
    if (in > big || pad > big / 4) return 0;
    // span = dil * (kernel - 1) + 1, the extent of the dilated kernel; overflow means "too large"
    if (kernel > 1 && dil > (big - 1) / (kernel - 1)) return 0;
    int64_t span = dil * (kernel - 1) + 1;
    int64_t padded = in + 2 * pad;
    if (padded < span) return 0;
    return (padded - span) / stride + 1;
}

namespace {

// Output positions o in [lo, hi) whose input tap o*stride + off lies inside [0, size).
void valid_range(int64_t off, int64_t stride, int64_t size, int64_t n_out, int64_t& lo, int64_t& hi) {
    lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
    hi = size - 1 - off < 0 ? 0 : (size - 1 - off) / stride + 1;
    lo = std::min(lo, n_out);
    hi = std::max(lo, std::min(hi, n_out));
}

// Row blocks. The column matrix of a whole image can be far larger than the caches (576 x 3136 floats =
// 7.2 MB for a 3x3 layer over 64 channels of 56x56): written by im2col and read back by the GEMM, it
// went to memory twice per image, and two threads' copies filled the L3. So the kernels below work on
// blocks of output rows [pb, pe): the block's columns are p*Q + q for p in [pb, pe), stored with
// leading dimension (pe - pb) * Q, and sized by block_rows() to stay in cache.
//
// "Same"-shaped stride-1 convolutions (Q == W, stride 1: every 3x3 pad 1 or 5x5 pad 2 layer) map an
// im2col row onto the input plane with one constant offset: col[(c,r,s), p*Q + q] = plane[p*W + q + off]
// with off = offh*W + offw. The valid rows are then one contiguous span of the plane, except the |offw|
// columns per row that fall off the left or right edge (they would wrap onto the neighbouring row and
// must read zero). One memcpy per tap instead of one per output row: on 14x14 images the per-row
// version spent more time in memcpy calls than in copying.
inline bool flat_taps(const ConvGeom& g) { return g.sh == 1 && g.sw == 1 && g.Q == g.W; }

// Output rows per block: the block's column matrix near 1 MiB, rows spread evenly over the blocks; whole
// images when they fit. The block is streamed once per k-chunk by the gemm's B packing, so it need not
// sit in L2, only stay out of memory: two threads' blocks are a small part of a 16 MiB L3. (Smaller
// blocks cut 14x14 5x5 layers into ragged 98-column pieces and repeat the per-call costs more often.)
template <typename T>
int64_t block_rows(const ConvGeom& g) {
    if (g.pointwise()) return g.P;  // no column matrix: the image itself is the operand
    const int64_t target = (1024 * 1024) / int64_t(sizeof(T));
    const int64_t per_row = std::max<int64_t>(1, g.crs() * g.Q);
    const int64_t rows = std::max<int64_t>(1, target / per_row);
    if (rows >= g.P) return g.P;
    const int64_t nblocks = (g.P + rows - 1) / rows;
    return (g.P + nblocks - 1) / nblocks;
}

// For one tap (offh, offw) and the block's output rows [pb, pe): the rows [plo, phi) whose tap lies inside
// the input (clamped to the block), and the columns [qlo, qhi) likewise; the others read zero.
inline void tap_ranges(const ConvGeom& g, int64_t offh, int64_t offw, int64_t pb, int64_t pe, int64_t& plo,
                       int64_t& phi, int64_t& qlo, int64_t& qhi) {
    valid_range(offh, g.sh, g.H, g.P, plo, phi);
    valid_range(offw, g.sw, g.W, g.Q, qlo, qhi);
    plo = std::min(std::max(plo, pb), pe);
    phi = std::max(std::min(phi, pe), plo);
}

template <typename T>
void im2col_flat_row(const ConvGeom& g, const T* plane, int64_t offh, int64_t offw, int64_t pb, int64_t pe, T* row) {
    const int64_t Q = g.Q;
    int64_t plo, phi, qlo, qhi;
    tap_ranges(g, offh, offw, pb, pe, plo, phi, qlo, qhi);
    T* const base = row - pb * Q;  // base[p * Q + q] is output position (p, q)
    std::fill(row, base + plo * Q, T(0));
    if (phi > plo) {
        // The span may start before the plane (offw < 0 on row 0) or end past it: those are edge columns,
        // so copy only the in-plane part and let the edge loop below write their zeros.
        const int64_t off = offh * g.W + offw;
        const int64_t b = std::max<int64_t>(plo * Q, -off), e = std::min<int64_t>(phi * Q, g.H * g.W - off);
        if (e > b) std::memcpy(base + b, plane + b + off, sizeof(T) * size_t(e - b));
        for (int64_t p = plo; p < phi; ++p) {
            T* dst = base + p * Q;
            for (int64_t q = 0; q < qlo; ++q) dst[q] = T(0);
            for (int64_t q = qhi; q < Q; ++q) dst[q] = T(0);
        }
    }
    std::fill(base + phi * Q, base + pe * Q, T(0));
}

template <typename T>
void im2col_general_row(const ConvGeom& g, const T* plane, int64_t offh, int64_t offw, int64_t pb, int64_t pe, T* row) {
    const int64_t Q = g.Q;
    int64_t plo, phi, qlo, qhi;
    tap_ranges(g, offh, offw, pb, pe, plo, phi, qlo, qhi);
    T* const base = row - pb * Q;
    std::fill(row, base + plo * Q, T(0));
    for (int64_t p = plo; p < phi; ++p) {
        T* dst = base + p * Q;
        const T* src = plane + (p * g.sh + offh) * g.W;
        std::fill(dst, dst + qlo, T(0));
        if (g.sw == 1) {
            if (qhi > qlo) std::memcpy(dst + qlo, src + qlo + offw, sizeof(T) * size_t(qhi - qlo));
        } else {
            for (int64_t q = qlo; q < qhi; ++q) dst[q] = src[q * g.sw + offw];
        }
        std::fill(dst + qhi, dst + Q, T(0));
    }
    std::fill(base + phi * Q, base + pe * Q, T(0));
}

// Calls f(c, t, offh, offw) for every row t = (c*R + r)*S + s of the column matrix, with the offsets of
// its tap (r, s) in the input plane of channel c; parallel over channels when called outside a parallel
// region (each channel's rows and plane belong to one thread), inline inside one. cost_per_row: the
// work of one row, for parallel_for's threshold.
template <typename F>
void for_each_tap(const ConvGeom& g, int64_t cost_per_row, F f) {
    parallel_for(g.C, g.R * g.S * cost_per_row, [&](int64_t cb, int64_t ce) {
        for (int64_t c = cb; c < ce; ++c)
            for (int64_t r = 0; r < g.R; ++r)
                for (int64_t s = 0; s < g.S; ++s) f(c, (c * g.R + r) * g.S + s, r * g.dh - g.ph, s * g.dw - g.pw);
    });
}

// col (C*R*S x (pe-pb)*Q) <- the taps of output rows [pb, pe) of one image (C x H x W); padding taps
// become zero. Parallel over channels when called outside a parallel region; inline inside one.
template <typename T>
void im2col(const ConvGeom& g, const T* img, T* col, int64_t pb, int64_t pe) {
    const int64_t ld = (pe - pb) * g.Q;
    const bool flat = flat_taps(g);
    for_each_tap(g, ld, [&](int64_t c, int64_t t, int64_t offh, int64_t offw) {
        const T* plane = img + c * g.hw();
        T* row = col + t * ld;
        if (flat)
            im2col_flat_row(g, plane, offh, offw, pb, pe, row);
        else
            im2col_general_row(g, plane, offh, offw, pb, pe, row);
    });
}

// The right-hand operand of output rows [pb, pe) of image x (leading dimension in ldb): the image itself
// for a pointwise layer, else the block's columns, gathered into col.
template <typename T>
const T* block_columns(const ConvGeom& g, const T* x, T* col, int64_t pb, int64_t pe, int64_t& ldb) {
    if (g.pointwise()) {
        ldb = g.pq();
        return x + pb * g.Q;
    }
    im2col(g, x, col, pb, pe);
    ldb = (pe - pb) * g.Q;
    return col;
}

// The flat-taps col2im (see im2col_flat_row): the edge columns of the row are zeroed in place (col is
// the caller's scratch), so that the whole valid span can be added with one vectorisable loop; adding
// zero leaves the neighbouring pixels exactly as they were.
template <typename T>
void col2im_flat_row(const ConvGeom& g, T* row, int64_t offh, int64_t offw, int64_t pb, int64_t pe, T* plane) {
    const int64_t Q = g.Q;
    int64_t plo, phi, qlo, qhi;
    tap_ranges(g, offh, offw, pb, pe, plo, phi, qlo, qhi);
    if (phi <= plo) return;
    T* const base = row - pb * Q;
    for (int64_t p = plo; p < phi; ++p) {
        T* src = base + p * Q;
        for (int64_t q = 0; q < qlo; ++q) src[q] = T(0);
        for (int64_t q = qhi; q < Q; ++q) src[q] = T(0);
    }
    const int64_t off = offh * g.W + offw;
    const int64_t b = std::max<int64_t>(plo * Q, -off), e = std::min<int64_t>(phi * Q, g.H * g.W - off);
    T* dst = plane + off;
    for (int64_t i = b; i < e; ++i) dst[i] += base[i];
}

template <typename T>
void col2im_general_row(const ConvGeom& g, const T* row, int64_t offh, int64_t offw, int64_t pb, int64_t pe, T* plane) {
    const int64_t Q = g.Q;
    int64_t plo, phi, qlo, qhi;
    tap_ranges(g, offh, offw, pb, pe, plo, phi, qlo, qhi);
    const T* const base = row - pb * Q;
    for (int64_t p = plo; p < phi; ++p) {
        const T* src = base + p * Q;
        T* dst = plane + (p * g.sh + offh) * g.W;
        if (g.sw == 1) {
            T* d = dst + offw;
            for (int64_t q = qlo; q < qhi; ++q) d[q] += src[q];
        } else {
            for (int64_t q = qlo; q < qhi; ++q) dst[q * g.sw + offw] += src[q];
        }
    }
}

// img (C x H x W) += col (C*R*S x (pe-pb)*Q), output rows [pb, pe), scattered back to the taps it was
// gathered from; padding taps are dropped. Each channel writes only its own plane, so the channel split
// needs no synchronisation. col is scratch: the flat-taps path zeroes its padding entries.
template <typename T>
void col2im_add(const ConvGeom& g, T* col, T* img, int64_t pb, int64_t pe) {
    const int64_t ld = (pe - pb) * g.Q;
    const bool flat = flat_taps(g);
    for_each_tap(g, ld, [&](int64_t c, int64_t t, int64_t offh, int64_t offw) {
        T* plane = img + c * g.hw();
        T* row = col + t * ld;
        if (flat)
            col2im_flat_row(g, row, offh, offw, pb, pe, plane);
        else
            col2im_general_row(g, row, offh, offw, pb, pe, plane);
    });
}

// The batch split: one fixed chunk of images per thread when there are at least as many images as
// threads, else a single chunk (then gemm, im2col and col2im parallelise internally instead).
int64_t chunk_count(int64_t N) {
    const int64_t nthreads = get_num_threads();
    return (nthreads > 1 && N >= nthreads) ? nthreads : 1;
}

// Runs f(chunk, n_begin, n_end) for every chunk of the split; chunks run in parallel when there are
// several (and enough work), gemm inside then runs serially since regions never nest.
template <typename F>
void run_chunks(int64_t N, int64_t nchunks, int64_t cost_per_image, F f) {
    auto one = [&](int64_t ch) { f(ch, N * ch / nchunks, N * (ch + 1) / nchunks); };
    if (nchunks == 1) {
        one(0);
        return;
    }
    parallel_for(nchunks, cost_per_image * (N / nchunks), [&](int64_t b, int64_t e) {
        for (int64_t ch = b; ch < e; ++ch) one(ch);
    });
}

// Sum of n values: 16 independent partial sums (a plain loop the compiler vectorises, where one running
// sum is a serial chain of dependent adds), combined in double. The first layer's bias gradient sums
// 1.6 M values per step; the one-accumulator loop took longer than the weight gradient's gemm.
template <typename T>
double sum_plane(const T* x, int64_t n) {
    T part[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) part[j] += x[i + j];
    double acc = 0.0;
    for (int j = 0; j < 16; ++j) acc += double(part[j]);
    for (; i < n; ++i) acc += double(x[i]);
    return acc;
}

// dbias (K) += the sum of dout (N x K x PQ) over images and positions (nothing when dbias is null).
template <typename T>
void add_bias_grad(T* dbias, const T* dout, int64_t N, int64_t K, int64_t PQ) {
    if (!dbias) return;
    parallel_for(K, N * PQ, [&](int64_t kb, int64_t ke) {
        for (int64_t k = kb; k < ke; ++k) {
            double acc = 0.0;
            for (int64_t n = 0; n < N; ++n) acc += sum_plane(dout + (n * K + k) * PQ, PQ);
            dbias[k] += T(acc);
        }
    });
}

// Uninitialised scratch, allocated before any parallel region (an exception thrown inside one would
// terminate the process).
template <typename T>
std::unique_ptr<T[]> scratch(int64_t n) {
    return std::unique_ptr<T[]>(new T[size_t(std::max<int64_t>(n, 1))]);
}

// Whether a layer runs the implicit-GEMM kernels (conv2d_implicit.h) instead of im2col: float layers of
// the flat-taps shape on AVX2 CPUs, when every image runs on one thread (one chunk per thread, or a
// single thread): with one chunk and several threads, the im2col path parallelises inside each image.
template <typename T>
bool use_implicit(const ConvGeom& g, int64_t nchunks) {
    return std::is_same<T, float>::value && (nchunks > 1 || get_num_threads() == 1) && conv2d_implicit_applies(g);
}

// Whether a float layer runs on Winograd (3x3 or 5x5): under the same threading condition as use_implicit.
bool use_winograd(const ConvGeom& g, int64_t nchunks) {
    return (nchunks > 1 || get_num_threads() == 1) && conv2d_winograd_applies(g);
}

// The implicit kernels' tap-mask table, built before any parallel region (empty when unused).
std::unique_ptr<int32_t[]> tap_masks(const ConvGeom& g, bool implicit) {
    if (!implicit) return nullptr;
    std::unique_ptr<int32_t[]> m(new int32_t[size_t(g.R * g.S * conv2d_tap_mask_stride(g))]);
    conv2d_tap_masks(g, m.get());
    return m;
}

// ReLU over a K x cols output block (rows ld apart) while it is still in cache: a separate activation
// pass would read and write the whole output from memory again. `v < 0` keeps NaN, as torch.relu does.
template <typename T>
void apply_relu(bool relu, T* out, int64_t K, int64_t cols, int64_t ld) {
    if (!relu) return;
    for (int64_t k = 0; k < K; ++k) {
        T* v = out + k * ld;
        for (int64_t i = 0; i < cols; ++i) v[i] = v[i] < T(0) ? T(0) : v[i];
    }
}

}  // namespace

template <typename T>
void conv2d_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H, int64_t W,
                    int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                    int64_t dil_h, int64_t dil_w, bool relu) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w);
    const int64_t CRS = g.crs(), PQ = g.pq(), Q = g.Q;
    const int64_t nchunks = chunk_count(N);
    if constexpr (std::is_same<T, float>::value) {
        if (use_winograd(g, nchunks)) {
            conv2d_winograd(g, inp, weight, bias, relu, false, out, nchunks);
            return;
        }
    }
    const bool implicit = use_implicit<T>(g, nchunks);
    const auto masks = tap_masks(g, implicit);
    const int64_t rows = block_rows<T>(g);
    const int64_t col_elems = (g.pointwise() || implicit) ? 0 : CRS * rows * Q;
    auto ws = scratch<T>(nchunks * col_elems);
    // When every gemm runs serially inside the region: pack the weight (the left operand of every
    // image's product) once, not once per image and block.
    const bool prepack = nchunks > 1 || implicit;
    auto wp = scratch<T>(prepack ? gemm_packed_a_size<T>(K, CRS) : 0);
    if (prepack) gemm_pack_a<T>(false, K, CRS, weight, CRS, wp.get());
    run_chunks(N, nchunks, K * CRS * PQ, [&](int64_t ch, int64_t nb, int64_t ne) {
        T* col = ws.get() + ch * col_elems;
        for (int64_t n = nb; n < ne; ++n) {
            const T* x = inp + n * C * g.hw();
            T* o = out + n * K * PQ;
            for (int64_t pb = 0; pb < g.P; pb += rows) {
                const int64_t pe = std::min(g.P, pb + rows), cols = (pe - pb) * Q;
                T* ob = o + pb * Q;  // this block's output columns, rows of ob are PQ apart
                // Bias goes in as the initial value of C, so the gemm's accumulate pass adds the product
                // on top of it instead of a separate pass over the output afterwards.
                T beta = T(0);
                if (bias) {
                    for (int64_t k = 0; k < K; ++k) std::fill(ob + k * PQ, ob + k * PQ + cols, bias[k]);
                    beta = T(1);
                }
                if constexpr (std::is_same<T, float>::value) {
                    if (implicit) {
                        conv2d_implicit_forward_image(g, masks.get(), wp.get(), x, pb * Q, pe * Q, beta, o);
                        apply_relu(relu, ob, K, cols, PQ);
                        continue;
                    }
                }
                int64_t ldb;
                const T* B = block_columns(g, x, col, pb, pe, ldb);
                if (prepack)
                    gemm_with_packed_a<T>(K, cols, CRS, T(1), wp.get(), false, B, ldb, beta, ob, PQ);
                else
                    gemm<T>(false, false, K, cols, CRS, T(1), weight, CRS, B, ldb, beta, ob, PQ);
                apply_relu(relu, ob, K, cols, PQ);
            }
        }
    });
}

// The weight of the convolution that gives a stride-1 layer's input gradient: wt[c, k, r, s] =
// weight[k, c, R-1-r, S-1-s] (C x K x R x S), see conv2d_backward_input.
static std::unique_ptr<float[]> flipped_transposed(const float* weight, int64_t K, int64_t C, int64_t R, int64_t S) {
    std::unique_ptr<float[]> wt(new float[size_t(C * K * R * S)]);
    for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t r = 0; r < R; ++r)
                for (int64_t s = 0; s < S; ++s)
                    wt[((c * K + k) * R + r) * S + s] = weight[((k * C + c) * R + (R - 1 - r)) * S + (S - 1 - s)];
    return wt;
}

// dinp += conv(dout, flipped weight^T) for the geometry gt of that convolution (C' = K input channels of
// P x Q, K' = C outputs of H x W), on the implicit-GEMM forward kernel.
static void input_grad_as_conv(const ConvGeom& gt, float* dinp, const float* dout, const float* wt, int64_t nchunks) {
    const int64_t C = gt.K, K = gt.C, KRS = gt.crs();
    auto wp = scratch<float>(gemm_packed_a_size<float>(C, KRS));
    gemm_pack_a<float>(false, C, KRS, wt, KRS, wp.get());
    const auto masks = tap_masks(gt, true);
    const int64_t rows = block_rows<float>(gt), PQ = gt.pq();
    run_chunks(gt.N, nchunks, C * KRS * PQ, [&](int64_t, int64_t nb, int64_t ne) {
        for (int64_t n = nb; n < ne; ++n)
            for (int64_t pb = 0; pb < gt.P; pb += rows)
                conv2d_implicit_forward_image(gt, masks.get(), wp.get(), dout + n * K * gt.hw(), pb * gt.Q,
                                              std::min(gt.P, pb + rows) * gt.Q, 1.0f, dinp + n * C * PQ);
    });
}

template <typename T>
void conv2d_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                           int64_t pad_w, int64_t dil_h, int64_t dil_w) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w);
    const int64_t CRS = g.crs(), PQ = g.pq(), Q = g.Q;
    const bool pointwise = g.pointwise();
    const int64_t nchunks = chunk_count(N);
    if constexpr (std::is_same<T, float>::value) {
        // A stride-1 convolution's input gradient is itself a convolution: of dout with the weight
        // transposed (K <-> C) and flipped (r -> R-1-r, s -> S-1-s), padded by dil*(R-1) - pad. For a
        // flat-taps layer that convolution is flat-taps too, so it runs on the implicit forward kernel
        // and col2im (a scattered add over the whole input gradient) disappears.
        const ConvGeom gt = make_geom(N, K, g.P, g.Q, C, R, S, 1, 1, dil_h * (R - 1) - pad_h, dil_w * (S - 1) - pad_w,
                                      dil_h, dil_w);
        // Its left operand has C rows: with 6-row register tiles, C = 32 wastes 11% of the work (measured
        // slower than im2col + col2im on 14x14 layers), C = 64 wastes 3% (measured 12% faster on 56x56).
        // Only a stride-1 layer's input gradient is that convolution (gt's output is then the input's H x W).
        const bool same_geometry = stride_h == 1 && stride_w == 1 && gt.P == H && gt.Q == W;
        if (same_geometry && use_winograd(gt, nchunks)) {
            conv2d_winograd(gt, dout, flipped_transposed(weight, K, C, R, S).get(), nullptr, false, true, dinp,
                            nchunks);
            return;
        }
        // Its left operand has C rows: with 6-row register tiles, C = 32 wastes 11% of the work (measured
        // slower than im2col + col2im on 14x14 layers), C = 64 wastes 3% (measured 12% faster on 56x56).
        const bool tiles_fit = (C + 5) / 6 * 6 * 20 <= C * 21;
        if (tiles_fit && same_geometry && use_implicit<T>(g, nchunks) && gt.ph >= 0 && gt.pw >= 0 &&
            conv2d_implicit_applies(gt)) {
            input_grad_as_conv(gt, dinp, dout, flipped_transposed(weight, K, C, R, S).get(), nchunks);
            return;
        }
    }
    const int64_t rows = block_rows<T>(g);
    const int64_t col_elems = pointwise ? 0 : CRS * rows * Q;
    auto ws = scratch<T>(nchunks * col_elems);
    // weight^T (CRS x K) is the left operand of every image's product: packed once (see the forward).
    const bool prepack = nchunks > 1;
    auto wp = scratch<T>(prepack ? gemm_packed_a_size<T>(CRS, K) : 0);
    if (prepack) gemm_pack_a<T>(true, CRS, K, weight, CRS, wp.get());
    run_chunks(N, nchunks, K * CRS * PQ, [&](int64_t ch, int64_t nb, int64_t ne) {
        T* dcol = ws.get() + ch * col_elems;
        for (int64_t n = nb; n < ne; ++n) {
            const T* go = dout + n * K * PQ;
            T* gi = dinp + n * C * g.hw();
            if (pointwise) {
                // dinp_n (C x HW) += weight^T (C x K) @ dout_n (K x HW), straight into the gradient.
                if (prepack)
                    gemm_with_packed_a<T>(C, PQ, K, T(1), wp.get(), false, go, PQ, T(1), gi, PQ);
                else
                    gemm<T>(true, false, C, PQ, K, T(1), weight, CRS, go, PQ, T(1), gi, PQ);
                continue;
            }
            for (int64_t pb = 0; pb < g.P; pb += rows) {
                const int64_t pe = std::min(g.P, pb + rows), cols = (pe - pb) * Q;
                if (prepack)
                    gemm_with_packed_a<T>(CRS, cols, K, T(1), wp.get(), false, go + pb * Q, PQ, T(0), dcol, cols);
                else
                    gemm<T>(true, false, CRS, cols, K, T(1), weight, CRS, go + pb * Q, PQ, T(0), dcol, cols);
                col2im_add(g, dcol, gi, pb, pe);
            }
        }
    });
}

template <typename T>
void conv2d_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w,
                            int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w);
    const int64_t CRS = g.crs(), PQ = g.pq(), KCRS = K * CRS, Q = g.Q;
    const int64_t nchunks = chunk_count(N);
    if constexpr (std::is_same<T, float>::value) {
        if (use_winograd(g, nchunks)) {
            conv2d_winograd_weight_grad(g, dout, inp, dweight, dbias, nchunks);
            return;
        }
    }
    const bool implicit = use_implicit<T>(g, nchunks);
    const auto masks = tap_masks(g, implicit);
    // The implicit kernel produces the gradient transposed (CRS x K), so it always goes to a partial.
    const bool partials = nchunks > 1 || implicit;
    const int64_t rows = block_rows<T>(g);
    const int64_t col_elems = (g.pointwise() || implicit) ? 0 : CRS * rows * Q;
    auto cols_ws = scratch<T>(nchunks * col_elems);
    auto parts = scratch<T>(partials ? nchunks * KCRS : 0);
    run_chunks(N, nchunks, KCRS * PQ, [&](int64_t ch, int64_t nb, int64_t ne) {
        T* col = cols_ws.get() + ch * col_elems;
        T* acc = partials ? parts.get() + ch * KCRS : dweight;
        T beta = partials ? T(0) : T(1);
        for (int64_t n = nb; n < ne; ++n) {
            const T* go = dout + n * K * PQ;
            const T* x = inp + n * C * g.hw();
            if constexpr (std::is_same<T, float>::value) {
                if (implicit) {
                    conv2d_implicit_weight_grad_image(g, masks.get(), go, x, beta, acc);
                    beta = T(1);
                    continue;
                }
            }
            for (int64_t pb = 0; pb < g.P; pb += rows) {
                const int64_t pe = std::min(g.P, pb + rows), cols = (pe - pb) * Q;
                int64_t ldb;
                const T* B = block_columns(g, x, col, pb, pe, ldb);
                // acc (K x CRS) += dout_n[:, block] (K x cols) @ col^T (cols x CRS); the first product of a
                // partial overwrites.
                gemm<T>(false, true, K, CRS, cols, T(1), go + pb * Q, PQ, B, ldb, beta, acc, CRS);
                beta = T(1);
            }
        }
    });
    if (partials) {
        // Fixed chunk order per element: the same sum every run with this thread count. Implicit
        // partials are CRS x K: element (k, t) of the gradient is at t * K + k.
        const int64_t sk = implicit ? 1 : CRS, st = implicit ? K : 1;
        parallel_for(K, CRS * nchunks, [&](int64_t kb, int64_t ke) {
            for (int64_t k = kb; k < ke; ++k)
                for (int64_t t = 0; t < CRS; ++t) {
                    T v = dweight[k * CRS + t];
                    for (int64_t ch = 0; ch < nchunks; ++ch) v += parts[ch * KCRS + k * sk + t * st];
                    dweight[k * CRS + t] = v;
                }
        });
    }
    add_bias_grad(dbias, dout, N, K, PQ);
}

#define AXONAL_INSTANTIATE_CONV2D(T)                                                                              \
    template void conv2d_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool); \
    template void conv2d_backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,    \
                                           int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t); \
    template void conv2d_backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t,        \
                                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                            int64_t);

AXONAL_INSTANTIATE_CONV2D(float)
AXONAL_INSTANTIATE_CONV2D(double)
#undef AXONAL_INSTANTIATE_CONV2D

}  // namespace axonal
