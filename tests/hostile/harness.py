"""What one hostile case sees while it runs, in its own forked process.

A case is a function of a ``Ctx`` that drives a real entry point (``opgraph`` through
``engine.cli.main``, ``Workflow.predict``, ``App``) and returns the problems it saw, each a
string that starts with its category (``refused:``, ``lost:``, ``message:`` ...).  The
runner adds the categories only the parent can see: tracebacks, hangs, memory, crashes.

Network safety: every case runs with an audit hook that lets Python connect only to
127.0.0.1 (anything else is recorded and fails with ``ConnectionRefusedError`` before a
packet leaves) and with a fake resolver: names in ``FAKE_DNS`` resolve to the listed
addresses without asking any DNS server, ``localhost`` resolves as usual, every other name
fails.  A guard that is meant to refuse before connecting shows up in ``ctx.connects``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FAKE_DNS",
    "Case",
    "CliResult",
    "Ctx",
    "install_guards",
]

# names a case may use to reach a private address "through DNS" (resolved here, never sent)
FAKE_DNS = {
    "internal.test": "10.0.0.1",
    "metadata.test": "169.254.169.254",
    "loop.test": "127.0.0.1",
    "v6private.test": "fd00::1",
    "v6mapped.test": "::ffff:10.0.0.1",
}
_ALLOWED_PEER = "127.0.0.1"


@dataclass(frozen=True)
class Case:
    """One hostile case: ``run`` returns its problems (empty or None when it passes)."""

    id: str
    klass: str
    owner: str
    run: Callable[[Ctx], Sequence[str] | None]
    timeout_s: float = 15.0
    repro: str = ""


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@dataclass
class Ctx:
    """The running case's view: its files, the local server, what it connected to and read."""

    case_id: str
    work: Path
    port: int
    out_path: Path
    err_path: Path
    api_port: int = 0
    connects: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)

    # ---- the local server --------------------------------------------------------------

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]", "_", self.case_id)

    def url(self, action: str, host: str = "127.0.0.1") -> str:
        """A URL on the local server whose hits are logged under this case."""
        return f"http://{host}:{self.port}/c/{self.slug}/{action}"

    def hits(self) -> list[dict[str, Any]]:
        log = self.work / "hits" / f"{self.slug}.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines() if line]

    # ---- entry points --------------------------------------------------------------------

    def cli(self, *argv: str) -> CliResult:
        """``opgraph ARGV`` in this process; stdout and stderr as the file descriptors saw them."""
        from engine.cli import main

        out0, err0 = self._marks()
        code = main(list(argv))
        out1, err1 = self._marks()
        return CliResult(code, _slice(self.out_path, out0, out1), _slice(self.err_path, err0, err1))

    def stderr_since(self, mark: int) -> str:
        sys.stderr.flush()
        return _slice(self.err_path, mark, self.err_path.stat().st_size)

    def err_mark(self) -> int:
        sys.stderr.flush()
        return self.err_path.stat().st_size

    def _marks(self) -> tuple[int, int]:
        sys.stdout.flush()
        sys.stderr.flush()
        return self.out_path.stat().st_size, self.err_path.stat().st_size

    def off_loopback(self) -> list[str]:
        return [c for c in self.connects if not c.startswith(f"{_ALLOWED_PEER}:")]


def _slice(path: Path, start: int, end: int) -> str:
    with path.open("rb") as f:
        f.seek(start)
        return f.read(end - start).decode("utf-8", "replace")


# ---- guards installed in every case process ---------------------------------------------


def install_guards(ctx: Ctx) -> None:
    """Loopback-only connects, a fake resolver, and a record of files opened."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        ctx.resolved.append(str(name))
        if isinstance(name, str) and name.lower().rstrip(".") in FAKE_DNS:
            return real_getaddrinfo(FAKE_DNS[name.lower().rstrip(".")], *args, **kwargs)
        if name is None or _is_literal(str(name)):
            return real_getaddrinfo(host, *args, **kwargs)
        if _is_literal(str(name).rstrip(".")):  # "127.0.0.1." is the same address
            return real_getaddrinfo(str(name).rstrip("."), *args, **kwargs)
        if str(name).lower().rstrip(".") == "localhost":
            return real_getaddrinfo("localhost", *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"hostile corpus: no DNS for {name!r}")

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "socket.connect":
            address = args[1]
            if isinstance(address, tuple) and len(address) >= 2:
                peer = f"{address[0]}:{address[1]}"
                ctx.connects.append(peer)
                if address[0] != _ALLOWED_PEER:
                    raise ConnectionRefusedError(f"hostile corpus: blocked connect to {peer}")
        elif event == "open" and args and isinstance(args[0], str | bytes | os.PathLike):
            ctx.opened.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)


def _is_literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
        return True
    except OSError:
        pass
    try:
        socket.inet_aton(host)  # also 127.1, 0x7f000001, 2130706433
        return True
    except OSError:
        return False
