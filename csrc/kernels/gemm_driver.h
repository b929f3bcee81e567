// The GEMM driver: blocking, packing buffers and threading around a micro-kernel, for
// C = alpha * op(A) * op(B) + beta * C (row-major; see gemm.h for the shapes).
//
// It is a template over a kernel set `Ks` (the micro-kernel, the packing routines and the Blocking
// constants) and is compiled once per instruction set: gemm.cpp instantiates it with the portable
// kernels, gemm_avx2.cpp (built with -mavx2 -mfma) with the AVX2 ones. Everything here has internal
// linkage (anonymous namespace) so the two copies, built with different flags, never get merged by
// the linker.
//
// Kernel set interface (T = float or double):
//   using T; using Blocking;   MR, NR, MC, KC, NC, SMALL_WORK, MIN_WORK_PER_THREAD live in Blocking
//   template <int AL, int BL> static void kernel(kc, a, sa, b, ldb, c, ldc, mr, nr, alpha, beta)
//       C[0:mr, 0:nr] = alpha * sum_k a(i, k) b(k, j) + beta * C (beta == 0: C is not read).
//       AL: A_PACKED (a sliver), A_ROWS (a(i,k) = a[i*sa + k]), A_COLS (a(i,k) = a[k*sa + i]).
//       BL: B_PACKED (a sliver, aligned, NR wide, zero-padded), B_ROWS (b(k,j) = b[k*ldb + j], nr <= NR
//           columns readable, nothing past them is touched).
//   static void pack_a(transA, A, lda, i0, k0, mc, kc, out)   ceil(mc/MR) A slivers, zero-padded
//   static void pack_b(transB, B, ldb, k0, j0, kc, nc, out)   ceil(nc/NR) B slivers, zero-padded
//
// Three paths:
//   small  (M*N*K <= SMALL_WORK): no packing of A; B packed only when transposed; one thread.
//   "N mode" (the rows of op(A) for one k-chunk fit in L2, A_IN_PLACE_BYTES): op(A) is not packed; the
//          micro-kernel reads it in place (its rows, or its columns when transposed). Each thread owns a
//          balanced range of NR-wide column slivers, packs each B sliver itself right before using it
//          (it is then in L1) and runs it against every MR-row tile of op(A), which stays in its L2.
//          Threads share nothing that another one wrote, so there is no barrier and no cross-core
//          traffic. Measured at 256^3, 2 threads: 0.95 of the FMA peak where M mode reached 0.87 (its
//          shared B panel is half packed by the other core, so half of it crosses between the L2s).
//   "M mode" (otherwise): Goto's loop nest. For each (jc, pc) the B panel (KC x NC) is packed
//          cooperatively into a shared buffer; each thread owns a balanced range of MR-row tiles,
//          cut into equal blocks of at most MC rows, packs each A block into its own buffer and
//          sweeps the panel. The shared buffers are double-buffered, so one barrier per phase is
//          enough: a thread may start packing phase p+1 while another still computes phase p.
// No nested parallel regions: inside someone else's region everything runs on the calling thread.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"

