// GEMM entry points: the naive reference, the trivial cases, and the choice by isa_level() between the levels'
// GemmAt (gemm_level.h): AVX-512 (gemm_avx512.cpp), AVX2 (gemm_avx2.cpp) and the portable kernels (here). All are
// gemm_driver.h's GemmDriver built with different flags; see gemm_driver.h for the blocking and threading,
// gemm_blocking.h for the sizes.
#include "kernels/gemm.h"

#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "kernels/gemm_blocking.h"
#include "kernels/gemm_driver.h"
#include "kernels/gemm_level_impl.h"
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

// Portable kernel set for GemmDriver: plain loops over a small MR x NR tile that the compiler
// vectorises with the baseline instruction set (SSE2 on x86-64, NEON on aarch64).
template <typename T_, typename Blocking_>
struct PortableKernels {
    using T = T_;
    using Blocking = Blocking_;
    static constexpr int MR = Blocking::MR, NR = Blocking::NR;

    template <int AL, int BL>
    static void kernel(int64_t kc, const T* a, int64_t sa, const T* b, int64_t ldb, T* c, int64_t ldc, int64_t mr,
                       int64_t nr, T alpha, T beta) {
        T acc[MR][NR] = {};
        for (int64_t k = 0; k < kc; ++k) {
            T ak[MR];
            T bk[NR];
            for (int i = 0; i < MR; ++i) {
                if (AL == A_PACKED)
                    ak[i] = a[k * MR + i];
                else if (i < mr)
                    ak[i] = AL == A_ROWS ? a[i * sa + k] : a[k * sa + i];
                else
                    ak[i] = T(0);
            }
            const T* brow;
            if (BL == B_PACKED) {
                brow = b + k * NR;
            } else {
                for (int j = 0; j < NR; ++j) bk[j] = j < nr ? b[k * ldb + j] : T(0);
                brow = bk;
            }
            for (int i = 0; i < MR; ++i)
                for (int j = 0; j < NR; ++j) acc[i][j] += ak[i] * brow[j];
        }
        for (int64_t i = 0; i < mr; ++i) {
            T* ci = c + i * ldc;
            if (beta == T(0)) {
                for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * acc[i][j];
            } else {
                for (int64_t j = 0; j < nr; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
            }
        }
    }
    static void pack_a(bool t, const T* A, int64_t lda, int64_t i0, int64_t k0, int64_t mc, int64_t kc, T* out) {
        pack_a_portable<T, MR>(t, A, lda, i0, k0, mc, kc, out);
    }
    static void pack_b(bool t, const T* B, int64_t ldb, int64_t k0, int64_t j0, int64_t kc, int64_t nc, T* out) {
        pack_b_portable<T, NR>(t, B, ldb, k0, j0, kc, nc, out);
    }
};

template <typename T>
using PortableFor = PortableKernels<
    T, typename std::conditional<std::is_same<T, float>::value, BlockingGenericF32, BlockingGenericF64>::type>;

}  // namespace

// The generic level's entry points: gemm_level_impl.h over the portable kernels, compiled with this file's flags.
template <typename T>
struct KernelsAt<Isa::generic, T> {
    using type = PortableFor<T>;
};
template struct GemmAt<Isa::generic, float>;
template struct GemmAt<Isa::generic, double>;

namespace {

// fn(GemmAt<level, T>{}) for the level this process runs. A level whose file was built without it is left out
// here under the same guards as in cpu_isa.cpp, which then never reports it.
template <typename T, class Fn>
auto at_level(Fn&& fn) {
    switch (isa_level()) {
#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
        case Isa::avx512:
            return fn(GemmAt<Isa::avx512, T>{});
#endif
#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
        case Isa::avx2:
            return fn(GemmAt<Isa::avx2, T>{});
#endif
        default:
            return fn(GemmAt<Isa::generic, T>{});
    }
}

}  // namespace

const char* gemm_kernel_name() { return isa_name(isa_level()); }

void gemm_tile(bool f64, int* mr, int* nr) {
    switch (isa_level()) {
        case Isa::avx512:
            *mr = f64 ? BlockingAvx512F64::MR : BlockingAvx512F32::MR;
            *nr = f64 ? BlockingAvx512F64::NR : BlockingAvx512F32::NR;
            break;
        case Isa::avx2:
            *mr = f64 ? BlockingAvx2F64::MR : BlockingAvx2F32::MR;
            *nr = f64 ? BlockingAvx2F64::NR : BlockingAvx2F32::NR;
            break;
        default:
            *mr = f64 ? BlockingGenericF64::MR : BlockingGenericF32::MR;
            *nr = f64 ? BlockingGenericF64::NR : BlockingGenericF32::NR;
    }
}

