// Bindings for kernels/activation: relu_forward / relu_backward / bias_relu_forward and the fused
// softmax_cross_entropy. Arrays are taken as plain objects and checked here (type, float dtype, shape,
// C-contiguity, alignment, overlap), so every bad call raises a TypeError/ValueError/IndexError starting
// with the op's name; the kernels run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <tuple>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/activation.h"

namespace axonal {
namespace {

std::string type_name(py::handle h) { return std::string(py::str(py::type::handle_of(h).attr("__name__"))); }

py::array ndarray_arg(const std::string& op, const char* name, py::handle obj) {
    if (!py::isinstance<py::array>(obj)) fail_type(op, name, " must be a numpy.ndarray, got ", type_name(obj));
    return py::reinterpret_borrow<py::array>(obj);
}

void require_aligned(const std::string& op, const char* name, const py::array& a) {
    if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(op, name, " must be aligned in memory (shape ", shape_str(a), "); pass a copy");
}

// A C-contiguous, aligned float32/float64 array.
py::array float_arg(const std::string& op, const char* name, py::handle obj, DType* dt) {
    py::array a = ndarray_arg(op, name, obj);
    *dt = float_dtype(op, name, a);
    require_c_contiguous(op, name, a);
    require_aligned(op, name, a);
    return a;
}

bool same_shape(const py::array& a, const py::array& b) {
    if (a.ndim() != b.ndim()) return false;
    for (py::ssize_t d = 0; d < a.ndim(); ++d)
        if (a.shape(d) != b.shape(d)) return false;
    return true;
}

void require_same_shape(const std::string& op, const char* name, const py::array& a, const char* ref_name,
                        const py::array& ref) {
    if (!same_shape(a, ref))
        fail_value(op, name, " has shape ", shape_str(a), " but ", ref_name, " has shape ", shape_str(ref));
}

// An output the kernel writes elementwise: exactly the same memory as an input is fine, a partial overlap is not.
void require_no_partial_overlap(const std::string& op, const char* name, const py::array& out, const char* in_name,
                                const py::array& in) {
    const char* ob = static_cast<const char*>(out.data());
    const char* ib = static_cast<const char*>(in.data());
    if (ob == ib || out.nbytes() == 0 || in.nbytes() == 0) return;
    if (ob < ib + in.nbytes() && ib < ob + out.nbytes())
        fail_value(op, name, " ", shape_str(out), " partly overlaps ", in_name, " ", shape_str(in),
                   " in memory; pass a separate array or the same one");
}

// An output array given by the caller: same dtype and shape as ref, C-contiguous, aligned, writeable.
py::array out_arg(const std::string& op, const char* name, py::handle obj, const char* ref_name, const py::array& ref) {
    py::array o = ndarray_arg(op, name, obj);
    require_same_dtype(op, name, o, ref_name, ref);
    require_same_shape(op, name, o, ref_name, ref);
    require_c_contiguous(op, name, o);
    require_aligned(op, name, o);
    require_writeable(op, name, o);
    return o;
}

std::vector<py::ssize_t> shape_of(const py::array& a) { return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()); }

// ---------------------------------------------------------------- ReLU

py::array relu_forward_py(py::object x_obj, py::object out_obj, bool reference) {
    const std::string op = "relu";
    DType dt;
    py::array x = float_arg(op, "input", x_obj, &dt);
    py::array out = out_obj.is_none() ? aligned_empty(op, x.dtype(), shape_of(x)) : out_arg(op, "out", out_obj, "input", x);
    if (!out_obj.is_none()) require_no_partial_overlap(op, "out", out, "input", x);
    const int64_t n = x.size();
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* in = cdata_ptr<T>(x);
        T* o = data_ptr<T>(out);
        py::gil_scoped_release release;
        if (reference)
            relu_forward_reference<T>(o, in, n);
        else
            relu_forward<T>(o, in, n);
    };
    with_dtype(dt, run);
    return out;
}

