"""The experiment config: one frozen, flat, typed record of every choice.

Registries (ACTIVATIONS, LOSSES, OPTIMIZERS, DATASETS, FEATURES, INITS) are the
only lists of valid names: the UI offers them, the parsers accept them.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any, ClassVar

from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.losses import LOSSES
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS
from playground.data.points import DATASETS, FEATURES

DATASET_NAMES = (*DATASETS, "csv")
DEFAULT_DATASET = "circle"
GD_VARIANTS = ("batch", "stochastic", "minibatch")
MAX_LAYERS = 8
MAX_NEURONS = 32
MAX_STRING = 200  # longest raw value a parser will even look at
CSV_LINK_WARNING = f"dataset: uploaded or clicked-in data cannot travel in a link; using {DEFAULT_DATASET!r}"


class ConfigError(ValueError):
    """A bad config value; `field` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class Record:
    """What every config class shares: copies, JSON and the query string. A subclass is a frozen
    dataclass that validates itself in __post_init__; `text_limits` raises MAX_STRING per field."""

    text_limits: ClassVar[dict] = {}
    related: ClassVar[dict] = {}  # field -> fields its validity depends on (see RELATED)

    def replace(self, **changes):
        """A copy with `changes` applied and validated."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_query(self) -> dict[str, str]:
        """URL query parameters for the fields that differ from the defaults."""
        default = type(self)()
        return {
            f.name: format_value(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }


@dataclasses.dataclass(frozen=True)
class Config(Record):
    """Every choice of one experiment. Defaults are TensorFlow Playground's opening screen."""

    # Data.
    dataset: str = DEFAULT_DATASET
    n_classes: int = 3  # blobs only
    n_samples: int = 500
    noise: float = 0.0  # 0..50, as TensorFlow Playground's slider
    train_ratio: float = 0.5
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    # Network.
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    activations: tuple[str, ...] = ()  # per hidden layer override; () = all `activation`
    output_activation: str = "sigmoid"
    init: str = "tfp"
    # Objective.
    loss: str = "bce"
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    # Optimizer.
    optimizer: str = "sgd"
    learning_rate: float = 0.03
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    rho: float = 0.9  # RMSProp's decay
    eps: float = 1e-8
    weight_decay: float = 1e-4
    gd_variant: str = "minibatch"
    batch_size: int = 10
    early_stopping_patience: int = 0  # epochs without test-loss improvement; 0 = off

    def __post_init__(self):
        validate(self)
        # Inputs are always in FEATURES order, whatever order they were given in.
        object.__setattr__(self, "features", tuple(f for f in FEATURES if f in self.features))

    def layer_activations(self) -> tuple[str, ...]:
        """The activation of each hidden layer, overrides applied."""
        return self.activations or (self.activation,) * len(self.hidden)


def _jsonable(v):
    return list(v) if isinstance(v, tuple) else v


def format_value(v) -> str:
    """The string form of a value, as the query string and `--set` use it."""
    if isinstance(v, tuple):
        return ",".join(str(x) for x in v)
    return repr(v) if isinstance(v, float) else str(v)


# Field rules: numeric ranges (inclusive) and the registry of names for choices.
RANGES: dict[str, tuple[float, float]] = {
    "n_classes": (3, 6),
    "n_samples": (10, 2000),
    "noise": (0, 50),
    "train_ratio": (0.1, 0.9),
    "seed": (0, 2**31 - 1),
    "l1": (0, 1),
    "l2": (0, 1),
    "dropout": (0, 0.9),
    "learning_rate": (1e-6, 10),
    "momentum": (0, 0.999),
    "beta1": (0, 0.9999),
    "beta2": (0, 0.99999),
    "rho": (0, 0.9999),
    "eps": (1e-12, 1),
    "weight_decay": (0, 1),
    "batch_size": (1, 1000),
    "early_stopping_patience": (0, 10000),
}
# The training fields every network type's config shares, with these ranges (one source of truth).
TRAINING_FIELDS = (
    "noise",
    "train_ratio",
    "seed",
    "l1",
    "l2",
    "learning_rate",
    "momentum",
    "beta1",
    "beta2",
    "rho",
    "eps",
    "weight_decay",
    "batch_size",
    "early_stopping_patience",
)
CHOICES: dict[str, tuple[str, ...]] = {
    "dataset": DATASET_NAMES,
    "activation": tuple(ACTIVATIONS),
    "output_activation": tuple(OUTPUT_ACTIVATIONS),
    "init": tuple(INITS),
    "loss": tuple(LOSSES),
    "optimizer": tuple(OPTIMIZERS),
    "gd_variant": GD_VARIANTS,
}
# Fields whose validity depends on another: where a lenient parser looks when
# the field an error names was not given.
RELATED = {
    "output_activation": ("loss", "dataset"),
    "loss": ("dataset", "output_activation"),
    "activations": ("hidden",),
}
FIELD_TYPES: dict[str, type] = {f.name: f.type for f in dataclasses.fields(Config)}


