// Embedding backward (contract in embedding.h): threads split the columns, so each output element is written by
// one thread and rows are summed in index order whatever the thread count.
#include "kernels/embedding.h"

#include "kernels/parallel.h"

namespace axonal {

template <typename T>
void embedding_backward(T* grad_weight, const T* grad_out, const int64_t* indices, int64_t n, int64_t D,
                        int64_t padding_idx) {
    // A column block of 64 floats is a cache line pair per row: big enough to stream, small enough to share
    // D = 128..512 between two threads.
    const int64_t block = 64, blocks = (D + block - 1) / block;
    parallel_for(blocks, n * block, [&](int64_t lo, int64_t hi) {
        const int64_t c0 = lo * block, c1 = hi * block < D ? hi * block : D;
        for (int64_t i = 0; i < n; ++i) {
            const int64_t row = indices[i];
            if (row == padding_idx) continue;
            T* dst = grad_weight + row * D;
            const T* src = grad_out + i * D;
            for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
        }
    });
}

template <typename T>
void embedding_backward_reference(T* grad_weight, const T* grad_out, const int64_t* indices, int64_t n, int64_t D,
                                  int64_t padding_idx) {
    for (int64_t i = 0; i < n; ++i) {
        if (indices[i] == padding_idx) continue;
        for (int64_t c = 0; c < D; ++c) grad_weight[indices[i] * D + c] += grad_out[i * D + c];
    }
}

template void embedding_backward<float>(float*, const float*, const int64_t*, int64_t, int64_t, int64_t);
template void embedding_backward<double>(double*, const double*, const int64_t*, int64_t, int64_t, int64_t);
template void embedding_backward_reference<float>(float*, const float*, const int64_t*, int64_t, int64_t, int64_t);
template void embedding_backward_reference<double>(double*, const double*, const int64_t*, int64_t, int64_t,
                                                   int64_t);

}  // namespace axonal
