// check_launch: turns a pending CUDA error into a C++ exception the binding passes to Python as a
// RuntimeError starting with "[op]". cudaGetLastError only reads the runtime's error state: no sync.
#include <stdexcept>
#include <string>

#include "cuda/common.cuh"

namespace axonal {
namespace cuda {

void check_launch(const char* op) {
    const cudaError_t e = cudaGetLastError();
    if (e == cudaSuccess) return;
    std::string msg = std::string("[") + op + "] CUDA error: " + cudaGetErrorString(e);
#if defined(AXONAL_CUDA_EMU)
    msg += " (emulated: " + emu::last_error_detail() + ")";
#else
    msg += " (may come from an earlier asynchronous launch)";
#endif
    throw std::runtime_error(msg);
}

}  // namespace cuda
}  // namespace axonal
