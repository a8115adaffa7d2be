"""The goal language of lessons: a few conditions on a run's numbers, joined by "and".

    goal      := condition ("and" condition)*
    condition := METRIC COMPARISON NUMBER ["%"]
    COMPARISON:= "<=" | "<" | ">=" | ">"

`test_loss <= 0.05 and neurons <= 8`, `test_accuracy >= 95%` (a percentage is divided by 100).
The first condition's metric is the challenge's score: lower is better after `<`/`<=`, higher
after `>`/`>=`. A goal is parsed by a small tokenizer into `Goal` (never evaluated as Python);
anything else is refused with a `GoalError` that names the character where reading stopped.
"""

from __future__ import annotations

import dataclasses
import math
import re

MAX_CHARS = 200
MAX_CONDITIONS = 6
# metric -> what it is (shown in the editor's help and in errors).
METRICS = {
    "test_loss": "the loss on the test set, after the last epoch",
    "train_loss": "the loss on the training set, after the last epoch",
    "test_accuracy": "the share of test points classified right (0–1, or a percentage)",
    "train_accuracy": "the share of training points classified right",
    "epochs": "epochs trained",
    "neurons": "hidden neurons in all layers (a CNN's: units of its dense layers; a recurrent "
    "network's: hidden units in all its layers)",
    "layers": "hidden layers (a CNN's: its own layers, the output layer not counted; recurrent "
    "layers; a transformer's blocks)",
    "conv_layers": "convolutional layers (CNN steps)",
    "parameters": "weights and biases",
    "code_size": "the numbers in an autoencoder's code (its bottleneck)",
    "code_accuracy": "the share of an autoencoder's test codes whose 5 nearest training codes vote for "
    "their class",
    "modes_covered": "a GAN on ring8 or grid25: the modes that get at least a fifth of their fair share "
    "of 1,000 samples",
    "energy_distance": "a GAN on 2-D points: the energy distance of 1,000 samples from real points (0: "
    "the same distribution)",
    "digit_classes": "a GAN on digits: the classes a digit reader sees in at least 2 % of 1,000 samples",
    "recognized": "a GAN on digits: the share of samples the reader recognizes with confidence ≥ 0.9",
}
COMPARISONS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<word>[A-Za-z_]+)|(?P<op><=|>=|<|>)|(?P<num>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?P<pct>%)?)",
    re.ASCII,
)


class GoalError(ValueError):
    """A goal that cannot be read; the message names what and where (1-based character)."""


@dataclasses.dataclass(frozen=True)
class Condition:
    metric: str
    op: str
    value: float

    def text(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def holds(self, metrics: dict) -> bool | None:
        """True or False, or None when the run has no such number (yet, or for its task)."""
        v = metrics.get(self.metric)
        if v is None or not math.isfinite(float(v)):
            return None
        return COMPARISONS[self.op](float(v), self.value)


@dataclasses.dataclass(frozen=True)
class Goal:
    conditions: tuple[Condition, ...]

    def text(self) -> str:
        return " and ".join(c.text() for c in self.conditions)

    @property
    def score_metric(self) -> str:
        return self.conditions[0].metric

    @property
    def lower_is_better(self) -> bool:
        return self.conditions[0].op in ("<", "<=")

    def check(self, metrics: dict) -> tuple[bool, list[tuple[Condition, bool | None]]]:
        """(met, each condition with True / False / None for a number the run does not have)."""
        each = [(c, c.holds(metrics)) for c in self.conditions]
        return all(ok is True for _, ok in each), each

    def epoch_budget(self) -> int | None:
        """The most epochs the goal allows ("epochs <= 15": 15; "epochs < 15": 14), or None."""
        caps = [
            math.floor(c.value) if c.op == "<=" else math.ceil(c.value) - 1
            for c in self.conditions
            if c.metric == "epochs" and c.op in ("<=", "<")
        ]
        return max(0, min(caps)) if caps else None

    def score(self, metrics: dict) -> float | None:
        v = metrics.get(self.score_metric)
        return float(v) if v is not None and math.isfinite(float(v)) else None


def _where(text: str, at: int) -> str:
    return f"at character {at + 1}" if at < len(text) else "at the end"


def parse(text) -> Goal:
    """A goal from its text.

    Raises:
      GoalError: naming the first thing that cannot be read and where.
    """
    if not isinstance(text, str):
        raise GoalError("a goal is text, such as 'test_loss <= 0.05 and neurons <= 8'")
    if len(text) > MAX_CHARS:
        raise GoalError(f"a goal is at most {MAX_CHARS} characters, this one has {len(text)}")
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        m = _TOKEN.match(text, at)
        if not m or m.end() == at:
            shown = text[at:].lstrip()[:1]
            raise GoalError(f"cannot read {shown!r} {_where(text, len(text) - len(text[at:].lstrip()))}")
        kind = "word" if m.group("word") else "op" if m.group("op") else "num"
        tokens.append((kind, m.group(kind), bool(m.group("pct")), m.start(kind)))
        at = m.end()
    if not tokens:
        raise GoalError("empty goal; write one such as 'test_loss <= 0.05'")
    conditions, i = [], 0
    while True:
        if i >= len(tokens) or tokens[i][0] != "word":
            where = _where(text, tokens[i][3] if i < len(tokens) else len(text))
            raise GoalError(f"expected a metric {where}; metrics are {', '.join(METRICS)}")
        name, start = tokens[i][1], tokens[i][3]
        if name not in METRICS:
            raise GoalError(
                f"unknown metric {name[:30]!r} {_where(text, start)}; metrics are {', '.join(METRICS)}"
            )
        if i + 1 >= len(tokens) or tokens[i + 1][0] != "op":
            where = _where(text, tokens[i + 1][3] if i + 1 < len(tokens) else len(text))
            raise GoalError(f"expected a comparison (<=, <, >=, >) after {name} {where}")
        op = tokens[i + 1][1]
        if i + 2 >= len(tokens) or tokens[i + 2][0] != "num":
            where = _where(text, tokens[i + 2][3] if i + 2 < len(tokens) else len(text))
            raise GoalError(f"expected a number after {name} {op} {where}")
        _, raw, pct, start = tokens[i + 2]
        value = float(raw) / (100 if pct else 1)
        if not math.isfinite(value):
            raise GoalError(f"{raw[:30]} is not a finite number {_where(text, start)}")
        conditions.append(Condition(name, op, value))
        if len(conditions) > MAX_CONDITIONS:
            raise GoalError(f"at most {MAX_CONDITIONS} conditions")
        i += 3
        if i >= len(tokens):
            return Goal(tuple(conditions))
        if tokens[i][:2] != ("word", "and"):
            raise GoalError(f"expected 'and' between conditions {_where(text, tokens[i][3])}")
        i += 1
