// Recurrent layers (Elman RNN with tanh or ReLU, LSTM, GRU): one layer and one direction over a whole
// sequence per call, with PyTorch's equations and gate order. The input projections of every time step
// (x_t @ W_ih^T + b_ih, one GEMM over the whole sequence) are computed by the caller; these kernels run the
// recurrence: per step one GEMM for the hidden part and one fused pass over the gates.
//
// Sizes: B sequences (the batch), H hidden units, G gates (rnn 1, lstm 4, gru 3), `steps` time steps.
// Sequences are "packed" as in torch.nn.utils.rnn.PackedSequence: step t holds the first batch_sizes[t]
// sequences (batch_sizes is non-increasing, batch_sizes[0] == B, every entry >= 1), stored in rows
// offset_t .. offset_t + batch_sizes[t] - 1, offset_t = sum_{s<t} batch_sizes[s]; N = sum of batch_sizes
// rows in all. A padded (T, B, .) batch is the case batch_sizes[t] == B for all t. Row b of every step
// belongs to sequence b.
//
//   gates   N x G*H   in: the input projections x_t W_ih^T, without bias. Out (overwritten in place): the gate
//                     activations, saved for backward:
//                       rnn  h_t;   lstm  i, f, g, o (after sigmoid / tanh);   gru  r, z, n
//   out     N x H     h_t of every step (the layer's output)
//   h_n     B x H     the last hidden state of each sequence (for reverse: the state after step 0)
//   c_n     B x H     LSTM only (else nullptr): the last cell state
//   saved   N x S*H   what backward needs besides gates, S = rnn_saved_width(mode); nullptr = inference:
//                       rnn  h_{t-1};   lstm  h_{t-1}, c_{t-1}, tanh(c_t);   gru  h_{t-1}, W_hn h_{t-1} + b_hn
//   w_hh    G*H x H   row-major, torch's weight_hh (gates stacked in torch's order)
//   b_hh    G*H       GRU only (else nullptr; may be nullptr for a GRU without bias)
//   b_x     G*H       the bias added to the input projections (LSTM / RNN: b_ih + b_hh; GRU: b_ih), or nullptr
//   h0, c0  B x H     initial states (c0: LSTM only); nullptr: zeros (then both are nullptr), and the first step's
//                     hidden product, which is zero, is skipped
//   reverse           run from the last step to the first (the backward direction of a bidirectional layer)
//
// Equations (sigma the logistic sigmoid, * elementwise, x_* the gate's input projection):
//   rnn   h' = act(x + W_hh h)                          act = tanh or relu
//   lstm  i, f, g, o = sigma(x_i + W_hi h), sigma(x_f + W_hf h), tanh(x_g + W_hg h), sigma(x_o + W_ho h)
//         c' = f * c + i * g;   h' = o * tanh(c')
//   gru   r = sigma(x_r + W_hr h + b_hr);   z = sigma(x_z + W_hz h + b_hz)
//         n = tanh(x_n + r * (W_hn h + b_hn));   h' = (1 - z) * n + z * h
//
// rnn_sequence_backward, given the gradients of out (N x H), h_n and c_n (each may be nullptr = zero):
//   dgates  N x G*H   OVERWRITTEN: the gradient of the input projections (so d b_ih = column sums of it,
//                     d x = dgates @ W_ih, d W_ih = dgates^T @ x)
//   dw_hh   G*H x H   ACCUMULATED (+=): d W_hh
//   db_hh   G*H       ACCUMULATED (+=) when not nullptr: d b_hh (equal to the column sums of dgates except
//                     for the GRU's n gate, whose b_hn sits inside r * (...))
//   dh0     B x H     OVERWRITTEN: d h0;   dc0  B x H  OVERWRITTEN, LSTM only: d c0. Both nullptr: not wanted
//                     (the last step's d h_{t-1} product, needed only for them, is skipped)
//   gates, saved, w_hh, batch_sizes, steps, B, H, reverse: as the forward call left / got them.
//   zero_h0           the forward ran from zero initial states: the first step's rows (h_{t-1} = 0) are left out
//                     of d W_hh's product
//
// Backward runs the steps in the reverse order of the forward, one GEMM per step for the hidden part,
// and d W_hh as a single GEMM over all steps at the end, so its cost is linear in the number of steps.
// The float kernels use vectorisable exp-based sigmoid and tanh (recurrent_math.h, ~1e-7 relative);
// double uses std::exp / std::tanh. Work is split over rows (parallel_for) and inside the GEMMs; the
// results do not depend on the thread count.
//
// The *_reference versions are naive serial loops (a triple-loop matrix product, std::exp/std::tanh for
// both types) kept to test the fast ones against.
#pragma once
#include <cstdint>

namespace axonal {

enum RnnMode : int { RNN_TANH = 0, RNN_RELU = 1, RNN_LSTM = 2, RNN_GRU = 3 };

inline int rnn_gate_count(int mode) { return mode == RNN_LSTM ? 4 : mode == RNN_GRU ? 3 : 1; }
inline int rnn_saved_width(int mode) { return mode == RNN_LSTM ? 3 : mode == RNN_GRU ? 2 : 1; }

template <typename T>
void rnn_sequence_forward(int mode, T* gates, T* out, T* h_n, T* c_n, T* saved, const T* w_hh, const T* b_hh,
                          const T* b_x, const T* h0, const T* c0, const int64_t* batch_sizes, int64_t steps,
                          int64_t B, int64_t H, bool reverse);

template <typename T>
void rnn_sequence_backward(int mode, T* dgates, T* dw_hh, T* db_hh, T* dh0, T* dc0, const T* grad_out,
                           const T* grad_h_n, const T* grad_c_n, const T* gates, const T* saved, const T* w_hh,
                           const int64_t* batch_sizes, int64_t steps, int64_t B, int64_t H, bool reverse,
                           bool zero_h0);

template <typename T>
void rnn_sequence_forward_reference(int mode, T* gates, T* out, T* h_n, T* c_n, T* saved, const T* w_hh,
                                    const T* b_hh, const T* b_x, const T* h0, const T* c0,
                                    const int64_t* batch_sizes, int64_t steps, int64_t B, int64_t H, bool reverse);

template <typename T>
void rnn_sequence_backward_reference(int mode, T* dgates, T* dw_hh, T* db_hh, T* dh0, T* dc0, const T* grad_out,
                                     const T* grad_h_n, const T* grad_c_n, const T* gates, const T* saved,
                                     const T* w_hh, const int64_t* batch_sizes, int64_t steps, int64_t B,
                                     int64_t H, bool reverse);

}  // namespace axonal
