// Bindings of gemm.cu and conv2d.cu: argument checks, then the launch with the GIL released.
#include <algorithm>

#include "cuda/binding/args.h"

namespace axonal {
namespace cuda_binding {
namespace {

void gemm_py(const std::string& dtype, bool ta, bool tb, int64_t batch, int64_t M, int64_t N, int64_t K, double alpha,
             std::uintptr_t A, int64_t lda, int64_t sA, std::uintptr_t B, int64_t ldb, int64_t sB, double beta,
             std::uintptr_t C, int64_t ldc, int64_t sC, std::uintptr_t stream) {
    const std::string op = "gemm";
    const DT dt = dtype_arg(op, dtype);
    const std::string ctx = cat("batch ", batch, ", op(A) ", M, " x ", K, ", op(B) ", K, " x ", N, ", transa=",
                                ta ? "True" : "False", ", transb=", tb ? "True" : "False");
    require_min(op, "batch", batch, 0, ctx);
    require_min(op, "M", M, 0, ctx);
    require_min(op, "N", N, 0, ctx);
    require_min(op, "K", K, 0, ctx);
    require_min(op, "lda", lda, std::max<int64_t>(1, ta ? M : K), ctx);
    require_min(op, "ldb", ldb, std::max<int64_t>(1, tb ? K : N), ctx);
    require_min(op, "ldc", ldc, std::max<int64_t>(1, N), ctx);
    require_min(op, "strideA", sA, 0, ctx);
    require_min(op, "strideB", sB, 0, ctx);
    require_min(op, "strideC", sC, 0, ctx);
    const int64_t rowsA = ta ? K : M, rowsB = tb ? N : K;
    // The last element each operand reaches: batch-1 strides plus its rows of ld.
    require_elements(op, "A", {std::max<int64_t>(batch, 1), std::max<int64_t>(sA, 1)}, ctx);
    require_elements(op, "A", {std::max<int64_t>(rowsA, 1), lda}, ctx);
    require_elements(op, "B", {std::max<int64_t>(batch, 1), std::max<int64_t>(sB, 1)}, ctx);
    require_elements(op, "B", {std::max<int64_t>(rowsB, 1), ldb}, ctx);
    require_elements(op, "C", {std::max<int64_t>(batch, 1), std::max<int64_t>(sC, 1)}, ctx);
    require_elements(op, "C", {std::max<int64_t>(M, 1), ldc}, ctx);
    if (batch > 1 && M > 0 && N > 0 && sC < (M - 1) * ldc + N)
        fail_value(op, "strideC ", sC, " makes the batch's C matrices overlap (each needs ", (M - 1) * ldc + N,
                   " elements with ldc ", ldc, "; ", ctx, ")");
    if (batch == 0 || M == 0 || N == 0) return;
    const bool reads = K > 0;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::gemm<T>(ta, tb, batch, M, N, K, T(alpha), ptr_arg<const T>(op, "A", A, !reads), lda, sA,
                      ptr_arg<const T>(op, "B", B, !reads), ldb, sB, T(beta), ptr_arg<T>(op, "C", C), ldc, sC,
                      stream_arg(stream));
    });
}

struct ConvArgs {
    int64_t N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups, P, Q;
    std::string ctx;  // "input (..), weight (..), stride .., padding .., dilation .., groups g"
};

// Output size along one axis, or <= 0 when the dilated kernel does not fit (sizes already bounded).
int64_t conv_out(int64_t in, int64_t k, int64_t stride, int64_t pad, int64_t dil) {
    const int64_t span = in + 2 * pad - dil * (k - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

ConvArgs conv_args(const std::string& op, int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                   int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups) {
    ConvArgs a{N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups, 0, 0, ""};
    const int64_t cg = groups > 0 && C % groups == 0 ? C / groups : C;
    a.ctx = cat("input ", shape_str({N, C, H, W}), ", weight ", shape_str({K, cg, R, S}), ", stride (", sh, ", ", sw,
                "), padding (", ph, ", ", pw, "), dilation (", dh, ", ", dw, "), groups ", groups);
    require_min(op, "N", N, 0, a.ctx);
    for (auto [name, v] : {std::pair<const char*, int64_t>{"C", C}, {"H", H}, {"W", W}, {"K", K}, {"R", R}, {"S", S},
                           {"stride_h", sh}, {"stride_w", sw}, {"dil_h", dh}, {"dil_w", dw}, {"groups", groups}}) {
        require_min(op, name, v, 1, a.ctx);
        require_max(op, name, v, kMaxGeometry, a.ctx);
    }
    for (auto [name, v] : {std::pair<const char*, int64_t>{"pad_h", ph}, {"pad_w", pw}}) {
        require_min(op, name, v, 0, a.ctx);
        require_max(op, name, v, kMaxGeometry, a.ctx);
    }
    if (dh * (R - 1) > kMaxGeometry || dw * (S - 1) > kMaxGeometry)
        fail_value(op, "the dilated kernel spans more than 2^28 cells (", a.ctx, ")");
    if (C % groups != 0 || K % groups != 0)
        fail_value(op, "groups ", groups, " must divide both the input channels C ", C, " and the output channels K ", K,
                   " (", a.ctx, ")");
    a.P = conv_out(H, R, sh, ph, dh);
    a.Q = conv_out(W, S, sw, pw, dw);
    if (a.P < 1 || a.Q < 1)
        fail_value(op, "the output would be ", a.P, " x ", a.Q, ": the dilated kernel is larger than the padded input (",
                   a.ctx, ")");
    require_elements(op, "the input", {N, C, H, W}, a.ctx);
    require_elements(op, "the output", {N, K, a.P, a.Q}, a.ctx);
    require_elements(op, "the weight", {K, cg, R, S}, a.ctx);
    return a;
}

void conv2d_forward_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t inp, std::uintptr_t weight,
                       std::uintptr_t bias, int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S,
                       int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups, bool relu,
                       std::uintptr_t stream) {
    const std::string op = "conv2d";
    const DT dt = dtype_arg(op, dtype);
    const ConvArgs a = conv_args(op, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    if (N == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::conv2d_forward<T>(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "inp", inp),
                                ptr_arg<const T>(op, "weight", weight), ptr_arg<const T>(op, "bias", bias, true), N, C, H,
                                W, K, R, S, sh, sw, ph, pw, dh, dw, groups, relu, stream_arg(stream));
    });
}

void conv2d_backward_input_py(const std::string& dtype, std::uintptr_t dinp, std::uintptr_t dout, std::uintptr_t weight,
                              int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t S, int64_t sh,
                              int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups,
                              std::uintptr_t stream) {
    const std::string op = "conv2d_backward_input";
    const DT dt = dtype_arg(op, dtype);
    conv_args(op, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    if (N == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::conv2d_backward_input<T>(ptr_arg<T>(op, "dinp", dinp), ptr_arg<const T>(op, "dout", dout),
                                       ptr_arg<const T>(op, "weight", weight), N, C, H, W, K, R, S, sh, sw, ph, pw, dh,
                                       dw, groups, stream_arg(stream));
    });
}

void conv2d_backward_weight_py(const std::string& dtype, std::uintptr_t dweight, std::uintptr_t dbias,
                               std::uintptr_t dout, std::uintptr_t inp, int64_t N, int64_t C, int64_t H, int64_t W,
                               int64_t K, int64_t R, int64_t S, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                               int64_t dh, int64_t dw, int64_t groups, std::uintptr_t stream) {
    const std::string op = "conv2d_backward_weight";
    const DT dt = dtype_arg(op, dtype);
    conv_args(op, N, C, H, W, K, R, S, sh, sw, ph, pw, dh, dw, groups);
    if (N == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::conv2d_backward_weight<T>(ptr_arg<T>(op, "dweight", dweight), ptr_arg<T>(op, "dbias", dbias, true),
                                        ptr_arg<const T>(op, "dout", dout), ptr_arg<const T>(op, "inp", inp), N, C, H, W,
                                        K, R, S, sh, sw, ph, pw, dh, dw, groups, stream_arg(stream));
    });
}

}  // namespace

