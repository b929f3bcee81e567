// CPU detection and the AXONAL_ISA switch (see cpu_isa.h). Built with the baseline flags: it only asks
// the CPU, never runs wider instructions itself.
#include "kernels/cpu_isa.h"

#include <cctype>
#include <cstdlib>
#include <string>

namespace axonal {
namespace {

#if defined(__x86_64__) || defined(_M_X64)
constexpr bool kX86 = true;
#else
constexpr bool kX86 = false;
#endif

bool detect_avx2() {
#if defined(AXONAL_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// GCC's and clang's __builtin_cpu_supports also check that the OS saves the zmm state (XCR0).
bool detect_avx512() {
#if defined(AXONAL_HAVE_AVX512) && (defined(__x86_64__) || defined(_M_X64))
    return detect_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    return false;
#endif
}

struct Choice {
    Isa cpu = Isa::generic;
    Isa level = Isa::generic;
    std::string warning;
};

std::string lower(const char* s) {
    std::string out;
    for (; *s; ++s) out += char(std::tolower(static_cast<unsigned char>(*s)));
    return out;
}

Choice choose() {
    Choice c;
    c.cpu = detect_avx512() ? Isa::avx512 : detect_avx2() ? Isa::avx2 : Isa::generic;
    c.level = c.cpu;
    const char* isa = std::getenv("AXONAL_ISA");
    const char* disable = std::getenv("AXONAL_DISABLE_AVX2");
    if (isa != nullptr && isa[0] != '\0') {
        const std::string want = lower(isa);
        Isa asked;
        if (want == "generic")
            asked = Isa::generic;
        else if (want == "avx2")
            asked = Isa::avx2;
        else if (want == "avx512")
            asked = Isa::avx512;
        else {
            c.warning = "AXONAL_ISA=" + std::string(isa) + " is not one of avx512, avx2, generic; using " +
                        isa_name(c.cpu);
            return c;
        }
        if (int(asked) > int(c.cpu)) {
            c.warning = "AXONAL_ISA=" + want + " asks for more than this CPU (or build) has; using " +
                        isa_name(c.cpu);
            return c;
        }
        c.level = asked;
    } else if (disable != nullptr && disable[0] != '\0' && !(disable[0] == '0' && disable[1] == '\0')) {
        c.level = Isa::generic;
    }
    (void)kX86;
    return c;
}

// A function-local static: initialised on first use, so other translation units' static initialisers
// may call isa_level() safely.
const Choice& choice() {
    static const Choice c = choose();
    return c;
}

}  // namespace

Isa isa_level() { return choice().level; }
Isa cpu_isa() { return choice().cpu; }
const char* isa_env_warning() { return choice().warning.c_str(); }

const char* isa_name(Isa level) {
    switch (level) {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        default: return "generic";
    }
}

bool cpu_has_avx2_fma() { return int(cpu_isa()) >= int(Isa::avx2); }
bool cpu_has_avx512() { return int(cpu_isa()) >= int(Isa::avx512); }
bool avx2_enabled() { return int(isa_level()) >= int(Isa::avx2); }
bool avx512_enabled() { return int(isa_level()) >= int(Isa::avx512); }

}  // namespace axonal
