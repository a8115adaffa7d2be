"""The Autoencoder page in a real browser: Play trains live (the codes move), a click in the latent
plane decodes that point into a new image, two gallery clicks interpolate; the README screenshots.
Skips without chromium, like tests/test_browser.py, whose fixtures it reuses."""

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
PLAY = ".st-key-ae-play button"
VIEW = "window.__nnpAutoencoder"


def wait_label(page, label: str):
    wait_js(
        page,
        f"(l) => {{ const b = document.querySelector('{PLAY}');"
        " return !!b && b.innerText.trim().endsWith(l); }",
        label,
    )


def open_ae(page, base: str, query: str = "?n_samples=800"):
    page.goto(f"{base}/Autoencoder{query}", wait_until="commit", timeout=LOAD_MS)
    wait_epoch(page, "e === 0", LOAD_MS)
    wait_js(page, f"() => {VIEW} && {VIEW}.lastFrame", None, LOAD_MS)
    wait_label(page, "Play")
    no_exception(page)


def test_play_trains_live_and_a_plane_click_decodes(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_ae(page, server.url)
    before = page.evaluate(f"() => {VIEW}.lastFrame.codes.x.slice(0, 20)")
    page.locator(PLAY).click()
    wait_label(page, "Pause")
    t0, shown0 = time.time(), page.evaluate(f"() => {VIEW}.framesShown")
    n = wait_epoch(page, "e >= 20", timeout=120_000)
    rate = (page.evaluate(f"() => {VIEW}.framesShown") - shown0) / (time.time() - t0)
    print(f"\nautoencoder (digits, code of 2): epoch {n}, {rate:.1f} frames/s")
    page.locator(PLAY).click()
    wait_label(page, "Play")
    assert page.evaluate(f"() => {VIEW}.lastFrame.codes.x.slice(0, 20)") != before  # the codes move
    plane = page.locator("[data-testid=nnp-latent]")
    box = plane.bounding_box()
    plane.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.4})
    first = wait_js(page, f"() => {{ const f = {VIEW}.lastFrame; return f && f.decoded && f.decoded; }}")
    plane.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.6})
    second = wait_js(
        page,
        f"(z) => {{ const f = {VIEW}.lastFrame;"
        " return f && f.decoded && f.decoded.z[0] !== z && f.decoded; }",
        first["z"][0],
    )
    assert second["pixels"] != first["pixels"]  # another point of the plane, another image
    no_exception(page)


def test_screenshots(new_page, server):  # noqa: F811
    DOCS.mkdir(exist_ok=True)
    for w, h, name in [(1280, 720, "autoencoder.png"), (1920, 1080, "autoencoder_1080.png")]:
        page = new_page(viewport={"width": w, "height": h})
        open_ae(page, server.url, "?n_samples=1797")
        page.locator(PLAY).click()
        wait_label(page, "Pause")
        wait_epoch(page, "e >= 40", timeout=120_000)
        page.locator(PLAY).click()
        wait_label(page, "Play")
        plane = page.locator("[data-testid=nnp-latent]")
        box = plane.bounding_box()
        plane.click(position={"x": box["width"] * 0.35, "y": box["height"] * 0.45})
        wait_js(page, f"() => {VIEW}.lastFrame && {VIEW}.lastFrame.decoded")
        time.sleep(0.5)
        page.screenshot(path=str(DOCS / name))
        no_exception(page)


def test_the_convolutional_preset_trains_live(new_page, server):  # noqa: F811
    """Chosen in the sidebar's Layers menu: the stack is rebuilt, Play streams frames whose
    reconstructions change, and the README's screenshot of it."""
    page = new_page(viewport={"width": 1280, "height": 720})
    open_ae(page, server.url)
    scene = page.evaluate(f"() => {VIEW}.scene && {VIEW}.scene.id")
    menu = page.locator(".st-key-ae-architecture [role='combobox']")
    menu.scroll_into_view_if_needed()  # below the sidebar's fold: a click while it scrolls opens nothing
    time.sleep(0.5)
    menu.click()
    page.get_by_role("option", name="convolutional", exact=True).click()
    wait_js(page, f"(id) => {VIEW}.scene && {VIEW}.scene.id !== id", scene, LOAD_MS)
    labels = page.evaluate(f"() => {VIEW}.scene.layers.map(l => l.label)")
    assert any(la.startswith("1. conv 16@3×3") for la in labels), labels
    assert any("convT 8@3×3 ×2" in la for la in labels), labels
    wait_epoch(page, "e === 0", LOAD_MS)
    before = page.evaluate(f"() => {VIEW}.lastFrame.codes.x.slice(0, 20)")
    page.locator(PLAY).click()
    wait_label(page, "Pause")
    wait_epoch(page, "e >= 15", timeout=180_000)
    page.locator(PLAY).click()
    wait_label(page, "Play")
    assert page.evaluate(f"() => {VIEW}.lastFrame.codes.x.slice(0, 20)") != before
    time.sleep(0.5)
    page.screenshot(path=str(DOCS / "autoencoder_conv.png"))
    no_exception(page)
