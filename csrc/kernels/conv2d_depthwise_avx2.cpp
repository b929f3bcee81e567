// Depthwise conv2d: conv2d_depthwise_impl.h compiled with -mavx2 -mfma (conv2d_depthwise.cpp calls in here
// only at that level).
#include "kernels/conv2d_depthwise.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))

#define AX_DW_NS depthwise_avx2
#define AX_DW_VBYTES 32  // the vector width of this level
#include "kernels/conv2d_depthwise_impl.h"
#undef AX_DW_NS

#else  // not built for this level: isa_level() never selects it.

#include <cstdlib>

namespace axonal {
namespace depthwise_avx2 {
template <typename T>
void forward(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
             int64_t, int64_t, int64_t, int64_t, int64_t, bool) {
    std::abort();
}
template <typename T>
void backward_input(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                    int64_t, int64_t, int64_t, int64_t, int64_t) {
    std::abort();
}
template <typename T>
void backward_weight(T*, T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t) {
    std::abort();
}
#define AX_DW_INSTANTIATE(T)                                                                                      \
    template void forward<T>(T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,      \
                             int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, bool);     \
    template void backward_input<T>(T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, \
                                    int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);             \
    template void backward_weight<T>(T*, T*, const T*, const T*, int64_t, int64_t, int64_t, int64_t, int64_t,    \
                                     int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t);
AX_DW_INSTANTIATE(float)
AX_DW_INSTANTIATE(double)
#undef AX_DW_INSTANTIATE
}  // namespace depthwise_avx2
}  // namespace axonal

#endif
