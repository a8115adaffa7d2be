"""Tests for playground.core.config: defaults, round trips, strict and lenient parsing."""

import dataclasses
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.core import config as cfg
from playground.core import engine
from playground.core.activations import ACTIVATIONS, OUTPUT_ACTIVATIONS
from playground.core.config import Config, ConfigError, from_dict, from_json, from_query, set_items
from playground.core.losses import LOSSES
from playground.core.models import INITS
from playground.core.optimizers import OPTIMIZERS
from playground.data.points import DATASETS, FEATURES

FIELDS = [f.name for f in dataclasses.fields(Config)]
DEFAULT = Config()


# ---------------------------------------------------------------------------
# Defaults and registries.


def test_defaults_are_tensorflow_playgrounds_opening_screen():
    c = Config()
    assert c.dataset == "circle" and c.noise == 0 and c.train_ratio == 0.5
    assert c.features == ("x1", "x2")
    assert c.hidden == (4, 2) and c.activation == "tanh" and c.layer_activations() == ("tanh", "tanh")
    assert c.learning_rate == 0.03 and c.batch_size == 10 and c.gd_variant == "minibatch"
    assert c.l1 == 0 and c.l2 == 0 and c.dropout == 0 and c.early_stopping_patience == 0
    assert c.to_query() == {}


def test_choices_are_the_registries():
    assert cfg.CHOICES["activation"] == tuple(ACTIVATIONS)
    assert cfg.CHOICES["output_activation"] == tuple(OUTPUT_ACTIVATIONS)
    assert cfg.CHOICES["loss"] == tuple(LOSSES)
    assert cfg.CHOICES["optimizer"] == tuple(OPTIMIZERS)
    assert cfg.CHOICES["init"] == tuple(INITS)
    assert cfg.CHOICES["dataset"] == (*DATASETS, "csv")
    assert set(cfg.RANGES) | set(cfg.CHOICES) <= set(FIELDS)


@pytest.mark.parametrize(
    "field, name",
    [
        (f, n)
        for f, names in cfg.CHOICES.items()
        for n in names
        if f not in ("loss", "output_activation", "dataset")
    ],
)
def test_every_registry_name_is_accepted(field, name):
    assert getattr(Config(**{field: name}), field) == name


def fitting_loss(dataset):
    """A loss and output activation that fit a dataset, found from the registries."""
    kind = (
        "regression"
        if dataset in DATASETS and DATASETS[dataset].task == "regression"
        else ("multiclass" if dataset == "blobs" else "binary")
    )
    loss = next(n for n, s in LOSSES.items() if kind in s.tasks)
    return loss, LOSSES[loss].outputs[0]


@pytest.mark.parametrize("dataset", cfg.DATASET_NAMES)
def test_every_dataset_with_a_fitting_loss(dataset):
    loss, out = fitting_loss(dataset)
    assert Config(dataset=dataset, loss=loss, output_activation=out).dataset == dataset


@pytest.mark.parametrize("loss, out", [(n, o) for n, s in LOSSES.items() for o in s.outputs])
def test_every_loss_with_each_output_it_accepts(loss, out):
    # softmax needs several outputs: ce gives two on binary data, other losses need blobs.
    dataset = "blobs" if out == "softmax" and loss != "ce" else "circle"
    c = Config(dataset=dataset, loss=loss, output_activation=out)
    assert (c.loss, c.output_activation) == (loss, out)
    for other in set(OUTPUT_ACTIVATIONS) - set(LOSSES[loss].outputs):
        with pytest.raises(ConfigError) as info:
            Config(dataset=dataset, loss=loss, output_activation=other)
        assert info.value.field == "output_activation"


def test_config_is_frozen_and_replace_validates():
    c = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.learning_rate = 1.0
    assert c.replace(learning_rate=0.5).learning_rate == 0.5 and c.learning_rate == 0.03
    with pytest.raises(ConfigError) as info:
        c.replace(learning_rate=-1.0)
    assert info.value.field == "learning_rate"


def test_layer_activations_overrides():
    c = Config(hidden=(3, 3, 3), activation="relu")
    assert c.layer_activations() == ("relu",) * 3
    assert c.replace(activations=("elu", "tanh", "gelu")).layer_activations() == ("elu", "tanh", "gelu")


# ---------------------------------------------------------------------------
# Round trips.

