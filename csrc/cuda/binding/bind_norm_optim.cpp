// Bindings of batchnorm.cu and optim.cu.
#include <cmath>

#include "cuda/binding/args.h"

namespace axonal {
namespace cuda_binding {
namespace {

std::string bn_ctx(int64_t N, int64_t C, int64_t HW) {
    return cat("input ", shape_str({N, C, HW}), " as N x C x HW");
}

void bn_sizes(const std::string& op, int64_t N, int64_t C, int64_t HW, double eps) {
    const std::string ctx = bn_ctx(N, C, HW);
    require_min(op, "N", N, 0, ctx);
    require_min(op, "C", C, 0, ctx);
    require_min(op, "HW", HW, 0, ctx);
    require_max(op, "C", C, INT32_MAX, ctx);  // one block per channel on gridDim.x
    require_elements(op, "the input", {N, C, HW}, ctx);
    if (!(eps >= 0.0)) fail_value(op, "eps must be >= 0, got ", eps, " (", ctx, ")");
}

void bn_train_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t save_mean, std::uintptr_t save_invstd,
                 std::uintptr_t x, std::uintptr_t gamma, std::uintptr_t beta, std::uintptr_t running_mean,
                 std::uintptr_t running_var, int64_t N, int64_t C, int64_t HW, double eps, double momentum, bool relu,
                 std::uintptr_t stream) {
    const std::string op = "batch_norm";
    const DT dt = dtype_arg(op, dtype);
    bn_sizes(op, N, C, HW, eps);
    if (C == 0) return;
    if (N * HW < 2)
        fail_value(op, "expected more than 1 value per channel when training, got ", bn_ctx(N, C, HW));
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::batchnorm_forward_train<T>(ptr_arg<T>(op, "out", out), ptr_arg<T>(op, "save_mean", save_mean),
                                         ptr_arg<T>(op, "save_invstd", save_invstd), ptr_arg<const T>(op, "x", x),
                                         ptr_arg<const T>(op, "gamma", gamma, true),
                                         ptr_arg<const T>(op, "beta", beta, true),
                                         ptr_arg<T>(op, "running_mean", running_mean, true),
                                         ptr_arg<T>(op, "running_var", running_var, true), N, C, HW, eps, momentum, relu,
                                         stream_arg(stream));
    });
}

void bn_eval_py(const std::string& dtype, std::uintptr_t out, std::uintptr_t x, std::uintptr_t gamma,
                std::uintptr_t beta, std::uintptr_t running_mean, std::uintptr_t running_var, int64_t N, int64_t C,
                int64_t HW, double eps, bool relu, std::uintptr_t stream) {
    const std::string op = "batch_norm";
    const DT dt = dtype_arg(op, dtype);
    bn_sizes(op, N, C, HW, eps);
    if (N * C * HW == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::batchnorm_forward_eval<T>(ptr_arg<T>(op, "out", out), ptr_arg<const T>(op, "x", x),
                                        ptr_arg<const T>(op, "gamma", gamma, true),
                                        ptr_arg<const T>(op, "beta", beta, true),
                                        ptr_arg<const T>(op, "running_mean", running_mean),
                                        ptr_arg<const T>(op, "running_var", running_var), N, C, HW, eps, relu,
                                        stream_arg(stream));
    });
}

void bn_backward_py(const std::string& dtype, std::uintptr_t dx, std::uintptr_t dgamma, std::uintptr_t dbeta,
                    std::uintptr_t dout, std::uintptr_t x, std::uintptr_t out, std::uintptr_t save_mean,
                    std::uintptr_t save_invstd, std::uintptr_t gamma, int64_t N, int64_t C, int64_t HW, bool relu,
                    std::uintptr_t stream) {
    const std::string op = "batch_norm_backward";
    const DT dt = dtype_arg(op, dtype);
    bn_sizes(op, N, C, HW, 0.0);
    if (C == 0 || N * HW == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::batchnorm_backward<T>(ptr_arg<T>(op, "dx", dx, true), ptr_arg<T>(op, "dgamma", dgamma, true),
                                    ptr_arg<T>(op, "dbeta", dbeta, true), ptr_arg<const T>(op, "dout", dout),
                                    ptr_arg<const T>(op, "x", x), ptr_arg<const T>(op, "out", out, !relu),
                                    ptr_arg<const T>(op, "save_mean", save_mean),
                                    ptr_arg<const T>(op, "save_invstd", save_invstd),
                                    ptr_arg<const T>(op, "gamma", gamma, true), N, C, HW, relu, stream_arg(stream));
    });
}

