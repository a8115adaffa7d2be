"""What the sequence pages will show, as numbers (issue 13): a recurrent layer's hidden states and
gates at every step, the gradient of the loss with respect to each step's hidden state (vanishing
and exploding gradients), and every transformer block's attention scores and weights. Pure
functions of a task, its parameters and one input; no Streamlit.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from playground.core import engine, losses
from playground.core.activations import ACTIVATIONS
from playground.core.layers import _ALL_ACTIVATIONS, LAYER_KINDS
from playground.core.sequence_layers import GATES


def _model(task: engine.Task, params):
    return nnx.merge(engine.graph_of(task.arch), params)


def _apply(model, i: int, x):
    """Layer i of a stack on x, with its activation when its kind applies one."""
    spec = model.specs[i]
    z = model.layers[i](x)
    return _ALL_ACTIVATIONS[spec.activation].fn(z) if LAYER_KINDS[spec.kind].activates else z


def _output(model, i: int, x):
    """Layers i.. on x: the output layer's pre-activation."""
    for j in range(i, len(model.specs)):
        x = model.layers[j](x) if j == len(model.specs) - 1 else _apply(model, j, x)
    return x


def first_recurrent(task: engine.Task) -> int | None:
    return next((i for i, la in enumerate(task.arch.specs) if la.kind == "rnn"), None)


def _cell_steps(mod, x, deltas=None):
    """The recurrence of `mod` over x (n, T, f), recording every step; deltas (T, n, H) are added
    to each step's new h (zeros: the network itself; their gradient is dL/dh_t)."""
    u, cell = mod.recurrent_kernel[...], mod.cell
    xw = jnp.einsum("ntf,fg->tng", x, mod.kernel[...]) + mod.bias[...]
    n, h_units = x.shape[0], mod.units
    deltas = jnp.zeros((x.shape[1], n, h_units), x.dtype) if deltas is None else deltas
    split = lambda a: jnp.split(a, GATES[cell], axis=-1)  # noqa: E731

    def step(carry, inputs):
        h, c = carry
        xt, d = inputs
        gates = {}
        if cell == "rnn":
            h = ACTIVATIONS[mod.act].fn(xt + h @ u)
        elif cell == "lstm":
            i, f, g, o = split(xt + h @ u)
            gates = {"input": jax.nn.sigmoid(i), "forget": jax.nn.sigmoid(f), "output": jax.nn.sigmoid(o)}
            c = gates["forget"] * c + gates["input"] * jnp.tanh(g)
            h = gates["output"] * jnp.tanh(c)
            gates["cell"] = c
        else:
            xr, xz, xn = split(xt)
            hr, hz, hn = split(h @ u + mod.recurrent_bias[...])
            gates = {"reset": jax.nn.sigmoid(xr + hr), "update": jax.nn.sigmoid(xz + hz)}
            h = (1 - gates["update"]) * jnp.tanh(xn + gates["reset"] * hn) + gates["update"] * h
        h = h + d
        return (h, c), {"hidden": h, **gates}

    zeros = jnp.zeros((n, h_units), x.dtype)
    _, rec = jax.lax.scan(step, (zeros, zeros), (xw, deltas))
    return {k: jnp.swapaxes(v, 0, 1) for k, v in rec.items()}  # (n, T, H) each


def recurrent_steps(task: engine.Task, params, x) -> dict[str, np.ndarray]:
    """The first recurrent layer on one input x (T,) or (T, f): "hidden" (T, H) and the cell's
    gates: lstm "input", "forget", "output" and the "cell" state; gru "reset" and "update"."""
    if first_recurrent(task) is None:
        raise ValueError("this network has no recurrent layer")
    return {k: np.asarray(v[0]) for k, v in _steps_fn(task.arch)(params, jnp.asarray(x)[None]).items()}


@functools.lru_cache(maxsize=16)
def _steps_fn(arch: engine.Arch):
    graphdef = engine.graph_of(arch)
    i = next(j for j, la in enumerate(arch.specs) if la.kind == "rnn")

    def run(params, h):
        model = nnx.merge(graphdef, params)
        for j in range(i):
            h = _apply(model, j, h)
        return _cell_steps(model.layers[i], h)

    return jax.jit(run)


def hidden_gradient_norms(task: engine.Task, params, x, y) -> np.ndarray:
    """‖∂L/∂h_t‖ for every step t of the first recurrent layer, on one input x and its target y
    (the loss of that example, as the engine computes it): how much each step's state matters."""
    if first_recurrent(task) is None:
        raise ValueError("this network has no recurrent layer")
    return np.asarray(_grad_fn(task.arch)(params, jnp.asarray(x)[None], jnp.asarray(y)[None]))


@functools.lru_cache(maxsize=16)
def _grad_fn(arch: engine.Arch):
    graphdef = engine.graph_of(arch)
    i = next(j for j, la in enumerate(arch.specs) if la.kind == "rnn")

    def run(params, xin, y):
        model = nnx.merge(graphdef, params)
        for j in range(i):
            xin = _apply(model, j, xin)
        mod = model.layers[i]

        def loss(deltas):
            hs = _cell_steps(mod, xin, deltas)["hidden"]
            z = _output(model, i + 1, hs if mod.every else hs[:, -1])
            return losses.LOSSES[arch.loss].per_example(z, y, arch.output_activation).mean()

        deltas = jnp.zeros((xin.shape[1], 1, mod.units), xin.dtype)
        return jnp.linalg.norm(jax.grad(loss)(deltas)[:, 0], axis=-1)

    return jax.jit(run)


def attention_maps(task: engine.Task, params, x) -> list[dict[str, np.ndarray]]:
    """For each transformer block, on one input: "scores" (heads, T, T) before the softmax (the
    causal mask's cells at -1e9) and "weights" (heads, T, T), rows query, columns key."""
    maps = _attention_fn(task.arch)(params, jnp.asarray(x)[None])
    return [{"scores": np.asarray(s[0]), "weights": np.asarray(w[0])} for s, w in maps]


@functools.lru_cache(maxsize=16)
def _attention_fn(arch: engine.Arch):
    graphdef = engine.graph_of(arch)

    def run(params, h):
        model, out = nnx.merge(graphdef, params), []
        for j, spec in enumerate(model.specs):
            if spec.kind == "block":
                scores, weights, _ = model.layers[j].attention(model.layers[j].ln1(h))
                out.append((scores, weights))
            h = _apply(model, j, h)
        return out

    return jax.jit(run)
