// The CUDA emulation's launch and block scheduler; the execution model is described in runtime.h.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <numeric>
#include <random>
#include <sstream>
#include <vector>

#include "cuda/emu/fiber.h"
#include "cuda/emu/runtime.h"

namespace axonal {
namespace emu {

const ThreadInfo* current = nullptr;
LaunchInfo launch_info{};

namespace {

// cudaError_t values the emulation reports (the numbers of cuda_runtime_api.h).
constexpr int kInvalidConfiguration = 9;  // cudaErrorInvalidConfiguration
constexpr int kLaunchFailure = 719;       // cudaErrorLaunchFailure

constexpr unsigned kMaxThreads = 1024;  // per block, as on every GPU since sm_20
constexpr unsigned kMaxWarps = kMaxThreads / 32;
// 64 KiB of stack per emulated thread: kernels keep their "registers" (an 8x8 accumulator tile, a few
// loads) in a few hundred bytes; the rest leaves room for libm and printf. Each stack has a guard page
// below it, so an overflow faults instead of corrupting the neighbour.
constexpr size_t kStackSize = 64 * 1024;

enum class State : uint8_t { Ready, AtBlock, AtWarp, Done };

struct Fiber {
    Context ctx;
    ThreadInfo info;
    State state;
};

struct Scheduler {
    std::mutex lock;  // one launch at a time (the binding releases the GIL)
    char* stacks = nullptr;
    size_t stack_stride = 0;
    std::vector<Fiber> fibers = std::vector<Fiber>(kMaxThreads);
    std::vector<unsigned> order;
    Context main;
    Fiber* running = nullptr;
    const Thunk* body = nullptr;
    // Two halves per warp, so one exchange per shuffle suffices: a lane writes half p, waits for the
    // warp, reads half p; the next exchange uses the other half, and by the one after that every lane has
    // passed the warp release in between, i.e. has read.
    uint64_t exchange[kMaxWarps][2][32];
    Schedule sched = Schedule::Forward;
    std::mt19937_64 rng{0};
    int error = 0;
    std::string detail;
    Counters count{0, 0, 0, 0};
};

Scheduler& S() {
    static Scheduler* s = new Scheduler();  // never destroyed: fibers must not outlive their stacks
    return *s;
}

void allocate_stacks(Scheduler& s) {
    if (s.stacks) return;
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    s.stack_stride = kStackSize + page;
    void* mem = mmap(nullptr, s.stack_stride * kMaxThreads, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED) throw std::bad_alloc();
    s.stacks = static_cast<char*>(mem);
    for (unsigned i = 0; i < kMaxThreads; ++i) mprotect(s.stacks + i * s.stack_stride, page, PROT_NONE);
}

void fiber_main(void* arg) {
    Scheduler& s = S();
    Fiber* me = static_cast<Fiber*>(arg);
    s.body->call(s.body->ctx);
    me->state = State::Done;
    context_switch(&me->ctx, &s.main);
    __builtin_unreachable();
}

void wait(State st) {
    Scheduler& s = S();
    Fiber* me = s.running;
    me->state = st;
    ++s.count.switches;
    asm volatile("" ::: "memory");
    context_switch(&me->ctx, &s.main);
    asm volatile("" ::: "memory");
}

void make_order(Scheduler& s, unsigned n) {
    s.order.resize(n);
    if (s.sched == Schedule::Reverse) {
        for (unsigned i = 0; i < n; ++i) s.order[i] = n - 1 - i;
    } else {
        std::iota(s.order.begin(), s.order.end(), 0u);
        if (s.sched == Schedule::Shuffle) std::shuffle(s.order.begin(), s.order.end(), s.rng);
    }
}

// Releases what can be released after a pass. Returns false when threads wait but none can go on.
bool release(Scheduler& s, unsigned n, bool* all_done) {
    unsigned done = 0, at_block = 0;
    bool released = false;
    for (unsigned w = 0; w * 32 < n; ++w) {
        const unsigned b = w * 32, e = std::min(n, b + 32);
        unsigned waiting = 0, live = 0;
        for (unsigned i = b; i < e; ++i) {
            State st = s.fibers[i].state;
            if (st == State::Done) {
                ++done;
                continue;
            }
            ++live;
            if (st == State::AtWarp) ++waiting;
            if (st == State::AtBlock) ++at_block;
        }
        if (waiting && waiting == live) {
            for (unsigned i = b; i < e; ++i)
                if (s.fibers[i].state == State::AtWarp) s.fibers[i].state = State::Ready;
            released = true;
        }
    }
    *all_done = done == n;
    if (*all_done) return true;
    if (!released && at_block == n - done) {
        for (unsigned i = 0; i < n; ++i)
            if (s.fibers[i].state == State::AtBlock) s.fibers[i].state = State::Ready;
        released = true;
    }
    return released;
}

std::string block_str(const LaunchInfo& li) {
    std::ostringstream os;
    os << "block (" << li.block_idx.x << ", " << li.block_idx.y << ", " << li.block_idx.z << ") of grid ("
       << li.grid_dim.x << ", " << li.grid_dim.y << ", " << li.grid_dim.z << "), block size (" << li.block_dim.x
       << ", " << li.block_dim.y << ", " << li.block_dim.z << ")";
    return os.str();
}

// Runs one block to its end. Returns false on a barrier deadlock.
bool run_block(Scheduler& s, unsigned n) {
    const uint3_t bd = launch_info.block_dim;
    for (unsigned i = 0; i < n; ++i) {
        Fiber& f = s.fibers[i];
        f.info.idx = {i % bd.x, (i / bd.x) % bd.y, i / (bd.x * bd.y)};
        f.info.lane = i % 32;
        f.info.warp = i / 32;
        f.info.phase = 0;
        f.state = State::Ready;
        char* stack = s.stacks + i * s.stack_stride + (s.stack_stride - kStackSize);
        context_init(&f.ctx, stack, kStackSize, &fiber_main, &f);
    }
    s.count.threads += n;
    for (;;) {
        make_order(s, n);
        for (unsigned i : s.order) {
            Fiber& f = s.fibers[i];
            if (f.state != State::Ready) continue;
            s.running = &f;
            current = &f.info;
            ++s.count.switches;
            context_switch(&s.main, &f.ctx);
        }
        bool all_done = false;
        if (!release(s, n, &all_done)) {
            unsigned at_block = 0, at_warp = 0, done = 0;
            for (unsigned i = 0; i < n; ++i) {
                at_block += s.fibers[i].state == State::AtBlock;
                at_warp += s.fibers[i].state == State::AtWarp;
                done += s.fibers[i].state == State::Done;
            }
            std::ostringstream os;
            os << "barrier deadlock in " << block_str(launch_info) << ": " << at_block
               << " threads wait at __syncthreads, " << at_warp << " at a warp shuffle/vote, " << done
               << " have returned";
            s.detail = os.str();
            return false;
        }
        if (all_done) return true;
    }
}

}  // namespace

void set_schedule(Schedule sched, uint64_t seed) {
    Scheduler& s = S();
    std::lock_guard<std::mutex> g(s.lock);
    s.sched = sched;
    s.rng.seed(seed);
}

Schedule schedule() { return S().sched; }

void sync_block() { wait(State::AtBlock); }

void sync_warp() { wait(State::AtWarp); }

uint64_t exchange(uint64_t mine, int src) {
    Scheduler& s = S();
    ThreadInfo& me = s.running->info;
    const unsigned w = me.warp, p = me.phase, lane = me.lane;
    me.phase ^= 1;
    s.exchange[w][p][lane] = mine;
    wait(State::AtWarp);
    if (src < 0 || src >= 32) return mine;
    return s.exchange[w][p][src];
}

unsigned ballot(bool pred) {
    Scheduler& s = S();
    ThreadInfo& me = s.running->info;
    const unsigned w = me.warp, p = me.phase, lane = me.lane;
    me.phase ^= 1;
    s.exchange[w][p][lane] = pred ? 1 : 0;
    wait(State::AtWarp);
    unsigned bits = 0;
    for (unsigned l = 0; l < 32; ++l) bits |= unsigned(s.exchange[w][p][l] & 1) << l;
    return bits;
}

int launch(uint3_t grid, uint3_t block, size_t dynamic_shared, CUstream_st*, const Thunk& body) {
    Scheduler& s = S();
    std::lock_guard<std::mutex> g(s.lock);
    const uint64_t nthreads = uint64_t(block.x) * block.y * block.z;
    // The limits of every GPU since sm_30 (cudaErrorInvalidConfiguration on the hardware too).
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || nthreads == 0 || nthreads > kMaxThreads || block.z > 64 ||
        grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535 || dynamic_shared != 0) {
        std::ostringstream os;
        os << "invalid launch configuration: grid (" << grid.x << ", " << grid.y << ", " << grid.z << "), block ("
           << block.x << ", " << block.y << ", " << block.z << "), dynamic shared " << dynamic_shared << " bytes";
        s.detail = os.str();
        s.error = kInvalidConfiguration;
        return s.error;
    }
    allocate_stacks(s);
    // Lanes whose warp is only partly populated read zeros rather than another launch's leftovers.
    std::memset(s.exchange, 0, sizeof(s.exchange));
    s.body = &body;
    launch_info.block_dim = block;
    launch_info.grid_dim = grid;
    const uint64_t nblocks = uint64_t(grid.x) * grid.y * grid.z;
    // Block order: forward, reverse, or an affine permutation l -> (a * l + b) mod nblocks with a random
    // a coprime to nblocks (a full shuffle of a million-block grid would cost more than the blocks).
    uint64_t a = 1, b = 0;
    if (s.sched == Schedule::Shuffle && nblocks > 1) {
        do a = 1 + s.rng() % (nblocks - 1);
        while (std::gcd(a, nblocks) != 1);
        b = s.rng() % nblocks;
    }
    ++s.count.launches;
    for (uint64_t i = 0; i < nblocks; ++i) {
        uint64_t l = i;
        if (s.sched == Schedule::Reverse) l = nblocks - 1 - i;
        if (s.sched == Schedule::Shuffle) l = static_cast<uint64_t>((unsigned __int128)(a) * i % nblocks + b) % nblocks;
        launch_info.block_idx = {unsigned(l % grid.x), unsigned((l / grid.x) % grid.y),
                                 unsigned(l / (uint64_t(grid.x) * grid.y))};
        ++s.count.blocks;
        if (!run_block(s, unsigned(nthreads))) {
            s.error = kLaunchFailure;
            s.running = nullptr;
            current = nullptr;
            return s.error;
        }
    }
    s.running = nullptr;
    current = nullptr;
    return 0;
}

int take_last_error() {
    Scheduler& s = S();
    std::lock_guard<std::mutex> g(s.lock);
    int e = s.error;
    s.error = 0;
    return e;
}

int peek_last_error() { return S().error; }

std::string last_error_detail() { return S().detail; }

Counters counters() { return S().count; }

}  // namespace emu
}  // namespace axonal
