"""Races: the vmapped race trains each contender exactly as training it alone does;
grouping, presets, validation and the results table."""

import threading

import jax
import numpy as np
import pytest

from playground.core import engine, models
from playground.core.config import Config
from playground.lab import figures as rf
from playground.lab import race

BASE = race.neutral_base(Config(noise=10, n_samples=200))
EPOCHS = 12


def alone(base: Config, c: race.Contender, epochs: int, data):
    """A contender trained by itself with engine.advance, with its own optimizer (no run_config)."""
    task = engine.make_task(c.config(base), data)
    _, history, _ = engine.advance(task, engine.init_state(task), epochs, chunk=4)
    return history


def table(r: race.Race, target=None) -> list[dict]:
    """The lab's results table for a race, as the page builds it."""
    seconds = [g.seconds for g in r.groups]
    return rf.results_table(r.labels, r.histories, r.status_names(), r.group_of, seconds, target)


MIXED = [
    race.contender("sgd", optimizer="sgd", learning_rate=0.1),
    race.contender("momentum", optimizer="momentum", learning_rate=0.03, momentum=0.8),
    race.contender("adam", optimizer="adam", learning_rate=0.01),
    race.contender("adam l2", optimizer="adam", learning_rate=0.02, l2=0.01),
    race.contender("rmsprop", optimizer="rmsprop", learning_rate=0.01),
    race.contender("batch", optimizer="sgd", learning_rate=0.3, gd_variant="batch"),
    race.contender("stochastic", optimizer="sgd", learning_rate=0.01, gd_variant="stochastic"),
    race.contender("dropout", optimizer="momentum", learning_rate=0.03, dropout=0.2),
]


@pytest.fixture(scope="module")
def mixed_race():
    r = race.Race(BASE, MIXED)
    r.advance(EPOCHS, chunk=4)
    return r


def test_race_curves_match_each_contender_trained_alone(mixed_race):
    r = mixed_race
    for i, c in enumerate(MIXED):
        h = alone(BASE, c, EPOCHS, r.data)
        assert r.histories[i]["epoch"] == h["epoch"] == list(range(1, EPOCHS + 1)), c.label
        for key in engine.metric_names(r.task):
            np.testing.assert_allclose(r.histories[i][key], h[key], rtol=2e-5, atol=1e-6, err_msg=c.label)
    # and they did differ from one another
    finals = {round(h["train_loss"][-1], 6) for h in r.histories}
    assert len(finals) == len(MIXED)


def test_all_contenders_start_from_the_same_weights(mixed_race):
    r = mixed_race
    task = engine.make_task(BASE, r.data)
    expected = np.asarray(jax.flatten_util.ravel_pytree(models.build(task.arch.specs, 2, "tfp", 0)[1])[0])
    for i in range(len(MIXED)):
        epoch, weights = r.snapshots[i][0]
        assert epoch == 0
        np.testing.assert_array_equal(weights, expected)


def test_grouping_by_compiled_shape(mixed_race):
    r = mixed_race
    groups = [[r.labels[i] for i in g.members] for g in r.groups]
    # sgd runs as momentum 0 and adam as adamw 0; batch sizes and dropout split groups
    assert groups == [
        ["sgd", "momentum"],
        ["adam", "adam l2"],
        ["rmsprop"],
        ["batch"],
        ["stochastic"],
        ["dropout"],
    ]
    assert [g.task.arch.batch for g in r.groups] == [10, 10, 10, 100, 1, 10]
    kinds = [g.task.arch.optimizer for g in r.groups]
    assert kinds == ["momentum", "adamw", "rmsprop", "momentum", "momentum", "momentum"]


def test_one_compiled_call_per_group_per_chunk(monkeypatch):
    calls = []
    real = engine.compiled_chunk

    def counting(arch, n_epochs, n_networks=0):
        fn = real(arch, n_epochs, n_networks)

        def call(*args):
            calls.append((arch.optimizer, arch.batch, n_networks))
            return fn(*args)

        return call

    monkeypatch.setattr(engine, "compiled_chunk", counting)
    r = race.Race(BASE, MIXED[:4] + MIXED[5:6])
    assert len(r.groups) == 3
    r.advance(8, chunk=8)
    assert sorted(calls) == sorted([("momentum", 10, 2), ("adamw", 10, 2), ("momentum", 100, 1)])
    calls.clear()
    r.advance(16, chunk=8)  # two chunks
    assert len(calls) == 2 * len(r.groups)


