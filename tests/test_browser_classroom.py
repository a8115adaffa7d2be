"""Lessons in a real browser: a student walks a three-step built-in lesson on the Playground and
meets a step's goal by pressing Play; a stored challenge is submitted from one browser and shows on
the teacher's live leaderboard in another; the README screenshots. Skips without chromium, like
tests/test_browser.py, whose fixtures it reuses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from playground.classroom import builtin
from playground.classroom.store import Store
from tests.test_browser import (  # noqa: F401  (pytest fixtures are used by name)
    LOAD_MS,
    browser,
    click_pause,
    click_play,
    new_page,
    no_exception,
    open_playground,
    server,
    wait_js,
)

pytestmark = pytest.mark.browser
DOCS = Path(__file__).resolve().parents[1] / "docs"
BAR = "() => { const b = document.querySelector('.st-key-lesson-bar'); return b ? b.innerText : ''; }"


def wait_bar(page, words: str) -> str:
    return wait_js(page, f"(w) => ({BAR})().includes(w) && ({BAR})()", words, LOAD_MS)


def test_a_student_walks_a_three_step_lesson_and_meets_a_goal(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_playground(page, server.url, "?lesson=builtin-neuron")
    wait_bar(page, "step 1 of 3")
    assert "One neuron draws a line" in page.locator("[data-testid=stSidebar]").inner_text()
    assert "not yet" in wait_bar(page, "Goal")
    click_play(page)
    text = wait_bar(page, "Goal met!")  # refreshed while it plays, not only when it stops
    assert "✓ test_accuracy ≥ 0.95" in text and "✓ layers ≤ 0" in text
    click_pause(page)
    DOCS.mkdir(exist_ok=True)
    time.sleep(0.5)
    page.screenshot(path=str(DOCS / "lesson.png"))
    page.locator(".st-key-pg-lesson_next button").click()
    wait_bar(page, "step 2 of 3")
    wait_js(page, "() => location.search === '?lesson=builtin-neuron&step=2'")  # the link follows the step
    page.locator(".st-key-pg-lesson_next button").click()
    assert "Lines make a shape" in wait_bar(page, "step 3 of 3")
    page.locator(".st-key-pg-lesson_back button").click()
    wait_bar(page, "step 2 of 3")
    no_exception(page)


def test_a_submission_reaches_the_teachers_live_leaderboard(new_page, server):  # noqa: F811
    db = Store(server.db_url)
    lesson_id, token = db.create_lesson(builtin.lessons_by_id()["neuron"])
    teacher = new_page(viewport={"width": 1280, "height": 720})
    link = f"{server.url}/Classroom?lesson={lesson_id}&edit={token}"
    teacher.goto(link, wait_until="commit", timeout=LOAD_MS)
    wait_js(teacher, "() => document.body.innerText.includes('No results yet')", None, LOAD_MS)
    student = new_page(viewport={"width": 1280, "height": 720})
    open_playground(student, server.url, f"?lesson={lesson_id}")
    click_play(student)
    wait_bar(student, "Goal met!")
    click_pause(student)
    student.locator(".st-key-pg-nickname input").fill("ada <script>x</script>")
    student.get_by_role("button", name="Submit").click()
    wait_js(student, "() => document.body.innerText.includes('Submitted: test_accuracy')", None, LOAD_MS)
    # The teacher's page refreshes its leaderboard by itself (every 3 s).
    wait_js(teacher, "() => document.body.innerText.includes('scored submissions')", None, LOAD_MS)
    assert db.leaderboard(lesson_id, 0, lower_is_better=False)[0]["nickname"] == "ada <script>x</script>"
    assert teacher.locator("script:has-text('x')").count() == 0  # the nickname stayed text
    teacher.get_by_text("Leaderboards (live)").scroll_into_view_if_needed()
    time.sleep(0.5)
    teacher.screenshot(path=str(DOCS / "classroom.png"))
    no_exception(teacher)
    no_exception(student)


def test_a_lesson_moves_between_the_cnn_page_and_the_playground(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server.url}/CNN?lesson=builtin-convolutions", wait_until="commit", timeout=LOAD_MS)
    assert "Pixels one by one" in wait_bar(page, "step 1 of 2")
    wait_js(page, "() => !!document.querySelector('.st-key-cnn-lesson_next button')", None, LOAD_MS)
    page.locator(".st-key-cnn-lesson_next button").click()
    wait_js(page, "() => location.pathname.endsWith('/Playground')", None, LOAD_MS)
    assert "Back to the plane" in wait_bar(page, "step 2 of 2")
    wait_js(page, "() => location.search === '?lesson=builtin-convolutions&step=2'")
    page.locator(".st-key-pg-lesson_back button").click()
    wait_js(page, "() => location.pathname.endsWith('/CNN')", None, LOAD_MS)
    wait_bar(page, "step 1 of 2")
    no_exception(page)


def test_a_transformer_challenge_plays_to_its_budget_and_meets_its_goal(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server.url}/Transformer?lesson=builtin-transformer", wait_until="commit", timeout=LOAD_MS)
    assert "Reverse a sequence" in wait_bar(page, "step 1 of 2")
    wait_js(page, "() => !!document.querySelector('.st-key-tfm-play button')", None, LOAD_MS)
    assert "causal" in page.locator("[data-testid=stSidebar]").inner_text()
    page.locator(".st-key-tfm-causal").get_by_text("bidirectional (encoder)").click()
    wait_js(page, "() => document.body.innerText.includes('Weights reset')", None, LOAD_MS)  # applied
    page.locator(".st-key-tfm-play button").click()
    text = wait_bar(page, "Goal met!")
    assert "✓ test_accuracy ≥ 0.95" in text and "epochs ≤ 15" in text
    # The goal's "epochs <= 15" is the run's budget: Play stops there by itself and says why.
    wait_js(page, "() => document.body.innerText.includes('This challenge allows 15 epochs')", None, LOAD_MS)
    wait_js(page, "() => document.querySelector('.st-key-tfm-play button').innerText.trim().endsWith('Play')")
    text = wait_bar(page, "Goal met!")
    assert "✓ epochs ≤ 15 (now 15)" in text and "the 15 epochs are spent" in text
    time.sleep(0.5)
    page.screenshot(path=str(DOCS / "lesson_zoo.png"))
    no_exception(page)
