"""Lesson mode of the Playground page (`?lesson=ID&step=K`), with AppTest: the step's config,
hidden and locked controls, instructions, the goal's status from the run, Back/Next, and a
challenge submitted (scored by the server) to a stored lesson; bad links named."""

import pathlib

import pytest
from streamlit.testing.v1 import AppTest

from playground.classroom import builtin, lessons, player
from playground.classroom.store import Store

PAGE = str(pathlib.Path(__file__).resolve().parents[1] / "pages" / "1_Playground.py")


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def sess(at):
    return at.session_state["pg.session"]


def test_a_builtin_lesson_opens_its_step_hides_and_locks():
    at = page(lesson="builtin-neuron")
    assert not at.exception
    assert sess(at).config.dataset == "gauss" and sess(at).config.hidden == ()
    text = " ".join(m.value for m in at.sidebar.markdown)
    assert "One neuron draws a line" in text and "σ(w₁·x₁ + w₂·x₂ + b)" in text
    assert at.selectbox(key="pg.dataset").disabled  # locked: shown, not changeable
    assert any(
        m.value.startswith("**Goal**") and "… test_accuracy ≥ 0.95 (not yet)" in m.value for m in at.markdown
    )
    at.button(key="pg.step").click().run()
    assert sess(at).epoch == 1
    at.button(key="pg.lesson_next").click().run()  # step 2: xor, a fresh session
    assert sess(at).config.dataset == "xor" and sess(at).epoch == 0
    assert at.query_params["step"] == "2" and at.query_params["lesson"] == "builtin-neuron"
    assert not at.button(key="pg.lesson_back").disabled
    at.button(key="pg.lesson_next").click().run()
    assert at.button(key="pg.lesson_next").disabled and sess(at).config.dataset == "circle"


def test_the_goal_status_follows_the_run():
    at = page(lesson="builtin-backprop", step="2")
    for _ in range(3):
        at.button(key="pg.step").click().run()
    assert any("Goal met!" in m.value and "✓ epochs ≥ 3 (now 3)" in m.value for m in at.markdown)


