"""The Backprop page in a real browser: the walk reaches a backward-pass sub-step, KaTeX draws
its formulas, the diagram's live view shows the numbers, autoplay walks on the view's clock and
Pause stops it; no Streamlit exception appears; saves the README screenshot docs/backprop.png.

Reuses the Streamlit server and headless chromium fixtures of tests/test_browser.py (skips
without chromium unless PLAYGROUND_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import time

import pytest

from tests.test_browser import (  # noqa: F401  -- fixtures are used by name
    LOAD_MS,
    ROOT,
    VIEWPORT,
    browser,
    new_page,
    no_exception,
    server,
    wait_js,
)

pytestmark = pytest.mark.browser
SCREENSHOT = ROOT / "docs" / "backprop.png"
# Sub-step counter, and the formulas KaTeX has laid out (each st.latex is one .katex-display).
STEP_JS = (
    """() => { const m = /Sub-step (\\d+) of (\\d+)/.exec(document.body.innerText); return m ? +m[1] : 0; }"""
)
# Every text the diagram's view (a canvas) was sent for the sub-step it shows.
DIAGRAM_TEXT_JS = """() => { const v = window.__nnpLive, f = v && v.current;
  if (!f || !f.shapes) return '';
  return f.shapes.items.filter(i => i.k === 'text').flatMap(i => i.lines.map(l => l[0])).join(' | '); }"""
KATEX_JS = """() => Array.from(document.querySelectorAll('.katex-display .katex-html'))
  .filter(e => e.getBoundingClientRect().width > 50).length"""


def test_backprop_walk_draws_formulas(new_page, server):  # noqa: F811
    page = new_page()
    page.goto(f"{server.url}/Backprop", wait_until="commit", timeout=LOAD_MS)
    wait_js(page, f"() => ({STEP_JS})() === 1 && ({KATEX_JS})() >= 2", timeout=LOAD_MS)
    assert "z^{(1)}" not in page.inner_text("body")  # drawn by KaTeX, not left as source
    # Sub-step 8 of the worked example: the hidden neuron's delta, a sum over downstream delta * w.
    for k in range(2, 9):
        page.locator(".st-key-bp-next button").click()
        wait_js(page, f"() => ({STEP_JS})() === {k}")
    # The formula (KaTeX) and the diagram (delta on the node) both show the hidden delta 0.0088;
    # the fragment's elements land one by one, so wait for all of them.
    wait_js(
        page,
        f"""() => ({KATEX_JS})() >= 2 && Array.from(document.querySelectorAll('.katex-display'))
          .some(e => e.innerText.includes('0.2413=0.0088')) && ({DIAGRAM_TEXT_JS})().includes('δ = 0.0088')
          && document.body.innerText.includes('Backward: layer 1, neuron 1')""",
    )
    no_exception(page)

    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height, 2200))})
    time.sleep(1.5)  # plotly relayouts on resize
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    no_exception(page)
    assert not page.errors, page.errors


def choose(page, key: str, option: str):
    """Pick `option` in the selectbox with widget key `key` (as a user would: open, click)."""
    page.locator(f".st-key-{key.replace('.', '-')} [role='combobox']").click()
    page.get_by_role("option", name=option, exact=True).click()


KATEX_OK_JS = """() => {
  const shown = Array.from(document.querySelectorAll('[data-testid="stMarkdownContainer"] .katex-display'));
  // A parse error becomes .katex-error; an unknown macro is drawn in KaTeX's error colour.
  const red = document.querySelector('.katex [style*="cc0000"], .katex [style*="204, 0, 0"]');
  return document.querySelectorAll('.katex-error').length === 0 && !red && shown.length >= 2
    && shown.every(e => e.querySelector('.katex-html'));
}"""


def test_every_substep_draws_for_another_network(new_page, server):  # noqa: F811
    """leaky_relu, huber on a softmax output, Adam, 3-2 hidden: every formula typesets."""
    page = new_page()
    page.goto(f"{server.url}/Backprop", wait_until="commit", timeout=LOAD_MS)
    wait_js(page, f"() => ({STEP_JS})() === 1", timeout=LOAD_MS)
    for key, option, check in [
        ("bp.shape", "3,2", "network 2-3-2-2"),
        ("bp.activation", "leaky_relu", "hidden leaky_relu"),
        ("bp.loss_output", "huber · softmax", "loss huber"),
        ("bp.optimizer", "adam", "adam (η"),
    ]:
        choose(page, key, option)
        wait_js(page, "(text) => document.body.innerText.includes(text)", check)
    total = 3 * (3 + 2 + 2) + 1
    wait_js(page, f"() => ({STEP_JS})() === 1 && document.body.innerText.includes('of {total}')")
    for k in range(2, total + 1):
        page.locator(".st-key-bp-next button").click()
        wait_js(page, f"() => ({STEP_JS})() === {k} && ({KATEX_OK_JS})()")
    assert "Loss after, same example" in page.inner_text("body")
    no_exception(page)
    assert not page.errors, page.errors


def test_autoplay_walks_and_pause_stops(new_page, server):  # noqa: F811
    page = new_page()
    page.goto(f"{server.url}/Backprop", wait_until="commit", timeout=LOAD_MS)
    wait_js(page, f"() => ({STEP_JS})() === 1", timeout=LOAD_MS)
    wait_js(page, "() => !!window.__nnpLive && !!window.__nnpLive.current")  # the diagram's view is drawn
    view = page.evaluate("() => { window.__view = window.__nnpLive; return window.__nnpLive.drawn; }")
    play = page.locator(".st-key-bp-play button")
    play.click()
    wait_js(page, "() => document.querySelector('.st-key-bp-play button').innerText.includes('Pause')")
    wait_js(page, f"() => ({STEP_JS})() >= 4", timeout=30_000)  # a sub-step every 1.5 s
    play.click()
    wait_js(page, "() => document.querySelector('.st-key-bp-play button').innerText.includes('Autoplay')")
    stopped = page.evaluate(STEP_JS)
    time.sleep(4)
    assert page.evaluate(STEP_JS) == stopped, "the walk went on after Pause"
    # The diagram's view was mounted once and drawn again for each sub-step.
    same, drawn = page.evaluate("() => [window.__view === window.__nnpLive, window.__nnpLive.drawn]")
    assert same and drawn >= view + 3, (same, view, drawn)
    no_exception(page)
