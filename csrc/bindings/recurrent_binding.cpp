// Bindings for kernels/recurrent: rnn_forward / rnn_backward, one layer and one direction over a whole
// (packed) sequence. Every array is checked here (type, dtype, shape, C-contiguity, alignment, overlap of
// what the kernel writes with what it reads) and batch_sizes for the packed layout, so a bad call raises
// a TypeError/ValueError starting with "[rnn]"; the kernels run with the GIL released.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/recurrent.h"

namespace axonal {
namespace {

const std::string kOp = "rnn";

std::string type_name(py::handle h) { return std::string(py::str(py::type::handle_of(h).attr("__name__"))); }

int mode_arg(int mode) {
    if (mode < RNN_TANH || mode > RNN_GRU)
        fail_value(kOp, "mode must be 0 (rnn tanh), 1 (rnn relu), 2 (lstm) or 3 (gru), got ", mode);
    return mode;
}

// A C-contiguous, aligned array of dtype `ref_dtype` (or float32/float64 when ref is null) and exactly `shape`.
py::array array_arg(const char* name, py::handle obj, const std::vector<int64_t>& shape, const py::array* ref,
                    const char* ref_name) {
    if (!py::isinstance<py::array>(obj)) fail_type(kOp, name, " must be a numpy.ndarray, got ", type_name(obj));
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (ref)
        require_same_dtype(kOp, name, a, ref_name, *ref);
    else
        float_dtype(kOp, name, a);
    bool same = a.ndim() == py::ssize_t(shape.size());
    for (size_t i = 0; same && i < shape.size(); ++i) same = a.shape(py::ssize_t(i)) == shape[i];
    if (!same) {
        std::ostringstream os;
        os << "(";
        for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
        os << (shape.size() == 1 ? ",)" : ")");
        fail_value(kOp, name, " has shape ", shape_str(a), " but must be ", os.str());
    }
    require_c_contiguous(kOp, name, a);
    if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(kOp, name, " must be aligned in memory (shape ", shape_str(a), "); pass a copy");
    return a;
}

// An optional array argument: *present tells whether one was given (a default py::array is an empty
// array, not a null handle, so presence is tracked apart).
py::array optional_arg(const char* name, py::handle obj, const std::vector<int64_t>& shape, const py::array& ref,
                       const char* ref_name, bool* present) {
    *present = !obj.is_none();
    if (!*present) return py::array();
    return array_arg(name, obj, shape, &ref, ref_name);
}

bool overlaps(const py::array& a, const py::array& b) {
    if (a.nbytes() == 0 || b.nbytes() == 0) return false;
    auto lo_a = reinterpret_cast<std::uintptr_t>(a.data()), lo_b = reinterpret_cast<std::uintptr_t>(b.data());
    return lo_a < lo_b + std::uintptr_t(b.nbytes()) && lo_b < lo_a + std::uintptr_t(a.nbytes());
}

// batch_sizes: a 1-D int64 array of the steps' batch sizes: each >= 1, non-increasing, the first == B,
// summing to N (the rows of gates). Returns the number of steps.
int64_t batch_sizes_arg(py::handle obj, int64_t N, int64_t B, py::array* out) {
    if (!py::isinstance<py::array>(obj)) fail_type(kOp, "batch_sizes must be a numpy.ndarray, got ", type_name(obj));
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (!a.dtype().is(py::dtype::of<int64_t>()))
        fail_type(kOp, "batch_sizes must be int64, got ", std::string(py::str(a.dtype())));
    require_ndim(kOp, "batch_sizes", a, 1);
    require_c_contiguous(kOp, "batch_sizes", a);
    const int64_t steps = a.shape(0);
    if (steps < 1) fail_value(kOp, "batch_sizes must hold at least one step, got shape ", shape_str(a));
    const int64_t* p = static_cast<const int64_t*>(a.data());
    int64_t total = 0;
    for (int64_t t = 0; t < steps; ++t) {
        if (p[t] < 1 || (t > 0 && p[t] > p[t - 1]))
            fail_value(kOp, "batch_sizes must be >= 1 and non-increasing, got ", p[t], " at step ", t,
                       t > 0 ? " after " : "", t > 0 ? std::to_string(p[t - 1]) : std::string());
        total += p[t];
    }
    if (p[0] != B) fail_value(kOp, "batch_sizes[0] is ", p[0], " but h0 holds ", B, " sequences");
    if (total != N) fail_value(kOp, "batch_sizes sum to ", total, " rows but gates has ", N);
    *out = a;
    return steps;
}

// batch_sizes[0] (the number of sequences) after a first look at the array; batch_sizes_arg checks the rest.
int64_t first_batch_size(py::handle obj) {
    if (!py::isinstance<py::array>(obj)) fail_type(kOp, "batch_sizes must be a numpy.ndarray, got ", type_name(obj));
    py::array a = py::reinterpret_borrow<py::array>(obj);
    if (!a.dtype().is(py::dtype::of<int64_t>()))
        fail_type(kOp, "batch_sizes must be int64, got ", std::string(py::str(a.dtype())));
    if (a.ndim() != 1 || a.shape(0) < 1)
        fail_value(kOp, "batch_sizes must be 1-D with at least one step, got shape ", shape_str(a));
    return static_cast<const int64_t*>(a.data())[0];
}

// w_hh (G*H, H): gives H; returns the checked array.
py::array w_hh_arg(py::handle obj, int64_t G, int64_t* H) {
    if (!py::isinstance<py::array>(obj)) fail_type(kOp, "w_hh must be a numpy.ndarray, got ", type_name(obj));
    py::array any = py::reinterpret_borrow<py::array>(obj);
    require_ndim(kOp, "w_hh", any, 2);
    *H = any.shape(1);
    if (*H < 1) fail_value(kOp, "w_hh must have at least one unit, got shape ", shape_str(any));
    return array_arg("w_hh", obj, {G * *H, *H}, nullptr, nullptr);
}

py::tuple rnn_forward_py(int mode, py::object gates_obj, py::object h0_obj, py::object c0_obj, py::object w_obj,
                         py::object b_obj, py::object bs_obj, bool save, bool reverse, py::object bx_obj,
                         bool reference) {
    mode = mode_arg(mode);
    const int64_t G = rnn_gate_count(mode);
    int64_t H = 0;
    py::array w = w_hh_arg(w_obj, G, &H);
    if (!py::isinstance<py::array>(gates_obj)) fail_type(kOp, "gates must be a numpy.ndarray, got ", type_name(gates_obj));
    py::array gates_any = py::reinterpret_borrow<py::array>(gates_obj);
    require_ndim(kOp, "gates", gates_any, 2);
    const int64_t N = gates_any.shape(0);
    py::array gates = array_arg("gates", gates_obj, {N, G * H}, &w, "w_hh");
    require_writeable(kOp, "gates", gates);
    const int64_t B = first_batch_size(bs_obj);
    py::array bs;
    const int64_t steps = batch_sizes_arg(bs_obj, N, B, &bs);
    const bool lstm = mode == RNN_LSTM, zero_h0 = h0_obj.is_none();
    if (!lstm && !c0_obj.is_none()) fail_value(kOp, "c0 is for the LSTM only; pass None");
    if (lstm && zero_h0 != c0_obj.is_none()) fail_value(kOp, "h0 and c0 must both be given or both be None (zeros)");
    py::array h0 = zero_h0 ? py::array() : array_arg("h0", h0_obj, {B, H}, &w, "w_hh");
    py::array c0 = lstm && !zero_h0 ? array_arg("c0", c0_obj, {B, H}, &w, "w_hh") : py::array();
    bool has_b = false;
    py::array b = mode == RNN_GRU ? optional_arg("b_hh", b_obj, {G * H}, w, "w_hh", &has_b) : py::array();
    if (mode != RNN_GRU && !b_obj.is_none())
        fail_value(kOp, "b_hh is the GRU's alone (the other cells take b_ih + b_hh as b_x); pass None");
    bool has_bx = false;
    py::array bx = optional_arg("b_x", bx_obj, {G * H}, w, "w_hh", &has_bx);
    for (const py::array* in : {&h0, &c0, &w, &b, &bx})
        if (in->size() > 0 && overlaps(gates, *in))
            fail_value(kOp, "gates must not overlap h0, c0, w_hh, b_hh or b_x");

    py::array out = aligned_empty(kOp, w.dtype(), {N, H});
    py::array h_n = aligned_empty(kOp, w.dtype(), {B, H});
    py::array c_n = lstm ? aligned_empty(kOp, w.dtype(), {B, H}) : py::array();
    py::array saved = save ? aligned_empty(kOp, w.dtype(), {N, rnn_saved_width(mode) * H}) : py::array();
    const int64_t* bsp = static_cast<const int64_t*>(bs.data());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* g = data_ptr<T>(gates);
        T* o = data_ptr<T>(out);
        T* hn = data_ptr<T>(h_n);
        T* cn = lstm ? data_ptr<T>(c_n) : nullptr;
        T* sv = save ? data_ptr<T>(saved) : nullptr;
        const T* wp = cdata_ptr<T>(w);
        const T* bp = has_b ? cdata_ptr<T>(b) : nullptr;
        const T* bxp = has_bx ? cdata_ptr<T>(bx) : nullptr;
        const T* h0p = zero_h0 ? nullptr : cdata_ptr<T>(h0);
        const T* c0p = lstm && !zero_h0 ? cdata_ptr<T>(c0) : nullptr;
        py::gil_scoped_release release;
        if (reference)
            rnn_sequence_forward_reference<T>(mode, g, o, hn, cn, sv, wp, bp, bxp, h0p, c0p, bsp, steps, B, H,
                                              reverse);
        else
            rnn_sequence_forward<T>(mode, g, o, hn, cn, sv, wp, bp, bxp, h0p, c0p, bsp, steps, B, H, reverse);
    };
    with_dtype(float_dtype(kOp, "w_hh", w), run);
    py::object none = py::none();
    return py::make_tuple(out, h_n, lstm ? py::object(c_n) : none, save ? py::object(saved) : none);
}

py::tuple rnn_backward_py(int mode, py::object go_obj, py::object ghn_obj, py::object gcn_obj, py::object gates_obj,
                          py::object saved_obj, py::object w_obj, bool with_bias, py::object bs_obj, bool reverse,
                          bool zero_h0, bool need_state_grads, bool reference) {
    mode = mode_arg(mode);
    const int64_t G = rnn_gate_count(mode);
    int64_t H = 0;
    py::array w = w_hh_arg(w_obj, G, &H);
    if (!py::isinstance<py::array>(gates_obj)) fail_type(kOp, "gates must be a numpy.ndarray, got ", type_name(gates_obj));
    py::array gates_any = py::reinterpret_borrow<py::array>(gates_obj);
    require_ndim(kOp, "gates", gates_any, 2);
    const int64_t N = gates_any.shape(0);
    py::array gates = array_arg("gates", gates_obj, {N, G * H}, &w, "w_hh");
    py::array saved = array_arg("saved", saved_obj, {N, rnn_saved_width(mode) * H}, &w, "w_hh");
    const int64_t B = first_batch_size(bs_obj);
    py::array bs;
    const int64_t steps = batch_sizes_arg(bs_obj, N, B, &bs);
    const bool lstm = mode == RNN_LSTM;
    bool has_go = false, has_ghn = false, has_gcn = false;
    py::array go = optional_arg("grad_out", go_obj, {N, H}, w, "w_hh", &has_go);
    py::array ghn = optional_arg("grad_h_n", ghn_obj, {B, H}, w, "w_hh", &has_ghn);
    py::array gcn = lstm ? optional_arg("grad_c_n", gcn_obj, {B, H}, w, "w_hh", &has_gcn) : py::array();
    if (!lstm && !gcn_obj.is_none()) fail_value(kOp, "grad_c_n is for the LSTM only; pass None");

    py::array dgates = aligned_empty(kOp, w.dtype(), {N, G * H});
    py::array dw = aligned_zeros(kOp, w.dtype(), {G * H, H});
    py::array db = with_bias ? aligned_zeros(kOp, w.dtype(), {G * H}) : py::array();
    py::array dh0 = need_state_grads ? aligned_empty(kOp, w.dtype(), {B, H}) : py::array();
    py::array dc0 = lstm && need_state_grads ? aligned_empty(kOp, w.dtype(), {B, H}) : py::array();
    const int64_t* bsp = static_cast<const int64_t*>(bs.data());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        T* dg = data_ptr<T>(dgates);
        T* dwp = data_ptr<T>(dw);
        T* dbp = with_bias ? data_ptr<T>(db) : nullptr;
        T* dh0p = need_state_grads ? data_ptr<T>(dh0) : nullptr;
        T* dc0p = lstm && need_state_grads ? data_ptr<T>(dc0) : nullptr;
        const T* gop = has_go ? cdata_ptr<T>(go) : nullptr;
        const T* ghp = has_ghn ? cdata_ptr<T>(ghn) : nullptr;
        const T* gcp = has_gcn ? cdata_ptr<T>(gcn) : nullptr;
        const T* gp = cdata_ptr<T>(gates);
        const T* svp = cdata_ptr<T>(saved);
        const T* wp = cdata_ptr<T>(w);
        py::gil_scoped_release release;
        if (reference)
            rnn_sequence_backward_reference<T>(mode, dg, dwp, dbp, dh0p, dc0p, gop, ghp, gcp, gp, svp, wp, bsp, steps, B,
                                               H, reverse);
        else
            rnn_sequence_backward<T>(mode, dg, dwp, dbp, dh0p, dc0p, gop, ghp, gcp, gp, svp, wp, bsp, steps, B, H,
                                     reverse, zero_h0);
    };
    with_dtype(float_dtype(kOp, "w_hh", w), run);
    py::object none = py::none();
    return py::make_tuple(dgates, dw, with_bias ? py::object(db) : none, need_state_grads ? py::object(dh0) : none,
                          lstm && need_state_grads ? py::object(dc0) : none);
}

}  // namespace

