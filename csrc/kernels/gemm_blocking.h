// Blocking constants for the GEMM: the one place where tile and cache sizes live.
//
// Packed layouts (gemm_driver.h): an A sliver is kc x MR stored k-major (the MR values of one k are
// contiguous), a B sliver is kc x NR stored k-major (the NR values of one k are contiguous). A
// micro-kernel computes an MR x NR tile of C from one A sliver and one B sliver.
//
// How the sizes were chosen (AMD EPYC Zen 2 here: 32 KiB L1d, 512 KiB L2 per core, 16 MiB L3; the
// same reasoning holds for any AVX2 core with >= 256 KiB L2):
//   MR x NR: the register tile. AVX2 has 16 ymm registers; a 6 x 16 float tile is 12 accumulators
//            + 2 for the B row + 1 broadcast of A = 15. Per k it issues 12 FMAs against 8 loads
//            (2 B vectors + 6 broadcasts), so the two FMA pipes, not the two load ports, are the limit.
//            For double the same register budget gives 6 x 8.
//   KC:      the longest k-chunk. K is cut into equal chunks of at most KC (gemm_driver.h, k_step), so
//            K = 288 (a 3x3 conv over 32 channels) runs as one chunk instead of 256 + a short tail. One
//            B sliver (kc x NR) must stay in L1 while the A slivers stream past it: 384 * 16 * 4 B =
//            24 KiB of the 32 KiB. Longer chunks mean fewer passes over C (each loads and stores it).
//            Measured at 1024^3 (3 chunks of 344 against 4 of 256): +1.5% on 1 thread, +1.7% on 2;
//            2048^3 +0.5-1%; 512^3 and below unchanged (same chunks).
//   MC:      the packed A block (MC x kc) stays in L2 while every B sliver of the panel meets it:
//            120 * 344 * 4 B = 161 KiB at 1024^3. Measured with kc = 344: MC 72..144 within 1%.
//            The driver shrinks MC per thread so that every thread's rows split into equal blocks
//            (load balance) — MC is an upper bound.
//   NC:      the packed B panel (kc x NC) lives in L3 and is shared by all threads:
//            384 * 4080 * 4 B ~ 6 MiB of the 16 MiB L3. 4080 = 255 * NR.
//   SMALL:   below M*N*K = SMALL_WORK the driver skips packing A (and B unless it is transposed) and
//            runs the micro-kernel on the operands in place; measured crossover on this machine.
//   MIN_WORK_PER_THREAD: M*N*K a thread must get before a second thread is woken (wake-up + barrier
//            cost ~ a few microseconds); measured.
//   A_IN_PLACE_BYTES: N mode (op(A) read in place, no packing, no barrier) applies while the rows of
//            op(A) for one k-chunk (M x kc) take at most this much: they are re-read from L2 for every
//            B sliver. Measured with 2 threads: 256^3 and 320^3 (400 KiB) gain 5-8% over M mode,
//            384^3 is even, and on 1 thread 384^3 loses 4%; so 400 KiB of the 512 KiB L2.
// float64 keeps the same byte limits.
//
// AVX-512 (F/BW/DQ/VL; AMD Zen 4 / Zen 5, Intel Skylake-SP and later; measured on the dev machine, an EPYC
// with 32 KiB L1d, 1 MiB L2 per core and 32 MiB L3 whose 512-bit FMAs issue at half the per-lane rate of its
// 256-bit ones: 116 GFLOP/s per thread either way, fma_peak.py):
//   MR x NR: 8 x 32 floats (8 x 16 doubles): 8 rows x 2 zmm = 16 accumulators + 2 B vectors + 1 broadcast of
//            the 32 zmm registers. Two 512-bit FMA pipes with a 4-cycle latency (Zen 5) need 8 independent
//            chains; 16 leave room. Per k: 16 FMAs against 2 vector loads + 8 broadcasts (10 loads in 8
//            cycles at 2 FMAs per cycle, within 2 loads per cycle). 8 rows match the channel counts of
//            convolutions (16, 32, 64: no padded tile rows; 6 wasted 11% at 32) and make the A packer an
//            8 x 8 transpose. Measured on one thread (portable packers): 12 x 32, 14 x 32 and 6 x 64 within 4% of
//            8 x 32 at 128^3, 256^3 and 1024^3 (FMA-bound here), 8 x 48 5-12% slower; 8 x 32 best at 128^3.
//   KC:      320: the B sliver (kc x 32 floats) is 40 KiB, in the 48 KiB L1d of Zen 5 and re-read from L2 on
//            Zen 4 (whose halved FMA rate leaves the loads time). K up to 320 runs as one chunk (288: a 3x3
//            conv over 32 channels). Measured on one thread, KC 128..384 x MC 96..384: 256-320 best at 1024^3
//            (105 GFLOP/s, 0.91 of the peak), 128 and 192 3-10% slower.
//   MC:      192: the packed A block (192 x 320 x 4 B = 240 KiB) in the 1 MiB L2; 96..384 within noise.
//   NC:      4096 = 128 slivers: a 320 x 4096 B panel is 5 MiB of the shared L3.
//   A_IN_PLACE_BYTES: 800 KiB of the 1 MiB L2 (the AVX2 rule, 400 of 512 KiB, scaled to this L2).
//   SMALL / MIN_WORK_PER_THREAD: the AVX2 values (the same wake-up and packing costs).
//   TRANS_A_M_MODE_ROWS: a transposed op(A) (a weight gradient dY^T X) with at least this many rows takes M mode
//            on more than one thread even where N mode fits: N mode's column split makes each thread stream all
//            of op(A) in place, down strided columns (row stride = M floats, often a power of two, which folds
//            the lines onto a few cache sets), where M mode packs each thread's half once. Measured on 2
//            threads (Intel Xeon with AVX-512, 48 KiB L1d, 2 MiB L2), best of 5 interleaved, GFLOP/s N -> M mode:
//            512x1792x128 108 -> 132, 512x6400x64 58 -> 80, 784x64x256 138 -> 162, 512^3 142 -> 169; below
//            512 rows M mode lost (256^3 201 -> 118, 256x784x64 144 -> 126, 128^3 117 -> 86); 1 thread even.
//            Not measured for the other levels, which keep N mode (the largest value).
// The portable path (no AVX2) uses a tile the compiler can auto-vectorize with SSE2 / NEON.
#pragma once
#include <cstdint>

