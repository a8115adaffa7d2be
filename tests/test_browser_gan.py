"""The GAN page in a real browser: Play trains live (the generated samples move), Step D moves the
discriminator's map and not the samples, Step G the samples and not the map, a stroke drawn in the
plane becomes the target; the README screenshots. Skips without chromium, like
tests/test_browser.py, whose fixtures it reuses."""

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
PLAY = ".st-key-gan-play button"
VIEW = "window.__nnpGan"


def wait_label(page, label: str):
    wait_js(
        page,
        f"(l) => {{ const b = document.querySelector('{PLAY}');"
        " return !!b && b.innerText.trim().endsWith(l); }",
        label,
    )


def open_gan(page, base: str, query: str = ""):
    page.goto(f"{base}/GAN{query}", wait_until="commit", timeout=LOAD_MS)
    wait_epoch(page, "e === 0", LOAD_MS)
    wait_js(page, f"() => {VIEW} && {VIEW}.lastFrame", None, LOAD_MS)
    wait_label(page, "Play")
    no_exception(page)


def settled(page):
    """Paused: wait until no new frame has been shown for a second (the server's last one)."""
    last = None
    for _ in range(30):
        now = page.evaluate(f"() => {VIEW}.framesShown")
        if now == last:
            return
        last = now
        time.sleep(1.0)


def click(page, label: str):
    page.get_by_role("button", name=label, exact=True).click()


def frame(page) -> dict:
    return page.evaluate(
        f"() => {{ const f = {VIEW}.lastFrame; return {{g: f.g_steps, d: f.d_steps, moved: f.moved,"
        " fake: JSON.stringify(f.fake), heat: f.heat && f.heat.data}; }"
    )


def test_play_trains_live_and_step_d_step_g_move_one_network(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_gan(page, server.url)
    before = frame(page)
    page.locator(PLAY).click()
    wait_label(page, "Pause")
    t0, shown0 = time.time(), page.evaluate(f"() => {VIEW}.framesShown")
    n = wait_epoch(page, "e >= 20", timeout=120_000)
    rate = (page.evaluate(f"() => {VIEW}.framesShown") - shown0) / (time.time() - t0)
    print(f"\ngan (ring8): epoch {n}, {rate:.1f} frames/s")
    page.locator(PLAY).click()
    wait_label(page, "Play")
    settled(page)
    moved = frame(page)
    assert moved["fake"] != before["fake"] and moved["g"] > 0  # the samples moved
    # Once paused, each Step D / Step G frame is compared with the one before it.
    click(page, "Step D")
    wait_js(page, f"() => {VIEW}.lastFrame && {VIEW}.lastFrame.moved === 'd'")
    a = frame(page)
    click(page, "Step D")
    wait_js(page, f"(d) => {VIEW}.lastFrame && {VIEW}.lastFrame.d_steps === d + 1", a["d"])
    b = frame(page)
    assert b["g"] == a["g"] and b["fake"] == a["fake"] and b["heat"] != a["heat"]
    assert "only the discriminator moved" in page.locator(".nnp-moved").inner_text()
    click(page, "Step G")
    wait_js(page, f"() => {VIEW}.lastFrame && {VIEW}.lastFrame.moved === 'g'")
    c = frame(page)
    assert (c["d"], c["g"]) == (b["d"], b["g"] + 1) and c["fake"] != b["fake"] and c["heat"] == b["heat"]
    no_exception(page)


def test_a_drawn_stroke_becomes_the_target(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_gan(page, server.url, "?dataset=drawn")
    assert page.evaluate(f"() => {VIEW}.scene.drawn.length") == 40  # the page's heart
    page.locator("[data-testid=nnp-gan-clear]").click()
    plane = page.locator("[data-testid=nnp-gan-plane]")
    box = plane.bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(x0 + i * box["width"] * 0.04, y0 - i * box["height"] * 0.03)
    page.mouse.up()
    drawn = page.evaluate(f"() => {VIEW}.drawn.length")
    assert drawn >= 8
    wait_js(page, f"(n) => {VIEW}.scene && {VIEW}.scene.drawn && {VIEW}.scene.drawn.length === n", drawn)
    pts = page.evaluate(f"() => {VIEW}.scene.drawn")
    assert pts[0][0] < pts[-1][0] and pts[0][1] < pts[-1][1]  # drawn left to right, upwards
    no_exception(page)


def test_screenshots(new_page, server):  # noqa: F811
    DOCS.mkdir(exist_ok=True)
    shots = [
        (1280, 720, "gan.png", ""),
        (1920, 1080, "gan_1080.png", ""),
        (1280, 720, "gan_digits.png", "?dataset=digits"),
    ]
    for w, h, name, query in shots:
        page = new_page(viewport={"width": w, "height": h})
        open_gan(page, server.url, query)
        page.locator(PLAY).click()
        wait_label(page, "Pause")
        wait_epoch(page, "e >= 60", timeout=120_000)
        page.locator(PLAY).click()
        wait_label(page, "Play")
        time.sleep(0.8)
        page.screenshot(path=str(DOCS / name))
        no_exception(page)
