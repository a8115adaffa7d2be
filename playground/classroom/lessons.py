"""Lessons: an ordered list of steps, each an experiment on a page (`PAGES`: the Playground,
optionally with the teacher's own points, or a zoo page), instructions in Markdown, the controls it hides or
locks, and an optional goal (`goals.py`). A lesson is plain JSON (the file format below),
validated field by field with errors that name the step and the field; nothing in it is ever run
as code.

    {"format": "nn-playground-lesson", "version": 1, "title": "...", "steps": [
      {"title": "...", "page": "playground", "instructions": "Markdown", "config": {...},
       "csv": "x1,x2,label\\n...", "hidden": ["dataset"], "locked": ["learning_rate"],
       "goal": "test_loss <= 0.05 and neurons <= 8"}]}

Every step field but `title` may be left out (defaults: the Playground, the page's starting
config, no data of its own, nothing hidden or locked, no goal). A goal may ask only for the
numbers its page measures (`PageKind.metrics`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from playground.backprop import ui as bp_ui
from playground.backprop.ui import BackpropConfig
from playground.classroom import goals
from playground.core.config import Config, ConfigError, from_dict
from playground.data.points import DataError, data_from_csv
from playground.lab.race import LabConfig
from playground.live.ui import HIDEABLE
from playground.zoo.autoencoder import ui as ae_ui
from playground.zoo.autoencoder.config import AeConfig
from playground.zoo.cnn import ui as cnn_ui
from playground.zoo.cnn.config import CnnConfig
from playground.zoo.gan import ui as gan_ui
from playground.zoo.gan.config import GanConfig
from playground.zoo.sequence import ui as seq_ui

FORMAT = "nn-playground-lesson"
VERSION = 1


@dataclasses.dataclass(frozen=True)
class PageKind:
    """A page a lesson step can be: its name, its starting config, the controls a step may hide
    or lock, the numbers a goal may ask for there (`goals.METRICS`), and what else its config
    must be (None: fine; else why not)."""

    label: str
    base: Callable[[], object]
    controls: tuple[str, ...]
    metrics: tuple[str, ...]
    check: Callable[[object], str | None] = lambda config: None


_RUN = ("test_loss", "train_loss", "test_accuracy", "train_accuracy", "epochs", "parameters")
_SEQ = seq_ui.FIELDS


def _cell(config) -> str | None:
    if config.net not in seq_ui.CELLS:
        return f"net: the recurrent page trains {', '.join(seq_ui.CELLS)}, not {config.net}"
    return None


def _transformer(config) -> str | None:
    return None if config.net == "transformer" else "net: the transformer page trains a transformer"


PAGES = {
    "playground": PageKind("Playground", Config, HIDEABLE, (*_RUN, "neurons", "layers")),
    # The Backprop page and the Optimizer lab do not train one network: their steps are explorations.
    "backprop": PageKind("Backprop", BackpropConfig, ("source", *bp_ui.FIELDS, "values"), ()),
    "lab": PageKind("Optimizer lab", LabConfig, ("preset", "contenders"), ()),
    "cnn": PageKind(
        "CNN", CnnConfig, (*cnn_ui.WIDGET_FIELDS, "layers"), (*_RUN, "neurons", "layers", "conv_layers")
    ),
    "recurrent": PageKind(
        "Recurrent", lambda: seq_ui.RECURRENT, _SEQ["recurrent"], (*_RUN, "neurons", "layers"), _cell
    ),
    "transformer": PageKind(
        "Transformer", lambda: seq_ui.TRANSFORMER, _SEQ["transformer"], (*_RUN, "layers"), _transformer
    ),
    "autoencoder": PageKind(
        "Autoencoder",
        AeConfig,
        (*ae_ui.WIDGET_FIELDS, "encoder", "decoder"),
        ("test_loss", "train_loss", "epochs", "parameters", "code_size", "code_accuracy"),
    ),
    "gan": PageKind(
        "GAN",
        GanConfig,
        (*gan_ui.WIDGET_FIELDS, "generator", "discriminator"),
        ("epochs", "parameters", "modes_covered", "energy_distance", "digit_classes", "recognized"),
    ),
}
MAX_STEPS = 20
MAX_TITLE = 120
MAX_INSTRUCTIONS = 4000
MAX_CSV_BYTES = 100_000
MAX_JSON_BYTES = 600_000


class LessonError(ValueError):
    """A lesson that cannot be used; the message names the step (1-based) and the field."""


@dataclasses.dataclass(frozen=True)
class Step:
    title: str
    instructions: str = ""
    page: str = "playground"
    config: dict = dataclasses.field(default_factory=dict)  # the page's config fields that differ
    csv: str = ""  # the teacher's own points, "x1,x2,label" rows ("" = the config's dataset)
    hidden: tuple[str, ...] = ()
    locked: tuple[str, ...] = ()
    goal: str = ""

    def page_config(self):
        """The step's config on its page (the Playground's dataset is "csv" when it brings its
        own points)."""
        values = dict(self.config) | ({"dataset": "csv"} if self.csv else {})
        return from_dict(values, base=PAGES[self.page].base())

    def data(self, config: Config | None = None):
        """The step's own points as the Playground's Data, or None."""
        if not self.csv:
            return None
        c = config or self.page_config()
        return data_from_csv(self.csv.encode(), c.train_ratio, c.seed)

    def parsed_goal(self) -> goals.Goal | None:
        return goals.parse(self.goal) if self.goal.strip() else None

    def to_json(self) -> dict:
        out = {"title": self.title, "page": self.page, "instructions": self.instructions}
        out |= {"config": self.config}
        out |= {"csv": self.csv} if self.csv else {}
        out |= {"hidden": list(self.hidden), "locked": list(self.locked)}
        return out | ({"goal": self.goal} if self.goal else {})


@dataclasses.dataclass(frozen=True)
class Lesson:
    title: str
    steps: tuple[Step, ...]

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "title": self.title,
            "steps": [s.to_json() for s in self.steps],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False)


def _text(obj: dict, key: str, where: str, limit: int, required: bool = False) -> str:
    v = obj.get(key, None)
    if v is None:
        if required:
            raise LessonError(f"{where}{key}: missing")
        return ""
    if not isinstance(v, str):
        raise LessonError(f"{where}{key}: must be text, got {type(v).__name__}")
    if len(v) > limit:
        raise LessonError(f"{where}{key}: at most {limit:,} characters, got {len(v):,}")
    if required and not v.strip():
        raise LessonError(f"{where}{key}: empty")
    return v


def _names(obj: dict, key: str, where: str, page: str) -> tuple[str, ...]:
    v = obj.get(key, [])
    if not isinstance(v, list) or not all(isinstance(n, str) for n in v):
        raise LessonError(f"{where}{key}: must be a list of control names")
    allowed = PAGES[page].controls
    bad = [n for n in v if n not in allowed]
    if bad:
        names = ", ".join(allowed)
        raise LessonError(f"{where}{key}: unknown control {bad[0][:30]!r}; controls are {names}")
    return tuple(dict.fromkeys(v))


def page_goal(text: str, page: str) -> goals.Goal | None:
    """A step's goal (None when empty), read and checked against the numbers its page measures.

    Raises:
      goals.GoalError: a goal that cannot be read, or a number the page does not measure (named).
    """
    if not text.strip():
        return None
    goal = goals.parse(text)
    measured = PAGES[page].metrics
    if not measured:
        raise goals.GoalError(f"the {PAGES[page].label} page has no goals: its steps are for exploring")
    for cond in goal.conditions:
        if cond.metric not in measured:
            names = ", ".join(measured)
            raise goals.GoalError(
                f"the {PAGES[page].label} page does not measure {cond.metric}; it measures {names}"
            )
    return goal


def step_from_json(obj, i: int) -> Step:
    where = f"step {i + 1}: "
    if not isinstance(obj, dict):
        raise LessonError(f"step {i + 1}: must be an object")
    unknown = set(obj) - {"title", "page", "instructions", "config", "csv", "hidden", "locked", "goal"}
    if unknown:
        raise LessonError(f"{where}unknown field {sorted(unknown)[0][:30]!r}")
    page = obj.get("page", "playground")
    if not isinstance(page, str) or page not in PAGES:
        pages = ", ".join(PAGES)
        raise LessonError(f"{where}page: {str(page)[:30]!r}; a step is one of the pages {pages}")
    config = obj.get("config", {})
    if not isinstance(config, dict):
        raise LessonError(f"{where}config: must be an object of the {PAGES[page].label} page's fields")
    fields = PAGES[page].base().to_dict()
    unknown = [k for k in config if k not in fields]
    if unknown:
        names = ", ".join(fields)
        raise LessonError(f"{where}config: unknown field {str(unknown[0])[:30]!r}; fields are {names}")
    if page != "playground" and obj.get("csv"):
        raise LessonError(f"{where}csv: only Playground steps bring their own points")
    step = Step(
        title=_text(obj, "title", where, MAX_TITLE, required=True),
        instructions=_text(obj, "instructions", where, MAX_INSTRUCTIONS),
        page=page,
        config=config,
        csv=_text(obj, "csv", where, MAX_CSV_BYTES),
        hidden=_names(obj, "hidden", where, page),
        locked=_names(obj, "locked", where, page),
        goal=_text(obj, "goal", where, goals.MAX_CHARS),
    )
    try:
        c = step.page_config()
        step.data(c)
    except ConfigError as e:
        raise LessonError(f"{where}config: {e}") from None
    except DataError as e:
        raise LessonError(f"{where}csv: {e}") from None
    problem = PAGES[page].check(c)
    if problem:
        raise LessonError(f"{where}config: {problem}")
    try:
        page_goal(step.goal, page)
    except goals.GoalError as e:
        raise LessonError(f"{where}goal: {e}") from None
    # The fields the teacher set, as the config reads them (a link's "0.1" becomes 0.1).
    read = c.to_dict()
    return dataclasses.replace(step, config={k: read[k] for k in config if not (step.csv and k == "dataset")})


def from_json(obj) -> Lesson:
    """A lesson from its JSON object.

    Raises:
      LessonError: naming the step and field that is wrong.
    """
    if not isinstance(obj, dict):
        raise LessonError("a lesson is a JSON object with a title and steps")
    if obj.get("format", FORMAT) != FORMAT:
        raise LessonError(f"format: {str(obj.get('format'))[:40]!r}, expected {FORMAT!r}")
    if obj.get("version", VERSION) != VERSION:
        raise LessonError(f"version: {str(obj.get('version'))[:10]}, this app reads version {VERSION}")
    title = _text(obj, "title", "", MAX_TITLE, required=True)
    steps = obj.get("steps")
    if not isinstance(steps, list) or not steps:
        raise LessonError("steps: a lesson needs a list of at least one step")
    if len(steps) > MAX_STEPS:
        raise LessonError(f"steps: at most {MAX_STEPS}, got {len(steps)}")
    return Lesson(title, tuple(step_from_json(s, i) for i, s in enumerate(steps)))


def loads(raw: bytes | str) -> Lesson:
    """A lesson from a JSON file's contents (an upload or a stored row).

    Raises:
      LessonError: not JSON, too large, or a wrong field (named).
    """
    if len(raw) > MAX_JSON_BYTES:
        raise LessonError(f"the file has {len(raw):,} bytes; a lesson is at most {MAX_JSON_BYTES:,}")
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise LessonError(f"not a JSON file: {str(e)[:80]}") from None
    return from_json(obj)
