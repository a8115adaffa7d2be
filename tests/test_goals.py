"""The lessons' goal language: what it reads, what it refuses (by name and place), and that no
string whatever makes it do anything but return a goal or raise GoalError (property-based)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground.classroom import goals
from playground.classroom.goals import Condition, GoalError


def test_reads_conditions_percentages_and_and():
    g = goals.parse("  test_loss <= 0.05 and neurons<8 ")
    assert g.conditions == (Condition("test_loss", "<=", 0.05), Condition("neurons", "<", 8.0))
    assert goals.parse("test_accuracy >= 95%").conditions == (Condition("test_accuracy", ">=", 0.95),)
    assert goals.parse("parameters>1e2").conditions[0].value == 100.0
    assert goals.parse("train_loss < .5").conditions[0].value == 0.5
    assert g.text() == "test_loss <= 0.05 and neurons < 8"
    assert g.score_metric == "test_loss" and g.lower_is_better
    assert not goals.parse("test_accuracy > 0.9").lower_is_better


def test_check_and_score_against_a_run():
    g = goals.parse("test_loss <= 0.05 and neurons <= 8")
    met, each = g.check({"test_loss": 0.04, "neurons": 8})
    assert met and [ok for _, ok in each] == [True, True]
    met, each = g.check({"test_loss": 0.06, "neurons": 3})
    assert not met and [ok for _, ok in each] == [False, True]
    met, each = g.check({"neurons": 3})  # before the first epoch: no loss yet
    assert not met and each[0][1] is None
    assert not g.check({"test_loss": math.nan, "neurons": 3})[0]  # a diverged run never meets a goal
    assert g.score({"test_loss": 0.04}) == 0.04 and g.score({}) is None
    # Strict and non-strict comparisons at the boundary.
    assert goals.parse("epochs < 10").check({"epochs": 10})[0] is False
    assert goals.parse("epochs >= 10").check({"epochs": 10})[0] is True


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty goal"),
        ("   ", "empty goal"),
        ("test_los <= 1", "unknown metric 'test_los' at character 1; metrics are test_loss"),
        ("test_loss = 1", "cannot read '=' at character 11"),
        ("test_loss 0.1", "expected a comparison .* after test_loss at character 11"),
        ("test_loss <=", "expected a number after test_loss <= at the end"),
        ("test_loss <= 0.1 neurons < 3", "expected 'and' between conditions at character 18"),
        ("test_loss <= 0.1 and", "expected a metric at the end"),
        ("__import__('os') < 1", "cannot read '\\(' at character 11"),
        ("__import__ < 1", "unknown metric '__import__' at character 1"),
        ("test_loss <= 0.1; rm -rf /", "cannot read ';' at character 17"),
        ("neurons < 1e999", "not a finite number"),
        ("x" * 201, "at most 200 characters"),
        (" and ".join(["epochs > 1"] * 7), "at most 6 conditions"),
        ("test_loss <= 0.1 or epochs > 3", "expected 'and' between conditions at character 18"),
    ],
)
def test_bad_goals_are_named(text, words):
    with pytest.raises(GoalError, match=words):
        goals.parse(text)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_goal_or_a_goal_error(text):
    try:
        g = goals.parse(text)
    except GoalError as e:
        assert str(e)
        return
    assert g.conditions and all(c.metric in goals.METRICS for c in g.conditions)


CONDITION = st.builds(
    Condition,
    st.sampled_from(sorted(goals.METRICS)),
    st.sampled_from(sorted(goals.COMPARISONS)),
    st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda v: float(f"{v:g}")),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(CONDITION, min_size=1, max_size=goals.MAX_CONDITIONS), st.sampled_from([" ", "  ", "\t"]))
def test_written_goals_read_back(conditions, gap):
    g = goals.Goal(tuple(conditions))
    assert goals.parse(g.text()) == g
    spaced = f"{gap}and{gap}".join(f"{c.metric}{gap}{c.op}{gap}{c.value:g}" for c in conditions)
    assert goals.parse(spaced) == g


@pytest.mark.parametrize(
    "text, budget",
    [
        ("test_loss <= 0.05", None),
        ("test_accuracy >= 95% and epochs <= 15", 15),
        ("epochs < 15", 14),
        ("epochs < 15.5 and epochs <= 40", 15),
        ("epochs >= 3", None),
        ("epochs <= 2.9", 2),
    ],
)
def test_an_epochs_cap_is_the_runs_budget(text, budget):
    assert goals.parse(text).epoch_budget() == budget
