"""Small pictures made on the server: values coloured through a colour scale and encoded
as PNG data URIs, for figures that show many heatmaps at once.

A Plotly heatmap is painted cell by cell on a canvas in the browser on every redraw; a
picture in `layout.images` is one <image> element the browser scales (smoothly) for free.
The network view's 8 to 60 node heatmaps are drawn this way. Pure NumPy and zlib.
"""

from __future__ import annotations

import base64
import struct
import zlib

import numpy as np


def hex_rgb(color: str) -> np.ndarray:
    """'#rrggbb' -> array([r, g, b]) as floats."""
    h = color.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], float)


def colorize(z, zmin: float, zmax: float, stops: list[str], nan_color: str = "#ffffff") -> np.ndarray:
    """Values -> RGB pixels (uint8, shape z.shape + (3,)) through evenly spaced colour stops.

    Values are clipped to [zmin, zmax] and blended linearly between neighbouring stops,
    as a Plotly colorscale [[0, stops[0]], ..., [1, stops[-1]]] would colour them.
    """
    z = np.asarray(z, float)
    span = zmax - zmin if zmax > zmin else 1.0
    t = np.clip((np.nan_to_num(z, nan=zmin) - zmin) / span, 0.0, 1.0) * (len(stops) - 1)
    i = np.minimum(t.astype(int), len(stops) - 2)
    frac = (t - i)[..., None]
    colors = np.stack([hex_rgb(c) for c in stops])
    rgb = (1 - frac) * colors[i] + frac * colors[i + 1]
    rgb[np.isnan(z)] = hex_rgb(nan_color)
    return np.round(rgb).astype(np.uint8)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(rgb: np.ndarray) -> bytes:
    """An (h, w, 3) uint8 image as a PNG file (8-bit RGB, first row on top)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, channels = rgb.shape
    if channels != 3:
        raise ValueError(f"png_bytes expects RGB pixels, got {channels} channels")
    rows = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)  # filter 0
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    body = _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def png_uri(rgb: np.ndarray) -> str:
    """An (h, w, 3) uint8 image as a `data:image/png;base64,...` URI."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(rgb)).decode("ascii")
