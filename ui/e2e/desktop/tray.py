#!/usr/bin/python3
"""The tray as the desktop's StatusNotifier host sees it, for the end-to-end test.

  tray.py list            every registered item: id, title, status, menu entries (JSON)
  tray.py click LABEL     click the menu entry LABEL of the item whose menu has it, as the
                          host does when the user picks it (com.canonical.dbusmenu Event)

The host is xfce4-panel's systray (scripts/desktop-session.sh), which owns
org.kde.StatusNotifierWatcher; the app's item (libayatana-appindicator, through Tauri's tray)
registers there and serves its menu over dbusmenu. Debian's python3-dbus, hence /usr/bin/python3.
"""

import json
import sys
import time

import dbus

PROPS = "org.freedesktop.DBus.Properties"
SNI = "org.kde.StatusNotifierItem"
MENU = "com.canonical.dbusmenu"


def items(bus):
    watcher = bus.get_object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
    registered = watcher.Get("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems", dbus_interface=PROPS)
    return [str(i) for i in registered]


def split(item):
    """An item is registered as "BUSNAME/PATH" (appindicator) or as a bus name alone."""
    if "/" in item:
        i = item.index("/")
        return item[:i], item[i:]
    return item, "/StatusNotifierItem"


def entries(layout):
    """Menu entries, depth first: (id, label, enabled)."""
    out = []
    for child in layout[2]:
        ident, props, _ = child
        if props.get("type", "standard") != "separator":
            out.append({"id": int(ident), "label": str(props.get("label", "")), "enabled": bool(props.get("enabled", True))})
        out.extend(entries(child))
    return out


def describe(bus, item):
    name, path = split(item)
    props = bus.get_object(name, path).GetAll(SNI, dbus_interface=PROPS)
    menu_path = str(props.get("Menu", ""))
    menu = []
    if menu_path:
        _, layout = bus.get_object(name, menu_path).GetLayout(0, -1, ["label", "enabled", "type"], dbus_interface=MENU)
        menu = entries(layout)
    return {
        "item": item,
        "id": str(props.get("Id", "")),
        "title": str(props.get("Title", "")),
        "status": str(props.get("Status", "")),
        "menuPath": menu_path,
        "menu": menu,
    }


def main():
    bus = dbus.SessionBus()
    found = []
    for item in items(bus):
        try:
            found.append(describe(bus, item))
        except dbus.DBusException:
            pass  # an item whose app is quitting: the watcher still lists it for a moment

    if sys.argv[1:] == ["list"]:
        print(json.dumps(found))
    elif len(sys.argv) == 3 and sys.argv[1] == "click":
        label = sys.argv[2]
        for it in found:
            for entry in it["menu"]:
                if entry["label"] == label:
                    name, _ = split(it["item"])
                    menu = bus.get_object(name, it["menuPath"])
                    menu.Event(entry["id"], "clicked", dbus.String("", variant_level=1), dbus.UInt32(int(time.time())), dbus_interface=MENU)
                    print(json.dumps({"clicked": entry}))
                    return
        sys.exit(f"no tray menu entry {label!r} in {json.dumps(found)}")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
