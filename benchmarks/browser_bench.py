"""What a user sees while a page plays, measured in headless chromium at 1280x720.

Starts `streamlit run app.py` (headless, a free port; the JAX compile cache is --cache-dir, else
$PLAYGROUND_JAX_CACHE, else a fresh temporary folder), plays each scenario once as a throwaway
(--warmup seconds after its first frame, so compiles land there and not in the figures), then per
run and scenario opens the page in a fresh browser context (a fresh Streamlit session), installs
its probes, clicks Play and measures for SECONDS from the click (timed in the page). Both pages
stream through the same live view (playground/live/live.js: batches of frames pulled from the
server, played back by a requestAnimationFrame loop), so every scenario is measured the same way.
Per scenario:

  frames_per_s           distinct epoch texts shown in the window / window length: the live view's
                         `.nnp-epoch` span, watched by a MutationObserver (one change per drawn frame)
  epochs_per_s           (last epoch shown - first epoch shown in the window) / window length
  longest_freeze_s       longest gap between two consecutive changes after the first one,
                         counting the gap from the last change to the window's end
  play_to_first_frame_s  from the Play click to the first change
  main_thread_busy       share of the window covered by long tasks (> 50 ms, PerformanceObserver
                         'longtask', buffered)
  raf_busy               share of the window spent inside the live view's requestAnimationFrame
                         loop (drawing included), timed by wrapping it
  kb_per_s               websocket bytes received by the page in the window / window length
                         (CDP Network.webSocketFrameReceived; binary frames counted decoded)
  server_cpu             CPU seconds of the Streamlit process per second of window (cores used)
  machine_cpu_busy       share of all cores busy in the window (server, chromium and anything
                         else running: other jobs on the box drag every figure down)
  batches_per_s, frames_per_batch, pull_rtt_ms (median, max), starved_batches: from the live
                         view's own event log (window.__nnpLive.events): a batch that arrives
                         with nothing left to play is "starved" (the view had stopped); the
                         window's first batch (the Play click's) always is, and is not counted

If the page stops by itself (a race reaches its epoch cap, training diverges), the window ends
at the last change and `stopped_early` says so.

The default scenario then measures two interactions while it still plays, after the window and
its figures are taken (so they disturb nothing above), both timed in the page:

  lr_change_s            from the keydown of ArrowRight on the focused learning-rate slider
                         (`.st-key-pg-learning_rate input`) until the page's URL query shows the new
                         learning_rate (polled every 10 ms): a full rerun of the page, while playing
  pause_s                from the click on Pause until the button reads "Play" again
  frames_after_pause     epoch-text changes drawn after that click: 0 or 1 (the view stops its
                         playback at the click, then shows the server's final state)

Usage: python benchmarks/browser_bench.py [--scenario default,deep,lab4] [--seconds 15] [--runs 1]
       [--warmup 8] [--json] [--cache-dir DIR]
Prints a table with the targets beside the figures (median, min and max over the runs), or one
JSON object with --json. The server and chromium share this machine's cores.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

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
VIEWPORT = {"width": 1280, "height": 720}
LOAD_MS = 180_000  # a cold server compiles JAX on the first page load


@dataclass(frozen=True)
class Scenario:
    path: str
    play: str  # the page's Play/Pause button
    targets: dict = field(default_factory=dict)  # metric -> (">=" or "<=", value)
    contenders: int | None = None  # a race: how many small output planes the view must show
    interact: bool = False  # measure lr_change_s, pause_s and frames_after_pause after the window


PG_PLAY = ".st-key-pg-play button"
LR_INPUT = ".st-key-pg-learning_rate input"
SCENARIOS = {
    "default": Scenario(
        "/Playground",
        PG_PLAY,
        {
            "frames_per_s": (">=", 20),
            "epochs_per_s": (">=", 2000),
            "longest_freeze_s": ("<=", 0.4),
            "play_to_first_frame_s": ("<=", 0.5),
            "main_thread_busy": ("<=", 0.5),
            "kb_per_s": ("<=", 300),
            "frames_after_pause": ("<=", 1),
        },
        interact=True,
    ),
    "deep": Scenario(
        "/Playground?dataset=spiral&hidden=8,8,8,8,8,8&features=x1,x2,x1%5E2,x2%5E2,x1*x2,sin(x1),sin(x2)",
        PG_PLAY,
        {"frames_per_s": (">=", 12), "epochs_per_s": (">=", 600)},
    ),
    # The lab's default preset "SGD vs momentum vs Adam": SGD, momentum, Nesterov and Adam, four
    # contenders (checked: the page is not measured until the view shows four output planes).
    "lab4": Scenario("/Optimizer_lab", ".st-key-lab-play button", {"frames_per_s": (">=", 10)}, contenders=4),
}
METRICS = [
    "frames_per_s",
    "epochs_per_s",
    "longest_freeze_s",
    "play_to_first_frame_s",
    "main_thread_busy",
    "raf_busy",
    "kb_per_s",
    "server_cpu",
    "machine_cpu_busy",
    "batches_per_s",
    "frames_per_batch",
    "pull_rtt_ms_median",
    "pull_rtt_ms_max",
    "starved_batches",
    "lr_change_s",
    "pause_s",
    "frames_after_pause",
    "load_s",
]

# Every Streamlit exception box that ever appears (one shown between two checks counts).
WATCH_EXCEPTIONS = """
window.__stExceptions = [];
(() => {
  const seen = new WeakSet();
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('[data-testid="stException"]')) {
      if (!seen.has(el)) { seen.add(el); window.__stExceptions.push(el.innerText.slice(0, 500)); }
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""
LIVE_READY_JS = """([sel, n]) => {
  const v = window.__nnpLive, b = document.querySelector(sel);
  return !!v && !!v.scene && !!v.current && !!document.querySelector('.nnp-epoch')
    && (n === null ? v.netCanvas.width > 0 : v.race && v.scene.planes.titles.length === n)
    && !!b && b.innerText.trim().endsWith('Play');
}"""
# Probes, installed before the click: epoch-text changes with their times, the click's time, long
# tasks, the rAF loop's time and a copy of the view's event log (it keeps 200).
INSTALL_JS = """(sel) => {
  const B = window.__bench = {frames: [], click: null, longtasks: [], raf_ms: 0, events: [],
                              drawn0: null, view_same: true};
  const v = window.__nnpLive, el = document.querySelector('.nnp-epoch');
  let last = el.textContent;
  new MutationObserver(() => {
    const t = el.textContent;
    if (t !== last) { last = t; B.frames.push([performance.now(), t]); }
  }).observe(el, {childList: true, characterData: true, subtree: true});
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
  }).observe({type: 'longtask', buffered: true});
  document.addEventListener('click', (e) => {
    if (B.click === null && e.target instanceof Element && e.target.closest(sel)) {
      B.click = performance.now();
      B.drawn0 = v.drawn;
    }
  }, true);
  window.__benchView = v;
  const loop = v.loop;  // bound; it reschedules itself through v.loop, i.e. this wrapper
  v.loop = (now) => {
    const t0 = performance.now();
    try { loop(now); } finally { if (B.click !== null) B.raf_ms += performance.now() - t0; }
  };
  v.events.push = function (...items) {
    for (const x of items) B.events.push(x);
    return Array.prototype.push.apply(this, items);
  };
}"""
# After the window, while still playing: the first keydown starts a 10 ms poll of the URL's
# learning_rate; the first click on Pause starts a 10 ms poll of the button's label.
INTERACT_JS = """(sel) => {
  const I = window.__benchI = {lr0: new URLSearchParams(location.search).get('learning_rate'),
                               lr1: null, key: null, url_at: null, pause: null, play_at: null};
  document.addEventListener('keydown', (e) => {
    if (I.key !== null) return;
    I.key = performance.now();
    const id = setInterval(() => {
      const lr = new URLSearchParams(location.search).get('learning_rate');
      if (lr !== I.lr0) { I.url_at = performance.now(); I.lr1 = lr; clearInterval(id); }
    }, 10);
  }, true);
  document.addEventListener('click', (e) => {
    if (I.pause !== null || !(e.target instanceof Element) || !e.target.closest(sel)) return;
    I.pause = performance.now();
    const id = setInterval(() => {
      const b = document.querySelector(sel);
      if (b && b.innerText.trim().endsWith('Play')) { I.play_at = performance.now(); clearInterval(id); }
    }, 10);
  }, true);
}"""
POLL_JS = """(sel) => {
  const b = document.querySelector(sel);
  return [performance.now(), b ? b.innerText.trim() : ''];
}"""
COLLECT_JS = """() => {
  const B = window.__bench, v = window.__nnpLive;
  const out = Object.assign({}, B, {now: performance.now(), exceptions: window.__stExceptions || []});
  out.drawn1 = v.drawn;
  out.view_same = v === window.__benchView;
  out.contenders = v.race ? v.scene.planes.titles : null;
  return out;
}"""


# ---- server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache_dir: str, log_path: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PLAYGROUND_JAX_CACHE": cache_dir}
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"streamlit not healthy after 60 s; see {log_path}")
        time.sleep(0.3)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v) - idle, sum(v)


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)\s+kB", status).group(1)) / 1024


