"""Plotly figure builders in TensorFlow Playground's look: the network of neuron
heatmaps, the output plane, loss curves, weight histograms and dataset thumbnails.

Pure functions of arrays (converted with `np.asarray` at the boundary) returning
`go.Figure`s; nothing here knows about Streamlit. Orange is negative (class 0),
blue positive (class 1), as in TFP's `heatmap.ts`.
"""

from __future__ import annotations

import numpy as np
import pandas  # noqa: F401  -- import fully before plotly looks it up from several session threads
import plotly.graph_objects as go
from plotly.colors import qualitative

from playground.core.losses import decision_threshold
from playground.data.points import FEATURES
from playground.live.raster import colorize, hex_rgb, png_uri

ORANGE, BLUE = "#f59322", "#0877bd"
NEUTRAL = "#e8eaeb"
CLASS_COLORS: list[str] = [ORANGE, BLUE, "#2e9e4f", "#c2185b", "#7e57c2", "#8d6e63"]
COLORSCALE = [[0.0, ORANGE], [0.5, NEUTRAL], [1.0, BLUE]]
# Figures cannot carry plotly's config; pass this as st.plotly_chart(config=...).
PLOTLY_CONFIG = {"displaylogo": False, "displayModeBar": "hover"}

_FONT = {"family": "Helvetica Neue, Helvetica, Arial, sans-serif", "size": 11, "color": "#555"}
_MODEBAR_REMOVE = ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"]
_BACKGROUND = (247, 247, 247)

# Network view geometry, in node widths: column pitch, nodes that fit a column at
# full size (a longer column shrinks its nodes to the same total height), node pitch.
_COLUMN_GAP, _COLUMN_CAP, _NODE_PITCH = 3.0, 8, 1.35
_LABEL_WIDTH = 1.9  # room left of the inputs for feature names
_EDGE_BINS = 6  # edges drawn as _EDGE_BINS widths x 2 signs line traces
_EDGE_HOVER_AT = 0.4142  # fraction along an edge; t/(1-t) ~ 1/sqrt(2) avoids shared points
TINTS = 5  # confidence levels of a multiclass output plane
# Each node's heatmap is drawn from at most NODE_CELLS x NODE_CELLS grid points (TFP
# uses 10 x 10) as a PNG the browser scales smoothly: a 6x8 network has 56 nodes, and
# 50 x 50 doubles each made the figure 1.8 MB per live redraw.
NODE_CELLS = 16


def _mix(c0: str, c1: str, t: float) -> str:
    r, g, b = (1 - t) * hex_rgb(c0) + t * hex_rgb(c1)
    return f"rgb({r:.0f},{g:.0f},{b:.0f})"


def _fmt(v: float) -> str:
    """Four decimals, or scientific notation where that would print 0.0000."""
    return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 else f"{v:.3e}"


def _layout(fig: go.Figure, uirevision: str, height: int, **kwargs) -> go.Figure:
    clear = "rgba(0,0,0,0)"
    base = {
        "template": "none", "height": height, "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": _FONT, "uirevision": uirevision, "paper_bgcolor": clear, "plot_bgcolor": clear,
        "modebar": {"remove": _MODEBAR_REMOVE, "bgcolor": clear},
        "hoverlabel": {"bgcolor": "white", "bordercolor": "#999", "font": {"size": 11, "color": "#333"}},
    }  # fmt: skip
    fig.update_layout(**{**base, **kwargs})  # kwargs win
    return fig


def node_range(values: np.ndarray, activation: str | None) -> tuple[float, float]:
    """Colour range of a node: 0..1 for sigmoid/softmax, -1..1 for tanh, otherwise
    symmetric about 0 (inputs by their own extent, other layers at least -1..1)."""
    if activation in ("sigmoid", "softmax"):
        return 0.0, 1.0
    if activation == "tanh":
        return -1.0, 1.0
    finite = np.abs(values[np.isfinite(values)])
    r = float(finite.max(initial=0.0))
    r = max(r, 1e-6) if activation is None else max(r, 1.0)
    return -r, r


