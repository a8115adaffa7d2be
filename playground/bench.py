"""`python -m playground bench`: how fast the engine is, measured in one run.

Every figure is a median over repetitions after a warm-up. Ratios compare
numbers measured in the same run, so they hold on a busy machine too.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import jax
import numpy as np

from playground.core import engine
from playground.core.config import Config
from playground.live import grid

DEFAULT = Config()  # circle, 250 training points, 2-4-2-1 tanh, batch 10
DEEP = Config(
    dataset="spiral",
    features=("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"),
    hidden=(8,) * 6,
)
CHUNK = 100


def _median_time(fn, reps: int) -> float:
    fn()  # warm-up (compiles)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine_epochs_per_s(config: Config, reps: int) -> float:
    task = engine.make_task(config)
    box = [engine.init_state(task)]

    def run():
        box[0], _, _ = engine.advance(task, box[0], CHUNK, chunk=CHUNK)
        jax.block_until_ready(box[0].params)

    return CHUNK / _median_time(run, reps)


def numpy_epochs_per_s(config: Config, epochs: int) -> float:
    """TensorFlow Playground's nn.ts way, in NumPy: one example at a time,
    gradients accumulated and applied every batch_size examples, then the
    loss over the full train and test sets, one example at a time."""
    task = engine.make_task(config)
    x, y = np.asarray(task.x_train, np.float64), np.asarray(task.y_train, np.float64)
    xt, yt = np.asarray(task.x_test, np.float64), np.asarray(task.y_test, np.float64)
    from playground.core.models import params_to_layers

    layers = [
        (lay["kernel"].astype(np.float64), lay["bias"].astype(np.float64))
        for lay in params_to_layers(engine.init_state(task).params)
    ]
    lr, bs = config.learning_rate, config.batch_size
    rng = np.random.default_rng(0)

    def forward(v):
        acts = [v]
        for i, (w, b) in enumerate(layers):
            z = acts[-1] @ w + b
            acts.append(np.tanh(z) if i < len(layers) - 1 else 1 / (1 + np.exp(-z)))
        return acts

    def loss(v, t):
        p = forward(v)[-1][0]
        return -(t[0] * np.log(p + 1e-12) + (1 - t[0]) * np.log(1 - p + 1e-12))

    def epoch():
        grads = [(np.zeros_like(w), np.zeros_like(b)) for w, b in layers]
        for n, i in enumerate(rng.permutation(len(x))):
            acts = forward(x[i])
            delta = acts[-1] - y[i]  # bce with a sigmoid output
            for j in range(len(layers) - 1, -1, -1):
                grads[j][0][...] += np.outer(acts[j], delta)
                grads[j][1][...] += delta
                if j:
                    delta = (delta @ layers[j][0].T) * (1 - acts[j] ** 2)
            if (n + 1) % bs == 0:
                for (w, b), (gw, gb) in zip(layers, grads):
                    w -= lr * gw / bs
                    b -= lr * gb / bs
                    gw[...] = 0
                    gb[...] = 0
        sum(loss(v, t) for v, t in zip(x, y))
        sum(loss(v, t) for v, t in zip(xt, yt))

    epoch()
    t = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return epochs / (time.perf_counter() - t)


def torch_epochs_per_s(config: Config, epochs: int) -> float | None:
    """A plain eager PyTorch minibatch loop, if PyTorch happens to be installed."""
    try:
        import torch
    except ImportError:
        return None
    task = engine.make_task(config)
    x, y = torch.tensor(np.asarray(task.x_train)), torch.tensor(np.asarray(task.y_train))
    xa, ya = torch.tensor(np.asarray(task.x_all)), torch.tensor(np.asarray(task.y_all))
    n = len(x)
    dims = [len(config.features), *config.hidden, 1]
    mods = []
    for a, b in zip(dims[:-1], dims[1:]):
        mods += [torch.nn.Linear(a, b), torch.nn.Tanh()]
    net = torch.nn.Sequential(*mods[:-1])
    opt = torch.optim.SGD(net.parameters(), lr=config.learning_rate)
    lossf = torch.nn.BCEWithLogitsLoss(reduction="none")

    def epoch():
        perm = torch.randperm(n)
        for s in range(0, n, config.batch_size):
            idx = perm[s : s + config.batch_size]
            opt.zero_grad()
            lossf(net(x[idx]), y[idx]).mean().backward()
            opt.step()
        with torch.no_grad():
            per = lossf(net(xa), ya)
            per[:n].mean().item(), per[n:].mean().item()

    epoch()
    t = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return epochs / (time.perf_counter() - t)


def _first_chunk_child():
    """Run in a fresh process: time from make_task to the first chunk's result."""
    engine.enable_compile_cache()
    task = engine.make_task(DEFAULT)
    state = engine.init_state(task)
    t = time.perf_counter()
    state, _, _ = engine.advance(task, state, CHUNK, chunk=CHUNK)
    jax.block_until_ready(state.params)
    print(json.dumps({"first_chunk_s": time.perf_counter() - t}))


