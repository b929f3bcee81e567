// Bindings for kernels/optim_update: sgd_update and adam_update, in place on the caller's arrays.
// The parameter, its gradient and the optimizer state must be numpy arrays of one float dtype and one
// shape, C-contiguous and aligned, the written ones writeable, and no two of them may overlap in memory
// (the fused loop reads and writes every array in one pass). Anything else is a ValueError/TypeError
// before the kernel runs; axonal.optim checks the same things first and keeps its NumPy path otherwise.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/optim_update.h"

namespace axonal {
namespace {

struct Operand {
    const char* name;
    py::array arr;
    bool written;
};

std::string type_name(py::handle h) { return std::string(py::str(py::type::handle_of(h).attr("__name__"))); }

py::array as_array(const std::string& op, const char* name, py::handle obj) {
    if (!py::isinstance<py::array>(obj)) fail_type(op, name, " must be a numpy.ndarray, got ", type_name(obj));
    return py::reinterpret_borrow<py::array>(obj);
}

// Everything the kernels assume about their operands; ops[0] is the parameter. Returns the dtype.
DType check_operands(const std::string& op, const std::vector<Operand>& ops) {
    const py::array& p = ops[0].arr;
    const DType dt = float_dtype(op, ops[0].name, p);
    for (size_t i = 1; i < ops.size(); ++i) {
        require_same_dtype(op, ops[i].name, ops[i].arr, ops[0].name, p);
        const py::array& a = ops[i].arr;
        bool same = a.ndim() == p.ndim();
        for (py::ssize_t d = 0; same && d < a.ndim(); ++d) same = a.shape(d) == p.shape(d);
        if (!same)
            fail_value(op, ops[i].name, " has shape ", shape_str(a), " but ", ops[0].name, " has shape ",
                       shape_str(p));
    }
    for (const Operand& o : ops) {
        require_c_contiguous(op, o.name, o.arr);
        if (!(o.arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
            fail_value(op, o.name, " must be aligned in memory (shape ", shape_str(o.arr), "); pass a copy");
        if (o.written) require_writeable(op, o.name, o.arr);
    }
    for (size_t i = 0; i < ops.size(); ++i)
        for (size_t j = i + 1; j < ops.size(); ++j) {
            const py::array& a = ops[i].arr;
            const py::array& b = ops[j].arr;
            if (a.nbytes() == 0) continue;
            const char* ab = static_cast<const char*>(a.data());
            const char* bb = static_cast<const char*>(b.data());
            if (ab < bb + b.nbytes() && bb < ab + a.nbytes())
                fail_value(op, ops[i].name, " and ", ops[j].name, " overlap in memory (both of shape ", shape_str(p),
                           "); every array must be separate");
        }
    return dt;
}

void sgd_update_py(py::object param, py::object grad, py::object momentum_buffer, double lr, double momentum,
                   double dampening, double weight_decay, bool nesterov, bool maximize, bool init_buffer,
                   bool reference) {
    const std::string op = "sgd_update";
    std::vector<Operand> ops{{"param", as_array(op, "param", param), true},
                             {"grad", as_array(op, "grad", grad), false}};
    if (momentum != 0) {
        if (momentum_buffer.is_none())
            fail_value(op, "momentum is ", momentum, " but no momentum_buffer was given (param ", shape_str(ops[0].arr),
                       ")");
        ops.push_back({"momentum_buffer", as_array(op, "momentum_buffer", momentum_buffer), true});
    } else if (!momentum_buffer.is_none()) {
        fail_value(op, "momentum is 0, so momentum_buffer must be None (param ", shape_str(ops[0].arr), ")");
    }
    const DType dt = check_operands(op, ops);
    const int64_t n = int64_t(ops[0].arr.size());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* p = data_ptr<T>(ops[0].arr);
        const T* g = cdata_ptr<T>(ops[1].arr);
        T* buf = ops.size() > 2 ? data_ptr<T>(ops[2].arr) : nullptr;
        py::gil_scoped_release release;
        if (reference)
            sgd_update_reference<T>(p, g, buf, n, lr, momentum, dampening, weight_decay, nesterov, maximize,
                                    init_buffer);
        else
            sgd_update<T>(p, g, buf, n, lr, momentum, dampening, weight_decay, nesterov, maximize, init_buffer);
    };
    with_dtype(dt, run);
}

void adam_update_py(py::object param, py::object grad, py::object exp_avg, py::object exp_avg_sq,
                    py::object max_exp_avg_sq, double lr, double beta1, double beta2, double eps, double weight_decay,
                    bool decoupled, bool maximize, double step_size, double bias_correction2_sqrt, bool reference) {
    const std::string op = "adam_update";
    std::vector<Operand> ops{{"param", as_array(op, "param", param), true},
                             {"grad", as_array(op, "grad", grad), false},
                             {"exp_avg", as_array(op, "exp_avg", exp_avg), true},
                             {"exp_avg_sq", as_array(op, "exp_avg_sq", exp_avg_sq), true}};
    if (!max_exp_avg_sq.is_none()) ops.push_back({"max_exp_avg_sq", as_array(op, "max_exp_avg_sq", max_exp_avg_sq), true});
    const DType dt = check_operands(op, ops);
    const int64_t n = int64_t(ops[0].arr.size());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* p = data_ptr<T>(ops[0].arr);
        const T* g = cdata_ptr<T>(ops[1].arr);
        T* m1 = data_ptr<T>(ops[2].arr);
        T* m2 = data_ptr<T>(ops[3].arr);
        T* mx = ops.size() > 4 ? data_ptr<T>(ops[4].arr) : nullptr;
        py::gil_scoped_release release;
        if (reference)
            adam_update_reference<T>(p, g, m1, m2, mx, n, lr, beta1, beta2, eps, weight_decay, decoupled, maximize,
                                     step_size, bias_correction2_sqrt);
        else
            adam_update<T>(p, g, m1, m2, mx, n, lr, beta1, beta2, eps, weight_decay, decoupled, maximize, step_size,
                           bias_correction2_sqrt);
    };
    with_dtype(dt, run);
}

}  // namespace

void bind_optim(py::module_& m) {
    def_op(m, "sgd_update", "sgd_update", &sgd_update_py,
           py::arg("param"), py::arg("grad"), py::arg("momentum_buffer"), py::arg("lr"),
           py::arg("momentum"), py::arg("dampening"), py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"),
           py::arg("init_buffer"), py::arg("reference") = false,
           "One SGD step in place on param (and momentum_buffer, required iff momentum != 0; with init_buffer it is "
           "overwritten with the first step's direction, torch's first-step rule). reference=True runs the naive "
           "kernel.");
    def_op(m, "adam_update", "adam_update", &adam_update_py, py::arg("param"), py::arg("grad"), py::arg("exp_avg"),
           py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
           py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"), py::arg("maximize"), py::arg("step_size"),
           py::arg("bias_correction2_sqrt"), py::arg("reference") = false,
           "One Adam (decoupled=False) or AdamW (decoupled=True) step in place on param and the state arrays; "
           "max_exp_avg_sq is given for amsgrad, else None. step_size = lr / (1 - beta1**t), "
           "bias_correction2_sqrt = sqrt(1 - beta2**t). reference=True runs the naive kernel.");
}

}  // namespace axonal
