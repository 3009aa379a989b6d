#!/usr/bin/env bash
# Installs the Debian packages Graft builds against (C libraries and tools).
# Skips apt when everything is already there; needs root otherwise.
set -euo pipefail
packages=(pkg-config libhdf5-dev hdf5-tools libprotobuf-c-dev protobuf-c-compiler libonnx-testdata
          libopenblas-dev libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev unzip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
