#!/usr/bin/env bash
# Debian 12 packages the project needs: WebKitGTK and friends for Tauri, Xvfb and
# WebKitWebDriver for the UI tests, libvips-tools for the thumbnail benchmark, cmake and nasm
# for the libjpeg-turbo that the `turbojpeg` crate builds from its bundled source, and the
# small desktop the app's end-to-end test runs in (scripts/desktop-session.sh).
# Installs only what is missing, so a warm machine pays nothing. Versions are not pinned: the
# Debian 12 archive keeps only the current build of each package (a security update replaces
# it), so a pin would break the install; the versions checked are noted below.
set -euo pipefail
. "$(dirname "$0")/common.sh"

PKGS=(
  build-essential pkg-config curl file libssl-dev cmake nasm
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  xvfb xauth webkit2gtk-driver dbus-x11 gnome-keyring
  libvips-tools time
  # The e2e test's desktop (checked: xfwm4 4.18.0-1, xfce4-panel 4.18.2-1, dunst 1.9.0-0.1,
  # xdotool 1:3.20160805.1-5, wmctrl 1.07-7+b1, python3-gi 3.42.2-3+b1, python3-dbus 1.3.2-4+b1):
  # a window manager, a StatusNotifier host (xfce4-panel's systray), a notification daemon,
  # keystrokes and window control, and GTK/D-Bus from Python for the drag source and the tray.
  dbus-daemon xfwm4 xfce4-panel dunst xdotool wmctrl x11-utils python3-gi gir1.2-gtk-3.0 python3-dbus
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