def node_columns(task, grid: dict, layers: list[dict]) -> list[dict]:
    """One dict per column of the network view: values (n*n, k), names, colours."""
    names = [f for f in FEATURES if f in task.config.features]  # grid columns are in FEATURES order
    acts = [*task.config.layer_activations(), task.arch.output_activation]
    cols = [{"values": np.asarray(grid["inputs"], float), "act": None, "header": "features", "names": names}]
    blocks = [*grid["hidden"], grid["output"]]
    for i, (block, act) in enumerate(zip(blocks, acts)):
        values = np.asarray(block, float)
        k, last = values.shape[1], i == len(blocks) - 1
        header = "output" if last else f"{k} neuron{'s' * (k > 1)}"
        bias = np.asarray(layers[i]["bias"], float) if i < len(layers) else np.zeros(k)
        label = "output" if last else f"layer {i + 1} neuron"
        hover = [f"{label} {j} ({act})<br>bias {_fmt(bias[j])}" for j in range(k)]
        classes = last and k > 1  # one output per class: tint each by its class colour
        cols.append({"values": values, "act": act, "header": header, "names": hover, "classes": classes})
    return cols


def _edges(xs, ys, sizes, layers, grads, use_grads: bool) -> list[go.Scatter]:
    """Edge line traces (one per width bin and sign) and the invisible edge hover trace.

    xs, ys, sizes: column x, node y (top first) and node size per column.
    """
    seg, values, hover = [], [], []
    for i in range(len(xs) - 1):
        w = np.asarray(layers[i]["kernel"], float)
        g = np.asarray(grads[i]["kernel"], float) if grads is not None else None
        a, b = np.divmod(np.arange(w.size), w.shape[1])  # kernel[a, b], row-major
        x0, x1 = xs[i] + sizes[i] / 2, xs[i + 1] - sizes[i + 1] / 2
        seg.append(np.stack([np.full(a.size, x0), ys[i][a], np.full(a.size, x1), ys[i + 1][b]], 1))
        values.append((g if use_grads else w).ravel())
        for aa, bb, ww, gg in zip(a, b, w.ravel(), (g.ravel() if g is not None else [None] * a.size)):
            extra = "" if gg is None else f" (gradient {_fmt(gg)})"
            hover.append(f"w[layer {i + 1}] {aa}→{bb} = {_fmt(ww)}{extra}")
    seg = np.concatenate(seg) if seg else np.zeros((0, 4))
    v = np.concatenate(values) if values else np.zeros(0)
    top = float(np.abs(v[np.isfinite(v)]).max(initial=0.0))
    # Weights on an absolute scale (thin while small, as in TFP); gradients relative to the largest.
    scale = max(top, 1.0) if not use_grads else (top or 1.0)
    bins = np.minimum((np.nan_to_num(np.abs(v)) / scale * _EDGE_BINS).astype(int), _EDGE_BINS - 1)
    # Thinner, fainter lines where wide layers would otherwise paint a solid block.
    density = min(1.0, (_COLUMN_CAP / max(len(y) for y in ys)) ** 0.5)
    traces = []
    for positive, color in ((False, ORANGE), (True, BLUE)):
        for k in range(_EDGE_BINS):
            m = (bins == k) & ((v > 0) == positive)
            if not m.any():
                continue
            pts = np.full((m.sum(), 3, 2), np.nan)  # (x0, y0), (x1, y1), gap
            pts[:, 0], pts[:, 1] = seg[m, 0:2], seg[m, 2:4]
            xy = np.where(np.isnan(pts), None, pts.astype(object)).reshape(-1, 2)
            line = {"color": color, "width": (0.6 + 1.1 * k) * density}
            traces.append(
                go.Scatter(
                    x=xy[:, 0], y=xy[:, 1], mode="lines", line=line, opacity=(0.3 + 0.12 * k) * density,
                    hoverinfo="skip", showlegend=False, name=f"{'+' if positive else '-'}{k}",
                )
            )  # fmt: skip
    # Hover points a little before the middle: crossing edges a→b and b→a share their midpoint.
    t = _EDGE_HOVER_AT
    hx, hy = (1 - t) * seg[:, 0] + t * seg[:, 2], (1 - t) * seg[:, 1] + t * seg[:, 3]
    marker = {"size": 8, "opacity": 0}
    hover_trace = go.Scatter(
        x=hx, y=hy, mode="markers", marker=marker, hovertext=hover, hoverinfo="text", showlegend=False,
        name="edges",
    )  # fmt: skip
    return [*traces, hover_trace]


