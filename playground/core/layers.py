"""Layer kinds for any stack: conv, pooling, flatten, dense, dropout, noise, sample, and the
decoder's convtranspose, upsample and reshape.

A layer is a small frozen record (`Layer`), written as text for configs, links and the CLI
(`"conv filters=8 kernel=3 stride=1 padding=same activation=relu"`). `LAYER_KINDS` is the
registry: the fields a kind reads with their ranges, its output shape, its parameter count and
its Flax NNX module. A new kind is one entry here plus its module; the engine, the builder
table and the params file read everything else from the registry.

`check_stack` walks a stack over an input shape and names the first layer that cannot work
(a pool that shrinks a side to 0, a conv after flatten, too many parameters).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from flax import nnx

from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.models import INITS

MAX_LAYERS = 12  # in one list a user writes (the CNN's layers, an encoder, a generator)
MAX_STACK = 24  # in a whole stack, with the layers a network adds (an autoencoder's code, output, flattens)
MAX_PARAMS = 200_000
DECODER_KINDS = ("sample", "convtranspose", "upsample", "reshape")  # offered by the autoencoder only
MAX_IMAGE_VALUES = 65_536  # per example, after any layer (an upsampled image grows fast)
_ALL_ACTIVATIONS = {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}


class LayerError(ValueError):
    """An impossible layer or stack; `index` is the layer's position (0-based) or None."""

    def __init__(self, index: int | None, message: str):
        where = "" if index is None else f"layer {index + 1}: "
        super().__init__(where + message)
        self.index = index


@dataclasses.dataclass(frozen=True)
class Layer:
    """One layer. Only the fields its kind lists in LAYER_KINDS mean anything; the rest keep
    their defaults (parse and `make` enforce that, so equal layers compare equal)."""

    kind: str
    filters: int = 8
    units: int = 32
    kernel: int = 3
    stride: int = 1
    padding: str = "same"
    window: int = 2
    rate: float = 0.25
    std: float = 0.3  # noise: the standard deviation of the Gaussian noise added while training
    activation: str = "relu"
    vocab: int = 10  # embedding: token ids 0..vocab-1
    heads: int = 2  # block: attention heads (they split the width)
    causal: str = "true"  # block: "true" a query sees only keys at or before it
    encoding: str = "learned"  # positional: learned | sinusoidal
    cell: str = "lstm"  # rnn: the recurrent cell, rnn | lstm | gru
    return_sequences: str = "false"  # rnn: "true" outputs every step's h, "false" the last one
    factor: int = 2  # upsample: each pixel becomes factor×factor
    height: int = 2  # reshape: a vector becomes height×width×(its length / (height·width))
    width: int = 2

    def text(self) -> str:
        """The layer as config text: its kind, then each of its fields as key=value."""
        return " ".join([self.kind, *(f"{k}={getattr(self, k)}" for k in LAYER_KINDS[self.kind].fields)])

    @property
    def label(self) -> str:
        """A short caption for figures: "conv 8@3×3 relu", "maxpool 2", "dense 64 relu"."""
        k = self.kind
        if k == "conv":
            s = f" /{self.stride}" if self.stride > 1 else ""
            return f"conv {self.filters}@{self.kernel}×{self.kernel}{s} {self.padding} {self.activation}"
        if k == "convtranspose":
            size = f"{self.filters}@{self.kernel}×{self.kernel}"
            return f"convT {size} ×{self.stride} {self.padding} {self.activation}"
        if k in ("maxpool", "avgpool"):
            return f"{k} {self.window}"
        if k == "upsample":
            return f"upsample ×{self.factor}"
        if k == "reshape":
            return f"reshape {self.height}×{self.width}"
        if k == "dense":
            return f"dense {self.units} {self.activation}"
        if k == "dropout":
            return f"dropout {self.rate:g}"
        if k == "noise":
            return f"noise σ={self.std:g}"
        if k == "embedding":
            return f"embedding {self.vocab}→{self.units}"
        if k == "block":
            return f"block {self.heads} heads{' causal' if self.causal == 'true' else ''}, mlp {self.units}"
        if k == "positional":
            return f"positional ({self.encoding})"
        if k == "rnn":
            act = f" {self.activation}" if self.cell == "rnn" else ""
            return f"{self.cell} {self.units}{act}" + (
                " (every step)" if self.return_sequences == "true" else ""
            )
        return k


