"""The autoencoder page's live view data: a scene (data, network, gallery) and frames (the test
set's codes in the latent plane, a grid of decodings over it, reconstructions, a clicked point's
decoding, an interpolation), for `autoencoder.js`; its protocol is in that file's header.
Images travel as one byte a pixel (base64, 0 = paper, 255 = ink)."""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np

from playground.core import engine
from playground.data.images import image_to_uint8
from playground.live.frames import _num, b64, new_points
from playground.zoo.autoencoder import task as ae
from playground.zoo.cnn.frames import gallery_indices

HERE = pathlib.Path(__file__).parent
MODULE = (HERE.parent / "player.js", HERE / "autoencoder.js")
GALLERY = 12
GRID = 8  # decodings per side of the latent grid
INTERP = 8  # decodings from A to B
MAX_CODES = 1000  # test codes shown in the plane


def _pixels(flat: np.ndarray, shape) -> bytes:
    """Flattened images (n, h*w*c) in [0, 1] -> one byte a pixel (channels averaged)."""
    imgs = np.asarray(flat, np.float32).reshape(len(flat), *shape)
    return b64(np.stack([image_to_uint8(im) for im in imgs]) if len(imgs) else np.zeros((0,), np.uint8))


def _points(a) -> list:
    return [[_num(v) for v in row] for row in np.asarray(a, np.float64).reshape(-1, 2)]


def scene(task, table: list[dict]) -> dict:
    data, config = task.data, task.config
    n_test = min(len(data.x_test), MAX_CODES)
    gal = gallery_indices(np.asarray(data.labels_test), GALLERY)
    body = {
        "kind": "autoencoder",
        "images": data.images,
        "shape": list(data.shape),
        "latent": config.latent,
        "classes": list(data.class_names),
        "layers": [
            {"label": r["layer"], "kind": r["kind"], "shape": r["output"], "params": r["parameters"]}
            for r in table
        ],
        "params": sum(r["parameters"] for r in table),
        "metrics": list(engine.metric_names(task)),  # a VAE's: with train_kl, test_kl
        "variant": config.variant,
        "beta": config.beta,
        "labels": [int(v) for v in np.asarray(data.labels_test)[:n_test]],
        "range": None,
        "code_layer": ae.code_index(config, data) + 1,  # in `layers`, whose row 0 is the input
    }
    g = {"n": len(gal), "indices": gal, "labels": [int(data.labels_test[i]) for i in gal]}
    if data.images:
        g["pixels"] = _pixels(data.y_test[gal], data.shape)
    else:
        g["points"] = _points(data.x_test[gal])
        hi = float(np.abs(np.concatenate([data.x_train, data.x_test])).max()) * 1.1 or 1.0
        body["range"] = [-hi, hi]
    body["gallery"] = g
    key = repr((config.to_dict(), [r["output"] for r in table])).encode()
    body["id"] = hashlib.sha1(key).hexdigest()[:12]
    return body


def plane_of(codes: np.ndarray) -> tuple[np.ndarray, dict, list | None, np.ndarray, np.ndarray]:
    """Codes (n, L) as plane coordinates (n, 2): the codes themselves (L ≤ 2; L = 1 on the x axis)
    or their first two principal axes. Returns (xy, extent, variance shares or None, mean,
    axes (2, L)) so that a plane point p maps back to the code mean + p @ axes."""
    c = np.asarray(codes, np.float64)
    L = c.shape[1]
    if L <= 2:
        mean, axes = np.zeros(L), np.eye(2, L)
        share = None
    else:
        mean = c.mean(0)
        _, s, vt = np.linalg.svd(c - mean, full_matrices=False)
        axes = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(1)])[:, None]
        share = [_num(v) for v in (s[:2] ** 2) / max((s**2).sum(), 1e-30)]
    xy = (c - mean) @ axes.T
    lo, hi = xy.min(0), xy.max(0)
    pad = np.maximum(0.08 * (hi - lo), 1e-3)
    lo, hi = lo - pad, hi + pad
    if L == 1:
        lo[1], hi[1] = -1.0, 1.0
    extent = {"x0": _num(lo[0]), "x1": _num(hi[0]), "y0": _num(lo[1]), "y1": _num(hi[1])}
    return xy, extent, share, mean, axes


def to_code(p, mean, axes) -> np.ndarray:
    """Plane points (n, 2) back to codes (n, L)."""
    return mean + np.asarray(p, np.float64) @ axes


def frame(
    task,
    params,
    history: dict,
    since: int,
    *,
    probe: tuple[float, float] | None = None,
    pair: tuple[int, int] | None = None,
    progress: tuple[int, int] = (0, 1),
) -> dict:
    """One frame: codes, the grid over the plane, reconstructions; the decoding of the plane
    point `probe` and the interpolation between gallery positions `pair`, when given."""
    data = task.data
    n_test = min(len(data.x_test), MAX_CODES)
    codes = ae.encode(task, params, task.x_test[:n_test])
    xy, extent, share, mean, axes = plane_of(codes)
    gx = np.linspace(extent["x0"], extent["x1"], GRID)
    gy = np.linspace(extent["y1"], extent["y0"], GRID)  # row 0 at the top
    grid_codes = to_code(np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2), mean, axes)
    decoded_grid = ae.decode(task, params, grid_codes)
    f = {
        "epoch": int(history["epoch"][-1]) if history["epoch"] else 0,
        "points": new_points(history, since),
        "part": int(progress[0]),
        "parts": int(progress[1]),
        "codes": {
            "x": [_num(v) for v in xy[:, 0]],
            "y": [_num(v) for v in xy[:, 1]],
            "var": share,
            "axes": "code" if share is None else "pca",
        },
        "plane": extent,
    }
    gal = gallery_indices(np.asarray(data.labels_test), GALLERY)
    if data.images:
        f["grid"] = {"g": GRID, "data": _pixels(decoded_grid, data.shape)}
        f["recon"] = _pixels(ae.decode(task, params, ae.encode(task, params, data.x_test[gal])), data.shape)
    else:
        f["grid"] = {"g": GRID, "data": _points(decoded_grid)}
        f["recon"] = _points(ae.decode(task, params, codes))
        f["test_points"] = _points(data.x_test[:n_test])
    if probe is not None:
        z = to_code(np.asarray([probe], np.float64), mean, axes)
        out = ae.decode(task, params, z)
        key = "pixels" if data.images else "point"
        value = _pixels(out, data.shape) if data.images else _points(out)[0]
        f["decoded"] = {"z": [_num(v) for v in probe], key: value}
    if pair is not None and gal and all(0 <= k < len(gal) for k in pair):
        a, b = ae.encode(task, params, data.x_test[[gal[pair[0]], gal[pair[1]]]])
        t = np.linspace(0, 1, INTERP)[:, None]
        out = ae.decode(task, params, (1 - t) * a + t * b)
        f["interp"] = {"a": int(pair[0]), "b": int(pair[1]), "steps": INTERP}
        f["interp"]["pixels" if data.images else "points"] = (
            _pixels(out, data.shape) if data.images else _points(out)
        )
    return f