def network_figure(
    task,
    grid: dict,
    layers: list[dict],
    grads: list[dict] | None = None,
    show: str = "weights",
    uirevision: str = "network",
    height: int = 420,
) -> go.Figure:
    """TensorFlow Playground's network view: every neuron a heatmap over the input plane.

    Args:
      task: engine.Task (features, hidden widths, activations, output width).
      grid: `grid.evaluate_grid` output: "axis" (n,), "inputs" (n*n, n_features),
        "hidden" [(n*n, units), ...], "output" (n*n, n_out).
      layers: `models.params_to_layers` output, kernels (in, out).
      grads: the same layout holding gradients, or None.
      show: "weights" or "gradients": which numbers set edge colour and width
        (weights when grads is None).

    Returns:
      A figure with, in order: up to 2 x _EDGE_BINS edge line traces, one invisible
      edge hover trace ("edges") and one invisible node hover trace ("nodes"); every
      node's heatmap is a PNG in `layout.images` (inputs, hidden, outputs, top first),
      drawn above the edges. Pictures, not heatmap traces: the browser redraws 60 of
      them in a few milliseconds where Plotly paints 60 heatmaps cell by cell.
    """
    n = len(np.asarray(grid["axis"]))
    sub = downsample(n, NODE_CELLS)
    cols = node_columns(task, grid, layers)
    counts = [c["values"].shape[1] for c in cols]
    sizes = [min(1.0, _COLUMN_CAP / k) for k in counts]
    # Deep networks are wide: bring columns closer so the nodes stay large.
    gap = _COLUMN_GAP - 0.15 * min(max(len(cols) - 5, 0), 5)
    xs = [i * gap for i in range(len(cols))]
    ys = [(np.arange(k)[::-1] - (k - 1) / 2) * s * _NODE_PITCH for k, s in zip(counts, sizes)]

    # Edges first, so the node heatmaps are drawn over their ends.
    fig = go.Figure(_edges(xs, ys, sizes, layers, grads, show == "gradients" and grads is not None))
    node_x, node_y, node_text, annotations, shapes, images = [], [], [], [], [], []
    for c, col in enumerate(cols):
        s = sizes[c]
        for j in range(counts[c]):
            full = col["values"][:, j].reshape(n, n)
            zmin, zmax = node_range(full, col["act"])
            stops = [NEUTRAL, CLASS_COLORS[j % 6]] if col.get("classes") else [ORANGE, NEUTRAL, BLUE]
            pixels = colorize(full[np.ix_(sub[::-1], sub)], zmin, zmax, stops)  # grid row 0 is the bottom
            images.append(
                {"source": png_uri(pixels), "xref": "x", "yref": "y", "x": xs[c] - s / 2,
                 "y": ys[c][j] + s / 2, "sizex": s, "sizey": s, "sizing": "stretch", "xanchor": "left",
                 "yanchor": "top", "layer": "above", "name": f"node {c}.{j}"}
            )  # fmt: skip
            shapes.append(
                {"type": "rect", "x0": xs[c] - s / 2, "x1": xs[c] + s / 2, "y0": ys[c][j] - s / 2,
                 "y1": ys[c][j] + s / 2, "line": {"color": "#bbb", "width": 0.5}, "layer": "above",
                 "fillcolor": "rgba(0,0,0,0)", "opacity": 1}
            )  # fmt: skip
            node_x.append(xs[c])
            node_y.append(ys[c][j])
            node_text.append(col["names"][j])
            if c == 0:
                annotations.append(
                    {"x": xs[0] - s / 2 - 0.12, "y": ys[0][j], "text": col["names"][j], "xanchor": "right",
                     "showarrow": False, "font": {"size": 11, "color": "#444"}}
                )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=node_x, y=node_y, mode="markers", marker={"size": 14, "opacity": 0}, hovertext=node_text,
            hoverinfo="text", showlegend=False, name="nodes",
        )
    )  # fmt: skip

    half = max(k * s * _NODE_PITCH for k, s in zip(counts, sizes)) / 2
    for c, col in enumerate(cols):
        annotations.append(
            {"x": xs[c], "y": half + 0.05, "text": col["header"], "yanchor": "bottom", "showarrow": False,
             "font": {"size": 10, "color": "#777"}}
        )  # fmt: skip
    _layout(
        fig,
        uirevision,
        height,
        annotations=annotations,
        shapes=shapes,
        images=images,
        showlegend=False,
        hovermode="closest",
    )
    fig.update_xaxes(visible=False, range=[xs[0] - 0.5 - _LABEL_WIDTH, xs[-1] + 0.6])
    fig.update_yaxes(visible=False, range=[-half - 0.1, half + 0.6], scaleanchor="x", scaleratio=1)
    return fig


