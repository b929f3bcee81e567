// aligned_array.h: aligned output arrays, and the AlignedBuffer class bound as axonal._C.AlignedBuffer.
#include "bindings/aligned_array.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace axonal {

namespace {
constexpr size_t kAlign = 64;

size_t nbytes(const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    size_t n = size_t(dt.itemsize());
    for (py::ssize_t d : shape) n *= size_t(d);
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

py::array aligned_empty(const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    auto buf = std::make_unique<AlignedBuffer>(nbytes(dt, shape));
    void* data = buf->data();
    py::object owner = py::cast(std::move(buf));
    return py::array(dt, shape, data, owner);
}

py::array aligned_zeros(const py::dtype& dt, const std::vector<py::ssize_t>& shape) {
    py::array a = aligned_empty(dt, shape);
    std::memset(a.mutable_data(), 0, nbytes(dt, shape));
    return a;
}

void bind_aligned_array(py::module_& m) {
    py::class_<AlignedBuffer>(m, "AlignedBuffer",
                              "Owner of the 64-byte-aligned memory of arrays the kernels return (their .base).");
}

}  // namespace axonal
