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


PAGE_FILES = {
    "playground": "pages/1_Playground.py",
    "backprop": "pages/2_Backprop.py",
    "lab": "pages/3_Optimizer_lab.py",
    "cnn": "pages/4_CNN.py",
    "recurrent": "pages/5_Recurrent.py",
    "transformer": "pages/6_Transformer.py",
    "autoencoder": "pages/7_Autoencoder.py",
    "gan": "pages/8_GAN.py",
}
# Each page's session_state prefix (its session is at PREFIXES[page] + "session").
PREFIXES = {
    "playground": "pg.",
    "backprop": "bp.",
    "lab": "lab.",
    "cnn": "cnn.",
    "recurrent": "rnn.",
    "transformer": "tfm.",
    "autoencoder": "ae.",
    "gan": "gan.",
}


def current(page: str):
    """(the page's config as this session left it, its session or None): the Classroom's "use this
    page's setup". A page without a training session of its own keeps its config at PREFIX + "config"."""
    K = PREFIXES[page]
    s = st.session_state.get(K + "session")
    config = st.session_state.get(K + "config", getattr(s, "config", None))
    return config, s


def step_of(opened):
    return opened[1].steps[opened[2]]


def start(K: str, page: str, restart, from_link):
    """Lesson mode on a page whose widgets are keyed K + field: go where Back/Next or the link's
    step points; start the session afresh on a newly opened step (`restart(session)`) or, on a
    first visit without a lesson, from the page's own link (`restart(*from_link())`); hide and
    grey out the step's controls. Returns (opened or None, hidden, locked)."""
    follow()
    opened = open_from_query(K)
    ensure_page(opened, page)
    new_step = fresh(K)  # asked first: it is asked once
    if K + "session" not in st.session_state or new_step:
        if opened:
            restart(player.step_session(step_of(opened)))
        else:
            restart(*from_link())
    hidden, locked = player.hidden_and_locked(step_of(opened)) if opened else (set(), set())
    if opened:
        st.markdown(controls_css(K, hidden, locked), unsafe_allow_html=True)  # our CSS, names from a list
    return opened, hidden, locked


def keep_locked(opened, locked: set[str], values: dict) -> dict:
    """Config values with a lesson step's locked fields put back at the step's values (a locked
    control is greyed out in the browser; this refuses a change that comes anyway)."""
    if not locked:
        return values
    config = step_of(opened).page_config()
    return values | {f: getattr(config, f) for f in locked if hasattr(config, f)}


def keep_link(opened, config) -> None:
    """The page's link: the lesson's in lesson mode (its step's config comes from the lesson),
    the config's otherwise."""
    if opened:
        st.query_params.from_dict({"lesson": opened[0], "step": str(opened[2] + 1)})
    else:
        st.query_params.from_dict(config.to_query())


def open_from_query(K: str):
    """(lesson id, lesson, step index) for this page's `?lesson=` link, kept in session_state;
    None when there is none or it cannot be opened (then an error says why). A link to another
    lesson or step than the one kept (a step on another page sent the user here) opens it afresh,
    and `fresh(K)` then tells the page to start the step's session; the page's own link without
    `lesson` (the navigation) leaves lesson mode for a fresh experiment."""
    query = st.query_params.to_dict()
    want = (query.get("lesson"), query.get("step", "1"))
    kept = st.session_state.get(K + "lesson_key")
    leaving = want[0] is None and bool(st.session_state.get(K + "lesson"))  # the page's plain link
    if K + "lesson" not in st.session_state or (want[0] is not None and want != kept) or leaving:
        st.session_state[K + "lesson_key"] = want
        st.session_state[K + "lesson_fresh"] = True
        st.session_state.pop(K + "lesson_error", None)
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


def fresh(K: str) -> bool:
    """Whether the page must start a new session (a newly opened step, or lesson mode left);
    asked once."""
    return bool(st.session_state.pop(K + "lesson_fresh", False))


def go(K: str, k: int, restart, page: str) -> None:
    """Switch to step k (0-based): a fresh session on its config and data, on this page; a step
    of another page is opened there (`follow`)."""
    lesson_id, lesson, _ = st.session_state[K + "lesson"]
    st.session_state.pop(K + "submitted", None)
    if lesson.steps[k].page != page:
        st.session_state["lesson.goto"] = (lesson.steps[k].page, lesson_id, k)
        return
    st.session_state[K + "lesson"] = (lesson_id, lesson, k)
    st.session_state[K + "lesson_key"] = (lesson_id, str(k + 1))
    st.query_params.from_dict({"lesson": lesson_id, "step": str(k + 1)})  # the link follows at once
    restart(player.step_session(lesson.steps[k]))


def follow() -> None:
    """After Back/Next to a step of another page: go there (callbacks cannot switch pages)."""
    goto = st.session_state.pop("lesson.goto", None)
    if goto:
        page, lesson_id, k = goto
        st.switch_page(PAGE_FILES[page], query_params={"lesson": lesson_id, "step": str(k + 1)})


def ensure_page(opened, page: str) -> None:
    """A lesson link whose step is on another page (an old link, a shared one): go there."""
    if opened and opened[1].steps[opened[2]].page != page:
        step_page = opened[1].steps[opened[2]].page
        st.switch_page(PAGE_FILES[step_page], query_params={"lesson": opened[0], "step": str(opened[2] + 1)})


def controls_css(K: str, hidden: set[str], locked: set[str]) -> str:
    """CSS that hides a step's hidden controls and greys out its locked ones on a page whose
    widgets are keyed K + field (the page also refuses a locked field's change)."""
    key = ".st-key-" + K.replace(".", "-")
    rules = [f"{key}{f}{{display:none !important}}" for f in sorted(hidden)]
    rules += [f"{key}{f}{{pointer-events:none;opacity:0.55}}" for f in sorted(locked)]
    return f"<style>{''.join(rules)}</style>"


def bar(K: str, s, restart, playing: bool, page: str) -> None:
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
        back, nxt = (K, k - 1, restart, page), (K, k + 1, restart, page)
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
            if getattr(s, "budget_spent", False):  # the challenge's epochs are used up: say so here
                head += f" · the {s.budget:,} epochs are spent: Reset to try again"
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
