"""Draws the FARE Lens icon (a lens over three trace lines, the second marked as the first
wrong step) and writes the PNG and ICO files the desktop bundle uses. Standard library only.

    python3 icons/make-icons.py
"""
import math
import pathlib
import struct
import zlib

HERE = pathlib.Path(__file__).parent
NAVY = (27, 38, 59)
PAPER = (236, 240, 245)
LINE = (120, 134, 156)
WRONG = (231, 111, 81)
RING = (250, 250, 252)


def inside_rounded(x, y, r):
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def colour_at(x, y):
    """The icon at (x, y) in [0, 1]^2: an RGBA tuple."""
    if not inside_rounded(x, y, 0.2):
        return (0, 0, 0, 0)
    # three lines of a trace; the middle one is the first wrong step
    for row, colour, length in ((0.30, LINE, 0.62), (0.46, WRONG, 0.50), (0.62, LINE, 0.56)):
        if abs(y - row) < 0.045 and 0.14 < x < 0.14 + length:
            base = colour
            break
    else:
        base = NAVY
    # the lens: a ring centred on the wrong step, and a handle to the lower right
    cx, cy, r = 0.50, 0.46, 0.22
    d = math.hypot(x - cx, y - cy)
    if abs(d - r) < 0.045:
        return RING + (255,)
    hx, hy = cx + r * 0.72, cy + r * 0.72
    t = ((x - hx) + (y - hy)) / 2
    if 0 < t < 0.2 and abs((x - hx) - (y - hy)) < 0.1:
        return RING + (255,)
    if d < r - 0.045 and base == NAVY:
        return tuple(int(c * 0.75 + 255 * 0.25) for c in NAVY) + (255,)
    return base + (255,)


def render(size, samples=4):
    rows = []
    for py in range(size):
        row = bytearray()
        for px in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    c = colour_at((px + (sx + 0.5) / samples) / size, (py + (sy + 0.5) / samples) / size)
                    for i in range(3):
                        acc[i] += c[i] * c[3]
                    acc[3] += c[3]
            n = samples * samples
            alpha = acc[3] / n
            if acc[3]:
                row += bytes(int(acc[i] / acc[3]) for i in range(3)) + bytes([int(alpha)])
            else:
                row += b"\0\0\0\0"
        rows.append(bytes(row))
    return rows


def png(size):
    raw = b"".join(b"\0" + r for r in render(size))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(pngs):
    """An ICO whose entries are PNG images (Windows Vista and later read these)."""
    out = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    for size, data in pngs:
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(d for _, d in pngs)


if __name__ == "__main__":
    made = {size: png(size) for size in (32, 64, 128, 256, 512)}
    (HERE / "32x32.png").write_bytes(made[32])
    (HERE / "128x128.png").write_bytes(made[128])
    (HERE / "128x128@2x.png").write_bytes(made[256])
    (HERE / "icon.png").write_bytes(made[512])
    (HERE / "icon.ico").write_bytes(ico([(s, made[s]) for s in (32, 64, 256)]))
