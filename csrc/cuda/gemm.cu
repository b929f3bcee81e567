// GEMM on the GPU: C = alpha * op(A) @ op(B) + beta * C, row-major, batched with element strides.
//   op(A): M x K — A is M x K (lda >= K) or, transposed, K x M (lda >= M); likewise op(B): K x N.
//   C: M x N, ldc >= N; matrix i of the batch at A + i * strideA etc. (a stride may be 0).
//   beta == 0 overwrites C (NaN in C does not leak), K == 0 gives C = beta * C.
// Tiles (tile_gemm.cuh): float 128x128 (256 threads, 8x8 each), or 64x128 / 32x128 when M is small;
// double 64x64 (256 threads, 4x4 each) or 32x64. FP32 FMAs only: no TF32 path exists.
// When the output has too few tiles to fill the GPU (M, N small, K long) the reduction is split over
// blockIdx.z: C is first scaled by beta, then every slice adds alpha * its partial product atomically (the
// order of those adds varies from run to run: results agree to rounding, not bit for bit).
#include <type_traits>

#include "cuda/tile_gemm.cuh"

namespace axonal {
namespace cuda {
namespace {

template <class Cfg, bool TA, bool TB>
struct GemmProblem {
    using T = typename Cfg::value_type;
    using value_type = T;
    static constexpr int V = Cfg::V;
    const T* A;
    const T* B;
    T* C;
    int64_t M, N, K, lda, ldb, ldc, sA, sB, sC;
    T alpha, beta;
    bool vecA, vecB, vecC, atomic;
    int64_t splits, kchunk;
    int64_t y_base = 0, z_base = 0;

    struct Slice {
        const T* A;
        const T* B;
        T* C;
        int64_t kbeg, kend;
    };
    struct Cols {
        int64_t x0;
    };
    // A is (x = m, k): K-contiguous unless transposed; B is (x = n, k): K-contiguous only when transposed.
    using ALoader = DenseTileLoader<T, Cfg::BM, Cfg::BK, Cfg::NT, !TA>;
    using BLoader = DenseTileLoader<T, Cfg::BN, Cfg::BK, Cfg::NT, TB>;

    __device__ Slice slice(int64_t z) const {
        const int64_t b = z / splits, s = z % splits;
        const int64_t kbeg = s * kchunk;
        return {A + b * sA, B + b * sB, C + b * sC, kbeg, ax_min(K, kbeg + kchunk)};
    }
    __device__ ALoader a_loader(const Slice& sl, int64_t m0, int tid) const {
        return ALoader(sl.A, lda, M, vecA, m0, tid);
    }
    __device__ BLoader b_loader(const Slice& sl, int64_t n0, int tid) const {
        return BLoader(sl.B, ldb, N, vecB, n0, tid);
    }
    __device__ Cols cols(const Slice&, int64_t x0) const { return {x0}; }
    __device__ void store(const Slice& sl, int64_t m, const Cols& c, const T* v) const {
        if (m >= M || c.x0 >= N) return;
        T* dst = sl.C + m * ldc + c.x0;
        if (atomic) {
            for (int e = 0; e < V; ++e)
                if (c.x0 + e < N) atomicAdd(dst + e, alpha * v[e]);
            return;
        }
        T out[V];
        if (vecC && c.x0 + V <= N) {
            if (beta == T(0)) {
                for (int e = 0; e < V; ++e) out[e] = alpha * v[e];
            } else {
                T old[V];
                load_vec(dst, old);
                for (int e = 0; e < V; ++e) out[e] = alpha * v[e] + beta * old[e];
            }
            store_vec(dst, out);
        } else {
            for (int e = 0; e < V; ++e)
                if (c.x0 + e < N) dst[e] = beta == T(0) ? alpha * v[e] : alpha * v[e] + beta * dst[e];
        }
    }
};

// C[b] = beta * C[b] (0 when beta == 0, whatever C held) for the split-K path.
template <typename T>
__global__ void scale_matrix_kernel(T* C, int64_t M, int64_t N, int64_t ldc, int64_t sC, int64_t batch, T beta) {
    const int64_t total = batch * M * N;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t b = i / (M * N), r = i % (M * N);
        T* c = C + b * sC + (r / N) * ldc + r % N;
        *c = beta == T(0) ? T(0) : beta * *c;
    }
}

template <class Cfg, bool TA, bool TB>
void run(int64_t batch, int64_t M, int64_t N, int64_t K, typename Cfg::value_type alpha,
         const typename Cfg::value_type* A, int64_t lda, int64_t sA, const typename Cfg::value_type* B, int64_t ldb,
         int64_t sB, typename Cfg::value_type beta, typename Cfg::value_type* C, int64_t ldc, int64_t sC,
         cudaStream_t stream) {
    using T = typename Cfg::value_type;
    constexpr int V = Cfg::V;
    auto vec_ok = [&](const T* p, int64_t ld, int64_t stride) {
        return aligned16(p) && ld % V == 0 && (batch == 1 || stride % V == 0);
    };
    GemmProblem<Cfg, TA, TB> prob{A, B, C, M, N, K, lda, ldb, ldc, sA, sB, sC, alpha, beta,
                                  vec_ok(A, lda, sA), vec_ok(B, ldb, sB), vec_ok(C, ldc, sC), false, 1, K};
    const int64_t tiles = batch * ((M + Cfg::BM - 1) / Cfg::BM) * ((N + Cfg::BN - 1) / Cfg::BN);
    const int64_t splits = split_count(tiles, K, Cfg::BK);
    if (splits > 1) {
        const int64_t chunk = (K + splits - 1) / splits;
        prob.kchunk = (chunk + Cfg::BK - 1) / Cfg::BK * Cfg::BK;
        prob.splits = (K + prob.kchunk - 1) / prob.kchunk;
        prob.atomic = true;
        launch(scale_matrix_kernel<T>, dim3(grid_for(batch * M * N)), dim3(kThreads), stream, C, M, N, ldc, sC,
               batch, beta);
    }
    launch_tiles<Cfg>(prob, M, N, batch * prob.splits, stream);
}

template <class Cfg>
void run_trans(bool ta, bool tb, int64_t batch, int64_t M, int64_t N, int64_t K, typename Cfg::value_type alpha,
               const typename Cfg::value_type* A, int64_t lda, int64_t sA, const typename Cfg::value_type* B,
               int64_t ldb, int64_t sB, typename Cfg::value_type beta, typename Cfg::value_type* C, int64_t ldc,
               int64_t sC, cudaStream_t s) {
    if (!ta && !tb) run<Cfg, false, false>(batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, s);
    if (!ta && tb) run<Cfg, false, true>(batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, s);
    if (ta && !tb) run<Cfg, true, false>(batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, s);
    if (ta && tb) run<Cfg, true, true>(batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, s);
}

}  // namespace

template <typename T>
void gemm(bool ta, bool tb, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          int64_t sA, const T* B, int64_t ldb, int64_t sB, T beta, T* C, int64_t ldc, int64_t sC, cudaStream_t s) {
    if (batch == 0 || M == 0 || N == 0) return;
    with_tile_config<T>(M, [&](auto cfg) {
        using Cfg = decltype(cfg);
        run_trans<Cfg>(ta, tb, batch, M, N, K, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, s);
    });
    check_launch("gemm");
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, int64_t, float, const float*, int64_t, int64_t,
                          const float*, int64_t, int64_t, float, float*, int64_t, int64_t, cudaStream_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, int64_t, double, const double*, int64_t, int64_t,
                           const double*, int64_t, int64_t, double, double*, int64_t, int64_t, cudaStream_t);

}  // namespace cuda
}  // namespace axonal
