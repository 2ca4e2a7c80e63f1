"""Photos for the demo defects, drawn here rather than shipped as files: a stretch of wall with the defect
marked (a crack, a damp stain) as an inspector photographs it, and the same wall made good after the
rectification. Small PNGs, the same for the same seed."""

from __future__ import annotations

import math
import random
import struct
import zlib

WIDTH, HEIGHT = 240, 180
WALL = (226, 222, 212)
STAIN = (150, 140, 118)
CRACK = (70, 66, 60)
MARK = (214, 48, 39)  # the inspector's red circle around the defect


def _png(pixels: list[bytearray]) -> bytes:
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _wall(rng: random.Random) -> list[bytearray]:
    """Plaster with a little grain: a few noisy rows, shuffled down the picture (cheap to draw)."""
    patterns = []
    for _variant in range(12):
        row = bytearray()
        for _x in range(WIDTH):
            grain = rng.randint(-6, 6)
            row.extend(c + grain for c in WALL)
        patterns.append(row)
    return [bytearray(rng.choice(patterns)) for _y in range(HEIGHT)]


def _put(pixels: list[bytearray], x: int, y: int, colour: tuple[int, int, int]) -> None:
    if 0 <= x < WIDTH and 0 <= y < HEIGHT:
        pixels[y][3 * x : 3 * x + 3] = bytes(colour)


def before(seed: int) -> bytes:
    """The defect as found: a crack or a stain on the wall, circled in red."""
    rng = random.Random(seed)
    pixels = _wall(rng)
    cx, cy = rng.randint(80, 160), rng.randint(60, 120)
    if seed % 2:
        x, y = cx - 40, cy - 30
        for _step in range(90):
            for width in range(2):
                _put(pixels, x + width, y, CRACK)
            x += rng.choice((0, 1, 1))
            y += 1 if rng.random() < 0.7 else 0
    else:
        for y in range(cy - 30, cy + 30):
            for x in range(cx - 40, cx + 40):
                if ((x - cx) / 40) ** 2 + ((y - cy) / 30) ** 2 < 1 - rng.random() * 0.25:
                    _put(pixels, x, y, STAIN)
    for step in range(720):
        angle = step / 720 * 6.2832
        for thickness in (0, 1, 2):
            radius = 52 + thickness
            x = int(cx + radius * 1.2 * math.cos(angle))
            y = int(cy + radius * math.sin(angle))
            _put(pixels, x, y, MARK)
    return _png(pixels)


def after(seed: int) -> bytes:
    """The same wall made good."""
    return _png(_wall(random.Random(seed + 7919)))
