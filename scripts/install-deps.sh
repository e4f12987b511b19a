#!/usr/bin/env bash
# Install everything zzprobe needs to build, test and run on Debian 12. Idempotent: packages
# already present are skipped, and apt-get update runs only when something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libboost-dev libboost-program-options-dev libboost-filesystem-dev
  libmsgpack-cxx-dev libtomlplusplus-dev libzstd-dev libssl-dev libsodium-dev
  libgtest-dev libgmock-dev
  clang-14 libclang-rt-14-dev
  iproute2 iputils-ping socat tcpdump fping oping libcap2-bin procps prometheus
)
# Viewer stack (plugins/viewer-gl) and headless testing of it.
PACKAGES+=(libglfw3-dev libepoxy-dev libimgui-dev libstb-dev libegl-dev fonts-dejavu-core xvfb xauth)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "zzprobe: installing ${#missing[@]} packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
