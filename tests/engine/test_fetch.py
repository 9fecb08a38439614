"""engine._fetch and engine._netguard: the address guard, redirects and the total deadline.

Every server here listens on 127.0.0.1; other addresses only ever reach the guard, which
must refuse them before any connection is made.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from engine import FetchError, Image, Video, fetch, media
from engine._fetch import iter_url_chunks
from engine._netguard import AddressPolicy, embedded_ipv4, is_public
from tests.http_servers import Recorded, serve, trickle_server

LOOPBACK = "127.0.0.0/8"

# private, loopback, link-local and special addresses, and IPv6 spellings of them
REFUSED = [
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "192.0.2.1",
    "::1", "::", "fe80::1", "fe80::1%1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1",
    "2001:db8::1",
    "::127.0.0.1", "::10.0.0.1", "::169.254.169.254",  # IPv4-compatible
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:0:127.0.0.1",  # IPv4-translated (SIIT)
    "64:ff9b::127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::169.254.169.254",  # NAT64
    "64:ff9b:1::8.8.8.8", "64:ff9b:1::1",  # local-use NAT64
    "2002:7f00:1::", "2002:a00:1::1", "2002:a9fe:a9fe::1",  # 6to4
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:a00:1::1",  # Teredo, server 10.0.0.1
    "2606:4700::5efe:7f00:1", "2606:4700::200:5efe:a00:1",  # ISATAP
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2002:808:808::1", "64:ff9b::8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_global_addresses_are_not_public(address: str) -> None:
    assert not is_public(ip_address(address))
    assert not AddressPolicy().permits(ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_global_addresses_are_public(address: str) -> None:
    assert is_public(ip_address(address))


def test_embedded_ipv4_addresses_are_found() -> None:
    found = embedded_ipv4(ip_address("2001:0:4136:e378:8000:63bf:80ff:fffe"))  # type: ignore[arg-type]
    assert [str(a) for a in found] == ["65.54.227.120", "127.0.0.1"]
    assert embedded_ipv4(ip_address("2606:4700:4700::1111")) == []  # type: ignore[arg-type]


def test_the_allow_setting_takes_all_or_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    assert AddressPolicy.from_env(True).permits(ip_address("10.0.0.1"))
    only = AddressPolicy.from_env("127.0.0.0/8, fd00::/8")
    assert only.permits(ip_address("127.0.0.1")) and only.permits(ip_address("fd00::5"))
    assert only.permits(ip_address("::ffff:127.0.0.1"))  # the same host, spelled in IPv6
    assert not only.permits(ip_address("10.0.0.1"))
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "yes")
    assert AddressPolicy.from_env().allow_all
    for off in ("0", "false", "off", ""):
        monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", off)
        assert AddressPolicy.from_env() == AddressPolicy()
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "not-a-network")
    with pytest.raises(FetchError, match=r"OPGRAPH_ALLOW_PRIVATE_URLS: .*10\.0\.0\.0/8"):
        fetch("http://127.0.0.1:9/", max_bytes=10, timeout_s=1)


def _ok(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "text/plain"}, b"hello"


@pytest.fixture(autouse=True)
def _nothing_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    monkeypatch.setattr(media.settings, "allow_private_urls", False)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1.", "[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]",
             "[2002:7f00:1::]", "[::ffff:0:7f00:1]", "localhost", "[::1]", "0.0.0.0"]
)
def test_private_spellings_are_refused_before_connecting(host: str) -> None:
    with serve(_ok) as server:
        with pytest.raises(FetchError, match="private, loopback or link-local") as refused:
            fetch(f"http://{host}:{server.port}/x", max_bytes=100, timeout_s=5)
        assert server.requests == []
        assert not refused.value.retryable


def test_an_open_and_a_closed_port_give_the_same_refusal() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    messages = []
    with serve(_ok) as server:
        for port in (server.port, closed):
            with pytest.raises(FetchError) as refused:
                fetch(f"http://10.0.0.1:{port}/", max_bytes=100, timeout_s=5)
            messages.append(str(refused.value).replace(str(port), "PORT"))
    assert messages[0] == messages[1]


def test_allowed_networks_reach_a_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(_ok) as server:
        reply = fetch(f"{server.url}/x", max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
        assert (reply.status, reply.body) == (200, b"hello")
        monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "1")
        assert fetch(f"{server.url}/x", max_bytes=100, timeout_s=5).body == b"hello"


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: list[list[str]]) -> list[str]:
    """getaddrinfo answers each lookup with the next list of addresses; returns hosts asked."""
    asked: list[str] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        addrs = answers.pop(0) if answers else ["127.0.0.1"]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addrs]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_is_resolved_once_and_the_checked_address_is_dialled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a rebinding name: the first answer passes the check, any later one would not
    asked = _fake_dns(monkeypatch, [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])
    with serve(_ok) as server:
        reply = fetch(f"http://media.test:{server.port}/a", max_bytes=100, timeout_s=5,
                      allow_private=LOOPBACK)
    assert reply.body == b"hello" and asked == ["media.test"]
    assert server.requests[0].headers["Host"] == f"media.test:{server.port}"


def test_every_resolved_address_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, [["127.0.0.1", "10.0.0.1"]])
    with serve(_ok) as server:
        with pytest.raises(FetchError, match=r"media.test is 10.0.0.1, a private"):
            fetch(f"http://media.test:{server.port}/", max_bytes=100, timeout_s=5,
                  allow_private=LOOPBACK)
        assert server.requests == []


def _redirect(to: str, status: int = 302) -> Any:
    def route(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        return status, {"Location": to}, b""

    return route


def test_every_redirect_is_checked_again() -> None:
    for target in ("http://10.0.0.1/", "http://[::ffff:192.168.0.1]/", "http://169.254.169.254/"):
        with serve(_redirect(target)) as server:
            with pytest.raises(FetchError, match="private, loopback"):
                fetch(server.url, max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
    for target in ("file:///etc/passwd", "ftp://example.com/", "gopher://x/"):
        with serve(_redirect(target)) as server:
            with pytest.raises(FetchError, match="only http and https"):
                fetch(server.url, max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
    with serve(_redirect("/again")) as server:
        with pytest.raises(FetchError, match="more than 5 redirects"):
            fetch(server.url, max_bytes=100, timeout_s=5, allow_private=LOOPBACK)


def test_credentials_do_not_follow_a_redirect_to_another_host() -> None:
    auth = {"Authorization": "Bearer secret", "Cookie": "s=1", "X-Other": "kept"}
    with serve(_ok) as other, serve(_redirect(f"{other.url}/landing", 307)) as first:
        reply = fetch(f"{first.url}/start", method="POST", body=b"{}", headers=auth,
                      max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
    assert reply.url == f"{other.url}/landing" and reply.body == b"hello"
    assert first.requests[0].headers["Authorization"] == "Bearer secret"
    landed = other.requests[0]
    assert "Authorization" not in landed.headers and "Cookie" not in landed.headers
    assert landed.headers["X-Other"] == "kept"
    assert (landed.method, landed.body) == ("POST", b"{}")  # 307 keeps the method and body


def test_same_host_redirects_keep_credentials_and_303_becomes_get() -> None:
    hops: list[str] = []

    def route(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        hops.append(rec.path)
        return (303, {"Location": "/done"}, b"") if rec.path == "/start" else _ok(rec)

    with serve(route) as server:
        fetch(f"{server.url}/start", method="POST", body=b"x", headers={"Authorization": "k"},
              max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
    done = server.requests[1]
    assert hops == ["/start", "/done"] and done.method == "GET" and done.body == b""
    assert done.headers["Authorization"] == "k"


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "prefix", [b"", b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n"]
)
def test_a_trickling_server_meets_the_total_deadline(prefix: bytes) -> None:
    # the status line, a header or the body one byte at a time: each read is quick, the
    # whole never ends; only a deadline on the whole exchange stops it
    with trickle_server(prefix) as url:
        with pytest.raises(FetchError, match=r"longer than the time limit \(0.3 s\)") as slow:
            fetch(url, max_bytes=1 << 20, timeout_s=0.3, allow_private=LOOPBACK)
    assert slow.value.retryable


@pytest.mark.timeout(30)
def test_image_and_video_urls_meet_the_total_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media.settings, "allow_private_urls", LOOPBACK)
    monkeypatch.setattr(media.settings, "url_timeout_s", 0.3)
    monkeypatch.setattr(media.settings, "video_url_timeout_s", 0.3)
    with trickle_server() as url:
        with pytest.raises(FetchError, match="longer than the time limit"):
            media.decode_image(Image(url=f"{url}/a.png"))
        with pytest.raises(FetchError, match="longer than the time limit"):
            list(media.iter_frames(Video(url=f"{url}/v.mp4"), 500, prefetch=0))


def test_short_bodies_and_errors_are_reported() -> None:
    def liar(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        return 200, {"Content-Length": "50"}, b"only ten.."

    with serve(liar) as server:
        with pytest.raises(FetchError, match="ended early: 40 bytes missing"):
            fetch(server.url, max_bytes=100, timeout_s=5, allow_private=LOOPBACK)
    with serve(lambda rec: (404, {}, b"no")) as server:
        assert fetch(server.url, max_bytes=100, timeout_s=5, allow_private=LOOPBACK).status == 404
        with pytest.raises(FetchError, match="HTTP 404"):
            list(iter_url_chunks(server.url, max_bytes=100, timeout_s=5, allow_private=True))
    for bad in ("http://127.0.0.1:notaport/", "http:///nohost", "nothing"):
        with pytest.raises(FetchError, match="refusing"):
            fetch(bad, max_bytes=100, timeout_s=5)


def test_an_unknown_host_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)  # no lookup leaves the machine
    with pytest.raises(FetchError, match=r"cannot resolve .no-such-host\.invalid."):
        fetch("http://no-such-host.invalid/", max_bytes=100, timeout_s=5)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server on 127.0.0.1 with a self-signed certificate for media.test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=media.test",
         "-addext", "subjectAltName=DNS:media.test"],
        check=True, capture_output=True, timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secure")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://media.test:{httpd.server_address[1]}/", cert
    httpd.shutdown()
    httpd.server_close()


def test_https_dials_the_checked_address_and_verifies_the_named_host(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, cert = tls_server
    _fake_dns(monkeypatch, [["127.0.0.1"]] * 3)
    with pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        fetch(url, max_bytes=100, timeout_s=10, allow_private=LOOPBACK)  # not trusted yet
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
    assert fetch(url, max_bytes=100, timeout_s=10, allow_private=LOOPBACK).body == b"secure"
    with pytest.raises(FetchError, match="private, loopback"):
        fetch(url, max_bytes=100, timeout_s=10)
