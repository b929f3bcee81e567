// The portable kernels against their naive references, as a plain C++ program with no Python: built for
// another architecture (scripts/check_portable.sh cross-compiles it for aarch64 and runs it under
// qemu-user), it checks that the code paths a CPU without AVX2 takes build and compute the right thing.
// Prints one line per failing case and exits 1 if any failed.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kernels/activation.h"
#include "kernels/batchnorm.h"
#include "kernels/conv2d.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernels/pool2d.h"

using namespace axonal;

namespace {

int failures = 0;
int checks = 0;

template <typename T>
std::vector<T> random_vector(size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    std::vector<T> v(n);
    for (auto& x : v) x = T(dist(rng));
    return v;
}

// |got - want| <= tol * (1 + |want|) everywhere; reports the first mismatch.
template <typename T>
void expect_close(const std::string& what, const std::vector<T>& got, const std::vector<T>& want, double tol) {
    ++checks;
    for (size_t i = 0; i < want.size(); ++i) {
        double g = double(got[i]), w = double(want[i]);
        if (!(std::fabs(g - w) <= tol * (1.0 + std::fabs(w)))) {
            std::printf("FAIL %s: element %zu is %.9g, reference %.9g\n", what.c_str(), i, g, w);
            ++failures;
            return;
        }
    }
}

template <typename T>
double tolerance(int64_t terms) {
    return (sizeof(T) == 4 ? 2e-6 : 1e-14) * double(terms + 8);
}

template <typename T>
void check_gemm(int64_t M, int64_t N, int64_t K, bool ta, bool tb, double alpha, double beta, std::mt19937& rng) {
    // Leading dimensions 3 wider than needed, so that ld is honoured and not assumed.
    const int64_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 3, ldc = N + 3;
    auto A = random_vector<T>(size_t((ta ? K : M) * lda), rng);
    auto B = random_vector<T>(size_t((tb ? N : K) * ldb), rng);
    auto C = random_vector<T>(size_t(M * ldc), rng);
    auto C_ref = C;
    gemm<T>(ta, tb, M, N, K, T(alpha), A.data(), lda, B.data(), ldb, T(beta), C.data(), ldc);
    gemm_reference<T>(ta, tb, M, N, K, T(alpha), A.data(), lda, B.data(), ldb, T(beta), C_ref.data(), ldc);
    expect_close("gemm<" + std::string(sizeof(T) == 4 ? "float" : "double") + "> M=" + std::to_string(M) +
                     " N=" + std::to_string(N) + " K=" + std::to_string(K) + " ta=" + std::to_string(ta) +
                     " tb=" + std::to_string(tb),
                 C, C_ref, tolerance<T>(K));
}

template <typename T>
void check_conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t stride,
                int64_t pad, int64_t dil, std::mt19937& rng, int64_t groups = 1) {
    const int64_t P = conv2d_output_size(H, R, stride, pad, dil), Q = conv2d_output_size(W, S, stride, pad, dil);
    auto x = random_vector<T>(size_t(N * C * H * W), rng);
    auto w = random_vector<T>(size_t(K * (C / groups) * R * S), rng);
    auto b = random_vector<T>(size_t(K), rng);
    auto dy = random_vector<T>(size_t(N * K * P * Q), rng);
    const std::string shape = std::string(sizeof(T) == 4 ? "float" : "double") + " N=" + std::to_string(N) +
                              " C=" + std::to_string(C) + " " + std::to_string(H) + "x" + std::to_string(W) +
                              " K=" + std::to_string(K) + " " + std::to_string(R) + "x" + std::to_string(S) +
                              " stride=" + std::to_string(stride) + " pad=" + std::to_string(pad) +
                              " dil=" + std::to_string(dil) + " groups=" + std::to_string(groups);
    const double tol = tolerance<T>(C * R * S);

    std::vector<T> y(size_t(N * K * P * Q)), y_ref(y.size());
    conv2d_forward<T>(y.data(), x.data(), w.data(), b.data(), N, C, H, W, K, R, S, stride, stride, pad, pad, dil, dil,
                      false, groups);
    conv2d_forward_reference<T>(y_ref.data(), x.data(), w.data(), b.data(), N, C, H, W, K, R, S, stride, stride, pad,
                                pad, dil, dil, false, groups);
    expect_close("conv2d_forward " + shape, y, y_ref, tol);

    std::vector<T> dx(x.size(), T(0)), dx_ref(x.size(), T(0));
    conv2d_backward_input<T>(dx.data(), dy.data(), w.data(), N, C, H, W, K, R, S, stride, stride, pad, pad, dil, dil,
                             groups);
    conv2d_backward_input_reference<T>(dx_ref.data(), dy.data(), w.data(), N, C, H, W, K, R, S, stride, stride, pad,
                                       pad, dil, dil, groups);
    expect_close("conv2d_backward_input " + shape, dx, dx_ref, tolerance<T>(K * R * S));

    std::vector<T> dw(w.size(), T(0)), dw_ref(w.size(), T(0)), db(size_t(K), T(0)), db_ref(size_t(K), T(0));
    conv2d_backward_weight<T>(dw.data(), db.data(), dy.data(), x.data(), N, C, H, W, K, R, S, stride, stride, pad, pad,
                              dil, dil, groups);
    conv2d_backward_weight_reference<T>(dw_ref.data(), db_ref.data(), dy.data(), x.data(), N, C, H, W, K, R, S, stride,
                                        stride, pad, pad, dil, dil, groups);
    expect_close("conv2d_backward_weight " + shape, dw, dw_ref, tolerance<T>(N * P * Q));
    expect_close("conv2d_backward_bias " + shape, db, db_ref, tolerance<T>(N * P * Q));
}

