// 2-D convolution on the GPU (cross-correlation, as in PyTorch), NCHW, with groups. Dense, C-contiguous:
//   inp     N x C x H x W
//   weight  K x C/groups x R x S
//   bias    K             (nullptr: no bias)
//   out     N x K x P x Q    P = (H + 2*pad_h - dil_h*(R-1) - 1) / stride_h + 1, Q likewise
//   out[n, k, p, q] = bias[k] + sum_{c in group(k), r, s} weight[k, c - c0(k), r, s]
//                                 * inp[n, c, p*stride_h - pad_h + r*dil_h, q*stride_w - pad_w + s*dil_w]
// (taps outside the input read zero). conv2d_forward OVERWRITES out (relu: max(0, .) as it is written);
// conv2d_backward_input ACCUMULATES into dinp (N x C x H x W); conv2d_backward_weight ACCUMULATES into
// dweight (K x C/groups x R x S) and, when dbias is not null, dbias (K) += sum of dout over n, p, q.
// All three are implicit GEMMs (conv2d_problems.cuh), one grid per call, groups on blockIdx.z. The input
// gradient writes each dinp element from one thread (no atomics, deterministic); the weight gradient
// splits its long reduction (N*P*Q) over blockIdx.z when the weight has few tiles and then adds with
// atomics, as does dbias when it splits the batch (results then vary in the last bits between runs).
#include "cuda/conv2d_problems.cuh"

namespace axonal {
namespace cuda {
namespace {

ConvGeom make_geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw,
                   int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
    const int64_t P = (H + 2 * ph - dh * (R - 1) - 1) / sh + 1, Q = (W + 2 * pw - dw * (S - 1) - 1) / sw + 1;
    return {N,      C,      H,      W,      K,      P,      Q,      C / groups, K / groups,
            int(R), int(S), int(sh), int(sw), int(ph), int(pw), int(dh), int(dw)};
}

// dbias[k] += sum over n, p, q of dout[n, k, p, q]. Block (k, chunk) sums its share of the N*PQ values in
// double; with one chunk per channel the add is plain, otherwise atomic.
template <typename T>
__global__ void conv_bias_grad_kernel(T* dbias, const T* dout, int64_t N, int64_t K, int64_t PQ, int64_t per_chunk) {
    const int64_t k = blockIdx.x, total = N * PQ;
    const int64_t beg = int64_t(blockIdx.y) * per_chunk, end = ax_min(total, beg + per_chunk);
    double s = 0;
    for (int64_t j = beg + threadIdx.x; j < end; j += blockDim.x) s += double(dout[(j / PQ) * K * PQ + k * PQ + j % PQ]);
    s = block_sum(s);
    if (threadIdx.x == 0) {
        if (gridDim.y > 1)
            atomicAdd(dbias + k, T(s));
        else
            dbias[k] += T(s);
    }
}

}  // namespace

template <typename T>
void conv2d_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H, int64_t W,
                    int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                    int64_t dw, int64_t groups, bool relu, cudaStream_t stream) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    with_tile_config<T>(g.Kg, [&](auto cfg) {
        using Cfg = decltype(cfg);
        const bool vecW = aligned16(weight) && (g.Cg * R * S) % Cfg::V == 0;
        ConvFwdProblem<Cfg> prob{inp, weight, bias, out, g, vecW, relu};
        launch_tiles<Cfg>(prob, g.Kg, N * g.P * g.Q, groups, stream);
    });
    check_launch("conv2d");
}

template <typename T>
void conv2d_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                           int64_t dw, int64_t groups, cudaStream_t stream) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    with_tile_config<T>(g.Cg, [&](auto cfg) {
        using Cfg = decltype(cfg);
        ConvDgradProblem<Cfg> prob{dinp, dout, weight, g};
        launch_tiles<Cfg>(prob, g.Cg, N * H * W, groups, stream);
    });
    check_launch("conv2d_backward_input");
}

template <typename T>
void conv2d_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                            int64_t dh, int64_t dw, int64_t groups, cudaStream_t stream) {
    const ConvGeom g = make_geom(N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    const int64_t npq = N * g.P * g.Q, crs = g.Cg * R * S;
    // At most 64-row tiles: the 128x128 float tile's two gathered operands need more than the 128
    // registers it may use (ptxas spilled 164 bytes), and the split reduction brings the blocks anyway.
    with_tile_config<T>(ax_min<int64_t>(g.Kg, 64), [&](auto cfg) {
        using Cfg = decltype(cfg);
        const int64_t tiles = groups * ((g.Kg + Cfg::BM - 1) / Cfg::BM) * ((crs + Cfg::BN - 1) / Cfg::BN);
        const int64_t want = split_count(tiles, npq, Cfg::BK);
        const int64_t chunk = ((npq + want - 1) / want + Cfg::BK - 1) / Cfg::BK * Cfg::BK;
        const int64_t splits = (npq + chunk - 1) / chunk;
        ConvWgradProblem<Cfg> prob{dweight, dout, inp, g, splits, chunk};
        launch_tiles<Cfg>(prob, g.Kg, crs, groups * splits, stream);
    });
    if (dbias) {
        // Chunks of at least 4096 values, and enough blocks for ~2 per SM when K is small.
        const int64_t total = npq;
        const int64_t chunks = ax_max<int64_t>(1, ax_min<int64_t>((264 + K - 1) / K, ax_min<int64_t>(65535, total / 4096)));
        const int64_t per_chunk = (total + chunks - 1) / chunks;
        launch(conv_bias_grad_kernel<T>, dim3(unsigned(K), unsigned((total + per_chunk - 1) / per_chunk)), dim3(kThreads),
               stream, dbias, dout, N, K, g.P * g.Q, per_chunk);
    }
    check_launch("conv2d_backward_weight");
}

#define AXONAL_INSTANTIATE(T)                                                                                        \
    template void conv2d_forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,   \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                    bool, cudaStream_t);                                                             \
    template void conv2d_backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                           int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,   \
                                           int64_t, cudaStream_t);                                                   \
    template void conv2d_backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                            int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                            int64_t, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
