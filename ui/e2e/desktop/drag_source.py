#!/usr/bin/python3
"""A file manager's drag, for the end-to-end test: a small GTK window titled
"lightbox-e2e-drag-source" that offers the paths given on the command line as `text/uri-list`
when dragged. The test drags it onto the app window with xdotool (press, move, release), so the
drop reaches the app as an OS drop does: XDND -> WebKitGTK -> Tauri's drag-drop event.

Debian's python3-gi and gir1.2-gtk-3.0 (scripts/install-system.sh), hence /usr/bin/python3.
Prints "ready" once its window is mapped and "sent N" after the drop target took the data.
"""

import sys
from pathlib import Path

import gi

gi.require_version("Gdk", "3.0")
gi.require_version("Gtk", "3.0")
from gi.repository import Gdk, Gtk  # noqa: E402

URIS = [Path(p).resolve().as_uri() for p in sys.argv[1:]]


def on_get_data(_widget, _context, data, _info, _time):
    data.set_uris(URIS)
    print(f"sent {len(URIS)}", flush=True)


def main():
    if not URIS:
        sys.exit("usage: drag_source.py PATH...")
    window = Gtk.Window(title="lightbox-e2e-drag-source")
    window.set_default_size(160, 120)
    window.move(1100, 650)
    box = Gtk.EventBox()
    box.add(Gtk.Label(label=f"{len(URIS)} file(s)"))
    box.drag_source_set(Gdk.ModifierType.BUTTON1_MASK, [], Gdk.DragAction.COPY)
    box.drag_source_add_uri_targets()
    box.connect("drag-data-get", on_get_data)
    window.add(box)
    window.connect("destroy", Gtk.main_quit)
    window.connect("map-event", lambda *_: print("ready", flush=True))
    window.show_all()
    Gtk.main()


if __name__ == "__main__":
    main()
