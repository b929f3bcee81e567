// Fast recurrent kernels (contract in recurrent.h): W_hh packed once per call (PackedWeight), per step one
// gemm_with_packed_b() for the hidden part, W_hh h into a small
// per-step buffer, then one fused pass over the gates that adds the input projection, the bias and W_hh h
// (recurrent_rows_impl.h; for float its AVX-512 or AVX2/FMA build, the widest the process's level allows).
// Backward runs the steps in reverse with one gemm() per step for d h_{t-1} and finishes with one gemm() for
// d W_hh over all N rows, so there is no per-step weight-gradient product and no O(T^2) work.
//
// Threads: a sequence's recurrence touches only its own row of every step (h_t of sequence b depends on
// h_{t-1} of sequence b alone; likewise d h), so the batch is split into one block of rows per thread and each
// thread runs the whole sequence for its block: one parallel region per call, no barrier between steps, the
// per-step GEMMs serial on the thread's rows (W_hh stays in that core's L2). Blocks are balanced by the number
// of (row, step) cells they hold, for packed batches whose sequences end at different steps. A batch too small
// to split runs on one thread with the GEMM's own threading.
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_blocking.h"
#include "kernels/parallel.h"
#include "kernels/recurrent.h"
#include "kernels/recurrent_rows.h"
#include "kernels/recurrent_rows_impl.h"
#if __has_include("kernels/cpu_isa.h")  // the instruction-set level (AXONAL_ISA) of the AVX-512 work, once merged
#include "kernels/cpu_isa.h"
#define AXONAL_RNN_ISA_LEVEL 1
#endif

