"""engine/_dial.py: a host resolved once within a deadline, every address checked, a checked
address dialled."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest

from engine._dial import Deadline, FetchError, dial, resolve, resolve_allowed, resolve_checked


@pytest.fixture(autouse=True)
def _nothing_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)


def _fake_dns(monkeypatch: pytest.MonkeyPatch, addrs: list[str], delay: float = 0.0) -> list[str]:
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        time.sleep(delay)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addrs]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)  # no lookup leaves the machine
    return asked


def test_a_literal_address_is_not_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _fake_dns(monkeypatch, ["10.0.0.1"])
    ((family, _, _, _, sockaddr),) = resolve("127.0.0.1.", 80, Deadline(1.0))
    assert family == socket.AF_INET and sockaddr == ("127.0.0.1", 80) and asked == []


def test_a_private_answer_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, ["127.0.0.1", "10.0.0.1"])
    with pytest.raises(FetchError, match=r"refusing to connect to mail.test:25: .* 10.0.0.1"):
        resolve_allowed("mail.test", 25, timeout_s=1.0, allow_private="127.0.0.0/8")
    addrs = resolve_allowed("mail.test", 25, timeout_s=1.0, allow_private=True)
    assert [a[4][0] for a in addrs] == ["127.0.0.1", "10.0.0.1"]
    assert (
        resolve_checked("rtsp://cam.test/", "cam.test", 554, timeout_s=1, allow_private=True)
        == "127.0.0.1"
    )


def test_a_lookup_past_the_deadline_is_a_retryable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, ["127.0.0.1"], delay=1.0)
    with pytest.raises(FetchError, match=r"cannot resolve 'slow.test' within 0.05 s") as err:
        resolve_allowed("slow.test", 25, timeout_s=0.05, allow_private=True)
    assert err.value.retryable


def test_dial_connects_to_a_checked_address_and_the_deadline_wakes_a_blocked_read() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        deadline = Deadline(0.3)
        sock = dial([(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))], deadline)
        peer, _ = server.accept()
        try:
            sock.settimeout(5.0)
            woke = threading.Event()

            def read() -> None:
                sock.recv(1)  # the peer never writes: only the watchdog ends this
                woke.set()

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            reader.join(5.0)
            assert woke.is_set() and deadline.expired
            with pytest.raises(TimeoutError):
                deadline.remaining()
        finally:
            deadline.close()
            sock.close()
            peer.close()
