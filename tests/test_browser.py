"""The Playground in a real browser: a Streamlit server and headless Debian chromium via Playwright.

Covers what AppTest cannot: the live fragment that reruns every 0.25 s while playing (Play
trains, the counter and the charts move, Pause stops them), Step, a hostile link, and ten
sessions training at once on one server (the load test: independence, throughput, memory).

Without chromium (or when Playwright cannot start it) these tests skip; with
PLAYGROUND_REQUIRE_BROWSER=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1600, "height": 1100}
SCREENSHOT = ROOT / "docs" / "playground.png"
LOAD_MS = 180_000  # a cold server on a busy 2-core box compiles JAX on the first page load
UI_MS = 90_000  # waiting for a rerun to reach the page (a Play/Pause/Step click)

# Collects every Streamlit exception box that ever appears, so one shown between two checks counts.
WATCH_EXCEPTIONS = """
window.__stExceptions = [];
(() => {
  const seen = new WeakSet();
  const scan = () => {
    for (const el of document.querySelectorAll('[data-testid="stException"]')) {
      if (!seen.has(el)) { seen.add(el); window.__stExceptions.push(el.innerText.slice(0, 2000)); }
    }
  };
  new MutationObserver(scan).observe(document, {childList: true, subtree: true});
})();
"""
EPOCH_JS = """() => {
  for (const h of document.querySelectorAll('h3')) {
    const m = /Epoch\\s+([\\d,]+)/.exec(h.innerText || '');
    if (m) return parseInt(m[1].replace(/,/g, ''), 10);
  }
  return null;
}"""
# Points on the loss chart's "train loss" line (-1: no loss chart). Plotly.py sends numpy arrays
# as {dtype, bdata}; plotly.js decodes them into _fullData, so both places are looked at.
LOSS_POINTS_JS = """() => {
  const size = {f8: 8, f4: 4, i4: 4, u4: 4, i2: 2, u2: 2, i1: 1, u1: 1, u1c: 1};
  const n = (x) => !x ? 0 : (Array.isArray(x) || ArrayBuffer.isView(x)) ? x.length
    : x.bdata ? Math.floor(atob(x.bdata).length / (size[x.dtype] || 8)) : 0;
  for (const g of document.querySelectorAll('.js-plotly-plot')) {
    const i = (g.data || []).findIndex(t => /train loss/.test(t.name || ''));
    if (i < 0) continue;
    const full = (g._fullData || []).find(t => t.name === g.data[i].name);
    return Math.max(n(g.data[i].x), full ? n(full.x) : 0);
  }
  return -1;
}"""
CHARTS_DRAWN_JS = """() => {
  const gs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return gs.length >= 4 && gs.every(g => g._fullLayout && g.querySelector('.main-svg'));
}"""
# The output chart's training points, as a fingerprint of the data this session holds.
OUTPUT_POINTS_JS = """() => {
  for (const g of document.querySelectorAll('.js-plotly-plot')) {
    const t = (g._fullData || []).find(t => t.name === 'train' && t.x && t.x.length);
    if (t) return Array.from(t.x).slice(0, 12).map(v => Math.round(v * 1e6) / 1e6);
  }
  return null;
}"""


# ---- fixtures ----------------------------------------------------------------------------
def _unavailable(why: str):
    if os.environ.get("PLAYGROUND_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser required (PLAYGROUND_REQUIRE_BROWSER=1) but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        _unavailable(f"playwright is not installed ({e})")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as e:
        pw.stop()
        _unavailable(f"playwright cannot launch {CHROMIUM}: {e}")
    yield b
    b.close()
    pw.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, log: Path):
        self.proc, self.port, self.log = proc, port, log
        self.url = f"http://127.0.0.1:{port}"

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)\s+kB", status).group(1)) / 1024

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    """`streamlit run app.py` on a free port, with a JAX compile cache shared by these tests."""
    tmp = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "PLAYGROUND_JAX_CACHE": str(tmp / "jax_cache")}
    port = _free_port()
    log = tmp / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             # The watcher unloads an edited module from sys.modules; a page importing it at that
             # moment fails with KeyError. A served app's files do not change: no watcher.
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    srv = Server(proc, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=5) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after 60 s:\n{srv.log_tail()}")
            time.sleep(0.3)
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def new_page(browser):
    """Pages in fresh browser contexts (a context is a fresh Streamlit session)."""
    contexts = []

    def make(viewport=VIEWPORT):
        ctx = browser.new_context(viewport=viewport)
        ctx.set_default_timeout(UI_MS)
        ctx.add_init_script(WATCH_EXCEPTIONS)
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        return page

    yield make
    for ctx in contexts:
        ctx.close()


# ---- helpers -----------------------------------------------------------------------------
def no_exception(page):
    now = page.locator('[data-testid="stException"]').count()
    seen = page.evaluate("() => window.__stExceptions || []")
    assert now == 0 and not seen, f"Streamlit exception on {page.url}: {seen}"


def wait_js(page, js: str, arg=None, timeout=UI_MS):
    """Wait until the JS function `js(arg)` returns something truthy and return it.

    A Streamlit exception box ends the wait at once and fails the test with its text.
    """
    page.wait_for_function(
        f"(arg) => (window.__stExceptions || []).length > 0 || ({js})(arg)", arg=arg, timeout=timeout
    )
    no_exception(page)
    return page.evaluate(js, arg)


def epoch(page) -> int:
    value = page.evaluate(EPOCH_JS)
    assert value is not None, f"no 'Epoch N' heading on {page.url}"
    return value


def play_button(page):
    return page.locator(".st-key-pg-play button")


def wait_button(page, label: str, timeout=UI_MS):
    """Wait until the Play/Pause button says `label` (the rerun after a click has landed)."""
    wait_js(
        page,
        "(label) => { const b = document.querySelector('.st-key-pg-play button');"
        " return !!b && b.innerText.trim().endsWith(label); }",
        label,
        timeout,
    )


def wait_epoch(page, predicate: str, timeout=UI_MS) -> int:
    """Wait until the shown epoch `e` satisfies the JS expression `predicate`; returns it."""
    wait_js(page, f"() => {{ const e = ({EPOCH_JS})(); return e !== null && ({predicate}); }}", None, timeout)
    return epoch(page)


def wait_loaded(page, timeout=LOAD_MS):
    """The first script run has landed: Epoch 0, all four charts drawn, Play offered."""
    wait_epoch(page, "e === 0", timeout)
    wait_js(page, CHARTS_DRAWN_JS, None, timeout)
    wait_button(page, "Play", timeout)


def open_playground(page, base: str, query: str = ""):
    page.goto(f"{base}/Playground{query}", wait_until="commit", timeout=LOAD_MS)
    wait_loaded(page)


def click_play(page):
    wait_button(page, "Play")
    play_button(page).click()
    wait_button(page, "Pause")


def click_pause(page, timeout=UI_MS) -> float:
    """Pause; returns seconds until the page shows Play again."""
    wait_button(page, "Pause")
    t = time.monotonic()
    play_button(page).click()
    wait_button(page, "Play", timeout)
    return time.monotonic() - t


# ---- tests -------------------------------------------------------------------------------
def test_play_trains_live_and_pause_stops(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    assert epoch(page) == 0
    assert page.evaluate(LOSS_POINTS_JS) <= 0  # no loss line before the first epoch

    t = time.monotonic()
    click_play(page)
    time.sleep(6)
    # A cold JAX cache on a loaded machine may need longer for the first chunks: allow it.
    wait_epoch(page, "e > 100", timeout=60_000)
    n, waited = epoch(page), time.monotonic() - t
    print(f"\nplaying: epoch {n:,} after {waited:.1f} s")
    assert n > 100
    wait_js(page, f"() => ({LOSS_POINTS_JS})() > 1")

    latency = click_pause(page)
    before = epoch(page)
    time.sleep(2)
    paused = epoch(page)
    time.sleep(2)
    later = epoch(page)
    print(f"pause took {latency:.2f} s to show Play; epochs {before:,} -> {paused:,} -> {later:,}")
    assert paused == later, "training went on after Pause"
    assert paused >= n
    wait_js(page, CHARTS_DRAWN_JS)
    assert page.evaluate(LOSS_POINTS_JS) > 1
    no_exception(page)

    # The README screenshot: the whole main layout (the page scrolls inside stMain at 1600x1100,
    # so the window is made as tall as the layout for the shot).
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height, 2400))})
    wait_js(page, CHARTS_DRAWN_JS)
    time.sleep(1.5)  # plotly relayouts on resize
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)
    page.set_viewport_size(VIEWPORT)
    assert epoch(page) == later
    no_exception(page)
    assert not page.errors, page.errors


def test_step_button(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    step = page.locator(".st-key-pg-step button")
    step.click()
    wait_epoch(page, "e === 1")
    step.click()
    wait_epoch(page, "e === 2")
    time.sleep(1)
    assert epoch(page) == 2
    wait_js(page, f"() => ({LOSS_POINTS_JS})() === 2")  # one point per epoch on the loss chart


# The train points of the output chart: [[x, y, colour], ...].
TRAIN_POINTS_JS = """() => {
  const g = document.querySelector('.st-key-pg-chart-out .js-plotly-plot');
  const t = g && (g._fullData || []).find(t => t.name === 'train');
  if (!t) return null;
  return Array.from(t.x).map((x, i) => [x, t.y[i], Array.isArray(t.marker.color) ? t.marker.color[i] : null]);
}"""


def test_click_on_the_output_plane_adds_a_point(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    before = page.evaluate(TRAIN_POINTS_JS)
    page.locator(".st-key-pg-add_class button").filter(has_text="blue").click()
    # Adding mode lays an invisible grid of click targets (trace "click") over the plane.
    wait_js(page, "() => { const g = document.querySelector('.st-key-pg-chart-out .js-plotly-plot');"
                  " return !!g && (g._fullData || []).some(t => t.name === 'click'); }")
    # Near the plot's top-left corner, so the point lands around (-5, 5): hover, then click.
    box = page.locator(".st-key-pg-chart-out .nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + 0.08 * box["width"], box["y"] + 0.08 * box["height"], steps=5)
    time.sleep(0.5)
    page.mouse.down()
    page.mouse.up()
    grown = f"() => {{ const p = ({TRAIN_POINTS_JS})(); return p && p.length === {len(before) + 1} && p; }}"
    after = wait_js(page, grown)
    x, y, colour = after[-1]
    assert x < -4 and y > 4, after[-1]
    assert colour.lower() == "#0877bd"  # blue: class 1
    info = page.locator('[data-testid="stAlert"]').filter(has_text="Added a class 1 point")
    info.wait_for(timeout=UI_MS)
    no_exception(page)


def test_bad_query_param_warns_and_page_works(new_page, server):
    page = new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_playground(page, server.url, "?n_samples=1e308&activation=%3Cscript%3E")
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="n_samples")
    warning.wait_for()
    text = warning.inner_text()
    assert "activation" in text and "<script>" in text, text  # shown as text
    # The value is shown as text, never run as markup.
    assert page.evaluate("() => Array.from(document.scripts).every(s => !s.text.includes('<script>'))")
    assert not dialogs
    no_exception(page)

    click_play(page)
    wait_epoch(page, "e > 0")
    click_pause(page)
    assert epoch(page) > 0
    no_exception(page)
    # The ignored values fell back to the defaults; the URL now carries the valid config.
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert "n_samples" not in query and "activation" not in query, page.url


# One round trip per page: with ten pages redrawing on two cores every renderer is busy, and each
# call into a page (an evaluate, or each of a Playwright click's actionability checks) waits its turn.
SNAPSHOT_JS = f"""() => {{
  const input = (key) => {{
    const el = document.querySelector('.st-key-pg-' + key + ' input');
    return el && el.value;
  }};
  const button = document.querySelector('.st-key-pg-play button');
  return {{
    epoch: ({EPOCH_JS})(),
    button: button ? button.innerText.trim() : '',
    dataset: input('dataset'),
    seed: input('seed'),
    points: ({OUTPUT_POINTS_JS})(),
    charts: ({CHARTS_DRAWN_JS})(),
    exceptions: (window.__stExceptions || []).concat(Array.from(
      document.querySelectorAll('[data-testid="stException"]')).map(e => e.innerText.slice(0, 2000))),
  }};
}}"""
CLICK_PLAY_JS = "() => document.querySelector('.st-key-pg-play button').click()"


def snapshot(page) -> dict:
    snap = page.evaluate(SNAPSHOT_JS)
    assert not snap["exceptions"], f"Streamlit exception on {page.url}: {snap['exceptions']}"
    return snap


def wait_all(pages, ok, what: str, timeout_s: float = LOAD_MS / 1000) -> list[dict]:
    """Poll every page's snapshot until `ok(snapshot)` holds on all of them; returns the snapshots."""
    snaps: list[dict | None] = [None] * len(pages)
    deadline = time.monotonic() + timeout_s
    while True:
        for i, page in enumerate(pages):
            if snaps[i] is None or not ok(snaps[i]):
                snaps[i] = snapshot(page)
        if all(ok(s) for s in snaps):
            return snaps
        assert time.monotonic() < deadline, f"not all pages {what} after {timeout_s:.0f} s: {snaps}"
        time.sleep(0.25)


