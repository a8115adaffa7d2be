"""Evaluate a network over an N x N grid of the input plane, every neuron at once.

This feeds the decision-boundary heatmap and TensorFlow Playground's signature
view: each neuron drawn as a small heatmap of its output over the plane.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from playground.core import engine, models
from playground.core.activations import OUTPUT_ACTIVATIONS
from playground.data.points import map_features

MAX_GRID = 200


@functools.lru_cache(maxsize=64)
def _compiled(arch: engine.Arch, features: tuple[str, ...], n: int):
    graphdef = engine._graphdef(arch.specs, arch.n_in)

    def run(params, lo, hi):
        axis = jnp.linspace(lo, hi, n)
        x1, x2 = jnp.meshgrid(axis, axis)  # row = x2, column = x1, as a heatmap draws
        points = jnp.stack([x1.ravel(), x2.ravel()], axis=1)
        inputs = map_features(points, features, xp=jnp)
        _, trace = models.apply(graphdef, params, inputs)
        hidden = [a for _, a in trace[:-1]]
        z_out = trace[-1][0]
        out = OUTPUT_ACTIVATIONS[arch.output_activation].fn(z_out)
        return {"axis": axis, "inputs": inputs, "hidden": hidden, "output": out}

    return jax.jit(run)


def evaluate_grid(task: engine.Task, params, n: int = 50, lo: float | None = None, hi: float | None = None):
    """Every neuron's value over an n x n grid covering the data.

    Args:
      task: the bound config and data.
      params: network parameters (a single network's).
      n: grid points per side, 2..MAX_GRID.
      lo, hi: the square's range; default the data's `points_range`.

    Returns:
      dict of numpy arrays: "axis" (n,), "inputs" (n*n, n_features),
      "hidden" list per hidden layer of (n*n, units), "output" (n*n, n_out).
      Row-major over (x2, x1): reshape to (n, n) for a heatmap.
    """
    if not 2 <= n <= MAX_GRID:
        raise ValueError(f"grid size must be between 2 and {MAX_GRID}, got {n}")
    if lo is None or hi is None:
        lo, hi = task.data.points_range
    fn = _compiled(task.arch, task.config.features, n)
    out = fn(params, jnp.float32(lo), jnp.float32(hi))
    return jax.tree.map(np.asarray, out)
