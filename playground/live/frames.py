"""What the live view draws, computed here and sent as small frames.

A *scene* is what stays put while a network trains: the layout of the network,
the data points, the colour palettes, the curves' names. A *frame* is one
state of training: every neuron's picture as palette indices (uint8, one byte
a pixel), each edge's style code, the output plane, the epoch, the new loss
points. The browser (`live.js`) only looks colours up in the palettes and
draws; every number is computed here by the engine. No Streamlit.
"""

from __future__ import annotations

import base64
import hashlib
import json

import numpy as np

from playground.core import engine
from playground.core.losses import decision_threshold
from playground.live import figures
from playground.live.raster import colorize

LEVELS = 256  # palette entries: values are quantized to one byte
EDGE_BINS = 6  # width classes of an edge; code = sign * 8 + bin (sign 1 = positive)
CURVE_POINTS_PER_FRAME = 8  # loss points a frame adds to the curve (at most)
# Curve colours readable on Streamlit's light (#ffffff) and dark (#0e1117) backgrounds
# (contrast >= 3:1 on both; tests check it): train and test differ in hue, not only shade.
SERIES = {
    "train_loss": ("train loss", "#d9480f", "solid", "loss"),
    "test_loss": ("test loss", "#1c7ed6", "solid", "loss"),
    "train_accuracy": ("train accuracy", "#d9480f", "dot", "accuracy"),
    "test_accuracy": ("test accuracy", "#1c7ed6", "dot", "accuracy"),
}


def b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, np.uint8).tobytes()).decode("ascii")


def quantize(values, lo: float, hi: float) -> np.ndarray:
    """Values -> palette indices 0..LEVELS-1 over [lo, hi] (clipped; NaN -> 0)."""
    v = np.nan_to_num(np.asarray(values, float), nan=lo)
    t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0)
    return np.round(t * (LEVELS - 1)).astype(np.uint8)


def dequantize(index, lo: float, hi: float) -> np.ndarray:
    """The value a palette index stands for (what the browser shows on hover)."""
    return lo + np.asarray(index, float) / (LEVELS - 1) * (hi - lo)


def ramp(stops: list[str], n: int = LEVELS) -> list[str]:
    """n colours evenly through the stops, as '#rrggbb' (index i <-> value i/(n-1))."""
    rgb = colorize(np.linspace(0.0, 1.0, n), 0.0, 1.0, stops)
    return ["#{:02x}{:02x}{:02x}".format(*c) for c in rgb]


# Palette 0 is the diverging orange-white-blue scale; 1 + k is white to class k's colour.
DIVERGING = 0


def class_palette(k: int) -> int:
    return 1 + k % len(figures.CLASS_COLORS)


def plane_palette_index(n_classes: int) -> int:
    """The multiclass plane's palette comes after the class ramps."""
    return 1 + len(figures.CLASS_COLORS)


def palettes(n_out: int) -> list[list[str]]:
    pals = [ramp([figures.ORANGE, figures.NEUTRAL, figures.BLUE])]
    pals += [ramp([figures.NEUTRAL, c]) for c in figures.CLASS_COLORS]
    if n_out > 1:  # the class plane's codes: class * TINTS + tint
        _, scale, _ = figures.class_plane(np.zeros((1, 1, n_out)), n_out, True, False)
        pals.append([scale[2 * code][1] for code in range(n_out * figures.TINTS)])
    return pals


def node_cells(n_nodes: int) -> int:
    """Pixels a side of each neuron's picture: fewer when there are many (they are drawn
    smaller, and a 6x8 network's 55 pictures would otherwise be most of every frame)."""
    return figures.NODE_CELLS if n_nodes <= 16 else 12 if n_nodes <= 32 else 10


def _node_grid(n: int, n_nodes: int) -> np.ndarray:
    return figures.downsample(n, node_cells(n_nodes))


