"""Training the game: one compiled call plays whole epochs (`steps_per_epoch` generator steps,
each after `d_steps` discriminator steps) under `lax.scan`; Step D and Step G make a single
update of one network. Learning rates, the penalty's weight and k live in the state, so changing
them never recompiles. A non-finite loss stops the run and keeps the last good weights."""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from playground.core import layers, optimizers
from playground.core.config import ConfigError
from playground.zoo.gan import game
from playground.zoo.gan.config import GanConfig
from playground.zoo.gan.data import Target, make_target

RUNNING, DIVERGED = 0, 1
N_FIXED = 1000  # fixed noise inputs: the samples shown and scored
CHUNK_SIZES = (1, 4, 16, 64)
METRICS = ("d_loss", "g_loss", "d_real", "d_fake")


@dataclasses.dataclass(frozen=True)
class GanArch:
    """Everything that decides shapes and compiled code (hashable)."""

    g_specs: tuple[layers.Layer, ...]
    d_specs: tuple[layers.Layer, ...]
    noise_dim: int
    noise: str
    dim: int
    images: bool
    loss: str
    g_optimizer: str
    d_optimizer: str
    batch: int
    steps: int
    n_real: int

    @property
    def graphdefs(self):
        return game.graphdefs(self.g_specs, self.d_specs, self.noise_dim, self.dim)


@dataclasses.dataclass(frozen=True, eq=False)
class GanTask:
    config: GanConfig
    target: Target
    arch: GanArch
    real: jax.Array  # (n, dim)
    fixed_noise: jax.Array  # (N_FIXED, noise_dim): the same inputs every frame
    reference: np.ndarray  # (≤ N_FIXED, dim) real samples drawn apart from the training ones


class GanState(NamedTuple):
    g_params: object
    d_params: object
    g_opt: object
    d_opt: object
    hyper: dict  # gp (float32), d_steps (int32)
    key: jax.Array
    epoch: jax.Array  # int32 epochs completed
    g_steps: jax.Array  # int32 generator updates made
    d_steps: jax.Array  # int32 discriminator updates made
    status: jax.Array  # int32 RUNNING, DIVERGED


def check_stacks(config: GanConfig, dim: int):
    """Raises ConfigError on "generator" or "discriminator" naming a layer that cannot work."""
    g, d = game.stacks(config, dim)
    for field, specs, shape in (("generator", g, (config.noise_dim,)), ("discriminator", d, (dim,))):
        try:
            layers.check_stack(specs, shape)
        except layers.LayerError as e:
            msg = str(e)
            if e.index == len(specs) - 1:
                msg = msg.replace(f"layer {e.index + 1}:", "the output layer:", 1)
            raise ConfigError(field, msg) from None
    return g, d


def make_task(config: GanConfig, target: Target | None = None) -> GanTask:
    target = target if target is not None else make_target(config)
    g, d = check_stacks(config, target.dim)
    n = len(target.x)
    arch = GanArch(
        g_specs=g,
        d_specs=d,
        noise_dim=config.noise_dim,
        noise=config.noise,
        dim=target.dim,
        images=target.images,
        loss=config.loss,
        g_optimizer=config.g_optimizer,
        d_optimizer=config.d_optimizer,
        batch=min(config.batch_size, n),
        steps=config.steps_per_epoch,
        n_real=n,
    )
    fixed = game.noise(config.noise, jax.random.key(config.seed + 12345), N_FIXED, config.noise_dim)
    reference = make_target(config, N_FIXED, stream=8).x
    return GanTask(config, target, arch, jnp.asarray(target.x), fixed, reference)


def _hyper(config: GanConfig) -> dict:
    return {"gp": np.float32(config.gp_weight), "d_steps": np.int32(config.d_steps)}


def _optimizer(arch: GanArch, net: str):
    """The network's optimizer with placeholder numbers (the state holds the real ones)."""
    name = arch.g_optimizer if net == "g" else arch.d_optimizer
    return optimizers.make_optimizer(GanConfig(**{f"{net}_optimizer": name}).optimizer_config(net))


