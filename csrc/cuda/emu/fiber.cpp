// Context switch for the CUDA emulation's fibers; see fiber.h.
#include "cuda/emu/fiber.h"

#include <cstdint>
#include <cstdlib>

#if !defined(AXONAL_EMU_UCONTEXT)

// axonal_emu_switch(void** save_sp, void* next_sp): System V x86-64. Pushes rbp, rbx, r12-r15 and the
// FP control state (MXCSR, x87 control word) onto the current stack, stores rsp in *save_sp, loads
// next_sp and pops the same frame from there. Caller-saved registers (including all xmm) need no saving:
// the compiler already treats this as an ordinary call.
// axonal_emu_trampoline: the first "return address" of a new fiber; calls r12(r13) (entry(arg)).
asm(R"(
    .text
    .p2align 4
    .globl axonal_emu_switch
    .hidden axonal_emu_switch
    .type axonal_emu_switch,@function
axonal_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size axonal_emu_switch,.-axonal_emu_switch

    .p2align 4
    .globl axonal_emu_trampoline
    .hidden axonal_emu_trampoline
    .type axonal_emu_trampoline,@function
axonal_emu_trampoline:
    movq %r13, %rdi
    callq *%r12
    ud2
    .size axonal_emu_trampoline,.-axonal_emu_trampoline
    .section .note.GNU-stack,"",@progbits
    .text
)");

extern "C" void axonal_emu_switch(void** save_sp, void* next_sp);
extern "C" void axonal_emu_trampoline();

namespace axonal {
namespace emu {

void context_init(Context* ctx, char* stack, size_t size, void (*entry)(void*), void* arg) {
    // The frame axonal_emu_switch pops: [fp control][r15][r14][r13][r12][rbx][rbp][return address], 8
    // words. After its `ret` rsp is the 16-byte aligned top, so the trampoline's call leaves the entry
    // function with the ABI's alignment (rsp + 8 a multiple of 16).
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15);
    uint64_t* sp = reinterpret_cast<uint64_t*>(top) - 8;
    uint32_t mxcsr;
    uint16_t fpucw;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpucw));
    sp[0] = uint64_t(mxcsr) | (uint64_t(fpucw) << 32);
    sp[1] = 0;                                     // r15
    sp[2] = 0;                                     // r14
    sp[3] = reinterpret_cast<uint64_t>(arg);       // r13
    sp[4] = reinterpret_cast<uint64_t>(entry);     // r12
    sp[5] = 0;                                     // rbx
    sp[6] = 0;                                     // rbp
    sp[7] = reinterpret_cast<uint64_t>(&axonal_emu_trampoline);
    ctx->sp = sp;
}

void context_switch(Context* from, Context* to) { axonal_emu_switch(&from->sp, to->sp); }

const char* context_kind() { return "x86-64 asm"; }

}  // namespace emu
}  // namespace axonal

#else  // ucontext fallback

namespace axonal {
namespace emu {
namespace {

// makecontext passes only int arguments: the entry and its argument travel as two 32-bit halves each.
void ucontext_entry(unsigned e_lo, unsigned e_hi, unsigned a_lo, unsigned a_hi) {
    auto entry = reinterpret_cast<void (*)(void*)>((uintptr_t(e_hi) << 32) | e_lo);
    void* arg = reinterpret_cast<void*>((uintptr_t(a_hi) << 32) | a_lo);
    entry(arg);
    std::abort();  // entry must switch away, never return
}

}  // namespace

void context_init(Context* ctx, char* stack, size_t size, void (*entry)(void*), void* arg) {
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = stack;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = nullptr;
    uintptr_t e = reinterpret_cast<uintptr_t>(entry), a = reinterpret_cast<uintptr_t>(arg);
    makecontext(&ctx->uc, reinterpret_cast<void (*)()>(&ucontext_entry), 4, unsigned(e), unsigned(e >> 32),
                unsigned(a), unsigned(a >> 32));
}

void context_switch(Context* from, Context* to) { swapcontext(&from->uc, &to->uc); }

const char* context_kind() { return "ucontext"; }

}  // namespace emu
}  // namespace axonal

#endif