@pytest.mark.parametrize(
    "query, words",
    [
        ({"lesson": "builtin-nothing"}, "no lesson 'builtin-nothing' on this server"),
        ({"lesson": "builtin-neuron", "step": "9"}, "the lesson has steps 1 to 3, not 9"),
        ({"lesson": "builtin-neuron", "step": "two"}, "step 'two' is not a whole number"),
    ],
)
def test_bad_lesson_links_are_named_and_the_playground_still_works(query, words, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite'}")
    at = page(**query)
    assert not at.exception and any(words in e.value for e in at.error)
    assert sess(at).config == player.step_session(lessons.Step("x")).config  # the default Playground


def test_a_stored_challenge_is_submitted_and_scored_by_the_server(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    monkeypatch.setenv("PLAYGROUND_DATABASE_URL", url)
    from pages.common import lesson as lesson_ui

    lesson_ui.store.clear()
    db = Store(url)
    lesson = builtin.lessons_by_id()["neuron"]
    lesson_id, _ = db.create_lesson(lesson)
    at = page(lesson=lesson_id)
    assert sess(at).config.dataset == "gauss"
    for _ in range(2):
        at.button(key="pg.step").click().run()
    at.text_input(key="pg.nickname").input("ada <b>")  # inside the form: sent with Submit
    at.button(key="FormSubmitter:pg.submit_form-Submit").click().run()
    assert not at.exception and any("Submitted: test_accuracy" in s.value for s in at.success), at.error
    board = db.leaderboard(lesson_id, 0, lower_is_better=False)
    assert board[0]["nickname"] == "ada <b>" and board[0]["metrics"]["epochs"] == 2
    assert board[0]["score"] == pytest.approx(sess(at).metrics()["test_accuracy"], rel=1e-6)
    lesson_ui.store.clear()


CNN = str(pathlib.Path(__file__).resolve().parents[1] / "pages" / "4_CNN.py")


def test_a_cnn_step_opens_on_the_cnn_page_and_keeps_its_locks():
    at = AppTest.from_file(CNN, default_timeout=300)
    at.query_params["lesson"] = "builtin-convolutions"
    at.run()
    assert not at.exception
    s = at.session_state["cnn.session"]
    assert s.config.dataset == "digits" and s.config.layers == ("flatten", "dense units=16 activation=relu")
    assert "Pixels one by one, or patterns" in " ".join(m.value for m in at.sidebar.markdown)
    css = " ".join(m.value for m in at.markdown if m.value.startswith("<style>"))
    assert ".st-key-cnn-dataset{pointer-events:none" in css  # locked: greyed out, not clickable
    at.selectbox(key="cnn.dataset").set_value("shapes").run()  # and refused by the server too
    assert at.session_state["cnn.session"].config.dataset == "digits"
    at.button(key="cnn.step").click().run()
    goal = [m.value for m in at.markdown if m.value.startswith("**Goal**")]
    assert goal and "✓ conv_layers ≤ 1 (now 0)" in goal[0] and "✓ epochs ≤ 15 (now 1)" in goal[0]
    assert at.query_params["lesson"] == "builtin-convolutions" and at.query_params["step"] == "1"


def test_the_pages_own_link_leaves_lesson_mode():
    at = page(lesson="builtin-neuron")
    assert at.session_state["pg.session"].config.dataset == "gauss"
    at.query_params.clear()  # the navigation's link to the Playground carries no lesson
    at.run()
    assert (
        at.session_state["pg.lesson"] is None
        and sess(at).config == player.step_session(lessons.Step("x")).config
    )
    assert not at.exception and "lesson" not in at.query_params


LAB = str(pathlib.Path(__file__).resolve().parents[1] / "pages" / "3_Optimizer_lab.py")


def test_a_backprop_step_walks_the_preset_keeps_its_locks_and_next_opens_the_playground():
    at = AppTest.from_file(str(pathlib.Path(PAGE).parents[1] / "app.py"), default_timeout=300).run()
    at.switch_page("pages/2_Backprop.py")  # through the app's navigation, as a browser would
    at.query_params["lesson"] = "builtin-backprop"
    at.run()
    assert not at.exception
    assert "Forward, error, backward, update" in " ".join(m.value for m in at.sidebar.markdown)
    assert any("No goal in this step: explore." in c.value for c in at.caption)
    assert at.radio(key="bp.source").disabled  # locked in this step
    at.session_state["bp.source"] = "The Playground's current network"  # as a crafted message would
    at.run()
    assert not at.exception and at.session_state["bp.source"] == "Tiny preset (editable)"
    assert at.session_state["bp.config"] == lessons.PAGES["backprop"].base()
    at.button(key="bp.next").click().run()  # the walk itself works in lesson mode
    assert at.session_state["bp.index"] == 1
    at.button(key="bp.lesson_next").click().run()  # step 2 is on the Playground: the app goes there
    assert not at.exception and dict(at.query_params) == {"lesson": "builtin-backprop", "step": "2"}
    assert sess(at).config == builtin.lessons_by_id()["backprop"].steps[1].page_config()


def test_an_optimizer_lab_step_races_its_preset_on_the_default_data():
    at = AppTest.from_file(LAB, default_timeout=300)
    at.query_params["lesson"] = "builtin-optimizers"
    at.query_params["step"] = "2"
    at.run()
    assert not at.exception
    assert (
        at.selectbox(key="lab.preset").value == "SGD vs momentum vs Adam"
        and at.selectbox(key="lab.preset").disabled
    )
    at.session_state["lab.preset"] = "early stopping"  # a locked preset is refused
    at.run()
    race = at.session_state["lab.race"]
    assert at.session_state["lab.preset"] == "SGD vs momentum vs Adam" and len(race.labels) == 4
    assert race.base.dataset == "circle"  # the defaults, not this session's Playground
    assert "A race" in " ".join(m.value for m in at.sidebar.markdown)
    assert not at.button(key="lab.lesson_back").disabled and at.button(key="lab.lesson_next").disabled