# ---- one page ------------------------------------------------------------------------------
def ws_bytes(response: dict) -> int:
    data = response.get("payloadData", "")
    if response.get("opcode") == 2:  # binary frames arrive base64-encoded
        return len(base64.b64decode(data))
    return len(data.encode())


def open_page(browser, url: str, sc: Scenario):
    """A fresh context (a fresh Streamlit session) with the page loaded and ready to play."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(LOAD_MS)
    ctx.add_init_script(WATCH_EXCEPTIONS)
    page = ctx.new_page()
    console: list[str] = []
    page.on(
        "console",
        lambda m: (
            console.append(f"{m.text[:200]} ({m.location.get('url', '')})") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda e: console.append(f"pageerror: {str(e)[:300]}"))
    t = time.monotonic()
    page.goto(url, wait_until="commit", timeout=LOAD_MS)
    page.wait_for_function(LIVE_READY_JS, arg=[sc.play, sc.contenders], timeout=LOAD_MS)
    return ctx, page, console, time.monotonic() - t


def warm_up(browser, base: str, sc: Scenario, seconds: float) -> float:
    """A throwaway play: the first frame, then `seconds` more. The server compiles this network,
    and the chunk lengths its pace ramps through (16 epochs a frame, doubling per fast batch)."""
    t = time.monotonic()
    ctx, page, _, _ = open_page(browser, base + sc.path, sc)
    try:
        page.evaluate(INSTALL_JS, sc.play)
        page.locator(sc.play).click()
        page.wait_for_function("() => window.__bench.frames.length >= 1", timeout=LOAD_MS)
        page.wait_for_timeout(seconds * 1000)
    finally:
        ctx.close()
    return time.monotonic() - t


def measure(browser, base: str, sc: Scenario, seconds: float, server_pid: int) -> dict:
    ctx, page, console, load_s = open_page(browser, base + sc.path, sc)
    try:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        ws = {"in": [], "out": []}
        cdp.on(
            "Network.webSocketFrameReceived",
            lambda p: ws["in"].append((p["timestamp"], ws_bytes(p["response"]))),
        )
        cdp.on(
            "Network.webSocketFrameSent",
            lambda p: ws["out"].append((p["timestamp"], ws_bytes(p["response"]))),
        )
        page.evaluate(INSTALL_JS, sc.play)
        page.evaluate("() => 0")  # lets Playwright hand over the CDP events so far
        sent_before = len(ws["out"])
        cpu0, mach0 = cpu_seconds(server_pid), machine_cpu()
        page.locator(sc.play).click()
        click = page.evaluate("() => window.__bench.click")
        stopped_at, seen_pause = None, False
        while True:
            page.wait_for_timeout(500)
            now, label = page.evaluate(POLL_JS, sc.play)
            seen_pause = seen_pause or label.endswith("Pause")
            if seen_pause and label.endswith("Play") and stopped_at is None:
                stopped_at = now
            if now - click >= seconds * 1000 or stopped_at is not None:
                break
        cpu1, mach1 = cpu_seconds(server_pid), machine_cpu()
        b = page.evaluate(COLLECT_JS)
        n_console = len(console)  # the window's console errors; the interactions' are kept apart
        interaction = interact(page, sc) if sc.interact and stopped_at is None else None
    finally:
        ctx.close()
    window_console = console[:n_console]
    run = summarise(sc, b, click, seconds, stopped_at, ws, sent_before, cpu1 - cpu0, load_s, window_console)
    if interaction is not None:
        interaction["console_errors_after_window"] = console[n_console:][:10]
        run.update(interaction)
    # Everything on the machine (this server, chromium, and whatever else runs): a busy machine
    # explains low figures better than the page does.
    busy, total = mach1[0] - mach0[0], mach1[1] - mach0[1]
    run["machine_cpu_busy"] = round(busy / total, 2) if total else None
    return run


def interact(page, sc: Scenario) -> dict:
    """After the window, still playing: a keyboard change of the learning rate, then Pause."""
    out = {"lr_change_s": None, "pause_s": None, "frames_after_pause": None, "interaction_notes": []}
    page.evaluate(INTERACT_JS, sc.play)
    page.locator(LR_INPUT).first.focus()
    page.keyboard.press("ArrowRight")
    try:
        page.wait_for_function("() => window.__benchI.url_at !== null", timeout=15_000, polling=50)
    except Exception:  # noqa: BLE001 - Playwright's TimeoutError; reported, not raised
        out["interaction_notes"].append("the URL never showed a new learning_rate within 15 s")
    # Let the rerun settle and the playback resume before pausing.
    page.wait_for_timeout(1000)
    if not page.evaluate(POLL_JS, sc.play)[1].endswith("Pause"):
        out["interaction_notes"].append("not playing after the learning-rate change; Pause not measured")
    else:
        page.locator(sc.play).click()
        try:
            page.wait_for_function("() => window.__benchI.play_at !== null", timeout=15_000, polling=50)
        except Exception:  # noqa: BLE001
            out["interaction_notes"].append("the button did not read Play within 15 s of the Pause click")
        page.wait_for_timeout(1500)  # anything drawn late (the server's final state) is counted
    i = page.evaluate("() => Object.assign({}, window.__benchI, {frames: window.__bench.frames})")
    if i["url_at"] is not None:
        out["lr_change_s"] = round((i["url_at"] - i["key"]) / 1000, 3)
        out["lr_from"], out["lr_to"] = i["lr0"], i["lr1"]
    if i["pause"] is not None:
        if i["play_at"] is not None:
            out["pause_s"] = round((i["play_at"] - i["pause"]) / 1000, 3)
        after = [(t, text) for t, text in i["frames"] if t > i["pause"]]
        out["frames_after_pause"] = len(after)
        out["epochs_after_pause"] = [text for _, text in after][:5]
    return out


def summarise(sc, b, click, seconds, stopped_at, ws, sent_before, cpu_s, load_s, console) -> dict:
    end = click + seconds * 1000
    frames = [(t, int(re.sub(r"\D", "", text) or 0)) for t, text in b["frames"] if click < t <= end]
    if stopped_at is not None and frames:
        end = frames[-1][0]  # the page stopped: the window ends at its last change
    span_s = (end - click) / 1000
    out = {
        "load_s": round(load_s, 2),
        "window_s": round(span_s, 2),
        "stopped_early": stopped_at is not None,
        "frames": len(frames),
        "first_epoch": frames[0][1] if frames else None,
        "last_epoch": frames[-1][1] if frames else None,
        "frames_per_s": round(len(frames) / span_s, 2) if span_s > 0 else None,
        "epochs_per_s": round((frames[-1][1] - frames[0][1]) / span_s, 1) if frames and span_s > 0 else None,
        "play_to_first_frame_s": round((frames[0][0] - click) / 1000, 3) if frames else None,
        "longest_freeze_s": None,
        "longest_freeze_at_s": None,
    }
    if frames:
        times = [t for t, _ in frames] + [end]
        gap, at = max((b_ - a, a) for a, b_ in zip(times, times[1:])) if len(times) > 1 else (0.0, times[0])
        out.update(longest_freeze_s=round(gap / 1000, 3), longest_freeze_at_s=round((at - click) / 1000, 2))
    busy = sum(max(0.0, min(s + d, end) - max(s, click)) for s, d in b["longtasks"])
    out["main_thread_busy"] = round(busy / (end - click), 3) if end > click else None
    out["long_tasks"] = sum(1 for s, d in b["longtasks"] if s + d > click and s < end)
    out["raf_busy"] = round(b["raf_ms"] / (end - click), 3) if end > click else None
    if b.get("drawn1") is not None and b.get("drawn0") is not None:
        out["drawn_by_view"] = b["drawn1"] - b["drawn0"]
    out["view_remounted"] = not b.get("view_same", True)
    if b.get("contenders") is not None:
        out["contenders"] = b["contenders"]
    events = [e for e in b["events"] if click < e[1] <= end]
    out.update(event_stats(events, span_s))
    out["events"] = [[e[0], round((e[1] - click) / 1000, 3), *e[2:]] for e in events[:400]]
    # Websocket traffic: the window starts at the first message the page sent after the click.
    out_frames = ws["out"][sent_before:]
    if out_frames:
        t0 = out_frames[0][0]
        recv = [n for t, n in ws["in"] if t0 <= t <= t0 + span_s]
        out["kb_per_s"] = round(sum(recv) / 1000 / span_s, 1) if span_s > 0 else None
        out["ws_msgs_in_per_s"] = round(len(recv) / span_s, 2) if span_s > 0 else None
        out["ws_msgs_out"] = sum(1 for t, _ in out_frames if t <= t0 + span_s)
    out["server_cpu"] = round(cpu_s / span_s, 2) if span_s > 0 else None
    out["exceptions"] = b.get("exceptions", [])
    out["console_errors"] = console[:10]
    return out


def event_stats(events: list, span_s: float) -> dict:
    """The live view's log: ["batch", ms, seq, n_frames, queued] and ["pull", ms, seq, queued]."""
    batches = [e for e in events if e[0] == "batch"]
    pulls = [e for e in events if e[0] == "pull"]
    rtt, pulled = [], None
    for e in events:  # a pull's round trip ends at the next batch in the log
        if e[0] == "pull" and pulled is None:
            pulled = e[1]
        elif e[0] == "batch" and pulled is not None:
            rtt.append(e[1] - pulled)
            pulled = None
    gaps = [b[1] - a[1] for a, b in zip(batches, batches[1:])]
    return {
        "batches": len(batches),
        "pulls": len(pulls),
        "batches_per_s": round(len(batches) / span_s, 2) if span_s > 0 else None,
        "frames_per_batch": round(statistics.mean(e[3] for e in batches), 1) if batches else None,
        "pull_rtt_ms_median": round(statistics.median(rtt)) if rtt else None,
        "pull_rtt_ms_max": max(rtt) if rtt else None,
        "batch_gap_ms_max": max(gaps) if gaps else None,
        "starved_batches": sum(1 for e in batches[1:] if e[4] == 0),  # the first one finds none queued
    }


