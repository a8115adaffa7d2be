"""Optimizer races: several contenders trained on the same data from the same weights.

A contender is a set of config overrides (optimizer and its numbers, descent
variant, batch size, learning rate, L1/L2, dropout, early stopping) with a label.
Contenders whose compiled code has the same shape (the engine's `Arch`) train
together, up to `engine.VMAP_LANES` at a time, in one vmapped call per chunk
(`engine.advance_many`); a race runs one call per group, the groups side by side
on a thread pool as wide as the machine. Plain SGD runs as momentum with momentum
0 and Adam as AdamW with weight decay 0 (both exactly the same updates), so they
share a group with their relatives.
"""

from __future__ import annotations

import dataclasses
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np

from playground.core import engine
from playground.core.config import Config, ConfigError, Record, check_fields, parse_value
from playground.core.optimizers import OPTIMIZERS
from playground.data.points import Data

MAX_CONTENDERS = 8
MAX_EPOCHS = 10_000  # per race: bounds one user's time and memory on a shared server
MAX_SNAPSHOTS = 200  # weight snapshots kept per contender (the path on the loss slice)
MAX_LABEL = 40
# Fields a contender may set: everything that does not change the data or the network's shape.
FIELDS = (
    "optimizer", "learning_rate", "gd_variant", "batch_size", "momentum", "beta1", "beta2", "rho", "eps",
    "weight_decay", "l1", "l2", "dropout", "early_stopping_patience",
)  # fmt: skip
# The editable table's columns, in order (the other FIELDS come from the base config).
TABLE_FIELDS = (
    "optimizer", "learning_rate", "gd_variant", "batch_size", "momentum", "beta1", "beta2", "l2", "dropout",
    "early_stopping_patience",
)  # fmt: skip
# Optimizers that are exactly a relative with one number set to zero: run them as it.
_RUN_AS = {"sgd": ("momentum", "momentum"), "adam": ("adamw", "weight_decay")}
STATUS_NAMES = {engine.RUNNING: "running", engine.DIVERGED: "diverged", engine.EARLY_STOPPED: "early stopped"}
NOT_STARTED, CAPPED = "not started", "finished (epoch cap)"  # a RUNNING state that cannot or did not train
# Optimizer numbers (momentum, betas, ...): a row shows only those its own optimizer reads.
_HYPERS = frozenset(f for o in OPTIMIZERS.values() for f in o.fields)
# XLA runs a small network's training loop on one core, so a race's groups (independent
# compiled calls) run side by side, one per core. The pool is shared by every race on the
# server: many users' races queue on it rather than each starting threads of its own.
_POOL = ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1), thread_name_prefix="race")


class RaceError(ValueError):
    """Bad contenders; the message names the contender and the field."""


@dataclasses.dataclass(frozen=True)
class Contender:
    """One runner: a label and config overrides as sorted (field, value) pairs."""

    label: str
    settings: tuple[tuple[str, object], ...]

    def config(self, base: Config) -> Config:
        return base.replace(**dict(self.settings))


def contender(label: str = "", **settings) -> Contender:
    """A contender from keyword overrides (unvalidated; see `validate`)."""
    return Contender(label, tuple(sorted(settings.items())))


def describe(config: Config) -> str:
    """A short readable name for a contender's settings, e.g. 'adam lr 0.01 · batch 10'."""
    parts = [f"{config.optimizer} lr {config.learning_rate:g}"]
    if config.optimizer in ("momentum", "nesterov") and config.momentum != 0.9:
        parts[0] += f" β {config.momentum:g}"
    variant = {"batch": "full batch", "stochastic": "stochastic"}
    parts.append(variant.get(config.gd_variant, f"batch {config.batch_size}"))
    for field, name in (("l1", "L1"), ("l2", "L2"), ("dropout", "dropout")):
        if getattr(config, field):
            parts.append(f"{name} {getattr(config, field):g}")
    if config.early_stopping_patience:
        parts.append(f"patience {config.early_stopping_patience}")
    return " · ".join(parts)