template <typename T>
void check_pool(int64_t N, int64_t C, int64_t H, int64_t W, int64_t k, int64_t stride, int64_t pad, std::mt19937& rng) {
    const int64_t P = pool2d_out_size(H, k, stride, pad), Q = pool2d_out_size(W, k, stride, pad);
    const std::string shape = "N=" + std::to_string(N) + " C=" + std::to_string(C) + " " + std::to_string(H) + "x" +
                              std::to_string(W) + " k=" + std::to_string(k) + " stride=" + std::to_string(stride) +
                              " pad=" + std::to_string(pad);
    auto x = random_vector<T>(size_t(N * C * H * W), rng);
    auto dy = random_vector<T>(size_t(N * C * P * Q), rng);
    std::vector<T> y(dy.size()), y_ref(dy.size());
    std::vector<int32_t> arg(dy.size()), arg_ref(dy.size());
    max_pool2d_forward<T>(y.data(), arg.data(), x.data(), N, C, H, W, k, k, stride, stride, pad, pad);
    max_pool2d_forward_reference<T>(y_ref.data(), arg_ref.data(), x.data(), N, C, H, W, k, k, stride, stride, pad, pad);
    expect_close("max_pool2d_forward " + shape, y, y_ref, 0.0);
    ++checks;
    if (arg != arg_ref) {
        std::printf("FAIL max_pool2d_forward argmax %s\n", shape.c_str());
        ++failures;
    }
    std::vector<T> dx(x.size(), T(0)), dx_ref(x.size(), T(0));
    max_pool2d_backward<T>(dx.data(), dy.data(), arg_ref.data(), N, C, H, W, P, Q);
    max_pool2d_backward_reference<T>(dx_ref.data(), dy.data(), arg_ref.data(), N, C, H, W, P, Q);
    expect_close("max_pool2d_backward " + shape, dx, dx_ref, tolerance<T>(k * k));

    for (bool include_pad : {true, false}) {
        const std::string what = shape + (include_pad ? " count_include_pad" : "");
        avg_pool2d_forward<T>(y.data(), x.data(), N, C, H, W, k, k, stride, stride, pad, pad, include_pad);
        avg_pool2d_forward_reference<T>(y_ref.data(), x.data(), N, C, H, W, k, k, stride, stride, pad, pad,
                                        include_pad);
        expect_close("avg_pool2d_forward " + what, y, y_ref, tolerance<T>(k * k));
        std::fill(dx.begin(), dx.end(), T(0));
        std::fill(dx_ref.begin(), dx_ref.end(), T(0));
        avg_pool2d_backward<T>(dx.data(), dy.data(), N, C, H, W, k, k, stride, stride, pad, pad, include_pad);
        avg_pool2d_backward_reference<T>(dx_ref.data(), dy.data(), N, C, H, W, k, k, stride, stride, pad, pad,
                                         include_pad);
        expect_close("avg_pool2d_backward " + what, dx, dx_ref, tolerance<T>(k * k));
    }
}

