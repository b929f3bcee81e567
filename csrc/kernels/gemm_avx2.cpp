// AVX2/FMA GEMM: micro-kernels, vectorised packing, and the driver of gemm_driver.h instantiated with
// them. This translation unit alone is compiled with -mavx2 -mfma; nothing here runs unless
// avx2_enabled() said yes at run time.
#include "kernels/gemm_level.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))

#include <type_traits>

#include "kernels/gemm_avx2_kernels.h"
#include "kernels/gemm_level_impl.h"

namespace axonal {

template <typename T>
struct KernelsAt<Isa::avx2, T> {
    using type = typename std::conditional<std::is_same<T, float>::value, Avx2F32, Avx2F64>::type;
};
template struct GemmAt<Isa::avx2, float>;
template struct GemmAt<Isa::avx2, double>;

}  // namespace axonal

#endif  // else: built without this level; isa_level() never selects it, so gemm.cpp never calls GemmAt<avx2, T>
