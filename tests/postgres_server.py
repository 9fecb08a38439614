"""A real PostgreSQL server for the tests: initdb in a temporary folder, 127.0.0.1 only.

``PostgresServer.start()`` finds Debian's binaries (``/usr/lib/postgresql/<ver>/bin``, or
``initdb`` on PATH), makes a cluster owned by a non-root user when run as root (PostgreSQL
refuses root: the ``postgres`` user the package creates), listens on a free port of
127.0.0.1 and on a unix socket inside the cluster folder, and trusts local connections.
``url(schema)`` is an app URL; each test takes a schema of its own.  ``missing()`` says
why a server cannot start on this machine (the tests using it then skip with that
reason); ``make setup`` installs the package.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["PostgresServer"]

_START_TIMEOUT_S = 30.0
_PREFIX = "opgraph-pg-"


def _bin_dir() -> Path | None:
    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(os.path.realpath(initdb)).parent if initdb else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throw-away cluster; ``stop()`` shuts it down and deletes its folder."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.folder: Path | None = None
        self.port = 0
        self._user: str | None = None

    def missing(self) -> str | None:
        """Why no server can start here, or None."""
        if self.bin is None:
            return "PostgreSQL is not installed (make setup installs Debian's postgresql)"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "psycopg is not installed (pip install 'opgraph[postgres]')"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no 'postgres' user to run the server"
        return None

    def _run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        return subprocess.run(
            [*prefix, *cmd], capture_output=True, text=True, check=False, timeout=120
        )

    def start(self) -> None:
        assert self.bin is not None
        if os.geteuid() == 0:
            self._user = "postgres"
        self._reap_stale()
        self.folder = Path(tempfile.mkdtemp(prefix=_PREFIX))
        (self.folder / "owner.pid").write_text(str(os.getpid()))
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = self.folder / "data"
        done = self._run(
            str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
            "--no-locale", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr.strip()[-2000:]}")
        self.port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100"
        )
        done = self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-o", options,
            "-l", str(self.folder / "server.log"), "-w", "-t", str(int(_START_TIMEOUT_S)), "start",
        )  # fmt: skip
        if done.returncode:
            log = (self.folder / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr.strip()} {log}")
        self._wait()

    def _reap_stale(self) -> None:
        """Stop the servers of earlier test sessions that were killed before stopping them
        (their owner process is gone), so killed runs do not pile servers up."""
        for folder in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
            try:
                owner = int((folder / "owner.pid").read_text())
            except (OSError, ValueError):
                continue  # not ours, or still being made
            if _alive(owner):
                continue
            self._run(str(self.bin / "pg_ctl"), "-D", str(folder / "data"),
                      "-m", "immediate", "-w", "stop")  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)

    def _wait(self) -> None:
        import psycopg

        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            try:
                psycopg.connect(self.url().split("?")[0], connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def url(self, schema: str | None = None) -> str:
        base = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        return base if schema is None else f"{base}?schema={schema}"

    def new_url(self) -> str:
        """The URL of a schema no test has used yet (a new, empty app)."""
        return self.url(f"t_{uuid.uuid4().hex[:16]}")

    def new_database(self) -> str:
        """The URL of a new, empty database (for what spans schemas: a server's apps)."""
        import psycopg

        name = f"db_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.folder is None:
            return
        if self.bin is not None:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"),
                      "-m", "immediate", "-w", "stop")  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = None
