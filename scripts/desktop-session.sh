#!/usr/bin/env bash
# desktop-session.sh CMD [ARG]...: run CMD inside a small Linux desktop of its own, the one the
# app's end-to-end test needs (scripts/test-ui-e2e.sh):
#   - an X server (Xvfb, 1440×1024: the app window and a GTK file dialog fit) and its own D-Bus session bus (dbus-run-session), so nothing
#     is shared with the machine's or another test's session;
#   - a window manager (xfwm4): closing a window (wmctrl -c) and focusing one behave as on a
#     desktop, and the native GTK dialogs get focus for xdotool's keystrokes;
#   - a StatusNotifier host (xfce4-panel with its systray plugin, which owns
#     org.kde.StatusNotifierWatcher), so the app's tray item registers and can be read and
#     clicked over D-Bus;
#   - a notification daemon (dunst), and dbus-monitor writing every Notify call to
#     $LIGHTBOX_E2E_DESKTOP/notifications.log, which the test reads.
# Debian packages (scripts/install-system.sh): xvfb, dbus-daemon, xfwm4, xfce4-panel, dunst,
# wmctrl, xdotool. CMD gets LIGHTBOX_E2E_DESKTOP (this session's folder: logs, config); the
# desktop's processes are stopped when CMD ends, and CMD's exit code is returned.
set -euo pipefail
. "$(dirname "$0")/common.sh"

if [[ -z ${LIGHTBOX_E2E_DESKTOP:-} ]]; then
  LIGHTBOX_E2E_DESKTOP=$(mktemp -d "${TMPDIR:-/tmp}/lightbox-desktop-XXXXXX")
  export LIGHTBOX_E2E_DESKTOP
  trap 'rm -rf "$LIGHTBOX_E2E_DESKTOP"' EXIT
  # The panel's layout: one panel along the top holding only the systray.
  conf="$LIGHTBOX_E2E_DESKTOP/config/xfce4/xfconf/xfce-perchannel-xml"
  mkdir -p "$conf"
  cat > "$conf/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="28"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray"/>
  </property>
</channel>
XML
  # xfwm4 without its compositor (software drawing under Xvfb) and with one workspace.
  cat > "$conf/xfwm4.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfwm4" version="1.0">
  <property name="general" type="empty">
    <property name="use_compositing" type="bool" value="false"/>
    <property name="workspace_count" type="int" value="1"/>
  </property>
</channel>
XML
  rc=0
  xvfb-run -a -s "-screen 0 1440x1024x24" dbus-run-session -- "$0" "$@" || rc=$?
  exit "$rc"
fi

# Inside Xvfb and the session bus.
d=$LIGHTBOX_E2E_DESKTOP
# The desktop's own settings and cache, for its programs only (CMD keeps the caller's). xfconfd,
# which serves the settings above, is started by D-Bus activation: it gets them that way.
desktop_env=(XDG_CONFIG_HOME="$d/config" XDG_CACHE_HOME="$d/cache")
dbus-update-activation-environment "${desktop_env[@]}"
pids=()
stop_desktop() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop_desktop EXIT

# wait_for WHAT COMMAND...: up to 20 s for COMMAND to succeed.
wait_for() {
  local what=$1 i
  shift
  for ((i = 0; i < 200; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  for f in "$d"/*.log; do printf '%s\n' "--- $f" && tail -n 20 "$f"; done >&2
  die "the test desktop has no $what after 20 s"
}
bus_name_owned() {
  [[ "$(gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus \
    -m org.freedesktop.DBus.NameHasOwner "$1")" == "(true,)" ]]
}

# Every notification shown, as dbus-monitor prints the method call (app name, summary, body).
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" \
  > "$d/notifications.log" 2> "$d/dbus-monitor.err.log" &
pids+=($!)
env "${desktop_env[@]}" xfwm4 --compositor=off > "$d/xfwm4.log" 2>&1 &
pids+=($!)
wait_for "window manager" bash -c 'xprop -root _NET_SUPPORTING_WM_CHECK | grep -q "window id"'
env "${desktop_env[@]}" xfce4-panel --disable-wm-check > "$d/xfce4-panel.log" 2>&1 &
pids+=($!)
env "${desktop_env[@]}" dunst > "$d/dunst.log" 2>&1 &
pids+=($!)
wait_for "StatusNotifier host (xfce4-panel's systray)" bus_name_owned org.kde.StatusNotifierWatcher
wait_for "notification daemon (dunst)" bus_name_owned org.freedesktop.Notifications
log "test desktop ready: Xvfb $DISPLAY, D-Bus session, xfwm4, xfce4-panel systray, dunst ($d)"

rc=0
"$@" || rc=$?
exit "$rc"
