// Goto/BLIS-style GEMM: C (M x N) += alpha * op(A) (M x K) * op(B) (K x N), row-major.
//
// Loop nest (outer to inner):
//   jc over N in NC columns   -> B block K x NC
//   pc over K in KC           -> pack B[pc:pc+KC, jc:jc+NC] into NR-wide slivers (shared, all threads)
//   ic over M in MC rows      -> (parallel) pack alpha*A[ic:ic+MC, pc:pc+KC] into MR-tall slivers
//   jr, ir over the micro-tiles -> micro-kernel: MR x NR block of C += sliver(A) * sliver(B)
// Transposes are absorbed by the packing routines, so the micro-kernel sees one layout only.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <vector>

#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"

namespace axonal {

template <typename T>
void gemm_reference(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                    int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < N; ++j) {
            double acc = 0.0;
            for (int64_t k = 0; k < K; ++k) {
                double a = transA ? A[k * lda + i] : A[i * lda + k];
                double b = transB ? B[j * ldb + k] : B[k * ldb + j];
                acc += a * b;
            }
            T prev = beta == T(0) ? T(0) : beta * C[i * ldc + j];
            C[i * ldc + j] = T(alpha * acc) + prev;
        }
    }
}

namespace {

// C <- beta * C, with beta == 0 writing exact zeros (BLAS semantics: old NaNs vanish).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
    if (beta == T(1)) return;
    parallel_for(M, N, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T* row = C + i * ldc;
            if (beta == T(0)) {
                std::memset(row, 0, sizeof(T) * size_t(N));
            } else {
                for (int64_t j = 0; j < N; ++j) row[j] *= beta;
            }
        }
    });
}

// Small products: packing costs more than it saves, so stream rows of op(B) directly.
template <typename T>
void gemm_small(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                int64_t lda, const T* B, int64_t ldb, T* C, int64_t ldc) {
    parallel_for(M, N * K, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
            T* crow = C + i * ldc;
            if (!transB) {
                for (int64_t k = 0; k < K; ++k) {
                    T a = alpha * (transA ? A[k * lda + i] : A[i * lda + k]);
                    const T* brow = B + k * ldb;
                    for (int64_t j = 0; j < N; ++j) crow[j] += a * brow[j];
                }
            } else {
                for (int64_t j = 0; j < N; ++j) {
                    const T* bcol = B + j * ldb;
                    T acc = 0;
                    if (!transA) {
                        const T* arow = A + i * lda;
                        for (int64_t k = 0; k < K; ++k) acc += arow[k] * bcol[k];
                    } else {
                        for (int64_t k = 0; k < K; ++k) acc += A[k * lda + i] * bcol[k];
                    }
                    crow[j] += alpha * acc;
                }
            }
        }
    });
}

// Packs op(B)[pc:pc+kc, jc:jc+nc] into ceil(nc/NR) slivers, each kc x NR row-major, zero-padded.
template <typename T, int NR>
void pack_b(bool transB, const T* B, int64_t ldb, int64_t pc, int64_t jc, int64_t kc, int64_t nc, T* out) {
    int64_t nslivers = (nc + NR - 1) / NR;
    parallel_for(nslivers, kc * NR, [&](int64_t sb, int64_t se) {
        for (int64_t s = sb; s < se; ++s) {
            T* dst = out + s * kc * NR;
            int64_t j0 = jc + s * NR;
            int64_t nr = std::min<int64_t>(NR, jc + nc - j0);
            for (int64_t k = 0; k < kc; ++k) {
                T* d = dst + k * NR;
                if (!transB) {
                    const T* src = B + (pc + k) * ldb + j0;
                    for (int64_t j = 0; j < nr; ++j) d[j] = src[j];
                } else {
                    const T* src = B + j0 * ldb + (pc + k);
                    for (int64_t j = 0; j < nr; ++j) d[j] = src[j * ldb];
                }
                for (int64_t j = nr; j < NR; ++j) d[j] = T(0);
            }
        }
    });
}

// Packs alpha * op(A)[ic:ic+mc, pc:pc+kc] into ceil(mc/MR) slivers, each kc x MR (column of MR
// rows per k), zero-padded. Folding alpha in here keeps the micro-kernel a pure multiply-add.
template <typename T, int MR>
void pack_a(bool transA, const T* A, int64_t lda, int64_t ic, int64_t pc, int64_t mc, int64_t kc, T alpha,
            T* out) {
    for (int64_t s = 0; s * MR < mc; ++s) {
        T* dst = out + s * kc * MR;
        int64_t i0 = ic + s * MR;
        int64_t mr = std::min<int64_t>(MR, ic + mc - i0);
        if (!transA) {
            for (int64_t i = 0; i < mr; ++i) {
                const T* src = A + (i0 + i) * lda + pc;
                for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = alpha * src[k];
            }
        } else {
            for (int64_t k = 0; k < kc; ++k) {
                const T* src = A + (pc + k) * lda + i0;
                for (int64_t i = 0; i < mr; ++i) dst[k * MR + i] = alpha * src[i];
            }
        }
        for (int64_t i = mr; i < MR; ++i)
            for (int64_t k = 0; k < kc; ++k) dst[k * MR + i] = T(0);
    }
}