# ---- modules ----------------------------------------------------------------------------
def _param(init: str, key, shape):
    kernel_init, bias_value = INITS[init]
    return nnx.Param(kernel_init(key, shape).astype(jnp.float32)), nnx.Param(
        jnp.full((shape[-1],), bias_value, jnp.float32)
    )


class Conv(nnx.Module):
    """z = conv(x, K) + b over NHWC inputs, K of shape (kh, kw, c_in, c_out); XLA's padding."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.kernel, self.bias = _param(
            init, rngs.params(), (layer.kernel, layer.kernel, in_shape[-1], layer.filters)
        )
        self.stride, self.padding = layer.stride, layer.padding.upper()

    def __call__(self, x):
        z = jax.lax.conv_general_dilated(
            x,
            self.kernel[...],
            (self.stride, self.stride),
            self.padding,
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )
        return z + self.bias[...]


def transpose_crop(kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """Rows (and columns) a transposed convolution crops from the start and the end of its full
    output ((h − 1)·stride + kernel per side): none for "valid"; for "same", k − s in all, the
    smaller half first, so that h·stride remain (negative: zeros added)."""
    if padding == "valid":
        return 0, 0
    c = kernel - stride
    return c // 2, c - c // 2


class ConvTranspose(nnx.Module):
    """A transposed convolution over NHWC inputs, K of shape (kh, kw, c_in, c_out): each input
    pixel stamps the kernel, scaled by its value, onto the output at stride spacing,
    z[s·i + a − lo, s·j + b − lo, o] = Σ x[i, j, c]·K[a, b, c, o] + b[o], cropped by
    `transpose_crop`. Computed as a convolution of the stride-dilated input with the flipped kernel."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.kernel, self.bias = _param(
            init, rngs.params(), (layer.kernel, layer.kernel, in_shape[-1], layer.filters)
        )
        self.stride, self.size = layer.stride, layer.kernel
        lo, hi = transpose_crop(layer.kernel, layer.stride, layer.padding)
        self.pads = ((layer.kernel - 1 - lo, layer.kernel - 1 - hi),) * 2

    def __call__(self, x):
        z = jax.lax.conv_general_dilated(
            x,
            self.kernel[...][::-1, ::-1],
            (1, 1),
            self.pads,
            lhs_dilation=(self.stride, self.stride),
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
        )
        return z + self.bias[...]


class Upsample(nnx.Module):
    """Nearest neighbour: each pixel becomes a factor×factor block of itself."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.factor = layer.factor

    def __call__(self, x):
        return jnp.repeat(jnp.repeat(x, self.factor, axis=1), self.factor, axis=2)


class Reshape(nnx.Module):
    """(n, h·w·c) -> (n, h, w, c), row-major (the inverse of flatten)."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.shape = (layer.height, layer.width, in_shape[-1] // (layer.height * layer.width))

    def __call__(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Dense(nnx.Module):
    """z = x W + b, W of shape (inputs, outputs); on a sequence (n, T, inputs), per time step."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.kernel, self.bias = _param(init, rngs.params(), (in_shape[-1], layer.units))

    def __call__(self, x):
        return x @ self.kernel[...] + self.bias[...]


class Pool(nnx.Module):
    """Max or average over non-overlapping windows (stride = window, valid padding)."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        self.window, self.kind = layer.window, layer.kind

    def __call__(self, x):
        w = (1, self.window, self.window, 1)
        if self.kind == "maxpool":
            return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, w, w, "VALID")
        return jax.lax.reduce_window(x, 0.0, jax.lax.add, w, w, "VALID") / (self.window * self.window)