def validate(base: Config, contenders: list[Contender]) -> list[Config]:
    """The config of each contender, or RaceError naming the contender and field.

    Labels are filled in from the settings where blank and must be unique.
    """
    if not 1 <= len(contenders) <= MAX_CONTENDERS:
        raise RaceError(f"a race needs 1 to {MAX_CONTENDERS} contenders, got {len(contenders)}")
    configs = []
    for i, c in enumerate(contenders):
        name = f"contender {i + 1}" + (f" ({c.label!r})" if c.label else "")
        for field, _ in c.settings:
            if field not in FIELDS:
                raise RaceError(f"{name}: {field}: not a contender setting; use one of {', '.join(FIELDS)}")
        try:
            configs.append(c.config(base))
        except ConfigError as e:
            raise RaceError(f"{name}: {e}") from None
        except (TypeError, ValueError) as e:
            raise RaceError(f"{name}: {e}") from None
    return configs


def labels(contenders: list[Contender], configs: list[Config]) -> list[str]:
    """Each contender's label (its settings described where blank); RaceError on duplicates."""
    out = [c.label.strip()[:MAX_LABEL] or describe(cfg) for c, cfg in zip(contenders, configs)]
    for i, name in enumerate(out):
        if name in out[:i]:
            raise RaceError(f"contender {i + 1}: label {name!r} is used twice; give each contender its own")
    return out


# ---- the editable table ----------------------------------------------------------------
def unused(optimizer: str) -> frozenset[str]:
    """The optimizer numbers `optimizer` does not read (SGD: momentum, betas; Adam: momentum)."""
    return _HYPERS - set(OPTIMIZERS[optimizer].fields)


def to_rows(base: Config, contenders: list[Contender]) -> list[dict]:
    """Table rows: label and each TABLE_FIELDS value (resolved against base); None (a blank
    cell) for the numbers the contender's optimizer does not use, e.g. SGD's momentum."""
    rows = []
    for c in contenders:
        cfg = c.config(base)
        skip = unused(cfg.optimizer)
        rows.append({"label": c.label, **{f: None if f in skip else getattr(cfg, f) for f in TABLE_FIELDS}})
    return rows


