"""The Optimizer lab's race in the live view: one loss chart for every contender and a small
output plane for each, streamed in batches of frames like the Playground's view."""

from __future__ import annotations

import hashlib
import json

import numpy as np

from playground.lab import figures as race_figures
from playground.live import figures, frames, grid, stream

GRID = 32  # grid points per side of each small plane
COLORS = race_figures.COLORS  # one colour per contender, the same as the landscape's and slice's
color = race_figures.color


def scene(r, log_y: bool = True) -> dict:
    """What stays put during the race: contender names and colours, the data points."""
    axis = np.linspace(*r.task.data.points_range, GRID)
    data = r.task.data
    regression = data.task == "regression"
    x = np.asarray(data.x_train, float).reshape(-1, 2)
    y = np.asarray(data.y_train, float)
    rr = frames.regression_range(data) if regression else 1.0
    c = frames.quantize(y, -rr, rr).tolist() if regression else y.astype(int).tolist()
    series = []
    for i, label in enumerate(r.labels):
        series.append(
            {
                "key": f"{i}:train_loss",
                "x": f"{i}:epoch",
                "name": f"{label} · train",
                "color": color(i),
                "dash": "solid",
                "axis": "loss",
            }
        )
        series.append(
            {
                "key": f"{i}:test_loss",
                "x": f"{i}:epoch",
                "name": f"{label} · test",
                "color": color(i),
                "dash": "dash",
                "axis": "loss",
                "legend": False,
            }
        )
    body = {
        "kind": "race",
        "palettes": frames.palettes(r.task.arch.n_out),
        "planes": {"lo": float(axis[0]), "hi": float(axis[-1]), "n": GRID, "regression": regression,
                   "classes": list(figures.CLASS_COLORS), "titles": list(r.labels), "colors": [
                       color(i) for i in range(len(r.labels))], "discretize": False, "add_class": None,
                   "points": {"train": {"x": np.round(x, 4).ravel().tolist(), "c": c}}},
        "curves": {"log": log_y, "series": series, "note": "solid: train loss · dashed: test loss"},
    }  # fmt: skip
    digest = hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]
    return {"id": digest, **body}


def snapshot(r, since: int) -> dict:
    """The race now: each contender's plane, and the loss points after epoch `since`."""
    planes = [frames.plane(r.task, grid.evaluate_grid(r.task, r.params(i), GRID), False)
              for i in range(len(r.labels))]  # fmt: skip
    points = {}
    for i, h in enumerate(r.histories):
        new = frames.new_points(h, since)
        points.update({f"{i}:{k}": v for k, v in new.items()})
    return {"epoch": r.epoch, "planes": planes, "points": points, "metrics": {}}


def batch(r, pace: stream.Pace, n_frames: int | None = None) -> list[dict]:
    """Advance the race and snapshot it `n_frames` times (see stream.play)."""
    since = [r.epoch]
    arch = max((g.task.arch for g in r.groups), key=lambda a: a.steps)  # the tightest chunk cap

    def step(n):
        return r.advance(n, chunk=stream.chunk_for(n, arch))

    def snap(last):
        f = snapshot(r, since[0])
        since[0] = f["epoch"]
        return f

    return stream.play(step, snap, pace, n_frames)


def curve(r) -> dict:
    """Every contender's whole history for drawing (thinned as figures.downsample does)."""
    out = {}
    for i, h in enumerate(r.histories):
        out.update({f"{i}:{k}": v for k, v in frames.curve(h).items()})
    return out