#include "kernels/cpu_isa.h"

namespace axonal {

#ifndef AX_F32_MC  // overridable (-DAX_F32_MC=...) only to re-run the measurements above
#define AX_F32_MC 120
#define AX_F32_KC 384
#endif
struct BlockingAvx2F32 {
    static constexpr int MR = 6, NR = 16;
    static constexpr int64_t MC = AX_F32_MC, KC = AX_F32_KC, NC = 4080;
    static constexpr int64_t SMALL_WORK = 48 * 48 * 48;
    static constexpr int64_t MIN_WORK_PER_THREAD = 40 * 40 * 40;
    static constexpr int64_t A_IN_PLACE_BYTES = 400 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = INT64_MAX;
};
struct BlockingAvx2F64 {
    static constexpr int MR = 6, NR = 8;
    static constexpr int64_t MC = 96, KC = 320, NC = 2040;
    static constexpr int64_t SMALL_WORK = 40 * 40 * 40;
    static constexpr int64_t MIN_WORK_PER_THREAD = 32 * 32 * 32;
    static constexpr int64_t A_IN_PLACE_BYTES = 400 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = INT64_MAX;
};
#ifndef AX512_F32_MC  // overridable (-DAX512_F32_MC=...) only to re-run the measurements above
#define AX512_F32_MC 192
#define AX512_F32_KC 320
#define AX512_F32_NC 4096
#endif
struct BlockingAvx512F32 {
    static constexpr int MR = 8, NR = 32;
    static constexpr int64_t MC = AX512_F32_MC, KC = AX512_F32_KC, NC = AX512_F32_NC;
    static constexpr int64_t SMALL_WORK = 48 * 48 * 48;
    static constexpr int64_t MIN_WORK_PER_THREAD = 40 * 40 * 40;
    static constexpr int64_t A_IN_PLACE_BYTES = 800 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = 512;
};
struct BlockingAvx512F64 {
    static constexpr int MR = 8, NR = 16;
    static constexpr int64_t MC = 96, KC = 256, NC = 2048;
    static constexpr int64_t SMALL_WORK = 40 * 40 * 40;
    static constexpr int64_t MIN_WORK_PER_THREAD = 32 * 32 * 32;
    static constexpr int64_t A_IN_PLACE_BYTES = 800 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = INT64_MAX;
};
struct BlockingGenericF32 {
    static constexpr int MR = 4, NR = 8;
    static constexpr int64_t MC = 128, KC = 320, NC = 2048;
    static constexpr int64_t SMALL_WORK = 32 * 32 * 32;
    static constexpr int64_t MIN_WORK_PER_THREAD = 32 * 32 * 32;
    static constexpr int64_t A_IN_PLACE_BYTES = 400 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = INT64_MAX;
};
struct BlockingGenericF64 {
    static constexpr int MR = 4, NR = 4;
    static constexpr int64_t MC = 128, KC = 320, NC = 2048;
    static constexpr int64_t SMALL_WORK = 32 * 32 * 32;
    static constexpr int64_t MIN_WORK_PER_THREAD = 32 * 32 * 32;
    static constexpr int64_t A_IN_PLACE_BYTES = 400 * 1024;
    static constexpr int64_t TRANS_A_M_MODE_ROWS = INT64_MAX;
};

}  // namespace axonal
