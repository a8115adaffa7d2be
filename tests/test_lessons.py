"""Lessons: the built-in ones load and every goal in them is reachable (a known solution trained
here meets it, the starting point of a challenge does not); the JSON file format round-trips and
every wrong field is named; a challenge's score is recomputed on the server, equal to the run the
student saw, and locked controls are enforced."""

import json

import pytest

from playground.classroom import builtin, lessons, scoring
from playground.classroom.lessons import LessonError
from playground.core.config import Config
from playground.live.session import Session

STARTS_UNMET = {("neuron", 1), ("neuron", 2), ("activations", 0), ("losses", 0), ("descent", 0)}
STARTS_UNMET |= {("optimizers", 0), ("regularization", 0), ("convolutions", 0), ("recurrent", 0)}
STARTS_UNMET |= {("transformer", 0), ("autoencoder", 0), ("autoencoder", 1), ("gan", 0)}


def test_builtin_lessons_cover_the_seed_topics_in_order():
    got = [lesson.title for lesson in builtin.lessons_by_id().values()]
    assert got == [
        "What a neuron computes",
        "Activation functions",
        "Backpropagation in four steps",
        "Losses",
        "Batch, mini-batch and stochastic descent",
        "Momentum, RMSProp and Adam",
        "Overfitting, L1/L2, dropout and early stopping",
        "Convolutions on digits",
        "Recurrent networks: memory through time",
        "Transformers: attention",
        "Autoencoders: a code of a few numbers",
        "GANs: a game of two networks",
    ]
    pages = {s.page for le in builtin.lessons_by_id().values() for s in le.steps}
    assert pages == set(lessons.PAGES)  # a lesson for every page a step can be
    every = builtin.lessons_by_id().items()
    with_goal = {(n, i) for n, le in every for i, s in enumerate(le.steps) if s.goal}
    assert with_goal == set(builtin.SOLUTIONS)


@pytest.mark.parametrize("key", sorted(builtin.SOLUTIONS), ids=lambda k: f"{k[0]}-{k[1]}")
def test_every_builtin_goal_is_reachable(key):
    step = builtin.lessons_by_id()[key[0]].steps[key[1]]
    change, epochs = builtin.SOLUTIONS[key]
    goal = step.parsed_goal()
    assert goal.check(scoring.recompute(step, step.config | change, epochs))[0]
    if key in STARTS_UNMET:  # a challenge: pressing Play on the step as given is not enough
        assert not goal.check(scoring.recompute(step, step.config, epochs))[0]


def test_json_round_trip_and_own_points():
    csv = "x1,x2,label\n" + "\n".join(f"{i / 10},{(i * 7 % 10) / 10},{i % 2}" for i in range(40))
    raw = {
        "format": "nn-playground-lesson",
        "version": 1,
        "title": "Mine <b>bold</b>",
        "steps": [
            {"title": "a", "config": {"learning_rate": "0.1", "hidden": [3]}, "csv": csv, "goal": "epochs>0"},
            {"title": "b", "instructions": "# Hi\n<script>alert(1)</script>", "hidden": ["dataset"]},
        ],
    }
    lesson = lessons.from_json(raw)
    assert lesson.steps[0].config == {"learning_rate": 0.1, "hidden": [3]}  # read as the config reads it
    assert lesson.steps[0].page_config().dataset == "csv"
    assert len(lesson.steps[0].data().x_train) + len(lesson.steps[0].data().x_test) == 40
    assert lessons.loads(lesson.dumps()) == lesson
    assert json.loads(lesson.dumps())["steps"][1]["instructions"] == raw["steps"][1]["instructions"]


