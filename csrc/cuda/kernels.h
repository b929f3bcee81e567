// The CUDA kernels' host API: what the binding (and any C++ caller) calls. Every function launches on
// `stream` and returns without synchronising; pointers are device pointers (host pointers under the
// emulation), dense and C-contiguous unless a leading dimension says otherwise; nothing here allocates.
// Sizes are validated by the caller (the binding): the functions assume them valid (every size >= 0, the
// output sizes >= 1 where stated, groups dividing C and K, element counts well inside int64).
// A launch failure throws std::runtime_error("[op] CUDA error: ...").
//
// Semantics are the CPU kernels' (csrc/kernels/*.h): forward kernels OVERWRITE their outputs, backward
// kernels ACCUMULATE (+=) into gradient buffers; the per-family .cu files state the shapes on top.
#pragma once
#include <cstdint>

struct CUstream_st;
typedef struct CUstream_st* cudaStream_t;  // the CUDA runtime's own definition, repeated

namespace axonal {
namespace cuda {

// gemm.cu — C = alpha * op(A) @ op(B) + beta * C, row-major, `batch` products at strides sA/sB/sC.
template <typename T>
void gemm(bool transA, bool transB, int64_t batch, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, int64_t strideA, const T* B, int64_t ldb, int64_t strideB, T beta, T* C, int64_t ldc,
          int64_t strideC, cudaStream_t stream);

// conv2d.cu — NCHW, weight K x C/groups x R x S.
template <typename T>
void conv2d_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t N, int64_t C, int64_t H, int64_t W,
                    int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                    int64_t dil_h, int64_t dil_w, int64_t groups, bool relu, cudaStream_t stream);
template <typename T>
void conv2d_backward_input(T* dinp, const T* dout, const T* weight, int64_t N, int64_t C, int64_t H, int64_t W,
                           int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w, int64_t pad_h,
                           int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups, cudaStream_t stream);
template <typename T>
void conv2d_backward_weight(T* dweight, T* dbias, const T* dout, const T* inp, int64_t N, int64_t C, int64_t H,
                            int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride_h, int64_t stride_w,
                            int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w, int64_t groups,
                            cudaStream_t stream);

// pool2d.cu
template <typename T>
void max_pool2d_forward(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                        int64_t kw, int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                        cudaStream_t stream);
template <typename T>
void max_pool2d_backward(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H, int64_t W,
                         int64_t P, int64_t Q, cudaStream_t stream);
template <typename T>
void avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                        int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, bool count_include_pad,
                        cudaStream_t stream);
template <typename T>
void avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w, bool count_include_pad,
                         cudaStream_t stream);

// activation.cu
template <typename T>
void relu_forward(T* out, const T* inp, int64_t n, cudaStream_t stream);
template <typename T>
void relu_backward(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate, cudaStream_t stream);
template <typename T>
void bias_relu_forward(T* y, const T* bias, int64_t M, int64_t N, bool relu, cudaStream_t stream);
template <typename T>
void add_relu_forward(T* out, const T* a, const T* b, int64_t n, cudaStream_t stream);
template <typename T>
void fill(T* out, int64_t n, double value, cudaStream_t stream);
// special.cu: erf, erfc, erfinv of n values (out may equal inp)
template <typename T>
void erf_forward(T* out, const T* inp, int64_t n, cudaStream_t stream);
template <typename T>
void erfc_forward(T* out, const T* inp, int64_t n, cudaStream_t stream);
template <typename T>
void erfinv_forward(T* out, const T* inp, int64_t n, cudaStream_t stream);

// softmax_xent.cu — sums: 2 doubles on the device receiving (loss_sum, weight_sum).
template <typename T>
void softmax_cross_entropy(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight, int64_t M,
                           int64_t C, int64_t ignore_index, double smoothing, double* sums, cudaStream_t stream);
// result: one int64 on the device receiving the first bad row or -1.
void softmax_cross_entropy_check_targets(const int64_t* target, int64_t M, int64_t C, int64_t ignore_index,
                                         int64_t* result, cudaStream_t stream);

// batchnorm.cu — x, out, dout, dx: N x C x HW.
template <typename T>
void batchnorm_forward_train(T* out, T* save_mean, T* save_invstd, const T* x, const T* gamma, const T* beta,
                             T* running_mean, T* running_var, int64_t N, int64_t C, int64_t HW, double eps,
                             double momentum, bool relu, cudaStream_t stream);
template <typename T>
void batchnorm_forward_eval(T* out, const T* x, const T* gamma, const T* beta, const T* running_mean,
                            const T* running_var, int64_t N, int64_t C, int64_t HW, double eps, bool relu,
                            cudaStream_t stream);
template <typename T>
void batchnorm_backward(T* dx, T* dgamma, T* dbeta, const T* dout, const T* x, const T* out, const T* save_mean,
                        const T* save_invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool relu,
                        cudaStream_t stream);

// optim.cu — csrc/kernels/optim_update.h's rules, operation for operation.
template <typename T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double dampening,
                double weight_decay, bool nesterov, bool maximize, bool init_buf, cudaStream_t stream);
template <typename T>
void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n, double lr, double beta1,
                 double beta2, double eps, double weight_decay, bool decoupled, bool maximize, double step_size,
                 double bias_correction2_sqrt, cudaStream_t stream);

// selftest.cu — small kernels that exercise barriers, shared memory, shuffles, votes and atomics, so the
// emulation (and a real GPU) can be checked against known answers. Buffers are described there.
void selftest_shared_exchange(int* out, int threads, int blocks, int mode, bool with_barrier, cudaStream_t stream);
void selftest_indices(int* out, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                      cudaStream_t stream);
void selftest_shuffles(int* out_int, float* out_float, double* out_double, int warps, cudaStream_t stream);
void selftest_votes(unsigned* out, int warps, cudaStream_t stream);
void selftest_atomics(int* ints, unsigned long long* ulls, float* floats, double* doubles, int blocks, int threads,
                      cudaStream_t stream);
void selftest_block_sum(double* out, const double* in, int n, int threads, cudaStream_t stream);
void selftest_divergent_shuffle(int* out, cudaStream_t stream);

}  // namespace cuda
}  // namespace axonal
