"""The Classroom page with AppTest: the built-in lessons, copying one into the editor, a goal's
errors, a step from the Playground's setup, saving (links), the teacher link with its live
leaderboard, a student's or a wrong token's link that cannot edit; and the editor's helpers."""

import pathlib

import pytest
from streamlit.testing.v1 import AppTest

from playground.classroom import builtin, editor
from playground.classroom.store import Store
from playground.core.config import Config
from playground.live.session import Session
from playground.zoo.cnn.config import CnnConfig
from playground.zoo.cnn.task import Session as CnnSession

PAGE = str(pathlib.Path(__file__).resolve().parents[1] / "pages" / "9_Classroom.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'classroom.sqlite'}"
    monkeypatch.setenv("PLAYGROUND_DATABASE_URL", url)
    from pages.common import lesson as lesson_ui

    lesson_ui.store.clear()
    yield Store(url)
    lesson_ui.store.clear()


def page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at


def test_copy_edit_check_and_save_a_lesson(db):
    at = page().run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "What a neuron computes" in text and "/Playground?lesson=builtin-neuron" in text
    at.button(key="cls.copy_neuron").click().run()
    assert at.text_input(key="cls.title").value == "What a neuron computes"
    at.text_input(key="cls.step.g1").input("test_accuracy >= 90% or neurons <= 4").run()
    assert any("Goal: expected 'and' between conditions at character 22" in e.value for e in at.error)
    assert any("Not saved yet: step 2: goal:" in e.value for e in at.error)
    assert [b for b in at.button if b.label == "Save"][0].disabled
    at.text_input(key="cls.step.g1").input("test_accuracy >= 90% and neurons <= 4").run()
    at.text_input(key="cls.title").input("Neurons, for 4B").run()
    [b for b in at.button if b.label == "Save"][0].click().run()
    lesson_id, token = at.session_state["cls.saved"]
    shown = " ".join(s.value for s in at.success)
    assert f"/Playground?lesson={lesson_id}" in shown
    assert f"/Classroom?lesson={lesson_id}&edit={token}" in shown
    stored = db.lesson(lesson_id)
    assert stored.title == "Neurons, for 4B" and stored.steps == builtin.lessons_by_id()["neuron"].steps


def test_a_step_from_the_playground_and_config_errors(db):
    at = page()
    at.session_state["pg.session"] = Session(Config(dataset="spiral", hidden=(8, 8), learning_rate=0.1))
    at.run()
    at.button(key=[b.key for b in at.button if b.label == "New lesson"][0]).click().run()
    at.button(key="cls.pg0").click().run()
    assert at.session_state["cls.draft"]["steps"][0]["config"] == {
        "dataset": "spiral",
        "hidden": [8, 8],
        "learning_rate": 0.1,
    }
    at.text_area(key="cls.step.c0").input('{"hidden": [300]}').run()
    assert any("Not saved yet: step 1: config: hidden" in e.value for e in at.error)
    at.text_area(key="cls.step.c0").input("[1, 2]").run()
    assert any("config: an object of the page's fields" in e.value for e in at.error)


def test_the_teacher_link_edits_and_shows_the_leaderboard(db):
    lesson = builtin.lessons_by_id()["losses"]
    lesson_id, token = db.create_lesson(lesson)
    db.submit(lesson_id, 0, "ada", "s1", {"test_loss": 0.004}, 0.004, True, {})
    db.submit(lesson_id, 0, "bob", "s2", {"test_loss": 0.02}, 0.02, False, {})
    at = page(lesson=lesson_id, edit=token).run()
    assert not at.exception and at.text_input(key="cls.title").value == "Losses"
    board = at.dataframe[0].value
    assert list(board["nickname"]) == ["ada", "bob"] and list(board["goal met"]) == ["✓", ""]
    at = page(lesson=lesson_id, edit="guess").run()  # a wrong token: view only, no editor
    assert "cls.draft" not in at.session_state and not at.dataframe
    assert any("cannot edit" in m.value for m in at.markdown)
    at = page(lesson="missing").run()
    assert any("This link cannot be opened: no lesson 'missing'" in e.value for e in at.error)


def test_editor_helpers():
    step = editor.step_from_session("playground", Config(dataset="csv", hidden=(3,)), "x1,x2,label\n0,0,1\n")
    assert step["config"] == {"hidden": [3]} and step["csv"].startswith("x1,x2,label")
    assert editor.step_from_session("playground", Config(), None)["config"] == {}
    cnn = editor.step_from_session("cnn", CnnConfig(dataset="digits", learning_rate=0.01))
    assert cnn["page"] == "cnn" and cnn["config"] == {"dataset": "digits", "learning_rate": 0.01}
    d = editor.distribution([0.1, 0.2, 0.2, 0.4, None, float("nan")])
    assert sum(d["counts"]) == 4 and d["median"] == pytest.approx(0.2)
    assert d["labels"][0].startswith("0.1–") and len(d["labels"]) == len(d["counts"])
    assert editor.distribution([]) == {"edges": [], "counts": [], "labels": [], "median": None}
    assert editor.links("abc") == {"student": "/Playground?lesson=abc"}


def test_a_step_on_the_cnn_page(db):
    at = page()
    at.session_state["cnn.session"] = CnnSession(CnnConfig(dataset="digits", learning_rate=0.01))
    at.run()
    at.button(key=[b.key for b in at.button if b.label == "New lesson"][0]).click().run()
    at.selectbox(key="cls.step.p0").set_value("cnn").run()
    assert "layers" in at.multiselect(key="cls.step.l0").options
    at.button(key="cls.pg0").click().run()
    step = at.session_state["cls.draft"]["steps"][0]
    assert step["page"] == "cnn" and step["config"] == {"dataset": "digits", "learning_rate": 0.01}
    at.multiselect(key="cls.step.l0").set_value(["dataset", "layers"]).run()
    [b for b in at.button if b.label == "Save"][0].click().run()
    lesson_id, _ = at.session_state["cls.saved"]
    saved = db.lesson(lesson_id).steps[0]
    assert saved.page == "cnn" and saved.locked == ("dataset", "layers") and not at.exception


def test_steps_on_the_gan_and_backprop_pages(db):
    from playground.backprop.ui import BackpropConfig
    from playground.zoo.gan.config import GanConfig
    from playground.zoo.gan.session import GanSession

    at = page()
    at.session_state["gan.session"] = GanSession(GanConfig(dataset="grid25", d_steps=3))
    at.session_state["bp.config"] = BackpropConfig(shape="3,2", learning_rate=0.1)
    at.run()
    at.button(key=[b.key for b in at.button if b.label == "New lesson"][0]).click().run()
    at.selectbox(key="cls.step.p0").set_value("gan").run()
    assert {"generator", "discriminator", "d_steps"} <= set(at.multiselect(key="cls.step.h0").options)
    at.button(key="cls.pg0").click().run()
    assert at.session_state["cls.draft"]["steps"][0]["config"] == {"dataset": "grid25", "d_steps": 3}
    at.text_input(key="cls.step.g0").input("test_accuracy >= 90%").run()  # not a GAN's number
    assert any(
        "Goal: the GAN page does not measure test_accuracy; it measures epochs" in e.value for e in at.error
    )
    at.text_input(key="cls.step.g0").input("modes_covered >= 20 and epochs <= 500").run()
    assert any("Reads as: modes_covered >= 20 and epochs <= 500" in c.value for c in at.caption)
    next(b for b in at.button if b.label == "Add a step").click().run()
    at.selectbox(key="cls.step.p1").set_value("backprop").run()
    at.button(key="cls.pg1").click().run()  # the Backprop page's choices in this session
    assert at.session_state["cls.draft"]["steps"][1]["config"] == {"shape": "3,2", "learning_rate": 0.1}
    [b for b in at.button if b.label == "Save"][0].click().run()
    lesson_id, _ = at.session_state["cls.saved"]
    steps = db.lesson(lesson_id).steps
    assert [s.page for s in steps] == ["gan", "backprop"] and steps[0].goal.startswith("modes_covered")
    assert not at.exception