def test_concurrent_sessions(new_page, server):
    """Ten users training at once: each session keeps its own data and epoch; memory stays bounded."""
    datasets = ["circle", "xor", "gauss", "spiral"]
    n_pages, run_s = 10, 8
    rss_before = server.rss_mb()
    pages, given = [], []
    for i in range(n_pages):
        page = new_page(viewport={"width": 1024, "height": 720})
        seed, dataset = i + 1, datasets[i % len(datasets)]  # seed 0 / circle are defaults, left out of URLs
        url = f"{server.url}/Playground?seed={seed}&dataset={dataset}"
        page.goto(url, wait_until="commit", timeout=LOAD_MS)
        pages.append(page)
        given.append((seed, dataset))
    t = time.monotonic()
    wait_all(pages, lambda s: s["epoch"] == 0 and s["charts"] and s["button"].endswith("Play"), "loaded")
    print(f"\n{n_pages} sessions loaded in {time.monotonic() - t:.1f} s")
    rss_loaded = server.rss_mb()

    t = time.monotonic()
    for page in pages:
        page.evaluate(CLICK_PLAY_JS)
    start = wait_all(pages, lambda s: s["button"].endswith("Pause"), "playing")
    print(f"all playing {time.monotonic() - t:.1f} s after the first click")
    t0 = time.monotonic()
    time.sleep(run_s)
    # Every session trains: its counter moved past where it stood when its page showed Pause.
    end = wait_all(pages, lambda s: s["epoch"] > 0, "trained", timeout_s=120)
    elapsed = time.monotonic() - t0
    rss_after = server.rss_mb()
    epochs = [s["epoch"] for s in end]
    total = sum(epochs) - sum(s["epoch"] for s in start)
    print(f"epochs per session after {elapsed:.1f} s of play: {epochs}")
    print(f"  (when each page first showed Pause: {[s['epoch'] for s in start]})")
    rate = total / elapsed
    print(f"total {total:,} epochs in {elapsed:.1f} s = {rate:,.0f} epochs/s over {n_pages} sessions")
    print(f"server RSS: {rss_before:.0f} MB before, {rss_loaded:.0f} MB loaded, {rss_after:.0f} MB after")

    for page, snap, (seed, dataset) in zip(pages, end, given):
        query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
        assert query.get("seed") == [str(seed)], page.url
        assert query.get("dataset", ["circle"]) == [dataset], page.url
        assert snap["dataset"] == dataset, f"seed={seed}: the dataset box shows {snap['dataset']!r}"
        assert snap["seed"] == str(seed), f"seed={seed}: the seed box shows {snap['seed']!r}"
        assert snap["points"], f"seed={seed}: no training points on the output chart"
    assert len({tuple(s["points"]) for s in end}) == n_pages, "two sessions show the same training data"
    assert len(set(epochs)) > 1, f"all sessions at the same epoch {epochs}: not independent?"
    assert rss_after < 3 * 1024, f"server RSS {rss_after:.0f} MB"

    t = time.monotonic()
    for page in pages:
        page.evaluate(CLICK_PLAY_JS)  # the button says Pause now
    wait_all(pages, lambda s: s["button"].endswith("Play"), "paused")
    print(f"all {n_pages} paused in {time.monotonic() - t:.1f} s")