class Flatten(nnx.Module):
    """(n, h, w, c) -> (n, h*w*c), row-major over h, w, c."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        pass

    def __call__(self, x):
        return x.reshape(x.shape[0], -1)


class Identity(nnx.Module):
    """Dropout or noise at inference; while training the layer's `site` rule changes its output."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        pass

    def __call__(self, x):
        return x


class Mean(nnx.Module):
    """A VAE's sampling layer at inference: (n, 2L) = [μ, log σ²] -> μ (n, L); while training its
    `site` rule adds σ·ε."""

    def __init__(self, layer: Layer, in_shape, init: str, rngs: nnx.Rngs):
        pass

    def __call__(self, x):
        return x[..., : x.shape[-1] // 2]


# ---- training-time draws ----------------------------------------------------------------
# A layer whose kind has a `site` rule gets one uniform draw u in [0, 1) per output value and
# training step (the engine draws them, see engine.dropout_sites); the rule turns u into the
# layer's training output. At evaluation the module's output is used as it is.
U_EDGE = 1e-7  # u is clipped to [U_EDGE, 1 - U_EDGE] before ndtri (u = 0 would give -inf)


def normal_of(u):
    """Standard normal draws from uniform ones (inverse CDF), same shape."""
    return jax.scipy.special.ndtri(jnp.clip(u, U_EDGE, 1 - U_EDGE))


def _dropout_site(layer: Layer, x, a, u):
    return a * ((u >= layer.rate).astype(jnp.float32) / (1 - layer.rate))


def _noise_site(layer: Layer, x, a, u):
    return a + layer.std * normal_of(u)


def _sample_site(layer: Layer, x, a, u):
    """z = μ + exp(½ log σ²)·ε (the reparameterization trick); x = [μ, log σ²], a = μ."""
    return a + jnp.exp(0.5 * x[..., a.shape[-1] :]) * normal_of(u)


def gaussian_kl(stats):
    """KL(N(μ, σ²) ‖ N(0, 1)) per example, summed over the code: ½ Σ (σ² + μ² − 1 − log σ²).

    Args:
      stats: (n, 2L) the sampling layer's input [μ, log σ²].

    Returns:
      (n,) the KL of each example.
    """
    half = stats.shape[-1] // 2
    mu, logvar = stats[..., :half], stats[..., half:]
    return 0.5 * jnp.sum(jnp.exp(logvar) + jnp.square(mu) - 1.0 - logvar, axis=-1)


def _sample_shape(layer: Layer, shape):
    if shape[-1] % 2:
        raise ValueError(f"needs [mean, log-variance] of equal size, but its input has {shape[-1]} values")
    return (*shape[:-1], shape[-1] // 2)


# ---- shapes -----------------------------------------------------------------------------
def _conv_shape(layer: Layer, shape):
    h, w, _ = shape
    k, s = layer.kernel, layer.stride
    if layer.padding == "same":
        return (-(-h // s), -(-w // s), layer.filters)
    if k > min(h, w):
        raise ValueError(f"a {k}×{k} kernel with valid padding does not fit a {h}×{w} input")
    return ((h - k) // s + 1, (w - k) // s + 1, layer.filters)


def _transpose_shape(layer: Layer, shape):
    h, w, _ = shape
    lo, hi = transpose_crop(layer.kernel, layer.stride, layer.padding)
    side = lambda n: (n - 1) * layer.stride + layer.kernel - lo - hi  # noqa: E731
    return (side(h), side(w), layer.filters)


def _upsample_shape(layer: Layer, shape):
    h, w, c = shape
    return (h * layer.factor, w * layer.factor, c)


def _reshape_shape(layer: Layer, shape):
    if len(shape) != 1:
        raise ValueError(f"needs a vector, but its input is {'×'.join(map(str, shape))}")
    (n,) = shape
    hw = layer.height * layer.width
    if n % hw:
        raise ValueError(
            f"{n} values do not fill {layer.height}×{layer.width} pixels evenly: "
            f"give the layer before it a multiple of {hw} units"
        )
    return (layer.height, layer.width, n // hw)


def _pool_shape(layer: Layer, shape):
    h, w, c = shape
    if layer.window > min(h, w):
        raise ValueError(
            f"window {layer.window} shrinks the {h}×{w} input to {h // layer.window}×{w // layer.window}"
        )
    return (h // layer.window, w // layer.window, c)


@dataclasses.dataclass(frozen=True)
class LayerKind:
    """A registry entry.

    Attributes:
      fields: field -> (lo, hi) inclusive numeric range, or a tuple of allowed names.
      needs: "image" (h, w, c), "vector" (n,) or a sequence of vectors (T, n), "sequence" (T, n),
        or "any".
      activates: its activation field is applied after the module (conv, dense); a recurrent
        layer applies its own inside.
      shape: (layer, input shape) -> output shape; ValueError when it cannot work.
      module: the Flax NNX module, built as module(layer, in_shape, init, rngs).
    """

    description: str
    fields: dict
    needs: str
    shape: Callable
    module: type
    activates: bool = False
    defaults: dict = dataclasses.field(default_factory=dict)  # field values `make` starts from
    count: Callable | None = None  # (layer, input shape) -> its parameters, for kinds not counted below
    site: Callable | None = None  # (layer, input, output, uniform draws u) -> its training output


_ACT = tuple(ACTIVATIONS)
# A convolution's fields, and its transpose's.
_CONV = {
    "filters": (1, 32),
    "kernel": (1, 7),
    "stride": (1, 3),
    "padding": ("same", "valid"),
    "activation": _ACT,
}
LAYER_KINDS: dict[str, LayerKind] = {
    "conv": LayerKind(
        "filters slide over the image: each output is a weighted sum of a small patch",
        _CONV,
        "image",
        _conv_shape,
        Conv,
        activates=True,
    ),
    "convtranspose": LayerKind(
        "a transposed convolution: each pixel stamps the filters onto a stride-times larger image",
        _CONV,
        "image",
        _transpose_shape,
        ConvTranspose,
        activates=True,
        count=lambda layer, s: layer.kernel * layer.kernel * s[-1] * layer.filters + layer.filters,
    ),
    "upsample": LayerKind(
        "repeats each pixel factor×factor times (nearest neighbour)",
        {"factor": (2, 4)},
        "image",
        _upsample_shape,
        Upsample,
    ),
    "reshape": LayerKind(
        "lays a vector out as an image height×width×channels (the inverse of flatten)",
        {"height": (1, 32), "width": (1, 32)},
        "vector",
        _reshape_shape,
        Reshape,
    ),
    "maxpool": LayerKind(
        "keeps the largest value of each window", {"window": (2, 4)}, "image", _pool_shape, Pool
    ),
    "avgpool": LayerKind("averages each window", {"window": (2, 4)}, "image", _pool_shape, Pool),
    "flatten": LayerKind(
        "lays the image out as one vector (row by row, channels last)",
        {},
        "image",
        lambda layer, s: (math.prod(s),),
        Flatten,
    ),
    "dense": LayerKind(
        "every output sees every input (at each time step of a sequence)",
        {"units": (1, 256), "activation": _ACT},
        "vector",
        lambda layer, s: (*s[:-1], layer.units),
        Dense,
        activates=True,
    ),
    "dropout": LayerKind(
        "zeroes a random share of its inputs while training",
        {"rate": (0.0, 0.9)},
        "any",
        lambda layer, s: s,
        Identity,
        site=_dropout_site,
    ),
    "noise": LayerKind(
        "adds Gaussian noise of standard deviation std to its inputs while training",
        {"std": (0.0, 2.0)},
        "any",
        lambda layer, s: s,
        Identity,
        site=_noise_site,
    ),
    "sample": LayerKind(
        "a VAE's code: reads [mean, log-variance], draws mean + exp(log-variance / 2)·ε while "
        "training, passes the mean at evaluation",
        {},
        "vector",
        _sample_shape,
        Mean,
        site=_sample_site,
    ),
}


def make(kind: str, **values) -> Layer:
    """A validated layer; fields its kind does not read are refused.

    Raises:
      LayerError: naming the kind or field and what is allowed.
    """
    if kind not in LAYER_KINDS:
        raise LayerError(
            None, f"unknown layer kind {str(kind)[:30]!r}; choose one of {', '.join(LAYER_KINDS)}"
        )
    fields = LAYER_KINDS[kind].fields
    values = {**LAYER_KINDS[kind].defaults, **values}
    for key, v in values.items():
        if key not in fields:
            allowed = ", ".join(fields) or "no fields"
            raise LayerError(None, f"{kind} has no field {str(key)[:30]!r} ({kind} takes {allowed})")
        rule = fields[key]
        if isinstance(rule[0], str):
            if v not in rule:
                raise LayerError(
                    None, f"{kind} {key} {str(v)[:30]!r} unknown; choose one of {', '.join(rule)}"
                )
            continue
        lo, hi = rule
        number = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        whole = isinstance(lo, int)
        if not number or (whole and v != int(v)) or not lo <= v <= hi:
            what = "a whole number" if whole else "a number"
            got = f"{v:g}" if number else str(v)[:30]
            raise LayerError(None, f"{kind} {key} must be {what} from {lo:g} to {hi:g}, got {got}")
        values[key] = int(v) if whole else float(v)
    return Layer(kind, **values)


def parse(text: str) -> Layer:
    """A layer from its text: `"conv filters=8 kernel=3"`, omitted fields at their defaults.

    Raises:
      LayerError: naming the part that cannot be read.
    """
    if not isinstance(text, str) or not text.strip():
        raise LayerError(None, "empty layer; write a kind such as 'conv filters=8 kernel=3'")
    if len(text) > 200:
        raise LayerError(None, f"layer text is {len(text)} characters long; at most 200")
    kind, *parts = text.split()
    values = {}
    for part in parts:
        key, sep, raw = part.partition("=")
        if not sep:
            raise LayerError(None, f"{kind}: cannot read {part[:30]!r}; write key=value")
        rule = LAYER_KINDS[kind].fields.get(key) if kind in LAYER_KINDS else None
        if rule is None or isinstance(rule[0], str):
            values[key] = raw
            continue
        try:
            values[key] = float(raw)
        except ValueError:
            raise LayerError(None, f"{kind} {key}: {raw[:30]!r} is not a number") from None
    return make(kind, **values)


def check_stack(layers: tuple[Layer, ...], in_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The output shape after each layer, or the first layer that cannot work.

    Raises:
      LayerError: naming the layer (its 1-based position) and why.
    """
    if len(layers) > MAX_STACK:
        raise LayerError(None, f"{len(layers)} layers; at most {MAX_STACK}")
    shapes, shape, total = [], tuple(in_shape), 0
    for i, layer in enumerate(layers):
        spec = LAYER_KINDS[layer.kind]
        if spec.needs == "image" and len(shape) != 3:
            raise LayerError(
                i,
                f"{layer.kind} needs an image (h×w×channels), but its input is a vector "
                f"of {shape[0]}: put it before the flatten, or lay the vector out as an image with a reshape "
                "layer first",
            )
        if layer.kind == "embedding" and i:
            raise LayerError(i, "embedding reads token ids: it can only be the first layer")
        if spec.needs == "sequence" and len(shape) != 2:
            what = f"a vector of {shape[0]}" if len(shape) == 1 else "an image " + "×".join(map(str, shape))
            raise LayerError(i, f"{layer.kind} needs a sequence (steps×features), but its input is {what}")
        if spec.needs == "vector" and len(shape) == 3:
            raise LayerError(
                i,
                f"{layer.kind} needs a vector, but its input is an image "
                f"{'×'.join(map(str, shape))}: add a flatten layer before it",
            )
        try:
            out = tuple(spec.shape(layer, shape))
        except ValueError as e:
            raise LayerError(i, f"{layer.kind}: {e}") from None
        if len(out) == 3 and math.prod(out) > MAX_IMAGE_VALUES:
            raise LayerError(
                i,
                f"{layer.kind} makes a {'×'.join(map(str, out))} image; at most {MAX_IMAGE_VALUES:,} values",
            )
        total += n_params(layer, shape)
        if total > MAX_PARAMS:
            raise LayerError(
                i, f"{layer.label} brings the network to {total:,} parameters; at most {MAX_PARAMS:,}"
            )
        shapes.append(out)
        shape = out
    return shapes


def n_params(layer: Layer, in_shape) -> int:
    """Weights and biases of one layer on an input of `in_shape`."""
    if layer.kind == "conv":
        return layer.kernel * layer.kernel * in_shape[-1] * layer.filters + layer.filters
    if layer.kind == "dense":
        return in_shape[-1] * layer.units + layer.units
    spec = LAYER_KINDS[layer.kind]
    return spec.count(layer, in_shape) if spec.count else 0


class Stack(nnx.Module):
    """A stack of layers; each layer's activation (conv, dense) follows it."""

    def __init__(self, layers: tuple[Layer, ...], in_shape, init: str, seed: int):
        rngs = nnx.Rngs(params=seed)
        self.specs = layers
        mods, shape = [], tuple(in_shape)
        for layer, out in zip(layers, check_stack(layers, in_shape)):
            mods.append(LAYER_KINDS[layer.kind].module(layer, shape, init, rngs))
            shape = out
        self.layers = nnx.List(mods)

    def __call__(self, x, keep=None, draws=None):
        """Forward pass.

        Args:
          x: (batch, *in_shape) inputs.
          keep: optional list, one per layer, of dropout multipliers shaped like that
            layer's output (0 or 1/(1-rate)), or None for no dropout there.
          draws: optional list, one per layer, of uniform draws shaped like that layer's output
            for the layers whose kind has a `site` rule (training), or None.

        Returns:
          (z_out, trace): the last layer's pre-activation and, per layer, (z, a).
        """
        trace = []
        for i, (spec, mod) in enumerate(zip(self.specs, self.layers)):
            z = mod(x)
            a = _ALL_ACTIVATIONS[spec.activation].fn(z) if LAYER_KINDS[spec.kind].activates else z
            if keep is not None and keep[i] is not None:
                a = a * keep[i]
            if draws is not None and draws[i] is not None:
                a = LAYER_KINDS[spec.kind].site(spec, x, a, draws[i])
            trace.append((z, a))
            x = a
        return trace[-1][0], trace


def build(layers: tuple[Layer, ...], in_shape, init: str, seed: int):
    """Build the module and split it: (graphdef, params pytree)."""
    return nnx.split(Stack(layers, in_shape, init, seed), nnx.Param)


def dropout_sites(layers: tuple[Layer, ...], in_shape) -> list[tuple[int, tuple[int, ...], float]]:
    """(layer index, per-example shape of its mask, rate) for each dropout layer."""
    shapes = check_stack(layers, in_shape)
    return [(i, shapes[i], layer.rate) for i, layer in enumerate(layers) if layer.kind == "dropout"]


def draw_sites(layers: tuple[Layer, ...], in_shape) -> list[tuple[int, tuple[int, ...], str]]:
    """(layer index, per-example shape of its draws, kind) for each layer whose kind has a `site`
    rule (dropout, noise, sample): the engine draws uniforms of that shape every step."""
    shapes = check_stack(layers, in_shape)
    return [(i, shapes[i], la.kind) for i, la in enumerate(layers) if LAYER_KINDS[la.kind].site]


def sample_index(layers: tuple[Layer, ...]) -> int | None:
    """The position of a stack's sampling layer (a VAE's), or None."""
    return next((i for i, la in enumerate(layers) if la.kind == "sample"), None)


# The sequence kinds (embedding, positional, block, layernorm, rnn) register themselves here.
from playground.core import sequence_layers  # noqa: E402, F401
from playground.core.sequence_layers import SEQUENCE_KINDS  # noqa: E402, F401
