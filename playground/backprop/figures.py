"""Figures of the backprop walk-through: the network with the current sub-step lit up,
and the loss falling over repeated steps. Pure functions of a `backprop.Trace` and
its `steps.Substep`s, returning Plotly figures; no Streamlit here.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from playground.backprop.steps import Substep
from playground.backprop.steps import plain as num
from playground.backprop.trace import Trace
from playground.live.figures import BLUE, ORANGE, _layout

FOCUS, READ, GRAD = "#d62728", "#222222", "#9c27b0"  # current neuron, weights read, gradients computed
LEGEND = (
    "Red ring: the neuron of this sub-step · dark edges: weights it reads · purple edges: weights whose "
    "gradient or update it computes · ∇: a gradient · w→w': an update · blue/orange: positive/negative weight"
)
LABEL_EDGES = 40  # edge numbers are written on networks with at most this many edges
LABEL_NODES = 16  # node numbers are written on columns with at most this many neurons


def _known(steps: list[Substep], index: int) -> dict:
    """What sub-steps 0..index have computed: neurons with a, with delta; edges with gradient, updated."""
    done = {"a": set(), "delta": set(), "grad": set(), "updated": set(), "loss": False}
    for s in steps[: index + 1]:
        if s.phase == "forward":
            done["a"].add((s.layer, s.neuron))
        elif s.phase == "error":
            done["loss"] = True
        elif s.phase == "backward":
            done["delta"].add((s.layer, s.neuron))
            done["grad"].update(s.grad_edges)
        else:
            done["updated"].update(s.grad_edges)
            done["updated"].add(("bias", s.layer, s.neuron))
    return done


def _positions(widths: list[int]) -> tuple[list[float], list[np.ndarray]]:
    xs = [float(c) for c in range(len(widths))]
    pitch = 1.0 if max(widths) <= 8 else 8.0 / max(widths)
    ys = [(np.arange(k)[::-1] - (k - 1) / 2) * pitch for k in widths]
    return xs, ys


def trace_figure(
    t: Trace, steps: list[Substep], index: int, height: int | None = None, uirevision: str = "bp"
) -> go.Figure:
    """The traced network with sub-step `index` highlighted.

    Nodes show their activation a once the forward pass has reached them and their
    delta once the backward pass has; edges show their weight, its gradient once
    computed and its new value once updated. The current step's neuron is red, the
    weights it reads dark, the weights whose gradient or update it computes purple.

    Returns:
      A figure with, in order: the edge line traces, "read" and "grad" highlight traces,
      the node trace ("nodes") and the current-neuron trace ("focus").
    """
    step = steps[index]
    done = _known(steps, index)
    widths = t.widths
    xs, ys = _positions(widths)
    n_edges = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    fig = go.Figure()
    annotations = []

    # Edges: plain ones by sign, faint; then the highlighted ones on top.
    plain = {True: ([], []), False: ([], [])}
    lit = {"read": ([], []), "grad": ([], [])}
    read, grad = set(step.edges), set(step.grad_edges)
    for layer in range(1, len(widths)):
        w = t.layers[layer - 1]["kernel"]
        for i in range(widths[layer - 1]):
            for j in range(widths[layer]):
                key = (layer, i, j)
                x0, y0, x1, y1 = xs[layer - 1], ys[layer - 1][i], xs[layer], ys[layer][j]
                bucket = lit["grad"] if key in grad else lit["read"] if key in read else plain[w[i, j] > 0]
                bucket[0].extend([x0, x1, None])
                bucket[1].extend([y0, y1, None])
                if n_edges <= LABEL_EDGES or key in read or key in grad:
                    text = num(w[i, j])
                    if key in done["updated"]:
                        text = f"{num(w[i, j])}→{num(t.layers_after[layer - 1]['kernel'][i, j])}"
                    elif key in done["grad"]:
                        text += f"  ∇{num(t.grads[layer - 1]['kernel'][i, j])}"
                    f = 0.36  # near the source: crossing edges meet in the middle
                    hot = key in read or key in grad
                    annotations.append(
                        {
                            "x": x0 + f * (x1 - x0),
                            "y": y0 + f * (y1 - y0),
                            "text": text,
                            "showarrow": False,
                            "font": {
                                "size": 11 if hot else 10,
                                "color": GRAD if key in grad else READ if hot else "#777",
                            },
                            "bgcolor": "rgba(255,255,255,0.85)",
                        }
                    )
    for positive, (ex, ey) in plain.items():
        fig.add_trace(
            go.Scatter(
                x=ex,
                y=ey,
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                opacity=0.35,
                line={"color": BLUE if positive else ORANGE, "width": 1.5},
                name="edges",
            )
        )
    for name, color in (("read", READ), ("grad", GRAD)):
        ex, ey = lit[name]
        fig.add_trace(
            go.Scatter(
                x=ex,
                y=ey,
                mode="lines",
                hoverinfo="skip",
                showlegend=False,
                line={"color": color, "width": 3.5},
                name=name,
            )
        )

    # Nodes.
    nx, ny, text, hover, fill, border = [], [], [], [], [], []
    lit_nodes = set(step.nodes)
    for c, k in enumerate(widths):
        for j in range(k):
            nx.append(xs[c])
            ny.append(ys[c][j])
            text.append(f"x{j + 1}" if c == 0 else str(j + 1))
            on = (c, j) in lit_nodes
            fill.append("#fff3cd" if on else "white")
            border.append(READ if on else "#999")
            lines = []
            if c == 0:
                lines.append(f"x = {num(t.x[0, j])}")
            else:
                if (c, j) in done["a"]:
                    lines.append(f"a = {num(t.a[c - 1][0, j])}")
                if (c, j) in done["delta"]:
                    lines.append(f"<span style='color:{FOCUS}'>δ = {num(t.deltas[c - 1][0, j])}</span>")
            hover.append(
                "inputs"
                if c == 0
                else f"layer {c} neuron {j + 1}: z {t.z[c - 1][0, j]:.6g}, a {t.a[c - 1][0, j]:.6g}"
            )
            if k <= LABEL_NODES and lines:
                annotations.append(
                    {
                        "x": xs[c],
                        "y": ys[c][j] + 0.2,
                        "text": "<br>".join(lines),
                        "showarrow": False,
                        "yanchor": "bottom",
                        "font": {"size": 11, "color": "#333"},
                    }
                )
    size = 30 if max(widths) <= 8 else max(10, int(240 / max(widths)))
    fig.add_trace(
        go.Scatter(
            x=nx,
            y=ny,
            mode="markers+text",
            text=text,
            textfont={"size": 11, "color": "#333"},
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            name="nodes",
            marker={"size": size, "color": fill, "line": {"color": border, "width": 1.5}},
        )
    )
    if step.neuron is not None:
        c, j = step.layer, step.neuron
        fig.add_trace(
            go.Scatter(
                x=[xs[c]],
                y=[ys[c][j]],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                name="focus",
                marker={"size": size + 8, "color": "rgba(0,0,0,0)", "line": {"color": FOCUS, "width": 3.5}},
            )
        )

    # Targets beside the outputs, the loss once known, and column headers.
    top = max(float(y.max()) for y in ys)
    for j in range(widths[-1]):
        annotations.append(
            {
                "x": xs[-1] + 0.12,
                "y": ys[-1][j],
                "text": f"target {num(t.y[0, j])}",
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 11, "color": "#555"},
            }
        )
    if done["loss"]:
        annotations.append(
            {
                "x": xs[-1] + 0.12,
                "y": -top - 0.38,
                "text": f"<b>E = {num(t.loss)}</b>",
                "showarrow": False,
                "xanchor": "left",
                "font": {"size": 12, "color": FOCUS},
            }
        )
    for c in range(len(widths)):
        header = "inputs" if c == 0 else ("output" if c == len(widths) - 1 else f"layer {c}")
        if c:
            header += f" · {t.activations[c - 1]}"
        annotations.append(
            {
                "x": xs[c],
                "y": top + 0.55,
                "text": header,
                "showarrow": False,
                "font": {"size": 11, "color": "#777"},
            }
        )
    height = height or int(min(640, max(380, 120 * min(max(widths), 8) + 130)))
    _layout(fig, uirevision, height, annotations=annotations, showlegend=False, hovermode="closest")
    fig.update_xaxes(visible=False, range=[-0.35, xs[-1] + 0.75])
    fig.update_yaxes(visible=False, range=[-top - 0.5, top + 0.8])
    return fig


def repeat_figure(losses, log_y: bool = False, height: int = 240) -> go.Figure:
    """The loss on the example before (step 0) and after each repeated step."""
    losses = np.asarray(losses, float)
    fig = go.Figure(
        go.Scatter(
            x=np.arange(len(losses)), y=losses, mode="lines", name="loss", line={"color": BLUE, "width": 2}
        )
    )
    _layout(fig, "bp-repeat", height, showlegend=False, margin={"l": 50, "r": 10, "t": 10, "b": 40})
    fig.update_xaxes(title_text="step", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(
        title_text="loss on this example", type="log" if log_y else "linear", showgrid=True, gridcolor="#eee"
    )
    return fig