@pytest.mark.parametrize("name", list(race.PRESETS))
def test_every_preset_runs(name):
    base, contenders = race.preset(name, Config())
    r = race.Race(base, race.normalize(base, contenders))
    assert r.labels == [c.label for c in race.PRESETS[name].contenders]
    r.advance(3, chunk=4)
    assert r.epoch == 3
    for h in r.histories:
        assert len(h["epoch"]) == 3 and np.all(np.isfinite(h["train_loss"]))
    rows = table(r, 0.5)
    assert [row["contender"] for row in rows] == r.labels
    assert all(row["status"] == "running" and row["epochs"] == 3 for row in rows)


def test_overfitting_preset_shows_train_and_test_loss_parting():
    base, contenders = race.preset("with and without L2 / dropout", Config())
    r = race.Race(base, contenders[:1] + contenders[2:3])  # none, L2 0.03
    r.advance(300, chunk=64)
    plain, l2 = r.histories
    assert plain["train_loss"][-1] < 0.01 and plain["test_loss"][-1] > 5 * min(plain["test_loss"])
    assert l2["test_loss"][-1] < plain["test_loss"][-1] / 3


def test_early_stopping_preset_stops_contenders_by_patience():
    base, contenders = race.preset("early stopping", Config())
    r = race.Race(base, contenders)
    r.advance(300, chunk=64)
    statuses = [race.STATUS_NAMES[s] for s in r.statuses()]
    assert statuses == ["running", "early stopped", "early stopped"]
    assert r.status_names() == statuses
    for i, patience in ((1, 100), (2, 20)):
        test = np.asarray(r.histories[i]["test_loss"])
        best = int(np.argmin(test))
        assert len(test) - 1 - best == patience  # stopped exactly `patience` epochs after its best


def test_results_epochs_to_reach_and_status():
    h = {"epoch": [1, 2, 3, 4], "train_loss": [0.9, 0.5, 0.2, 0.1]}
    assert race.epochs_to_reach(h, 0.5) == 2 and race.epochs_to_reach(h, 0.15) == 4
    assert race.epochs_to_reach(h, 0.01) is None
    r = race.Race(BASE, MIXED[:2])
    r.advance(20, chunk=16)
    key = "epochs to train loss ≤ 0.4"
    for row, h in zip(table(r, 0.4), r.histories):
        hit = [e for e, v in zip(h["epoch"], h["train_loss"]) if v <= 0.4]
        assert row[key] == (str(hit[0]) if hit else "not reached")
        assert row["train loss"] == f"{h['train_loss'][-1]:.4g}"
        assert row["best test loss"] == f"{min(h['test_loss']):.4g}"


def no_none_or_nan(rows: list[dict]) -> bool:
    return all(v is not None and str(v).lower() not in ("none", "nan") for row in rows for v in row.values())


def test_results_table_text_before_and_after_training():
    r = race.Race(BASE, MIXED[:3])
    before = table(r, 0.3)
    assert no_none_or_nan(before)
    for row in before:  # nothing trained yet: dashes, and a status that says so
        assert row["status"] == "not started" and row["epochs"] == 0
        cols = ("train loss", "test loss", "best test loss", "test accuracy", "epochs to train loss ≤ 0.3")
        assert [row[c] for c in cols] == [rf.DASH] * len(cols)
    r.advance(20, chunk=16)
    after = table(r, 1e-6)  # a target no contender reaches in 20 epochs
    assert no_none_or_nan(after)
    for row, h in zip(after, r.histories):
        assert row["status"] == "running" and row["epochs"] == 20
        acc = h["test_accuracy"][-1]
        assert 0 < acc < 1 and row["test accuracy"] == f"{100 * acc:.1f}%"  # a percentage, not 0.664
        assert row["test loss"] == f"{h['test_loss'][-1]:.4g}"
        assert row["epochs to train loss ≤ 1e-06"] == "not reached"


def test_results_table_skips_non_finite_values():
    h = {"epoch": [1, 2], "train_loss": [0.5, float("nan")], "test_loss": [float("nan"), 0.25],
         "test_accuracy": [0.5, float("nan")]}  # fmt: skip
    (row,) = rf.results_table(["x"], [h], ["diverged"], [0], [1.23456])
    assert row["train loss"] == rf.DASH and row["test accuracy"] == rf.DASH
    assert row["best test loss"] == "0.25" and row["group time (s)"] == 1.235 and no_none_or_nan([row])


