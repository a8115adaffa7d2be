"""Tests for playground.live.figures: every figure's numbers read back from fig.data and
compared with the arrays they were built from (grid, parameters, history, data)."""

import functools
import re

import numpy as np
import pytest

from playground.core import engine, models
from playground.core.config import Config
from playground.data.points import FEATURES
from playground.live import figures
from playground.live.grid import evaluate_grid
from tests.test_raster import STOPS, decode, plotly_rgb

N = 20
CONFIGS = {
    "default": Config(n_samples=60),
    "deep": Config(n_samples=60, hidden=(8,) * 6, features=tuple(FEATURES)[:7]),
    "no_hidden": Config(n_samples=60, hidden=()),
    "wide": Config(n_samples=60, hidden=(32, 3), features=tuple(FEATURES)),
    "multiclass": Config(dataset="blobs", n_classes=4, loss="ce", output_activation="softmax", n_samples=80),
    "regression": Config(dataset="reg-plane", loss="mse", output_activation="linear", n_samples=60),
    "tanh": Config(n_samples=60, loss="mse", output_activation="tanh"),
}


@functools.cache
def setup(name):
    """(task, state, grid, layers) of a named config, built once per test run."""
    task = engine.make_task(CONFIGS[name])
    state = engine.init_state(task)
    return task, state, evaluate_grid(task, state.params, n=N), models.params_to_layers(state.params)


def of_type(fig, kind):
    return [t for t in fig.data if t.type == kind]


def edge_lines(fig):
    return [t for t in fig.data if t.type == "scatter" and t.mode == "lines"]


def edge_hover(fig):
    (trace,) = [t for t in fig.data if t.name == "edges"]
    return trace


def drawn_edges(fig, layers, grads=None):
    """Each drawn segment as (width, colour, weight, gradient): the one hover point lying
    on the segment names the weight, which is then read from `layers` itself."""
    hover = edge_hover(fig)
    points = np.stack([np.asarray(hover.x, float), np.asarray(hover.y, float)], 1)
    assert len(np.unique(points.round(6), axis=0)) == len(points)  # every edge can be hovered
    out = []
    for trace in edge_lines(fig):
        xs, ys = list(trace.x), list(trace.y)
        assert len(xs) % 3 == 0 and all(v is None for v in xs[2::3])
        for i in range(0, len(xs), 3):
            p0, p1 = np.array([xs[i], ys[i]]), np.array([xs[i + 1], ys[i + 1]])
            d, rel = p1 - p0, points - p0
            along = rel @ d / (d @ d)
            on_line = np.abs(d[0] * rel[:, 1] - d[1] * rel[:, 0]) < 1e-9
            (hit,) = np.flatnonzero(on_line & (along > 0) & (along < 1))
            text = hover.hovertext[hit]
            layer, a, b = map(int, re.match(r"w\[layer (\d+)\] (\d+)→(\d+)", text).groups())
            w = layers[layer - 1]["kernel"][a, b]
            g = None if grads is None else grads[layer - 1]["kernel"][a, b]
            out.append((trace.line.width, trace.line.color, w, g))
    return out


