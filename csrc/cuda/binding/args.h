// Argument handling shared by the bindings of axonal._C_cuda and axonal._C_cuda_emu (one source for
// both): dtype chars, device pointers given as Python ints, size and overflow checks. Every failure
// raises ValueError / TypeError "[op] ..." naming the sizes, before anything is launched.
#pragma once
#include <pybind11/pybind11.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include "bindings/checks.h"
#include "bindings/def_op.h"
#include "cuda/kernels.h"

namespace axonal {
namespace cuda_binding {
namespace py = pybind11;
using axonal::fail_type;
using axonal::fail_value;

// Element counts and offsets stay below 2^60, so index arithmetic in int64 (a count times a small
// factor, an offset plus a stride) cannot overflow.
constexpr int64_t kMaxElements = int64_t(1) << 60;
// Image sizes and geometry values stay below 2^28: the kernels index image rows and taps in int and
// mark "outside" with offsets near -2^30 (conv2d_problems.cuh).
constexpr int64_t kMaxGeometry = int64_t(1) << 28;

enum class DT { F32, F64 };

inline DT dtype_arg(const std::string& op, const std::string& dtype) {
    if (dtype == "f" || dtype == "float32") return DT::F32;
    if (dtype == "d" || dtype == "float64") return DT::F64;
    fail_type(op, "dtype must be 'f' (float32) or 'd' (float64), got '", dtype, "'");
}

// Runs f(float()) or f(double()) for the dtype, with the GIL released (the launch may take a while
// under the emulation, and never needs Python).
template <class F>
void run_typed(DT dt, F&& f) {
    py::gil_scoped_release release;
    if (dt == DT::F32)
        f(float());
    else
        f(double());
}

inline cudaStream_t stream_arg(std::uintptr_t s) { return reinterpret_cast<cudaStream_t>(s); }

// A device pointer: nullptr for 0 when optional; otherwise 0 is an error. Misaligned pointers would fault
// on the device, so they are refused here.
template <typename T>
T* ptr_arg(const std::string& op, const char* name, std::uintptr_t v, bool optional = false) {
    if (v == 0) {
        if (optional) return nullptr;
        fail_value(op, name, " is a null pointer (0)");
    }
    if (v % alignof(T) != 0) fail_value(op, name, " pointer 0x", std::hex, v, std::dec, " is not aligned to ", alignof(T), " bytes");
    return reinterpret_cast<T*>(v);
}

// Pointer of the element type the dtype names.
template <typename T>
T* typed_ptr(const std::string& op, const char* name, std::uintptr_t v, bool optional = false) {
    return ptr_arg<T>(op, name, v, optional);
}

inline std::string in_ctx(const std::string& ctx) { return ctx.empty() ? std::string() : " (" + ctx + ")"; }

inline void require_min(const std::string& op, const char* name, int64_t v, int64_t lo, const std::string& ctx) {
    if (v < lo) fail_value(op, name, " must be >= ", lo, ", got ", v, in_ctx(ctx));
}

inline void require_max(const std::string& op, const char* name, int64_t v, int64_t hi, const std::string& ctx) {
    if (v > hi) fail_value(op, name, " must be <= ", hi, ", got ", v, in_ctx(ctx));
}

// Product of non-negative sizes, or -1 when it exceeds kMaxElements.
inline int64_t bounded_product(std::initializer_list<int64_t> sizes) {
    int64_t p = 1;
    for (int64_t s : sizes) {
        if (s < 0) return -1;
        if (s != 0 && p > kMaxElements / s) return -1;
        p *= s;
    }
    return p;
}

inline void require_elements(const std::string& op, const char* what, std::initializer_list<int64_t> sizes,
                             const std::string& ctx) {
    if (bounded_product(sizes) < 0)
        fail_value(op, what, " has more than 2^60 elements (", ctx, ")");
}

template <typename... Args>
std::string cat(Args&&... parts) {
    std::ostringstream os;
    (os << ... << parts);
    return os.str();
}

inline std::string shape_str(std::initializer_list<int64_t> dims) {
    std::ostringstream os;
    os << "(";
    bool first = true;
    for (int64_t d : dims) {
        os << (first ? "" : ", ") << d;
        first = false;
    }
    if (dims.size() == 1) os << ",";
    os << ")";
    return os.str();
}

}  // namespace cuda_binding
}  // namespace axonal