# ---- report --------------------------------------------------------------------------------
def aggregate(runs: list[dict]) -> dict:
    out = {}
    for m in METRICS:
        vals = [r[m] for r in runs if isinstance(r.get(m), int | float) and not isinstance(r.get(m), bool)]
        if vals:
            out[m] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
    return out


def verdict(value, target) -> str:
    op, ref = target
    ok = value >= ref if op == ">=" else value <= ref
    return "ok" if ok else "MISS"


def table(result: dict) -> str:
    lines = [
        f"browser_bench: {result['seconds']:g} s per run, {result['runs']} run(s), viewport 1280x720, "
        f"{result['machine']['cpus']} CPUs (server and chromium share them)"
    ]
    for name, res in result["scenarios"].items():
        sc = SCENARIOS[name]
        lines += ["", f"{name}  {sc.path}", f"  {'metric':<24}{'median':>10}{'min':>10}{'max':>10}   target"]
        for m, agg in res["summary"].items():
            tgt = sc.targets.get(m)
            mark = f"{tgt[0]} {tgt[1]:g}  {verdict(agg['median'], tgt)}" if tgt else ""
            lines.append(
                f"  {m:<24}" + "".join(f"{agg[k]:>10.4g}" for k in ("median", "min", "max")) + f"   {mark}"
            )
        for i, r in enumerate(res["runs"]):
            if r.get("longest_freeze_s") is not None:
                lines.append(
                    f"  run {i + 1}: longest freeze {r['longest_freeze_s']} s, {r['longest_freeze_at_s']} s"
                    f" after the click, starved batches {r.get('starved_batches')}/{r.get('batches')}"
                )
            if r.get("stopped_early"):
                lines.append(
                    f"  run {i + 1}: stopped by itself at epoch {r['last_epoch']:,} after {r['window_s']} s"
                )
            if r.get("view_remounted"):
                lines.append(f"  run {i + 1}: the live view was remounted during the window")
            for note in r.get("interaction_notes", []):
                lines.append(f"  run {i + 1}: {note}")
        names = {tuple(r["contenders"]) for r in res["runs"] if r.get("contenders")}
        lines += [f"  contenders ({len(c)}): {', '.join(c)}" for c in sorted(names)]
        for what in ("exceptions", "console_errors", "console_errors_after_window"):
            seen = sorted({x for r in res["runs"] for x in r.get(what, [])})
            lines += [f"  {what.replace('_', ' ')}: {x}" for x in seen]
    return "\n".join(lines)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--scenario", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS)
    )
    ap.add_argument("--seconds", type=float, default=15.0, help="measurement window per page, from the click")
    ap.add_argument("--runs", type=int, default=1, help="repeat every scenario; report median, min and max")
    ap.add_argument("--warmup", type=float, default=8.0, help="seconds of throwaway play per scenario")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument(
        "--cache-dir", help="JAX compile cache (default: $PLAYGROUND_JAX_CACHE, else a fresh one)"
    )
    args = ap.parse_args(argv)
    names = [n.strip() for n in args.scenario.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        ap.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or os.environ.get("PLAYGROUND_JAX_CACHE") or os.path.join(tmp, "jax_cache")
        log = os.path.join(tmp, "server.log")
        proc, base = start_server(cache, log)
        result = {
            "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
            "seconds": args.seconds,
            "runs": args.runs,
            "cache": "given" if (args.cache_dir or os.environ.get("PLAYGROUND_JAX_CACHE")) else "fresh",
            "warm_up_s": {},
            "scenarios": {n: {"runs": []} for n in names},
        }
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for n in names:
                        result["warm_up_s"][n] = round(warm_up(browser, base, SCENARIOS[n], args.warmup), 1)
                    for _ in range(args.runs):
                        for n in names:
                            run = measure(browser, base, SCENARIOS[n], args.seconds, proc.pid)
                            result["scenarios"][n]["runs"].append(run)
                finally:
                    browser.close()
            result["server_rss_mb"] = round(rss_mb(proc.pid), 1)
            result["machine"]["load_avg_1m_end"] = round(os.getloadavg()[0], 2)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
            server_log = Path(log).read_text(errors="replace")
        errors = [ln for ln in server_log.splitlines() if re.search(r"Traceback|Error|Exception", ln)]
        result["server_log_errors"] = errors[:20]
    for n in names:
        res = result["scenarios"][n]
        res["summary"] = aggregate(res["runs"])
        res["targets"] = {m: f"{op} {v}" for m, (op, v) in SCENARIOS[n].targets.items()}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(table(result))
        if result["server_log_errors"]:
            print("\nserver log:", *result["server_log_errors"], sep="\n  ")
    return result


if __name__ == "__main__":
    main()
