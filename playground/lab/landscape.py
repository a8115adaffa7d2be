"""Loss landscapes: classic 2-D test functions with optimizer trajectories, and a 2-D
slice of a real network's loss around its current weights.

Trajectories run optax's own optimizers (the same `make_optimizer` the engine uses)
on the function directly: one jitted `lax.scan` per optimizer kind, vmapped over
the contenders of that kind (their numbers live in the optimizer state).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from playground.core import engine, models, optimizers
from playground.core.config import Config
from playground.lab.race import run_config

MAX_STEPS = 5000
MAX_SLICE_GRID = 81
ESCAPE = 1e4  # a trajectory that leaves |x| < ESCAPE (or turns non-finite) stops there


@dataclasses.dataclass(frozen=True)
class TestFunction:
    """A 2-D function to minimize.

    Attributes:
      fn: (x, y) -> value, written with jnp.
      x_range, y_range: the plot's extent.
      minima: the global minima (x, y); `min_value` the value there.
      start: a start point that shows the optimizers' differences.
      lr_scale: learning rates are multiplied by this on this function (its gradients
        are larger or smaller than a network's).
      log_levels: contour levels on a log scale (steep valleys).
      description: one line for the UI.
    """

    fn: Callable
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    min_value: float
    start: tuple[float, float]
    lr_scale: float
    log_levels: bool
    description: str
    saddles: tuple[tuple[float, float], ...] = ()


# The ill-conditioned quadratic f = ½ pᵀ A p: eigenvalues 1 and 20, axes turned by 30°.
_TURN = np.array([[np.cos(np.pi / 6), -np.sin(np.pi / 6)], [np.sin(np.pi / 6), np.cos(np.pi / 6)]])
QUADRATIC_A = _TURN @ np.diag([1.0, 20.0]) @ _TURN.T


def _quadratic(x, y):
    a = QUADRATIC_A
    return 0.5 * (a[0, 0] * x * x + 2 * a[0, 1] * x * y + a[1, 1] * y * y)


FUNCTIONS: dict[str, TestFunction] = {
    "ill-conditioned quadratic": TestFunction(
        _quadratic, (-3.0, 3.0), (-2.0, 2.0), ((0.0, 0.0),), 0.0, (-2.5, -1.2), 1.0, True,
        "½ pᵀAp with curvatures 1 and 20 along turned axes: plain gradient descent zig-zags "
        "across the narrow valley.",
    ),
    "Rosenbrock": TestFunction(
        lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2, (-2.0, 2.0), (-1.0, 3.0), ((1.0, 1.0),), 0.0,
        (-1.2, 1.0), 0.03, True,
        "(1 − x)² + 100 (y − x²)²: a curved, flat-bottomed valley, easy to find and slow to follow.",
    ),
    "Beale": TestFunction(
        lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y**3) ** 2,
        (-4.5, 4.5), (-4.5, 4.5), ((3.0, 0.5),), 0.0, (1.0, 1.4), 0.1, True,
        "Sharp ridges and flat plains: gradients differ by orders of magnitude across the plane.",
    ),
    "Himmelblau": TestFunction(
        lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2, (-5.0, 5.0), (-5.0, 5.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)), 0.0,
        (-0.3, -0.9), 0.3, True,
        "Four equal minima: from a start near the central hill, each optimizer may pick another.",
    ),
    "saddle": TestFunction(
        lambda x, y: x * x - y * y + 0.25 * y**4, (-2.0, 2.0), (-2.5, 2.5), ((0.0, 2**0.5), (0.0, -(2**0.5))),
        -1.0, (1.8, 0.01), 1.0, False,
        "x² − y² + y⁴/4: a saddle at the origin between two valleys; starting on the ridge, the "
        "gradient points at the saddle and only a tiny sideways part escapes it.",
        saddles=((0.0, 0.0),),
    ),
}  # fmt: skip


def function_value(name: str, points) -> np.ndarray:
    """The function at points (..., 2)."""
    p = jnp.asarray(points, jnp.float32)
    return np.asarray(FUNCTIONS[name].fn(p[..., 0], p[..., 1]))


def surface(name: str, n: int = 120) -> dict:
    """The function over an n x n grid of its plot range: "x" (n,), "y" (n,), "z" (n, n) rows y."""
    f = FUNCTIONS[name]
    x = np.linspace(*f.x_range, n)
    y = np.linspace(*f.y_range, n)
    z = function_value(name, np.stack(np.meshgrid(x, y), -1))
    return {"x": x, "y": y, "z": z}


@functools.lru_cache(maxsize=64)
def _compiled_paths(name: str, kind: str, steps: int):
    f = FUNCTIONS[name].fn
    opt = optimizers.make_optimizer(Config(optimizer=kind))  # numbers come from the state
    grad = jax.grad(lambda p: f(p[0], p[1]))

    def one(hypers, x0):
        state = opt.init(x0)
        state = state._replace(hyperparams={**state.hyperparams, **hypers})

        def step(carry, _):
            x, st, stopped = carry
            updates, new_st = opt.update(grad(x), st, x)
            new_x = x + updates
            ok = ~stopped & jnp.all(jnp.isfinite(new_x)) & jnp.all(jnp.abs(new_x) < ESCAPE)
            x = jnp.where(ok, new_x, x)
            st = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_st, st)
            return (x, st, stopped | ~ok), x

        (_, _, stopped), xs = jax.lax.scan(step, (x0, state, jnp.bool_(False)), None, length=steps)
        return jnp.concatenate([x0[None], xs]), stopped

    return jax.jit(jax.vmap(one, in_axes=(0, None)))


def trajectories(name: str, configs: list[Config], start, steps: int, lr_scale: float = 1.0):
    """Each config's optimizer run on a test function from `start`.

    Contenders of the same optimizer kind run in one vmapped call (SGD as momentum 0,
    Adam as AdamW with no decay: see race.run_config).

    Args:
      name: a FUNCTIONS key.
      configs: one config per contender (optimizer and its numbers are read).
      start: (x, y).
      steps: optimizer steps, 1..MAX_STEPS.
      lr_scale: multiplies every learning rate.

    Returns:
      (paths (K, steps + 1, 2) float, escaped (K,) bool): a path that left the plane
      or turned non-finite stays at its last good point and is flagged.
    """
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name!r}; choose one of {', '.join(FUNCTIONS)}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    x0 = np.asarray(start, np.float32)
    if x0.shape != (2,) or not np.all(np.isfinite(x0)):
        raise ValueError(f"start must be two finite numbers, got {start!r}")
    runs = [run_config(c) for c in configs]
    paths = np.zeros((len(runs), steps + 1, 2))
    escaped = np.zeros(len(runs), bool)
    for kind in dict.fromkeys(c.optimizer for c in runs):
        idx = [i for i, c in enumerate(runs) if c.optimizer == kind]
        values = [optimizers.hyper_values(runs[i]) for i in idx]
        hypers = {k: np.array([float(v[k]) for v in values], np.float32) for k in values[0]}
        hypers["learning_rate"] = hypers["learning_rate"] * np.float32(lr_scale)
        p, e = _compiled_paths(name, kind, steps)({k: jnp.asarray(v) for k, v in hypers.items()}, x0)
        paths[idx], escaped[idx] = np.asarray(p), np.asarray(e)
    return paths, escaped


# ---- a slice of a network's loss ----------------------------------------------------------
def flatten(params) -> np.ndarray:
    return np.asarray(ravel_pytree(params)[0])


def weight_names(params) -> list[str]:
    """A name for each entry of the flat weight vector, in `flatten` order."""
    names = []
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        key = jax.tree_util.keystr(path)
        layer = next((int(p.key) for p in path if isinstance(getattr(p, "key", None), int)), 0)
        kind = "kernel" if "kernel" in key else "bias"
        shape = np.shape(leaf)
        for idx in np.ndindex(*shape):
            where = f"{idx[0]}→{idx[1]}" if kind == "kernel" else f"{idx[0]}"
            names.append(f"layer {layer + 1} {'w' if kind == 'kernel' else 'b'} {where}")
    return names


def random_directions(params, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two random directions, filter-normalized (Li et al., 2018): each neuron's incoming
    weights in the direction get the norm of that neuron's weights; biases get 0."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):

        def direction(path, leaf):
            w = np.asarray(leaf, np.float64)
            if "kernel" not in jax.tree_util.keystr(path):
                return np.zeros_like(w)
            d = rng.standard_normal(w.shape)
            norm_w = np.linalg.norm(w, axis=0, keepdims=True)
            norm_d = np.linalg.norm(d, axis=0, keepdims=True)
            return d * norm_w / np.maximum(norm_d, 1e-12)

        out.append(flatten(jax.tree_util.tree_map_with_path(direction, params)))
    return out[0], out[1]


def weight_directions(params, first: int, second: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit directions along two chosen entries of the flat weight vector."""
    size = flatten(params).size
    for name, i in (("first weight", first), ("second weight", second)):
        if not 0 <= i < size:
            raise ValueError(f"{name}: index {i} is outside 0..{size - 1}")
    if first == second:
        raise ValueError("choose two different weights")
    d1, d2 = np.zeros(size), np.zeros(size)
    d1[first], d2[second] = 1.0, 1.0
    return d1, d2


def path_directions(path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two principal directions of a weight path (T, P) about its last point, each
    scaled to the path's spread along it (so the path spans about ±1)."""
    centered = np.asarray(path, float) - path[-1]
    if len(centered) < 3 or not np.any(centered):
        raise ValueError("the path needs at least 3 distinct snapshots; train a little first")
    _, s, vt = np.linalg.svd(centered, full_matrices=False)
    spread = np.abs(centered @ vt[:2].T).max(0)
    return vt[0] * spread[0], vt[1] * max(spread[1], 1e-12)


def project(path: np.ndarray, center: np.ndarray, d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    """Coordinates (T, 2) of each point of the path in the plane center + a·d1 + b·d2
    (least squares, so the directions need not be orthogonal)."""
    basis = np.stack([d1, d2], 1)
    coef, *_ = np.linalg.lstsq(basis, (np.asarray(path, float) - center).T, rcond=None)
    return coef.T


@functools.lru_cache(maxsize=32)
def _compiled_slice(arch: engine.Arch, n: int):
    graphdef = engine._graphdef(arch.specs, arch.n_in)
    template = models.build(arch.specs, arch.n_in, "glorot", 0)[1]
    unravel = ravel_pytree(template)[1]

    def run(theta, d1, d2, span, x, y):
        half = (n - 1) / 2
        axis = span * (jnp.arange(n) - half) / half  # exactly 0 in the middle for odd n

        def loss_at(a, b):
            per, _ = engine._metrics(arch, graphdef, unravel(theta + a * d1 + b * d2), x, y)
            return per.mean()

        return axis, jax.vmap(lambda b: jax.vmap(lambda a: loss_at(a, b))(axis))(axis)

    return jax.jit(run)


def loss_slice(task: engine.Task, params, d1, d2, span: float = 1.0, n: int = 41) -> dict:
    """The training data loss (no penalty, no dropout) on the plane params + a·d1 + b·d2.

    Returns:
      "a" (n,), "b" (n,) in [-span, span], "z" (n, n) with rows b and columns a.
    """
    if not 3 <= n <= MAX_SLICE_GRID:
        raise ValueError(f"slice grid must be between 3 and {MAX_SLICE_GRID} points, got {n}")
    if not 0 < span <= 100:
        raise ValueError(f"span must be in (0, 100], got {span}")
    theta = jnp.asarray(flatten(params), jnp.float32)
    fn = _compiled_slice(task.arch, n)
    f32 = functools.partial(jnp.asarray, dtype=jnp.float32)
    axis, z = fn(theta, f32(d1), f32(d2), jnp.float32(span), task.x_train, task.y_train)
    axis = np.asarray(axis, float)
    return {"a": axis, "b": axis, "z": np.asarray(z, float)}


DIRECTIONS = ("path (PCA)", "random (filter-normalized)", "two weights")


def network_slice(
    task: engine.Task,
    params,
    path_epochs: np.ndarray,
    path: np.ndarray,
    mode: str = DIRECTIONS[0],
    seed: int = 0,
    weights: tuple[int, int] = (0, 1),
    n: int = 41,
    span: float | None = None,
) -> dict:
    """Everything the slice view draws: the loss plane around `params` and the path on it.

    Args:
      task, params: the network and its current weights (the plane's origin).
      path_epochs, path: (T,) epochs and (T, P) flat weights of the training path.
      mode: one of DIRECTIONS.
      seed: for random directions; weights: flat indices for "two weights".
      n: grid points per side; span: half-width of the plane (default: covers the path).

    Returns:
      dict: "slice" (loss_slice output), "coords" (T, 2), "epochs" (T,), "titles" (2,).
    """
    center = flatten(params)
    if mode == DIRECTIONS[0]:
        d1, d2 = path_directions(np.vstack([path, center[None]]))
        titles = ("principal direction 1 of the path", "principal direction 2")
    elif mode == DIRECTIONS[1]:
        d1, d2 = random_directions(params, seed)
        titles = (f"random direction 1 (seed {seed})", "random direction 2")
    elif mode == DIRECTIONS[2]:
        d1, d2 = weight_directions(params, *weights)
        names = weight_names(params)
        titles = (f"{names[weights[0]]} (change)", f"{names[weights[1]]} (change)")
    else:
        raise ValueError(f"unknown directions {mode!r}; choose one of {', '.join(DIRECTIONS)}")
    coords = project(path, center, d1, d2)
    if span is None:
        reach = float(np.abs(coords).max(initial=0.0))
        span = float(np.clip(1.15 * reach, 1.0, 100.0)) if np.isfinite(reach) else 1.0
    return {
        "slice": loss_slice(task, params, d1, d2, span, n),
        "coords": coords,
        "epochs": np.asarray(path_epochs),
        "titles": titles,
    }


def path_summary(name: str, labels: list[str], paths: np.ndarray, escaped: np.ndarray) -> list[dict]:
    """Per contender: where its path ended, the value there, and its distance to the nearest minimum."""
    f = FUNCTIONS[name]
    ends = np.asarray(paths, float)[:, -1]
    values = function_value(name, ends)
    minima = np.asarray(f.minima, float)
    rows = []
    for label, end, value, out in zip(labels, ends, values, escaped):
        rows.append({
            "contender": label, "end x": round(float(end[0]), 4), "end y": round(float(end[1]), 4),
            f"f(end) (min {f.min_value:g})": float(value),
            "distance to nearest minimum": float(np.linalg.norm(minima - end, axis=1).min()),
            "status": "left the plane (stopped)" if out else "ok",
        })  # fmt: skip
    return rows
