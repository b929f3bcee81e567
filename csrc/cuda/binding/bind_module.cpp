// axonal._C_cuda (real CUDA, AXONAL_CUDA=ON) and axonal._C_cuda_emu (the same kernels compiled as C++
// under csrc/cuda/emu, always built): one source, the module name chosen by AXONAL_CUDA_EMU.
// Pointers are Python ints (device pointers; host pointers under the emulation, e.g. ndarray.ctypes.data),
// `stream` an int handle (cudaStream_t; the emulation ignores it). Called by axonal.backend, not by users.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "cuda/binding/args.h"
#if defined(AXONAL_CUDA_EMU)
#include "cuda/emu/runtime.h"
#endif

namespace axonal {
namespace cuda_binding {

void bind_gemm_conv(py::module_& m);
void bind_pool_act(py::module_& m);
void bind_norm_optim(py::module_& m);
void bind_selftest(py::module_& m);

namespace {

#if defined(AXONAL_CUDA_EMU)
void set_schedule_py(const std::string& order, uint64_t seed) {
    emu::Schedule s;
    if (order == "forward")
        s = emu::Schedule::Forward;
    else if (order == "reverse")
        s = emu::Schedule::Reverse;
    else if (order == "shuffle")
        s = emu::Schedule::Shuffle;
    else
        fail_value("set_schedule", "order must be 'forward', 'reverse' or 'shuffle', got '", order, "'");
    emu::set_schedule(s, seed);
}

std::string get_schedule_py() {
    switch (emu::schedule()) {
        case emu::Schedule::Forward: return "forward";
        case emu::Schedule::Reverse: return "reverse";
        case emu::Schedule::Shuffle: return "shuffle";
    }
    return "forward";
}

py::dict counters_py() {
    const emu::Counters c = emu::counters();
    py::dict d;
    d["launches"] = c.launches;
    d["blocks"] = c.blocks;
    d["threads"] = c.threads;
    d["switches"] = c.switches;
    return d;
}
#endif

void init(py::module_& m) {
    bind_gemm_conv(m);
    bind_pool_act(m);
    bind_norm_optim(m);
    bind_selftest(m);
#if defined(AXONAL_CUDA_EMU)
    m.attr("backend_name") = "emulated";
    m.attr("context_switch") = emu::context_kind();
    def_op(m, "set_schedule", "set_schedule", &set_schedule_py, py::arg("order"), py::arg("seed") = 0,
           "Order of the emulated threads in each pass and of the blocks: 'forward', 'reverse' or 'shuffle' "
           "(a new permutation each pass, from seed).");
    def_op(m, "get_schedule", "get_schedule", &get_schedule_py, "The current schedule's name.");
    def_op(m, "counters", "counters", &counters_py,
           "Emulated launches, blocks, threads and fiber switches since the module was loaded.");
#else
    m.attr("backend_name") = "cuda";
#endif
}

}  // namespace
}  // namespace cuda_binding
}  // namespace axonal

#if defined(AXONAL_CUDA_EMU)
PYBIND11_MODULE(_C_cuda_emu, m) {
    m.doc() = "axonal's CUDA kernels compiled for the CPU under the emulation header (host pointers)";
    axonal::cuda_binding::init(m);
}
#else
PYBIND11_MODULE(_C_cuda, m) {
    m.doc() = "axonal's CUDA kernels (device pointers, launched on the given stream)";
    axonal::cuda_binding::init(m);
}
#endif
