// Bindings for kernels/conv2d: forward, backward-input and backward-weight, each with reference=True to
// run the naive kernel. Every check runs before any kernel: bad shapes, dtypes, layouts or geometry
// raise ValueError/TypeError naming the op and the shapes, so nothing invalid reaches the C++ loops.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/conv2d.h"
#include "kernels/parallel.h"

namespace axonal {
namespace {

// Upper bound for stride, padding and dilation: far beyond any real network, and it keeps every index
// computed in the kernels (offsets like s * dil - pad) comfortably inside int64.
constexpr int64_t kMaxGeometry = int64_t(1) << 31;
// Upper bound for any element count the binding allocates or lets a kernel allocate.
constexpr int64_t kMaxElements = std::numeric_limits<int64_t>::max() / 16;

struct Geometry {
    Pair stride, pad, dil;
};

std::string repr_str(const py::handle& h) { return std::string(py::repr(h)); }

// A Python integer (or anything with __index__, such as numpy integers; not float) as int64.
int64_t int_item(const std::string& op, const char* name, const py::handle& obj, const py::handle& item) {
    if (py::isinstance<py::float_>(item) || !PyIndex_Check(item.ptr()))
        fail_type(op, name, " must contain ints, got ", repr_str(obj));
    int overflow = 0;
    py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(item.ptr()));
    if (!idx) throw py::error_already_set();
    long long v = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
    if (overflow != 0) fail_value(op, name, " has a value out of range: ", repr_str(obj));
    if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
    return int64_t(v);
}

std::vector<int64_t> int_sequence(const std::string& op, const char* name, const py::handle& obj, size_t len,
                                  const char* what) {
    if (!py::isinstance<py::sequence>(obj) || py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj))
        fail_type(op, name, " must be a sequence of ", len, " ints ", what, ", got ", repr_str(obj));
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() != len) fail_value(op, name, " must have ", len, " values ", what, ", got ", repr_str(obj));
    std::vector<int64_t> v;
    for (size_t i = 0; i < len; ++i) v.push_back(int_item(op, name, obj, seq[i]));
    return v;
}

Pair geometry_pair(const std::string& op, const char* name, const py::handle& obj, int64_t min_value) {
    Pair p = pair_arg(op, name, int_sequence(op, name, obj, 2, "(height, width)"), min_value);
    if (p.h > kMaxGeometry || p.w > kMaxGeometry)
        fail_value(op, name, " must be <= ", kMaxGeometry, ", got (", p.h, ", ", p.w, ")");
    return p;
}

Geometry geometry(const std::string& op, const py::handle& stride, const py::handle& padding,
                  const py::handle& dilation) {
    return {geometry_pair(op, "stride", stride, 1), geometry_pair(op, "padding", padding, 0),
            geometry_pair(op, "dilation", dilation, 1)};
}

std::string geometry_str(const Geometry& g) {
    std::ostringstream os;
    os << "stride (" << g.stride.h << ", " << g.stride.w << "), padding (" << g.pad.h << ", " << g.pad.w
       << "), dilation (" << g.dil.h << ", " << g.dil.w << ")";
    return os.str();
}

struct Shape4 {
    int64_t d[4];
};

std::string shape4_str(const Shape4& s) {
    std::ostringstream os;
    os << "(" << s.d[0] << ", " << s.d[1] << ", " << s.d[2] << ", " << s.d[3] << ")";
    return os.str();
}

// Product of sizes, or -1 when it exceeds kMaxElements.
int64_t bounded_product(std::initializer_list<int64_t> sizes) {
    int64_t p = 1;
    for (int64_t s : sizes) {
        if (s < 0) return -1;
        if (s != 0 && p > kMaxElements / s) return -1;
        p *= s;
    }
    return p;
}

// A user-given 4-D shape such as input_shape: 4 positive ints whose product fits.
Shape4 shape_arg(const std::string& op, const char* name, const py::handle& obj, const char* what) {
    std::vector<int64_t> v = int_sequence(op, name, obj, 4, what);
    Shape4 s{{v[0], v[1], v[2], v[3]}};
    for (int i = 0; i < 4; ++i)
        if (s.d[i] < 1) fail_value(op, name, " must have sizes >= 1, got ", shape4_str(s));
    if (bounded_product({s.d[0], s.d[1], s.d[2], s.d[3]}) < 0)
        fail_value(op, name, " ", shape4_str(s), " has too many elements");
    return s;
}

