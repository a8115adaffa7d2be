"""How good the generated samples are, as numbers to take away.

- Mixtures (ring8, grid25): each sample goes to its nearest mode; it is *near* when within three
  of the mixture's standard deviations; a mode is *covered* when at least a fifth of its fair
  share of the samples (n / modes) are near it.
- Any 2-D target: the energy distance 2E‖X−Y‖ − E‖X−X′‖ − E‖Y−Y′‖ between generated and real
  samples (Székely & Rizzo), 0 for equal distributions; the within-set means leave out the
  zero diagonal (U-statistics), so two samples of one distribution score about 0.
- Digits: a small CNN of the zoo's CNN page, trained once per process on the real digits, reads
  the samples: the share it recognizes with confidence ≥ 0.9, the classes it sees in at least 2 %
  of them, and the entropy of its predicted classes in bits (log2 10 ≈ 3.32 for all ten alike).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

COVER_SHARE = 0.2  # a mode is covered with at least this share of its fair share near it
CONFIDENT = 0.9
CLASS_SHARE = 0.02


@jax.jit
def _mixture(samples, modes, near):
    d = jnp.sqrt(jnp.sum(jnp.square(samples[:, None, :] - modes[None]), -1))
    nearest, dist = jnp.argmin(d, 1), jnp.min(d, 1)
    is_near = dist <= near
    counts = jnp.zeros(len(modes), jnp.int32).at[nearest].add(is_near.astype(jnp.int32))
    return is_near.mean(), counts


def mixture(samples, modes, near: float) -> dict:
    """{"modes", "covered", "near_share", "per_mode"} of samples (n, 2) around `modes` (m, 2)."""
    share, counts = _mixture(jnp.asarray(samples, jnp.float32), jnp.asarray(modes, jnp.float32), near)
    counts = np.asarray(counts)
    fair = len(samples) / len(modes)
    return {
        "modes": len(modes),
        "covered": int((counts >= COVER_SHARE * fair).sum()),
        "near_share": float(share),
        "per_mode": [int(c) for c in counts],
    }


def _mean_dist(a, b, same: bool):
    d = jnp.sqrt(jnp.maximum(jnp.sum(jnp.square(a[:, None] - b[None]), -1), 0.0))
    if not same:
        return d.mean()
    n = a.shape[0]
    return (d.sum() - jnp.trace(d)) / (n * (n - 1))


@jax.jit
def _energy(x, y):
    return 2 * _mean_dist(x, y, False) - _mean_dist(x, x, True) - _mean_dist(y, y, True)


def energy_distance(x, y) -> float:
    """The energy distance between samples x (n, d) and y (m, d); n, m ≥ 2."""
    return float(_energy(jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)))


@functools.lru_cache(maxsize=1)
def digits_reader():
    """(predict, reference): predict(pixels (n, 64) in [0, 1]) -> class probabilities (n, 10),
    from a small CNN trained on the real digits (a few seconds, once per process); reference:
    `digits()` of the real test digits, what a perfect generator would score."""
    from playground.core import engine, models
    from playground.zoo.cnn import task as cnn_task
    from playground.zoo.cnn.config import CnnConfig

    config = CnnConfig(
        dataset="digits",
        layers=(
            "conv filters=8 kernel=3 stride=1 padding=same activation=relu",
            "maxpool window=2",
            "flatten",
            "dense units=32 activation=relu",
        ),
        learning_rate=0.003,
        seed=0,
    )
    task = cnn_task.make_task(config)
    state, _, _ = engine.advance(task, engine.init_state(task), 15)
    params, graphdef = state.params, engine.graph_of(task.arch)

    @jax.jit
    def predict(pixels):
        z = models.apply(graphdef, params, pixels.reshape(-1, 8, 8, 1))[0]
        return jax.nn.softmax(z, -1)

    def run(pixels):
        return np.asarray(predict(jnp.asarray(pixels, jnp.float32)))

    probs = run(np.asarray(task.x_test).reshape(len(task.x_test), -1))
    reference = digits(probs)
    reference["reader_accuracy"] = float((probs.argmax(1) == np.asarray(task.data.y_test)).mean())
    return run, reference


def digits(probs) -> dict:
    """Figures of class probabilities (n, 10) a reader gave to generated (or real) digits."""
    probs = np.asarray(probs, np.float64)
    pred = probs.argmax(1)
    hist = np.bincount(pred, minlength=10) / max(len(pred), 1)
    nz = hist[hist > 0]
    return {
        "confident": float((probs.max(1) >= CONFIDENT).mean()),
        "classes": int((hist >= CLASS_SHARE).sum()),
        "entropy_bits": float(-(nz * np.log2(nz)).sum()),
        "histogram": [float(v) for v in hist],
    }
