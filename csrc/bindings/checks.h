// Validation helpers shared by every binding: each failure raises a Python ValueError/TypeError whose
// message starts with "[op]" and states the shapes, so bad input never reaches a kernel.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace axonal {
namespace py = pybind11;

inline std::string shape_str(const py::array& a) {
    std::ostringstream os;
    os << "(";
    for (py::ssize_t i = 0; i < a.ndim(); ++i) os << (i ? ", " : "") << a.shape(i);
    if (a.ndim() == 1) os << ",";
    os << ")";
    return os.str();
}

template <typename... Args>
[[noreturn]] inline void fail_value(const std::string& op, Args&&... parts) {
    std::ostringstream os;
    os << "[" << op << "] ";
    (os << ... << parts);
    throw py::value_error(os.str());
}

template <typename... Args>
[[noreturn]] inline void fail_type(const std::string& op, Args&&... parts) {
    std::ostringstream os;
    os << "[" << op << "] ";
    (os << ... << parts);
    throw py::type_error(os.str());
}

// Either "float32" or "float64"; anything else is a TypeError naming the op and the argument.
enum class DType { F32, F64 };

inline DType float_dtype(const std::string& op, const char* name, const py::array& a) {
    if (a.dtype().is(py::dtype::of<float>())) return DType::F32;
    if (a.dtype().is(py::dtype::of<double>())) return DType::F64;
    fail_type(op, name, " must be float32 or float64, got ", std::string(py::str(a.dtype())), " with shape ",
              shape_str(a));
}

// Runs run(float()) or run(double()): the bindings write their kernel call once, as a generic lambda
// over the element type, and this picks the instantiation for the array's dtype.
template <class F>
void with_dtype(DType dt, F&& run) {
    if (dt == DType::F32)
        run(float());
    else
        run(double());
}

inline void require_same_dtype(const std::string& op, const char* name, const py::array& a, const char* ref_name,
                               const py::array& ref) {
    if (!a.dtype().is(ref.dtype()))
        fail_type(op, name, " has dtype ", std::string(py::str(a.dtype())), " but ", ref_name, " has dtype ",
                  std::string(py::str(ref.dtype())), " (", name, " ", shape_str(a), ", ", ref_name, " ",
                  shape_str(ref), ")");
}

inline void require_ndim(const std::string& op, const char* name, const py::array& a, py::ssize_t ndim) {
    if (a.ndim() != ndim)
        fail_value(op, name, " must be ", ndim, "-D but has shape ", shape_str(a));
}

inline void require_c_contiguous(const std::string& op, const char* name, const py::array& a) {
    if (!(a.flags() & py::array::c_style))
        fail_value(op, name, " must be C-contiguous (shape ", shape_str(a), "); call numpy.ascontiguousarray first");
}

inline void require_writeable(const std::string& op, const char* name, const py::array& a) {
    if (!a.writeable()) fail_value(op, name, " must be writeable (shape ", shape_str(a), ")");
}

// Pairs of (height, width) given from Python as a 2-tuple of ints.
struct Pair {
    int64_t h, w;
};

inline Pair pair_arg(const std::string& op, const char* name, const std::vector<int64_t>& v, int64_t min_value) {
    if (v.size() != 2) fail_value(op, name, " must have 2 values (height, width), got ", v.size());
    if (v[0] < min_value || v[1] < min_value)
        fail_value(op, name, " must be >= ", min_value, ", got (", v[0], ", ", v[1], ")");
    return {v[0], v[1]};
}

template <typename T>
inline T* data_ptr(py::array& a) {
    return static_cast<T*>(a.mutable_data());
}
template <typename T>
inline const T* cdata_ptr(const py::array& a) {
    return static_cast<const T*>(a.data());
}

}  // namespace axonal