def test_status_names_say_not_started_running_and_epoch_cap(monkeypatch):
    monkeypatch.setattr(race, "MAX_EPOCHS", 5)
    r = race.Race(BASE, MIXED[:2])
    assert r.status_names() == ["not started"] * 2 and r.running  # it can train, but has not yet
    r.advance(3, chunk=4)
    assert r.status_names() == ["running"] * 2
    r.advance(100, chunk=4)
    assert r.epoch == 5 and not r.running
    assert r.status_names() == [race.CAPPED] * 2 == ["finished (epoch cap)"] * 2
    assert [row["status"] for row in table(r)] == [race.CAPPED] * 2
    r.reset()
    assert r.status_names() == ["not started"] * 2


def test_divergence_is_reported_per_contender():
    config = Config(
        dataset="reg-plane", loss="mse", output_activation="linear", hidden=(8, 8), activation="relu"
    )
    base = race.neutral_base(config)
    r = race.Race(
        base, [race.contender("ok", learning_rate=0.01), race.contender("huge", learning_rate=10.0)]
    )
    r.advance(50, chunk=16)
    assert [race.STATUS_NAMES[s] for s in r.statuses()] == ["running", "diverged"]
    assert r.status_names() == ["running", "diverged"] and table(r)[1]["status"] == "diverged"
    assert len(r.histories[0]["epoch"]) == 50 and len(r.histories[1]["epoch"]) < 50
    assert np.all(np.isfinite(r.histories[1]["train_loss"]))


def test_epoch_cap(monkeypatch):
    monkeypatch.setattr(race, "MAX_EPOCHS", 5)
    r = race.Race(BASE, MIXED[:1])
    assert r.advance(100, chunk=4) == 5 and r.epoch == 5 and not r.running
    assert r.advance(10) == 0


def test_reset_restores_initial_weights_and_clears_history(mixed_race):
    r = race.Race(BASE, MIXED[:2])
    first = [w.copy() for _, w in (s[0] for s in r.snapshots)]
    r.advance(4, chunk=4)
    r.reset()
    assert r.epoch == 0 and all(h["epoch"] == [] for h in r.histories)
    for i, w in enumerate(first):
        np.testing.assert_array_equal(r.snapshots[i][0][1], w)


# ---- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "contenders, words",
    [
        ([], ["1 to 8 contenders", "got 0"]),
        ([race.contender()] * 9, ["1 to 8 contenders", "got 9"]),
        (
            [race.contender("a"), race.contender("b", learning_rate=-1.0)],
            ["contender 2", "'b'", "learning_rate"],
        ),
        ([race.contender(optimizer="lion")], ["contender 1", "optimizer", "lion"]),
        ([race.contender(dataset="xor")], ["contender 1", "dataset", "not a contender setting"]),
        ([race.contender("x"), race.contender("x", learning_rate=0.1)], ["contender 2", "'x'", "used twice"]),
        ([race.contender(batch_size=0)], ["contender 1", "batch_size", "between 1 and 1000"]),
    ],
)
def test_bad_contenders_name_the_contender_and_field(contenders, words):
    with pytest.raises(race.RaceError) as e:
        race.Race(BASE, contenders)
    for w in words:
        assert w in str(e.value), str(e.value)


def test_table_rows_show_only_the_numbers_each_optimizer_uses():
    contenders = [
        race.contender("sgd", optimizer="sgd", momentum=0.5),
        race.contender("momentum", optimizer="momentum", momentum=0.8),
        race.contender("adam", optimizer="adam", beta1=0.8),
        race.contender("rmsprop", optimizer="rmsprop"),
    ]
    rows = race.to_rows(BASE, contenders)
    cols = [{f: row[f] for f in ("momentum", "beta1", "beta2")} for row in rows]
    assert cols == [
        {"momentum": None, "beta1": None, "beta2": None},  # SGD runs with momentum 0: no 0.9 shown
        {"momentum": 0.8, "beta1": None, "beta2": None},
        {"momentum": None, "beta1": 0.8, "beta2": BASE.beta2},
        {"momentum": None, "beta1": None, "beta2": None},
    ]
    assert race.run_config(contenders[0].config(BASE)).momentum == 0.0
    # a number typed into a column the optimizer does not read is dropped, not kept as if it applied
    parsed = race.from_rows(BASE, [{"label": "s", "optimizer": "sgd", "momentum": 0.5, "beta1": 0.7}])
    assert parsed == [race.contender("s", optimizer="sgd")]
    # a blank momentum cell of a row switched to momentum takes the base's value
    switched = race.from_rows(BASE, [{**rows[0], "optimizer": "momentum"}])[0].config(BASE)
    assert switched.optimizer == "momentum" and switched.momentum == BASE.momentum


