#!/usr/bin/env bash
# Runs every test: installs what is missing, builds and runs the unit and
# parity tests (ctest), again under AddressSanitizer + UBSan, then fuzzes each
# parser for a bounded time. Exit status is non-zero on any failure.
#   FUZZ_SECONDS (default 30) per fuzz target; FP_SKIP_ASAN=1 / FP_SKIP_FUZZ=1 to skip stages.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export FP_SHARED_DIR="${FP_SHARED_DIR:-$(cd "$root/.." && pwd)/shared}"
bash "$root/scripts/deps.sh"
bash "$root/scripts/fetch-models.sh"
jobs="$(nproc)"

echo "== release build + tests =="
bash "$root/scripts/build.sh" "$root/build"
(cd "$root/build" && ctest --output-on-failure -j "$jobs")

if [ "${FP_SKIP_ASAN:-0}" != 1 ]; then
  echo "== ASan + UBSan build + tests =="
  bash "$root/scripts/build.sh" "$root/build-asan" -DFP_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
  (cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest --output-on-failure -j "$jobs")
fi

if [ "${FP_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzzing (${FUZZ_SECONDS:-30} s per target) =="
  bash "$root/scripts/fuzz.sh"
fi
echo "all tests passed"
