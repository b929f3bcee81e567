// The float gate passes of the recurrent kernels (recurrent_rows_impl.h) built with the AVX-512 flags: 16 lanes
// where the AVX2 build has 8 (the passes are straight-line float code the compiler vectorises; their sigmoid and
// tanh are most of a step's work besides the hidden product). Called only when avx512_enabled() is true.
#include "kernels/recurrent_rows.h"

#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))

#include "kernels/recurrent_rows_impl.h"

namespace axonal {

void rnn_forward_rows_avx512(const RnnStepForward<float>& s, int64_t lo, int64_t hi) {
    forward_rows<float>(s, lo, hi);
}
void rnn_backward_rows_avx512(const RnnStepBackward<float>& s, int64_t lo, int64_t hi) {
    backward_rows<float>(s, lo, hi);
}

}  // namespace axonal

#else  // built without AVX-512 support: never dispatched here (isa_level() never reports avx512).

#include <cstdlib>

namespace axonal {
void rnn_forward_rows_avx512(const RnnStepForward<float>&, int64_t, int64_t) { std::abort(); }
void rnn_backward_rows_avx512(const RnnStepBackward<float>&, int64_t, int64_t) { std::abort(); }
}  // namespace axonal

#endif