namespace axonal {
namespace {

enum { A_PACKED = 0, A_ROWS = 1, A_COLS = 2 };
enum { B_PACKED = 0, B_ROWS = 1 };

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Packing buffers reused across calls: one set per thread, grown on demand, never shrunk, freed when
// the thread exits. conv2d calls gemm thousands of times per step, so no allocation per call.
// Slots: 0 = this thread's private A block / B sliver, 1-2 = the shared double buffer (owned by the
// thread that calls gemm, read by the whole team), 3 = the small path's packed B.
template <typename T>
T* pack_buffer(int slot, int64_t n) {
    struct Slots {
        T* ptr[4] = {nullptr, nullptr, nullptr, nullptr};
        size_t cap[4] = {0, 0, 0, 0};
        ~Slots() {
            for (T* p : ptr) std::free(p);
        }
    };
    thread_local Slots s;
    // 16 elements of slack: the vectorised packers may write a few lanes past a sliver's end.
    size_t need = size_t(n) + 16;
    if (s.cap[slot] < need) {
        std::free(s.ptr[slot]);
        s.ptr[slot] = nullptr;
        s.cap[slot] = 0;
        size_t bytes = (need * sizeof(T) + 4095) / 4096 * 4096;
        void* p = std::aligned_alloc(4096, bytes);
        if (!p) throw std::bad_alloc();
        s.ptr[slot] = static_cast<T*>(p);
        s.cap[slot] = bytes / sizeof(T);
    }
    return s.ptr[slot];
}

// Portable packing; kernel sets without vectorised packers call these (compiled with their flags).
template <typename T, int MR>
void pack_a_portable(bool transA, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc,
                     T* out) {
    for (int64_t s = 0; s * MR < mc; ++s) {
        T* dst = out + s * kc * MR;
        int64_t r0 = i0 + s * MR;
        int64_t mr = std::min<int64_t>(MR, i0 + mc - r0);
        if (!transA) {
            for (int64_t i = 0; i < mr; ++i) {
                const T* src = A + (r0 + i) * lda + k0;
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = src[k];
            }
        } else {
            for (int64_t k = 0; k < kc; ++k) {
                const T* src = A + (k0 + k) * lda + r0;
                for (int64_t i = 0; i < mr; ++i) dst[k * MR + i] = src[i];
            }
        }
        for (int64_t i = mr; i < MR; ++i)
            for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = T(0);
    }
}

template <typename T, int NR>
void pack_b_portable(bool transB, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc,
                     T* out) {
    for (int64_t s = 0; s * NR < nc; ++s) {
        T* dst = out + s * kc * NR;
        int64_t c0 = j0 + s * NR;
        int64_t nr = std::min<int64_t>(NR, j0 + nc - c0);
        if (!transB) {
            for (int64_t k = 0; k < kc; ++k) {
                const T* src = B + (k0 + k) * ldb + c0;
                T* d = dst + k * NR;
                for (int64_t j = 0; j < nr; ++j) d[j] = src[j];
                for (int64_t j = nr; j < NR; ++j) d[j] = T(0);
            }
        } else {
            for (int64_t j = 0; j < nr; ++j) {
                const T* src = B + (c0 + j) * ldb + k0;
                for (int64_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
            }
            for (int64_t k = 0; k < kc; ++k)
                for (int64_t j = nr; j < NR; ++j) dst[k * NR + j] = T(0);
        }
    }
}

// [begin, end) of part `t` when n items are cut into `parts` nearly equal contiguous parts.
inline void split_range(int64_t n, int t, int parts, int64_t& begin, int64_t& end) {
    begin = n * t / parts;
    end = n * (t + 1) / parts;
}

template <class Ks>
struct GemmDriver {
    using T = typename Ks::T;
    using Bl = typename Ks::Blocking;
    static constexpr int MR = Bl::MR, NR = Bl::NR;
    static constexpr int64_t MC = Bl::MC, KC = Bl::KC, NC = Bl::NC;

    // Threads worth waking for M*N*K of work: each needs MIN_WORK_PER_THREAD, and there must be
    // enough tiles to go round.
    static int team_size(int64_t M, int64_t N, int64_t K, int64_t tiles) {
        int nt = get_num_threads();
        double work = double(M) * double(N) * double(K);
        int64_t by_work = int64_t(work / double(Bl::MIN_WORK_PER_THREAD));
        if (by_work < nt) nt = int(std::max<int64_t>(by_work, 1));
        if (tiles < nt) nt = int(std::max<int64_t>(tiles, 1));
        return nt;
    }

    // The k-chunk length: K cut into equal chunks of at most KC, rounded up to a multiple of 8. A plain
    // KC stride would leave a short tail whose micro-kernel calls load and store the whole C tile for a
    // few k-steps each.
    static int64_t k_step(int64_t K) {
        const int64_t chunks = ceil_div(K, KC);
        return std::min<int64_t>(KC, ceil_div(ceil_div(K, chunks), 8) * 8);
    }

    static void run(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                    const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
        if (M * N * K <= Bl::SMALL_WORK) {
            small(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } else if (fits_n_mode(ta, M, K)) {
            n_mode(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        } else {
            m_mode(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        }
    }

    // Small products: packing would cost more than it saves. A is read in place; B too unless it is
    // transposed (then its columns are strided and get packed once, which is cheap at this size).
    static void small(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                      const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
        const T* bp = nullptr;
        if (tb) {
            T* buf = pack_buffer<T>(3, ceil_div(N, NR) * NR * K);
            Ks::pack_b(true, B, ldb, 0, 0, K, N, buf);
            bp = buf;
        }
        for (int64_t j = 0; j < N; j += NR) {
            int64_t nr = std::min<int64_t>(NR, N - j);
            for (int64_t i = 0; i < M; i += MR) {
                int64_t mr = std::min<int64_t>(MR, M - i);
                T* c = C + i * ldc + j;
                if (tb) {
                    const T* b = bp + (j / NR) * K * NR;
                    if (ta)
                        Ks::template kernel<A_COLS, B_PACKED>(K, A + i, lda, b, NR, c, ldc, mr, nr, alpha, beta);
                    else
                        Ks::template kernel<A_ROWS, B_PACKED>(K, A + i * lda, lda, b, NR, c, ldc, mr, nr, alpha,
                                                              beta);
                } else {
                    const T* b = B + j;
                    if (ta)
                        Ks::template kernel<A_COLS, B_ROWS>(K, A + i, lda, b, ldb, c, ldc, mr, nr, alpha, beta);
                    else
                        Ks::template kernel<A_ROWS, B_ROWS>(K, A + i * lda, lda, b, ldb, c, ldc, mr, nr, alpha, beta);
                }
            }
        }
    }

    // Whether N mode applies: the rows of op(A) for one k-chunk, read in place, stay in L2 while every
    // B sliver meets them; a tall transposed op(A) on several threads goes to M mode (TRANS_A_M_MODE_ROWS).
    static bool fits_n_mode(bool ta, int64_t M, int64_t K) {
        if (ta && M >= Bl::TRANS_A_M_MODE_ROWS && get_num_threads() > 1) return false;
        return M * std::min(K, k_step(K)) * int64_t(sizeof(T)) <= Bl::A_IN_PLACE_BYTES;
    }

    // N mode: see the file comment.
    static void n_mode(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                       const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
        const int64_t nslivers = ceil_div(N, NR), mtiles = ceil_div(M, MR);
        const int64_t KS = k_step(K);
        const int nt = team_size(M, N, K, nslivers * mtiles);
        // The team is a grid of tn column groups x (nt / tn) row groups. Column groups cost nothing extra;
        // row groups pack the same B slivers twice but balance a product with few slivers (N = 48 is
        // three slivers: 2 + 1 on two threads, where halving the rows gives 3 + 3 half-tiles).
        int tn = 1;
        int64_t best = -1;
        for (int c = nt; c >= 1; --c) {
            if (nt % c) continue;
            const int64_t cost = ceil_div(nslivers, c) * ceil_div(mtiles, nt / c);
            if (best < 0 || cost < best) best = cost, tn = c;
        }
        parallel_team(nt, [&](int tid, int nthr) {
            T* bsl = pack_buffer<T>(0, KS * NR);
            const int gn = nthr >= tn ? tn : 1;  // nthr < nt only when run inline (nthr == 1)
            int64_t s0, s1, t0, t1;
            split_range(nslivers, tid % gn, gn, s0, s1);
            split_range(mtiles, tid / gn, nthr / gn, t0, t1);
            for (int64_t pc = 0; pc < K; pc += KS) {
                const int64_t kc = std::min(KS, K - pc);
                const T b_eff = pc == 0 ? beta : T(1);
                for (int64_t s = s0; s < s1; ++s) {
                    const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, N - j0);
                    Ks::pack_b(tb, B, ldb, pc, j0, kc, nr, bsl);
                    for (int64_t i0 = t0 * MR; i0 < std::min(M, t1 * MR); i0 += MR) {
                        const int64_t mr = std::min<int64_t>(MR, M - i0);
                        T* c = C + i0 * ldc + j0;
                        if (ta)
                            Ks::template kernel<A_COLS, B_PACKED>(kc, A + pc * lda + i0, lda, bsl, NR, c, ldc, mr, nr,
                                                                   alpha, b_eff);
                        else
                            Ks::template kernel<A_ROWS, B_PACKED>(kc, A + i0 * lda + pc, lda, bsl, NR, c, ldc, mr, nr,
                                                                   alpha, b_eff);
                    }
                }
            }
        });
    }

    // ---- A packed once, used for many products (a convolution's weight against every image) ----
    // Layout: k-chunks of k_step(K) one after the other, each holding ceil(M/MR) slivers of kc x MR
    // (chunk c starts at c * Mp * KS).
    static int64_t packed_a_size(int64_t M, int64_t K) {
        const int64_t KS = k_step(K);
        return ceil_div(M, MR) * MR * KS * ceil_div(K, KS) + 16;
    }

    static void pack_a_all(bool ta, const T* A, int64_t lda, int64_t M, int64_t K, T* out) {
        const int64_t KS = k_step(K), Mp = ceil_div(M, MR) * MR;
        for (int64_t c = 0, pc = 0; pc < K; ++c, pc += KS) {
            const int64_t kc = std::min(KS, K - pc);
            for (int64_t m = 0; m * MR < M; ++m)
                Ks::pack_a(ta, A, lda, m * MR, pc, std::min<int64_t>(MR, M - m * MR), kc,
                           out + c * Mp * KS + m * kc * MR);
        }
    }

    // C = alpha * A @ op(B) + beta * C on the calling thread, A from pack_a_all. Each B sliver is packed
    // right before it meets every A sliver of the chunk, so B is read once per k-chunk and never
    // copied whole; the packed A (weights: tens to hundreds of KiB) stays in L2 across slivers.
    static void run_packed_a(int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, bool tb, const T* B,
                             int64_t ldb, T beta, T* C, int64_t ldc) {
        run_packed_a_gather_b(M, N, K, alpha, Ap,
                              [&](int64_t pc, int64_t j0, int64_t kc, int64_t nr, T* out) {
                                  Ks::pack_b(tb, B, ldb, pc, j0, kc, nr, out);
                              },
                              beta, C, ldc);
    }

    // run_packed_a with op(B) supplied sliver by sliver: gather_b(pc, j0, kc, nr, out) writes the kc x NR
    // sliver of op(B) for k-rows [pc, pc + kc) and columns [j0, j0 + nr) (lanes past nr only reach C
    // columns that are not stored, so they may hold anything finite). For an operand that never exists
    // as a matrix: a convolution's columns gathered straight from the image (implicit GEMM).
    template <class GatherB>
    static void run_packed_a_gather_b(int64_t M, int64_t N, int64_t K, T alpha, const T* Ap, GatherB&& gather_b,
                                      T beta, T* C, int64_t ldc) {
        const int64_t KS = k_step(K), Mp = ceil_div(M, MR) * MR;
        const int64_t nslivers = ceil_div(N, NR);
        T* bsl = pack_buffer<T>(0, KS * NR);
        for (int64_t c = 0, pc = 0; pc < K; ++c, pc += KS) {
            const int64_t kc = std::min(KS, K - pc);
            const T b_eff = pc == 0 ? beta : T(1);
            const T* ac = Ap + c * Mp * KS;
            for (int64_t s = 0; s < nslivers; ++s) {
                const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, N - j0);
                gather_b(pc, j0, kc, nr, bsl);
                for (int64_t m = 0; m * MR < M; ++m) {
                    const int64_t i0 = m * MR, mr = std::min<int64_t>(MR, M - i0);
                    Ks::template kernel<A_PACKED, B_PACKED>(kc, ac + m * kc * MR, 0, bsl, NR, C + i0 * ldc + j0,
                                                             ldc, mr, nr, alpha, b_eff);
                }
            }
        }
    }

    // ---- B packed once, used for many products (a recurrent layer's W_hh at every time step) ----
    // Layout: k-chunks of k_step(K) one after the other, each holding ceil(N/NR) slivers of kc x NR
    // (chunk c starts at c * Np * KS), the slivers as pack_b writes them.
    static int64_t packed_b_size(int64_t K, int64_t N) {
        const int64_t KS = k_step(K);
        return ceil_div(N, NR) * NR * KS * ceil_div(K, KS) + 16;
    }

    static void pack_b_all(bool tb, const T* B, int64_t ldb, int64_t K, int64_t N, T* out) {
        const int64_t KS = k_step(K), Np = ceil_div(N, NR) * NR;
        for (int64_t c = 0, pc = 0; pc < K; ++c, pc += KS)
            Ks::pack_b(tb, B, ldb, pc, 0, std::min(KS, K - pc), N, out + c * Np * KS);
    }

    // C = alpha * A @ B + beta * C on the calling thread, B from pack_b_all, A (M x K, rows lda apart) read in
    // place. Each B sliver stays in L1 while every MR-row tile of A meets it; nothing is packed per call, which
    // is the point when M is small and the same B is used again and again (per step M = a thread's share of the
    // batch, 32 rows, against a 1 MB W_hh: packing it every step cost as much as the product).
    static void run_packed_b(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* Bp, T beta,
                             T* C, int64_t ldc) {
        const int64_t KS = k_step(K), Np = ceil_div(N, NR) * NR;
        for (int64_t c = 0, pc = 0; pc < K; ++c, pc += KS) {
            const int64_t kc = std::min(KS, K - pc);
            const T b_eff = pc == 0 ? beta : T(1);
            const T* bc = Bp + c * Np * KS;
            for (int64_t j0 = 0; j0 < N; j0 += NR) {
                const int64_t nr = std::min<int64_t>(NR, N - j0);
                const T* bs = bc + (j0 / NR) * kc * NR;
                for (int64_t i0 = 0; i0 < M; i0 += MR)
                    Ks::template kernel<A_ROWS, B_PACKED>(kc, A + i0 * lda + pc, lda, bs, NR, C + i0 * ldc + j0, ldc,
                                                          std::min<int64_t>(MR, M - i0), nr, alpha, b_eff);
            }
        }
    }

    // C (M x N) = alpha * A @ op(B) + beta * C on the calling thread, with A supplied sliver by sliver:
    // gather_a(pc, i0, kc, mr, out) writes the kc x MR sliver of A for rows [i0, i0 + mr) and k-range
    // [pc, pc + kc), zero-padded to MR rows. op(B) is packed whole once per k-chunk, so N must be small
    // (kc x N stays in L2: the output channels of a convolution's weight gradient).
    template <class GatherA>
    static void run_gather_a(int64_t M, int64_t N, int64_t K, T alpha, GatherA&& gather_a, bool tb, const T* B,
                             int64_t ldb, T beta, T* C, int64_t ldc) {
        const int64_t KS = k_step(K);
        const int64_t nslivers = ceil_div(N, NR);
        T* asl = pack_buffer<T>(0, KS * MR);
        T* bp = pack_buffer<T>(1, KS * nslivers * NR);
        for (int64_t pc = 0; pc < K; pc += KS) {
            const int64_t kc = std::min(KS, K - pc);
            const T b_eff = pc == 0 ? beta : T(1);
            Ks::pack_b(tb, B, ldb, pc, 0, kc, N, bp);
            for (int64_t i0 = 0; i0 < M; i0 += MR) {
                const int64_t mr = std::min<int64_t>(MR, M - i0);
                gather_a(pc, i0, kc, mr, asl);
                for (int64_t s = 0; s < nslivers; ++s) {
                    const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, N - j0);
                    Ks::template kernel<A_PACKED, B_PACKED>(kc, asl, 0, bp + s * kc * NR, NR, C + i0 * ldc + j0,
                                                             ldc, mr, nr, alpha, b_eff);
                }
            }
        }
    }

    // Goto's loop nest, parallel over M: see the file comment.
    static void m_mode(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                       const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
        const int64_t mtiles = ceil_div(M, MR);
        const int64_t ncap = std::min<int64_t>(NC, ceil_div(N, NR) * NR);
        const int64_t KS = k_step(K);
        const int64_t kcap = std::min<int64_t>(KS, K);
        const int64_t phases = ceil_div(N, NC) * ceil_div(K, KS);
        T* bbuf[2];
        bbuf[0] = pack_buffer<T>(1, kcap * ncap);
        bbuf[1] = phases > 1 ? pack_buffer<T>(2, kcap * ncap) : bbuf[0];
        const int nt = team_size(M, N, K, mtiles);

        parallel_team(nt, [&](int tid, int nthr) {
            T* ab = pack_buffer<T>(0, MC * KS);
            int64_t t0, t1;
            split_range(mtiles, tid, nthr, t0, t1);
            // Equal blocks of at most MC rows over this thread's tiles.
            const int64_t my_tiles = t1 - t0;
            const int64_t nblocks = std::max<int64_t>(1, ceil_div(my_tiles, MC / MR));
            int64_t phase = 0;
            for (int64_t jc = 0; jc < N; jc += NC) {
                const int64_t nc = std::min(NC, N - jc);
                const int64_t nsl = ceil_div(nc, NR);
                for (int64_t pc = 0; pc < K; pc += KS, ++phase) {
                    const int64_t kc = std::min(KS, K - pc);
                    T* bp = bbuf[phase & 1];
                    int64_t s0, s1;
                    split_range(nsl, tid, nthr, s0, s1);
                    if (s1 > s0)
                        Ks::pack_b(tb, B, ldb, pc, jc + s0 * NR, kc, std::min(nc, s1 * NR) - s0 * NR,
                                   bp + s0 * kc * NR);
                    team_barrier(nthr);
                    const T b_eff = pc == 0 ? beta : T(1);
                    for (int64_t blk = 0; blk < nblocks; ++blk) {
                        int64_t b0, b1;
                        split_range(my_tiles, int(blk), int(nblocks), b0, b1);
                        if (b1 <= b0) continue;
                        const int64_t i0 = (t0 + b0) * MR;
                        const int64_t mc = std::min(M, (t0 + b1) * MR) - i0;
                        Ks::pack_a(ta, A, lda, i0, pc, mc, kc, ab);
                        for (int64_t s = 0; s < nsl; ++s) {
                            const int64_t j0 = s * NR, nr = std::min<int64_t>(NR, nc - j0);
                            const T* bs = bp + s * kc * NR;
                            for (int64_t ir = 0; ir < mc; ir += MR) {
                                const int64_t mr = std::min<int64_t>(MR, mc - ir);
                                Ks::template kernel<A_PACKED, B_PACKED>(kc, ab + (ir / MR) * kc * MR, 0, bs, NR,
                                                                         C + (i0 + ir) * ldc + jc + j0, ldc, mr,
                                                                         nr, alpha, b_eff);
                            }
                        }
                    }
                }
            }
        });
    }
};

}  // namespace
}  // namespace axonal
