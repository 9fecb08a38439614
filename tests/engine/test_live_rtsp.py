"""engine/live_rtsp.py: RTSP served on 127.0.0.1 (FFmpeg encodes and packetises it), read by
FFmpeg pinned to an address the URL guard passed."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest

from engine import InputError
from engine._fetch import FetchError
from engine.live import LiveReader
from engine.live_rtsp import pinned_url
from tests.engine.test_live import (
    FAST,
    _ids,
    _tracking,
    assert_ids_follow_the_gaps,
    run_with_drops,
)
from tests.rtsp_server import RtspCamera, rtsp_camera

# FFmpeg's RTSP set-up takes a few round trips: a busy machine needs more than FAST's 0.5 s
RTSP = dataclasses.replace(FAST, open_timeout_s=10.0, idle_timeout_s=5.0, give_up_after_s=10.0)


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> Iterator[RtspCamera]:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    with rtsp_camera() as cam:
        yield cam


def test_a_tracked_square_keeps_one_id_over_rtsp(camera: RtspCamera) -> None:
    stream = _tracking().stream(camera.url, sample_ms=100, live=RTSP)
    seen = [_ids(r) for _, r in zip(range(10), stream, strict=False)]
    stream.close()
    assert seen == [["1"]] * 10
    # FFmpeg spoke RTSP over TCP to the address the guard checked
    assert [r.split(" ")[0] for r in camera.requests[:4]] == [
        "OPTIONS", "DESCRIBE", "SETUP", "PLAY"]
    assert all("127.0.0.1" in r for r in camera.requests[:4])


@pytest.mark.slow
def test_a_short_drop_keeps_the_track_and_a_long_gap_starts_a_new_one(
    camera: RtspCamera,
) -> None:
    # the camera hangs up for ~0.5 s after the 4th frame, later for ~3 s; FFmpeg reconnects
    seen, gaps = run_with_drops(camera, RTSP, {4: 0.5, 10: 3.0}, 16)
    assert seen[:4] == [["1"]] * 4, seen
    assert_ids_follow_the_gaps(seen, gaps, RTSP.reset_after_s, drops=2)


def test_a_private_address_is_refused_before_ffmpeg_connects(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.3)
        url = f"rtsp://127.0.0.1:{listener.getsockname()[1]}/cam"
        reader = LiveReader(url, RTSP)
        with pytest.raises(InputError, match="private, loopback or link-local"):
            list(reader.frames())
        with pytest.raises(TimeoutError):  # nobody ever knocked
            listener.accept()


def test_the_url_ffmpeg_gets_names_the_checked_address() -> None:
    allow = "127.0.0.0/8"
    got = pinned_url("rtsp://u%40x:p%3Aw@127.0.0.1/a/b?x=1", timeout_s=2, allow_private=allow)
    assert got == "rtsp://u%40x:p%3Aw@127.0.0.1:554/a/b?x=1"
    assert pinned_url("rtmp://127.0.0.2/live", timeout_s=2, allow_private=allow) == (
        "rtmp://127.0.0.2:1935/live")
    assert pinned_url("rtsp://[::1]:8554/c", timeout_s=2, allow_private=True) == (
        "rtsp://[::1]:8554/c")
    with pytest.raises(FetchError, match="bad port"):
        pinned_url("rtsp://127.0.0.1:99999999/c", timeout_s=2, allow_private=True)
    with pytest.raises(FetchError, match="no host"):
        pinned_url("rtsp:///c", timeout_s=2, allow_private=True)
