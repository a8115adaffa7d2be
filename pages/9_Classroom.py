"""Classroom: the built-in lessons, a lesson editor (steps from the Playground, instructions,
goals, hidden and locked controls; JSON import and export), saving with a student link and a
secret teacher link, and the teacher's live leaderboard of each challenge."""

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pages.common import lesson as lesson_ui
from playground.classroom import builtin, editor, goals, lessons
from playground.classroom.store import StoreError

if PagesManager.uses_pages_directory and not st.session_state.get("nav.ready"):
    PagesManager.uses_pages_directory = False
    st.rerun()

st.set_page_config(page_title="Classroom · Neural Network Playground", layout="wide")
K = "cls."
S = K + "step."  # a step's widgets: S + a letter + its index
PAGE_NAMES = {page: kind.label for page, kind in lessons.PAGES.items()}
query = st.query_params.to_dict()


def store():
    try:
        return lesson_ui.store()
    except Exception as e:  # a database that cannot be reached: say so, keep the page
        st.error(f"The classroom database cannot be opened: {str(e)[:200]}")
        st.stop()


# ---- a teacher link (?lesson=ID&edit=TOKEN) opens the lesson in the editor ----------------------
if "lesson" in query and K + "opened" not in st.session_state:
    st.session_state[K + "opened"] = True
    try:
        opened = store().lesson(query["lesson"])
        if store().can_edit(query["lesson"], query.get("edit")):
            st.session_state[K + "draft"] = editor.draft_of(opened)
            st.session_state[K + "saved"] = (query["lesson"], query["edit"])
        else:
            st.session_state[K + "student_view"] = (query["lesson"], opened)
    except (StoreError, lessons.LessonError) as e:
        st.session_state[K + "link_error"] = f"This link cannot be opened: {e}"
if st.session_state.get(K + "link_error"):
    st.error(st.session_state[K + "link_error"])

st.title("Classroom")
st.caption(
    "A lesson is a few steps, each a page of the app (the Playground or a network of the zoo) with "
    "instructions, the controls it hides or locks and an optional goal. Students open its link and "
    "move through the steps; a step with a goal is a challenge whose results the server recomputes "
    "for the leaderboard."
)
if K + "student_view" in st.session_state:
    lesson_id, opened = st.session_state[K + "student_view"]
    title = lesson_ui.md(opened.title)
    n = len(opened.steps)
    st.markdown(
        f"**{title}**, {n} step{'s' * (n != 1)}. This link opens the lesson; it cannot edit it "
        "(only the teacher link can)."
    )
    st.markdown(f"[Start the lesson]({editor.links(lesson_id)['student']})")
    st.stop()

# ---- the built-in lessons ---------------------------------------------------------------------
draft = st.session_state.get(K + "draft")
with st.expander("Built-in lessons", expanded=draft is None, icon=":material/school:"):
    for name, le in builtin.lessons_by_id().items():
        a, b = st.columns([5, 1], vertical_alignment="center")
        a.markdown(f"[{le.title}](/Playground?lesson={builtin.PREFIX}{name}) · {len(le.steps)} step(s)")
        if b.button("Copy to edit", key=K + "copy_" + name):
            st.session_state[K + "draft"] = editor.draft_of(le)
            st.session_state.pop(K + "saved", None)
            st.rerun()
    c = st.columns([1, 2])
    if c[0].button("New lesson", icon=":material/add:"):
        st.session_state[K + "draft"] = editor.new_draft()
        st.session_state.pop(K + "saved", None)
        st.rerun()
    upload = c[1].file_uploader("Import a lesson (JSON)", type=["json"], max_upload_size=1, key=K + "upload")
    if upload is not None and st.session_state.get(K + "imported") != upload.file_id:
        st.session_state[K + "imported"] = upload.file_id
        try:
            st.session_state[K + "draft"] = editor.draft_of(lessons.loads(upload.getvalue()))
            st.session_state.pop(K + "saved", None)
            st.session_state.pop(K + "import_error", None)
            st.rerun()
        except lessons.LessonError as e:
            st.session_state[K + "import_error"] = f"{upload.name}: {e}. Nothing was imported."
    if st.session_state.get(K + "import_error"):
        st.error(st.session_state[K + "import_error"])

if draft is None:
    st.info("Copy a built-in lesson or start a new one to edit it; a saved lesson gets a student link.")
    st.stop()

