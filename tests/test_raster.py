"""Tests for playground.live.raster: colours against Plotly's own colorscale sampling, PNGs
decoded by Pillow (an independent decoder)."""

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image
from plotly.colors import sample_colorscale

from playground.live import raster

STOPS = ["#f59322", "#e8eaeb", "#0877bd"]


def plotly_rgb(stops, t):
    """Plotly's colour for positions t (0..1) on evenly spaced stops, as floats."""
    scale = [[i / (len(stops) - 1), c] for i, c in enumerate(stops)]
    return np.array([[float(v) for v in re.findall(r"[\d.]+", c)] for c in sample_colorscale(scale, list(t))])


def decode(uri_or_bytes):
    data = uri_or_bytes
    if isinstance(data, str):
        prefix = "data:image/png;base64,"
        assert data.startswith(prefix)
        data = base64.b64decode(data[len(prefix) :])
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


RGB = ["#000000", "#ff0000", "#00ff00", "#0000ff"]


@pytest.mark.parametrize("stops", [STOPS, ["#e8eaeb", "#2e9e4f"], RGB])
def test_colorize_matches_plotly_colorscale(stops):
    rng = np.random.default_rng(1)
    z = rng.uniform(-3, 5, size=(7, 9))
    lo, hi = -2.0, 4.0
    got = raster.colorize(z, lo, hi, stops)
    assert got.shape == (7, 9, 3) and got.dtype == np.uint8
    want = plotly_rgb(stops, np.clip((z.ravel() - lo) / (hi - lo), 0, 1)).reshape(7, 9, 3)
    assert np.abs(got.astype(float) - want).max() <= 0.5 + 1e-9  # rounding only


def test_colorize_ends_and_nan():
    got = raster.colorize(np.array([[-1.0, 0.0, 1.0, np.nan, 1e30]]), -1.0, 1.0, STOPS, nan_color="#ffffff")
    assert got[0].tolist() == [[245, 147, 34], [232, 234, 235], [8, 119, 189], [255, 255, 255], [8, 119, 189]]
    flat = raster.colorize(np.full((2, 2), 3.0), 3.0, 3.0, STOPS)  # an empty range is not a division by 0
    assert flat.reshape(-1, 3).tolist() == [[245, 147, 34]] * 4


@pytest.mark.parametrize("shape", [(1, 1), (16, 16), (5, 11), (64, 3)])
def test_png_round_trips_through_pillow(shape):
    rgb = np.random.default_rng(2).integers(0, 256, size=(*shape, 3), dtype=np.uint8)
    assert np.array_equal(decode(raster.png_bytes(rgb)), rgb)
    assert np.array_equal(decode(raster.png_uri(rgb)), rgb)


def test_png_rejects_other_channel_counts():
    with pytest.raises(ValueError, match="RGB"):
        raster.png_bytes(np.zeros((2, 2, 4), np.uint8))
