"""A run's numbers for goals (a Playground or a CNN session), and a challenge's score recomputed
on the server: the submitted config trained from its seed on the step's data for the epochs the
student ran, never a number the browser sends. Locked controls must keep the step's values."""

from __future__ import annotations

from playground.classroom.lessons import LessonError, Step
from playground.core import layers
from playground.core.config import Config, ConfigError, from_dict
from playground.live.session import Session
from playground.zoo.cnn.task import Session as CnnSession
from playground.zoo.session import layer_table

MAX_EPOCHS = {"playground": 3000, "cnn": 30}  # a submission is retrained up to this (seconds on 2 cores)
SESSIONS = {"playground": Session, "cnn": CnnSession}


def run_metrics(config: Config, epoch: int, metrics: dict) -> dict:
    """The goal language's numbers for a Playground run: its last losses and accuracies (from
    `Session.metrics`), epochs, hidden neurons, hidden layers and parameters."""
    names = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
    out = {k: metrics[k] for k in names if k in metrics}
    out |= {"epochs": epoch, "neurons": sum(config.hidden), "layers": len(config.hidden)}
    if "parameters" in metrics:
        out["parameters"] = metrics["parameters"]
    return out


def stack_metrics(config, epoch: int, history: dict, table: list[dict]) -> dict:
    """The same numbers for a CNN run: its last losses and accuracies, epochs, its own layers
    (the output layer is added), conv layers, dense neurons and parameters."""
    names = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
    out = {k: history[k][-1] for k in names if history.get(k)}
    own = [layers.parse(t) for t in config.layers]
    out |= {"epochs": epoch, "layers": len(own), "conv_layers": sum(la.kind == "conv" for la in own)}
    out |= {"neurons": sum(la.units for la in own if la.kind == "dense")}
    return out | {"parameters": sum(r["parameters"] for r in table)}


def session_metrics(session) -> dict:
    if isinstance(session, Session):
        return run_metrics(session.config, session.epoch, session.metrics())
    table = layer_table(session.task.arch.specs, session.task.arch.in_shape)
    return stack_metrics(session.config, session.epoch, session.history, table)


def check_locks(step: Step, config: Config) -> None:
    """Raises LessonError naming a locked control whose value differs from the step's."""
    want = step.page_config().to_dict()
    got = config.to_dict()
    for field in step.locked:
        keys = [field] if field in want else []
        if field in ("regularization", "reg_rate"):  # the page's two controls for l1 / l2
            keys = ["l1", "l2"]
        for k in keys:
            if got[k] != want[k]:
                raise LessonError(f"{field} is locked in this step at {want[k]!r}; the run has {got[k]!r}")


def new_session(step: Step, config=None):
    """A fresh session of the step's page on `config` (default: the step's) and its data."""
    c = config or step.page_config()
    return Session(c, csv=step.data(c)) if step.page == "playground" else SESSIONS[step.page](c)


def recompute(step: Step, config: dict, epochs: int) -> dict:
    """Train the submitted config from scratch on the step's data for `epochs` and return its
    numbers (the same seed, data and config give the same run the student saw).

    Raises:
      LessonError: a bad config, a changed locked control, or too many epochs (named).
    """
    cap = MAX_EPOCHS[step.page]
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= cap:
        raise LessonError(f"epochs: a submission is 1 to {cap:,} epochs of training, got {epochs!r}")
    try:
        c = from_dict(dict(config) | ({"dataset": "csv"} if step.csv else {}), base=step.page_config())
    except ConfigError as e:
        raise LessonError(f"config: {e}") from None
    check_locks(step, c)
    s = new_session(step, c)
    s.step(epochs)
    return session_metrics(s)
