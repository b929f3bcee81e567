// Bindings of pool2d.cu, activation.cu and softmax_xent.cu.
#include "cuda/binding/args.h"

namespace axonal {
namespace cuda_binding {
namespace {

struct PoolArgs {
    int64_t P, Q;
    std::string ctx;
};

// csrc/kernels/pool2d.h's preconditions: sizes >= 1 (N and C may be 0), 0 <= pad <= kernel / 2, an
// output of at least 1 x 1, planes of at most INT32_MAX cells (argmax is int32).
PoolArgs pool_args(const std::string& op, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                   int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
    PoolArgs a{0, 0,
               cat("input ", shape_str({N, C, H, W}), ", kernel (", kh, ", ", kw, "), stride (", sh, ", ", sw,
                   "), padding (", ph, ", ", pw, ")")};
    require_min(op, "N", N, 0, a.ctx);
    require_min(op, "C", C, 0, a.ctx);
    for (auto [name, v] : {std::pair<const char*, int64_t>{"H", H}, {"W", W}, {"kernel height", kh},
                           {"kernel width", kw}, {"stride_h", sh}, {"stride_w", sw}}) {
        require_min(op, name, v, 1, a.ctx);
        require_max(op, name, v, kMaxGeometry, a.ctx);
    }
    require_min(op, "pad_h", ph, 0, a.ctx);
    require_min(op, "pad_w", pw, 0, a.ctx);
    if (ph > kh / 2 || pw > kw / 2)
        fail_value(op, "padding must be at most half the kernel size (", a.ctx, ")");
    if (H * W > INT32_MAX) fail_value(op, "planes of more than 2^31 - 1 cells are not supported (", a.ctx, ")");
    a.P = (H + 2 * ph - kh) < 0 ? 0 : (H + 2 * ph - kh) / sh + 1;
    a.Q = (W + 2 * pw - kw) < 0 ? 0 : (W + 2 * pw - kw) / sw + 1;
    if (a.P < 1 || a.Q < 1) fail_value(op, "the output would be ", a.P, " x ", a.Q, " (", a.ctx, ")");
    require_elements(op, "the input", {N, C, H, W}, a.ctx);
    return a;
}

void max_pool2d_forward_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t argmax, std::uintptr_t inp,
                           int64_t N, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                           int64_t ph, int64_t pw, std::uintptr_t stream) {
    const std::string op = "max_pool2d";
    const DT dt = dtype_arg(op, dtype);
    pool_args(op, N, C, H, W, kh, kw, sh, sw, ph, pw);
    if (N * C == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::max_pool2d_forward<T>(ptr_arg<T>(op, "out", out), ptr_arg<int32_t>(op, "argmax", argmax),
                                    ptr_arg<const T>(op, "inp", inp), N, C, H, W, kh, kw, sh, sw, ph, pw,
                                    stream_arg(stream));
    });
}

// argmax values are the forward's (each in [0, H*W)); they live on the device, so they are not checked.
void max_pool2d_backward_py(const std::string& dtype, std::uintptr_t dinp, std::uintptr_t dout, std::uintptr_t argmax,
                            int64_t N, int64_t C, int64_t H, int64_t W, int64_t P, int64_t Q, std::uintptr_t stream) {
    const std::string op = "max_pool2d_backward";
    const DT dt = dtype_arg(op, dtype);
    const std::string ctx = cat("input ", shape_str({N, C, H, W}), ", output ", shape_str({N, C, P, Q}));
    require_min(op, "N", N, 0, ctx);
    require_min(op, "C", C, 0, ctx);
    for (auto [name, v] : {std::pair<const char*, int64_t>{"H", H}, {"W", W}, {"P", P}, {"Q", Q}}) {
        require_min(op, name, v, 1, ctx);
        require_max(op, name, v, kMaxGeometry, ctx);
    }
    if (H * W > INT32_MAX) fail_value(op, "planes of more than 2^31 - 1 cells are not supported (", ctx, ")");
    require_elements(op, "the input", {N, C, H, W}, ctx);
    require_elements(op, "the output", {N, C, P, Q}, ctx);
    if (N * C == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::max_pool2d_backward<T>(ptr_arg<T>(op, "dinp", dinp), ptr_arg<const T>(op, "dout", dout),
                                     ptr_arg<const int32_t>(op, "argmax", argmax), N, C, H, W, P, Q, stream_arg(stream));
    });
}

