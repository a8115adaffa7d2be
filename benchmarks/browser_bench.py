"""What a user sees while the Playground plays, measured in headless chromium.

Starts `streamlit run app.py` on a free port (like tests/test_browser.py), opens the Playground,
presses Play and for SECONDS samples every 100 ms the epoch counter and a redraw counter (a
MutationObserver counts every change of the "Epoch N" heading's text). Reported per network:

  play_to_first_redraw_s  from the Play click (timed in the page) to the first new epoch shown
  epochs_per_s            epochs shown per second, from the click to the last sample
  steady_epochs_per_s     the same from the first redraw on (compiles and the first tick excluded)
  redraws_per_s           counter changes per second from the first redraw on (the fragment
                          asks for one every 0.25 s, so 4/s is the ceiling)
  max_redraw_gap_s        the longest freeze between two redraws
  page_busy_fraction      share of the time the page's main thread spent in long tasks (> 50 ms):
                          near 1, the browser's drawing is what limits the redraw rate

Usage: python benchmarks/browser_bench.py [--seconds 15] [--cache-dir DIR]
The JAX compile cache is a fresh temporary folder unless --cache-dir names one (run twice with
the same folder for warm-cache figures). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
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
CASES = {
    "default_2x_4_2": "/Playground",
    "spiral_7_features_6x8": "/Playground?dataset=spiral&features=x1,x2,x1%5E2,x2%5E2,x1*x2,sin(x1),sin(x2)"
    "&hidden=8,8,8,8,8,8",
}
EPOCH_JS = """() => {
  for (const h of document.querySelectorAll('h3')) {
    const m = /Epoch\\s+([\\d,]+)/.exec(h.innerText || '');
    if (m) return parseInt(m[1].replace(/,/g, ''), 10);
  }
  return null;
}"""
CHARTS_DRAWN_JS = """() => {
  const gs = Array.from(document.querySelectorAll('.js-plotly-plot'));
  return gs.length >= 4 && gs.every(g => g._fullLayout && g.querySelector('.main-svg'));
}"""
# Redraw counter: every change of the epoch heading's text, with its time; and the Play click's time.
INSTALL_JS = """() => {
  const text = () => {
    for (const h of document.querySelectorAll('h3')) if (/Epoch/.test(h.innerText || '')) return h.innerText;
    return null;
  };
  window.__bench = {redraws: 0, times: [], last: text(), click: null, busy: 0};
  // Main-thread work in tasks over 50 ms (Plotly drawing, React): how busy the page is.
  new PerformanceObserver((list) => {
    const b = window.__bench;
    for (const e of list.getEntries()) if (b.click !== null && e.startTime >= b.click) b.busy += e.duration;
  }).observe({type: 'longtask'});
  new MutationObserver(() => {
    const t = text();
    if (t !== null && t !== window.__bench.last) {
      window.__bench.last = t;
      window.__bench.redraws += 1;
      window.__bench.times.push(performance.now());
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
  document.addEventListener('click', (e) => {
    const b = window.__bench;
    if (b.click === null && e.target.closest('.st-key-pg-play')) b.click = performance.now();
  }, true);
}"""
SAMPLE_JS = f"() => ({{t: performance.now(), epoch: ({EPOCH_JS})(), redraws: window.__bench.redraws}})"


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


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)\s+kB", status).group(1)) / 1024


def wait_button(page, label: str, timeout_ms: int = 120_000):
    page.wait_for_function(
        "(label) => { const b = document.querySelector('.st-key-pg-play button');"
        " return !!b && b.innerText.trim().endsWith(label); }",
        arg=label,
        timeout=timeout_ms,
    )


def measure(browser, url: str, seconds: float) -> dict:
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
    try:
        page = ctx.new_page()
        t = time.monotonic()
        page.goto(url, wait_until="commit", timeout=180_000)
        page.get_by_role("heading", name="Epoch 0", exact=True).wait_for(timeout=180_000)
        page.wait_for_function(CHARTS_DRAWN_JS, timeout=180_000)
        wait_button(page, "Play")
        load_s = time.monotonic() - t
        page.evaluate(INSTALL_JS)
        page.locator(".st-key-pg-play button").click()
        samples = []
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            samples.append(page.evaluate(SAMPLE_JS))
            slot = int((time.monotonic() - start) / 0.1) + 1  # next 100 ms mark (a slow sample skips some)
            time.sleep(max(0.0, start + 0.1 * slot - time.monotonic()))
        bench = page.evaluate("() => window.__bench")
        wait_button(page, "Pause")
        page.locator(".st-key-pg-play button").click()
        wait_button(page, "Play")
        exceptions = page.locator('[data-testid="stException"]').count()
    finally:
        ctx.close()

    click, times, last = bench["click"], bench["times"], samples[-1]
    span_s = (last["t"] - click) / 1000
    out = {
        "load_s": round(load_s, 2),
        "samples": len(samples),
        "final_epoch": last["epoch"],
        "redraws": bench["redraws"],
        "play_to_first_redraw_s": None,
        "epochs_per_s": round(last["epoch"] / span_s, 1),
        "steady_epochs_per_s": None,
        "redraws_per_s": None,
        "max_redraw_gap_s": None,
        "distinct_epochs_sampled": len({s["epoch"] for s in samples}),
        "page_busy_fraction": round(bench["busy"] / 1000 / span_s, 2),
        "exceptions": exceptions,
    }
    if times:
        first = times[0]
        at_first = next((s["epoch"] for s in samples if s["t"] >= first and s["epoch"]), last["epoch"])
        steady_s = (last["t"] - first) / 1000
        gaps = [b - a for a, b in zip(times, times[1:])]
        out.update(
            play_to_first_redraw_s=round((first - click) / 1000, 3),
            steady_epochs_per_s=round((last["epoch"] - at_first) / steady_s, 1) if steady_s > 0 else None,
            redraws_per_s=round((bench["redraws"] - 1) / steady_s, 2) if steady_s > 0 else None,
            max_redraw_gap_s=round(max(gaps) / 1000, 2) if gaps else None,
        )
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="how long each network plays")
    ap.add_argument("--cache-dir", help="JAX compile cache folder (default: a fresh temporary one)")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or os.path.join(tmp, "jax_cache")
        proc, base = start_server(cache, os.path.join(tmp, "server.log"))
        try:
            result = {
                "machine": {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)},
                "seconds": args.seconds,
                "cache": "given" if args.cache_dir else "fresh",
            }
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    for name, path in CASES.items():
                        result[name] = measure(browser, base + path, args.seconds)
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
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
