"""Serving a class: PostgreSQL, two replicas of the app and nginx with deploy/nginx/playground.conf,
all on loopback ports. A teacher saves a lesson through replica A, a student opens it and submits
through replica B, and A's leaderboard shows the result; through the proxy a page loads and trains
over its websocket, a first visit gets the replica cookie, and a cookie keeps its replica while
cookieless visits spread over both. Needs chromium, Debian's postgresql and nginx (`.ci/run`
installs them); skips like the other browser tests only where chromium is absent."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from playground.classroom.store import Store
from tests.postgres import Postgres, free_port
from tests.test_browser import (  # noqa: F401  (pytest fixtures are used by name)
    LOAD_MS,
    browser,
    click_pause,
    click_play,
    launch,
    new_page,
    no_exception,
    open_playground,
    wait_epoch,
    wait_js,
)

pytestmark = pytest.mark.browser
DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "nginx"


class Nginx:
    """nginx in the foreground with the deploy folder's server block, on a free port, in front of
    the given replica ports."""

    def __init__(self, folder: Path, replicas: list[int]):
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(exe).exists():
            pytest.fail(
                "nginx was not found: install Debian's nginx-light package (apt-get install nginx-light)"
            )
        self.port, self.folder = free_port(), folder
        (folder / "playground-replicas.conf").write_text(
            "".join(f"server 127.0.0.1:{p};\n" for p in replicas)
        )
        block = (
            (DEPLOY / "playground.conf").read_text().replace("listen 8080;", f"listen 127.0.0.1:{self.port};")
        )
        (folder / "playground.conf").write_text(block)
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = "".join(
            f"{k}_temp_path {folder}/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (folder / "nginx.conf").write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\n"
            f"error_log {folder}/error.log;\n"
            f"events {{}}\nhttp {{\naccess_log {folder}/access.log;\n{temp}include playground.conf;\n}}\n"
        )
        test = subprocess.run(
            [exe, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")], capture_output=True, text=True
        )
        assert test.returncode == 0, test.stderr
        self.proc = subprocess.Popen([exe, "-p", str(folder), "-c", str(folder / "nginx.conf")])
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5).read()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("nginx did not answer: " + (folder / "error.log").read_text()[-2000:])
                time.sleep(0.2)

    def get(self, path: str, cookie: str | None = None) -> tuple[str, str | None]:
        """(the replica that answered, the Set-Cookie value) for one request."""
        req = urllib.request.Request(self.url + path, headers={"Cookie": cookie} if cookie else {})
        with urllib.request.urlopen(req, timeout=10) as r:
            ours = [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith("nnp_replica=")]
            return r.headers["X-Playground-Replica"], ours[0] if ours else None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(browser, tmp_path_factory):  # noqa: F811
    tmp = tmp_path_factory.mktemp("replicas")
    with Postgres() as pg:
        env = {
            **os.environ,
            "PLAYGROUND_DATABASE_URL": pg.url,
            "PLAYGROUND_JAX_CACHE": str(tmp / "jax_cache"),
        }
        a = launch(tmp, env)
        b = launch(tmp, env)
        (tmp / "nginx").mkdir()
        proxy = Nginx(tmp / "nginx", [a.port, b.port])
        try:
            yield a, b, proxy, pg
        finally:
            proxy.stop()
            a.stop()
            b.stop()


def test_a_lesson_made_on_one_replica_is_played_and_scored_on_the_other(new_page, cluster):  # noqa: F811
    a, b, _, pg = cluster
    teacher = new_page(viewport={"width": 1280, "height": 900})
    teacher.goto(f"{a.url}/Classroom", wait_until="commit", timeout=LOAD_MS)
    teacher.locator(".st-key-cls-copy_neuron button").click()
    wait_js(teacher, "() => document.body.innerText.includes('Lesson editor')", None, LOAD_MS)
    teacher.get_by_role("button", name="Save").click()
    text = wait_js(
        teacher,
        "() => document.body.innerText.includes('Teacher link') && document.body.innerText",
        None,
        LOAD_MS,
    )
    lesson_id = text.split("/Playground?lesson=")[1].split()[0].strip("`")
    student = new_page(viewport={"width": 1280, "height": 720})
    open_playground(student, b.url, f"?lesson={lesson_id}")
    click_play(student)
    wait_js(
        student,
        "() => document.querySelector('.st-key-lesson-bar').innerText.includes('Goal met!')",
        None,
        LOAD_MS,
    )
    click_pause(student)
    student.locator(".st-key-pg-nickname input").fill("grace")
    student.get_by_role("button", name="Submit").click()
    wait_js(student, "() => document.body.innerText.includes('Submitted: test_accuracy')", None, LOAD_MS)
    # A's live leaderboard (its table is drawn on a canvas: its caption shows the count).
    wait_js(teacher, "() => document.body.innerText.includes('1 scored submissions')", None, LOAD_MS)
    board = Store(pg.url).leaderboard(lesson_id, 0, lower_is_better=False)
    assert [(r["nickname"], r["met"]) for r in board] == [("grace", True)]
    no_exception(teacher)
    no_exception(student)


def test_the_proxy_keeps_a_user_on_one_replica_and_spreads_new_ones(new_page, cluster):  # noqa: F811
    a, b, proxy, _ = cluster
    replicas = {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}
    first = [proxy.get("/_stcore/health") for _ in range(16)]  # new visitors: no cookie
    assert {r for r, _ in first} == replicas  # both replicas get visitors (chance of not: 2·2⁻¹⁶)
    for replica, cookie in first[:4]:
        assert cookie.startswith("nnp_replica=") and "HttpOnly" in cookie
        key = cookie.split(";")[0]
        assert {proxy.get("/_stcore/health", key)[0] for _ in range(6)} == {replica}  # sticky
    page = new_page(viewport={"width": 1280, "height": 720})
    open_playground(page, proxy.url)  # the page and its websocket through nginx
    click_play(page)
    wait_epoch(page, "e >= 20", LOAD_MS)  # frames arrive over the proxied websocket
    click_pause(page)
    assert any(c["name"] == "nnp_replica" for c in page.context.cookies())
    no_exception(page)


def test_the_class_load_script_runs_a_small_class(browser):  # noqa: F811
    """benchmarks/class_load.py end to end with two students: every confirmed submission stored."""
    import json
    import sys

    root = Path(__file__).resolve().parents[1]
    args = ["--students", "2", "--at-once", "2", "--budget", "300", "--json"]
    done = subprocess.run(
        [sys.executable, "benchmarks/class_load.py", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["submissions_confirmed"] == got["submissions_stored"] == 2 and got["lost"] == 0
    assert sum(got["students_per_replica"].values()) == 2 and len(got["replica_rss_mb"]) == 2
