"""A run's numbers for goals (a session of any lesson page), and a challenge's score recomputed
on the server: the submitted config trained from its seed on the step's data for the epochs the
student ran, never a number the browser sends. Locked controls must keep the step's values."""

from __future__ import annotations

from playground.classroom.lessons import PAGES, LessonError, Step
from playground.core import layers
from playground.core.config import Config, ConfigError, from_dict
from playground.live.session import Session
from playground.zoo.autoencoder import task as ae
from playground.zoo.cnn.task import Session as CnnSession
from playground.zoo.gan import frames as gan_frames
from playground.zoo.gan import quality
from playground.zoo.gan.session import GanSession
from playground.zoo.sequence.task import Session as SeqSession

# A submission is retrained up to this many epochs (each a few seconds at most on 2 cores at the
# pages' own sizes); a GAN's epochs are also capped by the generator steps they make.
MAX_EPOCHS = {
    "playground": 3000,
    "cnn": 30,
    "recurrent": 500,
    "transformer": 300,
    "autoencoder": 500,
    "gan": 2000,
}
MAX_GAN_STEPS = 100_000
SESSIONS = {
    "playground": Session,
    "cnn": CnnSession,
    "recurrent": SeqSession,
    "transformer": SeqSession,
    "autoencoder": ae.Session,
    "gan": GanSession,
}
_LAST = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def run_metrics(config: Config, epoch: int, metrics: dict) -> dict:
    """The goal language's numbers for a Playground run: its last losses and accuracies (from
    `Session.metrics`), epochs, hidden neurons, hidden layers and parameters."""
    out = {k: metrics[k] for k in _LAST if k in metrics}
    out |= {"epochs": epoch, "neurons": sum(config.hidden), "layers": len(config.hidden)}
    if "parameters" in metrics:
        out["parameters"] = metrics["parameters"]
    return out


def _last(session) -> dict:
    """A zoo run's last losses and accuracies (those its task has), epochs and parameters."""
    out = {k: session.history[k][-1] for k in _LAST if session.history.get(k)}
    return out | {"epochs": session.epoch, "parameters": sum(r["parameters"] for r in session.table())}


def stack_metrics(config, epoch: int, history: dict, table: list[dict]) -> dict:
    """The same numbers for a CNN run: its last losses and accuracies, epochs, its own layers
    (the output layer is added), conv layers, dense neurons and parameters."""
    out = {k: history[k][-1] for k in _LAST if history.get(k)}
    own = [layers.parse(t) for t in config.layers]
    out |= {"epochs": epoch, "layers": len(own), "conv_layers": sum(la.kind == "conv" for la in own)}
    out |= {"neurons": sum(la.units for la in own if la.kind == "dense")}
    return out | {"parameters": sum(r["parameters"] for r in table)}


def sequence_metrics(session: SeqSession) -> dict:
    """A recurrent run's numbers (layers: recurrent layers; neurons: hidden units in them all),
    or a transformer's (layers: blocks)."""
    c = session.config
    if c.net == "transformer":
        return _last(session) | {"layers": c.blocks}
    return _last(session) | {"layers": c.rnn_layers, "neurons": c.hidden * c.rnn_layers}


def autoencoder_metrics(session: ae.Session) -> dict:
    """An autoencoder run's reconstruction losses, the code's size, and how well its test codes
    separate the classes (5-NN over the training codes; 0 epochs: the untrained codes)."""
    out = _last(session) | {"code_size": session.config.latent}
    return out | {"code_accuracy": ae.code_accuracy(session.task, session.params)}


def gan_metrics(session: GanSession) -> dict:
    """A GAN's numbers on its 1,000 fixed-noise samples (those the page shows): on a mixture the
    modes covered, on 2-D points the energy distance, on digits what the digit reader sees."""
    fake = session.samples()
    out = {
        "epochs": session.epoch,
        "parameters": sum(r["parameters"] for t in session.tables().values() for r in t),
    }
    if session.task.arch.images:
        run, _ = quality.digits_reader()
        q = quality.digits(run(fake))
        return out | {"digit_classes": q["classes"], "recognized": q["confident"]}
    q = gan_frames.points_quality(session.task, fake)
    out["energy_distance"] = q["energy"]
    return out | ({"modes_covered": q["covered"]} if "covered" in q else {})


def session_metrics(session) -> dict:
    if isinstance(session, Session):
        return run_metrics(session.config, session.epoch, session.metrics())
    if isinstance(session, SeqSession):
        return sequence_metrics(session)
    if isinstance(session, ae.Session):
        return autoencoder_metrics(session)
    if isinstance(session, GanSession):
        return gan_metrics(session)
    return stack_metrics(session.config, session.epoch, session.history, session.table())


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
    """A fresh session of the step's page on `config` (default: the step's) and its data; on a
    page that trains no network of its own (Backprop, Optimizer lab), the config itself."""
    c = config or step.page_config()
    if step.page not in SESSIONS:
        return c
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
    problem = PAGES[step.page].check(c)
    if problem:
        raise LessonError(f"config: {problem}")
    if step.page == "gan" and epochs * c.steps_per_epoch > MAX_GAN_STEPS:
        raise LessonError(
            f"epochs: a GAN submission is at most {MAX_GAN_STEPS:,} generator steps; {epochs:,} epochs "
            f"of {c.steps_per_epoch} steps are {epochs * c.steps_per_epoch:,}"
        )
    check_locks(step, c)
    s = new_session(step, c)
    s.step(epochs)
    return session_metrics(s)
