"""The sequence experiment config: the task, the network (recurrent or transformer), objective and
optimizer; flat and frozen, parsed like every config (JSON, `--set`, URL query)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from playground.core import config as core_config
from playground.core.config import ConfigError, Record, check_fields
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS
from playground.data.sequences import SEQUENCE_TASKS

NETS = ("rnn", "lstm", "gru", "transformer")


@dataclasses.dataclass(frozen=True)
class SeqConfig(Record):
    """Every choice of one sequence experiment (`net` picks the network; its fields are read)."""

    related: ClassVar[dict] = {"length": ("task",), "task": ("length",)}

    # Data (see playground/data/sequences.py).
    task: str = "reverse"
    n_samples: int = 1000
    length: int = 8
    noise: float = 0.0
    vocab: int = 10
    train_ratio: float = 0.8
    seed: int = 0
    # Network.
    net: str = "lstm"
    hidden: int = 32  # rnn, lstm, gru: hidden units per layer
    rnn_layers: int = 1
    activation: str = "tanh"  # rnn cell only
    blocks: int = 2  # transformer
    heads: int = 2
    width: int = 32
    positions: str = "learned"
    causal: str = "false"  # "true": a decoder (each step sees only the past); "false": an encoder
    init: str = "glorot"
    # Objective and optimizer.
    l1: float = 0.0
    l2: float = 0.0
    clip: float = 0.0  # gradient clipping by global norm; 0 = off
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
        t = SEQUENCE_TASKS[self.task]
        if self.length > t.max_length or self.length % t.length_step:
            step = " and even" if t.length_step == 2 else ""
            raise ConfigError(
                "length", f"{self.task} takes lengths 2 to {t.max_length}{step}, got {self.length}"
            )
        if self.net == "transformer" and self.width % self.heads:
            raise ConfigError("heads", f"{self.heads} heads must split the width {self.width} evenly")


RANGES: dict[str, tuple[float, float]] = {
    "n_samples": (10, 5000),
    "clip": (0, 100),
    "length": (2, 128),
    "vocab": (2, 10),
    "hidden": (1, 128),
    "rnn_layers": (1, 3),
    "blocks": (1, 4),
    "heads": (1, 4),
    "width": (8, 64),
    **{f: core_config.RANGES[f] for f in core_config.TRAINING_FIELDS},
}
CHOICES: dict[str, tuple[str, ...]] = {
    "task": tuple(SEQUENCE_TASKS),
    "net": NETS,
    "activation": ("tanh", "relu"),
    "positions": ("learned", "sinusoidal"),
    "causal": ("true", "false"),
    "init": tuple(INITS),
    "optimizer": tuple(OPTIMIZERS),
    "gd_variant": ("batch", "stochastic", "minibatch"),
}
