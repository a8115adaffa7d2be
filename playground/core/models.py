"""Models: a network is a list of layer specs built into a Flax NNX module.

A new layer type (conv, recurrent, attention) is one entry in LAYERS plus its
module; nothing else changes. Training never steps the module object: the
engine splits it once into a static graph definition and a pytree of
parameters (`nnx.split`) and trains the pytree with pure jitted functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS

# Name -> (kernel initializer (key, shape) -> array, bias value).
INITS: dict[str, tuple[Callable, float]] = {
    "tfp": (lambda key, shape: jax.random.uniform(key, shape, minval=-0.5, maxval=0.5), 0.1),
    "glorot": (jax.nn.initializers.glorot_uniform(), 0.0),
    "he": (jax.nn.initializers.he_normal(), 0.0),
    "lecun": (jax.nn.initializers.lecun_normal(), 0.0),
}

_ALL_ACTIVATIONS = {**ACTIVATIONS, **OUTPUT_ACTIVATIONS}

# Below this many multiply-adds per call a dense layer is computed as a
# broadcast multiply and a sum: XLA fuses that with the bias and activation,
# where a dot is a separate kernel launch. On a 2-core CPU this took the
# default task from ~6k to ~10k epochs/s (per-op overhead, not flops, rules).
_SMALL_DENSE = 65536


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """One layer: registry kind, width, activation name, dropout after it or not."""

    kind: str
    units: int
    activation: str
    dropout: bool = False


class Dense(nnx.Module):
    """z = x W + b, with W of shape (inputs, outputs)."""

    def __init__(self, n_in: int, spec: LayerSpec, init: str, rngs: nnx.Rngs):
        kernel_init, bias_value = INITS[init]
        self.kernel = nnx.Param(kernel_init(rngs.params(), (n_in, spec.units)).astype(jnp.float32))
        self.bias = nnx.Param(jnp.full((spec.units,), bias_value, jnp.float32))

    def __call__(self, x):
        w, b = self.kernel[...], self.bias[...]
        if x.shape[0] * w.shape[0] * w.shape[1] <= _SMALL_DENSE:
            return (x[:, :, None] * w[None]).sum(1) + b
        return x @ w + b


LAYERS: dict[str, type[nnx.Module]] = {"dense": Dense}


class Network(nnx.Module):
    """A stack of layers from specs; each layer's activation follows it."""

    def __init__(self, specs: tuple[LayerSpec, ...], n_in: int, init: str, seed: int):
        rngs = nnx.Rngs(params=seed)
        self.specs = specs
        layers = []
        for spec in specs:
            layers.append(LAYERS[spec.kind](n_in, spec, init, rngs))
            n_in = spec.units
        self.layers = nnx.List(layers)

    def __call__(self, x, keep=None):
        """Forward pass.

        Args:
          x: (batch, n_in) inputs.
          keep: optional list, one per layer, of (batch, units) dropout
            multipliers (0 or 1/(1-rate)), or None for no dropout there.

        Returns:
          (z_out, trace): the output layer's pre-activation (batch, n_out) and
          a list per layer of (z, a), pre- and post-activation.
        """
        trace = []
        for i, (spec, layer) in enumerate(zip(self.specs, self.layers)):
            z = layer(x)
            a = _ALL_ACTIVATIONS[spec.activation].fn(z)
            trace.append((z, a))
            if keep is not None and keep[i] is not None:
                a = a * keep[i]
            x = a
        return trace[-1][0], trace


def layer_specs(config, n_out: int) -> tuple[LayerSpec, ...]:
    """The MLP of a config: its hidden layers, then the output layer."""
    hidden = tuple(
        LayerSpec("dense", w, act, config.dropout > 0)
        for w, act in zip(config.hidden, config.layer_activations())
    )
    return (*hidden, LayerSpec("dense", n_out, config.output_activation))


def build(specs: tuple[LayerSpec, ...], n_in: int, init: str, seed: int):
    """Build the module and split it: (graphdef, params pytree)."""
    return nnx.split(Network(specs, n_in, init, seed), nnx.Param)


def apply(graphdef, params, x, keep=None):
    """Pure forward pass of a split network (see Network.__call__)."""
    return nnx.merge(graphdef, params)(x, keep)


def params_to_layers(params) -> list[dict[str, np.ndarray]]:
    """Parameters as [{"kernel": (in, out), "bias": (out,)}, ...], input to output."""
    pure = nnx.to_pure_dict(params)["layers"]
    return [
        {"kernel": np.asarray(pure[i]["kernel"]), "bias": np.asarray(pure[i]["bias"])} for i in sorted(pure)
    ]


def layers_json(params, activations: list[str]) -> list[dict]:
    """The self-describing params format, input to output: [{"type": "dense", "kernel": [in][out],
    "bias": [out], "activation": NAME}, ...] (activations: one name per layer, the output's last)."""
    return [
        {"type": "dense", "kernel": la["kernel"].tolist(), "bias": la["bias"].tolist(), "activation": act}
        for la, act in zip(params_to_layers(params), activations, strict=True)
    ]


def layers_to_params(template, layers: list[dict]):
    """Parameters shaped like `template` from the layer-list format.

    Raises:
      ValueError: naming the layer and array whose shape or values are wrong.
    """
    ref = params_to_layers(template)
    if not isinstance(layers, list) or len(layers) != len(ref):
        got = len(layers) if isinstance(layers, list) else type(layers).__name__
        raise ValueError(f"params: expected {len(ref)} layers, got {got}")
    pure = {}
    for i, (want, got) in enumerate(zip(ref, layers)):
        if not isinstance(got, dict):
            raise ValueError(f"params layer {i}: expected an object with kernel and bias")
        if got.get("type", "dense") != "dense":  # files without "type" (older ones) are dense layers
            raise ValueError(
                f"params layer {i}: type {str(got.get('type'))[:40]!r}, this network has dense layers"
            )
        pure[i] = {}
        for name in ("kernel", "bias"):
            try:
                arr = np.asarray(got[name], dtype=np.float32)
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"params layer {i}: {name} missing or not numbers") from None
            if arr.shape != want[name].shape:
                raise ValueError(
                    f"params layer {i}: {name} has shape {arr.shape}, the network needs {want[name].shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"params layer {i}: {name} has NaN or infinite values")
            pure[i][name] = jnp.asarray(arr)
    params = jax.tree.map(lambda v: v, template)
    nnx.replace_by_pure_dict(params, {"layers": pure})
    return params