template <typename T>
struct AlignedBuffer {
    T* ptr = nullptr;
    explicit AlignedBuffer(size_t n) {
        size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
        ptr = static_cast<T*>(std::aligned_alloc(64, bytes > 0 ? bytes : 64));
        if (!ptr) throw std::bad_alloc();
    }
    ~AlignedBuffer() { std::free(ptr); }
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
};

template <typename T, typename Blocking>
void gemm_packed(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T* C, int64_t ldc, MicroKernel<T> ukernel) {
    constexpr int MR = Blocking::MR, NR = Blocking::NR;
    constexpr int64_t MC = Blocking::MC, KC = Blocking::KC, NC = Blocking::NC;
    const int nthreads = get_num_threads();
    AlignedBuffer<T> bpack(size_t(KC) * size_t((NC + NR - 1) / NR * NR));
    AlignedBuffer<T> apack(size_t(nthreads) * size_t(MC) * size_t(KC));

    for (int64_t jc = 0; jc < N; jc += NC) {
        int64_t nc = std::min(NC, N - jc);
        for (int64_t pc = 0; pc < K; pc += KC) {
            int64_t kc = std::min(KC, K - pc);
            pack_b<T, NR>(transB, B, ldb, pc, jc, kc, nc, bpack.ptr);
            int64_t mblocks = (M + MC - 1) / MC;
            int64_t nslivers = (nc + NR - 1) / NR;
            // Parallel over M blocks while there are enough of them; for skinny M (small-batch
            // Linear layers) split the N slivers instead, so both threads stay busy.
            bool split_n = mblocks < int64_t(nthreads) && nslivers >= int64_t(nthreads);
            auto run_block = [&](int64_t ic, int64_t mc, T* ap, int64_t sb, int64_t se) {
                for (int64_t s = sb; s < se; ++s) {
                    int64_t jr = s * NR;
                    int64_t nr = std::min<int64_t>(NR, nc - jr);
                    const T* bp = bpack.ptr + s * kc * NR;
                    for (int64_t ir = 0; ir < mc; ir += MR) {
                        int64_t mr = std::min<int64_t>(MR, mc - ir);
                        ukernel(kc, ap + (ir / MR) * kc * MR, bp, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr);
                    }
                }
            };
            if (!split_n) {
                parallel_for(mblocks, MC * kc * nc, [&](int64_t b, int64_t e) {
                    T* ap = apack.ptr + size_t(thread_id()) * MC * KC;
                    for (int64_t blk = b; blk < e; ++blk) {
                        int64_t ic = blk * MC;
                        int64_t mc = std::min(MC, M - ic);
                        pack_a<T, MR>(transA, A, lda, ic, pc, mc, kc, alpha, ap);
                        run_block(ic, mc, ap, 0, nslivers);
                    }
                });
            } else {
                for (int64_t ic = 0; ic < M; ic += MC) {
                    int64_t mc = std::min(MC, M - ic);
                    pack_a<T, MR>(transA, A, lda, ic, pc, mc, kc, alpha, apack.ptr);
                    parallel_for(nslivers, mc * kc * NR, [&](int64_t b, int64_t e) {
                        run_block(ic, mc, apack.ptr, b, e);
                    });
                }
            }
        }
    }
}

}  // namespace

template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    scale_c(M, N, beta, C, ldc);
    if (K <= 0 || alpha == T(0)) return;
    if (M * N * K <= 32 * 32 * 32 || M < 4) {
        gemm_small(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc);
        return;
    }
    if constexpr (std::is_same<T, float>::value) {
        if (cpu_has_avx2_fma()) {
            gemm_packed<float, BlockingAvx2F32>(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc,
                                                microkernel_avx2_f32());
            return;
        }
        gemm_packed<float, BlockingGenericF32>(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc,
                                               microkernel_generic<float, BlockingGenericF32>());
    } else {
        if (cpu_has_avx2_fma()) {
            gemm_packed<double, BlockingAvx2F64>(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc,
                                                 microkernel_avx2_f64());
            return;
        }
        gemm_packed<double, BlockingGenericF64>(transA, transB, M, N, K, alpha, A, lda, B, ldb, C, ldc,
                                                microkernel_generic<double, BlockingGenericF64>());
    }
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                          int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);
template void gemm_reference<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                    const float*, int64_t, float, float*, int64_t);
template void gemm_reference<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                     const double*, int64_t, double, double*, int64_t);

}  // namespace axonal