// Array arguments must already be numpy arrays: silently converting a list (to float64) or a torch tensor
// would hide dtype mistakes and copies from the caller.
py::array ndarray_arg(const std::string& op, const char* name, const py::object& obj) {
    if (!py::isinstance<py::array>(obj))
        fail_type(op, name, " must be a numpy.ndarray, got ", std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
    return py::reinterpret_borrow<py::array>(obj);
}

// dtype, 4-D, C-contiguous, aligned, no zero-sized dimension.
Shape4 array4(const std::string& op, const char* name, const py::array& a) {
    require_ndim(op, name, a, 4);
    require_c_contiguous(op, name, a);
    if (reinterpret_cast<std::uintptr_t>(a.data()) % std::uintptr_t(a.itemsize()) != 0)
        fail_value(op, name, " is not aligned to its element size (shape ", shape_str(a), "); pass a copy");
    Shape4 s{{int64_t(a.shape(0)), int64_t(a.shape(1)), int64_t(a.shape(2)), int64_t(a.shape(3))}};
    for (int i = 0; i < 4; ++i)
        if (s.d[i] < 1) fail_value(op, name, " has a zero-sized dimension: shape ", shape_str(a));
    return s;
}

// Output (N, K, P, Q) of the convolution, or a ValueError when the dilated kernel does not fit the padded
// input, or the output / per-thread workspace would be absurdly large.
Shape4 output_shape(const std::string& op, const Shape4& in, const Shape4& w, const Geometry& g,
                    const std::string& context) {
    int64_t P = conv2d_output_size(in.d[2], w.d[2], g.stride.h, g.pad.h, g.dil.h);
    int64_t Q = conv2d_output_size(in.d[3], w.d[3], g.stride.w, g.pad.w, g.dil.w);
    if (P < 1 || Q < 1)
        fail_value(op, "kernel (", w.d[2], ", ", w.d[3], ") with dilation (", g.dil.h, ", ", g.dil.w,
                   ") is larger than the padded input (", in.d[2], " + 2*", g.pad.h, ", ", in.d[3], " + 2*", g.pad.w,
                   "): output size would be ", P, "x", Q, " (", context, ", ", geometry_str(g), ")");
    Shape4 out{{in.d[0], w.d[0], P, Q}};
    int64_t threads = get_num_threads();
    if (bounded_product({in.d[0], w.d[0], P, Q}) < 0 ||
        bounded_product({threads, w.d[1], w.d[2], w.d[3], P, Q}) < 0)
        fail_value(op, "output ", shape4_str(out), " is too large (", context, ", ", geometry_str(g), ")");
    return out;
}

// groups from Python: an int >= 1 dividing the input channels and the filters.
int64_t groups_arg(const std::string& op, int64_t groups, int64_t C, int64_t K, const std::string& context) {
    if (groups < 1) fail_value(op, "groups must be >= 1, got ", groups, " (", context, ")");
    if (C % groups != 0 || K % groups != 0)
        fail_value(op, "groups=", groups, " must divide the ", C, " input channels and the ", K, " filters (", context,
                   ")");
    return groups;
}

void require_channels(const std::string& op, const char* in_name, const Shape4& in, const std::string& in_shape,
                      const Shape4& w, const std::string& w_shape, int64_t groups) {
    if (in.d[1] != w.d[1] * groups) {
        if (groups == 1)
            fail_value(op, in_name, " has ", in.d[1], " channels but weight expects ", w.d[1], " (", in_name, " ",
                       in_shape, ", weight ", w_shape, ")");
        fail_value(op, in_name, " has ", in.d[1], " channels but weight with groups=", groups, " expects ", w.d[1],
                   " x ", groups, " = ", w.d[1] * groups, " (", in_name, " ", in_shape, ", weight ", w_shape, ")");
    }
}

void require_grad_out(const std::string& op, const py::array& grad_out, const Shape4& expected,
                      const std::string& context, const Geometry& g) {
    Shape4 go = array4(op, "grad_out", grad_out);
    for (int i = 0; i < 4; ++i)
        if (go.d[i] != expected.d[i])
            fail_value(op, "grad_out has shape ", shape_str(grad_out), " but the convolution output is ",
                       shape4_str(expected), " (", context, ", ", geometry_str(g), ")");
}

// Whether the byte ranges of two arrays intersect (outputs must not alias inputs the kernel reads).
bool may_share_memory(const py::array& a, const py::array& b) {
    auto lo_a = reinterpret_cast<std::uintptr_t>(a.data()), lo_b = reinterpret_cast<std::uintptr_t>(b.data());
    auto hi_a = lo_a + std::uintptr_t(a.nbytes()), hi_b = lo_b + std::uintptr_t(b.nbytes());
    return lo_a < hi_b && lo_b < hi_a;
}

// An optional caller-given gradient buffer to accumulate into: same dtype as ref, exact shape, C-contiguous,
// writeable; None means "allocate zeros". Returned so the caller gets the same array back.
py::array accumulation_buffer(const std::string& op, const char* name, const py::object& given, const py::array& ref,
                              const std::vector<py::ssize_t>& shape) {
    if (given.is_none()) {
        return aligned_zeros(op, ref.dtype(), shape);
    }
    if (!py::isinstance<py::array>(given))
        fail_type(op, name, " must be a numpy.ndarray or None, got ",
                  std::string(py::str(py::type::handle_of(given).attr("__name__"))));
    py::array a = py::reinterpret_borrow<py::array>(given);
    require_same_dtype(op, name, a, "grad_out", ref);
    bool same = a.ndim() == py::ssize_t(shape.size());
    for (size_t i = 0; same && i < shape.size(); ++i) same = a.shape(i) == shape[i];
    if (!same) {
        std::ostringstream os;
        os << "(";
        for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
        os << (shape.size() == 1 ? ",)" : ")");
        fail_value(op, name, " has shape ", shape_str(a), " but must be ", os.str());
    }
    require_c_contiguous(op, name, a);
    require_writeable(op, name, a);
    if (reinterpret_cast<std::uintptr_t>(a.data()) % std::uintptr_t(a.itemsize()) != 0)
        fail_value(op, name, " is not aligned to its element size (shape ", shape_str(a), ")");
    return a;
}

std::vector<py::ssize_t> dims(const Shape4& s) {
    return {py::ssize_t(s.d[0]), py::ssize_t(s.d[1]), py::ssize_t(s.d[2]), py::ssize_t(s.d[3])};
}

// ---- conv2d_forward ---------------------------------------------------------------------------------

template <typename T>
void run_forward(py::array& out, const py::array& x, const py::array& w, const py::array* b, const Shape4& in,
                 const Shape4& ws, const Geometry& g, bool reference, bool relu, int64_t groups) {
    auto kernel = reference ? &conv2d_forward_reference<T> : &conv2d_forward<T>;
    T* o = data_ptr<T>(out);
    const T* xp = cdata_ptr<T>(x);
    const T* wp = cdata_ptr<T>(w);
    const T* bp = b ? cdata_ptr<T>(*b) : nullptr;
    py::gil_scoped_release release;
    kernel(o, xp, wp, bp, in.d[0], in.d[1], in.d[2], in.d[3], ws.d[0], ws.d[2], ws.d[3], g.stride.h, g.stride.w,
           g.pad.h, g.pad.w, g.dil.h, g.dil.w, relu, groups);
}

py::array conv2d_forward_py(py::object x_obj, py::object w_obj, py::object b, py::object stride, py::object padding,
                            py::object dilation, bool reference, bool relu, int64_t groups) {
    const std::string op = "conv2d";
    py::array x = ndarray_arg(op, "input", x_obj), w = ndarray_arg(op, "weight", w_obj);
    DType dt = float_dtype(op, "input", x);
    require_same_dtype(op, "weight", w, "input", x);
    Shape4 in = array4(op, "input", x);
    Shape4 ws = array4(op, "weight", w);
    groups_arg(op, groups, in.d[1], ws.d[0], "input " + shape_str(x) + ", weight " + shape_str(w));
    require_channels(op, "input", in, shape_str(x), ws, shape_str(w), groups);
    py::array bias;
    bool has_bias = !b.is_none();
    if (has_bias) {
        if (!py::isinstance<py::array>(b))
            fail_type(op, "bias must be a numpy.ndarray or None, got ",
                      std::string(py::str(py::type::handle_of(b).attr("__name__"))));
        bias = py::reinterpret_borrow<py::array>(b);
        float_dtype(op, "bias", bias);
        require_same_dtype(op, "bias", bias, "input", x);
        if (bias.ndim() != 1 || bias.shape(0) != ws.d[0])
            fail_value(op, "bias has shape ", shape_str(bias), " but weight has ", ws.d[0],
                       " output channels, so bias must be (", ws.d[0], ",) (weight ", shape_str(w), ")");
        require_c_contiguous(op, "bias", bias);
        if (reinterpret_cast<std::uintptr_t>(bias.data()) % std::uintptr_t(bias.itemsize()) != 0)
            fail_value(op, "bias is not aligned to its element size (shape ", shape_str(bias), "); pass a copy");
    }
    Geometry g = geometry(op, stride, padding, dilation);
    Shape4 os = output_shape(op, in, ws, g, "input " + shape_str(x) + ", weight " + shape_str(w));
    py::array out = aligned_empty(op, x.dtype(), std::vector<py::ssize_t>{py::ssize_t(os.d[0]), py::ssize_t(os.d[1]),
                                                                   py::ssize_t(os.d[2]), py::ssize_t(os.d[3])});
    if (dt == DType::F32)
        run_forward<float>(out, x, w, has_bias ? &bias : nullptr, in, ws, g, reference, relu, groups);
    else
        run_forward<double>(out, x, w, has_bias ? &bias : nullptr, in, ws, g, reference, relu, groups);
    return out;
}

// ---- conv2d_backward_input --------------------------------------------------------------------------

template <typename T>
void run_backward_input(py::array& gi, const py::array& go, const py::array& w, const Shape4& in, const Shape4& ws,
                        const Geometry& g, bool reference, int64_t groups) {
    auto kernel = reference ? &conv2d_backward_input_reference<T> : &conv2d_backward_input<T>;
    T* gip = data_ptr<T>(gi);
    const T* gop = cdata_ptr<T>(go);
    const T* wp = cdata_ptr<T>(w);
    py::gil_scoped_release release;
    kernel(gip, gop, wp, in.d[0], in.d[1], in.d[2], in.d[3], ws.d[0], ws.d[2], ws.d[3], g.stride.h, g.stride.w,
           g.pad.h, g.pad.w, g.dil.h, g.dil.w, groups);
}

py::array conv2d_backward_input_py(py::object go_obj, py::object w_obj, py::object input_shape, py::object stride,
                                   py::object padding, py::object dilation, bool reference, py::object grad_input,
                                   int64_t groups) {
    const std::string op = "conv2d_backward_input";
    py::array grad_out = ndarray_arg(op, "grad_out", go_obj), w = ndarray_arg(op, "weight", w_obj);
    DType dt = float_dtype(op, "grad_out", grad_out);
    require_same_dtype(op, "weight", w, "grad_out", grad_out);
    Shape4 ws = array4(op, "weight", w);
    Shape4 in = shape_arg(op, "input_shape", input_shape, "(N, C, H, W)");
    groups_arg(op, groups, in.d[1], ws.d[0], "input_shape " + shape4_str(in) + ", weight " + shape_str(w));
    require_channels(op, "input_shape", in, shape4_str(in), ws, shape_str(w), groups);
    Geometry g = geometry(op, stride, padding, dilation);
    std::string context = "input_shape " + shape4_str(in) + ", weight " + shape_str(w);
    Shape4 os = output_shape(op, in, ws, g, context);
    require_grad_out(op, grad_out, os, context, g);
    py::array gi = accumulation_buffer(op, "grad_input", grad_input, grad_out, dims(in));
    if (may_share_memory(gi, grad_out) || may_share_memory(gi, w))
        fail_value(op, "grad_input must not overlap grad_out or weight");
    if (dt == DType::F32)
        run_backward_input<float>(gi, grad_out, w, in, ws, g, reference, groups);
    else
        run_backward_input<double>(gi, grad_out, w, in, ws, g, reference, groups);
    return gi;
}

// ---- conv2d_backward_weight -------------------------------------------------------------------------

template <typename T>
void run_backward_weight(py::array& gw, py::array* gb, const py::array& go, const py::array& x, const Shape4& in,
                         const Shape4& ws, const Geometry& g, bool reference, int64_t groups) {
    auto kernel = reference ? &conv2d_backward_weight_reference<T> : &conv2d_backward_weight<T>;
    T* gwp = data_ptr<T>(gw);
    T* gbp = gb ? data_ptr<T>(*gb) : nullptr;
    const T* gop = cdata_ptr<T>(go);
    const T* xp = cdata_ptr<T>(x);
    py::gil_scoped_release release;
    kernel(gwp, gbp, gop, xp, in.d[0], in.d[1], in.d[2], in.d[3], ws.d[0], ws.d[2], ws.d[3], g.stride.h, g.stride.w,
           g.pad.h, g.pad.w, g.dil.h, g.dil.w, groups);
}

py::tuple conv2d_backward_weight_py(py::object go_obj, py::object x_obj, py::object weight_shape, bool with_bias,
                                    py::object stride, py::object padding, py::object dilation, bool reference,
                                    py::object grad_weight, py::object grad_bias, int64_t groups) {
    const std::string op = "conv2d_backward_weight";
    py::array grad_out = ndarray_arg(op, "grad_out", go_obj), x = ndarray_arg(op, "input", x_obj);
    DType dt = float_dtype(op, "grad_out", grad_out);
    require_same_dtype(op, "input", x, "grad_out", grad_out);
    Shape4 in = array4(op, "input", x);
    Shape4 ws = shape_arg(op, "weight_shape", weight_shape, "(K, C, R, S)");
    groups_arg(op, groups, in.d[1], ws.d[0], "input " + shape_str(x) + ", weight_shape " + shape4_str(ws));
    if (in.d[1] != ws.d[1] * groups) {
        if (groups == 1)
            fail_value(op, "input has ", in.d[1], " channels but weight_shape expects ", ws.d[1], " (input ",
                       shape_str(x), ", weight_shape ", shape4_str(ws), ")");
        fail_value(op, "input has ", in.d[1], " channels but weight_shape with groups=", groups, " expects ", ws.d[1],
                   " x ", groups, " (input ", shape_str(x), ", weight_shape ", shape4_str(ws), ")");
    }
    Geometry g = geometry(op, stride, padding, dilation);
    std::string context = "input " + shape_str(x) + ", weight_shape " + shape4_str(ws);
    Shape4 os = output_shape(op, in, ws, g, context);
    require_grad_out(op, grad_out, os, context, g);
    if (!with_bias && !grad_bias.is_none()) fail_value(op, "grad_bias was given but with_bias is False");
    py::array gw = accumulation_buffer(op, "grad_weight", grad_weight, grad_out, dims(ws));
    py::array gb;
    if (with_bias) gb = accumulation_buffer(op, "grad_bias", grad_bias, grad_out, {py::ssize_t(ws.d[0])});
    if (may_share_memory(gw, grad_out) || may_share_memory(gw, x) ||
        (with_bias && (may_share_memory(gb, grad_out) || may_share_memory(gb, x) || may_share_memory(gb, gw))))
        fail_value(op, "grad_weight / grad_bias must not overlap each other, grad_out or input");
    if (dt == DType::F32)
        run_backward_weight<float>(gw, with_bias ? &gb : nullptr, grad_out, x, in, ws, g, reference, groups);
    else
        run_backward_weight<double>(gw, with_bias ? &gb : nullptr, grad_out, x, in, ws, g, reference, groups);
    if (with_bias) return py::make_tuple(gw, gb);
    return py::make_tuple(gw, py::none());
}

}  // namespace

