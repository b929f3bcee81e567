// The tile engine behind gemm.cu and conv2d.cu: one thread block computes a BM x BN tile of
// C = op(A) @ op(B) (A: M x Kd, B: Kd x N), walking the reduction in steps of BK through double-buffered
// shared memory. A "problem" says where tiles come from and where results go:
//
//   struct Problem {
//     using value_type = T;  int64_t y_base, z_base;       // tile offsets for chunked launches
//     Slice slice(int64_t z);                               // blockIdx.z -> pointers + reduction range
//     ALoader a_loader(const Slice&, int64_t m0, int tid);  // the BM x BK tile of A at (m0, k0)
//     BLoader b_loader(const Slice&, int64_t n0, int tid);  // the BK x BN tile of B at (k0, n0)
//     Cols cols(const Slice&, int64_t n);                   // V consecutive output columns from n
//     void store(const Slice&, int64_t m, const Cols&, const T* v);  // writes v[0..V) to row m
//   };
//   a loader: load(k0, kend) reads its share of the tile into registers (zeros from k = kend on), store(s)
//   writes it to shared s[k][x].
//
// Blocking. Each thread owns a TM x TN = 2V x 2V register tile (V = 16 bytes / sizeof(T): 8x8 floats,
// 4x4 doubles), as two V-wide groups BM/2 (BN/2) apart in each direction, so its shared reads are 16-byte
// vectors (LDS.128) and the 16 threads of a half-warp that read B's row read 256 contiguous bytes: no bank
// conflicts, and A's row is a broadcast (a warp spans 2 thread rows). Shared rows are padded by V
// elements so the transposing stores (a K-contiguous operand written as s[k][x]) of neighbouring lanes
// land in different banks. Global loads of dense operands are 16-byte vectors where the layout allows
// (the problem checks alignment once), and the next tile's loads are issued before the current tile's
// FMAs, so their latency hides behind 2V*2V*BK FMAs per thread; one __syncthreads per step suffices with
// two buffers (a buffer is rewritten only after the barrier that ends the step which read it).
#pragma once
#include <type_traits>

#include "cuda/common.cuh"

namespace axonal {
namespace cuda {

template <typename T, int BM_, int BN_, int BK_ = 8>
struct TileConfig {
    using value_type = T;
    static constexpr int V = Vec16<T>::n;
    static constexpr int BM = BM_, BN = BN_, BK = BK_;
    static constexpr int TM = 2 * V, TN = 2 * V;
    static constexpr int NTX = BN / TN, NTY = BM / TM, NT = NTX * NTY;
    static constexpr int LDA = BM + V, LDB = BN + V;  // padded shared rows (see above)
    // 256-thread tiles: ask for 2 resident blocks per SM, i.e. at most 128 registers per thread (64K / 512),
    // which the 8x8 float tile fits without spilling (64 accumulators, 16 operands, loads, addresses);
    // unbounded, nvcc takes ~140 and one block per SM, too few warps to hide the shared-memory latency.
    static constexpr int MIN_BLOCKS = NT >= 256 ? 2 : 1;
    static_assert(BM % TM == 0 && BN % TN == 0, "tile must split into thread tiles");
    static_assert(NT % 32 == 0 && NT <= 1024 && BM >= 32 && BN >= 32, "whole warps, at most 1024 threads");
};

template <class Cfg>
struct alignas(16) TileSmem {
    typename Cfg::value_type a[2][Cfg::BK][Cfg::LDA];
    typename Cfg::value_type b[2][Cfg::BK][Cfg::LDB];
};

// 16-byte vector moves between T arrays (the addresses must be 16-byte aligned).
__device__ __forceinline__ void load_vec(const float* src, float* dst) {
    const float4 t = *reinterpret_cast<const float4*>(src);
    dst[0] = t.x, dst[1] = t.y, dst[2] = t.z, dst[3] = t.w;
}
__device__ __forceinline__ void load_vec(const double* src, double* dst) {
    const double2 t = *reinterpret_cast<const double2*>(src);
    dst[0] = t.x, dst[1] = t.y;
}
__device__ __forceinline__ void store_vec(float* dst, const float* src) {
    *reinterpret_cast<float4*>(dst) = make_float4(src[0], src[1], src[2], src[3]);
}
__device__ __forceinline__ void store_vec(double* dst, const double* src) {
    *reinterpret_cast<double2*>(dst) = make_double2(src[0], src[1]);
}

// A dense operand: element (x, k) at p[x * ld + k] when K_CONTIG, else at p[k * ld + x]; x in [0, X),
// k in [0, K) (K is the end of the block's reduction range, so a split never reads its neighbour's k).
// Each thread moves NV vectors of V elements along the contiguous direction; `vec` (checked by the
// problem: p and ld multiples of V) allows 16-byte loads, used where the vector is wholly inside. Per
// vector it keeps only a base pointer and how much of it lies inside along x (few registers: the 8x8
// tile's 64 accumulators need most of the 128 a thread may use).
template <typename T, int BX, int BK, int NT, bool K_CONTIG>
struct DenseTileLoader {
    static constexpr int V = Vec16<T>::n;
    static constexpr int VPL = (K_CONTIG ? BK : BX) / V;  // vectors per contiguous line of the tile
    static constexpr int NV = BX * BK / (V * NT);          // vectors per thread
    static_assert(NV >= 1 && BX * BK == NV * V * NT, "the tile must split evenly over the threads");
    int64_t ld;
    bool vec;
    int tid;
    const T* base[NV];  // element (x, k = kl) of each vector
    int xin[NV];        // elements of the vector inside along x: K_CONTIG 0 or V, else 0..V
    T r[NV][V];

