// Special functions on the GPU, elementwise over n values (out may equal inp), matching csrc/kernels/special.h:
//   erf_forward(out, inp, n), erfc_forward(out, inp, n)   the CUDA math library's erf / erfc
//   erfinv_forward(out, inp, n)   Giles' single-precision approximation refined by Newton steps in double, on
//                                 erf or (near +-1) on log erfc: the CPU's algorithm, so both devices agree
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

#define AXONAL_GRID_STRIDE(i, n) \
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__device__ double erfinv_value(double y) {
    if (!(y >= -1.0 && y <= 1.0)) return __longlong_as_double(0x7ff8000000000000LL);  // NaN (also for a NaN y)
    if (y == 1.0) return __longlong_as_double(0x7ff0000000000000LL);
    if (y == -1.0) return -__longlong_as_double(0x7ff0000000000000LL);
    const double a = fabs(y);  // on |y|, the sign restored at the end (see csrc/kernels/special.cpp)
    double w = -log((1.0 - a) * (1.0 + a));
    double p;
    if (w < 5.0) {
        w -= 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w;
        p = -3.5233877e-06 + p * w;
        p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w;
        p = -0.00125372503 + p * w;
        p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w;
        p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w;
        p = 0.00134934322 + p * w;
        p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w;
        p = -0.0076224613 + p * w;
        p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w;
        p = 2.83297682 + p * w;
    }
    double x = p * a;
    // Newton on erf(x) - a, or past a = 0.5 on log erfc(x) - log(1 - a), where erf(x) - a would cancel.
    const double log_tail = a > 0.5 ? log(1.0 - a) : 0.0;
    for (int step = 0; step < 4; ++step) {
        const double slope = 1.1283791670955126 * exp(-x * x);
        if (slope == 0.0) break;
        if (a > 0.5) {
            const double tail = erfc(x);
            if (tail == 0.0) break;
            x += (log(tail) - log_tail) * tail / slope;
        } else {
            x -= (erf(x) - a) / slope;
        }
    }
    return copysign(x, y);
}

template <typename T>
__global__ void erf_kernel(T* out, const T* inp, int64_t n) {
    AXONAL_GRID_STRIDE(i, n) out[i] = T(erf(double(inp[i])));
}

template <typename T>
__global__ void erfc_kernel(T* out, const T* inp, int64_t n) {
    AXONAL_GRID_STRIDE(i, n) out[i] = T(erfc(double(inp[i])));
}

template <typename T>
__global__ void erfinv_kernel(T* out, const T* inp, int64_t n) {
    AXONAL_GRID_STRIDE(i, n) out[i] = T(erfinv_value(double(inp[i])));
}

}  // namespace

template <typename T>
void erf_forward(T* out, const T* inp, int64_t n, cudaStream_t s) {
    if (n > 0) launch(erf_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, inp, n);
    check_launch("erf");
}

template <typename T>
void erfc_forward(T* out, const T* inp, int64_t n, cudaStream_t s) {
    if (n > 0) launch(erfc_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, inp, n);
    check_launch("erfc");
}

template <typename T>
void erfinv_forward(T* out, const T* inp, int64_t n, cudaStream_t s) {
    if (n > 0) launch(erfinv_kernel<T>, dim3(grid_for(n)), dim3(kThreads), s, out, inp, n);
    check_launch("erfinv");
}

#define AXONAL_SPECIAL(T)                                                  \
    template void erf_forward<T>(T*, const T*, int64_t, cudaStream_t);    \
    template void erfc_forward<T>(T*, const T*, int64_t, cudaStream_t);   \
    template void erfinv_forward<T>(T*, const T*, int64_t, cudaStream_t);
AXONAL_SPECIAL(float)
AXONAL_SPECIAL(double)
#undef AXONAL_SPECIAL

}  // namespace cuda
}  // namespace axonal