namespace axonal {
namespace {

std::vector<int64_t> step_offsets(const int64_t* batch_sizes, int64_t steps) {
    std::vector<int64_t> off(size_t(steps) + 1, 0);
    for (int64_t t = 0; t < steps; ++t) off[size_t(t) + 1] = off[size_t(t)] + batch_sizes[t];
    return off;
}

// Rough cost of one row of a gate pass in the units of parallel_for (about one multiply-add per unit):
// a vectorised sigmoid or tanh is ~20 of them.
int64_t row_cost(int mode, int64_t H) { return H * (mode == RNN_LSTM ? 110 : mode == RNN_GRU ? 70 : 25); }

// Whether the AVX2 build of the gate passes may run: the process's instruction-set level where the tree has
// one (cpu_isa.h, AXONAL_ISA), else the CPU check with AXONAL_DISABLE_AVX2=1 forcing the portable passes, as it
// forces the portable GEMM (gemm.cpp). Read once.
bool avx2_rows_enabled() {
#ifdef AXONAL_RNN_ISA_LEVEL
    return avx2_enabled();
#else
    static const bool on = [] {
        const char* v = std::getenv("AXONAL_DISABLE_AVX2");
        const bool disabled = v != nullptr && v[0] != '\0' && !(v[0] == '0' && v[1] == '\0');
        return cpu_has_avx2_fma() && !disabled;
    }();
    return on;
#endif
}

// The widest build of the float passes this process may run: AVX-512 where the tree has its level and it is on.
bool avx512_rows_enabled() {
#ifdef AXONAL_RNN_ISA_LEVEL
    return avx512_enabled();
#else
    return false;
#endif
}

void run_forward_rows(const RnnStepForward<float>& s, int64_t lo, int64_t hi) {
    if (avx512_rows_enabled())
        rnn_forward_rows_avx512(s, lo, hi);
    else if (avx2_rows_enabled())
        rnn_forward_rows_avx2(s, lo, hi);
    else
        forward_rows<float>(s, lo, hi);
}
void run_forward_rows(const RnnStepForward<double>& s, int64_t lo, int64_t hi) { forward_rows<double>(s, lo, hi); }

void run_backward_rows(const RnnStepBackward<float>& s, int64_t lo, int64_t hi) {
    if (avx512_rows_enabled())
        rnn_backward_rows_avx512(s, lo, hi);
    else if (avx2_rows_enabled())
        rnn_backward_rows_avx2(s, lo, hi);
    else
        backward_rows<float>(s, lo, hi);
}
void run_backward_rows(const RnnStepBackward<double>& s, int64_t lo, int64_t hi) {
    backward_rows<double>(s, lo, hi);
}

// out[k] += sum over the n rows of a (row stride lda) of column k, k < m, accumulated in double.
template <typename T>
void add_column_sums(T* out, const T* a, int64_t n, int64_t m, int64_t lda) {
    parallel_for(m, n, [&](int64_t lo, int64_t hi) {
        std::vector<double> acc(size_t(hi - lo), 0.0);
        for (int64_t i = 0; i < n; ++i) {
            const T* row = a + i * lda;
            for (int64_t k = lo; k < hi; ++k) acc[size_t(k - lo)] += double(row[k]);
        }
        for (int64_t k = lo; k < hi; ++k) out[k] += T(acc[size_t(k - lo)]);
    });
}

// W_hh packed once per call for gemm_with_packed_b (64-byte aligned, as the packed slivers must be): every step's
// hidden product reuses it, where gemm() would pack (and, forward, transpose) the whole matrix again each step:
// for a 1 MB W_hh (H = 256) against a thread's 32 rows that packing cost about as much as the product.
template <typename T>
struct PackedWeight {
    T* data = nullptr;
    PackedWeight(bool trans, int64_t K, int64_t N, const T* w, int64_t ldw) {
        const size_t bytes = (size_t(gemm_packed_b_size<T>(K, N)) * sizeof(T) + 63) / 64 * 64;
        data = static_cast<T*>(std::aligned_alloc(64, bytes));
        if (!data) throw std::bad_alloc();
        gemm_pack_b<T>(trans, K, N, w, ldw, data);
    }
    ~PackedWeight() { std::free(data); }
    PackedWeight(const PackedWeight&) = delete;
    PackedWeight& operator=(const PackedWeight&) = delete;
};

// How many threads share the batch: each needs kMinRows rows and enough work per step to pay for itself.
int team_size(int64_t B, int64_t GH, int64_t H) {
    const int64_t kMinRows = 4, kMinWorkPerThread = 64 * 64 * 64;  // multiply-adds per step, as the GEMM's own
    int64_t nt = get_num_threads();
    if (nt > B / kMinRows) nt = B / kMinRows;
    if (nt > B * GH * H / kMinWorkPerThread) nt = B * GH * H / kMinWorkPerThread;
    return nt < 1 ? 1 : int(nt);
}

// Row boundaries [0 = r_0 < r_1 < ... < r_nt = B] giving each thread about the same number of (row, step) cells;
// boundaries are even, so a row block rarely ends in a 1-row GEMM tile.
std::vector<int64_t> row_blocks(const int64_t* batch_sizes, int64_t steps, int64_t B, int nt) {
    std::vector<int64_t> cells(size_t(B) + 1, 0);  // cells[r]: cells of rows < r
    {
        std::vector<int64_t> len(size_t(B), 0);
        for (int64_t t = 0; t < steps; ++t)
            for (int64_t r = 0; r < batch_sizes[t]; ++r) ++len[size_t(r)];
        for (int64_t r = 0; r < B; ++r) cells[size_t(r) + 1] = cells[size_t(r)] + len[size_t(r)];
    }
    std::vector<int64_t> bounds(size_t(nt) + 1, B);
    bounds[0] = 0;
    int64_t r = 0;
    for (int k = 1; k < nt; ++k) {
        const int64_t target = cells[size_t(B)] * k / nt;
        while (r < B && cells[size_t(r)] < target) ++r;
        int64_t cut = (r + 1) / 2 * 2;
        if (cut > B) cut = B;
        bounds[size_t(k)] = cut < bounds[size_t(k) - 1] ? bounds[size_t(k) - 1] : cut;
    }
    return bounds;
}

}  // namespace

template <typename T>
void rnn_sequence_forward(int mode, T* gates, T* out, T* h_n, T* c_n, T* saved, const T* w_hh, const T* b_hh,
                          const T* b_x, const T* h0, const T* c0, const int64_t* batch_sizes, int64_t steps,
                          int64_t B, int64_t H, bool reverse) {
    const int64_t GH = rnn_gate_count(mode) * H, S = rnn_saved_width(mode) * H;
    const std::vector<T> zeros(b_x && b_hh ? 0 : size_t(GH), T(0));  // for a missing bias
    if (!b_x) b_x = zeros.data();
    if (!b_hh) b_hh = zeros.data();
    const std::vector<int64_t> off = step_offsets(batch_sizes, steps);
    // h_n and c_n hold the running state: a finished sequence's rows are no longer touched, so they end
    // as its last state, and a reverse direction's rows wait as h0 until their sequence starts.
    // h0 == nullptr: zero initial states (c0 too), and the first step's hidden product is skipped (it is zero).
    T* h = h_n;
    if (h0)
        std::memcpy(h, h0, sizeof(T) * size_t(B * H));
    else
        std::memset(h, 0, sizeof(T) * size_t(B * H));
    if (mode == RNN_LSTM) {
        if (c0)
            std::memcpy(c_n, c0, sizeof(T) * size_t(B * H));
        else
            std::memset(c_n, 0, sizeof(T) * size_t(B * H));
    }
    // W_hh h of the step, each thread on its rows: a small buffer that stays in cache while the GEMM writes it and the
    // gate pass reads it. (Accumulating into the step's rows of `gates` instead, beta = 1, makes the GEMM's
    // micro-kernel load its C tiles from memory: the LSTM forward then ran 1.37x faster on 2 threads than on 1,
    // against 1.9x for the GRU, which already had this buffer.)
    std::vector<T> y(size_t(B * GH));
    const int nt = team_size(B, GH, H);
    // y = h W_hh^T: W_hh^T (H x GH) packed once, then one serial product per thread and step. A batch too small
    // to split (nt == 1 with more threads available) keeps gemm() and its own threading instead.
    const bool packed = nt > 1 || get_num_threads() == 1;
    const PackedWeight<T> w_t(true, packed ? H : 0, GH, w_hh, H);
    parallel_team(nt, [&](int tid, int nthr) {
        const std::vector<int64_t> bounds = row_blocks(batch_sizes, steps, B, nthr);
        const int64_t lo = bounds[size_t(tid)], hi = bounds[size_t(tid) + 1];
        for (int64_t s = 0; s < steps; ++s) {
            const int64_t t = reverse ? steps - 1 - s : s, row0 = off[size_t(t)];
            const int64_t end = batch_sizes[t] < hi ? batch_sizes[t] : hi;
            if (end <= lo) continue;
            T* g = gates + row0 * GH;
            if (s == 0 && !h0)
                std::memset(y.data() + lo * GH, 0, sizeof(T) * size_t((end - lo) * GH));
            else if (packed)
                gemm_with_packed_b<T>(end - lo, GH, H, T(1), h + lo * H, H, w_t.data, T(0), y.data() + lo * GH, GH);
            else
                gemm<T>(false, true, end - lo, GH, H, T(1), h + lo * H, H, w_hh, H, T(0), y.data() + lo * GH, GH);
            const RnnStepForward<T> step{mode, g, b_x, y.data(), b_hh, h, c_n, out + row0 * H,
                                         saved ? saved + row0 * S : nullptr, H};
            if (nthr > 1)
                run_forward_rows(step, lo, end);
            else
                parallel_for(end - lo, row_cost(mode, H), [&](int64_t a, int64_t b) { run_forward_rows(step, lo + a, lo + b); });
        }
    });
}

template <typename T>
void rnn_sequence_backward(int mode, T* dgates, T* dw_hh, T* db_hh, T* dh0, T* dc0, const T* grad_out,
                           const T* grad_h_n, const T* grad_c_n, const T* gates, const T* saved, const T* w_hh,
                           const int64_t* batch_sizes, int64_t steps, int64_t B, int64_t H, bool reverse,
                           bool zero_h0) {
    const int64_t GH = rnn_gate_count(mode) * H, S = rnn_saved_width(mode) * H;
    const std::vector<int64_t> off = step_offsets(batch_sizes, steps);
    const int64_t N = off[size_t(steps)];
    // The running d h lives in dh0 and ends as its value; likewise d c in dc0 (own buffers when the caller wants
    // neither: then the last step's d h_{t-1} product, whose only use is d h0, is skipped).
    std::vector<T> own(dh0 ? 0 : size_t((mode == RNN_LSTM ? 2 : 1) * B * H));
    T* dh = dh0 ? dh0 : own.data();
    if (mode == RNN_LSTM && !dh0) dc0 = own.data() + B * H;
    const bool need_dh0 = dh0 != nullptr;
    if (grad_h_n)
        std::memcpy(dh, grad_h_n, sizeof(T) * size_t(B * H));
    else
        std::memset(dh, 0, sizeof(T) * size_t(B * H));
    if (mode == RNN_LSTM) {
        if (grad_c_n)
            std::memcpy(dc0, grad_c_n, sizeof(T) * size_t(B * H));
        else
            std::memset(dc0, 0, sizeof(T) * size_t(B * H));
    }
    std::vector<T> dy_gru(mode == RNN_GRU ? size_t(N * GH) : 0);
    T* dy = mode == RNN_GRU ? dy_gru.data() : dgates;  // gradient of the hidden products W_hh h (+ b_hh)
    const int nt = team_size(B, GH, H);
    const bool packed = nt > 1 || get_num_threads() == 1;  // W_hh (GH x H) packed once, as in the forward
    const PackedWeight<T> w_p(false, packed ? GH : 0, H, w_hh, H);
    parallel_team(nt, [&](int tid, int nthr) {
        const std::vector<int64_t> bounds = row_blocks(batch_sizes, steps, B, nthr);
        const int64_t lo = bounds[size_t(tid)], hi = bounds[size_t(tid) + 1];
        for (int64_t s = steps - 1; s >= 0; --s) {
            const int64_t t = reverse ? steps - 1 - s : s, row0 = off[size_t(t)];
            const int64_t end = batch_sizes[t] < hi ? batch_sizes[t] : hi;
            if (end <= lo) continue;
            const RnnStepBackward<T> step{mode, gates + row0 * GH, saved + row0 * S,
                                          grad_out ? grad_out + row0 * H : nullptr, dh, dc0, dgates + row0 * GH,
                                          dy + row0 * GH, H};
            if (nthr > 1)
                run_backward_rows(step, lo, end);
            else
                parallel_for(end - lo, row_cost(mode, H), [&](int64_t a, int64_t b) { run_backward_rows(step, lo + a, lo + b); });
            // d h_{t-1} = (GRU: d h * z, left in dh by the pass +) dhh_t @ W_hh; the other cells have no direct
            // path, so beta = 0 overwrites what the pass read.
            const T beta = mode == RNN_GRU ? T(1) : T(0);
            if ((s > 0 || need_dh0) && packed)
                gemm_with_packed_b<T>(end - lo, H, GH, T(1), dy + (row0 + lo) * GH, GH, w_p.data, beta, dh + lo * H, H);
            else if (s > 0 || need_dh0)
                gemm<T>(false, false, end - lo, H, GH, T(1), dy + (row0 + lo) * GH, GH, w_hh, H, beta, dh + lo * H, H);
        }
    });
    // d W_hh += dhh^T @ h_prev over all rows (h_prev is the first H columns of saved); with zero_h0 the first
    // step's rows (h_prev = 0) add nothing and are left out.
    const int64_t first = reverse ? steps - 1 : 0;
    const int64_t skip = zero_h0 ? batch_sizes[first] : 0;
    const int64_t k0 = zero_h0 && !reverse ? skip : 0;
    if (N - skip > 0)
        gemm<T>(true, false, GH, H, N - skip, T(1), dy + k0 * GH, GH, saved + k0 * S, S, T(1), dw_hh, H);
    if (db_hh) add_column_sums<T>(db_hh, dy, N, GH, GH);
}

#define AXONAL_INSTANTIATE(T)                                                                                   \
    template void rnn_sequence_forward<T>(int, T*, T*, T*, T*, T*, const T*, const T*, const T*, const T*,     \
                                          const T*, const int64_t*, int64_t, int64_t, int64_t, bool);          \
    template void rnn_sequence_backward<T>(int, T*, T*, T*, T*, T*, const T*, const T*, const T*, const T*,    \
                                           const T*, const T*, const int64_t*, int64_t, int64_t, int64_t, bool,  \
                                           bool);
AXONAL_INSTANTIATE(float)
AXONAL_INSTANTIATE(double)
#undef AXONAL_INSTANTIATE

}  // namespace axonal
