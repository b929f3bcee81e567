// Fibers for the CUDA emulation: user-space execution contexts, each on its own stack, switched
// cooperatively. The threads of an emulated block are fibers that switch at every __syncthreads and
// warp-level exchange, so one OS thread runs a whole block.
//
// x86-64 uses a hand-written switch (fiber.cpp): it saves the six callee-saved registers, MXCSR and the
// x87 control word and swaps stack pointers — about 20 instructions, no system call. Other targets fall
// back to <ucontext.h> (swapcontext saves the signal mask with a system call per switch: correct, but
// roughly 50x slower); AXONAL_EMU_UCONTEXT=1 forces that path on x86-64 too, to test it.
#pragma once
#include <cstddef>

#if !defined(__x86_64__) && !defined(AXONAL_EMU_UCONTEXT)
#define AXONAL_EMU_UCONTEXT 1
#endif

#if defined(AXONAL_EMU_UCONTEXT)
#include <ucontext.h>
#endif

namespace axonal {
namespace emu {

struct Context {
#if defined(AXONAL_EMU_UCONTEXT)
    ucontext_t uc;
#else
    void* sp = nullptr;  // the saved stack pointer; the registers lie on that stack
#endif
};

// Prepares `ctx` to run entry(arg) on the stack [stack, stack + size) the first time it is switched to.
// entry must never return: it ends by switching to another context.
void context_init(Context* ctx, char* stack, size_t size, void (*entry)(void*), void* arg);

// Saves the running context into `from` and resumes `to`. Returns when something switches back to `from`.
void context_switch(Context* from, Context* to);

// Name of the switch in use: "x86-64 asm" or "ucontext".
const char* context_kind();

}  // namespace emu
}  // namespace axonal