def assert_monotone(widths, values):
    order = np.argsort(np.abs(values), kind="stable")
    assert np.all(np.diff(np.asarray(widths)[order]) >= 0)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_network_has_one_picture_per_node_showing_its_grid_column(name):
    task, _, grid, layers = setup(name)
    fig = figures.network_figure(task, grid, layers, uirevision="keep")
    images = fig.layout.images
    n_features = len(task.config.features)
    assert len(images) == n_features + sum(task.config.hidden) + task.arch.n_out
    assert not of_type(fig, "heatmap")  # nodes are pictures, not traces Plotly paints cell by cell
    columns = [grid["inputs"], *grid["hidden"], grid["output"]]
    acts = [None, *task.config.layer_activations(), task.arch.output_activation]
    # Nodes are drawn from a coarser grid: the corners and every ~N/NODE_CELLS-th point.
    sub = np.round(np.linspace(0, N - 1, figures.NODE_CELLS)).astype(int)
    assert N > figures.NODE_CELLS and sub[0] == 0 and sub[-1] == N - 1
    i = 0
    for c, (col, act) in enumerate(zip(columns, acts)):
        for j in range(col.shape[1]):
            image = images[i]
            i += 1
            full = col[:, j].reshape(N, N)
            lo, hi = figures.node_range(full, act)
            per_class = c == len(columns) - 1 and col.shape[1] > 1
            stops = [figures.NEUTRAL, figures.CLASS_COLORS[j]] if per_class else STOPS
            values = full[sub][:, sub][::-1]  # the picture's top row is the plane's largest x2
            want = plotly_rgb(stops, np.clip((values.ravel() - lo) / (hi - lo), 0, 1))
            got = decode(image.source)
            assert got.shape == (figures.NODE_CELLS, figures.NODE_CELLS, 3)
            assert np.abs(got.reshape(-1, 3).astype(float) - want).max() <= 0.5 + 1e-6
            assert (image.xref, image.yref, image.sizing, image.layer) == ("x", "y", "stretch", "above")
            assert (image.xanchor, image.yanchor) == ("left", "top")
    assert len(edge_lines(fig)) <= 12
    hover = np.stack([edge_hover(fig).x, edge_hover(fig).y], 1).astype(float)
    assert len(hover) == sum(layer["kernel"].size for layer in layers)
    assert len(np.unique(hover.round(6), axis=0)) == len(hover)  # no two edges share a hover point
    assert fig.layout.uirevision == "keep"
    # Square nodes that fit the plot and never overlap within a column; edges end at them.
    lo, hi = fig.layout.yaxis.range
    boxes = {}
    for image in images:
        assert image.sizex == pytest.approx(image.sizey)
        assert lo <= image.y - image.sizey and image.y <= hi
        boxes.setdefault(round(image.x, 6), []).append((image.y - image.sizey, image.y))
    assert len(boxes) == 2 + len(task.config.hidden)
    for spans in boxes.values():
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    ends = {round(x, 6) for t in edge_lines(fig) for x in t.x if x is not None}
    rims = {round(im.x, 6) for im in images} | {round(im.x + im.sizex, 6) for im in images}
    assert ends <= rims
    names = [a.text for a in fig.layout.annotations]
    assert all(f in names for f in task.config.features)


def test_network_without_hidden_layers_links_inputs_to_outputs():
    task, _, grid, layers = setup("no_hidden")
    fig = figures.network_figure(task, grid, layers)
    assert len(fig.layout.images) == 3
    texts = list(edge_hover(fig).hovertext)
    assert len(texts) == 2 and texts[0].startswith("w[layer 1] 0→0 = ")


def test_output_figure_binary_shows_the_output_and_the_points():
    task, _, grid, _ = setup("default")
    fig = figures.output_figure(task, grid, uirevision="out")
    (heat,) = of_type(fig, "heatmap")
    assert np.allclose(np.asarray(heat.z, float), grid["output"][:, 0].reshape(N, N))
    assert np.allclose(heat.x, grid["axis"]) and np.allclose(heat.y, grid["axis"])
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    (train,) = of_type(fig, "scatter")
    data = task.data
    assert len(train.x) == len(data.x_train)
    assert np.allclose(train.x, data.x_train[:, 0]) and np.allclose(train.y, data.x_train[:, 1])
    assert list(train.marker.color) == [figures.CLASS_COLORS[int(k)] for k in data.y_train]
    assert fig.layout.uirevision == "out" and fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.dtick == 1

    both = of_type(figures.output_figure(task, grid, show_test=True), "scatter")
    assert sum(len(t.x) for t in both) == len(data.x_train) + len(data.x_test)
    assert [t.name for t in both] == ["train", "test"]
    assert both[0].marker.line.color != both[1].marker.line.color


@pytest.mark.parametrize("name, lo, hi, threshold", [("default", 0, 1, 0.5), ("tanh", -1, 1, 0.0)])
def test_output_figure_discretized_has_two_values(name, lo, hi, threshold):
    task, _, grid, _ = setup(name)
    (heat,) = of_type(figures.output_figure(task, grid, discretize=True), "heatmap")
    z = np.asarray(heat.z, float)
    assert set(np.unique(z)) <= {lo, hi}
    assert np.array_equal(z == hi, grid["output"][:, 0].reshape(N, N) > threshold)
    assert (heat.zmin, heat.zmax) == (lo, hi)