def first_chunk_s(cache_dir: str) -> float:
    env = {**os.environ, "PLAYGROUND_JAX_CACHE": cache_dir}
    out = subprocess.run(
        [sys.executable, "-c", "from playground.bench import _first_chunk_child as f; f()"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["first_chunk_s"]


def recompiles_on_lr_change() -> int:
    task = engine.make_task(DEFAULT)
    state, _, _ = engine.advance(task, engine.init_state(task), CHUNK, chunk=CHUNK)
    before = engine.compile_count()
    for lr in (0.1, 0.003, 0.3):
        state = engine.set_hypers(state, DEFAULT.replace(learning_rate=lr, l2=0.001, momentum=0.5))
        state, _, _ = engine.advance(task, state, CHUNK, chunk=CHUNK)
    return engine.compile_count() - before


def race(config: Config, k: int, reps: int) -> dict:
    task = engine.make_task(config)
    one = [engine.init_state(task)]
    many = [engine.stack_states([engine.init_state(task, seed=s) for s in range(k)])]

    def run_one():
        one[0], _, _ = engine.advance(task, one[0], CHUNK, chunk=CHUNK)
        jax.block_until_ready(one[0].params)

    def run_many():
        many[0], _ = engine.advance_many(task, many[0], CHUNK, chunk=CHUNK)
        jax.block_until_ready(many[0].params)

    t1, tk = _median_time(run_one, reps), _median_time(run_many, reps)
    return {"one_s": t1, f"together_{k}_s": tk, "time_ratio": tk / t1, "vs_sequential": tk / (k * t1)}


def lab_race(config: Config, reps: int) -> dict:
    """The Optimizer lab's race of 8 (SGD and Adam at 4 learning rates each: 2 compiled groups
    of 4) against one contender alone and against the 8 trained one after another."""
    from playground.lab import race as lab

    rates = {"sgd": (0.01, 0.03, 0.1, 0.3), "adam": (0.001, 0.003, 0.01, 0.03)}
    contenders = [
        lab.contender(f"{o} {lr:g}", optimizer=o, learning_rate=lr) for o, lrs in rates.items() for lr in lrs
    ]
    base = lab.neutral_base(config)
    r = lab.Race(base, contenders)

    def run_race():
        r.advance(CHUNK, chunk=CHUNK)
        jax.block_until_ready([g.states.params for g in r.groups])

    def alone(c):
        task = engine.make_task(c.config(base), r.data)
        box = [engine.init_state(task)]

        def run():
            box[0], _, _ = engine.advance(task, box[0], CHUNK, chunk=CHUNK)
            jax.block_until_ready(box[0].params)

        return run

    singles = [_median_time(alone(c), reps) for c in contenders]
    tk = _median_time(run_race, reps)
    return {
        "groups": len(r.groups),
        "one_s": singles[0],
        "race_8_s": tk,
        "time_ratio": tk / singles[0],
        "vs_sequential": tk / sum(singles),
    }


def grid_ms(config: Config, n: int, reps: int) -> float:
    task = engine.make_task(config)
    params = engine.init_state(task).params
    return 1000 * _median_time(lambda: grid.evaluate_grid(task, params, n), reps)


def run(quick: bool = False, progress=None) -> dict:
    """All figures as one dict (see README for their meaning)."""
    reps = 3 if quick else 9

    def say(msg):
        if progress:
            progress.write(msg + "\n")
            progress.flush()

    result = {
        "machine": {
            "backend": jax.default_backend(),
            "devices": [str(d) for d in jax.devices()],
            "cpus": os.cpu_count(),
        }
    }
    with tempfile.TemporaryDirectory() as cache:
        say("compile: cold process, empty disk cache ...")
        cold = first_chunk_s(cache)
        say("compile: fresh process, warm disk cache ...")
        warm = first_chunk_s(cache)
    engine.enable_compile_cache()
    say("default task ...")
    eng = engine_epochs_per_s(DEFAULT, reps)
    npy = numpy_epochs_per_s(DEFAULT, 1 if quick else 3)
    result["tfp_default"] = {"engine_epochs_per_s": eng, "numpy_epochs_per_s": npy, "speedup": eng / npy}
    tor = torch_epochs_per_s(DEFAULT, 2 if quick else 5)
    if tor is not None:
        result["tfp_default"]["torch_epochs_per_s"] = tor
    say("deep task ...")
    result["deep"] = {"engine_epochs_per_s": engine_epochs_per_s(DEEP, reps)}
    result["compile"] = {
        "first_chunk_s": cold,
        "first_chunk_warm_cache_s": warm,
        "recompiles_on_lr_change": recompiles_on_lr_change(),
    }
    say("race of 8 ...")
    result["race8"] = race(DEFAULT, 8, reps)
    say("optimizer lab race of 8 ...")
    result["lab_race8"] = lab_race(DEFAULT, reps)
    say("grid ...")
    result["grid100"] = {"ms": grid_ms(DEEP, 100, 5 * reps), "default_ms": grid_ms(DEFAULT, 100, 5 * reps)}
    from playground.zoo.cnn import bench as cnn_bench

    result["cnn"] = cnn_bench.run(quick, say)
    from playground.zoo.sequence import bench as seq_bench

    say("lstm: the memory task ...")
    result["lstm"] = seq_bench.memory(quick)
    say("transformer: reverse ...")
    result["transformer"] = seq_bench.transformer(quick)
    from playground.zoo.autoencoder import bench as ae_bench

    say("autoencoder: digits through a 2-D code ...")
    result["autoencoder"] = ae_bench.autoencoder(quick)
    from playground.zoo.gan import bench as gan_bench

    say("gan2d: a ring of 8 Gaussians ...")
    result["gan2d"] = gan_bench.gan2d(quick)
    return result


def format_table(result: dict) -> str:
    lines = []
    for group, values in result.items():
        if group == "machine":
            continue
        for k, v in values.items():
            lines.append(f"{group}.{k:<28} {v:,.3f}" if isinstance(v, float) else f"{group}.{k:<28} {v}")
    return "\n".join(lines)
