// 2-D max and average pooling on the GPU, NCHW, with the CPU kernels' semantics (csrc/kernels/pool2d.h):
//   inp, dinp: N x C x H x W;  out, dout, argmax: N x C x P x Q, P = pool2d_out_size(H, kh, stride_h, pad_h)
//   argmax[n, c, p, q]: flat index h * W + w of the winning cell inside plane (n, c) (int32)
// Max: padding is -inf (never wins); windows are scanned row by row and a cell replaces the maximum when
// it is larger or NaN (so the last NaN wins, and a window of only -inf reports its first real cell).
// Average: count_include_pad divides by the window cells inside the padded input, else by the real ones;
// cells are summed in the same order as the CPU, so forward results match it bit for bit.
// Backward kernels ACCUMULATE into dinp. Max backward adds dout at argmax (an index outside the plane, which
// the forward never writes, is skipped rather than written out of bounds) with atomics (windows that
// overlap may hit one cell from several outputs: the order, and so the last bit, varies then); average
// backward gathers, one thread per input cell, adding its windows' shares in the CPU's order.
#include "cuda/common.cuh"

namespace axonal {
namespace cuda {
namespace {

struct PoolGeom {
    int64_t planes;
    int H, W, P, Q, kh, kw, sh, sw, ph, pw;
};

// The divisor of the window starting at (hs, ws) (csrc/kernels/pool2d.cpp's avg_divisor).
template <typename T>
__device__ __forceinline__ T avg_divisor(int hs, int ws, const PoolGeom& g, bool cip) {
    const int lo_h = cip ? -g.ph : 0, hi_h = cip ? g.H + g.ph : g.H;
    const int lo_w = cip ? -g.pw : 0, hi_w = cip ? g.W + g.pw : g.W;
    const int nh = ax_min(hs + g.kh, hi_h) - ax_max(hs, lo_h), nw = ax_min(ws + g.kw, hi_w) - ax_max(ws, lo_w);
    return T(nh) * T(nw);
}

template <typename T>
__global__ void max_pool_forward_kernel(T* out, int32_t* argmax, const T* inp, PoolGeom g) {
    const int64_t total = g.planes * g.P * g.Q;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t plane = i / (int64_t(g.P) * g.Q);
        const int pq = int(i % (int64_t(g.P) * g.Q)), p = pq / g.Q, q = pq % g.Q;
        const int hs = p * g.sh - g.ph, ws = q * g.sw - g.pw;
        const int h0 = ax_max(hs, 0), h1 = ax_min(hs + g.kh, g.H), w0 = ax_max(ws, 0), w1 = ax_min(ws + g.kw, g.W);
        const T* in = inp + plane * g.H * g.W;
        T m = -INFINITY;
        int k = h0 * g.W + w0;
        for (int h = h0; h < h1; ++h)
            for (int w = w0; w < w1; ++w) {
                const T v = in[h * g.W + w];
                if (v > m || v != v) {
                    m = v;
                    k = h * g.W + w;
                }
            }
        out[i] = m;
        argmax[i] = k;
    }
}

template <typename T>
__global__ void max_pool_backward_kernel(T* dinp, const T* dout, const int32_t* argmax, int64_t planes, int64_t HW,
                                         int64_t PQ) {
    const int64_t total = planes * PQ;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int32_t a = argmax[i];
        if (a >= 0 && a < HW) atomicAdd(dinp + (i / PQ) * HW + a, dout[i]);  // never write outside the plane
    }
}

template <typename T>
__global__ void avg_pool_forward_kernel(T* out, const T* inp, PoolGeom g, bool cip) {
    const int64_t total = g.planes * g.P * g.Q;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t plane = i / (int64_t(g.P) * g.Q);
        const int pq = int(i % (int64_t(g.P) * g.Q)), p = pq / g.Q, q = pq % g.Q;
        const int hs = p * g.sh - g.ph, ws = q * g.sw - g.pw;
        const int h0 = ax_max(hs, 0), h1 = ax_min(hs + g.kh, g.H), w0 = ax_max(ws, 0), w1 = ax_min(ws + g.kw, g.W);
        const T* in = inp + plane * g.H * g.W;
        T s = T(0);
        for (int h = h0; h < h1; ++h)
            for (int w = w0; w < w1; ++w) s += in[h * g.W + w];
        out[i] = s / avg_divisor<T>(hs, ws, g, cip);
    }
}

