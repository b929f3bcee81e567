#!/usr/bin/env bash
# The kernel and op tests against an AddressSanitizer + UndefinedBehaviorSanitizer build of the extensions.
#
#   PYTHON=python bash scripts/sanitize.sh            # build (build/asan) and run the default test selection
#   PYTHON=python bash scripts/sanitize.sh tests/test_gemm.py -k f32   # or the pytest arguments you give
#   PYTHON=python bash scripts/sanitize.sh --run python tests/fuzz/runner.py --calls 3000   # any command
#
# What it does:
# - builds _C and _C_cuda_emu with -DAXONAL_SANITIZE=ON into build/asan (never into python/axonal: the
#   instrumented modules only load with libasan preloaded);
# - copies the Python package next to them (build/asan/site/axonal), so the normal build stays untouched;
# - runs pytest with LD_PRELOAD=libasan (Python itself is not instrumented, and ASan's runtime must be the
#   first library loaded) and stops at the first ASan or UBSan report (halt_on_error, -fno-sanitize-recover).
# Leak checking is off: CPython keeps interned objects and arenas alive at exit by design, so LeakSanitizer
# reports thousands of "leaks" that are not ours. The exit status is pytest's: 0 only when every selected test
# passed and no sanitizer fired.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD_DIR=${BUILD_DIR:-build/asan}
CXX=${CXX:-g++}

GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)
cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAXONAL_SANITIZE=ON \
  -DCMAKE_CXX_COMPILER="$CXX" -DPython_EXECUTABLE="$(command -v "$PY")" \
  -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD_DIR"

SITE="$BUILD_DIR/site"
rm -rf "$SITE" && mkdir -p "$SITE"
cp -r python/axonal "$SITE/axonal"
find "$SITE/axonal" -name '__pycache__' -prune -exec rm -rf {} +
rm -f "$SITE"/axonal/_C*.so
cp "$BUILD_DIR"/_C*.so "$SITE/axonal/"

# The runtime the compiler linked against (gcc 12: libasan.so.8), preloaded ahead of everything else, and
# libstdc++ right after it: python does not link libstdc++, so when ASan starts it finds no __cxa_throw to
# intercept, and the first C++ exception (any "[op] ..." error a binding raises) aborts with "CHECK failed:
# asan_interceptors.cpp:320 ((__interception::real___cxa_throw)) != (0)".
LIBASAN=$(readlink -f "$("$CXX" -print-file-name=libasan.so)")
LIBSTDCXX=$(readlink -f "$("$CXX" -print-file-name=libstdc++.so)")
for lib in "$LIBASAN" "$LIBSTDCXX"; do
  [ -f "$lib" ] || { echo "sanitize.sh: $lib not found for $CXX" >&2; exit 2; }
done

RUN=()
if [ "${1:-}" = "--run" ]; then
  shift
  RUN=("$@")
elif [ "$#" -eq 0 ]; then
  # The kernels (each against its naive reference), the emulated CUDA kernels, and the ops above them.
  set -- tests/test_gemm.py tests/test_conv_kernels.py tests/test_pool_kernels.py tests/test_activation_kernels.py \
    tests/test_optim_kernels.py tests/test_batchnorm_fused.py tests/test_conv_relu_fused.py \
    tests/test_aligned_outputs.py tests/test_errors.py tests/test_cuda_emulated_kernels.py \
    tests/test_autograd_gradcheck.py tests/test_nn.py tests/test_losses.py tests/test_optim.py tests/test_tensor.py \
    tests/test_property_kernels.py tests/test_property_ops.py tests/test_fuzz.py
fi

# Reports go to files as well as stderr: pytest captures a test's stderr in a temporary file, and a process
# that ASan stops takes that capture with it (and a test's own subprocesses would hide theirs).
REPORTS="$BUILD_DIR/reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
# detect_odr_violation=0: pybind11 modules built from shared headers repeat some inline symbols (harmless);
# max_allocation_size_mb + allocator_may_return_null: ASan's stand-in for the address-space limit the fuzzer
# and tests/test_memory_limits.py use (RLIMIT_AS cannot work under ASan, whose shadow memory alone reserves
# terabytes): larger allocations fail, and NumPy / the bindings turn that into MemoryError;
# the rest: fail loudly and at once, with a distinct exit status (86 ASan, 87 UBSan).
export ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:exitcode=86:detect_odr_violation=0:max_allocation_size_mb=3072:allocator_may_return_null=1:log_path=$PWD/$REPORTS/asan:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$PWD/$REPORTS/ubsan:${UBSAN_OPTIONS:-}"
export AXONAL_SANITIZED=1
# -p no:cacheprovider: the copy of the package is not where pytest's cache is; -m 'not slow': the default lane.
[ "${#RUN[@]}" -gt 0 ] || RUN=("$PY" -m pytest -q -p no:cacheprovider -m 'not slow' "$@")
status=0
LD_PRELOAD="$LIBASAN $LIBSTDCXX" PYTHONPATH="$SITE" "${RUN[@]}" || status=$?
# Reports with an error fail the run; warnings alone (an allocation refused under max_allocation_size_mb,
# ASan's note that it follows swapcontext only partly) do not.
errors=$(grep -l -E "ERROR: AddressSanitizer|runtime error:|ERROR: Failed" "$REPORTS"/* 2>/dev/null || true)
if [ -n "$errors" ]; then
  echo "sanitize.sh: sanitizer errors:" >&2
  for f in $errors; do echo "==== $f" >&2; head -c 8000 "$f" >&2; done
  [ "$status" -ne 0 ] || status=88
fi
echo "sanitize.sh: exit status $status; $(ls "$REPORTS" | wc -l) report files, $(echo -n "$errors" | grep -c . || true) with errors"
exit "$status"
