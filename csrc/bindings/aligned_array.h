// New NumPy arrays whose data start on a 64-byte boundary (a cache line), for the outputs the kernels
// write. NumPy's own allocator aligns to 16 bytes only, so a 16-float row of a GEMM tile usually
// straddles two cache lines and every vector store to it is a split store: measured 2-4% of a whole
// GEMM at 128^3..1024^3 (2 threads) for an output 16 bytes off a line.
//
// The memory is owned by an AlignedBuffer object that becomes the array's `base`; the autograd engine
// recognises that base as "this array is the only view of fresh memory" (engine.py, _add_grad), as it
// does for arrays with no base.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <string>
#include <vector>

namespace axonal {

namespace py = pybind11;

// Owns one aligned allocation; freed when the last array using it goes away.
class AlignedBuffer {
public:
    explicit AlignedBuffer(size_t bytes);
    ~AlignedBuffer();
    AlignedBuffer(const AlignedBuffer&) = delete;
    AlignedBuffer& operator=(const AlignedBuffer&) = delete;
    void* data() const { return ptr_; }

private:
    void* ptr_;
};

// An uninitialised C-contiguous array of `shape` and `dt` with 64-byte-aligned data. When the memory cannot be
// had (the size overflows, or the allocation fails, as it does under an address-space limit) it raises a Python
// MemoryError "[op] cannot allocate ..." naming the shape, before any kernel runs.
py::array aligned_empty(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape);

// The same, zero-filled.
py::array aligned_zeros(const std::string& op, const py::dtype& dt, const std::vector<py::ssize_t>& shape);

}  // namespace axonal
