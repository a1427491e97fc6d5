#!/usr/bin/env bash
# Debian 12 packages the project needs: WebKitGTK and friends for Tauri, Xvfb and
# WebKitWebDriver for the UI tests, libvips-tools for the thumbnail benchmark, cmake and nasm
# for the libjpeg-turbo that the `turbojpeg` crate builds from its bundled source.
# Installs only what is missing, so a warm machine pays nothing.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PKGS=(
  build-essential pkg-config curl file libssl-dev cmake nasm
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  xvfb xauth webkit2gtk-driver dbus-x11 gnome-keyring
  libvips-tools time
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $EUID -eq 0 ]] || SUDO="sudo"
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
