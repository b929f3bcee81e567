// GEMM: C = alpha * op(A) * op(B) + beta * C, row-major.
//   op(A) is M x K: A is M x K (lda >= K) when !transA, K x M (lda >= M) when transA.
//   op(B) is K x N: B is K x N (ldb >= N) when !transB, N x K (ldb >= K) when transB.
//   C is M x N with ldc >= N. When beta == 0, C is overwritten (NaNs in C do not leak through).
// gemm() is the fast path (cache-blocked, multi-threaded, AVX-512 or AVX2/FMA when the CPU has it); the result
// does not depend on the thread count. gemm_reference() is the naive triple loop kept beside it to
// test against. gemm_batched() runs `batch` independent products, matrix i at A + i*strideA etc.
// (a stride may be 0 to reuse one matrix).
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

template <typename T>
void gemm_reference(bool transA, bool transB, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                    int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

template <typename T>
void gemm_batched(bool transA, bool transB, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
                  int64_t strideA, int64_t lda, const T* B, int64_t strideB, int64_t ldb, T beta, T* C,
                  int64_t strideC, int64_t ldc);

// A left operand packed once and reused for many products on the calling thread (a convolution's
// weight against every image): gemm_pack_a() writes op(A) (M x K) into `packed`, which must hold
// gemm_packed_a_size<T>(M, K) elements; gemm_with_packed_a() then computes
// C (M x N) = alpha * op(A) @ op(B) + beta * C like gemm(), serially, with no packing of A. The layout
// belongs to the kernels of this process: pack and use within one process only.
template <typename T>
int64_t gemm_packed_a_size(int64_t M, int64_t K);
template <typename T>
void gemm_pack_a(bool transA, int64_t M, int64_t K, const T* A, int64_t lda, T* packed);
template <typename T>
void gemm_with_packed_a(int64_t M, int64_t N, int64_t K, T alpha, const T* packed, bool transB, const T* B,
                        int64_t ldb, T beta, T* C, int64_t ldc);

// A right operand packed once and reused for many products on the calling thread (a recurrent layer's W_hh
// at every time step): gemm_pack_b() writes op(B) (K x N) into `packed`, which must hold
// gemm_packed_b_size<T>(K, N) elements and be 64-byte aligned; gemm_with_packed_b() then computes
// C (M x N) = alpha * A @ op(B) + beta * C like gemm() with A (M x K, row-major, lda >= K) read in place,
// serially, with no packing. Same-process layout, as for packed A.
template <typename T>
int64_t gemm_packed_b_size(int64_t K, int64_t N);
template <typename T>
void gemm_pack_b(bool transB, int64_t K, int64_t N, const T* B, int64_t ldb, T* packed);
template <typename T>
void gemm_with_packed_b(int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* packed, T beta,
                        T* C, int64_t ldc);

// "avx512", "avx2" or "generic": the kernels gemm() uses in this process (isa_level()).
const char* gemm_kernel_name();
// The register tile (rows x columns of C per micro-kernel call) of those kernels, float32 or float64.
void gemm_tile(bool f64, int* mr, int* nr);

}  // namespace axonal
