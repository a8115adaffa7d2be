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
      derivative: LaTeX of f'(z), the rule the backprop tracer shows.
      grad: elementwise f'(z), written by hand beside `fn` so the tracer's chain
        rule is independent of `jax.grad` (the tests compare the two). None for
        softmax, whose Jacobian the tracer applies as a whole.
    """

    fn: Callable[[jax.Array], jax.Array]
    formula: str
    derivative: str
    grad: Callable[[jax.Array], jax.Array] | None = None


def _leaky_relu(z):
    return jnp.where(z >= 0, z, 0.01 * z)


def _gelu_grad(z):
    cdf = 0.5 * (1 + jax.scipy.special.erf(z / jnp.sqrt(2.0)))
    return cdf + z * jnp.exp(-0.5 * z * z) / jnp.sqrt(2 * jnp.pi)


def _silu_grad(z):
    s = jax.nn.sigmoid(z)
    return s * (1 + z * (1 - s))


ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation(jax.nn.relu, r"\max(0, z)", r"[z > 0]", lambda z: (z > 0).astype(z.dtype)),
    "leaky_relu": Activation(
        _leaky_relu,
        r"\max(0.01z, z)",
        r"1 \text{ if } z \ge 0 \text{ else } 0.01",
        lambda z: jnp.where(z >= 0, 1.0, 0.01).astype(z.dtype),
    ),
    "elu": Activation(
        jax.nn.elu,
        r"z \text{ if } z>0 \text{ else } e^z-1",
        r"1 \text{ if } z>0 \text{ else } e^z",
        lambda z: jnp.where(z > 0, 1.0, jnp.exp(jnp.minimum(z, 0.0))).astype(z.dtype),
    ),
    "gelu": Activation(
        lambda z: jax.nn.gelu(z, approximate=False),
        r"z\,\Phi(z)",
        r"\Phi(z) + z\,\varphi(z)",
        _gelu_grad,
    ),
    "silu": Activation(jax.nn.silu, r"z\,\sigma(z)", r"\sigma(z)\,(1 + z(1-\sigma(z)))", _silu_grad),
    "softplus": Activation(jax.nn.softplus, r"\log(1+e^z)", r"\sigma(z)", jax.nn.sigmoid),
    "tanh": Activation(jnp.tanh, r"\tanh z", r"1-\tanh^2 z", lambda z: 1 - jnp.tanh(z) ** 2),
    "sigmoid": Activation(
        jax.nn.sigmoid,
        r"\sigma(z)=1/(1+e^{-z})",
        r"\sigma(z)(1-\sigma(z))",
        lambda z: jax.nn.sigmoid(z) * (1 - jax.nn.sigmoid(z)),
    ),
    "linear": Activation(lambda z: z, r"z", r"1", jnp.ones_like),
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
