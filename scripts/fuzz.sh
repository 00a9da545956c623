#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang + ASan/UBSan in
# build-fuzz/ and runs each for FUZZ_SECONDS (default 30) on a temporary copy
# of its seed corpus (fuzz/corpus/<target>/), so the repository is never
# modified. Exits non-zero if any target crashes, leaks, hits a sanitizer
# report, exceeds the memory limit or times out.
#
#   scripts/fuzz.sh                      # every target, 30 s each
#   FUZZ_SECONDS=60 scripts/fuzz.sh fuzz_json fuzz_tfjs_model
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 30)
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 25)
#   FUZZ_RSS_MB     memory limit per process, also the largest single malloc (default 2048)
#   FUZZ_BUILD_DIR  build directory (default <repo>/build-fuzz)
#   FUZZ_KEEP=1     keep the temporary corpus/log dirs (their path is printed)
# Crash reproducers are copied to $FUZZ_BUILD_DIR/artifacts/<target>/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${FUZZ_SECONDS:-30}
TIMEOUT=${FUZZ_TIMEOUT:-25}
RSS_MB=${FUZZ_RSS_MB:-2048}
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
CLANG_VERSION=14

log() { printf '[fuzz] %s\n' "$*"; }
die() { printf '[fuzz] error: %s\n' "$*" >&2; exit 2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root to run: $*"; fi
}

apt_install() {
    command -v apt-get >/dev/null || die "apt-get not found; install $* by hand"
    log "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y --no-install-recommends "$@" ||
        { as_root apt-get update && as_root apt-get install -y --no-install-recommends "$@"; }
}

# ---- toolchain: clang and libFuzzer's runtime ---------------------------------
CC_BIN=${CC:-}
case "$CC_BIN" in *clang*) ;; *) CC_BIN="" ;; esac
if [ -z "$CC_BIN" ]; then
    if command -v clang >/dev/null; then CC_BIN=clang
    elif command -v clang-$CLANG_VERSION >/dev/null; then CC_BIN=clang-$CLANG_VERSION
    else apt_install clang-$CLANG_VERSION; CC_BIN=clang-$CLANG_VERSION; fi
fi

probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/probe.c" <<'EOF'
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
EOF
fuzzer_links() { "$CC_BIN" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.c" -o "$probe_dir/probe" 2>/dev/null; }
if ! fuzzer_links; then
    log "libFuzzer runtime missing for $CC_BIN ($(dpkg -l 2>/dev/null | awk '/libclang-rt/ {print $2}' | xargs echo))"
    apt_install "libclang-rt-$CLANG_VERSION-dev"
    fuzzer_links || die "$CC_BIN still cannot link -fsanitize=fuzzer"
fi
log "compiler: $($CC_BIN --version | head -1)"

# ---- targets --------------------------------------------------------------------
targets=()
if [ $# -gt 0 ]; then
    targets=("$@")
else
    for f in "$ROOT"/fuzz/fuzz_*.c; do
        [ -e "$f" ] || continue
        t=$(basename "$f" .c)
        targets+=("$t")
    done
fi
[ ${#targets[@]} -gt 0 ] || die "no fuzz/fuzz_*.c targets"
for t in "${targets[@]}"; do
    [ -f "$ROOT/fuzz/$t.c" ] || die "unknown target $t (no fuzz/$t.c)"
done

# ---- build ------------------------------------------------------------------------
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# -Wno-unknown-warning-option: the project passes GCC-only warning flags.
# -fsanitize=fuzzer-no-link: coverage instrumentation for libfaceprint too
# (CMakeLists adds -fsanitize=fuzzer to the fuzz executables only, which
# would leave the library uninstrumented and the fuzzer blind).
# -O1 -g rather than Debug's -O0: libFuzzer wants optimised code, and clang
# at -O0 with ASan needs more than 5 minutes for the AVX-512 kernels alone.
CC="$CC_BIN" cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" \
    -DFP_FUZZ=ON -DFP_SANITIZE=ON -DFP_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" \
    "-DCMAKE_C_FLAGS=-Wno-unknown-warning-option -fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$BUILD" --target "${targets[@]}" -j "$(nproc 2>/dev/null || echo 2)"

# ---- run --------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
work=$(mktemp -d "${TMPDIR:-/tmp}/faceprint-fuzz.XXXXXX")
if [ "${FUZZ_KEEP:-0}" = 1 ]; then
    trap 'rm -rf "$probe_dir"; log "kept $work"' EXIT
else
    trap 'rm -rf "$probe_dir" "$work"' EXIT
fi

failed=()
summary=()
for t in "${targets[@]}"; do
    corpus="$work/$t/corpus"
    artifacts="$work/$t/artifacts"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$ROOT/fuzz/corpus/$t" ]; then
        cp -R "$ROOT/fuzz/corpus/$t/." "$corpus/"
    fi
    seeds=$(find "$corpus" -type f | wc -l)
    log "$t: ${SECS}s, $seeds seed(s)"
    rc=0
    # the targets keep their fixture files under $TMPDIR: inside $work, so
    # even a crashed run leaves nothing behind
    mkdir -p "$work/$t/tmp"
    TMPDIR="$work/$t/tmp" "$BUILD/$t" "$corpus" -max_total_time="$SECS" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$work/$t/log" 2>&1 || rc=$?
    execs=$(awk '/^stat::number_of_executed_units/ {print $NF}' "$work/$t/log" | tail -1)
    rate=$(awk '/^stat::average_exec_per_sec/ {print $NF}' "$work/$t/log" | tail -1)
    rss=$(awk '/^stat::peak_rss_mb/ {print $NF}' "$work/$t/log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$work/$t/log" | tail -1 | awk '{print $2}')
    final=$(find "$corpus" -type f | wc -l)
    found=$(find "$artifacts" -type f | wc -l)
    line=$(printf '%-24s rc=%-3s execs=%-10s exec/s=%-8s cov=%-6s corpus=%s->%s peak_rss=%sMB artifacts=%s' \
        "$t" "$rc" "${execs:-?}" "${rate:-?}" "${cov:-?}" "$seeds" "$final" "${rss:-?}" "$found")
    summary+=("$line")
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        failed+=("$t")
        keep="$BUILD/artifacts/$t"
        mkdir -p "$keep"
        cp -R "$artifacts/." "$keep/" 2>/dev/null || true
        cp "$work/$t/log" "$keep/fuzz.log"
        log "$t FAILED (rc=$rc): reproducers and log in $keep"
        grep -E 'ERROR: |runtime error|SUMMARY|Test unit written' "$work/$t/log" | head -20 || true
    fi
done

log "summary:"
for l in "${summary[@]}"; do printf '  %s\n' "$l"; done
if [ ${#failed[@]} -gt 0 ]; then
    log "failed: ${failed[*]}"
    exit 1
fi
log "all ${#targets[@]} target(s) clean"
