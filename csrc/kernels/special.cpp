#include "kernels/special.h"

#include <cmath>
#include <limits>

#include "kernels/parallel.h"

namespace axonal {
namespace {
// Giles' single-precision erfinv: two polynomials in w = -log((1 - y)(1 + y)), for the centre and the tails.
double erfinv_initial(double y) {
    double w = -std::log((1.0 - y) * (1.0 + y));
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
        w = std::sqrt(w) - 3.0;
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
    return p * y;
}

// Elementwise work costs ~20 ns per value (a libm call): split across threads above ~1500 values.
constexpr int64_t kCostPerValue = 20;

template <typename T, typename F>
void map(T* out, const T* inp, int64_t n, F f) {
    parallel_for(n, kCostPerValue, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = T(f(double(inp[i])));
    });
}
}  // namespace

double erfinv_scalar(double y) {
    if (std::isnan(y) || y < -1.0 || y > 1.0) return std::numeric_limits<double>::quiet_NaN();
    if (y == 1.0) return std::numeric_limits<double>::infinity();
    if (y == -1.0) return -std::numeric_limits<double>::infinity();
    // On |y|, the sign restored at the end (erfinv is odd). Newton on erf(x) - a up to a = 0.5, its derivative
    // 2/sqrt(pi) exp(-x^2). Past 0.5, Newton on log erfc(x) - log(1 - a) instead: 1 - a is exact there,
    // while erf(x) - a near 1 cancels to a few ulps of 1 and stalls Newton far from the root, and in log space
    // the exponential tail is nearly quadratic, so Newton converges from the single-precision guess even where
    // that guess is poor (erfinv(1 - 2^-52) came out 5.415 instead of 5.805; found by
    // tests/test_property_kernels.py).
    const double a = std::fabs(y);
    double x = erfinv_initial(a);
    const double two_over_sqrt_pi = 1.1283791670955126;
    const double log_tail = a > 0.5 ? std::log(1.0 - a) : 0.0;
    for (int step = 0; step < 4; ++step) {
        const double slope = two_over_sqrt_pi * std::exp(-x * x);
        if (slope == 0.0) break;  // x > ~27: erf(x) is 1 to double precision already
        if (a > 0.5) {
            const double tail = std::erfc(x);
            if (tail == 0.0) break;
            x += (std::log(tail) - log_tail) * tail / slope;
        } else {
            x -= (std::erf(x) - a) / slope;
        }
    }
    return std::copysign(x, y);
}

template <typename T>
void erf_forward(T* out, const T* inp, int64_t n) {
    map(out, inp, n, [](double v) { return std::erf(v); });
}

template <typename T>
void erfc_forward(T* out, const T* inp, int64_t n) {
    map(out, inp, n, [](double v) { return std::erfc(v); });
}

template <typename T>
void erfinv_forward(T* out, const T* inp, int64_t n) {
    map(out, inp, n, erfinv_scalar);
}

template <typename T>
void erfinv_forward_reference(T* out, const T* inp, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = T(erfinv_scalar(double(inp[i])));
}

#define AXONAL_SPECIAL(T)                                                   \
    template void erf_forward<T>(T*, const T*, int64_t);                  \
    template void erfc_forward<T>(T*, const T*, int64_t);                 \
    template void erfinv_forward<T>(T*, const T*, int64_t);               \
    template void erfinv_forward_reference<T>(T*, const T*, int64_t);
AXONAL_SPECIAL(float)
AXONAL_SPECIAL(double)
#undef AXONAL_SPECIAL
}  // namespace axonal
