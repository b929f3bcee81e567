// Bindings for kernels/batchnorm: batch_norm_forward (training or eval, optional fused ReLU) and
// batch_norm_backward, on C-contiguous float arrays of shape (N, C, *spatial) (BatchNorm1d: (N, C) or
// (N, C, L); BatchNorm2d: (N, C, H, W)). Every check runs before a kernel; messages start with [batch_norm].
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <string>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/batchnorm.h"

namespace axonal {
namespace {

std::string type_name(py::handle h) { return std::string(py::str(py::type::handle_of(h).attr("__name__"))); }

// A C-contiguous, aligned ndarray of the reference's dtype (or, with ref == nullptr, float32/float64).
py::array array_arg(const std::string& op, const char* name, py::handle obj, const py::array* ref,
                    const char* ref_name) {
    if (!py::isinstance<py::array>(obj)) fail_type(op, name, " must be a numpy.ndarray, got ", type_name(obj));
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (ref)
        require_same_dtype(op, name, a, ref_name, *ref);
    else
        float_dtype(op, name, a);
    require_c_contiguous(op, name, a);
    if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(op, name, " must be aligned in memory (shape ", shape_str(a), "); pass a copy");
    return a;
}

// A per-channel vector (C,) or None.
bool channel_arg(const std::string& op, const char* name, py::handle obj, const py::array& x, int64_t C, bool writeable,
                 py::array& out) {
    if (obj.is_none()) return false;
    out = array_arg(op, name, obj, &x, "input");
    if (out.ndim() != 1 || out.shape(0) != C)
        fail_value(op, name, " must have shape (", C, ",) for input ", shape_str(x), ", got ", shape_str(out));
    if (writeable) require_writeable(op, name, out);
    return true;
}

bool overlaps(const py::array& a, const py::array& b) {
    const char* pa = static_cast<const char*>(a.data());
    const char* pb = static_cast<const char*>(b.data());
    return pa < pb + b.nbytes() && pb < pa + a.nbytes();
}

struct Layout {
    int64_t N, C, HW;
};

// (N, C, *spatial): N and C >= 1, HW the product of the spatial sizes (1 for 2-D input), >= 1.
Layout layout_of(const std::string& op, const py::array& x) {
    if (x.ndim() < 2) fail_value(op, "input must have at least 2 dimensions (N, C, ...), got shape ", shape_str(x));
    Layout l{int64_t(x.shape(0)), int64_t(x.shape(1)), 1};
    for (py::ssize_t d = 2; d < x.ndim(); ++d) l.HW *= int64_t(x.shape(d));
    if (l.N < 1 || l.C < 1 || l.HW < 1) fail_value(op, "input has a zero-sized dimension: shape ", shape_str(x));
    return l;
}

std::vector<py::ssize_t> shape_of(const py::array& a) { return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()); }

py::tuple batch_norm_forward_py(py::object x_obj, py::object gamma_obj, py::object beta_obj, py::object rm_obj,
                                py::object rv_obj, bool training, double momentum, double eps, bool relu, bool reference) {
    const std::string op = "batch_norm";
    py::array x = array_arg(op, "input", x_obj, nullptr, nullptr);
    const DType dt = float_dtype(op, "input", x);
    const Layout l = layout_of(op, x);
    py::array gamma, beta, rm, rv;
    const bool has_gamma = channel_arg(op, "weight", gamma_obj, x, l.C, false, gamma);
    const bool has_beta = channel_arg(op, "bias", beta_obj, x, l.C, false, beta);
    const bool has_rm = channel_arg(op, "running_mean", rm_obj, x, l.C, training, rm);
    const bool has_rv = channel_arg(op, "running_var", rv_obj, x, l.C, training, rv);
    if (has_rm != has_rv) fail_value(op, "running_mean and running_var must both be arrays or both be None");
    if (!(eps >= 0.0) || !std::isfinite(eps)) fail_value(op, "eps must be a finite number >= 0, got ", eps);
    if (training) {
        if (!std::isfinite(momentum)) fail_value(op, "momentum must be finite, got ", momentum);
        if (l.N * l.HW < 2)
            fail_value(op, "expected more than 1 value per channel when training, got input of shape ", shape_str(x));
        if (has_rm && (overlaps(rm, rv) || overlaps(rm, x) || overlaps(rv, x)))
            fail_value(op, "running_mean, running_var and input must not overlap in memory");
    } else if (!has_rm) {
        fail_value(op, "eval mode needs running_mean and running_var (input ", shape_str(x), ")");
    }
    py::array y = aligned_empty(op, x.dtype(), shape_of(x));
    py::array mean = aligned_empty(op, x.dtype(), {py::ssize_t(l.C)});
    py::array invstd = aligned_empty(op, x.dtype(), {py::ssize_t(l.C)});
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* xp = cdata_ptr<T>(x);
        const T* g = has_gamma ? cdata_ptr<T>(gamma) : nullptr;
        const T* b = has_beta ? cdata_ptr<T>(beta) : nullptr;
        T* yp = data_ptr<T>(y);
        T* mp = data_ptr<T>(mean);
        T* ip = data_ptr<T>(invstd);
        if (training) {
            T* rmp = has_rm ? data_ptr<T>(rm) : nullptr;
            T* rvp = has_rv ? data_ptr<T>(rv) : nullptr;
            py::gil_scoped_release release;
            auto kernel = reference ? &batchnorm_forward_train_reference<T> : &batchnorm_forward_train<T>;
            kernel(yp, mp, ip, rmp, rvp, xp, g, b, l.N, l.C, l.HW, eps, momentum, relu);
        } else {
            const T* rmp = cdata_ptr<T>(rm);
            const T* rvp = cdata_ptr<T>(rv);
            py::gil_scoped_release release;
            auto kernel = reference ? &batchnorm_forward_eval_reference<T> : &batchnorm_forward_eval<T>;
            kernel(yp, xp, rmp, rvp, g, b, l.N, l.C, l.HW, eps, relu);
            // The statistics the backward pass uses in eval mode: the running ones.
            for (int64_t c = 0; c < l.C; ++c) {
                mp[c] = rmp[c];
                ip[c] = T(1.0 / std::sqrt(double(rvp[c]) + eps));
            }
        }
    });
    return py::make_tuple(y, mean, invstd);
}

