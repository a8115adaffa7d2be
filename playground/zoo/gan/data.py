"""The GAN's targets: 2-D distributions (mixtures with known modes, curves, the user's drawing)
and the 8×8 digits, as the real samples the discriminator sees."""

from __future__ import annotations

import dataclasses

import numpy as np

from playground.data import images
from playground.zoo.gan.config import GanConfig, drawn_points

PLANE = 3.0  # the built-in 2-D targets live in [-3, 3]²


@dataclasses.dataclass(frozen=True, eq=False)
class Target:
    """Real samples x (n, d) float32 (points, or digits flattened in [0, 1]); labels (n,) for
    digits (else None); modes (m, 2) the mixture's centres (else None) with `near`, the distance
    within which a sample counts as near a mode; `extent` the plane's half-width (2-D)."""

    x: np.ndarray
    name: str
    labels: np.ndarray | None = None
    modes: np.ndarray | None = None
    near: float = 0.0
    extent: float = PLANE
    shape: tuple[int, ...] = (2,)

    @property
    def images(self) -> bool:
        return len(self.shape) == 3

    @property
    def dim(self) -> int:
        return int(np.prod(self.shape))


def mixture_modes(name: str) -> np.ndarray:
    if name == "ring8":
        a = 2 * np.pi * np.arange(8) / 8
        return 2.0 * np.stack([np.cos(a), np.sin(a)], 1)
    g = np.arange(-2.0, 2.5, 1.0)
    return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)  # grid25


def near_radius(spread: float) -> float:
    """A sample is near a mode within three of its standard deviations (at least 0.05)."""
    return 3.0 * max(spread, 0.05 / 3)


def make_target(config: GanConfig, n: int | None = None, stream: int = 7) -> Target:
    """The config's real samples (n of them, default n_samples); another `stream` draws an
    independent sample of the same distribution (the reference samples are scored against)."""
    rng = np.random.default_rng([config.seed, stream])
    n, s = n or config.n_samples, config.spread
    if config.dataset == "digits":
        imgs, labels = images.load_digits()
        take = rng.permutation(len(imgs))[: min(n, len(imgs))]
        x = imgs[take].reshape(len(take), -1).astype(np.float32) / 255.0
        return Target(
            np.ascontiguousarray(x), "digits", labels=labels[take].astype(np.int32), shape=(8, 8, 1)
        )
    if config.dataset in ("ring8", "grid25"):
        modes = mixture_modes(config.dataset)
        x = modes[rng.integers(0, len(modes), n)] + rng.normal(0, s, (n, 2))
        return Target(x.astype(np.float32), config.dataset, modes=modes, near=near_radius(s))
    if config.dataset == "gaussian":  # one tilted Gaussian: the generator must learn a linear map
        cov = np.array([[1.0, 0.8], [0.8, 1.0]]) * 0.5
        x = rng.multivariate_normal([0.5, 0.25], cov, n)
    elif config.dataset == "moons":
        t = rng.uniform(0, np.pi, n)
        upper = rng.random(n) < 0.5
        x = np.where(
            upper[:, None], np.stack([np.cos(t), np.sin(t)], 1), np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1)
        )
        x = (x - [0.5, 0.25]) * 1.8 + rng.normal(0, s, (n, 2))
    elif config.dataset == "spiral":
        r = np.sqrt(rng.random(n)) * 2.6
        t = r * 2.2 + np.where(rng.random(n) < 0.5, 0.0, np.pi)
        x = np.stack([r * np.cos(t), r * np.sin(t)], 1) + rng.normal(0, s, (n, 2))
    else:  # drawn: the user's points, resampled and blurred by the spread
        p = np.asarray(drawn_points(config.drawn), np.float64)
        x = p[rng.integers(0, len(p), n)] + rng.normal(0, s, (n, 2))
        extent = max(PLANE, float(np.abs(p).max()) * 1.15 + 3 * s)
        return Target(x.astype(np.float32), "drawn", extent=extent)
    return Target(np.asarray(x, np.float32), config.dataset)
