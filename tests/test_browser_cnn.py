"""The CNN page in a real browser: Play trains live (frames stream in, the epoch and the curves
move), clicking a gallery image changes the feature maps, drawing a digit gives a prediction, a
feature-map pixel opens the explained convolution, a confusion-matrix cell shows its images; and
the README screenshot. Skips without chromium, like tests/test_browser.py, whose fixtures it reuses."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
PLAY = ".st-key-cnn-play button"
VIEW = "window.__nnpCnn"
# The first feature map's bytes and the chosen image, as the view last drew them.
SHOWN_JS = f"""() => {{
  const v = {VIEW}; const f = v && v.lastFrame;
  return f ? {{maps: f.maps.length ? f.maps[0].data : '', chosen: f.chosen, probs: f.probs,
              shown: v.framesShown, epoch: f.epoch}} : null;
}}"""


def wait_label(page, label: str):
    js = f"(l) => {{ const b = document.querySelector('{PLAY}');"
    js += " return !!b && b.innerText.trim().endsWith(l); }"
    wait_js(page, js, label)


def open_cnn(page, base: str, query: str = "?dataset=digits&n_samples=600"):
    page.goto(f"{base}/CNN{query}", wait_until="commit", timeout=LOAD_MS)
    wait_epoch(page, "e === 0", LOAD_MS)
    gallery = "document.querySelectorAll('[data-testid^=nnp-gallery-]').length > 0"
    wait_js(page, f"() => {VIEW} && {VIEW}.lastFrame && {gallery}", None, LOAD_MS)
    wait_label(page, "Play")
    no_exception(page)


def test_play_trains_live_and_the_views_follow_clicks_and_drawing(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_cnn(page, server.url)
    before = page.evaluate(SHOWN_JS)

    page.locator(PLAY).click()
    wait_label(page, "Pause")
    t0, shown0 = time.time(), page.evaluate(SHOWN_JS)["shown"]
    n = wait_epoch(page, "e >= 20", timeout=120_000)
    rate = (page.evaluate(SHOWN_JS)["shown"] - shown0) / (time.time() - t0)
    print(f"\ncnn digits: epoch {n}, {rate:.1f} frames/s")
    assert page.evaluate(SHOWN_JS)["maps"] != before["maps"]  # the maps change as it learns
    page.locator(PLAY).click()
    wait_label(page, "Play")
    time.sleep(1.0)  # the paused run's frame: the server's final state (it trained ahead of the view)
    paused = epoch(page)
    time.sleep(1.0)
    assert epoch(page) == paused

    # A gallery click: the view asks for that image, the server sends its maps.
    chosen = page.evaluate(SHOWN_JS)["chosen"]["index"]
    page.locator("[data-testid=nnp-gallery-5]").click()
    target = page.evaluate(f"() => {VIEW}.scene.gallery.indices[5]")
    assert target != chosen
    got = wait_js(
        page, f"(t) => {{ const f = {VIEW}.lastFrame; return f && f.chosen.index === t && f; }}", target
    )
    maps_5 = got["maps"][0]["data"]
    assert got["chosen"]["source"] == "gallery"
    page.locator("[data-testid=nnp-gallery-6]").click()
    other = wait_js(
        page,
        f"(t) => {{ const f = {VIEW}.lastFrame; return f && f.chosen.index === t && f; }}",
        page.evaluate(f"() => {VIEW}.scene.gallery.indices[6]"),
    )
    assert other["maps"][0]["data"] != maps_5

    # Draw a "1": a vertical stroke down the pad's middle.
    pad = page.locator("[data-testid=nnp-pad]").bounding_box()
    x = pad["x"] + pad["width"] / 2
    page.mouse.move(x, pad["y"] + pad["height"] * 0.15)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(x, pad["y"] + pad["height"] * (0.15 + 0.07 * k))
    page.mouse.up()
    drawn = wait_js(
        page, f"() => {{ const f = {VIEW}.lastFrame; return f && f.chosen.source === 'drawn' && f; }}"
    )
    probs = drawn["probs"]
    assert len(probs) == 10 and abs(sum(probs) - 1) < 1e-3
    top = max(range(10), key=lambda k: probs[k])
    shown = page.locator(f"[data-testid=nnp-prob-{top}]").inner_text()
    assert f"{100 * probs[top]:.1f}%" in shown
    print(f"drawn stroke predicted as {top} ({100 * probs[top]:.0f}%)")
    no_exception(page)


def test_explain_and_confusion_cell(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_cnn(page, server.url)
    page.locator(".st-key-cnn-step button").click()
    wait_epoch(page, "e === 1", 60_000)
    # A click on the first conv layer's first tile: the Convolution tab explains that pixel.
    tile = page.locator("canvas[data-layer='1'][data-channel='0']").first
    box = tile.bounding_box()
    tile.click(position={"x": box["width"] * 0.55, "y": box["height"] * 0.55})
    d = wait_js(
        page,
        f"() => {{ const f = {VIEW}.lastFrame; return f && f.detail && f.detail.layer === 1 && f.detail; }}",
    )
    assert d["kind"] == "conv" and abs(d["sum"] + d["bias"] - d["z"]) < 1e-4
    assert abs(sum(d["products"]) - d["sum"]) < 1e-3
    page.locator("[data-testid=nnp-tab-conv]").click()
    assert page.locator(".nnp-eq").inner_text().strip() != ""
    # The Test set tab: a click on the diagonal's first cell lists those images.
    page.locator("[data-testid=nnp-tab-test]").click()
    conf = page.locator("[data-testid=nnp-confusion]")
    cb = conf.bounding_box()
    assert cb["width"] > 100
    n_classes = len(page.evaluate(f"() => {VIEW}.scene.classes"))
    cell_js = f"() => {{ const f = {VIEW}.lastFrame; return f && f.cell && f.cell; }}"
    conf.click(
        position={
            "x": cb["width"] * 0.5 / n_classes + cb["width"] * 0.06,
            "y": cb["height"] * 0.5 / n_classes + cb["height"] * 0.06,
        }
    )
    cell = wait_js(page, cell_js)
    assert cell["count"] >= len(cell["indices"]) and cell["true"] == cell["pred"]
    no_exception(page)


def test_screenshots(new_page, server):  # noqa: F811
    """The README's pictures: MNIST at a projector's 1280×720 while training, and 1920×1080."""
    DOCS.mkdir(exist_ok=True)
    for w, h, name in [(1280, 720, "cnn.png"), (1920, 1080, "cnn_1080.png")]:
        page = new_page(viewport={"width": w, "height": h})
        open_cnn(page, server.url, "?dataset=mnist&n_samples=2000")
        page.locator(PLAY).click()
        wait_epoch(page, "e >= 3", timeout=180_000)
        page.locator(PLAY).click()
        wait_label(page, "Play")
        time.sleep(0.5)
        page.screenshot(path=str(DOCS / name))
        no_exception(page)


def test_layer_builder_edits_update_the_summary_and_name_a_bad_layer(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    open_cnn(page, server.url)
    top = page.locator(".st-key-cnn-top")
    assert "5,846 parameters" in top.inner_text()
    page.get_by_text("Layers: edit the stack").click()
    grid = page.locator("[data-testid=stDataFrame]").first
    grid.wait_for(timeout=LOAD_MS)
    editor = page.locator("[data-testid=stDataFrameGlideDataEditor] input, .gdg-input, textarea").first

    def type_in_cell(text: str):
        # The expander animates open and the grid may still be moving or not yet listening when it first
        # shows: measure it once it has stopped, and double-click again if no editor opened.
        for attempt in range(6):
            grid.scroll_into_view_if_needed()
            box, last = grid.bounding_box(), None
            while box != last:
                time.sleep(0.3)
                box, last = grid.bounding_box(), box
            # row 1, "filters / units" (the 6 filters of the first conv)
            page.mouse.dblclick(box["x"] + 165, box["y"] + 53)
            try:
                editor.wait_for(timeout=5_000)
                break
            except PlaywrightTimeout:
                if attempt == 5:
                    raise
        page.keyboard.press("Control+A")
        page.keyboard.type(text, delay=60)
        page.keyboard.press("Enter")

    type_in_cell("4")  # 4 filters: 5·5·1·4+4 + 3·3·4·16+16 + 64·64+64 + 64·10+10 = 5,506
    wait_js(page, "() => document.querySelector('.st-key-cnn-top').innerText.includes('5,506 parameters')")
    type_in_cell("40")  # more than a conv may have: refused by name, the 4-filter network kept
    msg = wait_js(
        page,
        "() => { const e = document.querySelector('[data-testid=stAlertContentError]');"
        " return e && e.innerText; }",
    )
    assert "layer 1: conv filters must be a whole number from 1 to 32, got 40" in msg
    assert "The last good network keeps training" in msg and "5,506 parameters" in top.inner_text()
    no_exception(page)
