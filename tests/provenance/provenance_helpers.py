"""Small images for provenance tests, written by hand (no imaging library needed)."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 8, height: int = 8, seed: int = 0) -> bytes:
    """A small, valid RGB PNG written by hand (no imaging library needed)."""
    rows = b"".join(
        b"\x00" + bytes(v for x in range(width) for v in ((x * 31 + seed) % 256, (y * 17) % 256, 90))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def flip_pixel_byte(signed: bytes) -> bytes:
    """The signed PNG with one byte of its compressed pixel data changed (the manifest untouched)."""
    data = bytearray(signed)
    at = data.rfind(b"IDAT") + 6
    data[at] ^= 0xFF
    return bytes(data)
