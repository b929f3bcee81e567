// Adaptive average pooling (pool2d.h): one (n, c) plane per work item. Global pooling (OH = OW = 1, the
// end of every ResNet) sums each plane with 16 partial sums and, backward, adds one value over the plane;
// other sizes walk their bins (rows of a bin are contiguous, so each bin is a few short vectorisable sums).
#include <algorithm>

#include "kernels/parallel.h"
#include "kernels/pool2d.h"

namespace axonal {
namespace {

template <typename T>
double plane_sum(const T* x, int64_t n) {
    T part[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) part[j] += x[i + j];
    double acc = 0.0;
    for (int j = 0; j < 16; ++j) acc += double(part[j]);
    for (; i < n; ++i) acc += double(x[i]);
    return acc;
}

}  // namespace

template <typename T>
void adaptive_avg_pool2d_forward(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                                 int64_t OW) {
    const int64_t HW = H * W;
    if (OH == 1 && OW == 1) {
        parallel_for(N * C, HW, [&](int64_t pb, int64_t pe) {
            for (int64_t p = pb; p < pe; ++p) out[p] = T(plane_sum(inp + p * HW, HW) / double(HW));
        });
        return;
    }
    parallel_for(N * C, HW + OH * OW, [&](int64_t pb, int64_t pe) {
        for (int64_t p = pb; p < pe; ++p) {
            const T* x = inp + p * HW;
            T* o = out + p * OH * OW;
            for (int64_t i = 0; i < OH; ++i) {
                const int64_t h0 = adaptive_bin_start(i, H, OH), h1 = adaptive_bin_end(i, H, OH);
                for (int64_t j = 0; j < OW; ++j) {
                    const int64_t w0 = adaptive_bin_start(j, W, OW), w1 = adaptive_bin_end(j, W, OW);
                    T acc = T(0);
                    for (int64_t h = h0; h < h1; ++h)
                        for (int64_t w = w0; w < w1; ++w) acc += x[h * W + w];
                    o[i * OW + j] = acc / T((h1 - h0) * (w1 - w0));
                }
            }
        }
    });
}

template <typename T>
void adaptive_avg_pool2d_forward_reference(T* out, const T* inp, int64_t N, int64_t C, int64_t H, int64_t W,
                                           int64_t OH, int64_t OW) {
    for (int64_t p = 0; p < N * C; ++p)
        for (int64_t i = 0; i < OH; ++i)
            for (int64_t j = 0; j < OW; ++j) {
                const int64_t h0 = adaptive_bin_start(i, H, OH), h1 = adaptive_bin_end(i, H, OH);
                const int64_t w0 = adaptive_bin_start(j, W, OW), w1 = adaptive_bin_end(j, W, OW);
                double acc = 0.0;
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t w = w0; w < w1; ++w) acc += double(inp[p * H * W + h * W + w]);
                out[(p * OH + i) * OW + j] = T(acc / double((h1 - h0) * (w1 - w0)));
            }
}

template <typename T>
void adaptive_avg_pool2d_backward(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW) {
    const int64_t HW = H * W;
    if (OH == 1 && OW == 1) {
        parallel_for(N * C, HW, [&](int64_t pb, int64_t pe) {
            for (int64_t p = pb; p < pe; ++p) {
                const T g = T(double(dout[p]) / double(HW));
                T* d = dinp + p * HW;
                for (int64_t i = 0; i < HW; ++i) d[i] += g;
            }
        });
        return;
    }
    parallel_for(N * C, HW + OH * OW, [&](int64_t pb, int64_t pe) {
        for (int64_t p = pb; p < pe; ++p) {
            T* d = dinp + p * HW;
            const T* g = dout + p * OH * OW;
            for (int64_t i = 0; i < OH; ++i) {
                const int64_t h0 = adaptive_bin_start(i, H, OH), h1 = adaptive_bin_end(i, H, OH);
                for (int64_t j = 0; j < OW; ++j) {
                    const int64_t w0 = adaptive_bin_start(j, W, OW), w1 = adaptive_bin_end(j, W, OW);
                    const T v = g[i * OW + j] / T((h1 - h0) * (w1 - w0));
                    for (int64_t h = h0; h < h1; ++h)
                        for (int64_t w = w0; w < w1; ++w) d[h * W + w] += v;
                }
            }
        }
    });
}

template <typename T>
void adaptive_avg_pool2d_backward_reference(T* dinp, const T* dout, int64_t N, int64_t C, int64_t H, int64_t W,
                                            int64_t OH, int64_t OW) {
    for (int64_t p = 0; p < N * C; ++p)
        for (int64_t i = 0; i < OH; ++i)
            for (int64_t j = 0; j < OW; ++j) {
                const int64_t h0 = adaptive_bin_start(i, H, OH), h1 = adaptive_bin_end(i, H, OH);
                const int64_t w0 = adaptive_bin_start(j, W, OW), w1 = adaptive_bin_end(j, W, OW);
                const double v = double(dout[(p * OH + i) * OW + j]) / double((h1 - h0) * (w1 - w0));
                for (int64_t h = h0; h < h1; ++h)
                    for (int64_t w = w0; w < w1; ++w) dinp[p * H * W + h * W + w] += T(v);
            }
}

#define AXONAL_INSTANTIATE_ADAPTIVE(T)                                                                              \
    template void adaptive_avg_pool2d_forward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                 int64_t);                                                         \
    template void adaptive_avg_pool2d_forward_reference<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t,      \
                                                           int64_t, int64_t);                                      \
    template void adaptive_avg_pool2d_backward<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                                                  int64_t);                                                        \
    template void adaptive_avg_pool2d_backward_reference<T>(T*, const T*, int64_t, int64_t, int64_t, int64_t,     \
                                                            int64_t, int64_t);
AXONAL_INSTANTIATE_ADAPTIVE(float)
AXONAL_INSTANTIATE_ADAPTIVE(double)
#undef AXONAL_INSTANTIATE_ADAPTIVE

}  // namespace axonal
