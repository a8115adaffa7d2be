"""Plotly builders for the Optimizer lab: test-function contours with trajectories and the
network-loss slice; and the results table's text. (The race itself is drawn by the live
view, playground/lab/race_view.py.)

Pure functions of arrays returning `go.Figure`s (no Streamlit), in figures.py's style.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.lab import race
from playground.live import figures

# One colour per contender, the same in every view of the lab: hues apart, each readable on light
# and dark backgrounds (3:1 on both; tests/test_live.py checks).
COLORS = ("#1c7ed6", "#e8590c", "#2f9e44", "#d6336c", "#7950f2", "#1098ad", "#b7791f", "#868e96")
_LEGEND = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "font": {"size": 11}}


DASH = "—"  # a cell with no value yet (the tables' placeholder too)


def color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def _last(history: dict, key: str) -> float | None:
    values = history.get(key) or []
    return float(values[-1]) if values and np.isfinite(values[-1]) else None


def _loss(value: float | None) -> str:
    return DASH if value is None else f"{value:.4g}"


def results_table(
    labels: list[str],
    histories: list[dict],
    statuses: list[str],
    group_of: list[int],
    group_seconds: list[float],
    target: float | None = None,
    key: str = "train_loss",
) -> list[dict]:
    """The lab's results table: one row per contender, its cells ready to show.

    Args:
      labels, histories: per contender, as `race.Race` holds them.
      statuses: per contender, `race.Race.status_names()`.
      group_of: per contender, the index of its compiled group.
      group_seconds: per group, its training seconds.
      target: when given, a column with the first epoch whose `key` is ≤ target.

    Returns:
      Rows with "contender", "group" (from 1), "epochs", "train loss", "test loss", "best test
      loss" (4 significant digits), "test accuracy" (classification: "66.4%"), the epochs to
      target ("not reached" once trained without reaching it), "group time (s)" and "status".
      A cell with no value yet reads DASH, never None or nan.
    """
    rows = []
    for name, h, status, g in zip(labels, histories, statuses, group_of):
        test = np.asarray(h.get("test_loss", []), float)
        test = test[np.isfinite(test)]
        row = {
            "contender": name,
            "group": int(g) + 1,
            "epochs": len(h["epoch"]),
            "train loss": _loss(_last(h, "train_loss")),
            "test loss": _loss(_last(h, "test_loss")),
            "best test loss": _loss(float(test.min()) if test.size else None),
        }
        if "test_accuracy" in h:
            acc = _last(h, "test_accuracy")
            row["test accuracy"] = DASH if acc is None else f"{100 * acc:.1f}%"
        if target is not None:
            hit = race.epochs_to_reach(h, target, key)
            text = str(hit) if hit is not None else "not reached" if h["epoch"] else DASH
            row[f"epochs to {key.replace('_', ' ')} ≤ {target:g}"] = text
        row["group time (s)"] = round(float(group_seconds[g]), 3)
        row["status"] = status
        rows.append(row)
    return rows


def _levels(z: np.ndarray, log: bool, floor: float):
    """Values to contour: log10(z - floor + small) for steep functions, else z."""
    if not log:
        return z, "value"
    return np.log10(np.maximum(z - floor, 0) + 1e-3), "log10(f − min)"


def landscape_figure(
    fn,
    surface: dict,
    paths: np.ndarray,
    labels: list[str],
    upto: int | None = None,
    click_grid: int = 0,
    uirevision: str = "landscape",
    height: int = 520,
) -> go.Figure:
    """A test function's contours with each contender's path up to a step.

    The page replays the paths with a step slider of its own: plotly's client-side animation
    (frames, or slider steps that restyle) did not survive Streamlit's chart redraws.

    Args:
      fn: the landscape.TestFunction (minima, saddles, log_levels).
      surface: `landscape.surface` output: "x" (n,), "y" (m,), "z" (m, n).
      paths: (K, T, 2) positions, the start first.
      labels: one per path.
      upto: draw the paths up to this step (default: all of them).
      click_grid: when > 0, an invisible click_grid x click_grid grid of points named
        "start here" is drawn, so a click (a point selection) picks a start.

    Returns:
      A figure whose traces are: the contour, the "minimum" markers, the optional "start here"
      grid, then per contender a path line "LABEL" and its position at `upto`, "LABEL now".
    """
    z, title = _levels(np.asarray(surface["z"], float), fn.log_levels, fn.min_value)
    paths = np.asarray(paths, float)
    t = paths.shape[1] - 1 if upto is None else int(np.clip(upto, 0, paths.shape[1] - 1))
    fig = go.Figure(
        go.Contour(
            x=surface["x"], y=surface["y"], z=z, colorscale="Blues_r", ncontours=30, opacity=0.85,
            contours={"coloring": "heatmap", "showlines": True},
            line={"width": 0.5, "color": "rgba(0,0,0,0.25)"},
            colorbar={"title": {"text": title, "side": "right"}, "thickness": 10},
            hovertemplate="x %{x:.3f}, y %{y:.3f}<br>" + title + " %{z:.3g}<extra></extra>",
        )
    )  # fmt: skip
    marks = [*fn.minima, *fn.saddles]
    fig.add_trace(
        go.Scatter(
            x=[m[0] for m in marks], y=[m[1] for m in marks], mode="markers", name="minimum",
            marker={"symbol": ["star"] * len(fn.minima) + ["x"] * len(fn.saddles), "size": 13,
                    "color": "#ffd700", "line": {"color": "#333", "width": 1}},
            hovertemplate="%{x:.3f}, %{y:.3f}<extra>minimum or saddle</extra>",
        )
    )  # fmt: skip
    if click_grid:
        gx, gy = np.meshgrid(np.linspace(*fn.x_range, click_grid), np.linspace(*fn.y_range, click_grid))
        fig.add_trace(
            go.Scatter(
                x=gx.ravel(), y=gy.ravel(), mode="markers", name="start here", showlegend=False,
                marker={"size": 14, "opacity": 0}, customdata=np.asarray(fn.fn(gx, gy), float).ravel(),
                hovertemplate="x %{x:.2f}, y %{y:.2f}<br>f %{customdata:.4g}<extra>click: start here</extra>",
            )
        )  # fmt: skip
    for i, name in enumerate(labels):
        p = paths[i, : t + 1]
        fig.add_trace(go.Scatter(
            x=p[:, 0], y=p[:, 1], mode="lines", name=name, legendgroup=name,
            line={"color": color(i), "width": 2},
            hovertemplate=f"{name}<br>%{{x:.3f}}, %{{y:.3f}}<extra></extra>",
        ))  # fmt: skip
        fig.add_trace(go.Scatter(
            x=p[-1:, 0], y=p[-1:, 1], mode="markers", name=f"{name} now", legendgroup=name, showlegend=False,
            marker={"color": color(i), "size": 9, "line": {"color": "white", "width": 1}},
            hovertemplate=f"{name} at step {t}<br>%{{x:.3f}}, %{{y:.3f}}<extra></extra>",
        ))  # fmt: skip
    figures._layout(fig, uirevision, height, hovermode="closest", legend=_LEGEND,
                    margin={"l": 8, "r": 8, "t": 30, "b": 8})  # fmt: skip
    fig.update_xaxes(range=list(fn.x_range), title_text="x", showgrid=False, zeroline=False)
    fig.update_yaxes(range=list(fn.y_range), title_text="y", showgrid=False, zeroline=False,
                     scaleanchor="x", scaleratio=1)  # fmt: skip
    return fig


def slice_figure(
    sl: dict,
    coords: np.ndarray | None = None,
    epochs: np.ndarray | None = None,
    label: str = "training path",
    path_color: str = COLORS[1],
    axis_titles: tuple[str, str] = ("direction 1", "direction 2"),
    log: bool = True,
    uirevision: str = "slice",
    height: int = 480,
) -> go.Figure:
    """The network's loss on a plane through its current weights, with the training path.

    Args:
      sl: `landscape.loss_slice` output: "a" (n,), "b" (n,), "z" (n, n) rows b.
      coords: (T, 2) the path projected onto the plane (`landscape.project`), or None.
      epochs: (T,) the epoch of each path point (hover text).

    Returns:
      A figure: the contour, a "current weights" marker at the origin and, with coords,
      the path line named `label`.
    """
    z = np.asarray(sl["z"], float)
    shown = np.log10(np.maximum(z, 1e-8)) if log else z
    title = "log10 train loss" if log else "train loss"
    fig = go.Figure(
        go.Contour(
            x=sl["a"], y=sl["b"], z=shown, colorscale="Viridis", ncontours=30,
            contours={"coloring": "heatmap", "showlines": True},
            line={"width": 0.5, "color": "rgba(0,0,0,0.3)"},
            colorbar={"title": {"text": title, "side": "right"}, "thickness": 10}, customdata=z,
            hovertemplate="a %{x:.3f}, b %{y:.3f}<br>train loss %{customdata:.4g}<extra></extra>",
        )
    )  # fmt: skip
    if coords is not None and len(coords):
        coords = np.asarray(coords, float)
        text = [f"epoch {int(e)}" for e in (epochs if epochs is not None else range(len(coords)))]
        fig.add_trace(
            go.Scatter(
                x=coords[:, 0], y=coords[:, 1], mode="lines+markers", name=label, text=text,
                line={"color": path_color, "width": 2}, marker={"size": 5, "color": path_color},
                hovertemplate="%{text}<br>a %{x:.3f}, b %{y:.3f}<extra></extra>",
            )
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=[0.0], y=[0.0], mode="markers", name="current weights",
            marker={"symbol": "star", "size": 14, "color": "#ffd700", "line": {"color": "#333", "width": 1}},
            hovertemplate="current weights<extra></extra>",
        )
    )  # fmt: skip
    figures._layout(fig, uirevision, height, hovermode="closest", legend=_LEGEND,
                    margin={"l": 8, "r": 8, "t": 30, "b": 8})  # fmt: skip
    a, b = np.asarray(sl["a"], float), np.asarray(sl["b"], float)
    fig.update_xaxes(range=[a[0], a[-1]], title_text=axis_titles[0], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[b[0], b[-1]], title_text=axis_titles[1], showgrid=False, zeroline=False)
    return fig