@pytest.mark.parametrize(
    "change, words",
    [
        ({"format": "other"}, "format: 'other', expected 'nn-playground-lesson'"),
        ({"version": 9}, "version: 9, this app reads version 1"),
        ({"title": ""}, "title: empty"),
        ({"title": 5}, "title: must be text, got int"),
        ({"steps": []}, "steps: a lesson needs a list of at least one step"),
        ({"steps": [{"title": "x"}] * 21}, "steps: at most 20, got 21"),
        ({"steps": [{"title": "x"}, {}]}, "step 2: title: missing"),
        ({"steps": [{"title": "x", "page": "home"}]}, "step 1: page: 'home'; a step is one of"),
        ({"steps": [{"title": "x", "page": "lab", "goal": "epochs > 1"}]}, "Optimizer lab page has no goals"),
        (
            {"steps": [{"title": "x", "page": "backprop", "config": {"shape": "9"}}]},
            "config: shape: unknown '9'",
        ),
        (
            {"steps": [{"title": "x", "page": "recurrent", "config": {"net": "transformer"}}]},
            "config: net: the",
        ),
        ({"steps": [{"title": "x", "page": "transformer", "config": {"net": "gru"}}]}, "config: net: the tr"),
        (
            {"steps": [{"title": "x", "page": "gan", "goal": "test_loss < 1"}]},
            "step 1: goal: the GAN page does not measure test_loss; it measures epochs",
        ),
        ({"steps": [{"title": "x", "goal": "modes_covered >= 8"}]}, "Playground page does not measure modes"),
        (
            {"steps": [{"title": "x", "page": "autoencoder", "locked": ["generator"]}]},
            "step 1: locked: unknown control 'generator'",
        ),
        (
            {"steps": [{"title": "x", "page": "gan", "config": {"latent": 2}}]},
            "config: unknown field 'latent'",
        ),
        ({"steps": [{"title": "x", "page": "cnn", "csv": "x1,x2,label"}]}, "csv: only Playground steps"),
        (
            {"steps": [{"title": "x", "page": "cnn", "config": {"hidden": [3]}}]},
            "config: unknown field 'hidden'",
        ),
        (
            {"steps": [{"title": "x", "page": "cnn", "locked": ["activation"]}]},
            "unknown control 'activation'",
        ),
        ({"steps": [{"title": "x", "config": {"lr": 1}}]}, "step 1: config: unknown field 'lr'"),
        ({"steps": [{"title": "x", "config": {"learning_rate": -1}}]}, "step 1: config: learning_rate"),
        ({"steps": [{"title": "x", "config": []}]}, "step 1: config: must be an object"),
        ({"steps": [{"title": "x", "csv": "x1,x2,label\n1,2,oops\n"}]}, "step 1: csv: .*line 2"),
        ({"steps": [{"title": "x", "hidden": ["all"]}]}, "step 1: hidden: unknown control 'all'"),
        ({"steps": [{"title": "x", "locked": "dataset"}]}, "step 1: locked: must be a list"),
        ({"steps": [{"title": "x", "goal": "loss < 1"}]}, "step 1: goal: unknown metric 'loss'"),
        ({"steps": [{"title": "x", "instructions": "y" * 4001}]}, "step 1: instructions: at most 4,000"),
        ({"steps": [{"title": "x", "script": "rm"}]}, "step 1: unknown field 'script'"),
    ],
)
def test_bad_lessons_are_named(change, words):
    raw = {"title": "t", "steps": [{"title": "s"}]} | change
    with pytest.raises(LessonError, match=words):
        lessons.from_json(raw)


def test_bad_files_are_named():
    with pytest.raises(LessonError, match="not a JSON file"):
        lessons.loads(b"{title: 1")
    with pytest.raises(LessonError, match="a lesson is at most 600,000"):
        lessons.loads(b" " * 600_001)
    with pytest.raises(LessonError, match="a lesson is a JSON object"):
        lessons.loads(b"[1, 2]")


def test_the_server_recomputes_the_run_the_student_saw():
    step = builtin.lessons_by_id()["neuron"].steps[1]
    config = step.page_config().replace(hidden=(3,), learning_rate=0.3)
    s = Session(config)
    for n in (7, 13, 20):  # the page trains in chunks of whatever size the live view asks for
        s.step(n)
    seen = scoring.session_metrics(s)
    got = scoring.recompute(step, {"hidden": [3], "learning_rate": 0.3}, 40)
    assert got.keys() == seen.keys() and got["epochs"] == 40 and got["neurons"] == 3
    for k in ("train_loss", "test_loss", "test_accuracy"):
        assert got[k] == pytest.approx(seen[k], rel=1e-5)


def test_locked_controls_and_epochs_are_enforced():
    step = builtin.lessons_by_id()["neuron"].steps[1]  # the dataset is locked
    with pytest.raises(LessonError, match="dataset is locked in this step at 'xor'; the run has 'circle'"):
        scoring.recompute(step, {"dataset": "circle"}, 10)
    l2 = lessons.step_from_json({"title": "t", "config": {"l2": 0.01}, "locked": ["reg_rate"]}, 0)
    with pytest.raises(LessonError, match="reg_rate is locked in this step at 0.01; the run has 0.1"):
        scoring.recompute(l2, {"l2": 0.1}, 5)
    with pytest.raises(LessonError, match="epochs: a submission is 1 to 3,000 epochs"):
        scoring.recompute(step, {}, 5000)
    with pytest.raises(LessonError, match="config: learning_rate"):
        scoring.recompute(step, {"learning_rate": "fast"}, 10)
    assert scoring.run_metrics(Config(hidden=(5, 3)), 0, {}) == {"epochs": 0, "neurons": 8, "layers": 2}
