"""The `gan2d` section of `python -m playground bench`: the default GAN (ring of 8 Gaussians,
2-D Gaussian noise, two 64-64 ReLU networks, non-saturating loss, Adam): generator steps/s,
the first chunk's compile, how long until it covers at least 7 of the 8 modes with ≥ 80 % of its
samples near a mode (checked every 16 epochs = 320 generator steps, within a 30-s budget), the
energy distance then, and a live frame's views in ms."""

from __future__ import annotations

import statistics
import time

import jax

from playground.zoo.gan import frames, quality, train
from playground.zoo.gan.config import GanConfig

BUDGET_S = 30.0
CHECK_EPOCHS = 16
MODES, NEAR = 7, 0.8


def _quality(task, state) -> dict:
    fake = train.samples(task, state)
    return quality.mixture(fake, task.target.modes, task.target.near) | {
        "energy": quality.energy_distance(fake, frames.reference(task))
    }


def gan2d(quick: bool) -> dict:
    task = train.make_task(GanConfig())
    t = time.perf_counter()
    state, _, _ = train.advance(task, train.init_state(task), 1, chunk=1)
    jax.block_until_ready(state.g_params)
    compile_s = time.perf_counter() - t
    train.advance(task, state, CHECK_EPOCHS, chunk=CHECK_EPOCHS)  # compile the checked chunk too
    state = train.init_state(task)
    spent, times, reached = 0.0, [], None
    budget = 3.0 if quick else BUDGET_S
    q = _quality(task, state)
    while spent < budget:
        t = time.perf_counter()
        state, h, _ = train.advance(task, state, CHECK_EPOCHS, chunk=CHECK_EPOCHS)
        jax.block_until_ready(state.g_params)
        times.append(time.perf_counter() - t)
        spent += times[-1]
        q = _quality(task, state)
        if q["covered"] >= MODES and q["near_share"] >= NEAR:
            reached = spent
            break
    h = {"epoch": [], **{k: [] for k in train.METRICS}}
    frames.frame(task, state, h, 0)
    ms = []
    for _ in range(10):
        t = time.perf_counter()
        frames.frame(task, state, h, 0)
        ms.append(1000 * (time.perf_counter() - t))
    steps = CHECK_EPOCHS * task.config.steps_per_epoch
    return {
        "g_steps_per_s": steps / statistics.median(times) if times else None,
        "first_chunk_s": compile_s,
        "s_to_7_modes_80pct": reached,
        "g_steps": int(state.g_steps),
        "modes_covered": q["covered"],
        "near_share": q["near_share"],
        "energy_distance": q["energy"],
        "views_ms": statistics.median(ms),
    }
