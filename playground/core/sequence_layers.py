"""Layer kinds for sequences (issue 13): embedding, positional, block (a transformer block),
layernorm and rnn (cells rnn, lstm, gru). Each is a Flax NNX module plus one entry that this
module adds to `layers.LAYER_KINDS`, the one registry of kinds.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from flax import nnx

from playground.core.layers import _ACT, _ALL_ACTIVATIONS, LAYER_KINDS, Dense, Layer, LayerKind, _param

# Blocks of H columns in a recurrent layer's kernels: -, (i, f, g, o), (r, z, n).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SEQUENCE_KINDS = ("embedding", "positional", "block", "layernorm", "rnn", "last")


class Embedding(nnx.Module):
    """Token ids (n, T) -> rows of a table (n, T, units)."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.table = nnx.Param(jax.random.normal(rngs.params(), (layer.vocab, layer.units), jnp.float32))

    def __call__(self, x):
        return self.table[...][x.astype(jnp.int32)]


LN_EPS = 1e-5


def layer_norm(x, scale, bias, eps=LN_EPS):
    """(x − mean)/√(var + eps)·scale + bias over the last axis, biased variance."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * scale + bias


def sinusoidal(length: int, d: int) -> jnp.ndarray:
    """PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)); (length, d)."""
    t = jnp.arange(length, dtype=jnp.float32)[:, None]
    freq = 10000.0 ** (-(jnp.arange(d) // 2 * 2).astype(jnp.float32) / d)
    angle = t * freq
    return jnp.where(jnp.arange(d) % 2 == 0, jnp.sin(angle), jnp.cos(angle))


class Positional(nnx.Module):
    """Adds a position table (T, d) to a sequence: learned, or the fixed sinusoidal one."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.encoding = layer.encoding
        if layer.encoding == "learned":
            self.table = nnx.Param(0.1 * jax.random.normal(rngs.params(), tuple(in_shape), jnp.float32))
        self.shape = tuple(in_shape)  # the sinusoids are computed (constants under jit), not stored

    def table_now(self):
        return self.table[...] if self.encoding == "learned" else sinusoidal(*self.shape)

    def __call__(self, x):
        return x + self.table_now()