def _nice_step(span: float) -> float:
    """An integer tick step giving at most ~13 ticks over `span`."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if span / step <= 13:
            return step
    return 10 ** np.ceil(np.log10(span / 10))


def class_plane(out: np.ndarray, n_classes: int, softmax: bool, discretize: bool):
    """Multiclass plane: (z codes class * TINTS + tint, colorscale, customdata (n, n, 2))."""
    cls = out.argmax(-1)
    top = np.take_along_axis(out, cls[..., None], -1)[..., 0]
    if softmax:
        conf = (top - 1 / n_classes) / (1 - 1 / n_classes)
    else:  # margin between the two largest outputs
        conf = top - np.sort(out, -1)[..., -2]
    conf = np.clip(np.nan_to_num(conf), 0, 1)
    tint = np.minimum((conf * TINTS).astype(int), TINTS - 1)
    if discretize:
        tint[:] = TINTS - 1
    n_codes = n_classes * TINTS
    scale = []
    for code in range(n_codes):
        color = _mix("#ffffff", CLASS_COLORS[code // TINTS % 6], 0.25 + 0.6 * (code % TINTS) / (TINTS - 1))
        scale += [[code / n_codes, color], [(code + 1) / n_codes, color]]
    return cls * TINTS + tint, scale, np.stack([cls, top], -1)


def output_figure(
    task,
    grid: dict,
    show_test: bool = False,
    discretize: bool = False,
    uirevision: str = "output",
    height: int = 420,
    click_grid: int = 0,
) -> go.Figure:
    """The output over the input plane with the data points on top.

    With click_grid=n, an invisible n x n grid of markers (trace "click") lies over the
    plane: Plotly reports clicks on scatter points, not on heatmap cells, so this is
    what lets a click on the plane name a position.

    Binary (one output): the output value (sigmoid 0..1, otherwise -1..1), or the
    two classes when discretized. Several outputs: the argmax class's colour, tinted
    by confidence unless discretized. Regression: the value, -r..r with r at least 1.

    Returns:
      A figure: one heatmap (z (n, n), rows x2, columns x1), then a "train" scatter
      and, with show_test, a "test" scatter (dark outline). A smooth (not discretized,
      not multiclass) plane is drawn by a PNG in `layout.images` ("plane"); its heatmap is then invisible
      (opacity 0) and only gives the hover values.
    """
    axis = np.asarray(grid["axis"], float)
    n = len(axis)
    out = np.asarray(grid["output"], float).reshape(n, n, -1)
    data, act = task.data, task.arch.output_activation
    y_train, y_test = np.asarray(data.y_train, float), np.asarray(data.y_test, float)
    regression = data.task == "regression"
    r = max(1.0, float(np.abs(np.concatenate([y_train, y_test])).max(initial=0.0))) if regression else 1.0
    opacity = 0.85
    heat = {"x": axis, "y": axis, "showscale": False, "opacity": opacity}
    hover = "x1 %{x:.2f}, x2 %{y:.2f}<br>"
    picture = None
    if out.shape[-1] > 1 and not regression:
        z, scale, custom = class_plane(out, out.shape[-1], act == "softmax", discretize)
        heat.update(
            z=z.astype(np.int16),
            colorscale=scale,
            zmin=-0.5,
            zmax=out.shape[-1] * TINTS - 0.5,
            customdata=custom.astype(np.float32),
            hovertemplate=hover + "class %{customdata[0]} (%{customdata[1]:.3f})<extra></extra>",
        )
    else:
        z = out[..., 0]
        lo, hi = (0.0, 1.0) if act == "sigmoid" and not regression else (-r, r)
        if discretize:
            z = np.where(z > (0.0 if regression else decision_threshold(act)), hi, lo)
        heat.update(
            z=z.astype(np.float32),
            colorscale=COLORSCALE,
            zmin=lo,
            zmax=hi,
            zsmooth=False,
            hovertemplate=hover + "output %{z:.3f}<extra></extra>",
        )
        if not discretize:
            # Smooth as TFP's canvas: a picture the browser scales (zsmooth="best" costs ~20 ms
            # per redraw in Plotly); the heatmap stays, invisible, for its hover values.
            picture = colorize(z[::-1], lo, hi, [ORANGE, NEUTRAL, BLUE])  # top row: the largest x2
            heat["opacity"] = 0
    fig = go.Figure(go.Heatmap(**heat))
    if picture is not None:
        d = (axis[-1] - axis[0]) / max(n - 1, 1)
        fig.add_layout_image(
            source=png_uri(picture), xref="x", yref="y", x=axis[0] - d / 2, y=axis[-1] + d / 2, sizex=n * d,
            sizey=n * d, sizing="stretch", xanchor="left", yanchor="top", layer="below", opacity=opacity,
            name="plane",
        )  # fmt: skip
    # White rims as TFP; on a regression plane a value near 0 is nearly white, so grey there.
    sets = [("train", data.x_train, y_train, "#999" if regression else "white")]
    if show_test:
        sets.append(("test", data.x_test, y_test, "#222"))
    for name, x, y, outline in sets:
        x = np.asarray(x, float).reshape(-1, 2)
        if regression:
            marker = {"color": y, "colorscale": COLORSCALE, "cmin": -r, "cmax": r}
        else:
            marker = {"color": [CLASS_COLORS[int(k) % 6] for k in y]}
        marker.update(size=6, line={"color": outline, "width": 1})
        fig.add_trace(
            go.Scatter(
                x=x[:, 0], y=x[:, 1], mode="markers", name=name, marker=marker, customdata=y,
                hovertemplate=f"{name} (%{{x:.2f}}, %{{y:.2f}})<br>label %{{customdata:.3g}}<extra></extra>",
            )
        )  # fmt: skip
    if click_grid:
        cx, cy = np.meshgrid(*(np.linspace(axis[0], axis[-1], click_grid, dtype=np.float32),) * 2)
        fig.add_trace(
            go.Scatter(
                x=cx.ravel(), y=cy.ravel(), mode="markers", name="click", showlegend=False,
                marker={"size": 400 / click_grid, "opacity": 0},
                hovertemplate="add (%{x:.2f}, %{y:.2f})<extra></extra>",
            )
        )  # fmt: skip
    _layout(
        fig, uirevision, height, showlegend=show_test, hovermode="closest",
        margin={"l": 8, "r": 8, "t": 26 if show_test else 8, "b": 8},
        legend={"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom", "font": {"size": 10}},
    )  # fmt: skip
    step = _nice_step(axis[-1] - axis[0])
    ticks = {"dtick": step, "tick0": 0, "ticks": "outside", "mirror": True}
    ticks.update(showgrid=False, zeroline=False)
    fig.update_xaxes(range=[axis[0], axis[-1]], constrain="domain", **ticks)
    fig.update_yaxes(range=[axis[0], axis[-1]], constrain="domain", scaleanchor="x", scaleratio=1, **ticks)
    return fig


# Points drawn per loss line: about one per pixel of a chart column; more only
# grows every live redraw's payload (4 lines x 2000 doubles was 180 KB).
MAX_LINE_POINTS = 500


def downsample(n: int, limit: int = MAX_LINE_POINTS) -> np.ndarray:
    """Indices to draw: all when n <= limit, else `limit` evenly spaced ones, first and last kept."""
    if n <= limit:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, limit).round().astype(int))


def loss_figure(history: dict, log_y: bool = False, uirevision: str = "loss", height: int = 260) -> go.Figure:
    """Train and test loss per epoch; accuracy, when recorded, on a right 0..1 axis (dotted).

    Args:
      history: "epoch" list and "train_loss", "test_loss" (optionally "train_accuracy",
        "test_accuracy") lists of the same length; any may be empty or missing.
    """
    epochs = np.asarray(history.get("epoch", []), float)
    # A browser redraws a few thousand points per line quickly; a 100k-epoch run would
    # stall every tick, so long histories are thinned for drawing (hover then shows
    # the exact values of the drawn epochs).
    idx = downsample(len(epochs))
    fig = go.Figure()
    styles = [
        ("train_loss", "train loss", "#777", "solid", "y"),
        ("test_loss", "test loss", "#111", "solid", "y"),
        ("train_accuracy", "train accuracy", "#777", "dot", "y2"),
        ("test_accuracy", "test accuracy", "#111", "dot", "y2"),
    ]
    has_accuracy = False
    for key, name, color, dash, yaxis in styles:
        y = np.asarray(history.get(key, []), float)
        if len(y) == 0 or len(y) != len(epochs):
            continue
        has_accuracy |= yaxis == "y2"
        fig.add_trace(
            go.Scatter(
                x=epochs[idx].astype(np.int32), y=y[idx].astype(np.float32), name=name, mode="lines",
                yaxis=yaxis,
                line={"color": color, "dash": dash, "width": 1.6}, hovertemplate="%{y:.5g}",
            )
        )  # fmt: skip
    _layout(
        fig, uirevision, height, hovermode="x unified", margin={"l": 8, "r": 8, "t": 44, "b": 8},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 10}},
    )  # fmt: skip
    fig.update_xaxes(title_text="epoch", showgrid=False)
    fig.update_yaxes(title_text="loss", type="log" if log_y else "linear", showgrid=True, gridcolor="#eee")
    if has_accuracy:
        fig.update_layout(
            yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.02], "tickformat": ".0%",
                    "tickvals": [0, 0.25, 0.5, 0.75, 1.0],
                    "title": {"text": "accuracy"}, "showgrid": False}
        )  # fmt: skip
    return fig


def weights_figure(layers: list[dict], uirevision: str = "weights", height: int = 220) -> go.Figure:
    """Overlaid histograms of each layer's kernel values, named 'layer i (in×out)'."""
    fig = go.Figure()
    palette = qualitative.Safe
    kernels = [np.asarray(layer["kernel"], float) for layer in layers]
    finite = np.concatenate([w[np.isfinite(w)] for w in kernels]) if kernels else np.zeros(0)
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    # One set of bins for every layer, so overlaid bars line up.
    bins = {"start": lo, "end": hi + 1e-9, "size": max(hi - lo, 1e-6) / 40}
    for i, w in enumerate(kernels):
        fig.add_trace(
            go.Histogram(
                x=w.ravel(), name=f"layer {i + 1} ({w.shape[0]}×{w.shape[1]})", opacity=0.55,
                marker_color=palette[i % len(palette)], xbins=bins,
            )
        )  # fmt: skip
    _layout(
        fig, uirevision, height, barmode="overlay", margin={"l": 8, "r": 8, "t": 26, "b": 8},
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 10}},
    )  # fmt: skip
    fig.update_xaxes(title_text="weight", showgrid=False)
    fig.update_yaxes(title_text="count", showgrid=True, gridcolor="#eee")
    return fig