def init_state(task: GanTask) -> GanState:
    c, a = task.config, task.arch
    g_params = layers.build(a.g_specs, (a.noise_dim,), c.init, c.seed)[1]
    d_params = layers.build(a.d_specs, (a.dim,), c.init, c.seed + 1)[1]
    return GanState(
        g_params=g_params,
        d_params=d_params,
        g_opt=optimizers.make_optimizer(c.optimizer_config("g")).init(g_params),
        d_opt=optimizers.make_optimizer(c.optimizer_config("d")).init(d_params),
        hyper={k: jnp.asarray(v) for k, v in _hyper(c).items()},
        key=jax.random.key_data(jax.random.key(c.seed + 2)),
        epoch=jnp.int32(0),
        g_steps=jnp.int32(0),
        d_steps=jnp.int32(0),
        status=jnp.int32(RUNNING),
    )


def set_hypers(state: GanState, config: GanConfig) -> GanState:
    """New learning rates, optimizer numbers, λ and k, weights kept (no recompile)."""
    return state._replace(
        g_opt=optimizers.set_hypers(state.g_opt, config.optimizer_config("g")),
        d_opt=optimizers.set_hypers(state.d_opt, config.optimizer_config("d")),
        hyper={k: jnp.asarray(v) for k, v in _hyper(config).items()},
    )


def _d_update(arch: GanArch, st: GanState, real_all, key):
    """One discriminator update on a real batch and a generated one; returns (state, (loss,
    D on real, D on fake))."""
    gdef, ddef = arch.graphdefs
    opt = _optimizer(arch, "d")
    kr, kz, ke, kg, kd = jax.random.split(key, 5)
    real = real_all[jax.random.randint(kr, (arch.batch,), 0, arch.n_real)]
    z = game.noise(arch.noise, kz, arch.batch, arch.noise_dim)
    keep_g = game.keep_masks(arch.g_specs, (arch.noise_dim,), kg, arch.batch)
    fake = jax.lax.stop_gradient(game.generate(gdef, st.g_params, z, arch.images, keep_g))
    x = jnp.concatenate([real, fake])
    keep_d = game.keep_masks(arch.d_specs, (arch.dim,), kd, 2 * arch.batch)

    def loss(dp):
        out = game.critic(ddef, dp, x, keep_d)
        lr, lf = out[: arch.batch], out[arch.batch :]
        total = game.d_loss(arch.loss, lr, lf)
        if arch.loss == "wgan-gp":
            eps = jax.random.uniform(ke, (arch.batch, 1))
            total = total + st.hyper["gp"] * game.gradient_penalty(ddef, dp, real, fake, eps)
        return total, (game.d_prob(arch.loss, lr).mean(), game.d_prob(arch.loss, lf).mean())

    (value, (dr, df)), grads = jax.value_and_grad(loss, has_aux=True)(st.d_params)
    updates, d_opt = opt.update(grads, st.d_opt, st.d_params)
    st = st._replace(d_params=optax.apply_updates(st.d_params, updates), d_opt=d_opt, d_steps=st.d_steps + 1)
    return st, (value, dr, df)


def _g_update(arch: GanArch, st: GanState, key):
    """One generator update against the discriminator as it is; returns (state, loss)."""
    gdef, ddef = arch.graphdefs
    opt = _optimizer(arch, "g")
    kz, kg, kd = jax.random.split(key, 3)
    z = game.noise(arch.noise, kz, arch.batch, arch.noise_dim)
    keep_g = game.keep_masks(arch.g_specs, (arch.noise_dim,), kg, arch.batch)
    keep_d = game.keep_masks(arch.d_specs, (arch.dim,), kd, arch.batch)

    def loss(gp):
        fake = game.generate(gdef, gp, z, arch.images, keep_g)
        return game.g_loss_each(arch.loss, game.critic(ddef, st.d_params, fake, keep_d)).mean()

    value, grads = jax.value_and_grad(loss)(st.g_params)
    updates, g_opt = opt.update(grads, st.g_opt, st.g_params)
    st = st._replace(g_params=optax.apply_updates(st.g_params, updates), g_opt=g_opt, g_steps=st.g_steps + 1)
    return st, value


def _split(st: GanState):
    key, sub = jax.random.split(jax.random.wrap_key_data(st.key))
    return st._replace(key=jax.random.key_data(key)), sub