ROUND_TRIP = [
    Config(),
    Config(
        dataset="blobs",
        n_classes=4,
        loss="ce",
        output_activation="softmax",
        hidden=(8, 8, 3),
        activations=("relu", "tanh", "elu"),
        features=("x1", "x2", "sin(x1)", "x1*x2"),
        noise=12.5,
        learning_rate=0.1234567,
        optimizer="adam",
        beta2=0.99991,
        seed=42,
        l2=1e-5,
        dropout=0.2,
        gd_variant="stochastic",
    ),
    Config(
        dataset="reg-plane",
        loss="huber",
        output_activation="linear",
        hidden=(),
        features=("x1^2",),
        init="he",
        eps=1e-12,
        momentum=0.999,
        batch_size=1000,
        early_stopping_patience=5,
        optimizer="nesterov",
        train_ratio=0.9,
    ),
    Config(
        hidden=(32,) * 8,
        learning_rate=1e-6,
        n_samples=2000,
        seed=2**31 - 1,
        l1=1.0,
        weight_decay=0.3,
        optimizer="adamw",
        features=tuple(FEATURES),
        dataset="csv",
    ),
]


@pytest.mark.parametrize("c", ROUND_TRIP)
def test_json_round_trip(c):
    text = c.to_json()
    assert json.loads(text) == c.to_dict()
    back = from_json(text)
    assert back == c
    assert all(type(getattr(back, f)) is type(getattr(c, f)) for f in FIELDS)
    assert from_dict(json.loads(text)) == c


@pytest.mark.parametrize("c", ROUND_TRIP)
def test_query_round_trip(c):
    query = c.to_query()
    assert all(isinstance(v, str) for v in query.values())
    # Only what differs from the defaults is written.
    assert set(query) == {f for f in FIELDS if getattr(c, f) != getattr(DEFAULT, f)}
    if c.dataset == "csv":  # the user's points are not in the link: see the tests below
        assert from_query(query) == (c.replace(dataset=DEFAULT.dataset), [cfg.CSV_LINK_WARNING])
    else:
        assert from_query(query) == (c, [])
    assert set_items([f"{k}={v}" for k, v in query.items()], Config()) == c


def test_query_writes_tuples_comma_separated():
    c = ROUND_TRIP[1]
    q = c.to_query()
    assert q["hidden"] == "8,8,3" and q["activations"] == "relu,tanh,elu"
    assert q["features"] == "x1,x2,x1*x2,sin(x1)" and q["learning_rate"] == "0.1234567"


def test_features_are_kept_in_registry_order():
    assert Config(features=("sin(x1)", "x2", "x1")).features == ("x1", "x2", "sin(x1)")
    assert from_query({"features": "x2,x1^2"})[0].features == ("x2", "x1^2")


# ---------------------------------------------------------------------------
# Lenient parsing: from_query.


def test_from_query_ignores_unknown_keys_and_defaults_missing_ones():
    assert from_query({}) == (Config(), [])
    assert from_query({"foo": "1", "hidden_hide": "true", "": "", "LEARNING_RATE": "5"}) == (Config(), [])
    c, warnings = from_query({"noise": "20", "unknown": "x"})
    assert warnings == [] and c == Config(noise=20.0)


def test_from_query_repeated_parameter_last_wins_and_whitespace_is_trimmed():
    c, warnings = from_query({"learning_rate": ["0.1", "0.2"], "hidden": " 3 , 5 ", "activation": " relu "})
    assert warnings == []
    assert (c.learning_rate, c.hidden, c.activation) == (0.2, (3, 5), "relu")


BAD_QUERY_VALUES = [
    ("n_samples", "abc"),
    ("n_samples", "5"),
    ("n_samples", "2.5e3"),
    ("n_samples", "nan"),
    ("n_samples", "1e308"),
    ("learning_rate", "1e308"),
    ("learning_rate", "nan"),
    ("learning_rate", "inf"),
    ("learning_rate", "-0.1"),
    ("learning_rate", "0x10"),
    ("learning_rate", ""),
    ("noise", "-inf"),
    ("noise", "51"),
    ("seed", "-1"),
    ("seed", "1e308"),
    ("seed", "2147483648"),
    ("batch_size", "2.5"),
    ("batch_size", "true"),
    ("early_stopping_patience", "1" + "0" * 150),
    ("dropout", "0.95"),
    ("train_ratio", "0"),
    ("hidden", "x" * 10_000),
    ("hidden", "4,99"),
    ("hidden", "4,2.5"),
    ("hidden", ",".join(["4"] * 9)),
    ("hidden", "4,-1"),
    ("activation", "swish"),
    ("activation", "x" * 10_000),
    ("activation", "TANH"),
    ("optimizer", ""),
    ("optimizer", "lbfgs"),
    ("gd_variant", "full"),
    ("init", "zeros"),
    ("dataset", "mnist"),
    ("loss", "l1"),
    ("features", "x1,zz"),
    ("features", ""),
    ("features", "x1,x1"),
    ("activations", "relu"),
    ("activations", "relu,swish"),
    ("n_classes", "7"),
    ("eps", "0"),
    ("beta2", "1"),
]


