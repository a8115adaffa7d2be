"""An autoencoder config bound to its data: the layer stack, the engine's Task (targets are the
inputs, flattened), the code of an input and the decoding of a code, the params split into
encoder and decoder, and how well the codes separate the classes (k-nearest neighbours)."""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from playground.core import engine, layers, params_format
from playground.core.layers import _ALL_ACTIVATIONS, LAYER_KINDS
from playground.data import images, points
from playground.live.session import HYPER_FIELDS
from playground.zoo.autoencoder import stack as ae_stack
from playground.zoo.autoencoder.config import IMAGE_SETS, AeConfig
from playground.zoo.session import StackSession


@dataclasses.dataclass(frozen=True, eq=False)
class AeData:
    """Inputs and their classes. x: (n, h, w, c) images in [0, 1] or (n, 2) points; y: the
    targets, x flattened (n, d); labels: (n,) class ids (for colouring codes, never trained on)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    labels_train: np.ndarray
    labels_test: np.ndarray
    name: str
    class_names: tuple[str, ...]
    task: str = points.REGRESSION
    n_classes: int = 0  # the engine's view: a regression on the inputs

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def images(self) -> bool:
        return len(self.shape) == 3


def load_data(config: AeConfig) -> AeData:
    if config.dataset in IMAGE_SETS:
        n = min(config.n_samples, images.IMAGE_SETS[config.dataset].max_samples)
        d = images.make_images(config.dataset, n, config.noise, config.train_ratio, config.seed)
        xtr, xte, ltr, lte, names = d.x_train, d.x_test, d.y_train, d.y_test, d.class_names
    else:
        d = points.make_data(
            config.dataset, config.n_samples, config.noise, config.train_ratio, config.seed, 3
        )
        xtr, xte = d.x_train.astype(np.float32), d.x_test.astype(np.float32)
        ltr, lte = d.y_train.astype(np.int32), d.y_test.astype(np.int32)
        names = tuple(str(k) for k in range(d.n_classes))
    flat = lambda a: np.ascontiguousarray(a.reshape(len(a), -1), np.float32)  # noqa: E731
    return AeData(xtr, flat(xtr), xte, flat(xte), ltr, lte, config.dataset, names)


def stack(config: AeConfig, data: AeData) -> tuple[layers.Layer, ...]:
    return ae_stack.stack(config, data.shape)


def code_index(config: AeConfig, data: AeData) -> int:
    return ae_stack.code_index(config, data.shape)


def output_activation(data: AeData) -> str:
    return "sigmoid" if data.images else "linear"


def make_task(config: AeConfig, data: AeData | None = None) -> engine.Task:
    """Bind a config to its data (made from the config when not given).

    Raises:
      ConfigError: on "encoder" or "decoder", naming a layer the data cannot take.
    """
    data = data if data is not None else load_data(config)
    specs = ae_stack.check(config, data.shape)
    return engine.stack_task(
        config, data, specs, data.shape, "mse", output_activation(data), "regression", jnp.asarray
    )


def _apply(model, i: int, x):
    spec = model.specs[i]
    z = model.layers[i](x)
    return _ALL_ACTIVATIONS[spec.activation].fn(z) if LAYER_KINDS[spec.kind].activates else z


@functools.lru_cache(maxsize=16)
def _halves(arch: engine.Arch, cut: int):
    graphdef = engine.graph_of(arch)
    act = jax.nn.sigmoid if arch.output_activation == "sigmoid" else (lambda z: z)

    def encode(params, x):
        model = nnx.merge(graphdef, params)
        for j in range(cut + 1):
            x = _apply(model, j, x)
        return x

    def decode(params, z):
        model = nnx.merge(graphdef, params)
        n = len(model.specs)
        for j in range(cut + 1, n):
            z = model.layers[j](z) if j == n - 1 else _apply(model, j, z)
        return act(z)

    return jax.jit(encode), jax.jit(decode)


def encode(task: engine.Task, params, x) -> np.ndarray:
    """Codes (n, latent) of inputs x (n, ...); a VAE's: the mean μ (no noise is drawn)."""
    cut = code_index(task.config, task.data)
    return np.asarray(_halves(task.arch, cut)[0](params, jnp.asarray(x, jnp.float32)))


def decode(task: engine.Task, params, z) -> np.ndarray:
    """Decodings (n, d) of codes z (n, latent): images flattened in [0, 1], or points."""
    cut = code_index(task.config, task.data)
    return np.asarray(_halves(task.arch, cut)[1](params, jnp.asarray(z, jnp.float32)))


def params_json(task: engine.Task, params) -> dict:
    """{"encoder": [...], "decoder": [...]} in the self-describing params format; the encoder
    ends with the code layer (a VAE's: the dense [μ, log σ²] layer, then {"type": "sample"}), the
    decoder ends with the output layer (its activation applied). A denoising encoder starts with
    {"type": "noise", "std": ...} (the identity outside training)."""
    doc = params_format.to_json(task.arch.specs, task.arch.in_shape, params)["layers"]
    cut = code_index(task.config, task.data) + 1
    last = max(i for i, la in enumerate(doc) if "activation" in la)  # the output dense or conv (+ flatten)
    doc[last]["activation"] = task.arch.output_activation
    return {"encoder": doc[:cut], "decoder": doc[cut:]}


def knn_accuracy(train_codes, train_labels, test_codes, test_labels, k: int = 5) -> float:
    """The share of test codes whose k nearest training codes (Euclidean) vote for their class
    (ties: the smallest class id): how well the code separates the classes."""
    a, b = np.asarray(test_codes, np.float64), np.asarray(train_codes, np.float64)
    d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None] - 2 * a @ b.T
    near = np.argsort(d, axis=1, kind="stable")[:, :k]
    votes = np.asarray(train_labels)[near]
    n_classes = int(max(np.max(train_labels), np.max(test_labels))) + 1
    counts = np.stack([(votes == c).sum(1) for c in range(n_classes)], 1)
    return float((counts.argmax(1) == np.asarray(test_labels)).mean())


def code_accuracy(task: engine.Task, params) -> float:
    """`knn_accuracy` of the test codes against the training codes (5 neighbours)."""
    d = task.data
    return knn_accuracy(
        encode(task, params, d.x_train), d.labels_train, encode(task, params, d.x_test), d.labels_test
    )


class Session(StackSession):
    """One user's autoencoder experiment: config + data + training state + history."""

    data_fields = ("dataset", "n_samples", "noise", "train_ratio", "seed")
    config_class = AeConfig
    hyper_fields = (*HYPER_FIELDS, "beta")  # β lives in the training state: no reset, no recompile

    def make_task(self, config, data=None) -> engine.Task:
        return make_task(config, data)

    def params_json(self) -> dict:
        return params_json(self.task, self.params)