def test_output_figure_multiclass_colours_the_argmax():
    task, _, grid, _ = setup("multiclass")
    out = grid["output"].reshape(N, N, 4)
    (heat,) = of_type(figures.output_figure(task, grid), "heatmap")
    custom = np.asarray(heat.customdata, float)
    assert np.array_equal(custom[..., 0], out.argmax(-1))
    assert np.allclose(custom[..., 1], out.max(-1))
    z = np.asarray(heat.z)
    # Codes group by class; within a class, tints by confidence (more codes than classes).
    assert np.array_equal(z // figures.TINTS, out.argmax(-1))
    (disc,) = of_type(figures.output_figure(task, grid, discretize=True), "heatmap")
    assert len(np.unique(disc.z)) == len(np.unique(out.argmax(-1)))
    (train,) = of_type(figures.output_figure(task, grid), "scatter")
    assert list(train.marker.color) == [figures.CLASS_COLORS[int(k)] for k in task.data.y_train]
    assert len(set(train.marker.color)) == 4


def test_output_figure_regression_shares_one_scale():
    task, _, grid, _ = setup("regression")
    fig = figures.output_figure(task, grid, show_test=True)
    (heat,) = of_type(fig, "heatmap")
    assert np.allclose(np.asarray(heat.z, float), grid["output"][:, 0].reshape(N, N))
    assert heat.zmin == -heat.zmax
    train, test = of_type(fig, "scatter")
    assert np.allclose(train.marker.color, task.data.y_train)
    assert np.allclose(test.marker.color, task.data.y_test)
    assert (train.marker.cmin, train.marker.cmax) == (heat.zmin, heat.zmax)
    (disc,) = of_type(figures.output_figure(task, grid, discretize=True), "heatmap")
    assert len(np.unique(disc.z)) <= 2


def history(n, accuracy=True):
    rng = np.random.default_rng(0)
    h = {"epoch": list(range(1, n + 1))}
    h["train_loss"], h["test_loss"] = rng.random(n).tolist(), rng.random(n).tolist()
    if accuracy:
        h["train_accuracy"], h["test_accuracy"] = rng.random(n).tolist(), rng.random(n).tolist()
    return h


def test_loss_figure_plots_the_history():
    h = history(7)
    fig = figures.loss_figure(h, uirevision="loss-1")
    by_name = {t.name: t for t in fig.data}
    assert set(by_name) == {"train loss", "test loss", "train accuracy", "test accuracy"}
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        t = by_name[key.replace("_", " ")]
        assert np.allclose(t.y, h[key]) and np.allclose(t.x, h["epoch"])
        assert t.yaxis == ("y2" if "accuracy" in key else "y")
        assert t.hovertemplate == "%{y:.5g}"
        assert (t.line.dash == "dot") == ("accuracy" in key)
    assert fig.layout.hovermode == "x unified" and fig.layout.uirevision == "loss-1"
    assert fig.layout.yaxis.type == "linear" and list(fig.layout.yaxis2.range) == [0, 1.02]
    assert figures.loss_figure(h, log_y=True).layout.yaxis.type == "log"
    no_accuracy = figures.loss_figure(history(5, accuracy=False))
    assert [t.name for t in no_accuracy.data] == ["train loss", "test loss"]


def test_loss_figure_downsamples_long_histories():
    h = history(10_000)
    for t in figures.loss_figure(h).data:
        x = np.asarray(t.x)
        assert 400 <= len(x) <= 500 and x[0] == 1 and x[-1] == 10_000
        assert np.all(np.diff(x) > 0)
        key = t.name.replace(" ", "_")
        assert np.allclose(t.y, np.asarray(h[key])[x.astype(int) - 1], rtol=1e-6)


@pytest.mark.parametrize("h", [{}, {"epoch": [], "train_loss": [], "test_loss": []}])
def test_loss_figure_empty_history(h):
    fig = figures.loss_figure(h, log_y=True)
    assert len(fig.data) == 0
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.type == "log"


def test_weights_figure_one_histogram_per_layer():
    _, _, _, layers = setup("default")
    fig = figures.weights_figure(layers, uirevision="w")
    hist = of_type(fig, "histogram")
    assert [t.name for t in hist] == ["layer 1 (2×4)", "layer 2 (4×2)", "layer 3 (2×1)"]
    for t, layer in zip(hist, layers, strict=True):
        assert np.allclose(t.x, layer["kernel"].ravel())
    assert fig.layout.barmode == "overlay" and fig.layout.uirevision == "w"
    assert len({(t.xbins.start, t.xbins.size) for t in hist}) == 1  # shared bins line up


def rgb(hex_color):
    return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))