py::array relu_backward_py(py::object grad_obj, py::object out_obj, py::object grad_input_obj, bool reference) {
    const std::string op = "relu_backward";
    DType dt;
    py::array grad = float_arg(op, "grad_output", grad_obj, &dt);
    DType dt_out;
    py::array out = float_arg(op, "output", out_obj, &dt_out);
    require_same_dtype(op, "output", out, "grad_output", grad);
    require_same_shape(op, "output", out, "grad_output", grad);
    const bool accumulate = !grad_input_obj.is_none();
    py::array gi = accumulate ? out_arg(op, "grad_input", grad_input_obj, "grad_output", grad)
                              : aligned_empty(op, grad.dtype(), shape_of(grad));
    if (accumulate) {
        require_no_partial_overlap(op, "grad_input", gi, "grad_output", grad);
        require_no_partial_overlap(op, "grad_input", gi, "output", out);
    }
    const int64_t n = grad.size();
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* g = cdata_ptr<T>(grad);
        const T* o = cdata_ptr<T>(out);
        T* d = data_ptr<T>(gi);
        py::gil_scoped_release release;
        if (reference)
            relu_backward_reference<T>(d, g, o, n, accumulate);
        else
            relu_backward<T>(d, g, o, n, accumulate);
    };
    with_dtype(dt, run);
    return gi;
}

// ---------------------------------------------------------------- residual add + ReLU

py::array add_relu_forward_py(py::object a_obj, py::object b_obj, py::object out_obj, bool reference) {
    const std::string op = "add_relu";
    DType dt, dt_b;
    py::array a = float_arg(op, "a", a_obj, &dt);
    py::array b = float_arg(op, "b", b_obj, &dt_b);
    require_same_dtype(op, "b", b, "a", a);
    require_same_shape(op, "b", b, "a", a);
    py::array out = out_obj.is_none() ? aligned_empty(op, a.dtype(), shape_of(a)) : out_arg(op, "out", out_obj, "a", a);
    if (!out_obj.is_none()) {
        require_no_partial_overlap(op, "out", out, "a", a);
        require_no_partial_overlap(op, "out", out, "b", b);
    }
    const int64_t n = a.size();
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* ap = cdata_ptr<T>(a);
        const T* bp = cdata_ptr<T>(b);
        T* o = data_ptr<T>(out);
        py::gil_scoped_release release;
        if (reference)
            add_relu_forward_reference<T>(o, ap, bp, n);
        else
            add_relu_forward<T>(o, ap, bp, n);
    });
    return out;
}

// The two branches' gradients are the same masked array: computed once, written to each branch that wants
// one (accumulated into a given buffer, else into a new array).
py::tuple add_relu_backward_py(py::object grad_obj, py::object out_obj, bool need_a, bool need_b, py::object ga_obj,
                               py::object gb_obj, bool reference) {
    const std::string op = "add_relu_backward";
    DType dt, dt_out;
    py::array grad = float_arg(op, "grad_output", grad_obj, &dt);
    py::array out = float_arg(op, "output", out_obj, &dt_out);
    require_same_dtype(op, "output", out, "grad_output", grad);
    require_same_shape(op, "output", out, "grad_output", grad);
    if (!need_a && !ga_obj.is_none()) fail_value(op, "grad_a was given but need_a is False");
    if (!need_b && !gb_obj.is_none()) fail_value(op, "grad_b was given but need_b is False");
    const bool acc_a = !ga_obj.is_none(), acc_b = !gb_obj.is_none();
    py::array ga, gb;
    if (need_a) ga = acc_a ? out_arg(op, "grad_a", ga_obj, "grad_output", grad) : aligned_empty(op, grad.dtype(), shape_of(grad));
    if (need_b) gb = acc_b ? out_arg(op, "grad_b", gb_obj, "grad_output", grad) : aligned_empty(op, grad.dtype(), shape_of(grad));
    for (auto [given, arr, name] : {std::make_tuple(acc_a, &ga, "grad_a"), std::make_tuple(acc_b, &gb, "grad_b")}) {
        if (!given) continue;
        require_no_partial_overlap(op, name, *arr, "grad_output", grad);
        require_no_partial_overlap(op, name, *arr, "output", out);
    }
    if (need_a && need_b) {
        const char* pa = static_cast<const char*>(ga.data());
        const char* pb = static_cast<const char*>(gb.data());
        if (pa < pb + gb.nbytes() && pb < pa + ga.nbytes())
            fail_value(op, "grad_a and grad_b must be separate arrays (shape ", shape_str(grad), ")");
    }
    const int64_t n = grad.size();
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* g = cdata_ptr<T>(grad);
        const T* o = cdata_ptr<T>(out);
        T* da = need_a ? data_ptr<T>(ga) : nullptr;
        T* db = need_b ? data_ptr<T>(gb) : nullptr;
        py::gil_scoped_release release;
        auto kernel = reference ? &add_relu_backward_reference<T> : &add_relu_backward<T>;
        if (acc_a == acc_b || !need_a || !need_b) {
            kernel(da, db, g, o, n, need_a ? acc_a : acc_b);
        } else {  // one branch accumulates, the other is fresh: one pass each
            kernel(da, nullptr, g, o, n, acc_a);
            kernel(nullptr, db, g, o, n, acc_b);
        }
    });
    return py::make_tuple(need_a ? py::object(ga) : py::object(py::none()), need_b ? py::object(gb) : py::object(py::none()));
}