// The entry points of gemm.h: the trivial cases here, the rest on the level this process runs (at_level).
template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
    at_level<T>([&](auto at) { at.run(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc); });
}

template <typename T>
int64_t gemm_packed_a_size(int64_t M, int64_t K) {
    if (M <= 0 || K <= 0) return 1;
    return at_level<T>([&](auto at) { return at.packed_a_size(M, K); });
}

template <typename T>
void gemm_pack_a(bool transA, int64_t M, int64_t K, const T* A, int64_t lda, T* packed) {
    if (M <= 0 || K <= 0) return;
    at_level<T>([&](auto at) { at.pack_a(transA, A, lda, M, K, packed); });
}

template <typename T>
void gemm_with_packed_a(int64_t M, int64_t N, int64_t K, T alpha, const T* packed, bool transB, const T* B,
                        int64_t ldb, T beta, T* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
    at_level<T>([&](auto at) { at.with_packed_a(M, N, K, alpha, packed, transB, B, ldb, beta, C, ldc); });
}

template <typename T>
int64_t gemm_packed_b_size(int64_t K, int64_t N) {
    if (K <= 0 || N <= 0) return 1;
    return at_level<T>([&](auto at) { return at.packed_b_size(K, N); });
}

template <typename T>
void gemm_pack_b(bool transB, int64_t K, int64_t N, const T* B, int64_t ldb, T* packed) {
    if (K <= 0 || N <= 0) return;
    at_level<T>([&](auto at) { at.pack_b(transB, B, ldb, K, N, packed); });
}

template <typename T>
void gemm_with_packed_b(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* packed, T beta,
                        T* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0 || alpha == T(0)) return scale_c(M, N, beta, C, ldc);
    at_level<T>([&](auto at) { at.with_packed_b(M, N, K, alpha, A, lda, packed, beta, C, ldc); });
}

template <typename T>
void gemm_batched(bool transA, bool transB, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t strideA, int64_t lda, const T* B, int64_t strideB, int64_t ldb, T beta, T* C,
                  int64_t strideC, int64_t ldc) {
    if (batch <= 0) return;
    // Small matrices: one thread per group of matrices (each gemm then runs serially inside the region).
    // Large ones: one after the other, each using every thread.
    const double work = double(M) * double(N) * double(K);
    auto one = [&](int64_t i) {
        gemm<T>(transA, transB, M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta, C + i * strideC,
                ldc);
    };
    if (batch > 1 && work < 128.0 * 128.0 * 128.0) {
        parallel_for(batch, M * N * std::max<int64_t>(K, 1), [&](int64_t b, int64_t e) {
            for (int64_t i = b; i < e; ++i) one(i);
        });
    } else {
        for (int64_t i = 0; i < batch; ++i) one(i);
    }
}

#define AXONAL_GEMM_INSTANTIATE(T)                                                                                \
    template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, int64_t, T, T*, \
                          int64_t);                                                                               \
    template void gemm_reference<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,       \
                                    int64_t, T, T*, int64_t);                                                     \
    template void gemm_batched<T>(bool, bool, int64_t, int64_t, int64_t, int64_t, T, const T*, int64_t, int64_t, \
                                  const T*, int64_t, int64_t, T, T*, int64_t, int64_t);                         \
    template int64_t gemm_packed_a_size<T>(int64_t, int64_t);                                                     \
    template void gemm_pack_a<T>(bool, int64_t, int64_t, const T*, int64_t, T*);                                 \
    template void gemm_with_packed_a<T>(int64_t, int64_t, int64_t, T, const T*, bool, const T*, int64_t, T, T*,   \
                                        int64_t);                                                                 \
    template int64_t gemm_packed_b_size<T>(int64_t, int64_t);                                                     \
    template void gemm_pack_b<T>(bool, int64_t, int64_t, const T*, int64_t, T*);                                 \
    template void gemm_with_packed_b<T>(int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, T, T*, int64_t);
AXONAL_GEMM_INSTANTIATE(float)
AXONAL_GEMM_INSTANTIATE(double)
#undef AXONAL_GEMM_INSTANTIATE

}  // namespace axonal
