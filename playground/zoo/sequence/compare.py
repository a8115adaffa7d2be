"""Cells side by side: the same task, data and settings trained with each recurrent cell, and for
each its test loss and how the loss's gradient reaches back through time (‖∂L/∂h_t‖ at every
step, averaged over test sequences). On a memory task a plain RNN's gradient vanishes going back
(or explodes) where an LSTM's stays level. No Streamlit.
"""

from __future__ import annotations

import time

import numpy as np

from playground.zoo.sequence import views
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.sequence.task import Session

CELLS = ("rnn", "lstm", "gru")
PROBES = 16  # test sequences the gradient norms are averaged over
MAX_EPOCHS = 2000


def compare(config: SeqConfig, epochs: int, text: str | None = None, on_cell=None) -> list[dict]:
    """Train each cell for `epochs` on `config`'s task (its other fields as given).

    Returns, per cell: {"cell", "epochs", "seconds", "test_loss", "score" (test accuracy, or the
    test MSE as a share of the targets' variance for regression), "grad" (T,) the mean
    ‖∂L/∂h_t‖ over PROBES test sequences}.

    Raises:
      ValueError: epochs out of 1..MAX_EPOCHS.
    """
    if not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs: from 1 to {MAX_EPOCHS}, got {epochs}")
    out = []
    for cell in CELLS:
        s = Session(config.replace(net=cell), text=text)
        start = time.perf_counter()
        done = s.step(epochs)
        seconds = time.perf_counter() - start
        h = s.history
        d = s.task.data
        if d.n_classes:
            score = h["test_accuracy"][-1] if h["epoch"] else None
        else:
            var = float(np.var(d.y_test))
            score = h["test_loss"][-1] / var if h["epoch"] and var > 0 else None
        grads = [
            views.hidden_gradient_norms(s.task, s.params, d.x_test[i], views.encoded_target(d, d.y_test[i]))
            for i in range(min(PROBES, len(d.x_test)))
        ]
        out.append(
            {
                "cell": cell,
                "epochs": done,
                "seconds": seconds,
                "test_loss": h["test_loss"][-1] if h["epoch"] else None,
                "score": score,
                "grad": np.mean(grads, axis=0),
            }
        )
        if on_cell:
            on_cell(cell)
    return out


COLORS = {"rnn": "#e8710a", "lstm": "#1967d2", "gru": "#188038"}


def rows(results: list[dict], regression: bool) -> list[dict]:
    """The comparison as table rows: per cell its epochs, time, test loss and score, and the
    gradient at the first step (what a memory task needs to reach) and its smallest."""
    score = "test MSE / variance" if regression else "test accuracy"
    return [
        {
            "cell": r["cell"],
            "epochs": r["epochs"],
            "seconds": round(r["seconds"], 1),
            "test loss": r["test_loss"],
            score: r["score"],
            "‖∂L/∂h‖ at step 0": float(r["grad"][0]),
            "smallest ‖∂L/∂h_t‖": float(np.min(r["grad"])),
        }
        for r in results
    ]


def figure(results: list[dict], config: SeqConfig):
    """‖∂L/∂h_t‖ over the steps for each cell, on a log axis (a vanishing gradient is a line
    falling toward the early steps)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for r in results:
        g = np.asarray(r["grad"], np.float64)
        fig.add_trace(
            go.Scatter(
                x=np.arange(len(g)),
                y=np.where(g > 0, g, np.nan),
                mode="lines+markers",
                name=r["cell"],
                marker={"size": 4},
                line={"color": COLORS.get(r["cell"])},
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 60, "r": 20, "t": 40, "b": 40},
        title=f"How far back the gradient reaches: {config.task}, T = {config.length}",
        xaxis_title="step t",
        yaxis_title="‖∂L/∂h_t‖ (log)",
        yaxis_type="log",
    )
    return fig
