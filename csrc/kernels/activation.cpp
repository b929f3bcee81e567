// Fused activation and loss kernels; shapes and semantics are documented in activation.h.
// The elementwise loops are branch-free selects the compiler vectorises; large arrays are split into
// blocks across threads (they are memory-bound, so a second thread helps only on big arrays). The
// softmax-cross-entropy kernel runs rows in parallel and sums the per-row losses serially afterwards,
// so its results do not depend on the thread count.
#include "kernels/activation.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/parallel.h"

namespace axonal {
namespace {

// Elements per work item: big enough that a block amortises the scheduling, small enough that two
// threads share a 1.6M-element activation evenly.
constexpr int64_t kBlock = 16384;

template <typename F>
void for_blocks(int64_t n, F f) {
    int64_t blocks = (n + kBlock - 1) / kBlock;
    // cost_per_item kBlock / 8: elementwise work is cheap, so a team is woken only from ~256k elements on.
    parallel_for(blocks, kBlock / 8, [&](int64_t b0, int64_t b1) {
        int64_t begin = b0 * kBlock, end = std::min(n, b1 * kBlock);
        f(begin, end);
    });
}

// numpy.maximum(v, 0) exactly: NaN passes, -0.0 becomes +0.0. A compare pair and a blend when vectorised.
template <typename T>
inline T relu1(T v) {
    return (v > T(0) || v != v) ? v : T(0);
}

}  // namespace

// ---------------------------------------------------------------- ReLU

template <typename T>
void relu_forward(T* out, const T* inp, int64_t n) {
    for_blocks(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = relu1(inp[i]);
    });
}

template <typename T>
void relu_forward_reference(T* out, const T* inp, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        T v = inp[i];
        if (std::isnan(v))
            out[i] = v;
        else
            out[i] = v > T(0) ? v : T(0);
    }
}

// Two vectorisable loops. The mask multiplies (1 or 0) rather than selects, to keep NumPy's result for a
// NaN or inf gradient where out <= 0. Written with a local mask variable and no __restrict: GCC turned
// `dout[i] * T(out[i] > 0)` into a branch per element (g * 1 == g), which did not vectorise and
// mispredicted on random signs (30x slower than this form).
template <typename T>
void relu_backward_block(T* dinp, const T* dout, const T* out, int64_t b, int64_t e, bool accumulate) {
    if (accumulate) {
        for (int64_t i = b; i < e; ++i) {
            T mask = out[i] > T(0) ? T(1) : T(0);
            dinp[i] = dinp[i] + dout[i] * mask;
        }
    } else {
        for (int64_t i = b; i < e; ++i) {
            T mask = out[i] > T(0) ? T(1) : T(0);
            dinp[i] = dout[i] * mask;
        }
    }
}

template <typename T>
void relu_backward(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate) {
    // dinp may be dout itself (the binding allows exact aliasing): each element is read before it is written.
    for_blocks(n, [&](int64_t b, int64_t e) { relu_backward_block(dinp, dout, out, b, e, accumulate); });
}

template <typename T>
void relu_backward_reference(T* dinp, const T* dout, const T* out, int64_t n, bool accumulate) {
    for (int64_t i = 0; i < n; ++i) {
        T mask = out[i] > T(0) ? T(1) : T(0);
        T g = dout[i] * mask;
        dinp[i] = accumulate ? dinp[i] + g : g;
    }
}

// ---------------------------------------------------------------- residual add + ReLU

template <typename T>
void add_relu_forward(T* out, const T* a, const T* b, int64_t n) {
    for_blocks(n, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) out[i] = relu1(T(a[i] + b[i]));
    });
}

template <typename T>
void add_relu_forward_reference(T* out, const T* a, const T* b, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
        T v = a[i] + b[i];
        out[i] = (std::isnan(v) || v > T(0)) ? v : T(0);
    }
}