    __device__ static int line_of(int tid, int v) { return (tid + v * NT) / VPL; }
    __device__ static int off_of(int tid, int v) { return ((tid + v * NT) % VPL) * V; }
    __device__ int xl(int v) const { return K_CONTIG ? line_of(tid, v) : off_of(tid, v); }
    __device__ int kl(int v) const { return K_CONTIG ? off_of(tid, v) : line_of(tid, v); }

    __device__ DenseTileLoader(const T* p, int64_t ld_, int64_t X, bool vec_, int64_t x0, int tid_)
        : ld(ld_), vec(vec_), tid(tid_) {
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            const int64_t x = x0 + xl(v);
            base[v] = K_CONTIG ? p + x * ld + kl(v) : p + kl(v) * ld + x;
            xin[v] = int(K_CONTIG ? (x < X ? V : 0) : ax_max<int64_t>(0, ax_min<int64_t>(V, X - x)));
        }
    }

    __device__ __forceinline__ void load(int64_t k0, int64_t K) {
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            const int64_t k = k0 + kl(v);
            if (K_CONTIG) {
                const T* src = base[v] + k0;
                if (vec && xin[v] == V && k + V <= K) {
                    load_vec(src, r[v]);
                } else {
#pragma unroll
                    for (int e = 0; e < V; ++e) r[v][e] = (xin[v] == V && k + e < K) ? src[e] : T(0);
                }
            } else {
                const T* src = base[v] + k0 * ld;
                if (vec && k < K && xin[v] == V) {
                    load_vec(src, r[v]);
                } else {
#pragma unroll
                    for (int e = 0; e < V; ++e) r[v][e] = (k < K && e < xin[v]) ? src[e] : T(0);
                }
            }
        }
    }

    template <int LD>
    __device__ __forceinline__ void store(T (*s)[LD]) const {
#pragma unroll
        for (int v = 0; v < NV; ++v) {
            if (K_CONTIG) {
#pragma unroll
                for (int e = 0; e < V; ++e) s[kl(v) + e][xl(v)] = r[v][e];
            } else {
                store_vec(&s[kl(v)][xl(v)], r[v]);
            }
        }
    }
};

// A gathered operand (an im2col view): G supplies Col col(x) and Row row(k) (per-index precomputation)
// and T fetch(col, row) (zero outside the image / the range). Scalar loads; two lane layouts:
//   XLanes: the 32 lanes of a warp take 32 consecutive x (coalesced when x runs along image rows), each
//           thread XE = BX/32 columns and BK/(NT/32) rows — its columns are fixed, rows change per step.
//   KLanes: BK consecutive lanes take BK consecutive k (coalesced when k runs along rows), each thread
//           one k per step and BX*BK/NT columns.
template <typename T, int BX, int BK, int NT, class G>
struct XLanesLoader {
    static constexpr int KR = NT / 32, KP = BK / KR, XE = BX / 32;
    static_assert(BK % KR == 0 && BX % 32 == 0, "XLanesLoader: tile does not split over the warps");
    G g;
    int lane, krow;
    typename G::Col col[XE];
    T r[KP][XE];

