"""The autoencoder experiment config: the data (images or 2-D points), the encoder, the bottleneck
and the decoder as layer texts, objective and optimizer; flat and frozen, parsed like every config
(JSON, `--set`, URL query)."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from playground.core import config as core_config
from playground.core import layers
from playground.core.config import ConfigError, Record, check_fields
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS
from playground.data import images
from playground.zoo.autoencoder import stack

IMAGE_SETS = ("digits", "shapes")  # small images (8×8, 16×16); MNIST's 784 pixels are left out for speed
POINT_SETS = ("spiral", "circle", "moons", "gauss", "xor", "blobs")
DATASETS = (*IMAGE_SETS, *POINT_SETS)
VARIANTS = ("plain", "denoising", "vae")
# The layers an encoder or decoder may have: dense ones, and for images convolutions, pooling and
# their inverses (a reshape lays a vector out as an image for a transposed convolution or an upsampling).
VECTOR_KINDS = ("dense", "dropout")
LAYER_KINDS = (
    *VECTOR_KINDS,
    "conv",
    "maxpool",
    "avgpool",
    "flatten",
    "reshape",
    "convtranspose",
    "upsample",
)  # vae: variational (a sampled code, the loss adds β·KL)


@dataclasses.dataclass(frozen=True)
class AeConfig(Record):
    """Every choice of one autoencoder experiment. The stack: [flatten] → encoder → dense
    `latent` units (linear: the code) → decoder → dense output, one unit per input value
    (sigmoid for images in [0, 1], linear for points), trained to reproduce its input (MSE).
    For images the encoder may start with convolutions (the flatten before the code is added) and
    the decoder may end with them, after a reshape: then a 3×3 conv makes the output image.

    Variants: "denoising" adds Gaussian noise of std `corruption` to the inputs while training
    (a `noise` layer first; the targets stay clean, evaluation sees clean inputs); "vae" makes
    the code layer 2·latent units [μ, log σ²] followed by a `sample` layer (z = μ + σ·ε while
    training, μ at evaluation) and adds `beta` times the KL to N(0, I) to the objective."""

    text_limits: ClassVar[dict] = {"encoder": 3000, "decoder": 3000}
    related: ClassVar[dict] = {
        "encoder": ("dataset",),
        "decoder": ("dataset",),
        "dataset": ("encoder", "decoder"),
    }

    # Data.
    dataset: str = "digits"
    n_samples: int = 1797
    noise: float = 0.0  # images: pixel noise (%); points: the sets' noise slider
    train_ratio: float = 0.8
    seed: int = 0
    # Network.
    encoder: tuple[str, ...] = ("dense units=64 activation=relu",)
    latent: int = 2
    variant: str = "plain"
    corruption: float = 0.3  # denoising: std of the noise added to the training inputs
    # vae: the KL term's weight. The reconstruction is the MSE per value, so β = 2σ²/d is the ELBO of a
    # decoder with N(0, σ²) noise on each of d values; 0.003 ≈ σ 0.3 on the 64 pixels of a digit.
    beta: float = 0.003
    decoder: tuple[str, ...] = ("dense units=64 activation=relu",)
    init: str = "he"
    # Objective and optimizer.
    l1: float = 0.0
    l2: float = 0.0
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
        for field in ("encoder", "decoder"):
            if not isinstance(getattr(self, field), tuple):
                raise ConfigError(field, "must be a list of layer texts")
            if len(getattr(self, field)) > layers.MAX_LAYERS:
                raise ConfigError(field, f"at most {layers.MAX_LAYERS} layers")
            for i, text in enumerate(getattr(self, field)):
                try:
                    layer = layers.parse(text)
                except layers.LayerError as e:
                    raise ConfigError(field, f"layer {i + 1}: {e}") from None
                if layer.kind not in LAYER_KINDS:
                    raise ConfigError(
                        field,
                        f"layer {i + 1}: {layer.kind} layers are not offered here; "
                        f"use {', '.join(LAYER_KINDS)}",
                    )
                if self.dataset not in IMAGE_SETS and layer.kind not in VECTOR_KINDS:
                    raise ConfigError(
                        field,
                        f"layer {i + 1}: {layer.kind} layers work on images, and {self.dataset} is a set of "
                        "2-D points; use dense and dropout layers",
                    )
        stack.check(self, input_shape(self.dataset))  # the layers must work on the data's shape


def input_shape(dataset: str) -> tuple[int, ...]:
    """An example's shape: an image set's (h, w, c), or a 2-D point."""
    return images.IMAGE_SETS[dataset].shape if dataset in IMAGE_SETS else (2,)


RANGES: dict[str, tuple[float, float]] = {
    "n_samples": (10, 5000),
    "latent": (1, 16),
    "corruption": (0.0, 2.0),
    "beta": (0.0, 10.0),
    **{f: core_config.RANGES[f] for f in core_config.TRAINING_FIELDS},
}
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": DATASETS,
    "variant": VARIANTS,
    "init": tuple(INITS),
    "optimizer": tuple(OPTIMIZERS),
    "gd_variant": ("batch", "stochastic", "minibatch"),
}
