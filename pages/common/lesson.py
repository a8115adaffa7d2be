"""Lesson mode of a page (`?lesson=ID&step=K`): the lesson's line above the page (its title, the
step, a progress bar, the goal's status live, Back and Next), the step's instructions and the
challenge's Submit in the sidebar. The logic is in playground.classroom."""

from __future__ import annotations

import secrets

import streamlit as st

from playground.classroom import player, scoring
from playground.classroom.lessons import LessonError
from playground.classroom.store import Store, StoreError


@st.cache_resource
def store() -> Store:
    """The classroom database, one connection pool per server process (no user state in it)."""
    return Store()


# The lesson's line: small type and tight rows, so the page below still fits a 720-pixel screen.
BAR_CSS = (
    "<style>.st-key-lesson-bar p{font-size:0.86rem;line-height:1.3;margin:0}"
    ".st-key-lesson-bar [data-testid='stProgress']{margin-top:2px}"
    ".st-key-lesson-bar [data-testid='stVerticalBlock']{gap:0.2rem}</style>"
)


def session_key() -> str:
    """This browser session's random id (rate limits count by it)."""
    return st.session_state.setdefault("classroom.session_key", secrets.token_urlsafe(12))


def open_from_query(K: str):
    """(lesson id, lesson, step index) for this page's `?lesson=` link, kept in session_state;
    None when there is none or it cannot be opened (then an error says why)."""
    if K + "lesson" not in st.session_state:
        query = st.query_params.to_dict()
        try:
            stored = "lesson" in query and not player.is_builtin(str(query["lesson"]))
            opened = player.open_lesson(query, store() if stored else None)
        except (player.PlayerError, LessonError, StoreError) as e:
            st.session_state[K + "lesson_error"] = f"This lesson link cannot be opened: {e}."
            opened = None
        st.session_state[K + "lesson"] = opened
    if st.session_state.get(K + "lesson_error"):
        st.error(st.session_state[K + "lesson_error"])
    return st.session_state[K + "lesson"]


def go(K: str, k: int, restart) -> None:
    """Switch to step k (0-based): a fresh session on its config and data."""
    lesson_id, lesson, _ = st.session_state[K + "lesson"]
    st.session_state[K + "lesson"] = (lesson_id, lesson, k)
    st.session_state.pop(K + "submitted", None)
    restart(player.step_session(lesson.steps[k]))


def bar(K: str, s, restart, playing: bool) -> None:
    """The lesson's line above the page: title, step, progress, the goal live, Back and Next."""
    lesson_id, lesson, k = st.session_state[K + "lesson"]
    step, n = lesson.steps[k], len(lesson.steps)
    st.markdown(BAR_CSS, unsafe_allow_html=True)  # our own CSS, no user text
    with st.container(key="lesson-bar"):
        cols = st.columns([3.0, 3.2, 0.7, 0.7], vertical_alignment="center")
        cols[0].markdown(f"**{md(step.title)}**  \n{md(lesson.title)} · step {k + 1} of {n}")
        cols[0].progress((k + 1) / n)
        with cols[1]:
            goal_status(K, s, step, playing)
        back, nxt = (K, k - 1, restart), (K, k + 1, restart)
        cols[2].button("Back", key=K + "lesson_back", disabled=k == 0, on_click=go, args=back)
        last = k == n - 1
        cols[3].button("Next", key=K + "lesson_next", disabled=last, on_click=go, args=nxt, type="primary")


def sidebar(K: str, s) -> None:
    """The step's instructions at the top of the sidebar, and the challenge's Submit."""
    lesson_id, lesson, k = st.session_state[K + "lesson"]
    step = lesson.steps[k]
    with st.sidebar:
        st.markdown(f"### {md(step.title)}")
        if step.instructions:
            st.markdown(step.instructions)  # Markdown only: raw HTML is shown escaped, never run
        if step.goal and not player.is_builtin(lesson_id):
            submit_form(K, s, lesson_id, k, step)
        st.divider()


def goal_status(K, s, step, playing: bool) -> None:
    """The goal's conditions with their numbers, refreshed every second while training plays."""

    @st.fragment(run_every=1.0 if playing else None)
    def show():
        shown = player.status(step, s)
        if shown is None:
            st.caption("No goal in this step: explore.")
            return
        met, lines = shown
        with st.container(key="lesson-goal"):
            head = ":green-background[**Goal met!**]" if met else "**Goal**"
            st.markdown(head + "  \n" + " · ".join(lines))

    show()


def submit_form(K, s, lesson_id: str, k: int, step) -> None:
    with st.form(key=K + "submit_form", border=True):
        st.markdown("**Submit your result**")
        st.caption(
            "The server retrains your settings from their seed for the epochs you ran and scores that run."
        )
        nickname = st.text_input("Nickname", max_chars=24, key=K + "nickname")
        sent = st.form_submit_button("Submit", type="primary")
    if sent:
        try:
            metrics = scoring.recompute(step, s.config.to_dict(), s.epoch)
            goal = step.parsed_goal()
            (met, _), score = goal.check(metrics), goal.score(metrics)
            store().submit(lesson_id, k, nickname, session_key(), metrics, score, met, s.config.to_dict())
            st.session_state[K + "submitted"] = (
                f"Submitted: {goal.score_metric} {score:.4g}" if score is not None else "Submitted (no score)"
            ) + (" · goal met ✓" if met else " · goal not met")
            st.session_state.pop(K + "submit_error", None)
        except (LessonError, StoreError) as e:
            st.session_state[K + "submit_error"] = str(e)
    if st.session_state.get(K + "submit_error"):
        st.error(st.session_state[K + "submit_error"])
    elif st.session_state.get(K + "submitted"):
        st.success(st.session_state[K + "submitted"])


def md(text: str) -> str:
    """User text inside our own Markdown: its Markdown characters escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$" else ch for ch in text)
