"""The `cnn` section of `python -m playground bench`: the default CNN's training speed, its
first chunk's compile time (cold and warm disk cache), the live view's work per frame, and
the training time to 95 % test accuracy on digits (and MNIST, unless quick)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import jax

from playground.core import engine
from playground.zoo.cnn import frames
from playground.zoo.cnn.config import CnnConfig
from playground.zoo.cnn.task import Session, make_task

DIGITS = CnnConfig(dataset="digits")
MNIST = CnnConfig()
TARGET = 0.95
MAX_EPOCHS = 60


def _first_chunk_child():
    """Run in a fresh process: from make_task to the first epoch's result."""
    engine.enable_compile_cache()
    task = make_task(DIGITS)
    t = time.perf_counter()
    state, _, _ = engine.advance(task, engine.init_state(task), 1, chunk=1)
    jax.block_until_ready(state.params)
    print(json.dumps({"s": time.perf_counter() - t}))


def first_chunk_s(cache_dir: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", "from playground.zoo.cnn.bench import _first_chunk_child as f; f()"],
        env={**os.environ, "PLAYGROUND_JAX_CACHE": cache_dir},
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["s"]


def epochs_per_s(config: CnnConfig, epochs: int, reps: int) -> tuple[float, int]:
    """Training epochs per second (each with its train/test metrics), and images per epoch."""
    task = make_task(config)
    box = [engine.init_state(task)]
    engine.advance(task, box[0], epochs, chunk=epochs)  # compile
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        box[0], _, _ = engine.advance(task, box[0], epochs, chunk=epochs)
        jax.block_until_ready(box[0].params)
        times.append(time.perf_counter() - t)
    return epochs / statistics.median(times), task.arch.n_train


def seconds_to_target(config: CnnConfig) -> tuple[float | None, int]:
    """Training wall time (compile excluded) until the test accuracy reaches TARGET."""
    s = Session(config)
    warm = Session(config)
    warm.step(1, chunk=1)  # compiles the 1-epoch chunk this loop uses
    spent = 0.0
    while s.epoch < MAX_EPOCHS:
        t = time.perf_counter()
        s.step(1, chunk=1)
        spent += time.perf_counter() - t
        if s.history["test_accuracy"][-1] >= TARGET:
            return spent, s.epoch
    return None, s.epoch


def view_ms(config: CnnConfig, reps: int) -> tuple[float, float]:
    """(ms) of a live frame (every layer's feature maps, filters, probabilities for one image)
    and of a batch's last frame (plus the test set's confusion matrix and mistakes)."""
    s = Session(config)
    s.step(1, chunk=1)
    out = []
    for last in (False, True):
        frames.frame(s.task, s.state.params, s.history, 0, {"index": 0}, last=last)  # compile
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            frames.frame(s.task, s.state.params, s.history, 0, {"index": 0}, last=last)
            times.append(time.perf_counter() - t)
        out.append(1000 * statistics.median(times))
    return out[0], out[1]


def run(quick: bool, say) -> dict:
    reps = 3 if quick else 5
    with tempfile.TemporaryDirectory() as cache:
        say("cnn: compile, cold process ...")
        cold = first_chunk_s(cache)
        say("cnn: compile, warm disk cache ...")
        warm = first_chunk_s(cache)
    engine.enable_compile_cache()
    say("cnn: training speed ...")
    eps, n = epochs_per_s(DIGITS, 2 if quick else 4, reps)
    say("cnn: live view ...")
    frame_ms, last_ms = view_ms(DIGITS, 5 * reps)
    say("cnn: time to 95% on digits ...")
    digits_s, digits_epochs = seconds_to_target(DIGITS)
    out = {
        "digits_epochs_per_s": eps,
        "digits_images_per_s": eps * n,
        "first_chunk_s": cold,
        "first_chunk_warm_cache_s": warm,
        "frame_ms": frame_ms,
        "last_frame_ms": last_ms,
        "digits_s_to_95": digits_s,
        "digits_epochs_to_95": digits_epochs,
    }
    if not quick:
        say("cnn: mnist ...")
        mnist_eps, mnist_n = epochs_per_s(MNIST, 2, 3)
        out["mnist_epochs_per_s"] = mnist_eps
        out["mnist_images_per_s"] = mnist_eps * mnist_n
        out["mnist_s_to_95"], out["mnist_epochs_to_95"] = seconds_to_target(MNIST)
        out["mnist_frame_ms"], out["mnist_last_frame_ms"] = view_ms(MNIST, 5 * reps)
    return out