# ---- the editor -----------------------------------------------------------------------------------
st.subheader("Lesson editor")
draft["title"] = st.text_input("Title", draft["title"], max_chars=lessons.MAX_TITLE, key=K + "title")
steps = draft["steps"]
for i, step in enumerate(steps):
    with st.expander(f"Step {i + 1}: {step.get('title', '')}", expanded=i == len(steps) - 1):
        step["title"] = st.text_input(
            "Step title", step.get("title", ""), max_chars=lessons.MAX_TITLE, key=f"{S}t{i}"
        )
        step["instructions"] = st.text_area(
            "Instructions (Markdown)",
            step.get("instructions", ""),
            max_chars=lessons.MAX_INSTRUCTIONS,
            key=f"{S}i{i}",
            height=120,
        )
        g = st.text_input(
            "Goal (optional)",
            step.get("goal", ""),
            max_chars=goals.MAX_CHARS,
            key=f"{S}g{i}",
            help="Conditions joined by 'and': a metric the step's page measures ("
            + ", ".join(lessons.PAGES[step.get("page", "playground")].metrics)
            + "), <=, <, >= or >, and a number (a % is divided by 100). The first condition's number is "
            "the challenge's score.",
            placeholder="test_loss <= 0.05 and neurons <= 8",
        )
        step["goal"] = g
        if g.strip():
            try:
                st.caption("Reads as: " + lessons.page_goal(g, step.get("page", "playground")).text())
            except goals.GoalError as e:
                st.error(f"Goal: {e}")
        cols = st.columns([1, 2, 2])
        page = cols[0].selectbox(
            "Page", list(lessons.PAGES), index=list(lessons.PAGES).index(step.get("page", "playground")),
            key=f"{S}p{i}", format_func=PAGE_NAMES.get,
        )  # fmt: skip
        if page != step.get("page", "playground"):  # another page: its own config and controls
            step.update(page=page, config={}, hidden=[], locked=[])
            step.pop("csv", None)
            for key in (f"{S}c{i}", f"{S}h{i}", f"{S}l{i}"):
                st.session_state.pop(key, None)
            st.rerun()
        names = lessons.PAGES[page].controls
        for col, field, label in (
            (cols[1], "hidden", "Hidden controls"),
            (cols[2], "locked", "Locked controls"),
        ):
            chosen = [n for n in step.get(field, []) if n in names]
            step[field] = col.multiselect(label, names, chosen, key=f"{S}{field[0]}{i}")
        text = st.text_area(
            f"{PAGE_NAMES[page]} config (JSON)", editor.config_text(step), key=f"{S}c{i}", height=100
        )
        try:
            step["config"] = editor.read_config_text(text)
        except lessons.LessonError as e:
            st.error(str(e))
        if step.get("csv"):
            st.caption(f"Own points: {step['csv'].count(chr(10))} lines")
        b = st.columns(4)
        config, pg = lesson_ui.current(page)
        if b[0].button(
            f"Use the {PAGE_NAMES[page]} page's setup",
            key=f"{K}pg{i}",
            disabled=config is None,
            help="That page's current config (and the Playground's own points) become this step's",
        ):
            made = editor.step_from_session(page, config, pg.data_csv() if page == "playground" else None)
            steps[i] = step | {"config": made["config"], **({"csv": made["csv"]} if "csv" in made else {})}
            for key in (f"{S}c{i}",):
                st.session_state.pop(key, None)
            st.rerun()
        if b[1].button("Remove step", key=f"{K}rm{i}", disabled=len(steps) == 1):
            steps.pop(i)
            for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(S)]:
                del st.session_state[key]  # the widgets of the steps after it move up one
            st.rerun()
if st.button("Add a step", icon=":material/add:", disabled=len(steps) >= lessons.MAX_STEPS):
    steps.append(dict(editor.EMPTY_STEP))
    st.rerun()

# ---- save, links, export ------------------------------------------------------------------------
try:
    checked = editor.check(draft)
    problem = None
except lessons.LessonError as e:
    checked, problem = None, str(e)
if problem:
    st.error(f"Not saved yet: {problem}")
c = st.columns([1, 1, 3])
saved = st.session_state.get(K + "saved")
if c[0].button("Save", type="primary", disabled=checked is None, icon=":material/save:"):
    try:
        if saved:
            store().update_lesson(saved[0], saved[1], checked)
        else:
            st.session_state[K + "saved"] = saved = store().create_lesson(checked)
        st.toast("Saved.", icon=":material/check:")
    except StoreError as e:
        st.error(str(e))
if checked is not None:
    c[1].download_button("Download JSON", checked.dumps(), "lesson.json", "application/json", key=K + "dl")
if saved:
    links = editor.links(*saved)
    st.success(
        f"Student link: `{links['student']}` (opens step 1, on whichever page it is)  \n"
        f"Teacher link (keep it secret; it edits the lesson and shows the results): `{links['teacher']}`"
    )

    @st.fragment(run_every=3.0)
    def leaderboards():
        try:
            show_leaderboards()
        except StoreError as e:  # the database went away: say so, try again in 3 s
            st.error(f"The leaderboards cannot be read now: {e}")

    def show_leaderboards():
        le = store().lesson(saved[0])
        for i, step in enumerate(le.steps):
            goal = step.parsed_goal()
            if goal is None:
                continue
            st.markdown(f"**Step {i + 1}: {lesson_ui.md(step.title)}** · goal `{goal.text()}`")
            board = store().leaderboard(saved[0], i, goal.lower_is_better)
            if not board:
                st.caption("No results yet.")
                continue
            rows = [
                {"rank": r["rank"], "nickname": r["nickname"], goal.score_metric: r["score"]}
                | {"goal met": "✓" if r["met"] else ""}
                for r in board
            ]
            a, b = st.columns([3, 2])
            a.dataframe(rows, hide_index=True, width="stretch")
            d = editor.distribution(store().scores(saved[0], i))
            chart = pd.DataFrame(
                {"submissions": d["counts"]}, index=pd.Index(d["labels"], name=goal.score_metric)
            )
            b.bar_chart(chart, height=180, x_label=goal.score_metric, y_label="submissions", sort=False)
            if d["median"] is not None:
                b.caption(f"{sum(d['counts'])} scored submissions · median {d['median']:.4g}")

    st.subheader("Leaderboards (live)")
    leaderboards()
