"""The Optimizer lab in a real browser: Play races the contenders live (the live view pulls
batches of frames; only a browser does), the curves are drawn, Pause stops, the landscape tab
draws its contour and a click picks the start point, the slice path ends at the current
weights; and the README screenshot. Skips without chromium, like tests/test_browser.py,
whose fixtures and helpers it reuses."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from tests.test_browser import (  # noqa: F401  (pytest fixtures are used by name)
    LOAD_MS,
    VIEWPORT,
    browser,
    epoch,
    new_page,
    no_exception,
    server,
    wait_epoch,
    wait_js,
)

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "optimizer_lab.png"
PLAY = ".st-key-lab-play button"
# Points on each contender's train-loss line of the race (the live view's curves), by name.
RACE_POINTS_JS = """(names) => {
  const v = window.__nnpLive, out = {};
  if (!v || !v.scene || v.scene.kind !== 'race') return out;
  v.scene.planes.titles.forEach((t, i) => {
    if (names.includes(t)) out[t] = (v.curve[i + ':train_loss'] || []).length;
  });
  return out;
}"""
# Points on each named line of the Plotly charts shown (the landscape's paths).
CURVE_POINTS_JS = """(names) => {
  const size = {f8: 8, f4: 4, i4: 4, u4: 4, i2: 2, u2: 2, i1: 1, u1: 1};
  const n = (x) => !x ? 0 : (Array.isArray(x) || ArrayBuffer.isView(x)) ? x.length
    : x.bdata ? Math.floor(atob(x.bdata).length / (size[x.dtype] || 8)) : 0;
  const out = {};
  for (const g of document.querySelectorAll('.js-plotly-plot')) {
    for (const t of (g._fullData || [])) {
      if (names.includes(t.name) && t.mode === 'lines') out[t.name] = n(t.x);
    }
  }
  return out;
}"""
LABELS = ["SGD", "momentum 0.9", "Nesterov 0.9", "Adam"]


def wait_label(page, label: str):
    wait_js(
        page,
        f"(label) => {{ const b = document.querySelector('{PLAY}');"
        " return !!b && b.innerText.trim().endsWith(label); }",
        label,
    )


def curves_drawn(page, minimum: int) -> bool:
    points = page.evaluate(RACE_POINTS_JS, LABELS)
    return len(points) == len(LABELS) and all(v >= minimum for v in points.values())


def test_race_plays_live_draws_curves_and_pauses(new_page, server):  # noqa: F811
    page = new_page(viewport={"width": 1280, "height": 720})
    page.goto(f"{server.url}/Optimizer_lab", wait_until="commit", timeout=LOAD_MS)
    wait_epoch(page, "e === 0", LOAD_MS)
    wait_label(page, "Play")
    no_exception(page)

    page.locator(PLAY).click()
    wait_label(page, "Pause")
    n = wait_epoch(page, "e >= 300", timeout=120_000)
    print(f"\nrace of {len(LABELS)}: epoch {n:,}")
    wait_js(page, f"() => {{ const p = ({RACE_POINTS_JS})({LABELS!r}); return Object.keys(p).length === 4"
            " && Object.values(p).every(v => v > 50); }")  # fmt: skip
    # Many frames a round trip, and the race fits the first 1280x720 screen.
    drawn, batches = page.evaluate(
        "() => [window.__nnpLive.drawn, window.__nnpLive.events.filter(e => e[0] === 'batch').length]"
    )
    assert drawn > 2 * batches, (drawn, batches)
    for sel in (PLAY, ".nnp-race-curve", ".nnp-small canvas", ".nnp-epoch"):
        r = page.locator(sel).last.bounding_box()
        assert r["x"] >= 0 and r["y"] >= 0 and r["x"] + r["width"] <= 1280 and r["y"] + r["height"] <= 720, (
            sel
        )
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))  # the README's picture: 1280x720, racing
    page.locator(PLAY).click()
    wait_label(page, "Play")
    # The playback stops at the click; then the server's final state is drawn (one more frame,
    # with the results table under it); after that nothing moves.
    wait_js(page, "() => Array.from(document.querySelectorAll('[data-testid=\"stDataFrame\"]'))"
                  ".some(t => t.offsetHeight > 0)")  # fmt: skip
    time.sleep(1)
    paused = epoch(page)
    time.sleep(2)
    assert epoch(page) == paused, "the race went on after Pause"
    assert curves_drawn(page, 50)
    # the results table lists every contender
    table = page.locator('[data-testid="stDataFrame"]').first
    assert table.count() == 1
    no_exception(page)

    # The landscape tab: a contour with one path per contender.
    page.get_by_role("tab", name="Loss landscape").click()
    wait_js(
        page,
        "() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(g => g.offsetWidth > 0"
        " && (g._fullData || []).some(t => t.type === 'contour'))",
    )
    paths = page.evaluate(CURVE_POINTS_JS, LABELS)
    assert set(paths) == set(LABELS) and all(n == 301 for n in paths.values()), paths  # start + 300 steps
    # A click on the plane picks the start point (a point selection on the invisible grid).
    start_x = ".st-key-lab-x0 input"
    assert float(page.locator(start_x).input_value()) == -2.5
    page.locator(".st-key-lab-chart-landscape").scroll_into_view_if_needed()
    time.sleep(0.5)
    box = page.evaluate(
        "() => { for (const g of document.querySelectorAll('.js-plotly-plot')) {"
        " if (!g.offsetWidth || !(g._fullData || []).some(t => t.type === 'contour')) continue;"
        " const r = g.getBoundingClientRect(), xa = g._fullLayout.xaxis, ya = g._fullLayout.yaxis;"
        " return [r.left + xa._offset + xa.l2p(1.05), r.top + ya._offset + ya.l2p(0.5)]; } return null; }"
    )
    page.mouse.move(box[0], box[1])
    time.sleep(0.5)
    page.mouse.click(box[0], box[1])
    wait_js(page, f"() => Math.abs(parseFloat(document.querySelector('{start_x}').value) - 1.05) < 0.01")
    y0 = float(page.locator(".st-key-lab-y0 input").input_value())
    assert abs(y0 - 0.5) < 0.11, y0  # the nearest grid point
    shot = Path(tempfile.gettempdir()) / "optimizer_lab_landscape.png"  # for a look, not for the README
    page.screenshot(path=str(shot), full_page=False)
    print(f"landscape screenshot: {shot}")
    no_exception(page)

    # The network slice: a contour of the loss and the first contender's path, ending at its weights.
    page.get_by_role("tab", name="Network loss slice").click()
    end = wait_js(
        page,
        "() => { for (const g of document.querySelectorAll('.js-plotly-plot')) {"
        " if (!g.offsetWidth) continue; const t = (g._fullData || []).find(t => t.name === 'SGD'"
        " && t.mode === 'lines+markers'); if (t && t.x.length > 2) return [t.x[t.x.length - 1],"
        " t.y[t.y.length - 1], t.x.length]; } return null; }",
    )
    assert abs(end[0]) < 1e-6 and abs(end[1]) < 1e-6, end
    page.screenshot(path=str(shot.with_name("optimizer_lab_slice.png")), full_page=False)
    no_exception(page)
    assert not page.errors, page.errors