def test_dataset_thumbnail_draws_coloured_dots():
    rng = np.random.default_rng(1)
    points = rng.normal(2.0, 1.0, (100, 2))
    labels = (np.arange(100) < 90).astype(int)  # mostly class 1
    img = figures.dataset_thumbnail(points, labels, "classification", 2)
    assert img.shape == (72, 72, 3) and img.dtype == np.uint8
    assert (img == rgb(figures.BLUE)).all(-1).any()
    assert tuple(img[0, 0]) == tuple(img[-1, 0])  # untouched corners: background
    # One class-0 point at the origin: a 2x2 orange dot in the middle, x2 pointing up.
    points = [[0.0, 0.0], [5.9, 5.9], [50.0, 0.0]]  # the last is outside and left out
    one = figures.dataset_thumbnail(points, [0, 1, 1], "classification", 2, size=40)
    orange = (one == rgb(figures.ORANGE)).all(-1)
    assert orange.sum() == 4 and orange[19:21, 19:21].all()
    assert (one[:3, -3:] == rgb(figures.BLUE)).all(-1).any()  # top right corner is (+6, +6)


def test_dataset_thumbnail_regression_colours_by_value():
    img = figures.dataset_thumbnail([[-3.0, 0.0], [3.0, 0.0]], [-1.0, 1.0], "regression", 0)
    assert (img == rgb(figures.ORANGE)).all(-1).sum() == 4
    assert (img == rgb(figures.BLUE)).all(-1).sum() == 4


def test_output_click_grid_covers_the_plane_invisibly():
    task, _, grid, _ = setup("default")
    assert not [t for t in figures.output_figure(task, grid).data if t.name == "click"]
    (click,) = [t for t in figures.output_figure(task, grid, click_grid=7).data if t.name == "click"]
    axis = np.asarray(grid["axis"], float)
    x, y = np.asarray(click.x, float), np.asarray(click.y, float)
    assert len(x) == 49 and click.marker.opacity == 0
    np.testing.assert_allclose([x.min(), x.max(), y.min(), y.max()], [axis[0], axis[-1]] * 2, rtol=1e-6)
    assert len({(a, b) for a, b in zip(x.round(4), y.round(4))}) == 49  # every grid position once


@pytest.mark.parametrize("name", ["default", "tanh", "regression"])
def test_smooth_output_plane_is_a_picture_of_the_heatmaps_colours(name):
    task, _, grid, _ = setup(name)
    fig = figures.output_figure(task, grid)
    (heat,) = of_type(fig, "heatmap")
    (plane,) = fig.layout.images
    assert plane.name == "plane" and plane.layer == "below" and plane.opacity == 0.85
    assert heat.opacity == 0 and heat.hovertemplate  # invisible, kept for its hover values
    z = np.asarray(heat.z, float)
    want = plotly_rgb(STOPS, np.clip((z[::-1].ravel() - heat.zmin) / (heat.zmax - heat.zmin), 0, 1))
    got = decode(plane.source)
    assert got.shape == (N, N, 3)
    assert np.abs(got.reshape(-1, 3).astype(float) - want).max() <= 0.5 + 1e-6
    # The picture covers the heatmap's cells exactly: centres at the grid axis, half a cell beyond.
    axis = np.asarray(grid["axis"], float)
    d = axis[1] - axis[0]
    assert plane.x == pytest.approx(axis[0] - d / 2) and plane.sizex == pytest.approx(N * d)
    assert plane.y == pytest.approx(axis[-1] + d / 2) and plane.sizey == pytest.approx(N * d)
    assert (plane.xanchor, plane.yanchor, plane.sizing) == ("left", "top", "stretch")
    # Discretized (sharp cells) and multiclass planes stay visible heatmaps, without a picture.
    sharp = figures.output_figure(task, grid, discretize=True)
    assert not sharp.layout.images and of_type(sharp, "heatmap")[0].opacity == 0.85
    many = figures.output_figure(*setup("multiclass")[::2][:2])
    assert not many.layout.images and of_type(many, "heatmap")[0].opacity == 0.85