def dataset_thumbnail(points, labels, task: str, n_classes: int, size: int = 72) -> np.ndarray:
    """A (size, size, 3) uint8 picture of 2-D points in [-6, 6]^2 as 2-pixel dots.

    Classification colours by CLASS_COLORS[label]; regression by value, orange (-1)
    to blue (+1). Points outside the square or not finite are left out.
    """
    pts = np.asarray(points, float).reshape(-1, 2)
    lab = np.asarray(labels, float).ravel()
    img = np.empty((size, size, 3), np.uint8)
    img[:] = _BACKGROUND
    ok = np.isfinite(pts).all(1) & np.isfinite(lab) & (np.abs(pts) <= 6).all(1)
    pts, lab = pts[ok], lab[ok]
    if task == "regression":
        t = np.clip((lab + 1) / 2, 0, 1)[:, None]
        colors = (1 - t) * hex_rgb(ORANGE) + t * hex_rgb(BLUE)
    else:
        palette = np.stack([hex_rgb(c) for c in CLASS_COLORS])
        colors = palette[lab.astype(int) % len(CLASS_COLORS)]
    col = np.round((pts[:, 0] + 6) / 12 * (size - 2)).astype(int)
    row = np.round((6 - pts[:, 1]) / 12 * (size - 2)).astype(int)  # up is +x2
    for dr in (0, 1):
        for dc in (0, 1):
            img[row + dr, col + dc] = np.round(colors).astype(np.uint8)
    return img
