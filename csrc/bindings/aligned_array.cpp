// aligned_array.h: aligned output arrays, and the AlignedBuffer class bound as axonal._C.AlignedBuffer.
#include "bindings/aligned_array.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <sstream>

namespace axonal {

namespace {
constexpr size_t kAlign = 64;

// Whole arrays stay below 2^62 bytes: NumPy refuses sizes past PTRDIFF_MAX, and no machine has that much.
constexpr size_t kMaxBytes = size_t(1) << 62;

std::string shape_text(const std::vector<py::ssize_t>& shape) {
    std::ostringstream os;
    os << "(";
    for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
    os << (shape.size() == 1 ? ",)" : ")");
    return os.str();
}

[[noreturn]] void memory_error(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape,
                               const std::string& why) {
    std::ostringstream os;
    os << "[" << op << "] cannot allocate the output of shape " << shape_text(shape) << " and dtype "
       << std::string(py::str(dt)) << ": " << why;
    PyErr_SetString(PyExc_MemoryError, os.str().c_str());
    throw py::error_already_set();
}

// The byte size of the array, or a MemoryError when a dimension is negative or the product overflows.
size_t checked_nbytes(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    size_t n = size_t(dt.itemsize());
    bool empty = false;
    for (py::ssize_t d : shape) {
        if (d < 0) memory_error(op, dt, shape, "negative dimension");
        if (d == 0) empty = true;
    }
    if (empty) return 0;
    for (py::ssize_t d : shape) {
        if (size_t(d) > kMaxBytes / n) memory_error(op, dt, shape, "more than 2^62 bytes");
        n *= size_t(d);
    }
    return n;
}
}  // namespace

AlignedBuffer::AlignedBuffer(size_t bytes) {
    // aligned_alloc wants a multiple of the alignment; at least one line so that size 0 is not special.
    const size_t rounded = bytes == 0 ? kAlign : (bytes + kAlign - 1) / kAlign * kAlign;
    ptr_ = std::aligned_alloc(kAlign, rounded);
    if (!ptr_) throw std::bad_alloc();
}

AlignedBuffer::~AlignedBuffer() { std::free(ptr_); }

py::array aligned_empty(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    const size_t bytes = checked_nbytes(op, dt, shape);
    std::unique_ptr<AlignedBuffer> buf;
    try {
        buf = std::make_unique<AlignedBuffer>(bytes);
    } catch (const std::bad_alloc&) {
        std::ostringstream why;
        why << "out of memory for " << bytes << " bytes (" << double(bytes) / double(1 << 30) << " GiB)";
        memory_error(op, dt, shape, why.str());
    }
    void* data = buf->data();
    py::object owner = py::cast(std::move(buf));
    return py::array(dt, shape, data, owner);
}

py::array aligned_zeros(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    py::array a = aligned_empty(op, dt, shape);
    std::memset(a.mutable_data(), 0, size_t(a.nbytes()));
    return a;
}

void bind_aligned_array(py::module_& m) {
    py::class_<AlignedBuffer>(m, "AlignedBuffer",
                              "Owner of the 64-byte-aligned memory of arrays the kernels return (their .base).");
}

}  // namespace axonal
