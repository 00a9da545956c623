#!/usr/bin/env bash
# Measures every model with 1 and 2 threads next to TF.js WASM-SIMD (same
# run, same inputs) and prints the Markdown table kept in docs/BENCHMARKS.md.
# Usage: scripts/bench-report.sh [RUNS]   (default 30; needs scripts/setup-peer.sh once)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-30}"
fp="$root/build/faceprint"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash "$root/scripts/setup-peer.sh" >&2
# Single-thread runs (ours and TF.js alike) are pinned to the last core: on
# this VM the first vCPU also serves the host's interrupts and runs up to
# 1.5x slower at random, which made medians bimodal across processes.
pin=()
command -v taskset >/dev/null && pin=(taskset -c "$(( $(nproc) - 1 ))")
"${pin[@]}" "$fp" bench nn --json --runs "$runs" --threads 1 --vs-tfjs > "$tmp/t1.jsonl"
"$fp" bench nn --json --runs "$runs" --threads 2 > "$tmp/t2.jsonl"
node - "$tmp/t1.jsonl" "$tmp/t2.jsonl" <<'JS'
const fs = require('fs');
const read = (f) => fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
const [t1, t2] = [read(process.argv[2]), read(process.argv[3])];
const by2 = Object.fromEntries(t2.map((r) => [r.model, r]));
console.log('| model | TF.js WASM-SIMD ms (1 thread) | faceprint ms, 1 thread | ratio | GFLOP/s | % of peak | faceprint ms, 2 threads | arena KiB (unplanned) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of t1) {
  const b = by2[r.model] || {};
  console.log(`| ${r.model} | ${r.tfjs_ms ?? '—'} | ${r.ms.toFixed(2)} | ${r.ratio ? r.ratio.toFixed(1) + 'x' : '—'} | ${r.gflops.toFixed(1)} | ${(100 * r.peak_fraction).toFixed(0)} % | ${b.ms ? b.ms.toFixed(2) : '—'} | ${(r.arena_bytes / 1024).toFixed(0)} (${(r.unplanned_bytes / 1024).toFixed(0)}) |`);
}
JS
