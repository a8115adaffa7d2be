"""The `lstm` and `transformer` sections of `python -m playground bench`: training speed (each
epoch with its test metrics), the first chunk's compile time, and what each learns in how long:
the memory task `first` at T = 20 for the LSTM against a plain RNN, `reverse` (T = 8, digits)
for the transformer."""

from __future__ import annotations

import statistics
import time

import jax
import numpy as np

from playground.core import engine
from playground.zoo.sequence import frames
from playground.zoo.sequence.config import SeqConfig
from playground.zoo.sequence.task import make_task

LSTM = SeqConfig(task="first", length=20, net="lstm", hidden=32)
TRANSFORMER = SeqConfig(task="reverse", length=8, net="transformer", blocks=2, heads=2, width=32)


def _train(config: SeqConfig, epochs: int, until=None) -> dict:
    """Compile, then train up to `epochs` one epoch at a time (compile excluded from the time)."""
    task = make_task(config)
    t = time.perf_counter()
    state, h, _ = engine.advance(task, engine.init_state(task), 1, chunk=1)
    jax.block_until_ready(state.params)
    compile_s = time.perf_counter() - t
    spent, times = 0.0, []
    while int(state.epoch) < epochs:
        t = time.perf_counter()
        state, step, _ = engine.advance(task, state, 1, chunk=1)
        jax.block_until_ready(state.params)
        times.append(time.perf_counter() - t)
        spent += times[-1]
        for k, v in step.items():
            h[k].extend(v)
        if until is not None and until(h):
            break
    return {
        "task": task,
        "state": state,
        "history": h,
        "compile_s": compile_s,
        "s": spent,
        "epoch_s": statistics.median(times),
    }


def views_ms(task, params, history) -> float:
    """Median ms of a live frame of one test input, every view of the page in it (after a
    compiling first call): what each tick of the live view costs the server."""
    frames.frame(task, params, history, 0, 0, last=True)
    times = []
    for _ in range(20):
        t = time.perf_counter()
        frames.frame(task, params, history, 0, 0, last=True)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def memory(quick: bool) -> dict:
    """LSTM vs plain RNN on `first` (T = 20): test MSE as a share of the targets' variance."""
    out = {}
    for net in ("lstm", "rnn"):
        r = _train(LSTM.replace(net=net), 15 if quick else 60)
        var = float(np.var(np.asarray(r["task"].y_test)))
        out[net] = {
            "epochs_per_s": 1 / r["epoch_s"],
            "compile_s": r["compile_s"],
            "s": r["s"],
            "test_mse_share": r["history"]["test_loss"][-1] / var,
            "views_ms": views_ms(r["task"], r["state"].params, r["history"]),
        }
    return {
        "epochs_per_s": out["lstm"]["epochs_per_s"],
        "first_chunk_s": out["lstm"]["compile_s"],
        "train_s": out["lstm"]["s"],
        "test_mse_share": out["lstm"]["test_mse_share"],
        "rnn_test_mse_share": out["rnn"]["test_mse_share"],
        "views_ms": out["lstm"]["views_ms"],
    }


def transformer(quick: bool) -> dict:
    r = _train(TRANSFORMER, 10 if quick else 40, until=lambda h: h["test_accuracy"][-1] >= 0.95)
    return {
        "epochs_per_s": 1 / r["epoch_s"],
        "first_chunk_s": r["compile_s"],
        "s_to_95": r["s"] if r["history"]["test_accuracy"][-1] >= 0.95 else None,
        "epochs": len(r["history"]["epoch"]),
        "test_accuracy": r["history"]["test_accuracy"][-1],
        "views_ms": views_ms(r["task"], r["state"].params, r["history"]),
    }