def _node_image(values: np.ndarray, n: int, act: str | None, n_nodes: int) -> np.ndarray:
    """One neuron over the plane, (cells, cells) indices, top row = the largest x2."""
    full = values.reshape(n, n)
    lo, hi = figures.node_range(full, act)
    sub = _node_grid(n, n_nodes)
    return quantize(full[np.ix_(sub[::-1], sub)], lo, hi)


def scene(
    task,
    grid: dict,
    layers: list[dict],
    *,
    show_test: bool = False,
    discretize: bool = False,
    edges: str = "weights",
    log_y: bool = False,
    editable: bool = True,
    add_class: int | None = None,
) -> dict:
    """Everything about the view that does not change while the network trains.

    Returns a JSON-able dict with an "id" (a digest of the rest): the browser keeps
    the scene it was last sent and asks for it again when the id differs.
    """
    cols = figures.node_columns(task, grid, layers)
    n = len(np.asarray(grid["axis"]))
    n_out = cols[-1]["values"].shape[1]
    columns = []
    for c, col in enumerate(cols):
        k = col["values"].shape[1]
        if col.get("classes"):
            pal = [class_palette(j) for j in range(k)]
        else:
            pal = [DIVERGING] * k
        hover = [h.split("<br>")[0] for h in col["names"]]  # biases move: they come with frames
        columns.append(
            {"header": col["header"], "hover": hover, "pal": pal, "labels": col["names"] if c == 0 else None}
        )
    n_nodes = sum(col["values"].shape[1] for col in cols)
    inputs = np.concatenate(
        [
            _node_image(cols[0]["values"][:, j], n, None, n_nodes).ravel()
            for j in range(cols[0]["values"].shape[1])
        ]
    )
    data = task.data
    regression = data.task == "regression"
    axis = np.asarray(grid["axis"], float)
    r = regression_range(data) if regression else 1.0
    points = {}
    for name, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        if name == "test" and not show_test:
            continue
        x = np.asarray(x, float).reshape(-1, 2)
        y = np.asarray(y, float)
        color = quantize(y, -r, r).tolist() if regression else y.astype(int).tolist()
        points[name] = {"x": np.round(x, 4).ravel().tolist(), "c": color}
    names = engine.metric_names(task)
    body = {
        "palettes": palettes(n_out),
        "network": {
            "columns": columns,
            "cells": len(_node_grid(n, n_nodes)),
            "inputs": b64(inputs),
            "edges": edges,
            "editable": editable,
        },
        "plane": {
            "lo": float(axis[0]),
            "hi": float(axis[-1]),
            "n": n,
            "regression": regression,
            "classes": list(figures.CLASS_COLORS),
            "points": points,
            "add_class": add_class,
            "discretize": discretize,
        },
        "curves": {
            "log": log_y,
            "series": [dict(zip(("key", "name", "color", "dash", "axis"), (k, *SERIES[k]))) for k in names],
        },
    }
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest, **body}


def regression_range(data) -> float:
    y = np.concatenate([np.asarray(data.y_train, float), np.asarray(data.y_test, float)])
    return max(1.0, float(np.abs(y).max(initial=0.0)))


def plane(task, grid: dict, discretize: bool) -> dict:
    """The output over the plane: palette indices (n*n, top row first) and their meaning."""
    axis = np.asarray(grid["axis"], float)
    n = len(axis)
    out = np.asarray(grid["output"], float).reshape(n, n, -1)
    act, regression = task.arch.output_activation, task.data.task == "regression"
    if out.shape[-1] > 1 and not regression:
        codes, _, _ = figures.class_plane(out, out.shape[-1], act == "softmax", discretize)
        return {
            "img": b64(codes[::-1]),
            "pal": plane_palette_index(out.shape[-1]),
            "kind": "classes",
            "tints": figures.TINTS,
        }
    z = out[..., 0]
    r = regression_range(task.data) if regression else 1.0
    lo, hi = (0.0, 1.0) if act == "sigmoid" and not regression else (-r, r)
    if discretize:
        z = np.where(z > (0.0 if regression else decision_threshold(act)), hi, lo)
    return {"img": b64(quantize(z[::-1], lo, hi)), "pal": DIVERGING, "kind": "value", "range": [lo, hi]}