def test_table_rows_round_trip_and_blank_cells():
    contenders = race.normalize(BASE, race.PRESETS["SGD vs momentum vs Adam"].contenders)
    rows = race.to_rows(BASE, contenders)
    assert race.from_rows(BASE, rows) == contenders
    rows[1]["learning_rate"] = float("nan")  # a cleared cell takes the base's value
    rows.append({k: None for k in rows[0]})  # a blank new row is dropped
    parsed = race.from_rows(BASE, rows)
    assert len(parsed) == 4 and parsed[1].config(BASE).learning_rate == BASE.learning_rate
    assert (
        race.from_rows(BASE, [{"label": None, "learning_rate": "0.5"}])[0].config(BASE).learning_rate == 0.5
    )


@pytest.mark.parametrize(
    "row, words",
    [
        ({"label": "fast", "learning_rate": "fast"}, ["contender 1", "learning_rate", "cannot read 'fast'"]),
        ({"label": "z", "batch_size": 2.5}, ["contender 1", "batch_size", "whole number"]),
        ({"label": "z", "gd_variant": "sometimes"}, ["contender 1", "gd_variant", "sometimes"]),
        ({"label": "z", "dropout": 1.5}, ["contender 1", "dropout", "between 0 and 0.9"]),
    ],
)
def test_bad_table_rows_name_the_row_and_column(row, words):
    with pytest.raises(race.RaceError) as e:
        race.from_rows(BASE, [row])
    for w in words:
        assert w in str(e.value), str(e.value)


def test_describe_names_the_settings():
    c = BASE.replace(optimizer="adam", learning_rate=0.01, gd_variant="stochastic", l2=0.001, dropout=0.2)
    assert race.describe(c) == "adam lr 0.01 · stochastic · L2 0.001 · dropout 0.2"
    assert race.describe(BASE.replace(batch_size=32)) == "sgd lr 0.03 · batch 32"
    assert race.Race(BASE, [race.contender(batch_size=32)]).labels == ["sgd lr 0.03 · batch 32"]


def test_eight_of_a_kind_run_as_two_groups_side_by_side_and_match_each_alone():
    rates = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
    contenders = [race.contender(f"lr {lr:g}", optimizer="momentum", learning_rate=lr) for lr in rates]
    r = race.Race(BASE, contenders)
    assert engine.VMAP_LANES == 4 and [g.members for g in r.groups] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    r.advance(6, chunk=4)
    for i, c in enumerate(contenders):
        h = alone(BASE, c, 6, r.data)
        np.testing.assert_allclose(r.histories[i]["train_loss"], h["train_loss"], rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(r.histories[i]["test_accuracy"], h["test_accuracy"], rtol=0, atol=1e-6)
    # The engine itself cuts a stack of eight into vmapped slices inside one compiled call.
    r.reset()
    stacked = engine.stack_states([engine.unstack_state(g.states, j) for g in r.groups for j in range(4)])
    _, histories = engine.advance_many(r.groups[0].task, stacked, 6, chunk=4)
    r.advance(6, chunk=4)
    for sliced, raced in zip(histories, r.histories, strict=True):
        np.testing.assert_allclose(sliced["train_loss"], raced["train_loss"], rtol=2e-5, atol=1e-6)


def test_groups_stay_level_and_concurrent_advances_do_not_collide():
    r = race.Race(BASE, MIXED[:3])
    # a group left behind (as by an interrupted run) catches up on the next advance
    r.groups[0].states, hs = engine.advance_many(r.groups[0].task, r.groups[0].states, 5, chunk=4)
    for i, h in zip(r.groups[0].members, hs):
        for k, v in h.items():
            r.histories[i][k].extend(v)
    r.advance(3, chunk=4)
    assert [int(np.max(np.asarray(g.states.epoch))) for g in r.groups] == [8, 8]
    assert [len(h["epoch"]) for h in r.histories] == [8, 8, 8]
    threads = [threading.Thread(target=r.advance, args=(4, 4)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert r.epoch == 20 and [len(h["epoch"]) for h in r.histories] == [20, 20, 20]
    assert all(h["epoch"] == list(range(1, 21)) for h in r.histories)
