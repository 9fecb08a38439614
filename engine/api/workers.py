"""``opgraph serve --workers N``: N worker processes behind the same two ports.

Python runs one thread of bytecode at a time, so one process serves about one core's worth
of requests; N processes serve N.  Each worker listens on both ports with SO_REUSEPORT (the
parent first checks that nothing else holds them, and keeps the REST port bound while the
workers run), so the kernel spreads connections over the workers.  Each worker opens its
own apps and token store over the same data folder (SQLite in WAL mode; app creation and
deletion hold a lock file), so what one worker writes the next request sees, whichever
worker it reaches.

The parent serves nothing itself: it starts the workers, starts a new one in place of one
that dies, and on SIGTERM or Ctrl-C passes SIGTERM on to each, so every worker drains its
requests in flight and closes its stores before the parent exits.  A worker dies with its
parent (Linux's parent-death signal), so a kill -9 of the parent leaves no worker behind.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess

from engine.api.server import ServerState, serve_here

__all__ = ["supervise"]

log = logging.getLogger("opgraph.api")
_PR_SET_PDEATHSIG = 1
_RESTART_PAUSE_S = 1.0  # between restarts of a worker that keeps dying


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover  (no prctl: best effort)
            pass


def _worker(state: ServerState, host: str, port: int, grpc_port: int) -> None:
    _die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    rest = _rest_socket(host, port)
    rest.listen(2048)
    serve_here(state, host, port, grpc_port, rest_socket=rest)


def _rest_socket(host: str, port: int) -> socket.socket:
    """A REST socket bound with SO_REUSEPORT: each worker listens on one of its own, and the
    kernel spreads new connections over them.  (One socket accepted on by every worker
    would not: a worker that wakes takes every connection waiting, so a burst of clients
    could all land on one worker and leave the other cores idle.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto
    # says TCP, and without it each response's body waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen for REST on {host}:{port}: {exc.strerror}") from None
    return sock


def _check_free(host: str, port: int, what: str = "gRPC") -> None:
    """Refuse a port that something else holds: SO_REUSEPORT would share it silently."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise OSError(f"cannot listen for {what} on {host}:{port}: {exc.strerror}") from None


def supervise(state: ServerState, host: str, port: int, grpc_port: int) -> None:
    """Run ``state.limits.workers`` workers until SIGTERM/SIGINT, then drain them all."""
    _check_free(host, grpc_port)
    _check_free(host, port, "REST")
    # held, bound but not listening, for as long as the workers run: nothing else can take
    # the port between their starts (a socket without SO_REUSEPORT cannot share it)
    rest = _rest_socket(host, port)
    ctx = multiprocessing.get_context("spawn")  # grpc must not be forked
    stop = threading.Event()

    def start() -> BaseProcess:
        proc = ctx.Process(
            target=_worker, args=(state, host, port, grpc_port), name="opgraph-worker"
        )
        proc.start()
        return proc

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    procs = [start() for _ in range(state.limits.workers)]
    log.warning(
        "opgraph serve: REST on http://%s:%d, gRPC on %s:%d, %d worker processes",
        host,
        port,
        host,
        grpc_port,
        len(procs),
    )
    try:
        while not stop.wait(0.2):
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stop.is_set():
                    log.warning(
                        "opgraph serve: worker %d exited (%s); starting another",
                        proc.pid,
                        proc.exitcode,
                    )
                    stop.wait(_RESTART_PAUSE_S)
                    procs[i] = start()
    finally:
        _drain(procs, state.limits.drain_s)
        rest.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _drain(procs: list[BaseProcess], drain_s: float) -> None:
    for proc in procs:
        if proc.is_alive() and proc.pid is not None:
            proc.terminate()  # SIGTERM: the worker stops taking requests and drains
    for proc in procs:
        proc.join(drain_s + 10)
        if proc.is_alive():
            log.warning("opgraph serve: worker %d did not drain in time; killing it", proc.pid)
            proc.kill()
            proc.join(5)
