"""The lesson player's logic, without Streamlit: which lesson a link opens (`?lesson=ID&step=K`),
a step's Playground session, the controls it hides or locks, and the goal's status as lines."""

from __future__ import annotations

from playground.classroom import builtin, goals, scoring
from playground.classroom.lessons import Lesson, Step
from playground.live.session import EpochBudget


class PlayerError(ValueError):
    """A lesson link that cannot be opened (named)."""


def open_lesson(query: dict, store=None) -> tuple[str, Lesson, int] | None:
    """(lesson id, lesson, step index) from a page's query, or None without `lesson`.

    Raises:
      PlayerError: an unknown lesson, or a step that is not a whole number in range.
    """
    lesson_id = query.get("lesson")
    if lesson_id is None:
        return None
    lesson_id = str(lesson_id)[:40]
    if lesson_id.startswith(builtin.PREFIX) and lesson_id[len(builtin.PREFIX) :] in builtin.lessons_by_id():
        lesson = builtin.lessons_by_id()[lesson_id[len(builtin.PREFIX) :]]
    elif store is None:
        raise PlayerError(f"no lesson {lesson_id!r} on this server")
    else:
        try:
            lesson = store.lesson(lesson_id)
        except ValueError as e:
            raise PlayerError(str(e)) from None
    raw = query.get("step", "1")
    try:
        k = int(str(raw))
    except ValueError:
        n = len(lesson.steps)
        shown = str(raw)[:10]
        raise PlayerError(f"step {shown!r} is not a whole number; the lesson has steps 1 to {n}") from None
    if not 1 <= k <= len(lesson.steps):
        raise PlayerError(f"the lesson has steps 1 to {len(lesson.steps)}, not {k}")
    return lesson_id, lesson, k - 1


def is_builtin(lesson_id: str) -> bool:
    return lesson_id.startswith(builtin.PREFIX)


def step_session(step: Step):
    """A fresh session of the step's page on its config and data. A goal's "epochs <= N" is the
    run's budget: training stops after N epochs (Reset starts again)."""
    s = scoring.new_session(step)
    goal = step.parsed_goal()
    if goal is not None and isinstance(s, EpochBudget):
        s.budget = goal.epoch_budget()
    return s


def hidden_and_locked(step: Step) -> tuple[set[str], set[str]]:
    """The controls a step hides (not drawn) and locks (drawn, not changeable)."""
    return set(step.hidden), set(step.locked) - set(step.hidden)


def goal_lines(goal: goals.Goal, metrics: dict) -> tuple[bool, list[str]]:
    """(met, one line a condition: "✓ test_loss ≤ 0.05 (now 0.031)")."""
    met, each = goal.check(metrics)
    signs = {"<=": "≤", "<": "<", ">=": "≥", ">": ">"}
    lines = []
    for c, ok in each:
        now = metrics.get(c.metric)
        shown = "not yet" if now is None else f"now {now:.4g}" if isinstance(now, float) else f"now {now}"
        mark = "✓" if ok else "✗" if ok is False else "…"
        lines.append(f"{mark} {c.metric} {signs[c.op]} {c.value:g} ({shown})")
    return met, lines


def status(step: Step, session) -> tuple[bool, list[str]] | None:
    goal = step.parsed_goal()
    return None if goal is None else goal_lines(goal, scoring.session_metrics(session))