// An optional buffer to accumulate a gradient into (shape and dtype of ref), or fresh zeros.
py::array grad_buffer(const std::string& op, const char* name, py::handle given, const py::array& ref,
                      const char* ref_name) {
    if (given.is_none()) return aligned_zeros(op, ref.dtype(), shape_of(ref));
    py::array a = array_arg(op, name, given, &ref, ref_name);
    bool same = a.ndim() == ref.ndim();
    for (py::ssize_t d = 0; same && d < a.ndim(); ++d) same = a.shape(d) == ref.shape(d);
    if (!same) fail_value(op, name, " has shape ", shape_str(a), " but must be ", shape_str(ref));
    require_writeable(op, name, a);
    return a;
}

py::tuple batch_norm_backward_py(py::object go_obj, py::object x_obj, py::object mean_obj, py::object invstd_obj,
                                 py::object gamma_obj, bool training, py::object out_obj, bool need_input_grad,
                                 bool need_weight_grad, py::object grad_input, py::object grad_weight,
                                 py::object grad_bias, bool reference) {
    const std::string op = "batch_norm_backward";
    py::array x = array_arg(op, "input", x_obj, nullptr, nullptr);
    const DType dt = float_dtype(op, "input", x);
    const Layout l = layout_of(op, x);
    py::array go = array_arg(op, "grad_out", go_obj, &x, "input");
    bool same = go.ndim() == x.ndim();
    for (py::ssize_t d = 0; same && d < x.ndim(); ++d) same = go.shape(d) == x.shape(d);
    if (!same) fail_value(op, "grad_out has shape ", shape_str(go), " but input has shape ", shape_str(x));
    py::array mean, invstd, gamma, out;
    if (!channel_arg(op, "mean", mean_obj, x, l.C, false, mean) ||
        !channel_arg(op, "invstd", invstd_obj, x, l.C, false, invstd))
        fail_value(op, "mean and invstd (the statistics batch_norm returned) are required");
    const bool has_gamma = channel_arg(op, "weight", gamma_obj, x, l.C, false, gamma);
    const bool has_out = !out_obj.is_none();
    if (has_out) {
        out = array_arg(op, "out", out_obj, &x, "input");
        bool same_out = out.ndim() == x.ndim();
        for (py::ssize_t d = 0; same_out && d < x.ndim(); ++d) same_out = out.shape(d) == x.shape(d);
        if (!same_out) fail_value(op, "out has shape ", shape_str(out), " but input has shape ", shape_str(x));
    }
    py::object gi_ret = py::none(), gw_ret = py::none(), gb_ret = py::none();
    py::array gi, gw, gb;
    const bool fresh_dx = need_input_grad && grad_input.is_none();
    if (need_input_grad) {
        // A fresh gradient is written by the kernel (reference: accumulated into zeros).
        gi = fresh_dx && !reference ? aligned_empty(op, x.dtype(), shape_of(x)) : grad_buffer(op, "grad_input", grad_input, x, "input");
        if (overlaps(gi, x) || overlaps(gi, go) || (has_out && overlaps(gi, out)))
            fail_value(op, "grad_input must not overlap input, grad_out or out");
        gi_ret = gi;
    } else if (!grad_input.is_none()) {
        fail_value(op, "grad_input was given but need_input_grad is False");
    }
    if (need_weight_grad) {
        gw = grad_buffer(op, "grad_weight", grad_weight, mean, "mean");
        gb = grad_buffer(op, "grad_bias", grad_bias, mean, "mean");
        if (overlaps(gw, gb)) fail_value(op, "grad_weight and grad_bias must not overlap");
        gw_ret = gw;
        gb_ret = gb;
    } else if (!grad_weight.is_none() || !grad_bias.is_none()) {
        fail_value(op, "grad_weight / grad_bias were given but need_weight_grad is False");
    }
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        T* dx = need_input_grad ? data_ptr<T>(gi) : nullptr;
        T* dg = need_weight_grad ? data_ptr<T>(gw) : nullptr;
        T* db = need_weight_grad ? data_ptr<T>(gb) : nullptr;
        const T* gop = cdata_ptr<T>(go);
        const T* xp = cdata_ptr<T>(x);
        const T* yp = has_out ? cdata_ptr<T>(out) : nullptr;
        const T* mp = cdata_ptr<T>(mean);
        const T* ip = cdata_ptr<T>(invstd);
        const T* g = has_gamma ? cdata_ptr<T>(gamma) : nullptr;
        py::gil_scoped_release release;
        if (reference)
            batchnorm_backward_reference<T>(dx, dg, db, gop, xp, yp, mp, ip, g, l.N, l.C, l.HW, training);
        else
            batchnorm_backward<T>(dx, dg, db, gop, xp, yp, mp, ip, g, l.N, l.C, l.HW, training, fresh_dx);
    });
    return py::make_tuple(gi_ret, gw_ret, gb_ret);
}

}  // namespace

