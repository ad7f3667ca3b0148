#!/usr/bin/env bash
# Installs the Debian packages, builds yreb-sync and runs every test with
# ctest. Usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$(nproc)"
# Tests run in English unless a test sets its own language.
export LANGUAGE=en LC_ALL=C.UTF-8
ctest --test-dir build --output-on-failure -j 2 "$@"
