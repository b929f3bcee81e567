// The float gate passes of the recurrent kernels (recurrent_rows_impl.h) built with -mavx2 -mfma: 8 lanes and
// fused multiply-adds where the baseline build has 4 lanes. Called only when cpu_has_avx2_fma() is true.
#include "kernels/recurrent_rows.h"

#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))

#include "kernels/recurrent_rows_impl.h"

namespace axonal {

void rnn_forward_rows_avx2(const RnnStepForward<float>& s, int64_t lo, int64_t hi) { forward_rows<float>(s, lo, hi); }
void rnn_backward_rows_avx2(const RnnStepBackward<float>& s, int64_t lo, int64_t hi) {
    backward_rows<float>(s, lo, hi);
}

}  // namespace axonal

#else  // built without AVX2 support: never dispatched here (cpu_has_avx2_fma() is false).

#include <cstdlib>

namespace axonal {
void rnn_forward_rows_avx2(const RnnStepForward<float>&, int64_t, int64_t) { std::abort(); }
void rnn_backward_rows_avx2(const RnnStepBackward<float>&, int64_t, int64_t) { std::abort(); }
}  // namespace axonal

#endif
