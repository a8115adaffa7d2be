"""The training engine: whole chunks of epochs in one compiled call.

One jitted call advances a TrainState by N epochs: per epoch it shuffles,
runs every minibatch step (loss, gradient, update) under `lax.scan`, then
measures the data loss (no penalty, no dropout) and accuracy on the full train
and test sets. Hyper-parameters live in the state as arrays, so changing them
never recompiles; the compiled function depends only on the architecture
(`Arch`) and the chunk length, and is cached per process and on disk.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from playground.core import layers, losses, models, optimizers
from playground.core.activations import OUTPUT_ACTIVATIONS
from playground.core.config import Config, ConfigError
from playground.data.points import Data, data_from_csv, make_data, map_features

RUNNING, DIVERGED, EARLY_STOPPED = 0, 1, 2
POOL = 32  # permutations per pool, see _epoch_orders
MAX_STEPS_PER_CHUNK = 2_000_000  # epochs x minibatches in one call, a server-safety cap
BIG = 2**20  # floats per epoch of inputs and dropout draws above which steps gather their own
EVAL_SLICE = 512  # examples per slice when a stack measures the whole data set


def enable_compile_cache(path: str | None = None) -> str:
    """Turn on JAX's persistent compilation cache so a restarted process starts warm."""
    path = path or os.environ.get("PLAYGROUND_JAX_CACHE") or os.path.expanduser("~/.cache/nn-playground/jax")
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    # Tiny CPU programs compile in well under a second: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return path


MAP_SHARE = 0.6  # drop JAX's in-memory caches past this share of the process's memory-map limit


def relieve_code_maps(share: float = MAP_SHARE) -> bool:
    """Keep a long-lived server clear of the kernel's limit on memory maps.

    Every compiled program keeps its machine code mapped in the process (a new Playground
    architecture adds about 220 maps). The compiled-function caches are bounded one by one, but
    all pages' caches together can pass vm.max_map_count (65,530 by default; the test suite did in
    one process), and then LLVM aborts the whole process ("Cannot allocate memory"), every user's
    session with it. Past `share` of the limit this drops JAX's in-memory caches; programs still
    in use are compiled again, or read back from the persistent cache, on their next call.
    Sessions call it before building a new architecture. Returns whether it cleared (never off
    Linux)."""
    try:
        with open("/proc/sys/vm/max_map_count") as f:
            limit = int(f.read())
        with open("/proc/self/maps") as f:
            used = sum(1 for _ in f)
    except (OSError, ValueError):
        return False
    if used < share * limit:
        return False
    jax.clear_caches()
    return True


@dataclasses.dataclass(frozen=True)
class Arch:
    """Everything that decides shapes and compiled code (hashable, static)."""

    specs: tuple[models.LayerSpec, ...]
    n_in: int
    loss: str
    output_activation: str
    kind: str  # binary, multiclass, regression
    optimizer: str
    n_train: int
    n_test: int
    batch: int
    steps: int  # minibatches per epoch; the last one is padded and masked if short
    in_shape: tuple[int, ...] = ()  # a layers.Stack's input shape (h, w, c); () for the MLP

    @property
    def n_out(self) -> int:
        return self.specs[-1].units

    @property
    def stack(self) -> bool:
        """Built from layers.Layer specs (any kinds) rather than the MLP's dense LayerSpecs."""
        return bool(self.in_shape)

    @property
    def x_shape(self) -> tuple[int, ...]:
        """One example's input shape."""
        return self.in_shape or (self.n_in,)

    @property
    def big(self) -> bool:
        """Too much data to gather a whole chunk's minibatches (or draw its dropout masks) up
        front: then each step gathers its own (same numbers, less memory)."""
        sites = sum(math.prod(s) for _, s, _ in draw_sites(self))
        return self.n_train * (math.prod(self.x_shape) + sites) > BIG

    @property
    def vae(self) -> bool:
        """The stack has a sampling layer: the objective adds β·KL, the metrics record the KL."""
        return self.stack and layers.sample_index(self.specs) is not None

    @property
    def shuffled(self) -> bool:
        return self.batch < self.n_train

    @property
    def padded(self) -> bool:
        return self.batch * self.steps != self.n_train


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """A config bound to its data: network inputs and targets, ready to train."""

    config: Config
    data: Data
    arch: Arch
    x_train: jax.Array  # (n_train, n_in) mapped features
    y_train: jax.Array  # (n_train, n_out) encoded targets
    x_test: jax.Array
    y_test: jax.Array
    perm_pool: jax.Array  # (2, POOL, n_train), see _epoch_orders

    @property
    def chunk_data(self):
        """The arrays every compiled chunk reads."""
        return (self.x_train, self.y_train, self.x_all, self.y_all, self.perm_pool)

    @property
    def x_all(self):
        return jnp.concatenate([self.x_train, self.x_test])

    @property
    def y_all(self):
        return jnp.concatenate([self.y_train, self.y_test])


