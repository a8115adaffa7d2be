"""The GAN experiment config: the target distribution, the generator and the discriminator as
layer texts, the noise, the loss, and one optimizer per network; flat and frozen, parsed like
every config (JSON, `--set`, URL query)."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import ClassVar

from playground.core import layers
from playground.core.config import ConfigError, Record, check_fields
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS

POINT_SETS = ("ring8", "grid25", "gaussian", "moons", "spiral", "drawn")
DATASETS = (*POINT_SETS, "digits")
LOSSES = ("nonsaturating", "minimax", "leastsquares", "wgan-gp")
NOISES = ("gaussian", "uniform")
MIN_DRAWN, MAX_DRAWN = 8, 500  # points a drawn target needs / may have
DRAWN_LIMIT = 20.0  # |x|, |y| of a drawn point (the plane shows about ±3)
_PAIR = re.compile(r"^\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)\s*$")


@dataclasses.dataclass(frozen=True)
class GanConfig(Record):
    """Every choice of one GAN experiment. The generator: noise (`noise_dim` numbers) →
    `generator` layers → dense output (2 numbers, linear, for points; 64 pixels, sigmoid, for
    digits). The discriminator: a sample → `discriminator` layers → dense 1 (a logit, or the
    critic's score for wgan-gp). Each generator step follows `d_steps` discriminator steps."""

    text_limits: ClassVar[dict] = {"generator": 3000, "discriminator": 3000, "drawn": 12 * MAX_DRAWN}
    related: ClassVar[dict] = {"drawn": ("dataset",), "dataset": ("drawn",)}

    # Target.
    dataset: str = "ring8"
    n_samples: int = 2000  # real samples (digits: at most 1,797)
    spread: float = 0.05  # mixtures: each Gaussian's std; moons, spiral: the points' noise
    drawn: str = ""  # dataset "drawn": the user's points, "x,y;x,y;..."
    seed: int = 0
    # Networks.
    noise_dim: int = 2
    noise: str = "gaussian"
    generator: tuple[str, ...] = ("dense units=64 activation=relu", "dense units=64 activation=relu")
    discriminator: tuple[str, ...] = ("dense units=64 activation=relu", "dense units=64 activation=relu")
    init: str = "he"
    # Game.
    loss: str = "nonsaturating"
    gp_weight: float = 10.0  # wgan-gp: the gradient penalty's weight λ
    d_steps: int = 1  # discriminator steps per generator step (k)
    batch_size: int = 128
    steps_per_epoch: int = 20  # generator steps between two live frames / history points
    # One optimizer per network.
    g_optimizer: str = "adam"
    g_learning_rate: float = 0.001
    d_optimizer: str = "adam"
    d_learning_rate: float = 0.001
    momentum: float = 0.9
    beta1: float = 0.5  # GANs train better with a short first-moment memory (Radford et al. 2015)
    beta2: float = 0.999
    rho: float = 0.9
    eps: float = 1e-8
    weight_decay: float = 1e-4

    def __post_init__(self):
        check_fields(self, RANGES, CHOICES)
        for field in ("generator", "discriminator"):
            texts = getattr(self, field)
            if not isinstance(texts, tuple):
                raise ConfigError(field, "must be a list of layer texts")
            if len(texts) > layers.MAX_LAYERS - 1:
                raise ConfigError(field, f"at most {layers.MAX_LAYERS - 1} layers")
            for i, text in enumerate(texts):
                try:
                    layer = layers.parse(text)
                except layers.LayerError as e:
                    raise ConfigError(field, f"layer {i + 1}: {e}") from None
                if layer.kind not in ("dense", "dropout"):
                    raise ConfigError(field, f"layer {i + 1}: {layer.kind} layers are not offered here yet")
        if not isinstance(self.drawn, str):
            raise ConfigError("drawn", "must be text: x,y;x,y;...")
        points = drawn_points(self.drawn)
        if self.dataset == "drawn" and len(points) < MIN_DRAWN:
            raise ConfigError(
                "drawn", f"draw at least {MIN_DRAWN} points for the target (there are {len(points)})"
            )

    @property
    def images(self) -> bool:
        return self.dataset == "digits"

    def optimizer_config(self, net: str) -> OptimizerView:
        """The numbers `core.optimizers` reads, for net "g" or "d"."""
        return OptimizerView(
            getattr(self, f"{net}_optimizer"),
            getattr(self, f"{net}_learning_rate"),
            self.momentum,
            self.beta1,
            self.beta2,
            self.rho,
            self.eps,
            self.weight_decay,
        )


@dataclasses.dataclass(frozen=True)
class OptimizerView:
    """One network's optimizer settings under the field names `core.optimizers` reads."""

    optimizer: str
    learning_rate: float
    momentum: float
    beta1: float
    beta2: float
    rho: float
    eps: float
    weight_decay: float


def drawn_points(text: str) -> list[tuple[float, float]]:
    """Read "x,y;x,y;..." (blank items skipped).

    Raises:
      ConfigError: on "drawn", naming the first unreadable point, or too many points.
    """
    out = []
    for i, item in enumerate(p for p in text.split(";") if p.strip()):
        m = _PAIR.match(item)
        try:
            x, y = (float(m.group(1)), float(m.group(2))) if m else (math.nan, math.nan)
        except ValueError:
            x = y = math.nan
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ConfigError("drawn", f"point {i + 1} is not two numbers x,y: {item.strip()[:30]!r}")
        if abs(x) > DRAWN_LIMIT or abs(y) > DRAWN_LIMIT:
            raise ConfigError("drawn", f"point {i + 1} lies outside ±{DRAWN_LIMIT:g}: {x:g},{y:g}")
        out.append((x, y))
        if len(out) > MAX_DRAWN:
            raise ConfigError("drawn", f"at most {MAX_DRAWN} points")
    return out


def points_text(points) -> str:
    """Points as the `drawn` field's text (4 decimals)."""
    return ";".join(f"{float(x):.4g},{float(y):.4g}" for x, y in points)


_RATE = (1e-6, 1.0)
RANGES: dict[str, tuple[float, float]] = {
    "n_samples": (50, 5000),
    "spread": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
    "noise_dim": (1, 64),
    "gp_weight": (0.0, 100.0),
    "d_steps": (1, 10),
    "batch_size": (8, 512),
    "steps_per_epoch": (1, 500),
    "g_learning_rate": _RATE,
    "d_learning_rate": _RATE,
    "momentum": (0.0, 0.999),
    "beta1": (0.0, 0.999),
    "beta2": (0.0, 0.9999),
    "rho": (0.0, 0.999),
    "eps": (1e-10, 1.0),
    "weight_decay": (0.0, 1.0),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": DATASETS,
    "noise": NOISES,
    "init": tuple(INITS),
    "loss": LOSSES,
    "g_optimizer": tuple(OPTIMIZERS),
    "d_optimizer": tuple(OPTIMIZERS),
}
# Hyper-parameters applied to a running game without touching the weights (no recompile).
HYPER_FIELDS = ("g_learning_rate", "d_learning_rate", "momentum", "beta1", "beta2", "rho", "eps")
HYPER_FIELDS += ("weight_decay", "gp_weight")
# What the digits target starts from when chosen on the page (bigger networks, more noise).
DIGITS_DEFAULTS = {
    "noise_dim": 16,
    "generator": ("dense units=128 activation=relu", "dense units=128 activation=relu"),
    "discriminator": ("dense units=128 activation=leaky_relu", "dense units=64 activation=leaky_relu"),
    "batch_size": 64,
}
