"""The lesson editor's logic, without Streamlit: a draft (the lesson's JSON as plain dicts the
widgets edit), a step made from a page's current experiment, the draft checked into a
Lesson, the links a saved lesson gets, and a leaderboard's class distribution."""

from __future__ import annotations

import copy
import json

import numpy as np

from playground.classroom import lessons

EMPTY_STEP = {
    "title": "A new step",
    "page": "playground",
    "instructions": "",
    "config": {},
    "hidden": [],
    "locked": [],
    "goal": "",
}


def new_draft() -> dict:
    return {"title": "A new lesson", "steps": [dict(EMPTY_STEP)]}


def draft_of(lesson: lessons.Lesson) -> dict:
    return copy.deepcopy(lesson.to_json())


def step_from_session(page: str, config, data_csv: str | None = None) -> dict:
    """A step holding a page's current experiment: the config fields that differ from the
    page's defaults, and the Playground's points when they are the user's own (dataset "csv")."""
    default, now = lessons.PAGES[page].base().to_dict(), config.to_dict()
    own = getattr(config, "dataset", None) == "csv"  # the Playground's own points travel as csv
    fields = {k: v for k, v in now.items() if v != default[k] and not (own and k == "dataset")}
    step = dict(EMPTY_STEP, title=f"From the {lessons.PAGES[page].label} page", page=page, config=fields)
    return step | ({"csv": data_csv} if own and data_csv else {})


def config_text(step: dict) -> str:
    return json.dumps(step.get("config", {}), indent=1)


def read_config_text(text: str) -> dict:
    """The config box's text as an object of fields.

    Raises:
      lessons.LessonError: not JSON or not an object (the fields are checked with the lesson).
    """
    if len(text) > 20_000:
        raise lessons.LessonError("config: at most 20,000 characters")
    try:
        obj = json.loads(text or "{}")
    except ValueError as e:
        raise lessons.LessonError(f"config: not JSON ({str(e)[:60]})") from None
    if not isinstance(obj, dict):
        raise lessons.LessonError('config: an object of the page\'s fields, such as {"hidden": [4]}')
    return obj


def check(draft: dict) -> lessons.Lesson:
    """The draft as a Lesson. Raises LessonError naming the step and field."""
    return lessons.from_json({"format": lessons.FORMAT, "version": lessons.VERSION, **draft})


def links(lesson_id: str, token: str | None = None) -> dict:
    """The student link (Playground in lesson mode) and, with the token, the teacher's."""
    out = {"student": f"/Playground?lesson={lesson_id}"}
    if token:
        out["teacher"] = f"/Classroom?lesson={lesson_id}&edit={token}"
    return out


def distribution(scores: list[float], bins: int = 12) -> dict:
    """The class's results as a histogram: {"edges", "counts", "labels" (each bin's range as
    text), "median"}."""
    a = np.asarray([s for s in scores if s is not None and np.isfinite(s)], float)
    if not len(a):
        return {"edges": [], "counts": [], "labels": [], "median": None}
    counts, edges = np.histogram(a, bins=min(bins, max(1, len(np.unique(a)))))
    labels = [f"{lo:.3g}–{hi:.3g}" for lo, hi in zip(edges[:-1], edges[1:])]
    return {
        "edges": edges.tolist(),
        "counts": counts.tolist(),
        "labels": labels,
        "median": float(np.median(a)),
    }