// Input cell (h, w) lies in the windows p with p*sh - ph <= h < p*sh - ph + kh: p from
// ceil((h + ph - kh + 1) / sh) to floor((h + ph) / sh), clipped to [0, P).
template <typename T>
__global__ void avg_pool_backward_kernel(T* dinp, const T* dout, PoolGeom g, bool cip) {
    const int64_t total = g.planes * g.H * g.W;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
        const int64_t plane = i / (int64_t(g.H) * g.W);
        const int hw = int(i % (int64_t(g.H) * g.W)), h = hw / g.W, w = hw % g.W;
        const int hp = h + g.ph, wp = w + g.pw;
        const int p0 = hp - g.kh + 1 <= 0 ? 0 : (hp - g.kh + g.sh) / g.sh, p1 = ax_min(hp / g.sh, g.P - 1);
        const int q0 = wp - g.kw + 1 <= 0 ? 0 : (wp - g.kw + g.sw) / g.sw, q1 = ax_min(wp / g.sw, g.Q - 1);
        const T* d = dout + plane * g.P * g.Q;
        T acc = dinp[i];
        for (int p = p0; p <= p1; ++p)
            for (int q = q0; q <= q1; ++q)
                acc += d[p * g.Q + q] / avg_divisor<T>(p * g.sh - g.ph, q * g.sw - g.pw, g, cip);
        dinp[i] = acc;
    }
}

PoolGeom make_geom(int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                   int64_t ph, int64_t pw) {
    const int64_t P = (H + 2 * ph - kh) / sh + 1, Q = (W + 2 * pw - kw) / sw + 1;
    return {N * C, int(H), int(W), int(P), int(Q), int(kh), int(kw), int(sh), int(sw), int(ph), int(pw)};
}

}  // namespace

template <typename T>
void max_pool2d_forward(T* out, int32_t* argmax, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh,
                        int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, cudaStream_t stream) {
    const PoolGeom g = make_geom(N, C, H, W, kh, kw, sh, sw, ph, pw);
    const int64_t total = g.planes * g.P * g.Q;
    if (total > 0) launch(max_pool_forward_kernel<T>, dim3(grid_for(total)), dim3(kThreads), stream, out, argmax, inp, g);
    check_launch("max_pool2d");
}

template <typename T>
void max_pool2d_backward(T* dinp, const T* dout, const int32_t* argmax, int64_t N, int64_t C, int64_t H, int64_t W,
                         int64_t P, int64_t Q, cudaStream_t stream) {
    const int64_t total = N * C * P * Q;
    if (total > 0)
        launch(max_pool_backward_kernel<T>, dim3(grid_for(total)), dim3(kThreads), stream, dinp, dout, argmax, N * C,
               H * W, P * Q);
    check_launch("max_pool2d_backward");
}

template <typename T>
void avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip, cudaStream_t stream) {
    const PoolGeom g = make_geom(N, C, H, W, kh, kw, sh, sw, ph, pw);
    const int64_t total = g.planes * g.P * g.Q;
    if (total > 0) launch(avg_pool_forward_kernel<T>, dim3(grid_for(total)), dim3(kThreads), stream, out, inp, g, cip);
    check_launch("avg_pool2d");
}

template <typename T>
void avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         int64_t sh, int64_t sw, int64_t ph, int64_t pw, bool cip, cudaStream_t stream) {
    const PoolGeom g = make_geom(N, C, H, W, kh, kw, sh, sw, ph, pw);
    const int64_t total = g.planes * g.H * g.W;
    if (total > 0) launch(avg_pool_backward_kernel<T>, dim3(grid_for(total)), dim3(kThreads), stream, dinp, dout, g, cip);
    check_launch("avg_pool2d_backward");
}

#define AXONAL_INSTANTIATE(T)                                                                                         \
    template void max_pool2d_forward<T>(T*, int32_t*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                        int64_t, int64_t, int64_t, int64_t, cudaStream_t);                            \
    template void max_pool2d_backward<T>(T*, const T*, const int32_t*, int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                         int64_t, cudaStream_t);                                                      \
    template void avg_pool2d_forward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,  \
                                        int64_t, int64_t, int64_t, bool, cudaStream_t);                               \
    template void avg_pool2d_backward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                         int64_t, int64_t, int64_t, bool, cudaStream_t);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace cuda
}  // namespace axonal