def edge_codes(
    layers: list[dict], values: list[np.ndarray] | None = None, relative: bool = False
) -> np.ndarray:
    """Every edge's style, kernel by kernel in row-major (in, out) order: sign * 8 + width bin.

    Weights are binned on an absolute scale (thin while small, as in TensorFlow
    Playground); gradients (`relative=True`) relative to the largest one.
    """
    v = np.concatenate(
        [np.asarray(w, float).ravel() for w in (values or [la["kernel"] for la in layers])] or [np.zeros(0)]
    )
    top = float(np.abs(v[np.isfinite(v)]).max(initial=0.0))
    scale = (top or 1.0) if relative else max(top, 1.0)
    bins = np.minimum((np.nan_to_num(np.abs(v)) / scale * EDGE_BINS).astype(int), EDGE_BINS - 1)
    return ((v > 0) * 8 + bins).astype(np.uint8)


def frame(
    task,
    grid: dict,
    layers: list[dict],
    history: dict,
    since: int,
    *,
    discretize: bool = False,
    grads: list[dict] | None = None,
    detail: bool = False,
) -> dict:
    """One state of training.

    Args:
      task, grid, layers: the network now (`grid.evaluate_grid`, `models.params_to_layers`).
      history: the session's history; the points after epoch `since` go into this frame
        (at most CURVE_POINTS_PER_FRAME of them, evenly spaced, the last one always).
      grads: per-layer gradients when the edges show gradients.
      detail: add the numbers behind hover (weights, biases); the last frame of a batch.
    """
    cols = figures.node_columns(task, grid, layers)
    n = len(np.asarray(grid["axis"]))
    n_nodes = sum(col["values"].shape[1] for col in cols)
    nodes = [
        _node_image(col["values"][:, j], n, col["act"], n_nodes).ravel()
        for col in cols[1:]
        for j in range(col["values"].shape[1])
    ]
    if grads is not None:
        codes = edge_codes(layers, [g["kernel"] for g in grads], relative=True)
    else:
        codes = edge_codes(layers)
    points = new_points(history, since)
    epochs = history["epoch"]
    f = {
        "epoch": int(epochs[-1]) if epochs else 0,
        "nodes": b64(np.concatenate(nodes)),
        "edges": b64(codes),
        "plane": plane(task, grid, discretize),
        "points": points,
        "metrics": {k: _num(v[-1]) for k, v in history.items() if v and k != "epoch"},
    }
    if detail:
        f["weights"] = [_num(w) for la in (grads or layers) for w in np.asarray(la["kernel"], float).ravel()]
        f["weights_kind"] = "gradient" if grads is not None else "weight"
        f["biases"] = [_num(b) for la in layers for b in np.asarray(la["bias"], float).ravel()]
    return f


def new_points(history: dict, since: int) -> dict:
    """The history's points after epoch `since`: at most CURVE_POINTS_PER_FRAME of them,
    evenly spaced, the last one always."""
    epochs = history["epoch"]
    start = int(np.searchsorted(np.asarray(epochs, int), since, side="right")) if epochs else 0
    new = np.arange(start, len(epochs))
    if len(new) > CURVE_POINTS_PER_FRAME:
        new = new[np.unique(np.linspace(0, len(new) - 1, CURVE_POINTS_PER_FRAME).round().astype(int))]
    return {k: [_num(history[k][i]) for i in new] for k in history}


def curve(history: dict) -> dict:
    """The whole history for drawing (at most figures.MAX_LINE_POINTS per line)."""
    idx = figures.downsample(len(history["epoch"]))
    return {k: [_num(v[i]) for i in idx] for k, v in history.items()}


def _num(v) -> float | None:
    v = float(v)
    return float(f"{v:.6g}") if np.isfinite(v) else None
