// The instruction-set level the kernels run at, chosen once per process: the widest the CPU (and this
// build) has, or a lower one forced by the environment variable AXONAL_ISA when the module loads.
//
//   generic  portable C++ (SSE2 on x86-64, NEON on aarch64): every CPU
//   avx2     AVX2 + FMA, the *_avx2.cpp files (built with -mavx2 -mfma)
//   avx512   AVX-512 F/BW/DQ/VL, the *_avx512.cpp files (built with -mavx512f -mavx512bw -mavx512dq
//            -mavx512vl -mfma); the avx2 code paths stay available at this level
//
// AXONAL_ISA=avx512|avx2|generic forces that level when the CPU has it; asking for a level the CPU lacks
// or an unknown name keeps the widest level and records a warning (isa_env_warning(), which the Python
// module shows as a RuntimeWarning at import). The older switch AXONAL_DISABLE_AVX2=1 (anything but ""
// or "0") means AXONAL_ISA=generic; AXONAL_ISA wins when both are set.
// Nothing in a *_avx2.cpp / *_avx512.cpp file may run unless isa_level() is at least its level.
#pragma once

namespace axonal {

enum class Isa : int { generic = 0, avx2 = 1, avx512 = 2 };

Isa isa_level();                  // the level in use
Isa cpu_isa();                    // the widest level this CPU and this build can run
const char* isa_name(Isa level);  // "generic", "avx2", "avx512"
const char* isa_env_warning();    // "" or why AXONAL_ISA / AXONAL_DISABLE_AVX2 was not honoured

// cpu_has_avx2_fma(): cpu_isa() >= avx2. avx2_enabled(): isa_level() >= avx2 (the AVX2 kernels may run).
// avx512_enabled(): isa_level() >= avx512.
bool cpu_has_avx2_fma();
bool cpu_has_avx512();
bool avx2_enabled();
bool avx512_enabled();

}  // namespace axonal
