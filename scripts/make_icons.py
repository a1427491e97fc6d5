"""Draw the Lightbox app icon (a lit aperture on a dark rounded square) as RGBA PNGs.

Run once when the icon changes: python3 scripts/make_icons.py. Pure standard library.
"""

import math
import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src-tauri" / "icons"


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    # Coordinates in [0, 1]. Rounded square background with a warm light disc.
    r = 0.18
    dx = max(abs(x - 0.5) - (0.5 - r), 0.0)
    dy = max(abs(y - 0.5) - (0.5 - r), 0.0)
    if math.hypot(dx, dy) > r:
        return (0, 0, 0, 0)
    d = math.hypot(x - 0.5, y - 0.5)
    if d < 0.30:
        t = d / 0.30
        return (255, int(236 - 60 * t), int(170 - 120 * t), 255)
    if d < 0.34:
        return (250, 250, 250, 255)
    g = int(32 + 24 * y)
    return (g, g, g + 10, 255)


def png(size: int) -> bytes:
    rows = bytearray()
    for j in range(size):
        rows.append(0)
        for i in range(size):
            rows.extend(pixel((i + 0.5) / size, (j + 0.5) / size))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (OUT / name).write_bytes(png(size))