void avg_pool2d_forward_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t N, int64_t C,
                           int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                           bool cip, std::uintptr_t stream) {
    const std::string op = "avg_pool2d";
    const DT dt = dtype_arg(op, dtype);
    pool_args(op, N, C, H, W, kh, kw, sh, sw, ph, pw);
    if (N * C == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::avg_pool2d_forward<T>(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "inp", inp), N, C, H, W, kh, kw,
                                    sh, sw, ph, pw, cip, stream_arg(stream));
    });
}

void avg_pool2d_backward_py(const std::string& dtype, std::uintptr_t dinp, std::uintptr_t dout, int64_t N, int64_t C,
                            int64_t H, int64_t W, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                            int64_t pw, bool cip, std::uintptr_t stream) {
    const std::string op = "avg_pool2d_backward";
    const DT dt = dtype_arg(op, dtype);
    pool_args(op, N, C, H, W, kh, kw, sh, sw, ph, pw);
    if (N * C == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::avg_pool2d_backward<T>(ptr_arg<T>(op, "dinp", dinp), ptr_arg<const T>(op, "dout", dout), N, C, H, W, kh,
                                     kw, sh, sw, ph, pw, cip, stream_arg(stream));
    });
}

void require_count(const std::string& op, const char* name, int64_t n) {
    require_min(op, name, n, 0, "");
    require_max(op, name, n, kMaxElements, "");
}

void relu_forward_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t n, std::uintptr_t stream) {
    const std::string op = "relu";
    const DT dt = dtype_arg(op, dtype);
    require_count(op, "n", n);
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::relu_forward<T>(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "inp", inp), n, stream_arg(stream));
    });
}

void relu_backward_py(const std::string& dtype, std::uintptr_t dinp, std::uintptr_t dout, std::uintptr_t out, int64_t n,
                      bool accumulate, std::uintptr_t stream) {
    const std::string op = "relu_backward";
    const DT dt = dtype_arg(op, dtype);
    require_count(op, "n", n);
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::relu_backward<T>(ptr_arg<T>(op, "dinp", dinp), ptr_arg<const T>(op, "dout", dout),
                               ptr_arg<const T>(op, "out", out), n, accumulate, stream_arg(stream));
    });
}

void bias_relu_forward_py(const std::string& dtype, std::uintptr_t y, std::uintptr_t bias, int64_t M, int64_t N,
                          bool relu, std::uintptr_t stream) {
    const std::string op = "bias_relu";
    const DT dt = dtype_arg(op, dtype);
    const std::string ctx = cat("y ", shape_str({M, N}), ", bias ", shape_str({N}));
    require_min(op, "M", M, 0, ctx);
    require_min(op, "N", N, 0, ctx);
    require_elements(op, "y", {M, N}, ctx);
    if (M * N == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::bias_relu_forward<T>(ptr_arg<T>(op, "y", y), ptr_arg<const T>(op, "bias", bias), M, N, relu,
                                   stream_arg(stream));
    });
}

void add_relu_forward_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t a, std::uintptr_t b, int64_t n,
                         std::uintptr_t stream) {
    const std::string op = "add_relu";
    const DT dt = dtype_arg(op, dtype);
    require_count(op, "n", n);
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::add_relu_forward<T>(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "a", a), ptr_arg<const T>(op, "b", b),
                                  n, stream_arg(stream));
    });
}

