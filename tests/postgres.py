"""A real PostgreSQL server for the tests, started in a temporary folder (Debian's `postgresql`
package: initdb and pg_ctl; `.ci/run` installs it when missing) on a free loopback port, trust
authentication, no fsync. As root it runs as the `postgres` user, which the package creates."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin(name: str) -> str:
    installed = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    found = shutil.which(name) or (installed[-1] if installed else None)
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} was not found: install Debian's postgresql package "
            "(apt-get install postgresql); the storage tests run against SQLite and PostgreSQL"
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """with Postgres() as pg: pg.url is a SQLAlchemy URL of an empty database."""

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="nnp-pg-"))
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
        data, log = self.dir / "data", self.dir / "log"
        self._run(_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "playground", "--no-sync")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(data), "-o", opts, "-l", str(log), "-w", "-t", "60", "start")
        self.url = f"postgresql+psycopg://playground@127.0.0.1:{self.port}/postgres"
        return self

    def _run(self, *args):
        cmd = [*self.as_user, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr[-1500:] or done.stdout[-1500:]}")

    def __exit__(self, *exc):
        subprocess.run(
            [*self.as_user, _bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.dir, ignore_errors=True)
