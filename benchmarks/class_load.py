"""A class at once, on loopback only: PostgreSQL, N replicas of the app and nginx with
deploy/nginx/playground.conf (the same set-up as tests/test_replicas.py), then simulated students
in headless chromium, a bounded number at a time. Each student opens a stored lesson's link through
the proxy, trains three epochs with Step, types a nickname and submits.

    python benchmarks/class_load.py [--students 30] [--at-once 10] [--replicas 2] [--budget 600] [--json]

Reports: submissions attempted, confirmed on the page and stored in the database (none may be
lost), students per replica (from the proxy's X-Playground-Replica header), page-load time (link
opened to "Epoch 0" shown: median and p95), time to a confirmed submission, and each replica's
resident memory after the class. Needs chromium, Debian's postgresql and nginx, like the tests;
nothing leaves the machine. Stops after --budget seconds whatever the state, and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playground.classroom import builtin  # noqa: E402
from playground.classroom.store import Store  # noqa: E402
from tests.postgres import Postgres  # noqa: E402
from tests.test_browser import EPOCH_JS, launch  # noqa: E402
from tests.test_replicas import Nginx  # noqa: E402

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FLAGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]


async def student(browser, url: str, i: int, out: list, gate: asyncio.Semaphore):
    async with gate:
        row = {"student": i, "replica": None, "load_s": None, "submit_s": None, "error": None}
        ctx = await browser.new_context(viewport={"width": 1280, "height": 720})
        page = await ctx.new_page()
        page.set_default_timeout(180_000)

        def seen(response):
            if row["replica"] is None and "/Playground" in response.url:
                row["replica"] = response.headers.get("x-playground-replica")

        page.on("response", seen)
        try:
            t = time.monotonic()
            await page.goto(url, wait_until="commit")
            await page.wait_for_function(f"() => ({EPOCH_JS})() === 0")
            row["load_s"] = time.monotonic() - t
            for n in (1, 2, 3):
                await page.locator(".st-key-pg-step button").click()
                await page.wait_for_function(f"() => ({EPOCH_JS})() === {n}")
            t = time.monotonic()
            await page.locator(".st-key-pg-nickname input").fill(f"student {i}")
            await page.get_by_role("button", name="Submit").click()
            await page.wait_for_function("() => document.body.innerText.includes('Submitted: test_accuracy')")
            row["submit_s"] = time.monotonic() - t
        except Exception as e:  # a student who fails is counted, not fatal
            row["error"] = f"{type(e).__name__}: {str(e)[:120]}"
        finally:
            await ctx.close()
        out.append(row)


async def run_class(proxy_url: str, lesson_id: str, students: int, at_once: int, budget: float) -> tuple:
    from playwright.async_api import async_playwright

    rows: list[dict] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        gate = asyncio.Semaphore(at_once)
        url = f"{proxy_url}/Playground?lesson={lesson_id}"
        tasks = [asyncio.create_task(student(browser, url, i, rows, gate)) for i in range(students)]
        done, pending = await asyncio.wait(tasks, timeout=budget)
        for task in pending:
            task.cancel()
        await browser.close()
    return rows, len(pending)


def p95(values: list[float]) -> float | None:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)] if values else None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--at-once", type=int, default=10)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--budget", type=float, default=600.0, help="seconds for the whole class")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    if not (
        1 <= a.students <= 200 and 1 <= a.at_once <= 50 and 1 <= a.replicas <= 8 and 0 < a.budget <= 3600
    ):
        ap.error("at most 200 students, 50 at once, 8 replicas and 3,600 s")
    tmp = Path(tempfile.mkdtemp(prefix="nnp-class-"))
    with Postgres() as pg:
        env = {**os.environ, "PLAYGROUND_DATABASE_URL": pg.url, "PLAYGROUND_JAX_CACHE": str(tmp / "jax")}
        servers = [launch(tmp, env) for _ in range(a.replicas)]
        (tmp / "nginx").mkdir()
        proxy = Nginx(tmp / "nginx", [s.port for s in servers])
        try:
            db = Store(pg.url)
            lesson_id, _ = db.create_lesson(builtin.lessons_by_id()["neuron"])
            t = time.monotonic()
            rows, unfinished = asyncio.run(run_class(proxy.url, lesson_id, a.students, a.at_once, a.budget))
            wall = time.monotonic() - t
            confirmed = [r for r in rows if r["submit_s"] is not None]
            stored = db.count(lesson_id)
            loads = [r["load_s"] for r in rows if r["load_s"] is not None]
            per_replica = {f"replica {i + 1}": 0 for i in range(a.replicas)}
            for r in rows:
                for i, s in enumerate(servers):
                    if r["replica"] == f"127.0.0.1:{s.port}":
                        per_replica[f"replica {i + 1}"] += 1
            result = {
                "students": a.students,
                "at_once": a.at_once,
                "replicas": a.replicas,
                "wall_s": round(wall, 1),
                "unfinished_at_budget": unfinished,
                "submissions_confirmed": len(confirmed),
                "submissions_stored": stored,
                "lost": len(confirmed) - stored,
                "errors": [r["error"] for r in rows if r["error"]][:5],
                "students_per_replica": per_replica,
                "page_load_s_median": round(statistics.median(loads), 2) if loads else None,
                "page_load_s_p95": round(p95(loads), 2) if loads else None,
                "submit_s_median": round(statistics.median([r["submit_s"] for r in confirmed]), 2)
                if confirmed
                else None,
                "replica_rss_mb": [round(s.rss_mb()) for s in servers],
            }
        finally:
            proxy.stop()
            for s in servers:
                s.stop()
    if a.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:24} {v}")
    return 0 if result["lost"] == 0 and not unfinished else 1


if __name__ == "__main__":
    sys.exit(main())