void bind_conv(py::module_& m) {
    def_op(m, "conv2d_forward", "conv2d", &conv2d_forward_py,
           py::arg("x"), py::arg("w"), py::arg("b"), py::arg("stride"),
           py::arg("padding"), py::arg("dilation"), py::arg("reference") = false, py::arg("relu") = false,
           py::arg("groups") = 1,
           "2-D convolution of x (N, C, H, W) with w (K, C / groups, R, S) plus optional bias b (K,) or None; returns "
           "a new (N, K, P, Q) array. stride, padding, dilation: (height, width). reference=True runs the naive kernel; "
           "relu=True applies max(0, .) as the output is written (conv + bias + ReLU in one pass); groups as in "
           "torch (groups == C: depthwise).");
    def_op(m, "conv2d_backward_input", "conv2d_backward_input", &conv2d_backward_input_py,
           py::arg("grad_out"), py::arg("w"),
           py::arg("input_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
           py::arg("reference") = false, py::arg("grad_input") = py::none(), py::arg("groups") = 1,
           "Gradient of conv2d with respect to its input, shape input_shape (N, C, H, W), given grad_out "
           "(N, K, P, Q) and the weight (K, C / groups, R, S). Accumulates into grad_input when given (else into fresh "
           "zeros) and returns it.");
    def_op(m, "conv2d_backward_weight", "conv2d_backward_weight", &conv2d_backward_weight_py,
           py::arg("grad_out"), py::arg("x"),
           py::arg("weight_shape"), py::arg("with_bias"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
           py::arg("reference") = false, py::arg("grad_weight") = py::none(), py::arg("grad_bias") = py::none(),
           py::arg("groups") = 1,
           "Gradients of conv2d with respect to weight (shape weight_shape (K, C / groups, R, S)) and bias (K,), given "
           "grad_out (N, K, P, Q) and the forward input x; returns (grad_weight, grad_bias or None). Accumulates into "
           "grad_weight / grad_bias when given (else into fresh zeros).");
}

}  // namespace axonal