void bind_gemm_conv(py::module_& m) {
    def_op(m, "gemm", "gemm", &gemm_py, py::arg("dtype"), py::arg("transa"), py::arg("transb"), py::arg("batch"),
           py::arg("M"), py::arg("N"), py::arg("K"), py::arg("alpha"), py::arg("A"), py::arg("lda"), py::arg("strideA"),
           py::arg("B"), py::arg("ldb"), py::arg("strideB"), py::arg("beta"), py::arg("C"), py::arg("ldc"),
           py::arg("strideC"), py::arg("stream"),
           "C = alpha * op(A) @ op(B) + beta * C (row-major, strided batch); pointers as ints.");
    def_op(m, "conv2d_forward", "conv2d", &conv2d_forward_py, py::arg("dtype"), py::arg("out"), py::arg("inp"),
           py::arg("weight"), py::arg("bias"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"), py::arg("K"),
           py::arg("R"), py::arg("S"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"),
           py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"), py::arg("relu"), py::arg("stream"),
           "out (N, K, P, Q) = conv2d(inp, weight) + bias [then ReLU]; overwrites out.");
    def_op(m, "conv2d_backward_input", "conv2d_backward_input", &conv2d_backward_input_py, py::arg("dtype"),
           py::arg("dinp"), py::arg("dout"), py::arg("weight"), py::arg("N"), py::arg("C"), py::arg("H"), py::arg("W"),
           py::arg("K"), py::arg("R"), py::arg("S"), py::arg("stride_h"), py::arg("stride_w"), py::arg("pad_h"),
           py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"), py::arg("groups"), py::arg("stream"),
           "dinp (N, C, H, W) += the input gradient; accumulates.");
    def_op(m, "conv2d_backward_weight", "conv2d_backward_weight", &conv2d_backward_weight_py, py::arg("dtype"),
           py::arg("dweight"), py::arg("dbias"), py::arg("dout"), py::arg("inp"), py::arg("N"), py::arg("C"),
           py::arg("H"), py::arg("W"), py::arg("K"), py::arg("R"), py::arg("S"), py::arg("stride_h"),
           py::arg("stride_w"), py::arg("pad_h"), py::arg("pad_w"), py::arg("dil_h"), py::arg("dil_w"),
           py::arg("groups"), py::arg("stream"),
           "dweight (K, C/groups, R, S) += the weight gradient, dbias (K) += sum of dout (dbias 0: none).");
}

}  // namespace cuda_binding
}  // namespace axonal