void bind_recurrent(py::module_& m) {
    def_op(m, "rnn_forward", kOp, &rnn_forward_py, py::arg("mode"), py::arg("gates"), py::arg("h0"), py::arg("c0"),
           py::arg("w_hh"), py::arg("b_hh"), py::arg("batch_sizes"), py::arg("save") = true,
           py::arg("reverse") = false, py::arg("b_x") = py::none(), py::arg("reference") = false,
           "One recurrent layer and direction over a packed sequence (kernels/recurrent.h). mode: 0 rnn tanh, 1 rnn "
           "relu, 2 lstm, 3 gru. gates (N, G*H): the input projections without bias, overwritten with the gate "
           "activations; b_x (G*H,) or None: the bias added to them (b_ih + b_hh; the GRU: b_ih). "
           "h0 (B, H) or None (zeros); c0 (B, H) for the LSTM (None with h0 None), else None; w_hh (G*H, H); b_hh "
           "(G*H,) for the GRU (or None), else None; batch_sizes: int64 (steps,). Returns (out (N, H), h_n (B, H), "
           "c_n or None, saved or None); save=False skips what backward needs.");
    def_op(m, "rnn_backward", kOp, &rnn_backward_py, py::arg("mode"), py::arg("grad_out"), py::arg("grad_h_n"),
           py::arg("grad_c_n"), py::arg("gates"), py::arg("saved"), py::arg("w_hh"), py::arg("with_bias"),
           py::arg("batch_sizes"), py::arg("reverse") = false, py::arg("zero_h0") = false,
           py::arg("need_state_grads") = true, py::arg("reference") = false,
           "Backward of rnn_forward given the gradients of out, h_n and c_n (each may be None = zero) and the "
           "gates / saved it returned. zero_h0: the forward ran from h0 = None; need_state_grads=False skips d h0 "
           "and d c0. Returns (d gates (N, G*H) = the gradient of the input projections, d w_hh, d b_hh or None, "
           "d h0 or None, d c0 or None).");
}

}  // namespace axonal