void sgd_py(const std::string& dtype, std::uintptr_t p, std::uintptr_t g, std::uintptr_t buf, int64_t n, double lr,
            double momentum, double dampening, double weight_decay, bool nesterov, bool maximize, bool init_buf,
            std::uintptr_t stream) {
    const std::string op = "sgd_update";
    const DT dt = dtype_arg(op, dtype);
    require_min(op, "n", n, 0, "");
    require_max(op, "n", n, kMaxElements, "");
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::sgd_update<T>(ptr_arg<T>(op, "param", p), ptr_arg<const T>(op, "grad", g),
                            ptr_arg<T>(op, "momentum_buffer", buf, momentum == 0), n, lr, momentum, dampening,
                            weight_decay, nesterov, maximize, init_buf, stream_arg(stream));
    });
}

void adam_py(const std::string& dtype, std::uintptr_t p, std::uintptr_t g, std::uintptr_t exp_avg,
             std::uintptr_t exp_avg_sq, std::uintptr_t max_exp_avg_sq, int64_t n, double lr, double beta1, double beta2,
             double eps, double weight_decay, bool decoupled, bool maximize, double step_size,
             double bias_correction2_sqrt, std::uintptr_t stream) {
    const std::string op = "adam_update";
    const DT dt = dtype_arg(op, dtype);
    require_min(op, "n", n, 0, "");
    require_max(op, "n", n, kMaxElements, "");
    if (n == 0) return;
    run_typed(dt, [&](auto tag) {
        using T = decltype(tag);
        cuda::adam_update<T>(ptr_arg<T>(op, "param", p), ptr_arg<const T>(op, "grad", g),
                             ptr_arg<T>(op, "exp_avg", exp_avg), ptr_arg<T>(op, "exp_avg_sq", exp_avg_sq),
                             ptr_arg<T>(op, "max_exp_avg_sq", max_exp_avg_sq, true), n, lr, beta1, beta2, eps,
                             weight_decay, decoupled, maximize, step_size, bias_correction2_sqrt, stream_arg(stream));
    });
}

}  // namespace

void bind_norm_optim(py::module_& m) {
    def_op(m, "batchnorm_forward_train", "batch_norm", &bn_train_py, py::arg("dtype"), py::arg("out"),
           py::arg("save_mean"), py::arg("save_invstd"), py::arg("x"), py::arg("gamma"), py::arg("beta"),
           py::arg("running_mean"), py::arg("running_var"), py::arg("N"), py::arg("C"), py::arg("HW"), py::arg("eps"),
           py::arg("momentum"), py::arg("relu"), py::arg("stream"),
           "Batch statistics, running-stat update (torch's unbiased var) and the normalised output [ReLU].");
    def_op(m, "batchnorm_forward_eval", "batch_norm", &bn_eval_py, py::arg("dtype"), py::arg("out"), py::arg("x"),
           py::arg("gamma"), py::arg("beta"), py::arg("running_mean"), py::arg("running_var"), py::arg("N"),
           py::arg("C"), py::arg("HW"), py::arg("eps"), py::arg("relu"), py::arg("stream"),
           "out = (x - running_mean) / sqrt(running_var + eps) * gamma + beta [ReLU].");
    def_op(m, "batchnorm_backward", "batch_norm_backward", &bn_backward_py, py::arg("dtype"), py::arg("dx"),
           py::arg("dgamma"), py::arg("dbeta"), py::arg("dout"), py::arg("x"), py::arg("out"), py::arg("save_mean"),
           py::arg("save_invstd"), py::arg("gamma"), py::arg("N"), py::arg("C"), py::arg("HW"), py::arg("relu"),
           py::arg("stream"), "dx, dgamma, dbeta += the training-mode gradients (any may be 0: not wanted).");
    def_op(m, "sgd_update", "sgd_update", &sgd_py, py::arg("dtype"), py::arg("p"), py::arg("g"), py::arg("buf"),
           py::arg("n"), py::arg("lr"), py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"),
           py::arg("nesterov"), py::arg("maximize"), py::arg("init_buf"), py::arg("stream"),
           "In-place SGD step (torch.optim.SGD's rule).");
    def_op(m, "adam_update", "adam_update", &adam_py, py::arg("dtype"), py::arg("p"), py::arg("g"), py::arg("exp_avg"),
           py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("n"), py::arg("lr"), py::arg("beta1"),
           py::arg("beta2"), py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"), py::arg("maximize"),
           py::arg("step_size"), py::arg("bias_correction2_sqrt"), py::arg("stream"),
           "In-place Adam / AdamW step (torch.optim's rules).");
}

}  // namespace cuda_binding
}  // namespace axonal