// Batch norm (training with running statistics, ReLU, backward), the residual add + ReLU and adaptive
// average pooling, fast against reference.
template <typename T>
void check_resnet_layers(int64_t N, int64_t C, int64_t HW, std::mt19937& rng) {
    const std::string shape = "N=" + std::to_string(N) + " C=" + std::to_string(C) + " HW=" + std::to_string(HW);
    const size_t n = size_t(N * C * HW);
    auto x = random_vector<T>(n, rng), dy = random_vector<T>(n, rng), other = random_vector<T>(n, rng);
    auto gamma = random_vector<T>(size_t(C), rng), beta = random_vector<T>(size_t(C), rng);
    const size_t nc = size_t(C);
    std::vector<T> rm(nc, T(0.5)), rv(nc, T(2)), rm_ref = rm, rv_ref = rv;
    std::vector<T> y(n), y_ref(n), mean(nc), mean_ref(nc), inv(nc), inv_ref(nc);
    batchnorm_forward_train<T>(y.data(), mean.data(), inv.data(), rm.data(), rv.data(), x.data(), gamma.data(),
                               beta.data(), N, C, HW, 1e-5, 0.1, true);
    batchnorm_forward_train_reference<T>(y_ref.data(), mean_ref.data(), inv_ref.data(), rm_ref.data(), rv_ref.data(),
                                         x.data(), gamma.data(), beta.data(), N, C, HW, 1e-5, 0.1, true);
    expect_close("batchnorm_forward_train " + shape, y, y_ref, tolerance<T>(N * HW));
    expect_close("batchnorm running_var " + shape, rv, rv_ref, tolerance<T>(N * HW));
    std::vector<T> dx(n, T(0)), dx_ref(n, T(0)), dg(nc, T(0)), dg_ref(nc, T(0)), db(nc, T(0)), db_ref(nc, T(0));
    batchnorm_backward<T>(dx.data(), dg.data(), db.data(), dy.data(), x.data(), y.data(), mean.data(), inv.data(),
                          gamma.data(), N, C, HW, true);
    batchnorm_backward_reference<T>(dx_ref.data(), dg_ref.data(), db_ref.data(), dy.data(), x.data(), y.data(),
                                    mean.data(), inv.data(), gamma.data(), N, C, HW, true);
    expect_close("batchnorm_backward dx " + shape, dx, dx_ref, tolerance<T>(N * HW) * 10);
    expect_close("batchnorm_backward dgamma " + shape, dg, dg_ref, tolerance<T>(N * HW));
    batchnorm_forward_eval<T>(y.data(), x.data(), rm.data(), rv.data(), gamma.data(), beta.data(), N, C, HW, 1e-5, false);
    batchnorm_forward_eval_reference<T>(y_ref.data(), x.data(), rm.data(), rv.data(), gamma.data(), beta.data(), N, C,
                                        HW, 1e-5, false);
    expect_close("batchnorm_forward_eval " + shape, y, y_ref, tolerance<T>(1));

    add_relu_forward<T>(y.data(), x.data(), other.data(), int64_t(n));
    add_relu_forward_reference<T>(y_ref.data(), x.data(), other.data(), int64_t(n));
    expect_close("add_relu_forward " + shape, y, y_ref, 0.0);
    std::fill(dx.begin(), dx.end(), T(1));
    std::fill(dx_ref.begin(), dx_ref.end(), T(1));
    std::vector<T> d2(n, T(0)), d2_ref(n, T(0));
    add_relu_backward<T>(dx.data(), d2.data(), dy.data(), y.data(), int64_t(n), true);
    add_relu_backward_reference<T>(dx_ref.data(), d2_ref.data(), dy.data(), y_ref.data(), int64_t(n), true);
    expect_close("add_relu_backward " + shape, dx, dx_ref, 0.0);
    expect_close("add_relu_backward b " + shape, d2, d2_ref, 0.0);

    if (HW < 4) return;
    const int64_t H = HW / 2 > 1 ? 2 : 1, W = HW / H;  // a plane of H x W (HW may be odd)
    const size_t plane_n = size_t(N * C * H * W);
    for (int64_t o : {1, 3}) {
        std::vector<T> out(size_t(N * C * o * o)), out_ref(out.size());
        adaptive_avg_pool2d_forward<T>(out.data(), x.data(), N, C, H, W, o, o);
        adaptive_avg_pool2d_forward_reference<T>(out_ref.data(), x.data(), N, C, H, W, o, o);
        expect_close("adaptive_avg_pool2d_forward " + shape + " out=" + std::to_string(o), out, out_ref,
                     tolerance<T>(HW));
        std::vector<T> gi(plane_n, T(0)), gi_ref(plane_n, T(0));
        adaptive_avg_pool2d_backward<T>(gi.data(), out.data(), N, C, H, W, o, o);
        adaptive_avg_pool2d_backward_reference<T>(gi_ref.data(), out.data(), N, C, H, W, o, o);
        expect_close("adaptive_avg_pool2d_backward " + shape + " out=" + std::to_string(o), gi, gi_ref, tolerance<T>(4));
    }
}