void bind_norm(py::module_& m) {
    def_op(m, "batch_norm_forward", "batch_norm", &batch_norm_forward_py, py::arg("x"), py::arg("weight"),
           py::arg("bias"), py::arg("running_mean"), py::arg("running_var"), py::arg("training"),
           py::arg("momentum") = 0.1, py::arg("eps") = 1e-5, py::arg("relu") = false, py::arg("reference") = false,
           "Batch norm of x (N, C, *spatial) per channel; weight / bias (C,) or None. training=True: batch "
           "statistics (biased variance), and running_mean / running_var (C,) updated in place with momentum and "
           "the unbiased variance when given (both or neither); training=False: the running statistics, folded into "
           "one scale and shift. relu=True applies max(0, .) to the result. Returns (out, mean, invstd): the "
           "statistics used (batch, or running mean and 1/sqrt(running_var + eps)) for batch_norm_backward.");
    def_op(m, "batch_norm_backward", "batch_norm_backward", &batch_norm_backward_py, py::arg("grad_out"),
           py::arg("x"), py::arg("mean"), py::arg("invstd"), py::arg("weight"), py::arg("training"),
           py::arg("out") = py::none(), py::arg("need_input_grad") = true, py::arg("need_weight_grad") = true,
           py::arg("grad_input") = py::none(), py::arg("grad_weight") = py::none(), py::arg("grad_bias") = py::none(),
           py::arg("reference") = false,
           "Gradients of batch_norm_forward: returns (grad_input or None, grad_weight or None, grad_bias or None). "
           "mean / invstd: what the forward returned; training: whether it used batch statistics; out: its output "
           "when it was called with relu=True (grad_out is then masked by out > 0), else None. Accumulates into "
           "grad_input / grad_weight / grad_bias when given (else into fresh zeros); grad_weight and grad_bias (C,) "
           "are computed (also without affine parameters) when need_weight_grad.");
}

}  // namespace axonal