void fill_py(const std::string& dtype, std::uintptr_t out, int64_t n, double value, std::uintptr_t stream) {
    const std::string op = "fill";
    const DT dt = dtype_arg(op, dtype);
    require_count(op, "n", n);
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::fill<T>(ptr_arg<T>(op, "out", out), n, value, stream_arg(stream));
    });
}

// erf / erfc / erfinv: out[i] = f(inp[i]) for n values.
template <void (*Kernel_f)(float*, const float*, int64_t, cudaStream_t),
          void (*Kernel_d)(double*, const double*, int64_t, cudaStream_t)>
void special_py(const char* op_name, const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t n,
                std::uintptr_t stream) {
    const std::string op = op_name;
    const DT dt = dtype_arg(op, dtype);
    require_count(op, "n", n);
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        if constexpr (std::is_same_v<T, float>)
            Kernel_f(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "inp", inp), n, stream_arg(stream));
        else
            Kernel_d(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "inp", inp), n, stream_arg(stream));
    });
}

void softmax_cross_entropy_py(const std::string& dtype, std::uintptr_t loss, std::uintptr_t dlogits,
                              std::uintptr_t logits, std::uintptr_t target, std::uintptr_t weight, int64_t M, int64_t C,
                              int64_t ignore_index, double smoothing, std::uintptr_t sums, std::uintptr_t stream) {
    const std::string op = "cross_entropy";
    const DT dt = dtype_arg(op, dtype);
    const std::string ctx = cat("logits ", shape_str({M, C}), ", target ", shape_str({M}));
    require_min(op, "M", M, 0, ctx);
    require_min(op, "C", C, 1, ctx);
    require_elements(op, "logits", {M, C}, ctx);
    if (!(smoothing >= 0.0 && smoothing <= 1.0))
        fail_value(op, "label_smoothing must be in [0, 1], got ", smoothing, " (", ctx, ")");
    const bool rows = M > 0;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::softmax_cross_entropy<T>(ptr_arg<T>(op, "loss", loss, !rows), ptr_arg<T>(op, "dlogits", dlogits, true),
                                       ptr_arg<const T>(op, "logits", logits, !rows),
                                       ptr_arg<const int64_t>(op, "target", target, !rows),
                                       ptr_arg<const T>(op, "weight", weight, true), M, C, ignore_index, smoothing,
                                       ptr_arg<double>(op, "sums", sums), stream_arg(stream));
    });
}

void check_targets_py(std::uintptr_t target, int64_t M, int64_t C, int64_t ignore_index, std::uintptr_t result,
                      std::uintptr_t stream) {
    const std::string op = "cross_entropy";
    const std::string ctx = cat("target ", shape_str({M}), ", ", C, " classes");
    require_min(op, "M", M, 0, ctx);
    require_min(op, "C", C, 1, ctx);
    require_max(op, "M", M, kMaxElements, ctx);
    const int64_t* t = ptr_arg<const int64_t>(op, "target", target, M == 0);
    int64_t* r = ptr_arg<int64_t>(op, "result", result);
    py::gil_scoped_release release;
    cuda::softmax_cross_entropy_check_targets(t, M, C, ignore_index, r, stream_arg(stream));
}

}  // namespace