    __device__ XLanesLoader(const G& g_, int64_t x0, int tid) : g(g_), lane(tid % 32), krow(tid / 32) {
#pragma unroll
        for (int e = 0; e < XE; ++e) col[e] = g.col(x0 + lane + 32 * e);
    }
    __device__ __forceinline__ void load(int64_t k0, int64_t K) {
#pragma unroll
        for (int p = 0; p < KP; ++p) {
            const typename G::Row row = g.row(k0 + krow + p * KR, K);
#pragma unroll
            for (int e = 0; e < XE; ++e) r[p][e] = g.fetch(col[e], row);
        }
    }
    template <int LD>
    __device__ __forceinline__ void store(T (*s)[LD]) const {
#pragma unroll
        for (int p = 0; p < KP; ++p)
#pragma unroll
            for (int e = 0; e < XE; ++e) s[krow + p * KR][lane + 32 * e] = r[p][e];
    }
};

template <typename T, int BX, int BK, int NT, class G>
struct KLanesLoader {
    static constexpr int XS = NT / BK, XE = BX / XS;
    static_assert(NT % BK == 0 && BX % XS == 0, "KLanesLoader: tile does not split over the threads");
    G g;
    int kk, xr;
    typename G::Col col[XE];
    T r[XE];

    __device__ KLanesLoader(const G& g_, int64_t x0, int tid) : g(g_), kk(tid % BK), xr(tid / BK) {
#pragma unroll
        for (int e = 0; e < XE; ++e) col[e] = g.col(x0 + xr + XS * e);
    }
    __device__ __forceinline__ void load(int64_t k0, int64_t K) {
        const typename G::Row row = g.row(k0 + kk, K);
#pragma unroll
        for (int e = 0; e < XE; ++e) r[e] = g.fetch(col[e], row);
    }
    template <int LD>
    __device__ __forceinline__ void store(T (*s)[LD]) const {
#pragma unroll
        for (int e = 0; e < XE; ++e) s[kk][xr + XS * e] = r[e];
    }
};

// acc += A_tile^T-slice products for one shared buffer: BK rank-1 updates of the thread's 2V x 2V tile.
template <class Cfg>
__device__ __forceinline__ void tile_fma(const typename Cfg::value_type (*As)[Cfg::LDA],
                                         const typename Cfg::value_type (*Bs)[Cfg::LDB],
                                         typename Cfg::value_type (&acc)[Cfg::TM][Cfg::TN], int tx, int ty) {
    using T = typename Cfg::value_type;
    constexpr int V = Cfg::V;
#pragma unroll
    for (int kk = 0; kk < Cfg::BK; ++kk) {
        T a[Cfg::TM], b[Cfg::TN];
        load_vec(&As[kk][ty * V], a);
        load_vec(&As[kk][Cfg::BM / 2 + ty * V], a + V);
        load_vec(&Bs[kk][tx * V], b);
        load_vec(&Bs[kk][Cfg::BN / 2 + tx * V], b + V);
#pragma unroll
        for (int i = 0; i < Cfg::TM; ++i)
#pragma unroll
            for (int j = 0; j < Cfg::TN; ++j) acc[i][j] += a[i] * b[j];
    }
}

