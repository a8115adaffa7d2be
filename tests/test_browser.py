"""The Playground in a real browser: a Streamlit server and headless Debian chromium via Playwright.

Covers what AppTest cannot: the live view (playground/live/live.js) playing batches of frames
(Play trains, frames keep coming, Pause stops them at the click, Step draws one new state), one
screen at 1280x720 and 1920x1080, dark mode, the view's layer buttons, clicks on the plane, CSV
uploads through the page's file input, a live learning-rate change, a hostile link, and ten
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
# The live view (playground/live/live.js) keeps its state in window.__nnpLive; "Epoch N" is DOM text.
EPOCH_JS = """() => {
  const el = document.querySelector('.nnp-epoch');
  const m = el && /Epoch\\s+([\\d,]+)/.exec(el.textContent || '');
  return m ? parseInt(m[1].replace(/,/g, ''), 10) : null;
}"""
# Points on the loss curve's "train loss" line (-1: no live view yet).
LOSS_POINTS_JS = """() => {
  const v = window.__nnpLive;
  return v && v.scene ? (v.curve.train_loss || []).length : -1;
}"""
CHARTS_DRAWN_JS = """() => {
  const v = window.__nnpLive;
  return !!v && !!v.scene && !!v.current && v.netCanvas.width > 0 && v.planeCanvas.width > 0;
}"""
# The output plane's training points, as a fingerprint of the data this session holds.
OUTPUT_POINTS_JS = """() => {
  const v = window.__nnpLive, p = v && v.scene && v.scene.plane.points.train;
  return p ? p.x.slice(0, 12) : null;
}"""
# The train points of the output plane: [[x, y, class], ...].
TRAIN_POINTS_JS = """() => {
  const v = window.__nnpLive, p = v && v.scene && v.scene.plane.points.train;
  return p ? p.c.map((c, i) => [p.x[2 * i], p.x[2 * i + 1], c]) : null;
}"""
# Records every epoch the view shows (a MutationObserver on the DOM text), with its time.
WATCH_FRAMES_JS = """() => {
  const el = document.querySelector('.nnp-epoch');
  window.__frames = [];
  new MutationObserver(() => window.__frames.push([performance.now(), el.textContent]))
    .observe(el, {childList: true, characterData: true, subtree: true});
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

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def launch(folder: Path, env: dict) -> Server:
    """`streamlit run app.py` on a free loopback port with `env`; returns once it is healthy."""
    port = _free_port()
    log = folder / f"server-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             # The watcher unloads an edited module from sys.modules; a page importing it at that
             # moment fails with KeyError. A served app's files do not change: no watcher.
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    srv = Server(proc, port, log)
    srv.db_url = env.get("PLAYGROUND_DATABASE_URL")
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{srv.log_tail()}")
        try:
            with urllib.request.urlopen(f"{srv.url}/_stcore/health", timeout=5) as r:
                if r.read().strip() == b"ok":
                    return srv
        except OSError:
            pass
        if time.monotonic() > deadline:
            srv.stop()
            pytest.fail(f"streamlit not healthy after 60 s:\n{srv.log_tail()}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    """The app on a free port, with a JAX compile cache shared by these tests."""
    tmp = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "PLAYGROUND_JAX_CACHE": str(tmp / "jax_cache")}
    env["PLAYGROUND_DATABASE_URL"] = f"sqlite:///{tmp / 'classroom.sqlite'}"  # the classroom's, per run
    srv = launch(tmp, env)
    try:
        yield srv
    finally:
        srv.stop()


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
def frames_seen(page) -> list[tuple[float, int]]:
    """(time in ms, epoch) for every epoch text the view showed since WATCH_FRAMES_JS ran."""
    rows = page.evaluate("() => window.__frames || []")
    return [(t, int(re.sub(r"\D", "", text) or 0)) for t, text in rows]


def test_play_trains_live_and_pause_stops(new_page, server):
    page = new_page(viewport={"width": 1280, "height": 720})
    open_playground(page, server.url)
    assert epoch(page) == 0
    assert page.evaluate(LOSS_POINTS_JS) <= 1  # the epoch-0 state has no loss yet
    # The server's first visit came straight to /Playground: the navigation is still app.py's.
    nav = page.evaluate(
        "() => Array.from(document.querySelectorAll('[data-testid=stSidebarNav] a'))"
        ".map(a => a.innerText.split('\\n').pop().trim())"
    )
    assert nav == [
        "Home",
        "Playground",
        "Backprop",
        "Optimizer lab",
        "CNN",
        "Recurrent",
        "Transformer",
        "Autoencoder",
        "GAN",
        "Classroom",
    ], nav
    page.evaluate(WATCH_FRAMES_JS)

    click_play(page)
    # A cold JAX cache on a loaded machine may need longer for the first batches: allow it.
    wait_epoch(page, "e > 100", timeout=60_000)
    time.sleep(4)
    frames = frames_seen(page)
    epochs = [e for _, e in frames]
    print(f"\nplaying: {len(frames)} frames, epoch {epochs[-1]:,}")
    # Frames keep coming, in order, each a new state: many per server round trip.
    assert len(frames) >= 20 and epochs == sorted(epochs) and len(set(epochs)) == len(epochs)
    batches = page.evaluate("() => window.__nnpLive.events.filter(e => e[0] === 'batch').length")
    assert len(frames) > 2 * batches, (len(frames), batches)
    assert page.evaluate(LOSS_POINTS_JS) > 10
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))  # the README's picture: 1280x720, playing

    page.evaluate(
        "() => document.addEventListener('click', () => { window.__clickAt = performance.now(); }, true)"
    )
    latency = click_pause(page)
    time.sleep(1.5)
    clicked = page.evaluate("() => window.__clickAt")
    after = [(t, e) for t, e in frames_seen(page) if t > clicked]
    paused = epoch(page)
    time.sleep(1.5)
    print(f"pause took {latency:.2f} s to show Play; frames drawn after the click: {after}")
    # The playback stops at the click; the only new picture is the server's final state.
    assert len(after) <= 1, after
    assert epoch(page) == paused
    no_exception(page)
    assert not page.errors, page.errors


BOXES_JS = """() => ['.st-key-pg-play button', '.nnp-net-canvas', '.nnp-plane', '.nnp-curve', '.nnp-epoch']
  .map(s => { const r = document.querySelector(s).getBoundingClientRect();
              return [s, r.left, r.top, r.right, r.bottom]; })"""
CUT_LABELS_JS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stMain"] button p, [data-testid="stMain"] label p, [data-testid="stMain"] label div'))
  .filter(el => el.offsetWidth > 0 && el.scrollWidth > el.clientWidth + 1).map(el => el.innerText)"""
THEME_JS = """() => { const cs = getComputedStyle(document.querySelector('.nnp-live'));
  return [cs.getPropertyValue('--st-text-color'), cs.getPropertyValue('--st-background-color')]; }"""


def test_one_screen_at_projector_and_full_hd_sizes(new_page, server):
    """Run controls, network, output plane and loss curve inside the first screen, nothing cut."""
    for size in ({"width": 1280, "height": 720}, {"width": 1920, "height": 1080}):
        page = new_page(viewport=size)
        open_playground(page, server.url)
        boxes = page.evaluate(BOXES_JS)
        for name, left, top, right, bottom in boxes:
            inside = left >= 0 and top >= 0 and right <= size["width"] and bottom <= size["height"]
            assert inside, (size, name, boxes)
        # No label cut short with an ellipsis on the run controls and toggles.
        cut = page.evaluate(CUT_LABELS_JS)
        assert not cut, (size, cut)


def test_step_draws_exactly_one_new_state(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    page.evaluate(WATCH_FRAMES_JS)
    step = page.locator(".st-key-pg-step button")
    step.click()
    wait_epoch(page, "e === 1")
    step.click()
    wait_epoch(page, "e === 2")
    time.sleep(1)
    assert [e for _, e in frames_seen(page)] == [1, 2]
    wait_js(page, f"() => ({LOSS_POINTS_JS})() === 2")  # one point per epoch on the loss curve


def test_live_learning_rate_change_keeps_training(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    click_play(page)
    before = wait_epoch(page, "e > 50", timeout=60_000)
    slider = page.locator(".st-key-pg-learning_rate input").first
    slider.focus()
    page.keyboard.press("ArrowRight")  # 0.03 -> 0.1
    wait_js(page, "() => new URL(location.href).searchParams.get('learning_rate') === '0.1'")
    later = wait_epoch(page, f"e > {before} + 50")
    assert later > before  # no reset: the weights and the epoch count carry on
    click_pause(page)
    no_exception(page)


def test_layer_buttons_in_the_view(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    page.locator(".nnp-btn[data-op=add_layer]").click()
    wait_js(page, "() => new URL(location.href).searchParams.get('hidden') === '4,2,2'")
    wait_js(page, "() => window.__nnpLive.scene.network.columns.length === 5")
    page.locator(".nnp-btn[data-op=add_neuron][data-layer='1']").click()
    wait_js(page, "() => new URL(location.href).searchParams.get('hidden') === '4,3,2'")
    wait_js(page, "() => window.__nnpLive.scene.network.columns[2].pal.length === 3")
    no_exception(page)


def test_click_on_the_output_plane_adds_a_point(new_page, server):
    page = new_page()
    open_playground(page, server.url)
    before = page.evaluate(TRAIN_POINTS_JS)
    page.locator(".st-key-pg-add_class button").filter(has_text="blue").click()
    wait_js(page, "() => window.__nnpLive.scene.plane.add_class === 1")
    # Near the plane's top-left corner, so the point lands around (-5, 5).
    box = page.locator(".nnp-plane").bounding_box()
    geom = page.evaluate("() => { const v = window.__nnpLive; return v.planeGeom(v.layout); }")
    x = box["x"] + geom["m"]["l"] + 0.08 * geom["side"]
    y = box["y"] + geom["m"]["t"] + 0.08 * geom["side"]
    page.mouse.click(x, y)
    grown = f"() => {{ const p = ({TRAIN_POINTS_JS})(); return p && p.length === {len(before) + 1} && p; }}"
    after = wait_js(page, grown)
    px, py, cls = after[-1]
    lo, hi = page.evaluate("() => [window.__nnpLive.scene.plane.lo, window.__nnpLive.scene.plane.hi]")
    # The point is where the click was: 8 % in from the left and from the top of the plane.
    assert abs(px - (lo + 0.08 * (hi - lo))) < 0.1 and abs(py - (hi - 0.08 * (hi - lo))) < 0.1, after[-1]
    assert cls == 1  # blue
    page.locator('[data-testid="stToast"]').filter(has_text="Added a class 1 point").wait_for(timeout=UI_MS)
    no_exception(page)


def test_csv_upload_valid_then_invalid_then_play_and_reload(new_page, server, tmp_path):
    page = new_page()
    open_playground(page, server.url)
    good = tmp_path / "ring.csv"
    rows = [
        f"{3 * (i % 2) * (1 if i % 4 < 2 else -1)},{(i % 7) - 3},{'1' if i % 2 else '-1'}" for i in range(60)
    ]
    good.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(good))
    wait_js(page, "() => window.__nnpLive.scene.plane.points.train.c.length === 30")
    wait_js(page, "() => new URL(location.href).searchParams.get('dataset') === 'csv'")
    # The dataset box follows the upload, and the features stay chosen (the network's inputs).
    wait_js(page, "() => document.querySelector('.st-key-pg-dataset input').value === 'csv'")
    assert page.evaluate("() => window.__nnpLive.scene.network.columns[0].labels") == ["x1", "x2"]
    assert not page.locator('[data-testid="stAlert"]').filter(has_text="feature").count()
    assert not page.locator('[data-testid="stException"]').count()

    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,2,0\n3,oops,1\n")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(bad))
    error = page.locator('[data-testid="stAlert"]').filter(has_text="bad.csv")
    error.wait_for()
    assert "previous data is kept" in error.inner_text()
    assert page.evaluate("() => window.__nnpLive.scene.plane.points.train.c.length") == 30

    click_play(page)
    wait_epoch(page, "e > 20", timeout=60_000)
    click_pause(page)
    no_exception(page)

    # The address bar says dataset=csv; a reload (or the link, shared) must not crash.
    page.reload(wait_until="commit")
    wait_loaded(page)
    warning = page.locator('[data-testid="stAlert"]').filter(has_text="dataset")
    warning.wait_for()
    assert "link" in warning.inner_text()
    no_exception(page)
    assert not page.errors, page.errors


def test_dark_mode_text_is_readable(new_page, server, browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme="dark")
    try:
        page = ctx.new_page()
        open_playground(page, server.url)
        text, bg = page.evaluate(THEME_JS)
        assert contrast(text, bg) >= 7, (text, bg)  # labels are drawn in the theme's text colour
        series = page.evaluate("() => window.__nnpLive.scene.curves.series.map(s => s.color)")
        assert all(contrast(c, bg) >= 3 for c in series), series
        page.screenshot(path=str(ROOT / "docs" / "playground_dark.png"))
    finally:
        ctx.close()


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two '#rrggbb' colours."""

    def lum(c):
        c = c.strip().lstrip("#")
        ch = [int(c[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


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


def test_hover_on_the_plane_shows_the_engines_output(new_page, server):
    """The browser only looks a byte up (output = lo + byte/255·(hi-lo)): check it against the engine."""
    import numpy as np

    from playground.core.config import Config
    from playground.live import view
    from playground.live.session import Session

    page = new_page()
    open_playground(page, server.url)  # epoch 0: the seed's initial weights, the same in this process
    box = page.locator(".nnp-plane").bounding_box()
    geom = page.evaluate("() => { const v = window.__nnpLive; return v.planeGeom(v.layout); }")
    n = view.GRID
    col, row = 14, 33  # a grid cell (row counted from the top of the picture)
    u, v = (col + 0.5) / n, (row + 0.5) / n
    page.mouse.move(
        box["x"] + geom["m"]["l"] + u * geom["side"], box["y"] + geom["m"]["t"] + v * geom["side"]
    )
    tip = wait_js(
        page, "() => { const t = document.querySelector('.nnp-tip'); return !t.hidden && t.textContent; }"
    )
    m = re.search(r"x1 (-?[\d.]+), x2 (-?[\d.]+)\noutput ≈ (-?[\d.]+)", tip)
    assert m, tip
    s = Session(Config())
    out = np.asarray(s.grid(n)["output"], float).reshape(n, n)[n - 1 - row, col]  # grid row 0 is the bottom
    lo, hi = s.task.data.points_range
    px = (hi - lo) / geom["side"] + 0.006  # the mouse lands on whole pixels; 2 decimals shown
    assert abs(float(m.group(1)) - (lo + u * (hi - lo))) < px, tip
    assert abs(float(m.group(2)) - (hi - v * (hi - lo))) < px, tip
    assert abs(float(m.group(3)) - out) <= 0.5 / 255 + 0.0006, (tip, out)  # half a level, and 3 decimals
