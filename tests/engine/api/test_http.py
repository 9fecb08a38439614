"""The REST server's HTTP/1.1 protocol (``engine.api.http``) on a real server: hostile
request heads and bodies are refused with a 4xx and the server keeps answering; keep-alive
requests on one connection are all answered."""

from __future__ import annotations

import json
import socket

import pytest

from engine.api.http import MAX_HEAD_BYTES, http_protocol, rest_config
from tests.engine.api.conftest import Server


def _read_reply(sock: socket.socket, buffer: bytearray | None = None) -> tuple[int, bytes]:
    """One response's status and body (Content-Length framing); 0 if the server closed.
    What follows the response stays in ``buffer`` (pipelined answers)."""
    data = buffer if buffer is not None else bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return 0, bytes(data)
        data += chunk
    end = data.index(b"\r\n\r\n")
    head = bytes(data[:end])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(data) < end + 4 + length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    body = bytes(data[end + 4 : end + 4 + length])
    del data[: end + 4 + length]
    return int(head.split(b" ")[1]), body


def _get_apps(server: Server, extra: bytes = b"") -> bytes:
    return (
        b"GET /v2/users/me/apps HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Key {server.token}\r\n".encode()
        + extra
        + b"\r\n"
    )


def _still_answers(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(_get_apps(server))
        code, body = _read_reply(sock)
    assert code == 200 and json.loads(body)["status"]["code"] == 10000


def test_the_rest_server_parses_with_the_bounded_protocol() -> None:
    protocol = http_protocol()
    assert protocol != "h11" and protocol.__name__ == "BoundedHttpTools"
    assert rest_config(lambda: None).http is protocol


def test_keep_alive_requests_on_one_connection_are_all_answered(server: Server) -> None:
    padding = b"X-Padding: " + b"a" * 8000 + b"\r\n"  # heads well under the bound, many times
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        for _ in range(3 * MAX_HEAD_BYTES // 8000):
            sock.sendall(_get_apps(server, padding))
            code, body = _read_reply(sock)
            assert code == 200, body
        sock.sendall(_get_apps(server) + _get_apps(server))  # two at once (pipelined)
        buffer = bytearray()
        assert _read_reply(sock, buffer)[0] == 200
        assert _read_reply(sock, buffer)[0] == 200


def test_a_body_far_larger_than_the_head_bound_arrives_with_its_head(server: Server) -> None:
    body = b'{"apps": [{"id": "big"}]' + b" " * (4 * MAX_HEAD_BYTES) + b"}"
    head = (
        b"POST /v2/users/me/apps HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Key {server.token}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)  # one write: the head and the body arrive in the same reads
        code, reply = _read_reply(sock)
    assert code == 200 and json.loads(reply)["status"]["code"] == 10000, reply


_PADDING = b"X-Padding: " + b"a" * 1000 + b"\r\n"
_HEADS = {  # what follows the request line, in the writes the client makes
    "one-write": [_PADDING * (MAX_HEAD_BYTES // 1000 + 8), b"\r\n"],
    "header-by-header": [_PADDING] * (MAX_HEAD_BYTES // 1000 + 8) + [b"\r\n"],
    "one-header-without-end": [b"X-Endless: "] + [b"a" * 4096] * (4 * MAX_HEAD_BYTES // 4096),
    "one-long-header": [b"X: " + b"b" * (MAX_HEAD_BYTES - 100) + b"\r\n\r\n"],
}


@pytest.mark.parametrize("writes", list(_HEADS.values()), ids=list(_HEADS))
def test_a_request_head_over_the_bound_is_refused_and_the_connection_closed(
    server: Server, writes: list[bytes]
) -> None:
    target = b"/v2/users/me/apps?" + b"q" * 200
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for chunk in writes:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while it was still sending
        try:
            code, body = _read_reply(sock)
        except ConnectionResetError:
            code, body = 400, b"(reset)"
    assert code == 400, body
    _still_answers(server)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nnot hex\r\n0\r\n\r\n",
        b"POST /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"GET /v2/users/me/apps HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n",
        b"GET /v2/users/me/apps\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"NOT-HTTP\r\n\r\n",
    ],
    ids=[
        "bad-chunk-size",
        "length-and-chunked",
        "negative-length",
        "space-in-name",
        "nul",
        "garbage",
    ],
)
def test_malformed_requests_are_refused_and_the_server_keeps_answering(
    server: Server, request_bytes: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_bytes)
        try:
            code, _ = _read_reply(sock)
        except ConnectionResetError:
            code = 400
    assert 400 <= code < 500 or code == 0  # refused (a 4xx, or the connection closed)
    _still_answers(server)