def field_types(cls=Config) -> dict[str, str]:
    """Field name -> its annotation (a string), for any config class."""
    return FIELD_TYPES if cls is Config else {f.name: f.type for f in dataclasses.fields(cls)}


def _preview(value) -> str:
    """A short, safe rendering of any value for an error message."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "a number too large"
    return text if len(text) <= 40 else text[:37] + "..."


def _check(ok: bool, field: str, message: str):
    if not ok:
        raise ConfigError(field, message)


def check_fields(c, ranges: dict, choices: dict) -> None:
    """Numeric ranges and registry choices of any config; ConfigError names the first bad field."""
    types = field_types(type(c))
    for name, (lo, hi) in ranges.items():
        v = getattr(c, name)
        kind = int if types[name] == "int" else float
        number = isinstance(v, (int, float)) and not isinstance(v, bool)
        _check(number and math.isfinite(v), name, f"must be a finite {kind.__name__}, got {_preview(v)}")
        _check(kind is float or v == int(v), name, f"must be a whole number, got {_preview(v)}")
        _check(lo <= v <= hi, name, f"must be between {lo:g} and {hi:g}, got {_preview(v)}")
    for name, names in choices.items():
        v = getattr(c, name)
        _check(v in names, name, f"unknown {_preview(v)}; choose one of {', '.join(names)}")


def validate(c: Config) -> None:
    """Raise ConfigError naming the first bad field and what is allowed."""
    check_fields(c, RANGES, CHOICES)
    _check(isinstance(c.features, tuple) and len(c.features) > 0, "features", "choose at least one feature")
    for f in c.features:
        _check(isinstance(f, str), "features", f"feature names are text, got {_preview(f)}")
        _check(f in FEATURES, "features", f"unknown {f!r}; choose from {', '.join(FEATURES)}")
    _check(len(set(c.features)) == len(c.features), "features", "lists a feature twice")
    _check(
        isinstance(c.hidden, tuple) and len(c.hidden) <= MAX_LAYERS,
        "hidden",
        f"at most {MAX_LAYERS} hidden layers",
    )
    for w in c.hidden:
        _check(
            isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= MAX_NEURONS,
            "hidden",
            f"each layer needs 1 to {MAX_NEURONS} neurons, got {w!r}",
        )
    _check(isinstance(c.activations, tuple), "activations", "must be a list of activation names")
    _check(
        len(c.activations) in (0, len(c.hidden)),
        "activations",
        f"give one activation per hidden layer ({len(c.hidden)}) or none",
    )
    for a in c.activations:
        known = isinstance(a, str) and a in ACTIVATIONS
        _check(known, "activations", f"unknown {_preview(a)}; choose from {', '.join(ACTIVATIONS)}")
    loss = LOSSES[c.loss]
    _check(
        c.output_activation in loss.outputs,
        "output_activation",
        f"loss {c.loss!r} needs output activation {' or '.join(loss.outputs)}, got {c.output_activation!r}",
    )
    if c.output_activation == "softmax":
        _check(
            c.loss == "ce" or c.dataset in ("blobs", "csv"),
            "output_activation",
            "softmax needs several outputs: use loss 'ce' or a dataset with more than two classes",
        )
    if c.dataset in DATASETS:
        kind = (
            "regression"
            if DATASETS[c.dataset].task == "regression"
            else ("multiclass" if c.dataset == "blobs" else "binary")
        )
        _check(
            kind in loss.tasks,
            "loss",
            f"loss {c.loss!r} does not fit {kind} data ({c.dataset}); "
            f"use one of {', '.join(n for n, s in LOSSES.items() if kind in s.tasks)}",
        )


def parse_value(field: str, raw: Any, cls=Config) -> Any:
    """Convert a raw value (string from a URL or `--set`, or JSON value) to the field's type.

    Raises:
      ConfigError: naming the field, when the value cannot be read.
    """
    types = field_types(cls)
    if field not in types:
        raise ConfigError(field, f"unknown field; fields are {', '.join(types)}")
    kind = types[field]
    limit = cls.text_limits.get(field, MAX_STRING)
    if isinstance(raw, str) and len(raw) > limit:
        raise ConfigError(field, f"value is {len(raw)} characters long; at most {limit}")
    try:
        if kind.startswith("tuple"):
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            items = [s.strip() if isinstance(s, str) else s for s in items if s != ""]
            if len(items) > 64:
                raise ValueError("too many items")
            return tuple(_scalar("int" if "int" in kind else "str", x) for x in items)
        return _scalar(kind, raw)
    except (TypeError, ValueError, OverflowError) as e:
        raise ConfigError(field, f"cannot read {_preview(raw)} as {kind} ({e})") from None


def _scalar(kind: str, raw):
    if kind == "str":
        if not isinstance(raw, str):
            raise ValueError("expected text")
        return raw.strip()
    if isinstance(raw, bool):
        raise ValueError("expected a number")
    if kind == "int":
        v = float(raw) if isinstance(raw, str) else raw
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v):
            raise ValueError("expected a whole number")
        return int(v)
    v = float(raw)
    if not math.isfinite(v):
        raise ValueError("expected a finite number")
    return v


def from_dict(d: Mapping[str, Any], base: Record | None = None, cls=Config):
    """Strict: apply `d` on top of `base` (default cls()); unknown keys are ignored.

    Raises:
      ConfigError: for the first value that is unreadable or invalid.
    """
    cls = type(base) if base is not None else cls
    if not isinstance(d, Mapping):
        raise ConfigError("config", "must be a JSON object of field: value")
    types = field_types(cls)
    values = {k: parse_value(k, v, cls) for k, v in d.items() if k in types}
    return dataclasses.replace(base or cls(), **values)


def from_json(text: str, cls=Config):
    try:
        d = json.loads(text)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, and ints too long to read
        raise ConfigError("config", f"not valid JSON ({e})") from None
    return from_dict(d, cls=cls)


def from_query(query: Mapping[str, Any], cls=Config, base: Record | None = None) -> tuple[Record, list[str]]:
    """Lenient: read URL query parameters; never raises.

    Each unreadable or invalid value falls back to its default (`base`'s value, default cls()'s),
    and a warning
    names it. Unknown keys (including `*_hide` lesson keys) are ignored.
    `dataset=csv` falls back to the default dataset too: a link carries the
    config, never the user's own points, so the result can always be built
    without a CSV.

    Returns:
      (config, warnings)
    """
    warnings: list[str] = []
    values: dict[str, Any] = {}
    for key in field_types(cls):
        if key not in query:
            continue
        raw = query[key]
        if isinstance(raw, (list, tuple)):  # repeated parameter: the last one wins
            raw = raw[-1] if raw else ""
        try:
            values[key] = parse_value(key, raw, cls)
        except ConfigError as e:
            warnings.append(f"{e}; using the default")
    # The page writes dataset=csv after an upload or a clicked-in point, but the
    # points themselves are not in the link: a reload or a shared link gets the
    # default dataset (and a note) rather than a dataset that cannot be built.
    if values.get("dataset") == "csv":
        del values["dataset"]
        warnings.append(CSV_LINK_WARNING)
    # Values are checked together (loss and output activation depend on each
    # other); drop the field each error names until the rest is valid.
    while True:
        try:
            return dataclasses.replace(base or cls(), **values), warnings
        except ConfigError as e:
            warnings.append(f"{e}; using the default")
            related = RELATED if cls is Config else cls.related
            culprits = [f for f in (e.field, *related.get(e.field, ())) if f in values]
            if not culprits:
                values.clear()
            else:
                values.pop(culprits[0])


def set_items(items: list[str], base: Record) -> Record:
    """Apply `KEY=VALUE` strings (the CLI's `--set`), strictly."""
    d = {}
    types = field_types(type(base))
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(item, "expected KEY=VALUE")
        if key.strip() not in types:
            raise ConfigError(key.strip(), f"unknown field; fields are {', '.join(types)}")
        d[key.strip()] = value
    return from_dict(d, base)
