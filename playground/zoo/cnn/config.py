"""The CNN experiment config: data, the layer stack, objective and optimizer; flat and frozen.

Shares the parsers of `playground.core.config` (JSON, `--set`, URL query); the stack is a
tuple of layer texts (`core.layers`), checked against the dataset's image shape, so an
impossible stack is refused with the layer named.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from playground.core import config as core_config
from playground.core import layers
from playground.core.config import ConfigError, Record, check_fields
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS
from playground.data.images import IMAGE_SETS

# The presets of the layer builder: name -> layer texts (the output layer is always added).
PRESETS: dict[str, tuple[str, ...]] = {
    "LeNet-like": (
        "conv filters=6 kernel=5 stride=1 padding=same activation=relu",
        "maxpool window=2",
        "conv filters=16 kernel=3 stride=1 padding=same activation=relu",
        "maxpool window=2",
        "flatten",
        "dense units=64 activation=relu",
    ),
    "one conv layer": (
        "conv filters=8 kernel=3 stride=1 padding=same activation=relu",
        "maxpool window=2",
        "flatten",
    ),
    "dense only (compare!)": ("flatten", "dense units=64 activation=relu"),
}
DEFAULT_PRESET = "LeNet-like"


@dataclasses.dataclass(frozen=True)
class CnnConfig(Record):
    """Every choice of one CNN experiment."""

    text_limits: ClassVar[dict] = {"layers": 3000}
    related: ClassVar[dict] = {"layers": ("dataset",), "dataset": ("layers",)}

    # Data.
    dataset: str = "mnist"
    n_samples: int = 5000  # at most; a set with fewer images uses them all
    noise: float = 0.0  # Gaussian pixel noise, std noise/100
    train_ratio: float = 0.8
    seed: int = 0
    # Network: hidden layers as text; the output layer (dense, one unit per class, softmax) follows.
    layers: tuple[str, ...] = PRESETS[DEFAULT_PRESET]
    init: str = "he"
    # Objective: cross-entropy on softmax outputs.
    loss: str = "ce"
    l1: float = 0.0
    l2: float = 0.0
    # Optimizer.
    optimizer: str = "adam"
    learning_rate: float = 0.003
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9
    eps: float = 1e-8
    weight_decay: float = 1e-4
    gd_variant: str = "minibatch"
    batch_size: int = 32
    early_stopping_patience: int = 0

    def __post_init__(self):
        check_fields(self, RANGES, CHOICES)
        if not isinstance(self.layers, tuple):
            raise ConfigError("layers", "must be a list of layer texts")
        if len(self.layers) > layers.MAX_LAYERS - 1:
            n = layers.MAX_LAYERS
            raise ConfigError("layers", f"at most {n - 1} layers (the output layer makes {n})")
        self.stack()  # the stack must work on this dataset's images

    @property
    def image_set(self):
        return IMAGE_SETS[self.dataset]

    @property
    def samples(self) -> int:
        """Images used: n_samples, or all the set has."""
        return min(self.n_samples, self.image_set.max_samples)

    def hidden(self) -> tuple[layers.Layer, ...]:
        """The user's layers, parsed.

        Raises:
          ConfigError: on "layers", naming the layer (1-based) and what is wrong.
        """
        out = []
        for i, text in enumerate(self.layers):
            try:
                out.append(layers.parse(text))
            except layers.LayerError as e:
                raise ConfigError("layers", f"layer {i + 1}: {e}") from None
        return tuple(out)

    def stack(self) -> tuple[layers.Layer, ...]:
        """The whole stack: the user's layers, then the output layer; checked on the data's shape."""
        out = (
            *self.hidden(),
            layers.Layer("dense", units=len(self.image_set.class_names), activation="softmax"),
        )
        try:
            layers.check_stack(out, self.image_set.shape)
        except layers.LayerError as e:
            msg = str(e)
            if e.index == len(out) - 1:
                msg = msg.replace(f"layer {len(out)}:", "the output layer:", 1)
            raise ConfigError("layers", msg) from None
        return out


RANGES: dict[str, tuple[float, float]] = {
    "n_samples": (10, 5000),
    **{f: core_config.RANGES[f] for f in core_config.TRAINING_FIELDS},
}
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": tuple(IMAGE_SETS),
    "init": tuple(INITS),
    "loss": ("ce",),
    "optimizer": tuple(OPTIMIZERS),
    "gd_variant": ("batch", "stochastic", "minibatch"),
}
