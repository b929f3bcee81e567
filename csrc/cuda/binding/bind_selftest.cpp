// Bindings of selftest.cu (the execution-model checks). divergent_shuffle exists only in the emulated
// module: on a GPU that kernel is undefined behaviour.
#include "cuda/binding/args.h"

namespace axonal {
namespace cuda_binding {

void bind_selftest(py::module_& m) {
    auto p = [](const char* op, std::uintptr_t v) { return ptr_arg<char>(op, "buffer", v); };
    def_op(m, "selftest_shared_exchange", "selftest_shared_exchange",
           [p](std::uintptr_t out, int threads, int blocks, int mode, bool with_barrier, std::uintptr_t stream) {
               if (threads < 1 || threads > 1024 || blocks < 1) fail_value("selftest_shared_exchange", "bad sizes");
               p("selftest_shared_exchange", out);
               py::gil_scoped_release r;
               cuda::selftest_shared_exchange(reinterpret_cast<int*>(out), threads, blocks, mode, with_barrier,
                                              stream_arg(stream));
           },
           py::arg("out"), py::arg("threads"), py::arg("blocks"), py::arg("mode"), py::arg("with_barrier"),
           py::arg("stream"));
    def_op(m, "selftest_indices", "selftest_indices",
           [p](std::uintptr_t out, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
               std::uintptr_t stream) {
               p("selftest_indices", out);
               py::gil_scoped_release r;
               cuda::selftest_indices(reinterpret_cast<int*>(out), gx, gy, gz, bx, by, bz, stream_arg(stream));
           },
           py::arg("out"), py::arg("gx"), py::arg("gy"), py::arg("gz"), py::arg("bx"), py::arg("by"), py::arg("bz"),
           py::arg("stream"));
    def_op(m, "selftest_shuffles", "selftest_shuffles",
           [p](std::uintptr_t oi, std::uintptr_t of, std::uintptr_t od, int warps, std::uintptr_t stream) {
               p("selftest_shuffles", oi), p("selftest_shuffles", of), p("selftest_shuffles", od);
               py::gil_scoped_release r;
               cuda::selftest_shuffles(reinterpret_cast<int*>(oi), reinterpret_cast<float*>(of),
                                       reinterpret_cast<double*>(od), warps, stream_arg(stream));
           },
           py::arg("out_int"), py::arg("out_float"), py::arg("out_double"), py::arg("warps"), py::arg("stream"));
    def_op(m, "selftest_votes", "selftest_votes",
           [p](std::uintptr_t out, int warps, std::uintptr_t stream) {
               p("selftest_votes", out);
               py::gil_scoped_release r;
               cuda::selftest_votes(reinterpret_cast<unsigned*>(out), warps, stream_arg(stream));
           },
           py::arg("out"), py::arg("warps"), py::arg("stream"));
    def_op(m, "selftest_atomics", "selftest_atomics",
           [p](std::uintptr_t ints, std::uintptr_t ulls, std::uintptr_t floats, std::uintptr_t doubles, int blocks,
               int threads, std::uintptr_t stream) {
               p("selftest_atomics", ints), p("selftest_atomics", ulls), p("selftest_atomics", floats),
                   p("selftest_atomics", doubles);
               py::gil_scoped_release r;
               cuda::selftest_atomics(reinterpret_cast<int*>(ints), reinterpret_cast<unsigned long long*>(ulls),
                                      reinterpret_cast<float*>(floats), reinterpret_cast<double*>(doubles), blocks,
                                      threads, stream_arg(stream));
           },
           py::arg("ints"), py::arg("ulls"), py::arg("floats"), py::arg("doubles"), py::arg("blocks"),
           py::arg("threads"), py::arg("stream"));
    def_op(m, "selftest_block_sum", "selftest_block_sum",
           [p](std::uintptr_t out, std::uintptr_t in, int n, int threads, std::uintptr_t stream) {
               p("selftest_block_sum", out), p("selftest_block_sum", in);
               py::gil_scoped_release r;
               cuda::selftest_block_sum(reinterpret_cast<double*>(out), reinterpret_cast<const double*>(in), n,
                                        threads, stream_arg(stream));
           },
           py::arg("out"), py::arg("inp"), py::arg("n"), py::arg("threads"), py::arg("stream"));
#if defined(AXONAL_CUDA_EMU)
    def_op(m, "selftest_divergent_shuffle", "selftest_divergent_shuffle",
           [p](std::uintptr_t out, std::uintptr_t stream) {
               p("selftest_divergent_shuffle", out);
               py::gil_scoped_release r;
               cuda::selftest_divergent_shuffle(reinterpret_cast<int*>(out), stream_arg(stream));
           },
           py::arg("out"), py::arg("stream"));
#endif
}

}  // namespace cuda_binding
}  // namespace axonal