@pytest.mark.parametrize("field, raw", BAD_QUERY_VALUES, ids=[f"{f}={r[:12]}" for f, r in BAD_QUERY_VALUES])
def test_from_query_bad_value_warns_once_and_keeps_the_default(field, raw):
    good = {"l2": "0.001", "hidden_hide": "1"}
    c, warnings = from_query({field: raw, **good})
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"{field}:") and "default" in warnings[0]
    assert len(warnings[0]) < 400  # a 10k-character value is not echoed back
    assert getattr(c, field) == getattr(DEFAULT, field)
    assert c == Config(l2=0.001)


def test_from_query_resolves_dependent_fields():
    # ce needs softmax: the pair together is fine, ce alone falls back.
    assert from_query({"loss": "ce", "output_activation": "softmax"}) == (
        Config(loss="ce", output_activation="softmax"),
        [],
    )
    c, warnings = from_query({"loss": "ce"})
    assert c == Config() and len(warnings) == 1 and "'ce'" in warnings[0]
    # A regression dataset with the default (classification) loss: one warning, a valid config.
    c, warnings = from_query({"dataset": "reg-plane", "noise": "5"})
    assert len(warnings) == 1 and "loss" in warnings[0] and c.noise == 5.0
    assert c == Config(noise=5.0)
    c, warnings = from_query({"dataset": "reg-plane", "loss": "mse", "output_activation": "linear"})
    assert warnings == [] and c.dataset == "reg-plane"
    # Per-layer activations that do not match the layer count are dropped, the layers kept.
    c, warnings = from_query({"hidden": "4,4,4", "activations": "relu,elu"})
    assert c.hidden == (4, 4, 4) and c.activations == () and len(warnings) == 1
    assert warnings[0].startswith("activations:")


# Configs the page writes to the address bar after an upload or clicked-in points.
CSV_CONFIGS = [
    Config(dataset="csv"),
    ROUND_TRIP[3],
    Config(
        dataset="csv",
        n_classes=5,
        hidden=(6, 3),
        activation="relu",
        learning_rate=0.1,
        noise=10.0,
        seed=7,
        train_ratio=0.7,
        features=("x1", "x2", "x1*x2"),
        batch_size=20,
        l2=0.001,
    ),
    Config(dataset="csv", loss="ce", output_activation="softmax", optimizer="adam", dropout=0.1),
    Config(dataset="csv", loss="mse", output_activation="linear", hidden=(8,), gd_variant="batch"),
    Config(dataset="csv", loss="hinge", output_activation="tanh", activations=("relu", "elu")),
]


@pytest.mark.parametrize("c", CSV_CONFIGS, ids=range(len(CSV_CONFIGS)))
def test_from_query_dataset_csv_falls_back_to_the_default_dataset(c):
    got, warnings = from_query(c.to_query())
    assert warnings == [cfg.CSV_LINK_WARNING]
    assert warnings[0] == "dataset: uploaded or clicked-in data cannot travel in a link; using 'circle'"
    assert got == c.replace(dataset=DEFAULT.dataset)  # every other field kept
    # The config builds without a CSV: the page's reload no longer crashes.
    task = engine.make_task(got)
    assert task.data.task == "classification" and task.config == got


# Fields valid with a CSV of some kind but not with the default (binary) dataset.
CSV_DEPENDENT = [
    ({"loss": "mse", "output_activation": "softmax"}, ["output_activation"]),
    ({"loss": "huber", "output_activation": "softmax", "n_classes": "6"}, ["output_activation"]),
]


@pytest.mark.parametrize("extra, dropped", CSV_DEPENDENT)
def test_from_query_dataset_csv_with_fields_that_need_it(extra, dropped):
    got, warnings = from_query({"dataset": "csv", **extra, "noise": "5"})
    assert [w.split(":")[0] for w in warnings] == ["dataset", *dropped]
    assert got.noise == 5.0 and got.dataset == DEFAULT.dataset
    for f in dropped:
        assert getattr(got, f) == getattr(DEFAULT, f)
    engine.make_task(got)


@pytest.mark.parametrize("raw", ["csv", " csv ", ["circle", "csv"]])
def test_from_query_reads_dataset_csv_however_written(raw):
    assert from_query({"dataset": raw}) == (DEFAULT, [cfg.CSV_LINK_WARNING])


