#!/usr/bin/env bash
# Make the embedded local model work in the active Python: the `[local]` extra's runtime
# (llama-cpp-python with its OpenAI-compatible server) and the weights (`mapforge models pull`).
#
# Idempotent and quick when already done: skips the build when a good llama_cpp imports, and the pull
# only checks the installed file's size and recorded hash.
#
# llama-cpp-python has no binary wheel on PyPI: the first install builds it from source (~4 min on 2 idle
# cores). It is built WITHOUT llama.cpp's AMX kernels: on Sapphire Rapids machines (these included) they
# segfault at the first decode of a Q4_K model (llama.cpp issue #20824), and a plain `pip install` compiles
# them in wherever the CPU has AMX. The built wheel is kept in $MAPFORGE_WHEELS_DIR (default
# ~/.cache/mapforge/wheels), so a reinstall on the same machine takes seconds. The weights (~1.1 GB) are
# fetched resumably and hash verified.
#
#   scripts/install-local-model.sh                          # the embedded default
#   scripts/install-local-model.sh qwen2.5-coder-0.5b-instruct   # another known model (mapforge models list)
#   PYTHON=.venv/bin/python MAPFORGE_MODELS_DIR=/data/models scripts/install-local-model.sh
set -euo pipefail

PY=${PYTHON:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WHEELS=${MAPFORGE_WHEELS_DIR:-$HOME/.cache/mapforge/wheels}
SPEC='llama-cpp-python>=0.3'
say() { echo "install-local-model: $*" >&2; }
pip() { "$PY" -m pip --disable-pip-version-check "$@"; }

importable() { "$PY" -c "import llama_cpp, llama_cpp.server.app" >/dev/null 2>&1; }
amx_build() {  # compiled with AMX kernels (compile-time flag, reported by ggml)
    "$PY" -c "import sys, llama_cpp; sys.exit(0 if b'AMX_INT8 = 1' in llama_cpp.llama_print_system_info() else 1)" \
        >/dev/null 2>&1
}

if importable && ! amx_build; then
    say "llama-cpp-python $("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)') present"
else
    importable && say "the installed llama-cpp-python has AMX kernels (they crash here); replacing it"
    mkdir -p "$WHEELS"
    wheel=$(ls "$WHEELS"/llama_cpp_python-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$wheel" ]; then
        say "building llama-cpp-python from source without AMX (first time: ~4 min on 2 idle cores)"
        flags=""
        if echo 'int main(void){return 0;}' | cc -x c -mno-amx-tile -mno-amx-int8 -mno-amx-bf16 -o /dev/null - \
            >/dev/null 2>&1; then
            flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
        fi
        # --no-cache-dir: pip's wheel cache may hold a build with AMX from an earlier plain install
        CFLAGS="${CFLAGS:-} $flags" CXXFLAGS="${CXXFLAGS:-} $flags" \
            pip wheel --no-deps --no-cache-dir -w "$WHEELS" "$SPEC"
        wheel=$(ls "$WHEELS"/llama_cpp_python-*.whl | sort -V | tail -n 1)
    else
        say "using the wheel built earlier: $wheel"
    fi
    pip install "${wheel}[server]"                       # the server extra's dependencies
    pip install --force-reinstall --no-deps "$wheel"     # this build, even over the same version
    if amx_build; then
        say "warning: llama-cpp-python still reports AMX kernels; the embedded model may crash on this CPU"
    fi
fi

# `mapforge models pull`, through its own module so it works before the package is installed too
if ! "$PY" -c "import mapforge" >/dev/null 2>&1; then
    export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
fi
say "weights: the embedded model's GGUF file (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, ~1.1 GB, sha256-verified)"
say "  into ${MAPFORGE_MODELS_DIR:-~/.cache/mapforge/models}; the pull says where each part comes from"
"$PY" -m mapforge.cli.cmd_models pull "$@"
