"""The GAN page's live view data: a scene (the target, the two networks) and frames (generated
samples from fixed noise, the discriminator over the plane, the generator's gradient on each
sample, where a lattice of noise inputs lands, the quality figures), for `gan.js`; its protocol
is in that file's header. One compiled call computes a 2-D frame's arrays."""

from __future__ import annotations

import functools
import hashlib
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from playground.data.images import image_to_uint8
from playground.live.frames import _num, b64, new_points
from playground.zoo.gan import game, quality, train

HERE = pathlib.Path(__file__).parent
MODULE = (HERE.parent / "player.js", HERE / "gan.js")
HEAT = 48  # the discriminator's map: HEAT × HEAT values over the plane
LATTICE = 15  # noise lattice side
SHOWN = 500  # generated samples drawn (all N_FIXED are scored)
REAL_SHOWN = 500
DIGITS_SHOWN = 64


def _pts(a, digits: int = 3) -> list:
    return np.round(np.asarray(a, np.float64).reshape(-1, 2), digits).tolist()


def lattice(noise: str, noise_dim: int) -> np.ndarray:
    """(LATTICE², noise_dim) noise inputs: the first two numbers on a square lattice (±2 for
    Gaussian noise, ±1 for uniform), the rest 0; one number: a line (then LATTICE² points)."""
    r = 1.0 if noise == "uniform" else 2.0
    if noise_dim == 1:
        return np.linspace(-r, r, LATTICE * LATTICE, dtype=np.float32)[:, None]
    g = np.linspace(-r, r, LATTICE, dtype=np.float32)
    gx, gy = np.meshgrid(g, g[::-1])
    z = np.zeros((LATTICE * LATTICE, noise_dim), np.float32)
    z[:, 0], z[:, 1] = gx.ravel(), gy.ravel()
    return z


def heat_grid(extent: float) -> np.ndarray:
    """(HEAT², 2) cell centres, row 0 at the top (y = +extent)."""
    c = (np.arange(HEAT) + 0.5) / HEAT * 2 * extent - extent
    gx, gy = np.meshgrid(c, c[::-1])
    return np.stack([gx.ravel(), gy.ravel()], 1).astype(np.float32)


@functools.lru_cache(maxsize=16)
def _views(arch: train.GanArch):
    gdef, ddef = arch.graphdefs

    def views(g_params, d_params, z, z_lattice, grid):
        fake = game.generate(gdef, g_params, z, arch.images)
        # The generator's loss on each sample, differentiated by the sample's position: minus
        # it is where the generator's next update pushes that sample.
        push = -jax.vmap(
            jax.grad(lambda x: game.g_loss_each(arch.loss, game.critic(ddef, d_params, x[None]))[0])
        )(fake[:SHOWN])
        heat = game.d_prob(arch.loss, game.critic(ddef, d_params, grid))
        return fake, push, heat, game.generate(gdef, g_params, z_lattice, arch.images)

    return jax.jit(views)


@functools.lru_cache(maxsize=16)
def _digit_samples(arch: train.GanArch):
    gdef, _ = arch.graphdefs
    return jax.jit(lambda g_params, z: game.generate(gdef, g_params, z, True))


def scene(task: train.GanTask, tables: dict) -> dict:
    t, c = task.target, task.config
    rng = np.random.default_rng(0)
    body = {
        "kind": "gan",
        "images": t.images,
        "dataset": c.dataset,
        "loss": c.loss,
        "noise": c.noise,
        "noise_dim": c.noise_dim,
        "heat_n": HEAT,
        "lattice_n": LATTICE,
        "drawing": c.dataset == "drawn",
        "d_label": {"wgan-gp": "critic score", "leastsquares": "D(x), trained to 1 on real, 0 on fake"}.get(
            c.loss, "D(x) = P(real)"
        ),
        "networks": {
            name: [{"label": r["layer"], "shape": r["output"], "params": r["parameters"]} for r in rows]
            for name, rows in tables.items()
        },
    }
    if t.images:
        idx = rng.choice(len(t.x), min(16, len(t.x)), replace=False)
        body["real_pixels"] = _pixels(t.x[idx])
        body["real_n"] = len(idx)
    else:
        idx = rng.choice(len(t.x), min(REAL_SHOWN, len(t.x)), replace=False)
        body["real"] = _pts(t.x[idx])
        body["extent"] = _num(t.extent)
        body["modes"] = None if t.modes is None else _pts(t.modes)
        body["near"] = _num(t.near) if t.modes is not None else None
        if c.dataset == "drawn":
            from playground.zoo.gan.config import drawn_points

            body["drawn"] = _pts(drawn_points(c.drawn))
    key = repr((c.to_dict(), tables)).encode()
    body["id"] = hashlib.sha1(key).hexdigest()[:12]
    return body


def _pixels(flat) -> str:
    imgs = np.asarray(flat, np.float32).reshape(-1, 8, 8)
    return b64(np.stack([image_to_uint8(im) for im in imgs]))


def frame(
    task: train.GanTask, state: train.GanState, history: dict, since: int, moved: str | None = None
) -> dict:
    """One frame of the game as it stands."""
    a = task.arch
    f = {
        "epoch": int(state.epoch),
        "g_steps": int(state.g_steps),
        "d_steps": int(state.d_steps),
        "moved": moved,
        "points": new_points(history, since),
        "part": 0,
        "parts": 1,
    }
    if a.images:
        samples = np.asarray(_digit_samples(a)(state.g_params, task.fixed_noise))
        f["pixels"] = _pixels(samples[:DIGITS_SHOWN])
        f["samples_n"] = DIGITS_SHOWN
        f["quality"] = digits_quality(samples)
        return f
    t = task.target
    fake, push, heat, lat = _views(a)(
        state.g_params,
        state.d_params,
        task.fixed_noise,
        jnp.asarray(lattice(a.noise, a.noise_dim)),
        jnp.asarray(heat_grid(t.extent)),
    )
    fake, push, heat = np.asarray(fake), np.asarray(push, np.float64), np.asarray(heat, np.float64)
    lo, hi = (
        (0.0, 1.0)
        if task.config.loss in ("nonsaturating", "minimax")
        else (float(heat.min()), float(heat.max()))
    )
    span = hi - lo if hi > lo else 1.0
    f["fake"] = _pts(fake[:SHOWN])
    f["push"] = _pts(push, 4)
    f["heat"] = {
        "n": HEAT,
        "lo": _num(lo),
        "hi": _num(hi),
        "data": b64(np.clip(np.round((heat - lo) / span * 255), 0, 255).astype(np.uint8)),
    }
    f["lattice"] = _pts(lat)
    f["quality"] = points_quality(task, fake)
    return f


def points_quality(task: train.GanTask, fake: np.ndarray) -> dict:
    t = task.target
    q = {"energy": _num(quality.energy_distance(fake, reference(task)))}
    if t.modes is not None:
        q.update(quality.mixture(fake, t.modes, t.near))
    return q


def reference(task: train.GanTask) -> np.ndarray:
    """The real samples generated samples are scored against: N_FIXED fresh draws of a 2-D
    target; for digits, 1,000 of the 1,797."""
    return task.reference


def digits_quality(samples: np.ndarray) -> dict:
    run, ref = quality.digits_reader()
    q = quality.digits(run(samples))
    q["real"] = {k: ref[k] for k in ("confident", "classes", "entropy_bits")}
    return q