def test_from_query_dataset_csv_does_not_change_strict_parsing():
    # The CLI's `--csv FILE --set dataset=csv` still needs csv in strict parsing.
    assert from_dict({"dataset": "csv"}).dataset == "csv"
    assert set_items(["dataset=csv"], Config()).dataset == "csv"


ODD_NUMBERS = ["-1", "0", "-0", "3.5", "1e308", "-1e308", "1e-400", "nan", "NaN", "inf", "-inf", "0x10"]
ODD_TEXT = ["", " ", ",", ",,,", "true", "None", "[]", "{}", "é", "\x00", "\u202e", "%00", "1" * 300]
ODD_NAMES = ["csv", "circle", "blobs", "reg-plane", "ce", "softmax", "4,2", "relu,tanh", "x1,x2", "1_000"]
ODD_VALUES = [*ODD_NUMBERS, *ODD_TEXT, *ODD_NAMES, ["csv", "x"], [], ["", ""]]


@pytest.mark.parametrize("field", FIELDS)
def test_from_query_never_raises_on_odd_values_for_any_field(field):
    for raw in ODD_VALUES:
        for query in (
            {field: raw},
            {"dataset": "csv", field: raw},
            {"dataset": "csv", "loss": "ce", "output_activation": "softmax", field: raw},
        ):
            c, warnings = from_query(query)
            cfg.validate(c)
            assert c.dataset != "csv"
            assert all(w.split(":")[0] in FIELDS for w in warnings)


def test_from_query_several_bad_values_give_one_warning_each():
    c, warnings = from_query({"n_samples": "x", "activation": "nope", "seed": "nan", "noise": "7"})
    assert sorted(w.split(":")[0] for w in warnings) == ["activation", "n_samples", "seed"]
    assert c == Config(noise=7.0)


# ---------------------------------------------------------------------------
# Strict parsing: from_dict, from_json, set_items, Config(...).

STRICT_BAD = [  # (dict, field named, words the message must contain)
    ({"activation": "swish"}, "activation", list(ACTIVATIONS)),
    ({"optimizer": "lbfgs"}, "optimizer", list(OPTIMIZERS)),
    ({"loss": "l1"}, "loss", list(LOSSES)),
    ({"init": "zeros"}, "init", list(INITS)),
    ({"dataset": "mnist"}, "dataset", list(cfg.DATASET_NAMES)),
    ({"gd_variant": "full"}, "gd_variant", list(cfg.GD_VARIANTS)),
    ({"output_activation": "relu", "loss": "mse"}, "output_activation", list(OUTPUT_ACTIVATIONS)),
    ({"features": ["x1", "x9"]}, "features", list(FEATURES)),
    ({"activations": ["relu", "swish"]}, "activations", list(ACTIVATIONS)),
    ({"n_samples": 5}, "n_samples", ["10", "2000"]),
    ({"n_samples": 50.5}, "n_samples", []),
    ({"n_samples": True}, "n_samples", []),
    ({"learning_rate": "fast"}, "learning_rate", ["fast"]),
    ({"learning_rate": float("nan")}, "learning_rate", []),
    ({"learning_rate": 1e308}, "learning_rate", ["10"]),
    ({"hidden": [4, 40]}, "hidden", ["32"]),
    ({"hidden": "4,x"}, "hidden", []),
    ({"hidden": 4}, "hidden", []),
    ({"hidden": [4] * 9}, "hidden", ["8"]),
    ({"activations": ["relu"]}, "activations", []),
    ({"features": []}, "features", []),
    ({"loss": "ce"}, "output_activation", ["softmax"]),
    ({"dataset": "reg-plane"}, "loss", ["mse", "huber"]),
    ({"output_activation": "softmax", "loss": "mse"}, "output_activation", ["softmax"]),
    ({"seed": "x" * 10_000}, "seed", ["200"]),
    ({"noise": None}, "noise", []),
    ({"dataset": ["circle"]}, "dataset", []),
]


@pytest.mark.parametrize("d, field, words", STRICT_BAD, ids=[str(d)[:30] for d, _, _ in STRICT_BAD])
def test_from_dict_raises_config_error_naming_the_field(d, field, words):
    with pytest.raises(ConfigError) as info:
        from_dict(d)
    assert info.value.field == field
    message = str(info.value)
    assert message.startswith(f"{field}:")
    for word in words:
        assert word in message
    assert len(message) < 600


@pytest.mark.parametrize("field, words", [(f, list(names)) for f, names in cfg.CHOICES.items()])
def test_config_constructor_lists_allowed_values_for_choice_fields(field, words):
    with pytest.raises(ConfigError) as info:
        Config(**{field: "not-a-name"})
    assert info.value.field == field
    assert all(w in str(info.value) for w in words)


