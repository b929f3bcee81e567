// AVX-512 GEMM: the driver of gemm_driver.h instantiated with the kernel set of gemm_avx512_kernels.h.
// This translation unit alone (with the other *_avx512.cpp files) is compiled with the AVX-512 flags;
// nothing here runs unless avx512_enabled() said yes at run time.
#include "kernels/gemm_level.h"

#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))

#include <type_traits>

#include "kernels/gemm_avx512_kernels.h"
#include "kernels/gemm_level_impl.h"

namespace axonal {

template <typename T>
struct KernelsAt<Isa::avx512, T> {
    using type = typename std::conditional<std::is_same<T, float>::value, Avx512F32, Avx512F64>::type;
};
template struct GemmAt<Isa::avx512, float>;
template struct GemmAt<Isa::avx512, double>;

}  // namespace axonal

#endif  // else: built without this level; isa_level() never selects it, so gemm.cpp never calls GemmAt<avx512, T>
