"""The Recurrent and Transformer pages in a real browser: Play trains live on each (frames stream
in, the epoch and the hidden states / attention maps move); a gallery click shows that sequence;
clicking a query position changes the attention view; the README screenshots. Skips without
chromium, like tests/test_browser.py, whose fixtures it reuses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (pytest fixtures are used by name)
    LOAD_MS,
    browser,
    epoch,
    new_page,
    no_exception,
    server,
    wait_epoch,
    wait_js,
)

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[1] / "docs"
VIEWS = {"Recurrent": "window.__nnpRecurrent", "Transformer": "window.__nnpTransformer"}
PLAY = {"Recurrent": ".st-key-rnn-play button", "Transformer": ".st-key-tfm-play button"}


def wait_label(page, name: str, label: str):
    js = f"(l) => {{ const b = document.querySelector('{PLAY[name]}');"
    js += " return !!b && b.innerText.trim().endsWith(l); }"
    wait_js(page, js, label)


def open_page(page, base: str, name: str, query: str):
    page.goto(f"{base}/{name}{query}", wait_until="commit", timeout=LOAD_MS)
    wait_epoch(page, "e === 0", LOAD_MS)
    view = VIEWS[name]
    gallery = "document.querySelectorAll('[data-testid^=nnp-gallery-]').length > 0"
    wait_js(page, f"() => {view} && {view}.lastFrame && {gallery}", None, LOAD_MS)
    wait_label(page, name, "Play")
    no_exception(page)


def play_for(page, name: str, predicate: str) -> tuple[int, float]:
    """Play until the epoch satisfies `predicate`, then pause; (epoch, frames/s while playing)."""
    view = VIEWS[name]
    page.locator(PLAY[name]).click()
    wait_label(page, name, "Pause")
    t0, shown0 = time.time(), page.evaluate(f"() => {view}.framesShown")
    n = wait_epoch(page, predicate, timeout=120_000)
    rate = (page.evaluate(f"() => {view}.framesShown") - shown0) / (time.time() - t0)
    page.locator(PLAY[name]).click()
    wait_label(page, name, "Play")
    return n, rate


def test_recurrent_plays_live_and_follows_a_gallery_click(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_page(page, server.url, "Recurrent", "?n_samples=500")
    view = VIEWS["Recurrent"]
    before = page.evaluate(f"() => {view}.lastFrame.hidden.data")
    n, rate = play_for(page, "Recurrent", "e >= 10")
    print(f"\nrecurrent (lstm, first, T = 20): epoch {n}, {rate:.1f} frames/s")
    assert rate > 1  # frames stream in, not one per round trip
    assert page.evaluate(f"() => {view}.lastFrame.hidden.data") != before  # the states change as it learns
    time.sleep(1.0)
    paused = epoch(page)
    time.sleep(1.0)
    assert epoch(page) == paused
    chosen = page.evaluate(f"() => {view}.lastFrame.chosen")
    target = page.evaluate(f"() => {view}.scene.gallery[4].index")
    assert target != chosen
    page.locator("[data-testid=nnp-gallery-4]").click()
    got = wait_js(page, f"(t) => {{ const f = {view}.lastFrame; return f && f.chosen === t && f; }}", target)
    assert len(got["grad"]) == 20
    for tab in ("gradients", "predictions", "unrolled"):
        page.locator(f"[data-testid=nnp-tab-{tab}]").click()
        assert page.evaluate(f"() => {view}.tab") == tab
    no_exception(page)


def test_transformer_plays_live_and_a_query_click_changes_the_attention_view(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_page(page, server.url, "Transformer", "?n_samples=600")
    view = VIEWS["Transformer"]
    before = page.evaluate(f"() => {view}.lastFrame.attention[0].weights")
    n, rate = play_for(page, "Transformer", "e >= 15")
    print(f"\ntransformer (reverse, T = 8): epoch {n}, {rate:.1f} frames/s")
    assert rate > 1
    assert page.evaluate(f"() => {view}.lastFrame.attention[0].weights") != before
    # A click on query position 2, then 5: the words under the maps follow the query.
    page.locator("[data-testid=nnp-query-2]").click()
    first = wait_js(page, "() => document.querySelector('[data-testid=nnp-attends]').innerText")
    assert page.evaluate(f"() => {view}.query") == 2
    page.locator("[data-testid=nnp-query-5]").click()
    wait_js(page, f"() => {view}.query === 5")
    second = page.locator("[data-testid=nnp-attends]").inner_text()
    assert second != first and second.strip()
    no_exception(page)


@pytest.mark.parametrize(
    "name, query, until, shots",
    [
        ("Recurrent", "?task=cumsum&length=24&n_samples=600", "e >= 40", "recurrent"),
        ("Transformer", "?n_samples=1000", "e >= 25", "transformer"),
    ],
)
def test_screenshots(new_page, server, name, query, until, shots):  # noqa: F811
    """The README's pictures, at a projector's 1280×720 and at 1920×1080, after some training."""
    DOCS.mkdir(exist_ok=True)
    for w, h, suffix in [(1280, 720, ""), (1920, 1080, "_1080")]:
        page = new_page(viewport={"width": w, "height": h})
        open_page(page, server.url, name, query)
        play_for(page, name, until)
        if name == "Transformer":
            page.locator("[data-testid=nnp-query-1]").click()
        time.sleep(0.5)
        page.screenshot(path=str(DOCS / f"{shots}{suffix}.png"))
        no_exception(page)
