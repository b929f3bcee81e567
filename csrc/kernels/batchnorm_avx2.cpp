// Batch norm: batchnorm_impl.h compiled with -mavx2 -mfma (batchnorm.cpp calls in here only at that level).
#include "kernels/batchnorm.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))

#define AX_BN_NS bn_avx2
#include "kernels/batchnorm_impl.h"
#undef AX_BN_NS

#else  // not built for this level: isa_level() never selects it.

#include <cstdlib>

namespace axonal {
namespace bn_avx2 {
template <typename T>
void forward_train(T*, T*, T*, T*, T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, double, double, bool) {
    std::abort();
}
template <typename T>
void forward_eval(T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, double, bool) {
    std::abort();
}
template <typename T>
void backward(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, int64_t, int64_t, int64_t, bool,
              bool) {
    std::abort();
}
template void forward_train<float>(float*, float*, float*, float*, float*, const float*, const float*, const float*,
                                   int64_t, int64_t, int64_t, double, double, bool);
template void forward_train<double>(double*, double*, double*, double*, double*, const double*, const double*,
                                    const double*, int64_t, int64_t, int64_t, double, double, bool);
template void forward_eval<float>(float*, const float*, const float*, const float*, const float*, const float*, int64_t,
                                  int64_t, int64_t, double, bool);
template void forward_eval<double>(double*, const double*, const double*, const double*, const double*, const double*,
                                   int64_t, int64_t, int64_t, double, bool);
template void backward<float>(float*, float*, float*, const float*, const float*, const float*, const float*,
                              const float*, const float*, int64_t, int64_t, int64_t, bool, bool);
template void backward<double>(double*, double*, double*, const double*, const double*, const double*, const double*,
                               const double*, const double*, int64_t, int64_t, int64_t, bool, bool);
}  // namespace bn_avx2
}  // namespace axonal

#endif
