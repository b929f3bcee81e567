// Embedding lookup's backward: a scatter-add of the output gradient into the weight gradient.
//
//   grad_weight  V x D   ACCUMULATED (+=): row indices[i] receives grad_out row i, for every i < n, except
//                        rows equal to padding_idx (pass -1 for none), which receive nothing
//   grad_out     n x D   rows of the lookup's output gradient
//   indices      n       int64, each in [0, V) (the binding checks)
//
// Rows are added in index order i = 0..n-1, so the result does not depend on the thread count: threads split
// the D columns, each adding whole column ranges of every row. embedding_backward_reference is the naive loop.
#pragma once
#include <cstdint>

namespace axonal {

template <typename T>
void embedding_backward(T* grad_weight, const T* grad_out, const int64_t* indices, int64_t n, int64_t D,
                        int64_t padding_idx);

template <typename T>
void embedding_backward_reference(T* grad_weight, const T* grad_out, const int64_t* indices, int64_t n, int64_t D,
                                  int64_t padding_idx);

}  // namespace axonal
