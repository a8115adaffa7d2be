"""Loss functions (optax's own) and how targets are encoded for each.

All losses take the output layer's pre-activation `z` (batch, n_out), so that
`bce` and `ce` are computed stably from logits, and return one value per
example (batch,); the engine averages over examples.

  mse:   mean over outputs of (a - y)^2, a = output_activation(z)
  bce:   -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], labels 0/1
  ce:    -sum_k y_k log softmax(z)_k, one-hot labels
  hinge: optax.hinge_loss(a, y), max(0, 1 - y a), labels -1/+1
  huber: mean over outputs of optax.huber_loss(a, y, delta=1)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import optax

from playground.core.activations import OUTPUT_ACTIVATIONS


@dataclasses.dataclass(frozen=True)
class Loss:
    """A loss and the constraints it puts on the rest of the experiment.

    Attributes:
      per_example: (z, y, output_activation_name) -> (batch,) losses.
      outputs: output activations it accepts.
      tasks: "binary", "multiclass", "regression" it accepts.
      formula: LaTeX of the per-example loss, as implemented.
    """

    per_example: Callable[[jax.Array, jax.Array, str], jax.Array]
    outputs: tuple[str, ...]
    tasks: tuple[str, ...]
    formula: str


def _act(z, out):
    return OUTPUT_ACTIVATIONS[out].fn(z)


LOSSES: dict[str, Loss] = {
    "mse": Loss(
        lambda z, y, out: optax.squared_error(_act(z, out), y).mean(-1),
        ("linear", "sigmoid", "tanh", "softmax"),
        ("binary", "multiclass", "regression"),
        r"\frac{1}{K}\sum_k (a_k - y_k)^2",
    ),
    "bce": Loss(
        lambda z, y, out: optax.sigmoid_binary_cross_entropy(z, y).mean(-1),
        ("sigmoid",),
        ("binary",),
        r"-[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]",
    ),
    "ce": Loss(
        lambda z, y, out: optax.softmax_cross_entropy(z, y),
        ("softmax",),
        ("binary", "multiclass"),
        r"-\sum_k y_k \log \mathrm{softmax}(z)_k",
    ),
    "hinge": Loss(
        lambda z, y, out: optax.hinge_loss(_act(z, out), y).mean(-1),
        ("linear", "tanh"),
        ("binary",),
        r"\max(0, 1 - y\,a)",
    ),
    "huber": Loss(
        lambda z, y, out: optax.huber_loss(_act(z, out), y, delta=1.0).mean(-1),
        ("linear", "sigmoid", "tanh", "softmax"),
        ("binary", "multiclass", "regression"),
        r"\frac{1}{K}\sum_k \begin{cases}\frac12 (a_k-y_k)^2 & |a_k-y_k|\le 1\\"
        r" |a_k-y_k|-\frac12 & \text{else}\end{cases}",
    ),
}


def task_kind(task: str, n_classes: int) -> str:
    """'binary', 'multiclass' or 'regression' from a dataset's task and class count."""
    if task == "regression":
        return "regression"
    return "binary" if n_classes == 2 else "multiclass"


def n_outputs(kind: str, loss: str, n_classes: int) -> int:
    """Width of the output layer: one-hot for ce and for more than two classes."""
    if kind == "regression":
        return 1
    if kind == "multiclass" or loss == "ce":
        return n_classes
    return 1


def encode_targets(labels, kind: str, loss: str, output_activation: str, n_classes: int):
    """Turn dataset labels (n,) into the network's targets (n, n_out) float32.

    Binary labels 0/1 stay 0/1 for sigmoid outputs and become -1/+1 for tanh and
    linear outputs (TensorFlow Playground's convention, and hinge's).
    """
    import numpy as np

    labels = np.asarray(labels)
    if kind == "regression":
        return labels.astype(np.float32)[:, None]
    k = n_outputs(kind, loss, n_classes)
    if k > 1:
        return np.eye(k, dtype=np.float32)[labels.astype(int)]
    y = labels.astype(np.float32)[:, None]
    return y if output_activation == "sigmoid" else 2.0 * y - 1.0


def decision_threshold(output_activation: str) -> float:
    """Output value separating class 0 from class 1 for a single binary output."""
    return 0.5 if output_activation == "sigmoid" else 0.0