template <typename T>
void check_all(std::mt19937& rng) {
    // Sizes below, at and past the register tiles and the cache blocks, primes included.
    const int64_t sizes[][3] = {{1, 1, 1},     {2, 3, 5},      {7, 17, 13},    {16, 16, 16},  {37, 41, 43},
                                {64, 64, 64},  {97, 130, 101}, {130, 9, 300},  {5, 300, 129}, {300, 200, 7},
                                {128, 10, 64}, {64, 256, 784}, {200, 130, 520}};
    for (const auto& s : sizes)
        for (int t = 0; t < 4; ++t) check_gemm<T>(s[0], s[1], s[2], t & 1, t & 2, 1.0, 0.0, rng);
    for (int t = 0; t < 4; ++t) {
        check_gemm<T>(33, 29, 31, t & 1, t & 2, -0.5, 2.0, rng);
        check_gemm<T>(33, 29, 31, t & 1, t & 2, 1.5, 1.0, rng);
        check_gemm<T>(33, 29, 0, t & 1, t & 2, 1.0, 0.5, rng);  // K = 0: C = beta * C
    }
    check_conv<T>(2, 1, 28, 28, 8, 3, 3, 1, 1, 1, rng);
    check_conv<T>(2, 8, 14, 14, 16, 3, 3, 1, 1, 1, rng);
    check_conv<T>(2, 8, 14, 14, 16, 5, 5, 1, 2, 1, rng);
    check_conv<T>(3, 5, 11, 9, 7, 3, 2, 2, 1, 1, rng);
    check_conv<T>(2, 4, 12, 12, 6, 3, 3, 1, 2, 2, rng);
    check_conv<T>(1, 3, 7, 7, 4, 1, 1, 1, 0, 1, rng);
    check_conv<T>(2, 6, 9, 9, 6, 3, 3, 1, 1, 1, rng, 6);  // depthwise
    check_conv<T>(2, 4, 11, 9, 8, 3, 3, 2, 1, 1, rng, 4);  // depthwise, multiplier 2, stride 2
    check_conv<T>(2, 8, 10, 10, 12, 3, 3, 1, 1, 2, rng, 4);  // grouped, dilated
    check_resnet_layers<T>(7, 3, 1, rng);
    check_resnet_layers<T>(3, 65, 5, rng);
    check_resnet_layers<T>(4, 5, 36, rng);
    check_pool<T>(2, 3, 28, 28, 2, 2, 0, rng);
    check_pool<T>(2, 3, 13, 11, 3, 2, 1, rng);
    check_pool<T>(1, 2, 9, 9, 3, 1, 1, rng);
}

}  // namespace

int main() {
    std::mt19937 rng(1234);
    for (int threads : {1, 2, 3}) {
        set_num_threads(threads);
        check_all<float>(rng);
        check_all<double>(rng);
    }
    std::printf("%s: %d checks, %d failed (gemm kernel: %s)\n", failures ? "FAILED" : "ok", checks, failures,
                gemm_kernel_name());
    return failures ? 1 : 0;
}
