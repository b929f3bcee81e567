#!/usr/bin/env bash
# Builds the C++ kernels and tests/portable/kernels_check.cpp for another CPU and runs the check there:
#   scripts/check_portable.sh aarch64   cross-compiled with aarch64-linux-gnu-g++, run under qemu-aarch64
#                                       (Debian: apt-get install g++-aarch64-linux-gnu qemu-user)
#   scripts/check_portable.sh native    this machine's compiler and CPU (its widest kernels: AVX-512 or AVX2)
# The aarch64 build is what a CPU without AVX2 runs: the portable GEMM micro-kernel, im2col convolution,
# no x86 intrinsics anywhere. Exits non-zero if the build fails or any kernel disagrees with its reference.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-aarch64}
out=${BUILD_DIR:-build/portable-$target}
mkdir -p "$out"

flags=(-std=c++17 -O2 -fno-math-errno -fopenmp -DAXONAL_OPENMP=1 -Wall -Wextra -Wno-unknown-pragmas -Werror -Icsrc)
case "$target" in
  aarch64)
    cxx=aarch64-linux-gnu-g++
    run=(qemu-aarch64 -L /usr/aarch64-linux-gnu)
    ;;
  native)
    cxx=${CXX:-g++}
    run=()
    flags+=(-DAXONAL_HAVE_AVX2=1 -DAXONAL_HAVE_AVX512=1)
    ;;
  *)
    echo "usage: $0 [aarch64|native]" >&2
    exit 2
    ;;
esac

objects=()
for src in csrc/kernels/*.cpp tests/portable/kernels_check.cpp; do
  obj="$out/$(basename "$src" .cpp).o"
  extra=()
  # As in CMakeLists.txt: only *_avx2.cpp / *_avx512.cpp files get the wider flags, and only on x86-64.
  if [[ $target == native && $src == *_avx2.cpp ]]; then extra=(-mavx2 -mfma); fi
  if [[ $target == native && $src == *_avx512.cpp ]]; then
    extra=(-mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mprefer-vector-width=512)
  fi
  "$cxx" "${flags[@]}" "${extra[@]}" -c "$src" -o "$obj" &
  objects+=("$obj")
done
wait_all_ok=0
for job in $(jobs -p); do wait "$job" || wait_all_ok=1; done
[[ $wait_all_ok == 0 ]] || { echo "check_portable: compilation failed for $target" >&2; exit 1; }

"$cxx" -fopenmp "${objects[@]}" -o "$out/kernels_check"
"${run[@]}" "$out/kernels_check"