def test_from_dict_ignores_unknown_keys_and_applies_on_base():
    base = Config(noise=10.0)
    assert from_dict({"nope": 1, "hidden": [3], "learning_rate": "0.5"}, base) == base.replace(
        hidden=(3,), learning_rate=0.5
    )
    assert from_dict({"n_samples": 300.0}).n_samples == 300  # a whole float is an int
    assert type(from_dict({"n_samples": "300"}).n_samples) is int


@pytest.mark.parametrize("text", ["{", "[1, 2]", '"circle"', "null", "{'a': 1}", "[" * 100_000])
def test_from_json_rejects_non_objects_with_a_config_error(text):
    with pytest.raises(ConfigError) as info:
        from_json(text)
    assert info.value.field == "config"


def test_set_items():
    c = set_items(["learning_rate=0.3", " hidden = 5,5 ", "activation=relu"], Config())
    assert (c.learning_rate, c.hidden, c.activation) == (0.3, (5, 5), "relu")
    for items, field in (
        (["learning_rate=abc"], "learning_rate"),
        (["foo=1"], "foo"),
        (["noequals"], "noequals"),
        (["hidden=4,2", "activations=relu"], "activations"),
    ):
        with pytest.raises(ConfigError) as info:
            set_items(items, Config())
        assert info.value.field == field


@pytest.mark.parametrize(
    "call",
    [
        lambda: from_dict({"seed": 10**5000}),
        lambda: from_json('{"seed": 1' + "0" * 5000 + "}"),
    ],
)
def test_huge_integers_raise_config_error(call):
    with pytest.raises(ConfigError):
        call()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_samples": float("inf")},
        {"seed": float("nan")},
        {"features": ("x1", ["x2"])},
        {"activations": 5},
    ],
    ids=["inf", "nan", "list-feature", "int-activations"],
)
def test_config_constructor_raises_config_error_for_wrong_types(kwargs):
    with pytest.raises(ConfigError) as info:
        Config(**kwargs)
    assert info.value.field == next(iter(kwargs))


# ---------------------------------------------------------------------------
# Property tests.

PLAUSIBLE = st.sampled_from(
    [
        *ACTIVATIONS,
        *OUTPUT_ACTIVATIONS,
        *LOSSES,
        *OPTIMIZERS,
        *INITS,
        *cfg.DATASET_NAMES,
        *FEATURES,
        *cfg.GD_VARIANTS,
        "4,2",
        "x1,x2",
        "relu,tanh",
        "0.1",
        "3",
        "1e-9",
        "nan",
        "inf",
        "-0",
        "",
        " ",
        ",",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-5, 40)
    | st.floats()
    | st.text(max_size=20)
    | PLAUSIBLE
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
KEYS = st.sampled_from(FIELDS) | st.text(max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_from_dict_returns_a_valid_config_or_raises_config_error(d):
    try:
        c = from_dict(d)
    except ConfigError as e:
        assert e.field in d or e.field in FIELDS
        return
    cfg.validate(c)
    for f in FIELDS:
        if f not in d:  # untouched fields keep their defaults
            assert getattr(c, f) == getattr(DEFAULT, f)
    assert from_json(c.to_json()) == c


QUERY_VALUES = st.text(max_size=30) | PLAUSIBLE | st.floats().map(repr) | st.integers().map(str)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, QUERY_VALUES | st.lists(QUERY_VALUES, max_size=3), max_size=8))
def test_from_query_never_raises_and_returns_a_config(query):
    c, warnings = from_query(query)
    assert isinstance(c, Config)
    cfg.validate(c)
    assert c.dataset != "csv"  # a link never asks for data it cannot carry
    assert all(isinstance(w, str) and w.split(":")[0] in FIELDS for w in warnings)
    for f in FIELDS:
        if f not in query:
            assert getattr(c, f) == getattr(DEFAULT, f)
    if not warnings:  # every given value was taken as written
        for f in set(query) & set(FIELDS):
            raw = query[f][-1] if isinstance(query[f], list) and query[f] else query[f]
            assert getattr(c, f) == cfg.parse_value(f, "" if raw == [] else raw)
    assert from_query(c.to_query()) == (c, [])


def test_format_value_round_trips_floats_exactly():
    for v in (0.1, 1 / 3, 1e-12, 0.99999, 2.5e-7):
        assert float(cfg.format_value(v)) == v
    assert math.isclose(float(cfg.format_value(0.03)), 0.03)