class LayerNorm(nnx.Module):
    """Normalizes each position's vector (see layer_norm); scale 1 and bias 0 at the start."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.scale = nnx.Param(jnp.ones((in_shape[-1],), jnp.float32))
        self.bias = nnx.Param(jnp.zeros((in_shape[-1],), jnp.float32))

    def __call__(self, x):
        return layer_norm(x, self.scale[...], self.bias[...])


class Block(nnx.Module):
    """A pre-norm transformer block over (n, T, d): x ← x + attention(LN1(x)); x ← x + mlp(LN2(x)).

    Attention: q, k, v, out are dense d→d maps per position; the heads split d into contiguous
    slices of d/h; scores q·kᵀ/√(d/h), masked above the diagonal when causal, softmax over the
    keys, heads concatenated, then `out`. The mlp is dense d→units (activation) then units→d.
    """

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        d = in_shape[-1]
        self.heads, self.causal, self.act = layer.heads, layer.causal == "true", layer.activation
        self.ln1 = LayerNorm(layer, in_shape, init, rngs)
        self.ln2 = LayerNorm(layer, in_shape, init, rngs)
        for name in ("query", "key", "value", "out"):
            setattr(self, name, Dense(Layer("dense", units=d), in_shape, init, rngs))
        self.mlp1 = Dense(Layer("dense", units=layer.units), in_shape, init, rngs)
        self.mlp2 = Dense(Layer("dense", units=d), (*in_shape[:-1], layer.units), init, rngs)

    def attention(self, x):
        """(scores before the softmax (n, h, T, T), masked; weights; the attention's output)."""
        n, t, d = x.shape
        split = lambda a: a.reshape(n, t, self.heads, d // self.heads).transpose(0, 2, 1, 3)  # noqa: E731
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(d / self.heads)
        if self.causal:
            scores = jnp.where(jnp.tril(jnp.ones((t, t), bool)), scores, -1e9)
        weights = jax.nn.softmax(scores, -1)
        mixed = (weights @ v).transpose(0, 2, 1, 3).reshape(n, t, d)
        return scores, weights, self.out(mixed)

    def __call__(self, x):
        x = x + self.attention(self.ln1(x))[2]
        return x + self.mlp2(_ALL_ACTIVATIONS[self.act].fn(self.mlp1(self.ln2(x))))


# Blocks of H columns in a recurrent layer's kernels: -, (i, f, g, o), (r, z, n).
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
SEQUENCE_KINDS = (
    "embedding",
    "positional",
    "block",
    "layernorm",
    "rnn",
)  # kinds for sequences (issue 13); the rest work on images too


class Recurrent(nnx.Module):
    """A recurrent layer over (n, T, inputs), initial state zero; x a row vector, σ the logistic:

    rnn:  h' = act(x·W + h·U + b)
    lstm: i, f, g, o = σ, σ, tanh, σ of (x·W + h·U + b) in four blocks; c' = f⊙c + i⊙g, h' = o⊙tanh(c')
    gru:  r, z = σ(x·W_r + b_r + h·U_r + bh_r), σ(…z); n = tanh(x·W_n + b_n + r⊙(h·U_n + bh_n));
          h' = (1−z)⊙n + z⊙h
    Outputs every h (n, T, H) when return_sequences, else the last one (n, H).
    """

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.cell, self.units, self.act = layer.cell, layer.units, layer.activation
        self.every = layer.return_sequences == "true"
        g = GATES[layer.cell] * layer.units
        self.kernel, self.bias = _param(init, rngs.params(), (in_shape[-1], g))
        self.recurrent_kernel, _ = _param(init, rngs.params(), (layer.units, g))
        if layer.cell == "lstm":  # the forget gate starts open (bias 1): the state is kept by default
            h = layer.units
            self.bias = nnx.Param(self.bias[...].at[h : 2 * h].set(1.0))
        if layer.cell == "gru":
            self.recurrent_bias = nnx.Param(jnp.zeros((g,), jnp.float32))

    def __call__(self, x):
        n, h_units = x.shape[0], self.units
        xw = jnp.einsum("ntf,fg->tng", x, self.kernel[...]) + self.bias[...]  # all steps' input parts at once
        u = self.recurrent_kernel[...]
        blocks = lambda a: jnp.split(a, GATES[self.cell], axis=-1)  # noqa: E731
        h0 = jnp.zeros((n, h_units), x.dtype)

        def step(carry, xt):
            h, c = carry
            if self.cell == "rnn":
                h = _ALL_ACTIVATIONS[self.act].fn(xt + h @ u)
            elif self.cell == "lstm":
                i, f, g, o = blocks(xt + h @ u)
                c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
                h = jax.nn.sigmoid(o) * jnp.tanh(c)
            else:
                xr, xz, xn = blocks(xt)
                hr, hz, hn = blocks(h @ u + self.recurrent_bias[...])
                r, z = jax.nn.sigmoid(xr + hr), jax.nn.sigmoid(xz + hz)
                h = (1 - z) * jnp.tanh(xn + r * hn) + z * h
            return (h, c), h

        _, hs = jax.lax.scan(step, (h0, h0), xw)
        return jnp.swapaxes(hs, 0, 1) if self.every else hs[-1]


def _block_shape(layer: Layer, shape):
    if shape[-1] % layer.heads:
        raise ValueError(f"{layer.heads} heads must split the width {shape[-1]} evenly")
    return shape


def _block_count(layer: Layer, shape) -> int:
    d = shape[-1]
    return 4 * d + 4 * (d * d + d) + d * layer.units + layer.units + layer.units * d + d


def _rnn_count(layer: Layer, shape) -> int:
    g = GATES[layer.cell] * layer.units
    return shape[-1] * g + layer.units * g + g * (2 if layer.cell == "gru" else 1)


class Last(nnx.Module):
    """A sequence's last step: (n, T, d) -> (n, d) (a transformer's answer for a last-step task)."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        pass

    def __call__(self, x):
        return x[:, -1]


LAYER_KINDS.update(
    {
        "embedding": LayerKind(
            "turns each token id into a learned vector (the input is token ids, one per time step)",
            {"vocab": (2, 256), "units": (1, 64)},
            "vector",
            lambda layer, s: (*s, layer.units),
            Embedding,
            defaults={"units": 8},
            count=lambda layer, s: layer.vocab * layer.units,
        ),
        "positional": LayerKind(
            "adds where each step is (a learned table or sinusoids) so attention can tell positions apart",
            {"encoding": ("learned", "sinusoidal")},
            "sequence",
            lambda layer, s: s,
            Positional,
            count=lambda layer, s: math.prod(s) if layer.encoding == "learned" else 0,
        ),
        "block": LayerKind(
            "a transformer block: each step attends to the others, then a small mlp; both with shortcuts",
            {"heads": (1, 4), "causal": ("true", "false"), "units": (1, 256), "activation": _ACT},
            "sequence",
            _block_shape,
            Block,
            defaults={"units": 64, "activation": "gelu"},
            count=_block_count,
        ),
        "layernorm": LayerKind(
            "normalizes each step's vector (mean 0, variance 1), then scales and shifts it",
            {},
            "sequence",
            lambda layer, s: s,
            LayerNorm,
            count=lambda layer, s: 2 * s[-1],
        ),
        "rnn": LayerKind(
            "reads a sequence step by step, carrying a hidden state (cell rnn, lstm or gru)",
            {
                "cell": tuple(GATES),
                "units": (1, 128),
                "activation": ("tanh", "relu"),
                "return_sequences": ("true", "false"),
            },
            "sequence",
            lambda layer, s: (s[0], layer.units) if layer.return_sequences == "true" else (layer.units,),
            Recurrent,
            defaults={"activation": "tanh", "units": 16},
            count=_rnn_count,
        ),
        "last": LayerKind("keeps the last step of a sequence", {}, "sequence", lambda layer, s: s[1:], Last),
    }
)
