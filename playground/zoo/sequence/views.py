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
from playground.core.layers import _ALL_ACTIVATIONS, LAYER_KINDS, check_stack
from playground.core.sequence_layers import GATES


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


def encoded_target(data, y) -> np.ndarray:
    """One example's target as the loss takes it: one-hot classes (…, C) or values (…, 1)."""
    if data.n_classes:
        return np.eye(data.n_classes, dtype=np.float32)[np.asarray(y)]
    return np.asarray(y, np.float32)[..., None]


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


MAX_SAMPLE = 500  # characters one sample may generate


@functools.lru_cache(maxsize=16)
def _sample_fn(arch: engine.Arch, n: int):
    """jit(params, window (T,) ids, temperature, key) -> n tokens, one compiled loop: each step
    reads the window's last-step logits, picks a token, and slides the window by one."""
    graphdef = engine.graph_of(arch)

    def run(params, window, temperature, key):
        model = nnx.merge(graphdef, params)

        def step(w, k):
            logits = model(w[None])[0][0, -1]
            hot = jax.random.categorical(k, logits / jnp.maximum(temperature, 1e-6))
            token = jnp.where(temperature == 0, jnp.argmax(logits), hot).astype(w.dtype)
            return jnp.concatenate([w[1:], token[None]]), token

        return jax.lax.scan(step, window, jax.random.split(key, n))[1]

    return jax.jit(run)


def sample(
    task: engine.Task, params, prompt: list[int], n: int, temperature: float, seed: int = 0
) -> list[int]:
    """Generate n tokens after `prompt` from a network whose outputs are next-token predictions at
    every step (the `text` task): each step reads the last T tokens (the prompt's first token
    repeated in front while shorter), then samples softmax(logits / temperature); temperature 0
    takes the most likely token. The whole loop is one compiled call (160 characters in a few ms).

    Raises:
      ValueError: naming what is wrong (not a per-step token network, an encoder that sees the
        future, an empty prompt or an id outside the vocabulary, n or temperature out of range).
    """
    arch = task.arch
    per_step = len(check_stack(arch.specs, arch.in_shape)[-1]) == 2
    if len(arch.in_shape) != 1 or arch.kind != "multiclass" or not per_step:
        raise ValueError("sampling needs a network that predicts the next token at every step")
    if any(la.kind == "block" and la.causal != "true" for la in arch.specs):
        raise ValueError("an encoder sees every step, the future too: sample with causal=true")
    if not any(la.kind == "rnn" for la in arch.specs) and not any(la.kind == "block" for la in arch.specs):
        raise ValueError("sampling needs a recurrent or transformer network")
    vocab = arch.n_out
    if not prompt or any(not (isinstance(t, int) and 0 <= t < vocab) for t in prompt):
        raise ValueError(f"prompt: give at least one token id from 0 to {vocab - 1}")
    if not 0 <= n <= MAX_SAMPLE:
        raise ValueError(f"n: from 0 to {MAX_SAMPLE} tokens, got {n}")
    if not 0 <= temperature <= 10:
        raise ValueError(f"temperature: from 0 to 10, got {temperature}")
    if n == 0:
        return []
    T = arch.in_shape[0]
    window = list(prompt[-T:])
    window = [window[0]] * (T - len(window)) + window
    out = _sample_fn(arch, n)(
        params, jnp.asarray(window, jnp.int32), jnp.float32(temperature), jax.random.key(seed)
    )
    return [int(t) for t in np.asarray(out)]


def outputs(task: engine.Task, params, x) -> np.ndarray:
    """The network's output on one input x (T,) or (T, f): class probabilities (T, C) or (C,),
    or values (T,) or () for regression (the output activation applied)."""
    out = np.asarray(_outputs_fn(task.arch)(params, jnp.asarray(x)[None])[0])
    return out if task.arch.kind == "multiclass" else out[..., 0]


@functools.lru_cache(maxsize=16)
def _outputs_fn(arch: engine.Arch):
    graphdef = engine.graph_of(arch)
    act = ACTIVATIONS[arch.output_activation].fn if arch.output_activation != "softmax" else jax.nn.softmax
    return jax.jit(lambda params, x: act(nnx.merge(graphdef, params)(x)[0]))


def tables(task: engine.Task, params) -> dict[str, np.ndarray | None]:
    """A transformer's tables now: "positional" (T, d) as added to the input (a sinusoidal one
    computed), "embedding" (vocab, d) for token inputs; None where the network has none."""
    model = nnx.merge(engine.graph_of(task.arch), params)
    out = {"positional": None, "embedding": None}
    for spec, layer in zip(model.specs, model.layers):
        if spec.kind == "positional":
            out["positional"] = np.asarray(layer.table_now())
        elif spec.kind == "embedding":
            out["embedding"] = np.asarray(layer.table[...])
    return out


def project_2d(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a table projected on its first two principal axes: (points (n, 2), the share of
    the variance on each axis (2,)). Axis signs are fixed (each axis's largest |loading| positive)
    so that the picture does not flip between frames."""
    a = np.asarray(table, np.float64)
    a = a - a.mean(0)
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    vt = vt[:2] * np.sign(vt[:2][np.arange(min(2, len(vt))), np.abs(vt[:2]).argmax(1)])[:, None]
    pts = a @ vt.T
    total = (s**2).sum()
    share = (s[:2] ** 2) / total if total > 0 else np.zeros(len(s[:2]))
    if pts.shape[1] < 2:  # one-dimensional tables
        pts = np.pad(pts, ((0, 0), (0, 2 - pts.shape[1])))
        share = np.pad(share, (0, 2 - len(share)))
    return pts, share


PATTERNS = {  # task -> the attention pattern that solves it (an encoder that reads each answer off one key)
    "reverse": "anti-diagonal",
    "sort": "sorted order",
    "copy": "diagonal",
}


def expected_keys(task_name: str, x) -> list[list[int]] | None:
    """For each query position, the key positions holding its answer when the task is solved by
    looking it up: reverse reads position T-1-t, copy position t, sort every position holding the
    t-th smallest digit (ties: all of them). None for the other tasks."""
    x = [int(v) for v in np.asarray(x).reshape(-1)]
    T = len(x)
    if task_name == "reverse":
        return [[T - 1 - t] for t in range(T)]
    if task_name == "copy":
        return [[t] for t in range(T)]
    if task_name == "sort":
        order = sorted(x)
        return [[j for j in range(T) if x[j] == order[t]] for t in range(T)]
    return None


def pattern_match(weights: np.ndarray, expected: list[list[int]]) -> np.ndarray:
    """The share of attention on the expected keys, averaged over queries: weights
    (heads, T, T) rows query -> (heads,) in [0, 1]."""
    w = np.asarray(weights, np.float64)
    mask = np.zeros(w.shape[1:], bool)
    for q, keys in enumerate(expected[: w.shape[1]]):
        mask[q, [k for k in keys if k < w.shape[2]]] = True
    return (w * mask).sum(-1).mean(-1)
