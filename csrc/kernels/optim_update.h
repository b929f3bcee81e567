// Fused, in-place optimizer updates (torch.optim's rules) over n contiguous elements.
//   p, g, and every state array: n elements each, contiguous, distinct (no two overlap in memory).
// One pass over memory: each element of p and of the state is read once and written once, instead of the
// dozen whole-array passes the NumPy path makes.
//
// Every operation is done in T, with each hyperparameter first rounded to T, in exactly the order of
// python/axonal/optim/sgd.py and adam.py (NumPy 2 rounds a Python float scalar to the array's dtype), so
// the C++ and NumPy paths give the same numbers (bit for bit where the compiler does not contract a*b+c
// into an FMA, i.e. on baseline x86-64).
//
// The *_reference versions are serial loops that follow the NumPy code line by line; the tests compare
// the fast versions against them.
#pragma once
#include <cstdint>

namespace axonal {

// SGD, with d = g (negated if maximize), plus weight_decay * p when weight_decay != 0:
//   momentum == 0 : buf unused (may be null)
//   init_buf      : buf = d (torch's first step: the buffer starts as a copy of d; buf may hold garbage)
//   otherwise     : buf = buf * momentum + d * (1 - dampening)
//   d = d + momentum * buf (nesterov) or buf;   p = p + d * (-lr)
template <typename T>
void sgd_update(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double dampening,
                double weight_decay, bool nesterov, bool maximize, bool init_buf);
template <typename T>
void sgd_update_reference(T* p, const T* g, T* buf, int64_t n, double lr, double momentum, double dampening,
                          double weight_decay, bool nesterov, bool maximize, bool init_buf);

// Adam / AdamW at step t (t counted from 1 by the caller):
//   decoupled (AdamW): p = p * (1 - lr * weight_decay) first, and d = g (negated if maximize);
//   coupled (Adam)   : d = weight_decay * p + g (or - g if maximize); d = +-g when weight_decay == 0.
//   exp_avg = exp_avg + (d - exp_avg) * (1 - beta1)
//   exp_avg_sq = exp_avg_sq * beta2 + (d * d) * (1 - beta2)
//   max_exp_avg_sq (amsgrad, else null) = max(max_exp_avg_sq, exp_avg_sq) (NaN wins, as np.maximum)
//   p = p + (exp_avg / (sqrt(max_exp_avg_sq or exp_avg_sq) / bias_correction2_sqrt + eps)) * (-step_size)
// with step_size = lr / (1 - beta1**t) and bias_correction2_sqrt = sqrt(1 - beta2**t), computed in double by
// the caller (the Python side does exactly that).
template <typename T>
void adam_update(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n, double lr,
                 double beta1, double beta2, double eps, double weight_decay, bool decoupled, bool maximize,
                 double step_size, double bias_correction2_sqrt);
template <typename T>
void adam_update_reference(T* p, const T* g, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n, double lr,
                           double beta1, double beta2, double eps, double weight_decay, bool decoupled,
                           bool maximize, double step_size, double bias_correction2_sqrt);

}  // namespace axonal