def _blank(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def from_rows(base: Config, rows: list[dict]) -> list[Contender]:
    """Contenders from table rows (dicts, as a data editor returns them).

    Blank cells take the base config's value; fully blank rows are dropped; numbers the
    row's optimizer does not use are dropped (so they never show as if they applied).

    Raises:
      RaceError: naming the row and the column that cannot be read or is out of range.
    """
    rows = [r for r in rows if not all(_blank(v) for v in r.values())]
    out = []
    for i, row in enumerate(rows):
        label = "" if _blank(row.get("label")) else str(row["label"])
        settings = {}
        for field in TABLE_FIELDS:
            raw = row.get(field)
            if _blank(raw):
                continue
            try:
                raw = raw.item() if isinstance(raw, np.generic) else raw
                settings[field] = parse_value(field, raw)
            except ConfigError as e:
                raise RaceError(f"contender {i + 1}: {e}") from None
        for field in unused(settings.get("optimizer", base.optimizer)):
            settings.pop(field, None)
        out.append(contender(label, **settings))
    validate(base, out)
    return out


# ---- presets ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Preset:
    """A lesson: what it shows, changes to the base config (data, network), contenders."""

    description: str
    base: tuple[tuple[str, object], ...]
    contenders: tuple[Contender, ...]


# A noisy, small dataset and a network large enough to memorize it: train and test loss part.
_OVERFIT = (
    ("dataset", "gauss"), ("noise", 50), ("n_samples", 100), ("train_ratio", 0.5), ("hidden", (16, 16)),
    ("activation", "relu"), ("features", ("x1", "x2", "x1^2", "x2^2", "x1*x2")),
)  # fmt: skip
PRESETS: dict[str, Preset] = {
    "SGD vs momentum vs Adam": Preset(
        "The same learning rate, three ways of using the gradient: plain steps, steps that build up speed "
        "(momentum), and per-weight step sizes from running averages (Adam).",
        (),
        (
            contender("SGD", optimizer="sgd", learning_rate=0.03),
            contender("momentum 0.9", optimizer="momentum", learning_rate=0.03, momentum=0.9),
            contender("Nesterov 0.9", optimizer="nesterov", learning_rate=0.03, momentum=0.9),
            contender("Adam", optimizer="adam", learning_rate=0.03),
        ),
    ),
    "batch vs mini-batch vs stochastic": Preset(
        "The same SGD learning rate; an epoch is one step on all the data (batch), a step per "
        "10 or 50 points (mini-batch), or a step per point (stochastic): more, noisier steps per epoch.",
        (),
        (
            contender("batch", optimizer="sgd", learning_rate=0.03, gd_variant="batch"),
            contender("mini-batch 50", optimizer="sgd", learning_rate=0.03, batch_size=50),
            contender("mini-batch 10", optimizer="sgd", learning_rate=0.03, batch_size=10),
            contender("stochastic", optimizer="sgd", learning_rate=0.03, gd_variant="stochastic"),
        ),
    ),
    "learning rate too small / right / too large": Preset(
        "SGD with momentum at four learning rates: too small crawls, a good one converges, too large "
        "bounces around or blows up.",
        (),
        (
            contender("lr 0.0003 (too small)", optimizer="momentum", learning_rate=0.0003),
            contender("lr 0.01 (about right)", optimizer="momentum", learning_rate=0.01),
            contender("lr 0.3 (large)", optimizer="momentum", learning_rate=0.3),
            contender("lr 3 (too large)", optimizer="momentum", learning_rate=3.0),
        ),
    ),
    "with and without L2 / dropout": Preset(
        "A noisy, small dataset and a big network: without help the train loss keeps falling while the "
        "test loss turns up (overfitting). L2 and dropout keep the two closer.",
        _OVERFIT,
        (
            contender("no regularization", optimizer="adam", learning_rate=0.01),
            contender("L2 0.003", optimizer="adam", learning_rate=0.01, l2=0.003),
            contender("L2 0.03", optimizer="adam", learning_rate=0.01, l2=0.03),
            contender("dropout 0.3", optimizer="adam", learning_rate=0.01, dropout=0.3),
        ),
    ),
    "early stopping": Preset(
        "The same overfitting setup: early stopping ends a run once the test loss has not improved for "
        "`patience` epochs, before the network has memorized the noise.",
        _OVERFIT,
        (
            contender("no early stopping", optimizer="adam", learning_rate=0.01),
            contender("patience 100", optimizer="adam", learning_rate=0.01, early_stopping_patience=100),
            contender("patience 20", optimizer="adam", learning_rate=0.01, early_stopping_patience=20),
        ),
    ),
}


DEFAULT_PRESET = "SGD vs momentum vs Adam"


@dataclasses.dataclass(frozen=True)
class LabConfig(Record):
    """The Optimizer lab's choice as a lesson step's config: the preset race to start from."""

    preset: str = DEFAULT_PRESET

    def __post_init__(self):
        check_fields(self, {}, {"preset": tuple(PRESETS)})


def preset(name: str, base: Config) -> tuple[Config, list[Contender]]:
    """The base config (`base`'s data and network, or the preset's, with optimizer settings at
    their defaults) and the contenders of a preset."""
    if name not in PRESETS:
        raise RaceError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[name]
    changes = dict(p.base)
    if "hidden" in changes:
        changes["activations"] = ()  # per-layer activations would not fit the new layers
    return neutral_base(base).replace(**changes), list(p.contenders)


def neutral_base(config: Config) -> Config:
    """A base for races: the config's data, network and loss with the optimizer settings at
    their defaults (each contender states its own) and no regularization or early stopping."""
    d = Config()
    return config.replace(**{f: getattr(d, f) for f in FIELDS})


# ---- the race --------------------------------------------------------------------------
def run_config(config: Config) -> Config:
    """The config a contender trains with: SGD as momentum 0, Adam as AdamW with no decay."""
    if config.optimizer in _RUN_AS:
        kind, zero = _RUN_AS[config.optimizer]
        return config.replace(optimizer=kind, **{zero: 0.0})
    return config


@dataclasses.dataclass
class Group:
    """Contenders that share one compiled, vmapped call."""

    task: engine.Task
    members: list[int]  # contender indices
    states: engine.TrainState  # stacked, leading axis len(members)
    seconds: float = 0.0  # training time of this group's calls (compiles excluded)


def _train_group(group: Group, n_epochs: int, chunk: int | None):
    """One group's training call (run on the pool): (states, histories, seconds)."""
    t = time.perf_counter()
    states, histories = engine.advance_many(group.task, group.states, n_epochs, chunk=chunk)
    jax.block_until_ready(states.params)
    return states, histories, time.perf_counter() - t


class Race:
    """Contenders trained on the same data from the same initial weights.

    Attributes:
      base: the shared config (data, network, loss).
      configs, labels: each contender's config and label.
      groups: the compiled groups; `group_of[i]` is contender i's group index.
      histories: per contender {"epoch": [...], "train_loss": [...], ...}.
    """

    def __init__(self, base: Config, contenders: list[Contender], data: Data | None = None):
        self.contenders = list(contenders)
        self.configs = validate(base, self.contenders)
        engine.relieve_code_maps()  # new groups compile: keep the server under its map limit
        self.labels = labels(self.contenders, self.configs)
        self.base = base
        self.data = data if data is not None else engine.load_data(base)
        tasks = []
        for i, cfg in enumerate(self.configs):
            try:
                tasks.append(engine.make_task(run_config(cfg), self.data))
            except ConfigError as e:
                raise RaceError(f"contender {i + 1} ({self.labels[i]}): {e}") from None
        self.task = engine.make_task(base, self.data)  # for plots: features, output activation
        self.groups: list[Group] = []
        by_key: dict = {}
        for i, task in enumerate(tasks):
            key = task.arch  # same shapes and optimizer kind: one vmapped call ...
            if key not in by_key or len(self.groups[by_key[key]].members) == engine.VMAP_LANES:
                by_key[key] = len(self.groups)  # ... of at most VMAP_LANES networks (see engine)
                self.groups.append(Group(task, [], None))
            self.groups[by_key[key]].members.append(i)
        self.group_of = [0] * len(tasks)
        for g, group in enumerate(self.groups):
            for i in group.members:
                self.group_of[i] = g
        self._lock = threading.Lock()  # one training call at a time
        self.reset()

    def reset(self):
        """Every contender back to the shared initial weights; histories cleared."""
        with self._lock:
            self._reset()

    def _reset(self):
        for group in self.groups:
            states = []
            for i in group.members:
                task = dataclasses.replace(group.task, config=run_config(self.configs[i]))
                states.append(engine.init_state(task))  # weights from the base's init and seed
            group.states = engine.stack_states(states)
            group.seconds = 0.0
        names = engine.metric_names(self.task)
        self.histories = [{"epoch": [], **{k: [] for k in names}} for _ in self.configs]
        self.snapshots: list[list[tuple[int, np.ndarray]]] = [[] for _ in self.configs]
        self._snapshot()

    # ---- training ----------------------------------------------------------------------
    @property
    def epoch(self) -> int:
        """Epochs the race has run (the furthest contender)."""
        return max(int(np.max(np.asarray(g.states.epoch))) for g in self.groups)

    def statuses(self) -> list[int]:
        out = [engine.RUNNING] * len(self.configs)
        for g in self.groups:
            for j, i in enumerate(g.members):
                out[i] = int(np.asarray(g.states.status)[j])
        return out

    def status_names(self) -> list[str]:
        """Each contender's status in words: NOT_STARTED before its first epoch, "running" while
        it can still train, CAPPED once the race has run MAX_EPOCHS, "diverged", "early stopped"."""
        capped = self.epoch >= MAX_EPOCHS
        out = []
        for s, h in zip(self.statuses(), self.histories):
            if s != engine.RUNNING:
                out.append(STATUS_NAMES[s])
            else:
                out.append(NOT_STARTED if not h["epoch"] else CAPPED if capped else STATUS_NAMES[s])
        return out

    @property
    def running(self) -> bool:
        return self.epoch < MAX_EPOCHS and any(s == engine.RUNNING for s in self.statuses())

    def advance(self, n_epochs: int, chunk: int | None = None) -> int:
        """Train every running contender n_epochs more (capped at MAX_EPOCHS); one compiled
        call per group per chunk. Returns the epochs the race moved on."""
        with self._lock:
            return self._advance(n_epochs, chunk)

    def _advance(self, n_epochs: int, chunk: int | None) -> int:
        start = self.epoch
        target = min(start + max(0, int(n_epochs)), MAX_EPOCHS)
        if target == start:
            return 0
        # Every group runs to the same epoch, so groups stay level whatever happened before.
        jobs = [(g, target - int(np.max(np.asarray(g.states.epoch)))) for g in self.groups]
        jobs = [(g, behind) for g, behind in jobs if behind > 0]
        compiles = engine.compile_count()
        runs = [_POOL.submit(_train_group, g, behind, chunk) for g, behind in jobs]
        results = [run.result() for run in runs]
        compiled = engine.compile_count() != compiles
        for (group, _), (states, hs, seconds) in zip(jobs, results):
            group.states = states
            if not compiled:  # a compile is not training time
                group.seconds += seconds
            for i, h in zip(group.members, hs):
                for k, v in h.items():
                    self.histories[i][k].extend(v)
        self._snapshot()
        return self.epoch - start

    def _snapshot(self):
        for g in self.groups:
            # ravel_pytree's order (tree leaves), built on the host: no eager op per frame
            leaves = jax.tree.leaves(g.states.params)
            flat = np.concatenate([np.asarray(x).reshape(len(g.members), -1) for x in leaves], axis=1)
            epochs = np.asarray(g.states.epoch)
            for j, i in enumerate(g.members):
                snaps = self.snapshots[i]
                if not snaps or snaps[-1][0] != int(epochs[j]):
                    snaps.append((int(epochs[j]), flat[j]))
                if len(snaps) > MAX_SNAPSHOTS:  # thin 2:1, keeping the first and the last
                    self.snapshots[i] = snaps[:-1:2] + [snaps[-1]]

    # ---- views -------------------------------------------------------------------------
    def params(self, i: int):
        g = self.groups[self.group_of[i]]
        return engine.unstack_state(g.states, g.members.index(i)).params

    def state(self, i: int) -> engine.TrainState:
        g = self.groups[self.group_of[i]]
        return engine.unstack_state(g.states, g.members.index(i))

    def path(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Contender i's weight snapshots: (epochs (T,), flat weights (T, P))."""
        snaps = self.snapshots[i]
        return np.array([e for e, _ in snaps]), np.stack([w for _, w in snaps])


def epochs_to_reach(history: dict, target: float, key: str = "train_loss") -> int | None:
    """The first epoch whose `key` is at or below target, or None."""
    values = np.asarray(history.get(key, []), float)
    hit = np.flatnonzero(values <= target)
    return int(history["epoch"][hit[0]]) if hit.size else None


def normalize(base: Config, contenders: list[Contender]) -> list[Contender]:
    """Contenders as the editable table reads them back (every table field set), so a
    race started from a preset compares equal to the unedited table."""
    return from_rows(base, to_rows(base, contenders))


def task_summary(config: Config) -> str:
    """One line naming the race's data and network."""
    layers = "-".join(str(w) for w in (len(config.features), *config.hidden))
    return (
        f"{config.dataset}, noise {config.noise:g}, {config.n_samples} points "
        f"({config.train_ratio:.0%} train), "
        f"network {layers}-out {config.activation}, loss {config.loss}, seed {config.seed}"
    )
