// Special functions NumPy does not have, elementwise over n contiguous values (out may equal inp).
//   erf_forward(out, inp, n)      out[i] = erf(inp[i])
//   erfc_forward(out, inp, n)     out[i] = erfc(inp[i])
//   erfinv_forward(out, inp, n)   out[i] = erfinv(inp[i]): +-inf at +-1, NaN outside [-1, 1]
// erf/erfc are the C library's; erfinv starts from Giles' single-precision approximation ("Approximating the
// erfinv function", GPU Computing Gems, 2011) and refines it with two Newton steps on erf in double, which
// gives double precision (each step squares the relative error, ~1e-7 -> ~1e-14 -> below rounding).
// The *_reference versions are the same functions one value at a time, serially, to test the threaded ones.
#pragma once
#include <cstdint>
namespace axonal {
template <typename T>
void erf_forward(T* out, const T* inp, int64_t n);
template <typename T>
void erfc_forward(T* out, const T* inp, int64_t n);
template <typename T>
void erfinv_forward(T* out, const T* inp, int64_t n);
double erfinv_scalar(double y);
template <typename T>
void erfinv_forward_reference(T* out, const T* inp, int64_t n);
}  // namespace axonal