// The masked gradient once, into both branches (relu_backward_block's loop form, see there).
template <typename T>
void add_relu_backward(T* da, T* db, const T* dout, const T* out, int64_t n, bool accumulate) {
    if (!da && !db) return;
    if (!da || !db) {
        relu_backward(da ? da : db, dout, out, n, accumulate);
        return;
    }
    for_blocks(n, [&](int64_t s, int64_t e) {
        if (accumulate) {
            for (int64_t i = s; i < e; ++i) {
                const T g = dout[i] * (out[i] > T(0) ? T(1) : T(0));
                da[i] = da[i] + g;
                db[i] = db[i] + g;
            }
        } else {
            for (int64_t i = s; i < e; ++i) {
                const T g = dout[i] * (out[i] > T(0) ? T(1) : T(0));
                da[i] = g;
                db[i] = g;
            }
        }
    });
}

template <typename T>
void add_relu_backward_reference(T* da, T* db, const T* dout, const T* out, int64_t n, bool accumulate) {
    for (int64_t i = 0; i < n; ++i) {
        T mask = out[i] > T(0) ? T(1) : T(0);
        T g = dout[i] * mask;
        if (da) da[i] = accumulate ? da[i] + g : g;
        if (db) db[i] = accumulate ? db[i] + g : g;
    }
}

template <typename T>
void bias_relu_forward(T* y, const T* bias, int64_t M, int64_t N) {
    parallel_for(M, N, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m) {
            T* row = y + m * N;
            for (int64_t j = 0; j < N; ++j) row[j] = relu1(T(row[j] + bias[j]));
        }
    });
}

template <typename T>
void bias_relu_forward_reference(T* y, const T* bias, int64_t M, int64_t N) {
    for (int64_t m = 0; m < M; ++m)
        for (int64_t j = 0; j < N; ++j) {
            T v = y[m * N + j] + bias[j];
            y[m * N + j] = (std::isnan(v) || v > T(0)) ? v : T(0);
        }
}

// ---------------------------------------------------------------- softmax + cross-entropy

int64_t softmax_cross_entropy_check_targets(const int64_t* target, int64_t M, int64_t C, int64_t ignore_index) {
    for (int64_t m = 0; m < M; ++m) {
        int64_t t = target[m];
        if (t != ignore_index && (t < 0 || t >= C)) return m;
    }
    return -1;
}

namespace {

// One row: writes loss[m] (and the dlogits row when wanted). The exponentials are taken once, in T (the
// dlogits row holds them until the end), and summed in double.
template <typename T>
void xent_row(T* loss, T* drow, const T* row, int64_t t, bool valid, const T* weight, int64_t C, double smoothing,
              double wsum_all) {
    if (!valid) {
        *loss = T(0);
        if (drow) std::fill(drow, drow + C, T(0));
        return;
    }
    T mx = row[0];
    for (int64_t c = 1; c < C; ++c) mx = row[c] > mx ? row[c] : mx;
    double se = 0;
    if (drow) {
        for (int64_t c = 0; c < C; ++c) {
            T e = std::exp(row[c] - mx);
            drow[c] = e;
            se += double(e);
        }
    } else {
        for (int64_t c = 0; c < C; ++c) se += double(std::exp(row[c] - mx));
    }
    const double lse = double(mx) + std::log(se);
    const double hot = (1.0 - smoothing) * (weight ? double(weight[t]) : 1.0);  // q's one-hot part
    const double spread = smoothing / double(C);                               // q's uniform part, times w[c]
    double l = -hot * (double(row[t]) - lse);
    if (smoothing != 0) {
        double acc = 0;
        for (int64_t c = 0; c < C; ++c) acc += (weight ? double(weight[c]) : 1.0) * (double(row[c]) - lse);
        l -= spread * acc;
    }
    *loss = T(l);
    if (!drow) return;
    const double scale = (hot + spread * wsum_all) / se;  // sum_c q[c] times the softmax normaliser
    for (int64_t c = 0; c < C; ++c) {
        double q = spread * (weight ? double(weight[c]) : 1.0) + (c == t ? hot : 0.0);
        drow[c] = T(double(drow[c]) * scale - q);
    }
}

template <typename T>
double all_weights(const T* weight, int64_t C) {
    if (!weight) return double(C);
    double s = 0;
    for (int64_t c = 0; c < C; ++c) s += double(weight[c]);
    return s;
}

template <typename T>
void finish(const T* loss, const int64_t* target, const T* weight, int64_t M, int64_t ignore_index,
            double* loss_sum, double* weight_sum) {
    double ls = 0, ws = 0;
    for (int64_t m = 0; m < M; ++m) {
        ls += double(loss[m]);
        if (target[m] != ignore_index) ws += weight ? double(weight[target[m]]) : 1.0;
    }
    *loss_sum = ls;
    *weight_sum = ws;
}

}  // namespace

