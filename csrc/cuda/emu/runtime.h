// The CUDA emulation's runtime: grid launch, block scheduler, barriers and warp exchange.
// Used through emu.h (the CUDA names); nothing here is meant to be called from kernels directly.
//
// Execution model. A launch runs its blocks one after the other on the calling OS thread (all launches
// are serialised by one lock, so the emulated device behaves like one in-order stream). The threads of a
// block are fibers (fiber.h). The scheduler runs them in "passes": in each pass, every runnable fiber, in
// the pass's order, runs until it reaches a barrier (__syncthreads), a warp exchange (a shuffle or a vote)
// or its end. After the pass, a warp whose live lanes all wait at a warp exchange is released; when
// every live thread waits at __syncthreads, the block barrier is released. A thread that has returned
// counts as arrived (as on the hardware). When nothing can be released but threads still wait (a barrier
// inside divergent code, a shuffle by part of a warp), the launch fails with cudaErrorLaunchFailure.
//
// The order of the threads in each pass, and of the blocks in the grid, is set by set_schedule():
// forward (0, 1, ...), reverse, or shuffled from a seed (a new permutation every pass). A kernel that is
// correct on a GPU gives the same result under all three; one that misses a barrier does not.
#pragma once
#include <cstdint>
#include <string>

struct CUstream_st;

namespace axonal {
namespace emu {

struct uint3_t {
    unsigned x, y, z;
};

// What a running emulated thread sees of itself; `current` points at the running fiber's copy.
struct ThreadInfo {
    uint3_t idx;       // threadIdx
    unsigned lane;     // linear index % 32
    unsigned warp;     // linear index / 32
    unsigned phase;    // which half of the warp's exchange buffer the next exchange uses
};

struct LaunchInfo {
    uint3_t block_idx;
    uint3_t block_dim;
    uint3_t grid_dim;
};

extern const ThreadInfo* current;
extern LaunchInfo launch_info;

enum class Schedule { Forward, Reverse, Shuffle };
void set_schedule(Schedule s, uint64_t seed);
Schedule schedule();

// Blocks the calling emulated thread until the block barrier is released.
void sync_block();
// Blocks until every live lane of the calling thread's warp has reached a warp exchange.
void sync_warp();
// Warp exchange: deposits `mine`, waits for the warp, returns what lane `src` deposited (its own value
// when src is out of [0, 32)). Every live lane of the warp must call it (full-warp shuffles only).
uint64_t exchange(uint64_t mine, int src);
// Waits for the warp and returns the bit mask of lanes whose `pred` was true.
unsigned ballot(bool pred);

// A type-erased kernel body: call(ctx) runs one thread of the kernel.
struct Thunk {
    void (*call)(const void* ctx);
    const void* ctx;
};

// Runs the grid. Returns 0 or a cudaError_t value (invalid configuration, a barrier deadlock).
int launch(uint3_t grid, uint3_t block, size_t dynamic_shared, CUstream_st* stream, const Thunk& body);

// The error a failed launch left (sticky until read, as cudaGetLastError), and its description.
int take_last_error();
int peek_last_error();
std::string last_error_detail();

// Statistics of this process's emulated launches (for tests and tuning): context switches and blocks.
struct Counters {
    uint64_t launches, blocks, threads, switches;
};
Counters counters();

const char* context_kind();

}  // namespace emu
}  // namespace axonal
