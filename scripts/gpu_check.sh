#!/usr/bin/env bash
# On a machine with an NVIDIA GPU, CuPy and nvcc: build axonal with its CUDA kernels, run the device test suite
# on the real GPU, then the GPU benchmark table. Meant to finish in under 5 minutes of device time.
#   bash scripts/gpu_check.sh            # CUDA_ARCHS defaults to the local GPU's (nvidia-smi), else 90
# What it needs there: Python with numpy, pytest, pybind11, cmake (and ninja if available), cupy-cuda13x;
# torch with CUDA for the comparison columns. Output: the test summary and benchmarks/gpu_table.py's tables.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
ARCH=${CUDA_ARCHS:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d .)}
ARCH=${ARCH:-90}
echo "== build (CUDA architectures $ARCH)"
start=$(date +%s)
CMAKE_ARGS="-DAXONAL_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=$ARCH" BUILD_DIR=build/gpu PYTHON="$PY" \
  bash scripts/dev_build.sh >/dev/null
echo "built in $(( $(date +%s) - start )) s"
export PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}"
unset AXONAL_CUDA_EMULATE CUPY_TF32
"$PY" -c "import axonal as ax; assert ax.cuda.is_available() and not ax.cuda.is_emulated(), ax.cuda.unavailable_reason(); print('device:', ax.cuda.get_device_name())"
echo "== device tests on the GPU"
"$PY" -m pytest -q -p no:cacheprovider tests/test_device.py tests/test_torch_api.py -x 2>&1 | tail -5
echo "== benchmarks/gpu_table.py"
"$PY" benchmarks/gpu_table.py ${GPU_TABLE_ARGS:---quick}
