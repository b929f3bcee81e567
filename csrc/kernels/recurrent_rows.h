// The fused gate passes of the recurrent kernels (recurrent.h), one step and a range of its rows at a time:
// the shared description of a step (RnnStepForward / RnnStepBackward) and the entry points of the AVX2/FMA
// build of the passes (recurrent_avx2.cpp). The passes themselves are in recurrent_rows_impl.h, compiled
// once per instruction set.
//
// Pointers address the step's first row (sequence 0 at this step); row r of a step is at +r * (width):
//   gates  (rows x GH)  forward in: the input projections without bias, out: activations
//   b_x    (GH)         the bias added to every row's gates (LSTM / RNN: b_ih + b_hh; GRU: b_ih); never nullptr
//   y      (rows x GH)  W_hh h (without b_hh); b_hh (GH): the GRU's, never nullptr (zeros when the layer has none)
//   h, c   (rows x H)   the running state, updated in place; out (rows x H): h_t; saved (rows x S) or nullptr
//   backward: grad_out (rows x H) or nullptr, dh / dcell (rows x H) running gradients, dgates (rows x GH),
//             dy (rows x GH) the GRU's hidden-product gradient (the other cells: dy == dgates)
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
struct RnnStepForward {
    int mode;
    T* gates;
    const T* b_x;
    const T* y;
    const T* b_hh;
    T* h;
    T* c;
    T* out;
    T* saved;
    int64_t H;
};

template <typename T>
struct RnnStepBackward {
    int mode;
    const T* gates;
    const T* saved;
    const T* grad_out;
    T* dh;
    T* dcell;
    T* dgates;
    T* dy;
    int64_t H;
};

// AVX2/FMA builds of the float passes; call only when cpu_has_avx2_fma() (gemm_blocking.h) is true.
void rnn_forward_rows_avx2(const RnnStepForward<float>& s, int64_t lo, int64_t hi);
void rnn_backward_rows_avx2(const RnnStepBackward<float>& s, int64_t lo, int64_t hi);
// AVX-512 builds (recurrent_avx512.cpp); call only when avx512_enabled() (cpu_isa.h) is true.
void rnn_forward_rows_avx512(const RnnStepForward<float>& s, int64_t lo, int64_t hi);
void rnn_backward_rows_avx512(const RnnStepBackward<float>& s, int64_t lo, int64_t hi);

}  // namespace axonal