def load_data(config: Config, csv: bytes | str | None = None) -> Data:
    """Generate the config's dataset, or parse `csv` when dataset is 'csv'."""
    if config.dataset == "csv":
        if csv is None:
            raise ConfigError("dataset", "'csv' needs a CSV file (columns x1,x2,label)")
        return data_from_csv(csv, config.train_ratio, config.seed)
    return make_data(
        config.dataset, config.n_samples, config.noise, config.train_ratio, config.seed, config.n_classes
    )


def make_task(config: Config, data: Data | None = None) -> Task:
    """Bind a config to data (generated from the config when not given).

    Raises:
      ConfigError: when the loss or output activation does not fit the data.
    """
    data = data if data is not None else load_data(config)
    kind = losses.task_kind(data.task, data.n_classes)
    spec = losses.LOSSES[config.loss]
    if kind not in spec.tasks:
        fits = ", ".join(n for n, s in losses.LOSSES.items() if kind in s.tasks)
        raise ConfigError("loss", f"loss {config.loss!r} does not fit {kind} data; use one of {fits}")
    n_out = losses.n_outputs(kind, config.loss, data.n_classes)
    if config.output_activation == "softmax" and n_out < 2:
        raise ConfigError("output_activation", "softmax needs several outputs; use loss 'ce'")
    n_train, n_test = len(data.x_train), len(data.x_test)
    batch = {"batch": n_train, "stochastic": 1}.get(config.gd_variant, min(config.batch_size, n_train))
    arch = Arch(
        specs=models.layer_specs(config, n_out),
        n_in=len(config.features),
        loss=config.loss,
        output_activation=config.output_activation,
        kind=kind,
        optimizer=config.optimizer,
        n_train=n_train,
        n_test=n_test,
        batch=batch,
        steps=-(-n_train // batch),
    )

    def prepare(x, y):
        feats = map_features(x, config.features).astype(np.float32)
        targets = losses.encode_targets(y, kind, config.loss, config.output_activation, data.n_classes)
        return jnp.asarray(feats), jnp.asarray(targets)

    x_train, y_train = prepare(data.x_train, data.y_train)
    x_test, y_test = prepare(data.x_test, data.y_test)
    pool = jnp.asarray(permutation_pool(n_train, config.seed))
    return Task(config, data, arch, x_train, y_train, x_test, y_test, pool)


def stack_task(config, data, specs, in_shape, loss: str, output_activation: str, kind: str, targets) -> Task:
    """Bind a layer stack (any kinds) to its data: the Arch from the config's descent variant and
    optimizer, the data as arrays; `targets(y)` encodes the labels for the loss."""
    n_train, n_test = len(data.x_train), len(data.x_test)
    batch = {"batch": n_train, "stochastic": 1}.get(config.gd_variant, min(config.batch_size, n_train))
    arch = Arch(
        specs=tuple(specs),
        n_in=math.prod(in_shape),
        loss=loss,
        output_activation=output_activation,
        kind=kind,
        optimizer=config.optimizer,
        n_train=n_train,
        n_test=n_test,
        batch=batch,
        steps=-(-n_train // batch),
        in_shape=tuple(in_shape),
    )
    pool = jnp.asarray(permutation_pool(n_train, config.seed))
    return Task(
        config,
        data,
        arch,
        jnp.asarray(data.x_train),
        targets(data.y_train),
        jnp.asarray(data.x_test),
        targets(data.y_test),
        pool,
    )


class TrainState(NamedTuple):
    """Everything that changes during training; a pytree, so it can be vmapped."""

    params: object  # nnx.State of the network's parameters
    opt_state: object  # optax state, hyper-parameters injected
    reg: dict  # l1, l2, dropout, patience as float32 arrays
    key: jax.Array  # base PRNG key; epoch e uses fold_in(key, e)
    epoch: jax.Array  # int32, epochs completed
    best_test: jax.Array  # best test loss so far (early stopping)
    since_best: jax.Array  # int32 epochs since it improved
    status: jax.Array  # int32 RUNNING, DIVERGED, EARLY_STOPPED


@functools.lru_cache(maxsize=64)
def _graphdef(specs, n_in):
    """The static graph of a network (n_in: the MLP's input width, or a stack's input shape)."""
    if isinstance(n_in, tuple):
        return layers.build(specs, n_in, "glorot", 0)[0]
    return models.build(specs, n_in, "glorot", 0)[0]


def graph_of(arch: Arch):
    return _graphdef(arch.specs, arch.in_shape or arch.n_in)


def build(arch: Arch, init: str, seed: int):
    """(graphdef, params) of a fresh network of this architecture."""
    if arch.stack:
        return layers.build(arch.specs, arch.in_shape, init, seed)
    return models.build(arch.specs, arch.n_in, init, seed)


def dropout_sites(arch: Arch) -> list[tuple[int, tuple[int, ...], float | None]]:
    """(layer index, per-example mask shape, rate) of each dropout; rate None: the config's
    `dropout`, read from the state (the MLP's hidden layers)."""
    if arch.stack:
        return layers.dropout_sites(arch.specs, arch.in_shape)
    return [(i, (s.units,), None) for i, s in enumerate(arch.specs) if s.dropout]


def draw_sites(arch: Arch) -> list[tuple[int, tuple[int, ...], float | str | None]]:
    """(layer index, per-example draw shape, what for) of each layer that draws uniforms every
    training step. A stack: every layer whose kind has a `site` rule (dropout, noise, sample),
    named by its kind; the rule turns the draw into the layer's output (layers.LAYER_KINDS).
    The MLP: its dropout sites (see dropout_sites)."""
    if arch.stack:
        return layers.draw_sites(arch.specs, arch.in_shape)
    return dropout_sites(arch)


def _reg(config: Config) -> dict:
    reg = {
        "l1": np.float32(config.l1),
        "l2": np.float32(config.l2),
        "dropout": np.float32(getattr(config, "dropout", 0.0)),  # a stack's dropout layers own their rates
        "patience": np.float32(config.early_stopping_patience),
        "clip": np.float32(getattr(config, "clip", 0.0)),  # a stack's gradient clipping; 0 = off
    }
    if hasattr(config, "beta"):  # a VAE's KL weight (only configs that have one carry it)
        reg["beta"] = np.float32(config.beta)
    return reg


def init_state(task: Task, params=None, seed: int | None = None) -> TrainState:
    """A fresh state: parameters from the config's init and seed (or `params`)."""
    c = task.config
    seed = c.seed if seed is None else seed
    if params is None:
        params = build(task.arch, c.init, seed)[1]
    opt_state = optimizers.make_optimizer(c).init(params)
    return TrainState(
        params=params,
        opt_state=opt_state,
        reg={k: jnp.asarray(v) for k, v in _reg(c).items()},
        key=jax.random.key_data(jax.random.key(seed + 1)),
        epoch=jnp.int32(0),
        best_test=jnp.float32(jnp.inf),
        since_best=jnp.int32(0),
        status=jnp.int32(RUNNING),
    )


def set_hypers(state: TrainState, config: Config) -> TrainState:
    """Apply a config's learning rate, optimizer numbers and regularization to a
    state without touching the weights or recompiling. An early-stopped run may
    continue (its patience count restarts); a diverged one stays stopped.

    Values are built on the host (NumPy) and shaped like the ones they replace,
    so no eager op compiles and a stacked (vmapped) state stays stacked.
    """
    reg = {k: _host_like(v, state.reg[k]) for k, v in _reg(config).items()}
    status = np.asarray(state.status)
    status = np.where(status == DIVERGED, status, RUNNING).astype(np.int32)
    return state._replace(
        opt_state=optimizers.set_hypers(state.opt_state, config),
        reg=reg,
        status=jnp.asarray(status),
        since_best=jnp.asarray(np.zeros(np.shape(state.since_best), np.int32)),
    )


def _host_like(value, like):
    return jnp.asarray(np.broadcast_to(np.asarray(value, np.float32), np.shape(like)))


def _penalty(params, reg):
    """l1 * sum|W| + l2 * sum W^2 over kernels only (never biases)."""
    total = 0.0
    for path, leaf in jax.tree_util.tree_leaves_with_path(params):
        if "kernel" in jax.tree_util.keystr(path):
            total = total + reg["l1"] * jnp.abs(leaf).sum() + reg["l2"] * jnp.square(leaf).sum()
    return total


def _forward(arch: Arch, graphdef, params, x):
    """The output pre-activation on a whole data set; a stack goes in slices (memory)."""
    if not arch.stack or len(x) <= EVAL_SLICE:
        return models.apply(graphdef, params, x)[0]
    return jax.lax.map(lambda xi: models.apply(graphdef, params, xi[None])[0][0], x, batch_size=EVAL_SLICE)


def _kl_of(arch: Arch, trace):
    """A VAE's KL per example (n,) from a forward pass's trace: its sampling layer's input."""
    return layers.gaussian_kl(trace[layers.sample_index(arch.specs) - 1][1])


def _forward_kl(arch: Arch, graphdef, params, x):
    """A VAE on a whole data set, evaluated with the code's mean: (output pre-activation, KL (n,))."""

    def run(xs):
        z, trace = models.apply(graphdef, params, xs)
        return z, _kl_of(arch, trace)

    if len(x) <= EVAL_SLICE:
        return run(x)
    return jax.lax.map(lambda xi: jax.tree.map(lambda a: a[0], run(xi[None])), x, batch_size=EVAL_SLICE)


def _per_example(arch: Arch, z, y):
    """Each example's data loss (n,); with a target at every time step (z, y of shape
    (n, T, outputs)), the mean over its steps."""
    per = losses.LOSSES[arch.loss].per_example(z, y, arch.output_activation)
    return per.reshape(per.shape[0], -1).mean(1)


def _metrics(arch: Arch, graphdef, params, x, y, kl=None):
    """Data loss and accuracy, per example: (losses (n,), correct (n,)); with targets at every
    time step, accuracy is the share of an example's steps predicted right. A VAE's KL per
    example lands in `kl` (a dict) when given."""
    if arch.vae:
        z, kl_per = _forward_kl(arch, graphdef, params, x)
        if kl is not None:
            kl["kl"] = kl_per
    else:
        z = _forward(arch, graphdef, params, x)
    per = _per_example(arch, z, y)
    if arch.kind == "regression":
        correct = jnp.zeros_like(per)
    elif arch.n_out > 1:
        right = (jnp.argmax(z, -1) == jnp.argmax(y, -1)).astype(jnp.float32)
        correct = right.reshape(right.shape[0], -1).mean(1)
    else:
        a = OUTPUT_ACTIVATIONS[arch.output_activation].fn(z[:, 0])
        t = losses.decision_threshold(arch.output_activation)
        correct = ((a > t) == (y[:, 0] > t)).astype(jnp.float32)
    return per, correct


def objective(arch: Arch, graphdef, params, reg, x, y, keep=None, mask=None):
    """Training objective of one minibatch: mean data loss plus the L1/L2 penalty; a VAE adds
    β times its mean KL (β: reg["beta"], 1 without one).

    Args:
      keep: the MLP's dropout multipliers per layer; a stack's per-layer uniform draws for the
        layers with a `site` rule (see draw_sites); or None (no dropout, no noise: z = μ).
    """
    if arch.stack:
        z, trace = nnx.merge(graphdef, params)(x, None, keep)
    else:
        z, trace = models.apply(graphdef, params, x, keep)
    per = _per_example(arch, z, y)
    mean = (lambda v: v.mean()) if mask is None else (lambda v: (v * mask).sum() / mask.sum())
    data = mean(per)
    if arch.vae:
        data = data + reg.get("beta", 1.0) * mean(_kl_of(arch, trace))
    return data + _penalty(params, reg)


def _epoch_orders(pool, epoch_keys, n):
    """One shuffled order of range(n) per epoch, (epochs, n).

    `jax.random.permutation` is a sort, and sorts are slow on XLA's CPU backend:
    shuffling took half of a chunk's time. Instead each epoch composes two
    permutations drawn from a pool of POOL fixed random ones (made once from the
    seed) with a random rotation: order = A[i][(B[j] + r) mod n], i.e. one of
    POOL^2 * n (about a million) orders, chosen by the epoch's key, in a few gathers.
    """
    bits = jax.vmap(lambda k: jax.random.bits(jax.random.fold_in(k, 0), (3,), jnp.uint32))(epoch_keys)
    i, j = (bits[:, 0] % POOL).astype(jnp.int32), (bits[:, 1] % POOL).astype(jnp.int32)
    r = (bits[:, 2] % n).astype(jnp.int32)
    inner = (pool[1][j] + r[:, None]) % n
    return jnp.take_along_axis(pool[0][i], inner, axis=1)


def permutation_pool(n: int, seed: int) -> np.ndarray:
    """(2, POOL, n) int32: the fixed permutations `_epoch_orders` composes."""
    rng = np.random.default_rng([seed, n])
    return rng.permuted(np.tile(np.arange(n, dtype=np.int32), (2, POOL, 1)), axis=2)


def _uniform(key, i, shape):
    return jax.random.uniform(jax.random.fold_in(key, i), shape)


def _orders(arch: Arch, epoch_keys, perm_pool):
    """Each epoch's minibatches as indices into the training set, (epochs, steps, batch), and
    the mask of the padded last minibatch (steps, batch) or None."""
    n_epochs = epoch_keys.shape[0]
    if arch.shuffled:
        idx = _epoch_orders(perm_pool, epoch_keys, arch.n_train)
    else:
        idx = jnp.broadcast_to(jnp.arange(arch.n_train), (n_epochs, arch.n_train))
    mask = None
    size = arch.steps * arch.batch
    if arch.padded:
        idx = jnp.pad(idx, ((0, 0), (0, size - arch.n_train)))
        mask = (jnp.arange(size) < arch.n_train).astype(jnp.float32).reshape(arch.steps, arch.batch)
    return idx.reshape(n_epochs, arch.steps, arch.batch), mask


def _epoch_draws(arch: Arch, epoch_keys) -> list:
    """Small data: every draw (dropout, noise, sample) of each epoch at once,
    [(epochs, steps, batch, *shape)]."""
    return [
        jax.vmap(lambda k, i=i, s=shape: _uniform(k, i + 1, (arch.steps, arch.batch, *s)))(epoch_keys)
        for i, shape, _ in draw_sites(arch)
    ]


def _step_draws(arch: Arch, epoch_key, j) -> list:
    """Big data: step j's own draws, [(batch, *shape)]."""
    sk = jax.random.fold_in(epoch_key, j)
    return [_uniform(sk, i + 1, (arch.batch, *shape)) for i, shape, _ in draw_sites(arch)]


def _make_step(arch: Arch, graphdef, opt, reg):
    """One minibatch update: ((params, opt_state), x, y, dropout draws, mask) -> (params, opt_state)."""
    sites = draw_sites(arch)

    def step(carry, x, y, draws, m):
        params, opt_state = carry
        keep = None
        if sites:
            keep = [None] * len(arch.specs)
            for (i, _, rate), u in zip(sites, draws):
                if arch.stack:  # the layer's own rule turns u into its output (layers.LAYER_KINDS)
                    keep[i] = u
                    continue
                rate = reg["dropout"] if rate is None else rate
                keep[i] = (u >= rate).astype(jnp.float32) / (1 - rate)
        grads = jax.grad(lambda p: objective(arch, graphdef, p, reg, x, y, keep, m))(params)
        if arch.stack:  # clip by global norm (the MLP's fused step stays as it was)
            norm = optax.tree.norm(grads)
            scale = jnp.where((reg["clip"] > 0) & (norm > reg["clip"]), reg["clip"] / norm, 1.0)
            grads = jax.tree.map(lambda g: g * scale, grads)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return step


def _finish_epoch(arch: Arch, graphdef, st: TrainState, params, opt_state, x_all, y_all, stop_at):
    """After an epoch's steps: measure train and test, then accept the new weights or stop
    (non-finite loss: keep st's; early stopping). Returns (state, metrics)."""
    extra = {}
    per, correct = _metrics(arch, graphdef, params, x_all, y_all, extra)
    n = arch.n_train
    m = {
        "train_loss": per[:n].mean(),
        "test_loss": per[n:].mean(),
        "train_accuracy": correct[:n].mean(),
        "test_accuracy": correct[n:].mean(),
    }
    if "kl" in extra:  # a VAE: the KL apart from the reconstruction (train_loss, test_loss)
        m["train_kl"], m["test_kl"] = extra["kl"][:n].mean(), extra["kl"][n:].mean()
    finite = jnp.isfinite(m["train_loss"]) & jnp.isfinite(m["test_loss"])
    running = (st.status == RUNNING) & (st.epoch < stop_at)
    accept = running & finite
    improved = m["test_loss"] < st.best_test
    since = jnp.where(improved, 0, st.since_best + 1)
    patience = st.reg["patience"]
    status = jnp.where(
        running & ~finite,
        DIVERGED,
        jnp.where(accept & (patience > 0) & (since >= patience), EARLY_STOPPED, st.status),
    ).astype(jnp.int32)

    def pick(new, old):
        return jax.tree.map(lambda a, b: jnp.where(accept, a, b), new, old)

    new = st._replace(
        params=pick(params, st.params),
        opt_state=pick(opt_state, st.opt_state),
        epoch=jnp.where(accept, st.epoch + 1, st.epoch),
        best_test=jnp.where(accept & improved, m["test_loss"], st.best_test),
        since_best=jnp.where(accept, since, st.since_best),
        status=status,
    )
    m["accepted"] = accept
    return new, m


def _chunk(arch: Arch, n_epochs: int, state: TrainState, data, stop_at):
    """Advance `state` by up to `n_epochs` epochs (fewer if it stops or reaches stop_at)."""
    x_train, y_train, x_all, y_all, perm_pool = data
    graphdef = graph_of(arch)
    # The update reads every hyper-parameter from opt_state; these values are placeholders.
    opt = optimizers.make_optimizer(Config(optimizer=arch.optimizer))
    key = jax.random.wrap_key_data(state.key)
    epochs = state.epoch + jnp.arange(n_epochs, dtype=jnp.int32)
    epoch_keys = jax.vmap(lambda e: jax.random.fold_in(key, e))(epochs)
    # All shuffles of the chunk in a few batched ops, outside the loop; for small data the
    # minibatches and dropout draws too (a big data set's steps gather and draw their own).
    idx, mask = _orders(arch, epoch_keys, perm_pool)
    big = arch.big
    step = _make_step(arch, graphdef, opt, state.reg)

    def scan_step(carry, batch):
        if big:
            ids, k, j, m = batch
            return step(carry, x_train[ids], y_train[ids], _step_draws(arch, k, j), m), None
        x, y, draws, m = batch
        return step(carry, x, y, draws, m), None

    def epoch(st: TrainState, inputs):
        if big:
            ids, k = inputs
            steps_in = (ids, jnp.broadcast_to(k, (arch.steps, *k.shape)), jnp.arange(arch.steps), mask)
        else:
            x, y, u = inputs
            steps_in = (x, y, u, mask)
        (params, opt_state), _ = jax.lax.scan(scan_step, (st.params, st.opt_state), steps_in)
        return _finish_epoch(arch, graphdef, st, params, opt_state, x_all, y_all, stop_at)

    if big:
        return jax.lax.scan(epoch, state, (idx, epoch_keys))
    return jax.lax.scan(epoch, state, (x_train[idx], y_train[idx], _epoch_draws(arch, epoch_keys)))


def _part_steps(arch: Arch, parts: int, state: TrainState, running, data, part):
    """Steps [part*per, (part+1)*per) of the epoch `state` is in (per = ceil(steps/parts)),
    from `running` = (params, opt_state): the same minibatches, draws and updates as the
    epoch's full run in `_chunk`, so a live view can show an epoch as it goes."""
    x_train, y_train, _, _, perm_pool = data
    graphdef = graph_of(arch)
    opt = optimizers.make_optimizer(Config(optimizer=arch.optimizer))
    ek = jax.random.fold_in(jax.random.wrap_key_data(state.key), state.epoch)
    idx, mask = _orders(arch, ek[None], perm_pool)
    draws = None if arch.big else [d[0] for d in _epoch_draws(arch, ek[None])]
    step = _make_step(arch, graphdef, opt, state.reg)
    per = -(-arch.steps // parts)

    def body(j, carry):
        ids = idx[0, j]
        u = _step_draws(arch, ek, j) if draws is None else [d[j] for d in draws]
        return step(carry, x_train[ids], y_train[ids], u, None if mask is None else mask[j])

    lo = part * per
    return jax.lax.fori_loop(lo, jnp.minimum(lo + per, arch.steps), body, running)


def _part_finish(arch: Arch, state: TrainState, running, data, stop_at):
    _, _, x_all, y_all, _ = data
    new, m = _finish_epoch(arch, graph_of(arch), state, *running, x_all, y_all, stop_at)
    return new, m


@functools.lru_cache(maxsize=64)
def compiled_part(arch: Arch, parts: int):
    """(steps of one part, the epoch's finish), jitted; see advance_part."""
    return jax.jit(functools.partial(_part_steps, arch, parts)), jax.jit(
        functools.partial(_part_finish, arch)
    )


def advance_part(task: Task, state: TrainState, running, part: int, parts: int):
    """One part of an epoch split into `parts`: the steps of `part`; after the last part, the
    epoch's metrics and bookkeeping as `advance` does them.

    Args:
      state: the state at the epoch's start (its weights are kept if the epoch diverges).
      running: (params, opt_state) after the earlier parts (the state's own at part 0).

    Returns:
      (state, running, metrics): metrics None before the last part; after it, the state has
      the new epoch (or a stop status) and running is its (params, opt_state).
    """
    steps, finish = compiled_part(task.arch, parts)
    running = steps(state, running, task.chunk_data, jnp.int32(part))
    if part < parts - 1:
        return state, running, None
    state, m = finish(state, running, task.chunk_data, jnp.int32(int(state.epoch) + 1))
    return state, (state.params, state.opt_state), m


# Networks per vmapped slice. On a 2-core CPU, XLA's fused loops cost about 2.2x one
# network for 4 vmapped networks but 5-6x for 5 to 8 (measured, cause not pinned down), so
# larger stacks run as slices of at most VMAP_LANES inside the same compiled call.
VMAP_LANES = 4


@functools.lru_cache(maxsize=128)
def compiled_chunk(arch: Arch, n_epochs: int, n_networks: int = 0):
    """The jitted chunk for an architecture and chunk length (vmapped when n_networks > 0)."""
    fn = functools.partial(_chunk, arch, n_epochs)
    if n_networks:
        one = jax.vmap(fn, in_axes=(0, None, None))
        if n_networks > VMAP_LANES:
            cuts = list(range(0, n_networks, VMAP_LANES))

            def fn(states, data, stop_at):
                parts = [
                    one(jax.tree.map(lambda x, a=a: x[a : a + VMAP_LANES], states), data, stop_at)
                    for a in cuts
                ]
                return jax.tree.map(lambda *xs: jnp.concatenate(xs), *parts)
        else:
            fn = one
    return jax.jit(fn)


CHUNK_SIZES = (1, 4, 16, 64, 256, 1024)


def chunk_size(n_epochs: int, arch: Arch) -> int:
    """Smallest bucketed chunk length covering n_epochs (few sizes, few compiles),
    capped so one call stays under MAX_STEPS_PER_CHUNK minibatch steps."""
    cap = max(1, MAX_STEPS_PER_CHUNK // arch.steps)
    fits = [c for c in CHUNK_SIZES if c <= cap] or [1]
    return next((c for c in fits if c >= n_epochs), fits[-1])


def metric_names(task: Task) -> tuple[str, ...]:
    """The history's columns besides "epoch"; a VAE's train_loss and test_loss are the
    reconstruction error (the code's mean decoded) and train_kl, test_kl its KL term."""
    names = ("train_loss", "test_loss")
    if task.arch.vae:
        names = (*names, "train_kl", "test_kl")
    return names if task.arch.kind == "regression" else (*names, "train_accuracy", "test_accuracy")


def stop_message(state: TrainState, last: dict | None) -> str | None:
    """Why training stopped, in words, or None if it is still running."""
    status = int(state.status)
    epoch = int(state.epoch)
    if status == DIVERGED:
        return (
            f"diverged after epoch {epoch}: the loss became non-finite (NaN or infinity); "
            f"kept the weights of epoch {epoch}. Lower the learning rate and reset."
        )
    if status == EARLY_STOPPED:
        return (
            f"early stopping at epoch {epoch}: the test loss has not improved for "
            f"{int(state.reg['patience'])} epochs (best {float(state.best_test):.4g})"
        )
    return None


def advance(task: Task, state: TrainState, n_epochs: int, chunk: int | None = None, on_chunk=None):
    """Train `n_epochs` more epochs (or until the run stops).

    Args:
      task: the bound config and data.
      state: where to start.
      n_epochs: epochs to add.
      chunk: epochs per compiled call (default: a bucketed size, see chunk_size).
      on_chunk: optional callback(state, history_so_far) after each call.

    Returns:
      (state, history, stop_reason): history maps "epoch" and each metric name
      to a list with one entry per completed epoch; stop_reason is None unless
      the run diverged or stopped early.
    """
    chunk = chunk or chunk_size(n_epochs, task.arch)
    fn = compiled_chunk(task.arch, chunk)
    data = task.chunk_data
    names = metric_names(task)
    history: dict[str, list] = {"epoch": [], **{k: [] for k in names}}
    stop_at = jnp.int32(int(state.epoch) + n_epochs)
    while int(state.status) == RUNNING and int(state.epoch) < int(stop_at):
        start = int(state.epoch)
        state, m = fn(state, data, stop_at)
        done = int(np.asarray(m["accepted"]).sum())
        history["epoch"].extend(range(start + 1, start + done + 1))
        for k in names:
            history[k].extend(np.asarray(m[k][:done], dtype=float).tolist())
        if on_chunk is not None:
            on_chunk(state, history)
    return state, history, stop_message(state, history)


def stack_states(states: list[TrainState]) -> TrainState:
    """K states -> one state whose leaves have a leading axis K (for vmap)."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *states)


def unstack_state(states: TrainState, i: int) -> TrainState:
    return jax.tree.map(lambda x: x[i], states)


def advance_many(task: Task, states: TrainState, n_epochs: int, chunk: int | None = None):
    """Train K stacked networks (same architecture, any hyper-parameters) together.

    Returns:
      (states, histories): one history per network, as in `advance`.
    """
    k = int(states.epoch.shape[0])
    chunk = chunk or chunk_size(n_epochs, task.arch)
    fn = compiled_chunk(task.arch, chunk, k)
    data = task.chunk_data
    names = metric_names(task)
    histories = [{"epoch": [], **{n: [] for n in names}} for _ in range(k)]
    stop_at = jnp.int32(int(states.epoch.max()) + n_epochs)
    while np.any((np.asarray(states.status) == RUNNING) & (np.asarray(states.epoch) < int(stop_at))):
        before = np.asarray(states.epoch)
        states, m = fn(states, data, stop_at)
        accepted = np.asarray(m["accepted"])  # (K, chunk): vmap puts the network axis first
        for i, h in enumerate(histories):
            done = int(accepted[i].sum())
            h["epoch"].extend(range(int(before[i]) + 1, int(before[i]) + done + 1))
            for n in names:
                h[n].extend(np.asarray(m[n][i, :done], dtype=float).tolist())
    return states, histories


@functools.lru_cache(maxsize=64)
def _compiled_grad(arch: Arch):
    graphdef = graph_of(arch)
    return jax.jit(jax.grad(lambda p, reg, x, y: objective(arch, graphdef, p, reg, x, y)))


def full_gradient(task: Task, state: TrainState):
    """Gradient of the training objective on the whole training set (no dropout)."""
    return _compiled_grad(task.arch)(state.params, state.reg, task.x_train, task.y_train)


_LOWERINGS = [0]  # process-wide count of jit cache misses (telemetry, not state)


def _count_lowering(event, duration, **kwargs):
    if event == "/jax/core/compile/jaxpr_to_mlir_module_duration":
        _LOWERINGS[0] += 1


jax.monitoring.register_event_duration_secs_listener(_count_lowering)


def compile_count() -> int:
    """How many functions this process has traced and lowered so far (each jit
    cache miss counts once, whether or not the disk cache then has it)."""
    return _LOWERINGS[0]
