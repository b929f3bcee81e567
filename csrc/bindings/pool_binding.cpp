// Bindings for kernels/pool2d: max_pool2d_forward/backward and avg_pool2d_forward/backward on NCHW arrays.
// Everything is checked before a kernel runs (including every argmax value handed back to the backward
// pass, since the kernel scatters through it). Results are new C-contiguous arrays, except that the
// backward functions accumulate into a caller's grad_input when one is given (the kernels accumulate anyway).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <climits>
#include <initializer_list>
#include <cstring>
#include <sstream>
#include <string>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/pool2d.h"

namespace axonal {
namespace {

std::string pair_str(Pair p) {
    std::ostringstream os;
    os << "(" << p.h << ", " << p.w << ")";
    return os.str();
}

std::string shape4_str(const int64_t* s) {
    std::ostringstream os;
    os << "(" << s[0] << ", " << s[1] << ", " << s[2] << ", " << s[3] << ")";
    return os.str();
}

std::string type_name(py::handle h) { return std::string(py::str(py::type::handle_of(h).attr("__name__"))); }

// One integer given from Python: int or numpy integer (anything with __index__), not bool or float.
int64_t int_arg(const std::string& op, const char* name, py::handle v) {
    if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
        fail_type(op, name, " must hold ints, got ", type_name(v));
    py::object idx = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
    if (!idx) throw py::error_already_set();
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(idx.ptr(), &overflow);
    if (overflow) fail_value(op, name, " holds an integer too large: ", std::string(py::str(v)));
    return int64_t(x);
}

// A sequence of exactly n ints (n = 2 for kernel_size/stride/padding, 4 for input_shape).
std::vector<int64_t> ints_arg(const std::string& op, const char* name, py::handle obj, size_t n) {
    if (!PySequence_Check(obj.ptr()) || PyUnicode_Check(obj.ptr()) || PyBytes_Check(obj.ptr()))
        fail_type(op, name, " must be a sequence of ", n, " ints, got ", type_name(obj));
    py::sequence seq = py::reinterpret_borrow<py::sequence>(obj);
    if (seq.size() != n) fail_value(op, name, " must have ", n, " values, got ", seq.size());
    std::vector<int64_t> v;
    for (size_t i = 0; i < n; ++i) v.push_back(int_arg(op, name, seq[i]));
    return v;
}

// kernel_size / stride / padding: (h, w); a single int means the same value for both.
Pair pair_of(const std::string& op, const char* name, py::handle obj) {
    if (PyIndex_Check(obj.ptr()) && !PyBool_Check(obj.ptr())) {
        int64_t x = int_arg(op, name, obj);
        return {x, x};
    }
    std::vector<int64_t> v = ints_arg(op, name, obj, 2);
    return {v[0], v[1]};
}

// A float32/float64, 4-D, C-contiguous, aligned ndarray; returns its dtype.
DType float_nchw(const std::string& op, const char* name, py::handle obj, py::array& out) {
    if (!py::isinstance<py::array>(obj)) fail_type(op, name, " must be a numpy.ndarray, got ", type_name(obj));
    out = py::reinterpret_borrow<py::array>(obj);
    DType dt = float_dtype(op, name, out);
    require_ndim(op, name, out, 4);
    require_c_contiguous(op, name, out);
    if (!(out.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(op, name, " must be aligned in memory (shape ", shape_str(out), "); pass a copy");
    return dt;
}

struct Geometry {
    Pair k, s, p;
    int64_t P, Q;
};

// Kernel / stride / padding rules of torch (padding <= kernel / 2, the window must fit), checked against
// the input size; `what` names the input shape in messages.
Geometry geometry(const std::string& op, const std::string& what, int64_t H, int64_t W, py::handle kernel_size,
                  py::handle stride, py::handle padding) {
    Geometry g;
    g.k = pair_of(op, "kernel_size", kernel_size);
    g.s = pair_of(op, "stride", stride);
    g.p = pair_of(op, "padding", padding);
    if (g.k.h < 1 || g.k.w < 1) fail_value(op, "kernel_size must be >= 1, got ", pair_str(g.k), " (", what, ")");
    if (g.s.h < 1 || g.s.w < 1) fail_value(op, "stride must be >= 1, got ", pair_str(g.s), " (", what, ")");
    if (g.p.h < 0 || g.p.w < 0) fail_value(op, "padding must be >= 0, got ", pair_str(g.p), " (", what, ")");
    if (g.p.h > g.k.h / 2 || g.p.w > g.k.w / 2)
        fail_value(op, "padding ", pair_str(g.p), " must be at most half of kernel_size ", pair_str(g.k), " (", what,
                   ")");
    g.P = pool2d_out_size(H, g.k.h, g.s.h, g.p.h);
    g.Q = pool2d_out_size(W, g.k.w, g.s.w, g.p.w);
    if (g.P <= 0 || g.Q <= 0)
        fail_value(op, "output size would be (", g.P, ", ", g.Q, "): kernel_size ", pair_str(g.k), " with padding ",
                   pair_str(g.p), " does not fit the ", H, "x", W, " plane (", what, ")");
    return g;
}

// Sizes of a tensor to be allocated: each >= 1 and a product that fits comfortably in memory indexing.
void check_sizes(const std::string& op, const std::string& what, const int64_t* s) {
    for (int i = 0; i < 4; ++i)
        if (s[i] < 1) fail_value(op, "zero-sized input: ", what, " ", shape4_str(s), " has an empty dimension");
    int64_t total = 1;
    for (int i = 0; i < 4; ++i)
        if (__builtin_mul_overflow(total, s[i], &total) || total > (int64_t(1) << 48))
            fail_value(op, what, " ", shape4_str(s), " is too large");
}

// argmax holds flat h * W + w indices in int32.
void check_plane_fits_int32(const std::string& op, const std::string& what, int64_t H, int64_t W) {
    if (H * W > INT32_MAX)
        fail_value(op, "input plane ", H, "x", W, " has more than 2^31 - 1 cells, too many for int32 argmax (", what,
                   ")");
}

py::array empty_like_shape(const std::string& op, const py::dtype& dt, const int64_t* s) {
    return aligned_empty(op, dt, std::vector<py::ssize_t>{s[0], s[1], s[2], s[3]});
}

py::array zeros_like_shape(const std::string& op, const py::dtype& dt, const int64_t* s) {
    py::array a = aligned_empty(op, dt, std::vector<py::ssize_t>{s[0], s[1], s[2], s[3]});
    void* p = a.mutable_data();
    const size_t n = size_t(a.nbytes());
    {
        py::gil_scoped_release release;
        std::memset(p, 0, n);
    }
    return a;
}

// grad_input given by the caller: the backward kernels accumulate into it instead of into fresh zeros.
// It must be exactly what the kernel would have allocated, and must not overlap the arrays it reads.
py::array accumulate_target(const std::string& op, py::handle obj, const py::array& grad, const int64_t* shape,
                            std::initializer_list<const py::array*> reads) {
    if (!py::isinstance<py::array>(obj))
        fail_type(op, "grad_input must be a numpy.ndarray or None, got ", type_name(obj));
    py::array gi = py::reinterpret_borrow<py::array>(obj);
    require_same_dtype(op, "grad_input", gi, "grad_output", grad);
    require_ndim(op, "grad_input", gi, 4);
    for (int d = 0; d < 4; ++d)
        if (gi.shape(d) != shape[d])
            fail_value(op, "grad_input has shape ", shape_str(gi), " but input_shape is ", shape4_str(shape));
    require_c_contiguous(op, "grad_input", gi);
    require_writeable(op, "grad_input", gi);
    if (!(gi.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(op, "grad_input must be aligned in memory (shape ", shape_str(gi), ")");
    const char* b = static_cast<const char*>(gi.data());
    const char* e = b + gi.nbytes();
    for (const py::array* r : reads) {
        const char* rb = static_cast<const char*>(r->data());
        if (rb < e && b < rb + r->nbytes())
            fail_value(op, "grad_input ", shape_str(gi), " overlaps an input array ", shape_str(*r),
                       " in memory; pass a separate array");
    }
    return gi;
}

// ---------------------------------------------------------------- max

py::tuple max_pool2d_forward_py(py::object x_obj, py::object kernel_size, py::object stride, py::object padding,
                                bool reference) {
    const std::string op = "max_pool2d";
    py::array x;
    DType dt = float_nchw(op, "input", x_obj, x);
    const int64_t s[4] = {x.shape(0), x.shape(1), x.shape(2), x.shape(3)};
    const std::string what = "input " + shape_str(x);
    check_sizes(op, "input", s);
    check_plane_fits_int32(op, what, s[2], s[3]);
    Geometry g = geometry(op, what, s[2], s[3], kernel_size, stride, padding);

    std::vector<py::ssize_t> oshape{s[0], s[1], g.P, g.Q};
    py::array out = aligned_empty(op, x.dtype(), oshape);
    py::array argmax = aligned_empty(op, py::dtype::of<int32_t>(), oshape);
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* in = cdata_ptr<T>(x);
        T* o = data_ptr<T>(out);
        int32_t* a = static_cast<int32_t*>(argmax.mutable_data());
        py::gil_scoped_release release;
        if (reference)
            max_pool2d_forward_reference<T>(o, a, in, s[0], s[1], s[2], s[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h,
                                            g.p.w);
        else
            max_pool2d_forward<T>(o, a, in, s[0], s[1], s[2], s[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h, g.p.w);
    };
    with_dtype(dt, run);
    return py::make_tuple(out, argmax);
}

py::array max_pool2d_backward_py(py::object grad_obj, py::object argmax_obj, py::object input_shape,
                                 bool reference, py::object grad_input) {
    const std::string op = "max_pool2d_backward";
    py::array grad;
    DType dt = float_nchw(op, "grad_output", grad_obj, grad);
    if (!py::isinstance<py::array>(argmax_obj))
        fail_type(op, "argmax must be a numpy.ndarray, got ", type_name(argmax_obj));
    py::array argmax = py::reinterpret_borrow<py::array>(argmax_obj);
    if (!py::isinstance<py::array_t<int32_t>>(argmax))
        fail_type(op, "argmax must be int32 (as returned by max_pool2d_forward), got ",
                  std::string(py::str(argmax.dtype())), " with shape ", shape_str(argmax));
    require_ndim(op, "argmax", argmax, 4);
    require_c_contiguous(op, "argmax", argmax);
    if (!(argmax.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        fail_value(op, "argmax must be aligned in memory (shape ", shape_str(argmax), "); pass a copy");
    for (int d = 0; d < 4; ++d)
        if (argmax.shape(d) != grad.shape(d))
            fail_value(op, "grad_output ", shape_str(grad), " and argmax ", shape_str(argmax),
                       " must have the same shape");
    const int64_t go[4] = {grad.shape(0), grad.shape(1), grad.shape(2), grad.shape(3)};
    check_sizes(op, "grad_output", go);

    std::vector<int64_t> is = ints_arg(op, "input_shape", input_shape, 4);
    check_sizes(op, "input_shape", is.data());
    const std::string what = "input_shape " + shape4_str(is.data()) + ", grad_output " + shape_str(grad);
    check_plane_fits_int32(op, what, is[2], is[3]);
    if (is[0] != go[0] || is[1] != go[1])
        fail_value(op, "batch and channels of grad_output must match input_shape (", what, ")");

    py::array dinp;
    if (!grad_input.is_none()) dinp = accumulate_target(op, grad_input, grad, is.data(), {&grad, &argmax});

    // The kernel writes through argmax, so every index must point inside its input plane.
    const int64_t plane = is[2] * is[3];
    const int32_t* a = static_cast<const int32_t*>(argmax.data());
    const int64_t count = go[0] * go[1] * go[2] * go[3];
    int64_t bad = -1;
    {
        py::gil_scoped_release release;
        for (int64_t i = 0; i < count; ++i)
            if (a[i] < 0 || a[i] >= plane) {
                bad = i;
                break;
            }
    }
    if (bad >= 0)
        fail_value(op, "argmax holds ", a[bad], " at flat position ", bad, ", outside the ", is[2], "x", is[3],
                   " input plane (", what, ")");

    // A fresh result: the fast kernel zeroes each plane itself (in cache), so no memset pass first.
    const bool fresh = grad_input.is_none();
    if (fresh) dinp = reference ? zeros_like_shape(op, grad.dtype(), is.data()) : empty_like_shape(op, grad.dtype(), is.data());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* g = cdata_ptr<T>(grad);
        T* d = data_ptr<T>(dinp);
        py::gil_scoped_release release;
        if (reference)
            max_pool2d_backward_reference<T>(d, g, a, is[0], is[1], is[2], is[3], go[2], go[3]);
        else
            max_pool2d_backward<T>(d, g, a, is[0], is[1], is[2], is[3], go[2], go[3], fresh);
    };
    with_dtype(dt, run);
    return dinp;
}

// ---------------------------------------------------------------- avg

py::array avg_pool2d_forward_py(py::object x_obj, py::object kernel_size, py::object stride, py::object padding,
                                bool count_include_pad, bool reference) {
    const std::string op = "avg_pool2d";
    py::array x;
    DType dt = float_nchw(op, "input", x_obj, x);
    const int64_t s[4] = {x.shape(0), x.shape(1), x.shape(2), x.shape(3)};
    const std::string what = "input " + shape_str(x);
    check_sizes(op, "input", s);
    Geometry g = geometry(op, what, s[2], s[3], kernel_size, stride, padding);

    py::array out = aligned_empty(op, x.dtype(), std::vector<py::ssize_t>{s[0], s[1], g.P, g.Q});
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* in = cdata_ptr<T>(x);
        T* o = data_ptr<T>(out);
        py::gil_scoped_release release;
        if (reference)
            avg_pool2d_forward_reference<T>(o, in, s[0], s[1], s[2], s[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h, g.p.w,
                                            count_include_pad);
        else
            avg_pool2d_forward<T>(o, in, s[0], s[1], s[2], s[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h, g.p.w,
                                  count_include_pad);
    };
    with_dtype(dt, run);
    return out;
}

py::array avg_pool2d_backward_py(py::object grad_obj, py::object input_shape, py::object kernel_size,
                                 py::object stride, py::object padding, bool count_include_pad, bool reference,
                                 py::object grad_input) {
    const std::string op = "avg_pool2d_backward";
    py::array grad;
    DType dt = float_nchw(op, "grad_output", grad_obj, grad);
    std::vector<int64_t> is = ints_arg(op, "input_shape", input_shape, 4);
    check_sizes(op, "input_shape", is.data());
    const std::string what = "input_shape " + shape4_str(is.data()) + ", grad_output " + shape_str(grad);
    Geometry g = geometry(op, what, is[2], is[3], kernel_size, stride, padding);
    const int64_t expect[4] = {is[0], is[1], g.P, g.Q};
    for (int d = 0; d < 4; ++d)
        if (grad.shape(d) != expect[d])
            fail_value(op, "grad_output has shape ", shape_str(grad), " but pooling input_shape ",
                       shape4_str(is.data()), " with kernel_size ", pair_str(g.k), ", stride ", pair_str(g.s),
                       ", padding ", pair_str(g.p), " gives ", shape4_str(expect));

    // A fresh result: the fast kernel zeroes each plane itself (in cache), so no memset pass first.
    const bool fresh = grad_input.is_none();
    py::array dinp = !fresh    ? accumulate_target(op, grad_input, grad, is.data(), {&grad})
                     : reference ? zeros_like_shape(op, grad.dtype(), is.data())
                                 : empty_like_shape(op, grad.dtype(), is.data());
    auto run = [&](auto tag) {
        using T = decltype(tag);
        const T* go = cdata_ptr<T>(grad);
        T* d = data_ptr<T>(dinp);
        py::gil_scoped_release release;
        if (reference)
            avg_pool2d_backward_reference<T>(d, go, is[0], is[1], is[2], is[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h,
                                             g.p.w, count_include_pad);
        else
            avg_pool2d_backward<T>(d, go, is[0], is[1], is[2], is[3], g.k.h, g.k.w, g.s.h, g.s.w, g.p.h, g.p.w,
                                   count_include_pad, fresh);
    };
    with_dtype(dt, run);
    return dinp;
}

// ---------------------------------------------------------------- adaptive avg

// output_size: an int (square) or (oh, ow), each >= 1.
Pair output_size_arg(const std::string& op, py::handle obj, const std::string& what) {
    Pair o = pair_of(op, "output_size", obj);
    if (o.h < 1 || o.w < 1) fail_value(op, "output_size must be >= 1, got ", pair_str(o), " (", what, ")");
    if (o.h > (int64_t(1) << 24) || o.w > (int64_t(1) << 24))
        fail_value(op, "output_size ", pair_str(o), " is too large (", what, ")");
    return o;
}

py::array adaptive_avg_pool2d_forward_py(py::object x_obj, py::object output_size, bool reference) {
    const std::string op = "adaptive_avg_pool2d";
    py::array x;
    DType dt = float_nchw(op, "input", x_obj, x);
    const int64_t s[4] = {x.shape(0), x.shape(1), x.shape(2), x.shape(3)};
    const std::string what = "input " + shape_str(x);
    check_sizes(op, "input", s);
    const Pair o = output_size_arg(op, output_size, what);
    const int64_t os[4] = {s[0], s[1], o.h, o.w};
    check_sizes(op, "output", os);
    py::array out = empty_like_shape(op, x.dtype(), os);
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* in = cdata_ptr<T>(x);
        T* op_ = data_ptr<T>(out);
        py::gil_scoped_release release;
        auto kernel = reference ? &adaptive_avg_pool2d_forward_reference<T> : &adaptive_avg_pool2d_forward<T>;
        kernel(op_, in, s[0], s[1], s[2], s[3], o.h, o.w);
    });
    return out;
}

py::array adaptive_avg_pool2d_backward_py(py::object grad_obj, py::object input_shape, bool reference,
                                          py::object grad_input) {
    const std::string op = "adaptive_avg_pool2d_backward";
    py::array grad;
    DType dt = float_nchw(op, "grad_output", grad_obj, grad);
    std::vector<int64_t> is = ints_arg(op, "input_shape", input_shape, 4);
    check_sizes(op, "input_shape", is.data());
    const int64_t go[4] = {grad.shape(0), grad.shape(1), grad.shape(2), grad.shape(3)};
    check_sizes(op, "grad_output", go);
    if (go[0] != is[0] || go[1] != is[1])
        fail_value(op, "batch and channels of grad_output ", shape_str(grad), " must match input_shape ",
                   shape4_str(is.data()));
    py::array dinp = grad_input.is_none() ? zeros_like_shape(op, grad.dtype(), is.data())
                                          : accumulate_target(op, grad_input, grad, is.data(), {&grad});
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* g = cdata_ptr<T>(grad);
        T* d = data_ptr<T>(dinp);
        py::gil_scoped_release release;
        auto kernel = reference ? &adaptive_avg_pool2d_backward_reference<T> : &adaptive_avg_pool2d_backward<T>;
        kernel(d, g, is[0], is[1], is[2], is[3], go[2], go[3]);
    });
    return dinp;
}

}  // namespace

void bind_pool(py::module_& m) {
    def_op(m, "max_pool2d_forward", "max_pool2d", &max_pool2d_forward_py,
           py::arg("x"), py::arg("kernel_size"), py::arg("stride"),
           py::arg("padding"), py::arg("reference") = false,
           "Max pooling of an NCHW float array -> (out, argmax int32 flat h*W+w per plane). kernel_size, stride, "
           "padding: (h, w) ints; padding <= kernel_size // 2. reference=True runs the naive kernel.");
    def_op(m, "max_pool2d_backward", "max_pool2d_backward", &max_pool2d_backward_py,
           py::arg("grad_out"), py::arg("argmax"),
           py::arg("input_shape"), py::arg("reference") = false, py::arg("grad_input") = py::none(),
           "Gradient of max pooling w.r.t. its input, shape input_shape (N, C, H, W), from grad_out and the argmax "
           "returned by max_pool2d_forward. With grad_input given, accumulates into it and returns it.");
    def_op(m, "avg_pool2d_forward", "avg_pool2d", &avg_pool2d_forward_py,
           py::arg("x"), py::arg("kernel_size"), py::arg("stride"),
           py::arg("padding"), py::arg("count_include_pad") = true, py::arg("reference") = false,
           "Average pooling of an NCHW float array (torch semantics, ceil_mode=False).");
    def_op(m, "avg_pool2d_backward", "avg_pool2d_backward", &avg_pool2d_backward_py,
           py::arg("grad_out"), py::arg("input_shape"),
           py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("count_include_pad") = true,
           py::arg("reference") = false, py::arg("grad_input") = py::none(),
           "Gradient of average pooling w.r.t. its input, shape input_shape. With grad_input given, accumulates into "
           "it and returns it.");
    def_op(m, "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d", &adaptive_avg_pool2d_forward_py, py::arg("x"),
           py::arg("output_size"), py::arg("reference") = false,
           "Adaptive average pooling of an NCHW float array to output_size (oh, ow) (or an int for both), with "
           "torch's bins: rows floor(i*H/oh) to ceil((i+1)*H/oh). output_size 1: global average pooling.");
    def_op(m, "adaptive_avg_pool2d_backward", "adaptive_avg_pool2d_backward", &adaptive_avg_pool2d_backward_py,
           py::arg("grad_out"), py::arg("input_shape"), py::arg("reference") = false, py::arg("grad_input") = py::none(),
           "Gradient of adaptive_avg_pool2d w.r.t. its input, shape input_shape (N, C, H, W); the output size is "
           "grad_out's. With grad_input given, accumulates into it and returns it.");
}

}  // namespace axonal
