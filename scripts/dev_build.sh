#!/usr/bin/env bash
# Developer loop: build axonal._C in ./build and drop it next to the sources, so that
# `PYTHONPATH=python pytest` runs against the working tree without a reinstall.
# Users install with `pip install .` instead (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
BUILD_DIR=${BUILD_DIR:-build/dev}
# Extra CMake options come from CMAKE_ARGS (e.g. "-DAXONAL_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90").
GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} \
  -DPython_EXECUTABLE="$(command -v "$PY")" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
cmake --build "$BUILD_DIR"
# Copy then rename: overwriting the .so in place would crash any running process that has it mapped
# (a long training run, a test session); a rename leaves that process on the old inode.
for so in "$BUILD_DIR"/_C*.so; do
  cp "$so" "python/axonal/.$(basename "$so").tmp"
  mv -f "python/axonal/.$(basename "$so").tmp" "python/axonal/$(basename "$so")"
done
