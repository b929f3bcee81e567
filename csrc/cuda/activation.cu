// Elementwise kernels on the GPU, bit for bit as the CPU's (csrc/kernels/activation.h):
//   relu_forward(out, inp, n)            out[i] = inp[i] > 0 or NaN ? inp[i] : +0      (n); out may be inp
//   relu_backward(dinp, dout, out, n, accumulate)
//                                        dinp[i] (+)= dout[i] * (out[i] > 0 ? 1 : 0)   (a product, so a NaN
//                                        gradient where out <= 0 stays NaN); dinp may be dout
//   bias_relu_forward(y, bias, M, N, relu)  y[m, n] = y[m, n] + bias[n], then relu      y: M x N, bias: N
//   add_relu_forward(out, a, b, n)       out[i] = relu(a[i] + b[i])  (the residual join); out may be a or b
//   fill(out, n, value)                  out[i] = T(value)
// Grid-stride loops over n; one IEEE operation per step (nothing for nvcc to contract into an FMA).
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

#define AXONAL_GRID_STRIDE(i, n) \
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

template <typename T>
__global__ void relu_forward_kernel(T* out, const T* inp, int64_t n) {
    AXONAL_GRID_STRIDE(i, n) out[i] = relu1(inp[i]);
}

template <typename T>
__global__ void relu_backward_kernel(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate) {
    AXONAL_GRID_STRIDE(i, n) {
        const T g = mul_rn(dout[i], out[i] > T(0) ? T(1) : T(0));
        dinp[i] = accumulate ? add_rn(dinp[i], g) : g;
    }
}

// Rows on blockIdx.y (strided past 65535), columns on x: no division per element.
template <typename T>
__global__ void bias_relu_kernel(T* y, const T* bias, int64_t M, int64_t N, bool relu) {
    for (int64_t m = blockIdx.y; m < M; m += gridDim.y) {
        T* row = y + m * N;
        for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < N; j += int64_t(gridDim.x) * blockDim.x) {
            const T v = add_rn(row[j], bias[j]);
            row[j] = relu ? relu1(v) : v;
        }
    }
}

template <typename T>
__global__ void add_relu_kernel(T* out, const T* a, const T* b, int64_t n) {
    AXONAL_GRID_STRIDE(i, n) out[i] = relu1(add_rn(a[i], b[i]));
}

template <typename T>
__global__ void fill_kernel(T* out, int64_t n, T value) {
    AXONAL_GRID_STRIDE(i, n) out[i] = value;
}

}  // namespace

template <typename T>
void relu_forward(T* out, const T* inp, int64_t n, cudaStream_t s) {
    if (n > 0) launch(relu_forward_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, inp, n);
    check_launch("relu");
}

template <typename T>
void relu_backward(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate, cudaStream_t s) {
    if (n > 0) launch(relu_backward_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, dinp, dout, out, n, accumulate);
    check_launch("relu_backward");
}

template <typename T>
void bias_relu_forward(T* y, const T* bias, int64_t M, int64_t N, bool relu, cudaStream_t s) {
    if (M > 0 && N > 0) {
        const int threads = N >= kThreads ? kThreads : int((N + 31) / 32 * 32);
        const unsigned gx = grid_for(N, threads);
        const int64_t gy = ax_min<int64_t>(M, ax_max<int64_t>(1, kMaxGridX * 4 / gx));
        launch(bias_relu_kernel<T>, dim3(gx, unsigned(ax_min<int64_t>(gy, 65535))), dim3(threads), s, y, bias, M, N, relu);
    }
    check_launch("bias_relu");
}

template <typename T>
void add_relu_forward(T* out, const T* a, const T* b, int64_t n, cudaStream_t s) {
    if (n > 0) launch(add_relu_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, a, b, n);
    check_launch("add_relu");
}

template <typename T>
void fill(T* out, int64_t n, double value, cudaStream_t s) {
    if (n > 0) launch(fill_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, n, T(value));
    check_launch("fill");
}

#define AXONAL_INSTANTIATE(T)                                                                    \
    template void relu_forward<T>(T*, const T*, int64_t, cudaStream_t);                          \
    template void relu_backward<T>(T*, const T*, const T*, int64_t, bool, cudaStream_t);         \
    template void bias_relu_forward<T>(T*, const T*, int64_t, int64_t, bool, cudaStream_t);      \
    template void add_relu_forward<T>(T*, const T*, const T*, int64_t, cudaStream_t);            \
    template void fill<T>(T*, int64_t, double, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
