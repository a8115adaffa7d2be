"""A run's numbers for goals, and a challenge's score recomputed on the server: the submitted
config trained from its seed on the step's data for the epochs the student ran, never a number
the browser sends. Locked controls must keep the step's values."""

from __future__ import annotations

from playground.classroom.lessons import LessonError, Step
from playground.core.config import Config, ConfigError, from_dict
from playground.live.session import Session

MAX_EPOCHS = 3000  # a submission is retrained up to this many epochs (a few seconds on 2 cores)


def run_metrics(config: Config, epoch: int, metrics: dict) -> dict:
    """The goal language's numbers for a Playground run: its last losses and accuracies (from
    `Session.metrics`), epochs, hidden neurons, hidden layers and parameters."""
    names = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
    out = {k: metrics[k] for k in names if k in metrics}
    out |= {"epochs": epoch, "neurons": sum(config.hidden), "layers": len(config.hidden)}
    if "parameters" in metrics:
        out["parameters"] = metrics["parameters"]
    return out


def session_metrics(session: Session) -> dict:
    return run_metrics(session.config, session.epoch, session.metrics())


def check_locks(step: Step, config: Config) -> None:
    """Raises LessonError naming a locked control whose value differs from the step's."""
    want = step.playground_config().to_dict()
    got = config.to_dict()
    for field in step.locked:
        keys = [field] if field in want else []
        if field == "regularization":  # the page's one control for l1 / l2
            keys = ["l1", "l2"]
        for k in keys:
            if got[k] != want[k]:
                raise LessonError(f"{field} is locked in this step at {want[k]!r}; the run has {got[k]!r}")


def recompute(step: Step, config: dict, epochs: int) -> dict:
    """Train the submitted config from scratch on the step's data for `epochs` and return its
    numbers (the same seed, data and config give the same run the student saw).

    Raises:
      LessonError: a bad config, a changed locked control, or too many epochs (named).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= MAX_EPOCHS:
        raise LessonError(f"epochs: a submission is 1 to {MAX_EPOCHS:,} epochs of training, got {epochs!r}")
    try:
        c = from_dict(dict(config) | ({"dataset": "csv"} if step.csv else {}), base=step.playground_config())
    except ConfigError as e:
        raise LessonError(f"config: {e}") from None
    check_locks(step, c)
    s = Session(c, csv=step.data(c))
    s.step(epochs)
    return session_metrics(s)
