"""Procedural shape images: circles, squares, triangles and crosses, where the class is what a
person sees ("what does a filter detect?"). Deterministic from the seed, NumPy only; the first
image source of the network zoo (issue 12: the `shapes` dataset).

Each image is drawn at random position, size and rotation, anti-aliased by supersampling (the
share of each pixel's subpixels inside the shape), then optionally noised: ink is 1, paper 0.
"""

from __future__ import annotations

import numpy as np

SHAPES = ("circle", "square", "triangle", "cross")
MAX_IMAGES = 5_000
SIZES = (8, 32)  # side in pixels, inclusive
SQUARE_HALF = 0.8  # a square's half side, as a share of the shape's radius
CROSS_HALF_WIDTH = 0.3  # a cross arm's half width, as a share of the radius
TRIANGLE_SCALE = 1.2  # a triangle's circumradius, as a share of the radius (it has the least ink)


def _inside(kind: str, x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    """Whether points (in the shape's own rotated frame, centred on it) lie inside."""
    if kind == "circle":
        return x * x + y * y <= r * r
    if kind == "square":
        h = SQUARE_HALF * r
        return (np.abs(x) <= h) & (np.abs(y) <= h)
    if kind == "triangle":  # equilateral, a vertex up: three edges at half the circumradius
        inside = np.ones(x.shape, bool)
        for angle in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6):  # outward normals of the edges
            inside &= x * np.cos(angle) + y * np.sin(angle) <= TRIANGLE_SCALE * r / 2
        return inside
    if kind == "cross":
        w = CROSS_HALF_WIDTH * r
        ax, ay = np.abs(x), np.abs(y)
        return ((ax <= w) & (ay <= r)) | ((ay <= w) & (ax <= r))
    raise ValueError(f"unknown shape {kind!r}; choose one of {', '.join(SHAPES)}")


def draw(kind: str, cx: float, cy: float, r: float, angle: float, size: int = 16, sub: int = 4) -> np.ndarray:
    """One shape as a (size, size) float32 image in [0, 1]; row 0 is the top.

    Args:
      kind: one of SHAPES.
      cx, cy: centre in pixels (x to the right, y down), r: radius in pixels, angle: rotation
        in radians (counter-clockwise on the screen).
      sub: subpixels per side for anti-aliasing.
    """
    offsets = (np.arange(sub) + 0.5) / sub
    px = (np.arange(size)[:, None] + offsets[None, :]).ravel()  # subpixel centres along a side
    X, Y = np.meshgrid(px, px)  # X: column, Y: row
    dx, dy = X - cx, cy - Y  # y up, so "counter-clockwise" reads as on paper
    c, s = np.cos(angle), np.sin(angle)
    inside = _inside(kind, c * dx + s * dy, -s * dx + c * dy, r)
    return inside.reshape(size, sub, size, sub).mean(axis=(1, 3)).astype(np.float32)


def make_shapes(n: int, seed: int = 0, noise: float = 0.0, size: int = 16):
    """n images and their classes, the classes balanced and in a seed-made order.

    Returns:
      images (n, size, size) float32 in [0, 1] and labels (n,) int64 (indices into SHAPES).

    Raises:
      ValueError: n outside 1..MAX_IMAGES, size outside SIZES, noise outside 0..1.
    """
    if not 1 <= n <= MAX_IMAGES:
        raise ValueError(f"n: between 1 and {MAX_IMAGES:,} images, got {n}")
    if not SIZES[0] <= size <= SIZES[1]:
        raise ValueError(f"size: between {SIZES[0]} and {SIZES[1]} pixels, got {size}")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise: between 0 and 1, got {noise}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(SHAPES)).astype(np.int64)
    r = rng.uniform(0.2, 0.32, n) * size
    cx = size / 2 + rng.uniform(-0.14, 0.14, n) * size
    cy = size / 2 + rng.uniform(-0.14, 0.14, n) * size
    angle = rng.uniform(0.0, 2 * np.pi, n)
    images = np.stack([draw(SHAPES[k], cx[i], cy[i], r[i], angle[i], size) for i, k in enumerate(labels)])
    if noise:
        images = np.clip(images + rng.normal(0.0, noise, images.shape), 0.0, 1.0).astype(np.float32)
    return images, labels
