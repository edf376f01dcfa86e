#!/usr/bin/env bash
# Installs the system libraries Qt needs (and Xvfb for real windows without a screen) when missing.
# As root it installs them with apt-get; otherwise it names what is missing and carries on.
set -euo pipefail
packages=(
  libglib2.0-0 libegl1 libgl1 libfontconfig1 fonts-dejavu-core libxkbcommon0 libdbus-1-3 libx11-6
  libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render0
  libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1
  libxkbcommon-x11-0 xvfb xauth
)
command -v dpkg-query >/dev/null 2>&1 || exit 0  # not Debian-like: nothing we know how to check
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "Installing Qt system libraries: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "note: missing system libraries (install them as root): ${missing[*]}" >&2
fi
