// The fast batch-norm loops (batchnorm.h), written once and compiled per instruction set: included by
// batchnorm.cpp (baseline), batchnorm_avx2.cpp and batchnorm_avx512.cpp, each defining AX_BN_NS (the
// namespace of its entry points) first. Plain loops the compiler vectorises with the including file's flags.
//
// Two layouts of the work. Planes (HW >= kRowsBelow): a channel is N contiguous segments of HW values,
// one thread per channel, each pass a vectorisable loop over a segment with 16 partial sums (combined in
// double per segment). Rows (small HW, BatchNorm1d's (N, C)): a segment of one or a few values would be
// all loop overhead, so a thread takes a block of channels and walks the N rows of the block, keeping a
// double sum per column (the row loop vectorises across columns). Every channel is summed by one thread in
// a fixed order either way, so results do not depend on the thread count.
// Training forward: a pass for the mean, one for the centred squares (no cancellation from subtracting
// E[x]^2), one that writes y. Backward: one pass for the two sums, one that writes dx.
#ifndef AX_BN_NS
#error "define AX_BN_NS before including batchnorm_impl.h"
#endif
#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels/batchnorm.h"
#include "kernels/parallel.h"

namespace axonal {
namespace AX_BN_NS {
namespace {

// Planes of at least this many values per (image, channel) take the per-channel layout, smaller ones the
// row layout (see the file comment).
constexpr int64_t kRowsBelow = 16;
// Channels per work item of the row layout.
constexpr int64_t kRowBlock = 64;

// max(v, 0) as relu_forward computes it (NaN passes, -0.0 becomes +0.0), so BN + ReLU fused gives the
// same bits as BN followed by the ReLU kernel.
template <typename T>
inline T relu_if(bool relu, T v) {
    return !relu || v > T(0) || v != v ? v : T(0);
}

// sum of x[0:n) and sum of (x - m)^2, each with 16 partial sums the compiler keeps in vector registers.
template <typename T>
double seg_sum(const T* x, int64_t n) {
    T part[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) part[j] += x[i + j];
    double acc = 0.0;
    for (int j = 0; j < 16; ++j) acc += double(part[j]);
    for (; i < n; ++i) acc += double(x[i]);
    return acc;
}

template <typename T>
double seg_centred_squares(const T* x, int64_t n, T m) {
    T part[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) {
            const T d = x[i + j] - m;
            part[j] += d * d;
        }
    double acc = 0.0;
    for (int j = 0; j < 16; ++j) acc += double(part[j]);
    for (; i < n; ++i) {
        const double d = double(x[i]) - double(m);
        acc += d * d;
    }
    return acc;
}

// dy' summed and dy' * (x - m) summed over a segment; dy' = dy masked by y > 0 when y is given.
template <typename T>
void seg_grad_sums(const T* dy, const T* x, const T* y, int64_t n, T m, double& sdy, double& sdyx) {
    T p0[16] = {}, p1[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; ++j) {
            const T d = dy[i + j];  // loaded unconditionally: a conditional load does not vectorise
            const T g = y ? (y[i + j] > T(0) ? d : T(0)) : d;
            p0[j] += g;
            p1[j] += g * (x[i + j] - m);
        }
    double a0 = 0.0, a1 = 0.0;
    for (int j = 0; j < 16; ++j) a0 += double(p0[j]), a1 += double(p1[j]);
    for (; i < n; ++i) {
        const T d = dy[i];
        const T g = y ? (y[i] > T(0) ? d : T(0)) : d;
        a0 += double(g);
        a1 += double(g) * (double(x[i]) - double(m));
    }
    sdy += a0;
    sdyx += a1;
}

// The per-channel affine map of the normalised output: y = x * scale + shift.
struct Affine {
    double scale, shift;
};

inline Affine affine_of(double mean, double invstd, double g, double b) { return {g * invstd, b - mean * g * invstd}; }

template <typename T>
void seg_apply(T* y, const T* x, int64_t n, T scale, T shift, bool relu) {
    if (relu)
        for (int64_t i = 0; i < n; ++i) y[i] = relu_if(true, x[i] * scale + shift);
    else
        for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

// dx (+)= k * (g - a - (x - m) * b): the batch-statistics input gradient of one segment, with
// k = gamma * invstd, a = mean(dy'), b = invstd^2 * mean(dy' * (x - m)) (a = b = 0 in eval mode).
template <typename T>
void seg_dx(T* dx, const T* dy, const T* x, const T* y, int64_t n, T m, T k, T a, T b, bool overwrite) {
    if (y) {
        for (int64_t i = 0; i < n; ++i) {
            const T d = dy[i];  // loaded unconditionally: a conditional load does not vectorise
            const T g = y[i] > T(0) ? d : T(0);
            const T v = k * (g - a - (x[i] - m) * b);
            dx[i] = overwrite ? v : dx[i] + v;
        }
    } else {
        for (int64_t i = 0; i < n; ++i) {
            const T v = k * (dy[i] - a - (x[i] - m) * b);
            dx[i] = overwrite ? v : dx[i] + v;
        }
    }
}

// Statistics and running-stat update of channel c, given its sum and centred sum of squares.
template <typename T>
Affine finish_stats(int64_t c, double n, double mean, double sq, T* save_mean, T* save_invstd, T* running_mean,
                    T* running_var, const T* gamma, const T* beta, double eps, double momentum) {
    const double var = sq / n, invstd = 1.0 / std::sqrt(var + eps);
    save_mean[c] = T(mean);
    save_invstd[c] = T(invstd);
    if (running_mean) running_mean[c] = T((1.0 - momentum) * double(running_mean[c]) + momentum * mean);
    if (running_var) running_var[c] = T((1.0 - momentum) * double(running_var[c]) + momentum * var * n / (n - 1.0));
    return affine_of(mean, invstd, gamma ? double(gamma[c]) : 1.0, beta ? double(beta[c]) : 0.0);
}

}  // namespace

template <typename T>
void forward_train(T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var, const T* x,
                             const T* gamma, const T* beta, int64_t N, int64_t C, int64_t HW, double eps,
                             double momentum, bool relu) {
    const double n = double(N * HW);
    if (HW >= kRowsBelow) {
        parallel_for(C, 3 * N * HW, [&](int64_t cb, int64_t ce) {
            for (int64_t c = cb; c < ce; ++c) {
                double s = 0.0;
                for (int64_t i = 0; i < N; ++i) s += seg_sum(x + (i * C + c) * HW, HW);
                const double mean = s / n;
                double sq = 0.0;
                for (int64_t i = 0; i < N; ++i) sq += seg_centred_squares(x + (i * C + c) * HW, HW, T(mean));
                const Affine a = finish_stats(c, n, mean, sq, save_mean, save_invstd, running_mean, running_var,
                                              gamma, beta, eps, momentum);
                for (int64_t i = 0; i < N; ++i)
                    seg_apply(y + (i * C + c) * HW, x + (i * C + c) * HW, HW, T(a.scale), T(a.shift), relu);
            }
        });
        return;
    }
    // Row layout. Scratch per column (channel c, position h), allocated before the parallel region (an
    // exception inside one would end the process); each block of channels owns its columns.
    const int64_t CH = C * HW, blocks = (C + kRowBlock - 1) / kRowBlock;
    std::unique_ptr<double[]> col(new double[size_t(CH + C)]);
    double* mean_d = col.get() + CH;
    std::unique_ptr<T[]> cm(new T[size_t(2 * CH)]);
    T *scale = cm.get(), *shift = scale + CH;
    parallel_for(blocks, 3 * N * HW * kRowBlock, [&](int64_t bb, int64_t be) {
        for (int64_t blk = bb; blk < be; ++blk) {
            const int64_t c0 = blk * kRowBlock, c1 = std::min(C, c0 + kRowBlock), j0 = c0 * HW, j1 = c1 * HW;
            std::fill(col.get() + j0, col.get() + j1, 0.0);
            for (int64_t i = 0; i < N; ++i) {
                const T* xr = x + i * CH;
                for (int64_t j = j0; j < j1; ++j) col[j] += double(xr[j]);
            }
            for (int64_t c = c0; c < c1; ++c) {
                double s = 0.0;
                for (int64_t h = 0; h < HW; ++h) s += col[c * HW + h];
                mean_d[c] = s / n;
            }
            std::fill(col.get() + j0, col.get() + j1, 0.0);
            for (int64_t i = 0; i < N; ++i) {
                const T* xr = x + i * CH;
                for (int64_t j = j0; j < j1; ++j) {
                    const double d = double(xr[j]) - mean_d[j / HW];
                    col[j] += d * d;
                }
            }
            for (int64_t c = c0; c < c1; ++c) {
                double sq = 0.0;
                for (int64_t h = 0; h < HW; ++h) sq += col[c * HW + h];
                const Affine a = finish_stats(c, n, mean_d[c], sq, save_mean, save_invstd, running_mean,
                                              running_var, gamma, beta, eps, momentum);
                for (int64_t h = 0; h < HW; ++h) {
                    scale[c * HW + h] = T(a.scale);
                    shift[c * HW + h] = T(a.shift);
                }
            }
            for (int64_t i = 0; i < N; ++i) {
                const T* xr = x + i * CH;
                T* yr = y + i * CH;
                for (int64_t j = j0; j < j1; ++j) yr[j] = relu_if(relu, xr[j] * scale[j] + shift[j]);
            }
        }
    });
}

template <typename T>
void forward_eval(T* y, const T* x, const T* running_mean, const T* running_var, const T* gamma,
                            const T* beta, int64_t N, int64_t C, int64_t HW, double eps, bool relu) {
    std::unique_ptr<T[]> scale(new T[size_t(2 * C)]);
    T* shift = scale.get() + C;
    for (int64_t c = 0; c < C; ++c) {
        const Affine a = affine_of(double(running_mean[c]), 1.0 / std::sqrt(double(running_var[c]) + eps),
                                   gamma ? double(gamma[c]) : 1.0, beta ? double(beta[c]) : 0.0);
        scale[c] = T(a.scale);
        shift[c] = T(a.shift);
    }
    if (HW >= kRowsBelow) {
        parallel_for(N * C, HW, [&](int64_t pb, int64_t pe) {
            for (int64_t p = pb; p < pe; ++p)
                seg_apply(y + p * HW, x + p * HW, HW, scale[p % C], shift[p % C], relu);
        });
        return;
    }
    parallel_for(N, C * HW, [&](int64_t ib, int64_t ie) {
        for (int64_t i = ib; i < ie; ++i)
            for (int64_t c = 0; c < C; ++c) {
                const T* xr = x + (i * C + c) * HW;
                T* yr = y + (i * C + c) * HW;
                for (int64_t h = 0; h < HW; ++h) yr[h] = relu_if(relu, xr[h] * scale[c] + shift[c]);
            }
    });
}

template <typename T>
void backward(T* dx, T* dgamma, T* dbeta, const T* dy, const T* x, const T* y_relu, const T* mean,
                        const T* invstd, const T* gamma, int64_t N, int64_t C, int64_t HW, bool batch_stats,
                        bool overwrite_dx) {
    const double n = double(N * HW);
    // The coefficients of dx for channel c from its two sums (see seg_dx).
    auto coefficients = [&](int64_t c, double sdy, double sdyx, T& k, T& a, T& b) {
        const double is = double(invstd[c]);
        k = T((gamma ? double(gamma[c]) : 1.0) * is);
        a = batch_stats ? T(sdy / n) : T(0);
        b = batch_stats ? T(is * is * sdyx / n) : T(0);
        if (dbeta) dbeta[c] += T(sdy);
        if (dgamma) dgamma[c] += T(sdyx * is);
    };
    if (HW >= kRowsBelow) {
        parallel_for(C, 2 * N * HW, [&](int64_t cb, int64_t ce) {
            for (int64_t c = cb; c < ce; ++c) {
                const T m = mean[c];
                double sdy = 0.0, sdyx = 0.0;
                for (int64_t i = 0; i < N; ++i) {
                    const int64_t at = (i * C + c) * HW;
                    seg_grad_sums(dy + at, x + at, y_relu ? y_relu + at : nullptr, HW, m, sdy, sdyx);
                }
                T k, a, b;
                coefficients(c, sdy, sdyx, k, a, b);
                if (!dx) continue;
                for (int64_t i = 0; i < N; ++i) {
                    const int64_t at = (i * C + c) * HW;
                    seg_dx(dx + at, dy + at, x + at, y_relu ? y_relu + at : nullptr, HW, m, k, a, b, overwrite_dx);
                }
            }
        });
        return;
    }
    // Row layout, scratch per column as in the forward pass.
    const int64_t CH = C * HW, blocks = (C + kRowBlock - 1) / kRowBlock;
    std::unique_ptr<double[]> sums(new double[size_t(2 * CH)]);
    double *s0 = sums.get(), *s1 = s0 + CH;
    std::unique_ptr<T[]> coef(new T[size_t(4 * CH)]);
    T *m = coef.get(), *k = m + CH, *a = k + CH, *b = a + CH;
    parallel_for(blocks, 2 * N * HW * kRowBlock, [&](int64_t bb, int64_t be) {
        for (int64_t blk = bb; blk < be; ++blk) {
            const int64_t c0 = blk * kRowBlock, c1 = std::min(C, c0 + kRowBlock), j0 = c0 * HW, j1 = c1 * HW;
            for (int64_t j = j0; j < j1; ++j) m[j] = mean[j / HW], s0[j] = s1[j] = 0.0;
            for (int64_t i = 0; i < N; ++i) {
                const int64_t at = i * CH;
                for (int64_t j = j0; j < j1; ++j) {
                    const T d = dy[at + j];
                    const T g = y_relu ? (y_relu[at + j] > T(0) ? d : T(0)) : d;
                    s0[j] += double(g);
                    s1[j] += double(g) * (double(x[at + j]) - double(m[j]));
                }
            }
            for (int64_t c = c0; c < c1; ++c) {
                double sdy = 0.0, sdyx = 0.0;
                for (int64_t h = 0; h < HW; ++h) sdy += s0[c * HW + h], sdyx += s1[c * HW + h];
                T kc, ac, bc;
                coefficients(c, sdy, sdyx, kc, ac, bc);
                for (int64_t h = 0; h < HW; ++h) k[c * HW + h] = kc, a[c * HW + h] = ac, b[c * HW + h] = bc;
            }
            if (!dx) continue;
            for (int64_t i = 0; i < N; ++i) {
                const int64_t at = i * CH;
                for (int64_t j = j0; j < j1; ++j) {
                    const T d = dy[at + j];
                    const T g = y_relu ? (y_relu[at + j] > T(0) ? d : T(0)) : d;
                    const T v = k[j] * (g - a[j] - (x[at + j] - m[j]) * b[j]);
                    dx[at + j] = overwrite_dx ? v : dx[at + j] + v;
                }
            }
        }
    });
}

#define AX_BN_INSTANTIATE(T)                                                                                     \
    template void forward_train<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t,   \
                                   double, double, bool);                                                          \
    template void forward_eval<T>(T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, \
                                  double, bool);                                                                   \
    template void backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, int64_t,    \
                              int64_t, int64_t, bool, bool);
AX_BN_INSTANTIATE(float)
AX_BN_INSTANTIATE(double)
#undef AX_BN_INSTANTIATE

}  // namespace AX_BN_NS
}  // namespace axonal
