// Bindings for kernels/special: erf, erfc and erfinv of a float32/float64 array, into a new aligned array.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "bindings/aligned_array.h"
#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "kernels/special.h"

namespace axonal {
namespace {

template <typename Kernel>
py::array map_float(const std::string& op, py::handle obj, Kernel kernel) {
    if (!py::isinstance<py::array>(obj))
        fail_type(op, "input must be a numpy.ndarray, got ", std::string(py::str(py::type::handle_of(obj).attr("__name__"))));
    py::array x = py::reinterpret_borrow<py::array>(obj);
    DType dt = float_dtype(op, "input", x);
    // A contiguous aligned copy when x is not one already (numpy.require "CA": ascontiguousarray keeps an
    // unaligned array as it is, and a misaligned load is undefined behaviour). Not py::array::ensure: it
    // returns a null array (and swallows the MemoryError) when the copy cannot be allocated, e.g. for a huge
    // broadcast view.
    if (!(x.flags() & py::array::c_style) || !(x.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_)) {
        try {
            x = py::module_::import("numpy").attr("require")(x, py::none(), "CA");
        } catch (py::error_already_set& e) {
            if (!e.matches(PyExc_MemoryError)) throw;
            PyErr_SetString(PyExc_MemoryError, ("[" + op + "] cannot allocate a contiguous copy of the input of shape " +
                                                shape_str(x) + ": " + std::string(py::str(e.value()))).c_str());
            throw py::error_already_set();
        }
    }
    std::vector<py::ssize_t> shape(x.shape(), x.shape() + x.ndim());
    py::array out = aligned_empty(op, x.dtype(), shape);
    const int64_t n = x.size();
    with_dtype(dt, [&](auto tag) {
        using T = decltype(tag);
        const T* in = static_cast<const T*>(x.data());
        T* o = static_cast<T*>(out.mutable_data());
        py::gil_scoped_release release;
        kernel(o, in, n, tag);
    });
    return out;
}

}  // namespace

void bind_special(py::module_& m) {
    def_op(m, "erf", "erf", [](py::object x) {
        return map_float("erf", x, [](auto* o, const auto* in, int64_t n, auto tag) {
            erf_forward<decltype(tag)>(o, in, n);
        });
    }, py::arg("x"), "erf of every element, as a new array.");
    def_op(m, "erfc", "erfc", [](py::object x) {
        return map_float("erfc", x, [](auto* o, const auto* in, int64_t n, auto tag) {
            erfc_forward<decltype(tag)>(o, in, n);
        });
    }, py::arg("x"), "erfc of every element, as a new array.");
    def_op(m, "erfinv", "erfinv", [](py::object x, bool reference) {
        return map_float("erfinv", x, [reference](auto* o, const auto* in, int64_t n, auto tag) {
            using T = decltype(tag);
            if (reference)
                erfinv_forward_reference<T>(o, in, n);
            else
                erfinv_forward<T>(o, in, n);
        });
    }, py::arg("x"), py::arg("reference") = false, "erfinv of every element, as a new array.");
}

}  // namespace axonal