template <typename T>
void softmax_cross_entropy(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight, int64_t M,
                           int64_t C, int64_t ignore_index, double smoothing, double* loss_sum, double* weight_sum) {
    const double wsum_all = all_weights(weight, C);
    parallel_for(M, 8 * C, [&](int64_t m0, int64_t m1) {
        for (int64_t m = m0; m < m1; ++m) {
            int64_t t = target[m];
            bool valid = t != ignore_index;
            xent_row(loss + m, dlogits ? dlogits + m * C : nullptr, logits + m * C, valid ? t : 0, valid, weight, C,
                     smoothing, wsum_all);
        }
    });
    finish(loss, target, weight, M, ignore_index, loss_sum, weight_sum);
}

template <typename T>
void softmax_cross_entropy_reference(T* loss, T* dlogits, const T* logits, const int64_t* target, const T* weight,
                                     int64_t M, int64_t C, int64_t ignore_index, double smoothing, double* loss_sum,
                                     double* weight_sum) {
    // The definition, spelled out: q, log_softmax, the loss and the gradient as separate row passes.
    std::vector<double> q(static_cast<size_t>(C)), logp(static_cast<size_t>(C));
    for (int64_t m = 0; m < M; ++m) {
        const T* row = logits + m * C;
        int64_t t = target[m];
        bool valid = t != ignore_index;
        for (int64_t c = 0; c < C; ++c) {
            double w = weight ? double(weight[c]) : 1.0;
            q[c] = valid ? smoothing / double(C) * w : 0.0;
        }
        if (valid) q[t] += (1.0 - smoothing) * (weight ? double(weight[t]) : 1.0);
        double mx = row[0];
        for (int64_t c = 1; c < C; ++c)
            if (double(row[c]) > mx) mx = double(row[c]);
        double se = 0;
        for (int64_t c = 0; c < C; ++c) se += std::exp(double(row[c]) - mx);
        double qsum = 0, l = 0;
        for (int64_t c = 0; c < C; ++c) {
            logp[c] = double(row[c]) - mx - std::log(se);
            qsum += q[c];
            l -= q[c] * logp[c];
        }
        loss[m] = T(l);
        if (dlogits)
            for (int64_t c = 0; c < C; ++c) dlogits[m * C + c] = T(std::exp(logp[c]) * qsum - q[c]);
    }
    finish(loss, target, weight, M, ignore_index, loss_sum, weight_sum);
}

#define AXONAL_INSTANTIATE(T)                                                                                       \
    template void relu_forward<T>(T*, const T*, int64_t);                                                         \
    template void relu_forward_reference<T>(T*, const T*, int64_t);                                               \
    template void relu_backward<T>(T*, const T*, const T*, int64_t, bool);                                        \
    template void relu_backward_reference<T>(T*, const T*, const T*, int64_t, bool);                              \
    template void add_relu_forward<T>(T*, const T*, const T*, int64_t);                                           \
    template void add_relu_forward_reference<T>(T*, const T*, const T*, int64_t);                                 \
    template void add_relu_backward<T>(T*, T*, const T*, const T*, int64_t, bool);                                \
    template void add_relu_backward_reference<T>(T*, T*, const T*, const T*, int64_t, bool);                      \
    template void bias_relu_forward<T>(T*, const T*, int64_t, int64_t);                                           \
    template void bias_relu_forward_reference<T>(T*, const T*, int64_t, int64_t);                                 \
    template void softmax_cross_entropy<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, int64_t, \
                                           double, double*, double*);                                             \
    template void softmax_cross_entropy_reference<T>(T*, T*, const T*, const int64_t*, const T*, int64_t, int64_t, \
                                                     int64_t, double, double*, double*);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace axonal