py::array bias_relu_forward_py(py::object y_obj, py::object bias_obj, bool reference) {
    const std::string op = "bias_relu";
    DType dt;
    py::array y = float_arg(op, "input", y_obj, &dt);
    DType dt_b;
    py::array bias = float_arg(op, "bias", bias_obj, &dt_b);
    require_same_dtype(op, "bias", bias, "input", y);
    require_writeable(op, "input", y);
    if (y.ndim() < 1) fail_value(op, "input must have at least 1 dimension, got shape ", shape_str(y));
    const int64_t N = y.shape(y.ndim() - 1);
    if (bias.ndim() != 1 || bias.shape(0) != N)
        fail_value(op, "bias must have shape (", N, ",) to match the last dim of input ", shape_str(y), ", got ",
                   shape_str(bias));
    require_no_partial_overlap(op, "input", y, "bias", bias);
    const int64_t M = N ? y.size() / N : 0;
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* yp = data_ptr<T>(y);
        const T* b = cdata_ptr<T>(bias);
        py::gil_scoped_release release;
        if (reference)
            bias_relu_forward_reference<T>(yp, b, M, N);
        else
            bias_relu_forward<T>(yp, b, M, N);
    };
    with_dtype(dt, run);
    return y;
}

// ---------------------------------------------------------------- softmax + cross-entropy

py::tuple softmax_cross_entropy_py(py::object logits_obj, py::object target_obj, py::object weight_obj,
                                   int64_t ignore_index, double label_smoothing, bool need_grad, bool reference) {
    const std::string op = "cross_entropy";
    DType dt;
    py::array logits = float_arg(op, "input", logits_obj, &dt);
    require_ndim(op, "input", logits, 2);
    const int64_t M = logits.shape(0), C = logits.shape(1);
    if (C < 1) fail_value(op, "input must have at least one class, got shape ", shape_str(logits));
    py::array target = ndarray_arg(op, "target", target_obj);
    if (!target.dtype().is(py::dtype::of<int64_t>()))
        fail_type(op, "target must be int64 class indices, got ", std::string(py::str(target.dtype())), " with shape ",
                  shape_str(target));
    if (target.ndim() != 1 || target.shape(0) != M)
        fail_value(op, "class-index target must have shape (", M, ",), got ", shape_str(target), " (input ",
                   shape_str(logits), ")");
    require_c_contiguous(op, "target", target);
    require_aligned(op, "target", target);
    py::array weight;
    const bool has_weight = !weight_obj.is_none();
    if (has_weight) {
        DType dt_w;
        weight = float_arg(op, "weight", weight_obj, &dt_w);
        require_same_dtype(op, "weight", weight, "input", logits);
        if (weight.ndim() != 1 || weight.shape(0) != C)
            fail_value(op, "weight must have shape (", C, ",), got ", shape_str(weight));
    }
    if (!(label_smoothing >= 0.0 && label_smoothing <= 1.0))
        fail_value(op, "label_smoothing must be in [0, 1], got ", label_smoothing);
    const int64_t* t = static_cast<const int64_t*>(target.data());
    int64_t bad = softmax_cross_entropy_check_targets(t, M, C, ignore_index);
    if (bad >= 0) {
        std::ostringstream os;
        os << "[" << op << "] target " << t[bad] << " is out of range for " << C << " classes (input "
           << shape_str(logits) << ")";
        throw py::index_error(os.str());
    }
    py::array loss = aligned_empty(op, logits.dtype(), std::vector<py::ssize_t>{M});
    py::object grad = py::none();
    py::array grad_arr;
    if (need_grad) {
        grad_arr = aligned_empty(op, logits.dtype(), std::vector<py::ssize_t>{M, C});
        grad = grad_arr;
    }
    double loss_sum = 0, weight_sum = 0;
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* x = cdata_ptr<T>(logits);
        const T* w = has_weight ? cdata_ptr<T>(weight) : nullptr;
        T* l = data_ptr<T>(loss);
        T* d = need_grad ? data_ptr<T>(grad_arr) : nullptr;
        py::gil_scoped_release release;
        if (reference)
            softmax_cross_entropy_reference<T>(l, d, x, t, w, M, C, ignore_index, label_smoothing, &loss_sum,
                                               &weight_sum);
        else
            softmax_cross_entropy<T>(l, d, x, t, w, M, C, ignore_index, label_smoothing, &loss_sum, &weight_sum);
    };
    with_dtype(dt, run);
    return py::make_tuple(loss, loss_sum, weight_sum, grad);
}

}  // namespace

