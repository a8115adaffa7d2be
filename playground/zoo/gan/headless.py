"""`python -m playground train --net gan`: play the game headless and write the `--out` file
(config, data, params, history, stop_reason, outputs with the fixed noise, the samples, real
samples and the quality figures)."""

from __future__ import annotations

import sys

import numpy as np

from playground.zoo.gan import frames, train
from playground.zoo.gan.session import params_json


def rows(a) -> list:
    return np.asarray(a, dtype=float).tolist()


def quality_of(task: train.GanTask, samples: np.ndarray) -> dict:
    """The quality figures of generated samples (see quality.py)."""
    if task.target.images:
        return frames.digits_quality(samples)
    return frames.points_quality(task, samples)


def export(task: train.GanTask, state: train.GanState, history: dict, stop_reason) -> dict:
    samples = train.samples(task, state)
    train_data = {"inputs": rows(task.target.x)}
    if task.target.labels is not None:
        train_data["labels"] = np.asarray(task.target.labels).tolist()
    names = [k for k in history if k != "epoch"]
    return {
        "config": task.config.to_dict(),
        "data": {"train": train_data},
        "params": params_json(task, state),
        "history": [
            {"epoch": e, **{k: history[k][i] for k in names}} for i, e in enumerate(history["epoch"])
        ],
        "stop_reason": stop_reason,
        "outputs": {
            "noise": rows(task.fixed_noise),
            "samples": rows(samples),
            "real": rows(frames.reference(task)),
            "quality": quality_of(task, samples),
        },
    }


def summary(state: train.GanState, history: dict, q: dict, stop_reason) -> str:
    parts = [f"epoch {int(state.epoch)}", f"G steps {int(state.g_steps)}"]
    if history["epoch"]:
        parts += [f"D loss {history['d_loss'][-1]:.4f}", f"G loss {history['g_loss'][-1]:.4f}"]
    if "covered" in q:
        parts.append(f"modes covered {q['covered']}/{q['modes']}, {100 * q['near_share']:.1f}% near a mode")
    if "energy" in q:
        parts.append(f"energy distance {q['energy']:.4f}")
    if "confident" in q:
        parts.append(f"{100 * q['confident']:.1f}% recognized, {q['classes']} classes")
    line = ", ".join(parts)
    return f"{line} ({stop_reason})" if stop_reason else line


def run(config, epochs: int, quiet: bool) -> tuple[train.GanTask, train.GanState, dict, str | None]:
    task = train.make_task(config)
    state = train.init_state(task)
    history = {"epoch": [], **{k: [] for k in train.METRICS}}
    reason, done = None, 0
    while done < epochs and int(state.status) == train.RUNNING:
        n = min(64, epochs - done)
        state, h, reason = train.advance(task, state, n)
        for k, v in h.items():
            history[k].extend(v)
        done += n
        if not quiet and history["epoch"]:
            sys.stderr.write(
                f"\repoch {history['epoch'][-1]:>6} [{'#' * int(30 * done / epochs):<30}] "
                f"D {history['d_loss'][-1]:.4f}  G {history['g_loss'][-1]:.4f}"
            )
            sys.stderr.flush()
    if not quiet:
        sys.stderr.write("\n")
    return task, state, history, reason