def _iteration(arch: GanArch, st: GanState, real):
    """k discriminator updates, then one generator update; returns (state, metrics (4,))."""
    st, key = _split(st)

    def d_body(j, carry):
        s, acc = carry
        s, (v, dr, df) = _d_update(arch, s, real, jax.random.fold_in(key, j))
        return s, acc + jnp.stack([v, dr, df])

    k = jnp.maximum(st.hyper["d_steps"], 1)
    st, acc = jax.lax.fori_loop(0, k, d_body, (st, jnp.zeros(3)))
    acc = acc / k
    st, g = _g_update(arch, st, jax.random.fold_in(key, 1 << 20))
    return st, jnp.stack([acc[0], g, acc[1], acc[2]])


def _chunk(arch: GanArch, n_epochs: int, state: GanState, real):
    """Up to n_epochs epochs; a non-finite loss stops the run with the epoch's start weights."""

    def epoch(st: GanState, _):
        new, m = jax.lax.scan(lambda s, _: _iteration(arch, s, real), st, None, length=arch.steps)
        m = m.mean(0)
        ok = (st.status == RUNNING) & jnp.all(jnp.isfinite(m))
        new = new._replace(epoch=new.epoch + 1)
        out = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, st)
        status = jnp.where((st.status == RUNNING) & ~ok, DIVERGED, st.status).astype(jnp.int32)
        return out._replace(status=status), (m, ok)

    return jax.lax.scan(epoch, state, None, length=n_epochs)


@functools.lru_cache(maxsize=64)
def compiled_chunk(arch: GanArch, n_epochs: int):
    return jax.jit(functools.partial(_chunk, arch, n_epochs))


@functools.lru_cache(maxsize=64)
def compiled_single(arch: GanArch, net: str):
    """One update of one network (Step D / Step G), keys drawn as in training."""

    def one(st: GanState, real):
        st, key = _split(st)
        if net == "d":
            return _d_update(arch, st, real, jax.random.fold_in(key, 0))[0]
        return _g_update(arch, st, jax.random.fold_in(key, 1 << 20))[0]

    return jax.jit(one)


def chunk_size(n_epochs: int) -> int:
    return max([c for c in CHUNK_SIZES if c <= n_epochs] or [1])


def advance(task: GanTask, state: GanState, n_epochs: int, chunk: int | None = None):
    """Play n_epochs epochs (fewer if the run diverges). Returns (state, history, reason):
    history {"epoch": [...], d_loss, g_loss, d_real, d_fake} for the epochs accepted."""
    h = {"epoch": [], **{k: [] for k in METRICS}}
    done = 0
    while done < n_epochs and int(state.status) == RUNNING:
        c = chunk or chunk_size(n_epochs - done)
        c = min(c, n_epochs - done) if chunk is None else c
        start = int(state.epoch)
        state, (m, ok) = compiled_chunk(task.arch, c)(state, task.real)
        m, ok = np.asarray(m), np.asarray(ok)
        accepted = int(ok.sum())  # the epochs before a divergence (the rest are refused)
        h["epoch"].extend(range(start + 1, start + accepted + 1))
        for j, k in enumerate(METRICS):
            h[k].extend(float(v) for v in m[ok, j])
        done += c
    reason = stop_message(state)
    return state, h, reason


def single_update(task: GanTask, state: GanState, net: str) -> GanState:
    """Step D (net "d") or Step G (net "g"): one update of that network only."""
    if int(state.status) != RUNNING:
        return state
    return compiled_single(task.arch, net)(state, task.real)


def samples(task: GanTask, state: GanState, n: int = N_FIXED) -> np.ndarray:
    """The generator's outputs on the first n fixed noise inputs."""
    gdef, _ = task.arch.graphdefs
    return np.asarray(game.generate(gdef, state.g_params, task.fixed_noise[:n], task.arch.images))


def stop_message(state: GanState) -> str | None:
    if int(state.status) == DIVERGED:
        return (
            f"Stopped at epoch {int(state.epoch) + 1}: a loss became NaN or infinite, so the weights of "
            f"epoch {int(state.epoch)} are kept. Lower a learning rate (or λ) and press Reset."
        )
    return None
