#!/usr/bin/env bash
# Compile-only check of the real CUDA build (no GPU needed): configures the project with AXONAL_CUDA=ON
# in a temporary build directory, builds axonal._C_cuda with nvcc for CMAKE_CUDA_ARCHITECTURES (default
# "80;90", override with CUDA_ARCHS), checks that the module holds device code for each architecture,
# then imports it and checks its API and its errors (argument checks raise "[op]" errors; a launch without
# a driver or device raises a RuntimeError instead of crashing).
# tests/test_cuda_build.py runs this when nvcc is present. Prints "ok: ..." as its last line on success.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
NVCC=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
ARCHS=${CUDA_ARCHS:-80;90}
BUILD_DIR=${BUILD_DIR:-}
if [ -z "$BUILD_DIR" ]; then
  BUILD_DIR=$(mktemp -d -t axonal-cuda-build.XXXXXX)
  trap 'rm -rf "$BUILD_DIR"' EXIT
fi
[ -x "$NVCC" ] || { echo "check_cuda_build: nvcc not found (set NVCC=/path/to/nvcc)" >&2; exit 2; }
GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)

start=$(date +%s)
cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DAXONAL_CUDA=ON \
  -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$ARCHS" \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD_DIR" --target _C_cuda -- ${JOBS:+-j "$JOBS"}
so=$(ls "$BUILD_DIR"/_C_cuda*.so)
took=$(( $(date +%s) - start ))

# Device code for every requested architecture (cuobjdump lists one ELF per sm_XX).
CUOBJDUMP=$(dirname "$NVCC")/cuobjdump
if [ -x "$CUOBJDUMP" ]; then
  elfs=$("$CUOBJDUMP" --list-elf "$so")
  for arch in ${ARCHS//;/ }; do
    echo "$elfs" | grep -q "sm_${arch%%-*}" || { echo "check_cuda_build: no sm_$arch code in $so" >&2; exit 1; }
  done
fi

# The module imports without a GPU (the static CUDA runtime loads the driver on first use).
SO_DIR=$(dirname "$so") "$PY" - <<'PYEOF'
import importlib.util, os, sys
so_dir = os.environ["SO_DIR"]
path = next(os.path.join(so_dir, f) for f in os.listdir(so_dir) if f.startswith("_C_cuda") and f.endswith(".so"))
spec = importlib.util.spec_from_file_location("_C_cuda", path)
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
assert m.backend_name == "cuda", m.backend_name
names = ["gemm", "conv2d_forward", "conv2d_backward_input", "conv2d_backward_weight", "max_pool2d_forward",
         "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward", "relu_forward", "relu_backward",
         "bias_relu_forward", "add_relu_forward", "fill", "softmax_cross_entropy",
         "softmax_cross_entropy_check_targets", "batchnorm_forward_train", "batchnorm_forward_eval",
         "batchnorm_backward", "sgd_update", "adam_update"]
missing = [n for n in names if not hasattr(m, n)]
assert not missing, missing
assert not hasattr(m, "set_schedule") and not hasattr(m, "selftest_divergent_shuffle")
try:
    m.conv2d_forward("f", 8, 8, 8, 0, 1, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3, False, 0)
    raise SystemExit("conv2d_forward accepted groups=3 with C=4")
except ValueError as e:
    assert str(e).startswith("[conv2d] groups 3"), e
# A real launch: without a driver or device the runtime reports an error, which must be a RuntimeError.
try:
    m.fill("f", 256, 1, 0.0, 0)
    print("launch: ran (a GPU is present)")
except RuntimeError as e:
    assert str(e).startswith("[fill] CUDA error"), e
    print("launch: " + str(e))
PYEOF
echo "ok: axonal._C_cuda built for sm ${ARCHS} in ${took} s ($(du -k "$so" | cut -f1) KiB)"