template <class Cfg, class Prob>
__global__ void __launch_bounds__(Cfg::NT, Cfg::MIN_BLOCKS) tile_gemm_kernel(Prob prob) {
    using T = typename Cfg::value_type;
    constexpr int V = Cfg::V, BK = Cfg::BK;
    __shared__ TileSmem<Cfg> sm;
    const int tid = int(threadIdx.x);
    const int tx = tid % Cfg::NTX, ty = tid / Cfg::NTX;
    const int64_t m0 = (int64_t(blockIdx.y) + prob.y_base) * Cfg::BM;
    const int64_t n0 = int64_t(blockIdx.x) * Cfg::BN;
    const typename Prob::Slice sl = prob.slice(int64_t(blockIdx.z) + prob.z_base);
    auto la = prob.a_loader(sl, m0, tid);
    auto lb = prob.b_loader(sl, n0, tid);
    // int steps: the binding keeps every reduction below 2^31 * BK.
    const int ntiles = sl.kend > sl.kbeg ? int((sl.kend - sl.kbeg + BK - 1) / BK) : 0;

    T acc[Cfg::TM][Cfg::TN];
#pragma unroll
    for (int i = 0; i < Cfg::TM; ++i)
#pragma unroll
        for (int j = 0; j < Cfg::TN; ++j) acc[i][j] = T(0);

    if (ntiles > 0) {
        la.load(sl.kbeg, sl.kend);
        lb.load(sl.kbeg, sl.kend);
        la.store(sm.a[0]);
        lb.store(sm.b[0]);
    }
    __syncthreads();
    for (int t = 0; t < ntiles; ++t) {
        const int cur = int(t & 1);
        const bool more = t + 1 < ntiles;
        if (more) {
            la.load(sl.kbeg + int64_t(t + 1) * BK, sl.kend);
            lb.load(sl.kbeg + int64_t(t + 1) * BK, sl.kend);
        }
        tile_fma<Cfg>(sm.a[cur], sm.b[cur], acc, tx, ty);
        if (more) {
            la.store(sm.a[cur ^ 1]);
            lb.store(sm.b[cur ^ 1]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const typename Prob::Cols cols = prob.cols(sl, n0 + h * (Cfg::BN / 2) + tx * V);
#pragma unroll
        for (int i = 0; i < Cfg::TM; ++i) {
            const int row = i < V ? ty * V + i : Cfg::BM / 2 + ty * V + (i - V);
            prob.store(sl, m0 + row, cols, &acc[i][h * V]);
        }
    }
}

// Launches the tiles of an M x N output for Z independent slices (blockIdx.z). gridDim.y and .z stop at
// 65535, so taller or deeper problems go as several launches with y_base / z_base offsets.
template <class Cfg, class Prob>
void launch_tiles(Prob prob, int64_t M, int64_t N, int64_t Z, cudaStream_t stream) {
    constexpr int64_t kMaxYZ = 65535;
    const int64_t tiles_y = (M + Cfg::BM - 1) / Cfg::BM, tiles_x = (N + Cfg::BN - 1) / Cfg::BN;
    if (tiles_x == 0 || tiles_y == 0 || Z == 0) return;
    for (int64_t z0 = 0; z0 < Z; z0 += kMaxYZ)
        for (int64_t y0 = 0; y0 < tiles_y; y0 += kMaxYZ) {
            prob.z_base = z0;
            prob.y_base = y0;
            const dim3 grid(unsigned(tiles_x), unsigned(ax_min(kMaxYZ, tiles_y - y0)), unsigned(ax_min(kMaxYZ, Z - z0)));
            launch(tile_gemm_kernel<Cfg, Prob>, grid, dim3(Cfg::NT), stream, prob);
        }
}

// Split-K: how many slices of the reduction give the GPU enough blocks when the output has few tiles.
// 264 blocks = 2 per SM of an H200 (132 SMs); each slice keeps at least 16 steps of BK so the partial
// sums' atomic adds stay a small part of the work.
inline int64_t split_count(int64_t tiles, int64_t Kd, int BK) {
    const int64_t want = (264 + tiles - 1) / ax_max<int64_t>(tiles, 1);
    const int64_t most = Kd / (16 * BK);
    return ax_max<int64_t>(1, ax_min(want, most));
}

// Calls f(TileConfig<T, BM, BN>()) with the tile for an output of M rows: float 128x128, or 64x128 /
// 32x128 when M <= 64 / 32 (a layer with 32 or 64 output channels would leave most of a 128-row tile
// idle); double 64x64 or 32x64.
template <typename T, class F>
void with_tile_config(int64_t M, F&& f) {
    if constexpr (std::is_same<T, float>::value) {
        if (M <= 32)
            f(TileConfig<T, 32, 128>());
        else if (M <= 64)
            f(TileConfig<T, 64, 128>());
        else
            f(TileConfig<T, 128, 128>());
    } else {
        if (M <= 32)
            f(TileConfig<T, 32, 64>());
        else
            f(TileConfig<T, 64, 64>());
    }
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

}  // namespace cuda
}  // namespace axonal
