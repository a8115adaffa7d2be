"""The `autoencoder` section of `python -m playground bench`: the default autoencoder on the 8×8
digits through a 2-D code: epochs/s, the first chunk's compile, how long until its codes separate
the ten digits (5-nearest-neighbour accuracy of the test codes among the training codes ≥ 70 %,
checked after every epoch, within a 30-s budget), the test reconstruction error then, and a live
frame's views in ms. Then the variational variant (default β) for VAE_EPOCHS epochs, one a call:
its epochs/s and its test reconstruction error and KL after them. Then the convolutional preset
(two stride-2 convolutions down, two stride-2 transposed convolutions up) for CONV_EPOCHS epochs:
its compile, epochs/s, test reconstruction error and kNN accuracy, beside the dense one's after as
many epochs."""

from __future__ import annotations

import statistics
import time

import jax

from playground.core import engine
from playground.zoo.autoencoder import frames, ui
from playground.zoo.autoencoder import task as ae
from playground.zoo.autoencoder.config import AeConfig
from playground.zoo.session import layer_table

BUDGET_S = 30.0
TARGET = 0.7
VAE_EPOCHS = 40
CONV_EPOCHS = 60


def autoencoder(quick: bool) -> dict:
    task = ae.make_task(AeConfig())
    t = time.perf_counter()
    state, h, _ = engine.advance(task, engine.init_state(task), 1, chunk=1)
    jax.block_until_ready(state.params)
    compile_s = time.perf_counter() - t
    spent, times, knn = 0.0, [], ae.code_accuracy(task, state.params)
    budget = 3.0 if quick else BUDGET_S
    while knn < TARGET and spent < budget:
        t = time.perf_counter()
        state, step, _ = engine.advance(task, state, 1, chunk=1)
        jax.block_until_ready(state.params)
        times.append(time.perf_counter() - t)
        spent += times[-1]
        for k, v in step.items():
            h[k].extend(v)
        knn = ae.code_accuracy(task, state.params)
    frames.frame(task, state.params, h, 0, probe=(0.0, 0.0), pair=(0, 1))
    ms = []
    for _ in range(10):
        t = time.perf_counter()
        frames.frame(task, state.params, h, 0, probe=(0.0, 0.0), pair=(0, 1))
        ms.append(1000 * (time.perf_counter() - t))
    return {
        "epochs_per_s": 1 / statistics.median(times) if times else None,
        "first_chunk_s": compile_s,
        "s_to_knn70": spent if knn >= TARGET else None,
        "epochs": int(state.epoch),
        "knn_accuracy": knn,
        "test_mse": h["test_loss"][-1],
        "views_ms": statistics.median(ms),
        **_vae(),
        **_conv(quick),
    }


def _train(task, epochs: int):
    """`epochs` epochs one a call: (state, history, the first call's seconds (it compiles), the
    other calls' seconds)."""
    t = time.perf_counter()
    state, h, _ = engine.advance(task, engine.init_state(task), 1, chunk=1)
    jax.block_until_ready(state.params)
    compile_s, times = time.perf_counter() - t, []
    for _ in range(epochs - 1):
        t = time.perf_counter()
        state, step, _ = engine.advance(task, state, 1, chunk=1)
        jax.block_until_ready(state.params)
        times.append(time.perf_counter() - t)
        for k, v in step.items():
            h[k].extend(v)
    return state, h, compile_s, times


def _vae() -> dict:
    state, h, _, times = _train(ae.make_task(AeConfig(variant="vae")), VAE_EPOCHS)
    return {
        "vae_epochs_per_s": 1 / statistics.median(times),
        "vae_epochs": int(state.epoch),
        "vae_test_mse": h["test_loss"][-1],
        "vae_test_kl": h["test_kl"][-1],
    }


def _conv(quick: bool) -> dict:
    out = {}
    for name in ("dense", "conv"):
        encoder, decoder = ui.conv_layers("digits") if name == "conv" else (ui.DENSE, ui.DENSE)
        task = ae.make_task(AeConfig(encoder=encoder, decoder=decoder))
        state, h, compile_s, times = _train(task, 3 if quick else CONV_EPOCHS)
        prefix = "conv_" if name == "conv" else "dense_"
        out |= {
            prefix + "test_mse": h["test_loss"][-1],
            prefix + "knn_accuracy": ae.code_accuracy(task, state.params),
        }
        if name == "conv":
            out |= {"conv_first_chunk_s": compile_s, "conv_epochs_per_s": 1 / statistics.median(times)}
            n = sum(r["parameters"] for r in layer_table(task.arch.specs, task.arch.in_shape))
            out |= {"conv_epochs": int(state.epoch), "conv_params": n}
    return out
