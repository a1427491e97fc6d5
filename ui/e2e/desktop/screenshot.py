#!/usr/bin/python3
"""screenshot.py OUT.png: the whole test desktop (X root window) as a PNG, for what WebDriver
cannot see: the native dialogs, the tray, notifications. Debian's python3-gi, GDK 3."""

import sys

import gi

gi.require_version("Gdk", "3.0")
from gi.repository import Gdk  # noqa: E402

root = Gdk.get_default_root_window()
pixbuf = Gdk.pixbuf_get_from_window(root, 0, 0, root.get_width(), root.get_height())
if pixbuf is None:
    sys.exit("could not read the root window")
pixbuf.savev(sys.argv[1], "png", [], [])
