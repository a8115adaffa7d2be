"""The two networks and their game: the generator's and the discriminator's stacks (any layer
texts the builder offers), their forward passes, the four losses and the gradient penalty.
Pure functions of (graphdef, params); the training loop is `train.py`.

Losses, with l = D's output (a logit; the critic's score for wgan-gp) on real (r) and
generated (f) samples, each a mean over the batch:
  nonsaturating  D: softplus(-l_r) + softplus(l_f)       G: softplus(-l_f)   (= -log D(G(z)))
  minimax        D: the same                              G: -softplus(l_f)   (=  log(1 - D(G(z))))
  leastsquares   D: ½(l_r - 1)² + ½ l_f²                  G: ½(l_f - 1)²
  wgan-gp        D: l_f - l_r + λ (‖∇ₓ D(x̂)‖ - 1)²       G: -l_f
where x̂ = ε x_r + (1 - ε) x_f, ε ~ U(0, 1) per sample (Gulrajani et al. 2017).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from flax import nnx

from playground.core import layers


def stacks(config, dim: int) -> tuple[tuple[layers.Layer, ...], tuple[layers.Layer, ...]]:
    """(generator, discriminator) layer stacks: the user's layers, then the output layer."""
    g = tuple(layers.parse(t) for t in config.generator) + (
        layers.make("dense", units=dim, activation="linear"),
    )
    d = tuple(layers.parse(t) for t in config.discriminator) + (
        layers.make("dense", units=1, activation="linear"),
    )
    return g, d


@functools.lru_cache(maxsize=32)
def graphdefs(g_specs, d_specs, noise_dim: int, dim: int):
    return (
        layers.build(g_specs, (noise_dim,), "glorot", 0)[0],
        layers.build(d_specs, (dim,), "glorot", 0)[0],
    )


def keep_masks(specs, in_shape, key, batch: int):
    """Dropout multipliers for one call (None without dropout layers)."""
    sites = layers.dropout_sites(specs, in_shape)
    if not sites:
        return None
    keep = [None] * len(specs)
    for i, shape, rate in sites:
        u = jax.random.uniform(jax.random.fold_in(key, i), (batch, *shape))
        keep[i] = (u >= rate).astype(jnp.float32) / (1 - rate)
    return keep


def generate(graphdef, params, z, images: bool, keep=None):
    """G(z): points (n, 2), or pixels (n, 64) in [0, 1] (sigmoid) for images."""
    out = nnx.merge(graphdef, params)(z, keep)[0]
    return jax.nn.sigmoid(out) if images else out


def critic(graphdef, params, x, keep=None):
    """D's output (n,): a logit (P(real) = sigmoid of it), or the critic's score (wgan-gp)."""
    return nnx.merge(graphdef, params)(x, keep)[0][:, 0]


def d_loss(loss: str, l_real, l_fake):
    if loss in ("nonsaturating", "minimax"):
        return jax.nn.softplus(-l_real).mean() + jax.nn.softplus(l_fake).mean()
    if loss == "leastsquares":
        return 0.5 * jnp.square(l_real - 1).mean() + 0.5 * jnp.square(l_fake).mean()
    return l_fake.mean() - l_real.mean()  # wgan-gp, before the penalty


def g_loss_each(loss: str, l_fake):
    """The generator's loss on each generated sample (its mean is G's objective)."""
    if loss == "nonsaturating":
        return jax.nn.softplus(-l_fake)
    if loss == "minimax":
        return -jax.nn.softplus(l_fake)
    if loss == "leastsquares":
        return 0.5 * jnp.square(l_fake - 1)
    return -l_fake


def d_prob(loss: str, out):
    """What D says of a sample, as shown: P(real) for the log-loss games, the raw output for
    least squares (trained towards 1 on real, 0 on fake) and the critic's score for wgan-gp."""
    return jax.nn.sigmoid(out) if loss in ("nonsaturating", "minimax") else out


def gradient_penalty(graphdef, params, real, fake, eps):
    """mean over the batch of (‖∇ₓ D(x̂)‖ - 1)², x̂ = eps·real + (1 - eps)·fake, eps (n, 1)."""
    x_hat = eps * real + (1 - eps) * fake
    grads = jax.vmap(jax.grad(lambda x: critic(graphdef, params, x[None])[0]))(x_hat)
    norm = jnp.sqrt(jnp.sum(jnp.square(grads), axis=1) + 1e-12)
    return jnp.square(norm - 1).mean()


def noise(kind: str, key, n: int, dim: int):
    """Generator inputs: standard normal, or uniform on [-1, 1]."""
    if kind == "uniform":
        return jax.random.uniform(key, (n, dim), minval=-1.0, maxval=1.0)
    return jax.random.normal(key, (n, dim))
