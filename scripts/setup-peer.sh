#!/usr/bin/env bash
# Installs the TF.js reference runner (../shared/reference/peer, pinned by its
# own package-lock.json) into .cache/peer so `faceprint bench nn --vs-tfjs`
# can time TF.js WASM-SIMD in the same run. shared/ is read-only, hence the
# copy. Only benchmarks need this; tests and the main job do not.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${FP_SHARED_DIR:-$root/../shared}"
src="$shared/reference/peer"
dst="$root/.cache/peer"
mkdir -p "$dst"
# scripts are re-copied every time (cheap); node_modules is kept if the lock is unchanged
(cd "$src" && tar cf - --exclude=node_modules --exclude=vendor .) | (cd "$dst" && tar xf -)
chmod -R u+w "$dst"
stamp="$dst/node_modules/.faceprint-lock-sha256"
want="$(sha256sum "$dst/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "peer: up to date"
  exit 0
fi
(cd "$dst" && npm ci --no-audit --no-fund)
echo "$want" > "$stamp"
echo "peer: installed in $dst"
