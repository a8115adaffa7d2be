"""Activation functions: the single registry the UI, the parser and the engine read."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Activation:
    """One activation: its function and the formulas shown to the user.

    Attributes:
      fn: elementwise jnp function.
      formula: LaTeX of a = f(z).
      derivative: LaTeX of f'(z), the rule the tracer shows; the number itself
        always comes from `jax.grad` of `fn`, so formula and engine agree.
    """

    fn: Callable[[jax.Array], jax.Array]
    formula: str
    derivative: str


def _leaky_relu(z):
    return jnp.where(z >= 0, z, 0.01 * z)


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(jax.nn.relu, r"\max(0, z)", r"[z > 0]"),
    "leaky_relu": Activation(_leaky_relu, r"\max(0.01z, z)", r"1 \text{ if } z \ge 0 \text{ else } 0.01"),
    "elu": Activation(
        jax.nn.elu, r"z \text{ if } z>0 \text{ else } e^z-1", r"1 \text{ if } z>0 \text{ else } e^z"
    ),
    "gelu": Activation(
        lambda z: jax.nn.gelu(z, approximate=False), r"z\,\Phi(z)", r"\Phi(z) + z\,\varphi(z)"
    ),
    "silu": Activation(jax.nn.silu, r"z\,\sigma(z)", r"\sigma(z)\,(1 + z(1-\sigma(z)))"),
    "softplus": Activation(jax.nn.softplus, r"\log(1+e^z)", r"\sigma(z)"),
    "tanh": Activation(jnp.tanh, r"\tanh z", r"1-\tanh^2 z"),
    "sigmoid": Activation(jax.nn.sigmoid, r"\sigma(z)=1/(1+e^{-z})", r"\sigma(z)(1-\sigma(z))"),
    "linear": Activation(lambda z: z, r"z", r"1"),
}

# Output activations: the hidden ones that make sense at the output, plus softmax,
# which acts on the whole output vector rather than elementwise.
OUTPUT_ACTIVATIONS: dict[str, Activation] = {
    "linear": ACTIVATIONS["linear"],
    "sigmoid": ACTIVATIONS["sigmoid"],
    "tanh": ACTIVATIONS["tanh"],
    "softmax": Activation(
        lambda z: jax.nn.softmax(z, axis=-1),
        r"e^{z_k}/\sum_j e^{z_j}",
        r"\partial a_k/\partial z_j = a_k([k=j]-a_j)",
    ),
}