void bind_pool_act(py::module_& m) {
    def_op(m, "max_pool2d_forward", "max_pool2d", &max_pool2d_forward_py, py::arg("dtype"), py::arg("out"),
           py::arg("argmax"), py::arg("inp"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"), py::arg("kh"),
           py::arg("kw"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("stream"),
           "out, argmax (int32 h*W+w) = max pooling of inp; overwrites.");
    def_op(m, "max_pool2d_backward", "max_pool2d_backward", &max_pool2d_backward_py, py::arg("dtype"), py::arg("dinp"),
           py::arg("dout"), py::arg("argmax"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"), py::arg("P"),
           py::arg("Q"), py::arg("stream"), "dinp[argmax] += dout; accumulates.");
    def_op(m, "avg_pool2d_forward", "avg_pool2d", &avg_pool2d_forward_py, py::arg("dtype"), py::arg("out"),
           py::arg("inp"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"), py::arg("kh"), py::arg("kw"),
           py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("count_include_pad"),
           py::arg("stream"), "out = average pooling of inp; overwrites.");
    def_op(m, "avg_pool2d_backward", "avg_pool2d_backward", &avg_pool2d_backward_py, py::arg("dtype"), py::arg("dinp"),
           py::arg("dout"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"), py::arg("kh"), py::arg("kw"),
           py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("count_include_pad"),
           py::arg("stream"), "dinp += the average pooling gradient; accumulates.");
    def_op(m, "relu_forward", "relu", &relu_forward_py, py::arg("dtype"), py::arg("out"), py::arg("inp"), py::arg("n"),
           py::arg("stream"), "out = max(inp, 0) (NaN passes); out may be inp.");
    def_op(m, "relu_backward", "relu_backward", &relu_backward_py, py::arg("dtype"), py::arg("dinp"), py::arg("dout"),
           py::arg("out"), py::arg("n"), py::arg("accumulate"), py::arg("stream"),
           "dinp (+)= dout * (out > 0).");
    def_op(m, "bias_relu_forward", "bias_relu", &bias_relu_forward_py, py::arg("dtype"), py::arg("y"), py::arg("bias"),
           py::arg("M"), py::arg("N"), py::arg("relu"), py::arg("stream"),
           "y[m, n] += bias[n], then max(0, .) when relu; in place.");
    def_op(m, "add_relu_forward", "add_relu", &add_relu_forward_py, py::arg("dtype"), py::arg("out"), py::arg("a"),
           py::arg("b"), py::arg("n"), py::arg("stream"), "out = max(a + b, 0); its backward is relu_backward on out.");
    def_op(m, "fill", "fill", &fill_py, py::arg("dtype"), py::arg("out"), py::arg("n"), py::arg("value"),
           py::arg("stream"), "out[0:n] = value.");
    def_op(m, "erf", "erf", [](const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t n,
                               std::uintptr_t stream) {
        special_py<cuda::erf_forward<float>, cuda::erf_forward<double>>("erf", dtype, out, inp, n, stream);
    }, py::arg("dtype"), py::arg("out"), py::arg("inp"), py::arg("n"), py::arg("stream"), "out = erf(inp).");
    def_op(m, "erfc", "erfc", [](const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t n,
                                 std::uintptr_t stream) {
        special_py<cuda::erfc_forward<float>, cuda::erfc_forward<double>>("erfc", dtype, out, inp, n, stream);
    }, py::arg("dtype"), py::arg("out"), py::arg("inp"), py::arg("n"), py::arg("stream"), "out = erfc(inp).");
    def_op(m, "erfinv", "erfinv", [](const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, int64_t n,
                                     std::uintptr_t stream) {
        special_py<cuda::erfinv_forward<float>, cuda::erfinv_forward<double>>("erfinv", dtype, out, inp, n, stream);
    }, py::arg("dtype"), py::arg("out"), py::arg("inp"), py::arg("n"), py::arg("stream"), "out = erfinv(inp).");
    def_op(m, "softmax_cross_entropy", "cross_entropy", &softmax_cross_entropy_py, py::arg("dtype"), py::arg("loss"),
           py::arg("dlogits"), py::arg("logits"), py::arg("target"), py::arg("weight"), py::arg("M"), py::arg("C"),
           py::arg("ignore_index"), py::arg("smoothing"), py::arg("sums"), py::arg("stream"),
           "Per-row loss, dlogits (0: none), and sums[0:2] = (loss sum, weight sum) on the device.");
    def_op(m, "softmax_cross_entropy_check_targets", "cross_entropy", &check_targets_py, py::arg("target"), py::arg("M"),
           py::arg("C"), py::arg("ignore_index"), py::arg("result"), py::arg("stream"),
           "result[0] = the first row whose target is out of range and not ignore_index, or -1 (on the device).");
}

}  // namespace cuda_binding
}  // namespace axonal