void bind_activation(py::module_& m) {
    def_op(m, "relu_forward", "relu", &relu_forward_py,
           py::arg("x"), py::arg("out") = py::none(), py::arg("reference") = false,
           "max(x, 0) elementwise (NaN passes) for a C-contiguous float array; into `out` when given (may be x "
           "itself), else a new array. Returns the result.");
    def_op(m, "relu_backward", "relu_backward", &relu_backward_py,
           py::arg("grad_out"), py::arg("out"), py::arg("grad_input") = py::none(),
           py::arg("reference") = false,
           "grad_out * (out > 0) for ReLU's result `out`; accumulates into grad_input when given, else returns a new "
           "array.");
    def_op(m, "add_relu_forward", "add_relu", &add_relu_forward_py, py::arg("a"), py::arg("b"),
           py::arg("out") = py::none(), py::arg("reference") = false,
           "max(a + b, 0) elementwise in one pass (a ResNet block's residual join) for C-contiguous float arrays of "
           "one shape; into `out` when given (may be a or b itself), else a new array. Returns the result.");
    def_op(m, "add_relu_backward", "add_relu_backward", &add_relu_backward_py, py::arg("grad_out"), py::arg("out"),
           py::arg("need_a") = true, py::arg("need_b") = true, py::arg("grad_a") = py::none(),
           py::arg("grad_b") = py::none(), py::arg("reference") = false,
           "Gradients of add_relu for both inputs: grad_out * (out > 0), written once per wanted input. Returns "
           "(grad_a or None, grad_b or None); accumulates into grad_a / grad_b when given, else new arrays.");
    def_op(m, "bias_relu_forward", "bias_relu", &bias_relu_forward_py,
           py::arg("y"), py::arg("bias"), py::arg("reference") = false,
           "y = max(y + bias, 0) in place, bias broadcast along the last dim of y. Returns y.");
    def_op(m, "softmax_cross_entropy", "cross_entropy", &softmax_cross_entropy_py, py::arg("logits"), py::arg("target"),
           py::arg("weight") = py::none(), py::arg("ignore_index") = -100, py::arg("label_smoothing") = 0.0,
           py::arg("need_grad") = true, py::arg("reference") = false,
           "Cross-entropy of (M, C) logits against int64 class indices (M,), with optional class weight, "
           "ignore_index and label smoothing. Returns (per-row loss (M,), loss sum, sum of the targets' weights, "
           "gradient of the loss sum w.r.t. the logits (M, C) or None when need_grad is false).");
}

}  // namespace axonal
