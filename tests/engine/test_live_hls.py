"""engine/live_hls.py: HLS live sources served on 127.0.0.1, every URL through the guard."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from engine import InputError
from engine._fetch import FetchError
from engine.live import LiveReader, LiveSettings, is_live_by_itself
from engine.live_hls import Playlist, decode_segment, hls_frames
from tests.engine.test_live import (
    FAST,
    _ids,
    _tracking,
    assert_ids_follow_the_gaps,
    run_with_drops,
)
from tests.hls_server import FPS, SEGMENT_S, VOD_SEGMENTS, HlsCamera, hls_camera, segment


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> Iterator[HlsCamera]:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    with hls_camera() as cam:
        yield cam


def test_hls_urls_are_live_by_themselves() -> None:
    assert is_live_by_itself("https://cam.example/live/index.m3u8")
    assert is_live_by_itself("rtsp://cam.example/stream")
    assert not is_live_by_itself("https://cam.example/video.mjpg")


def test_a_tracked_square_keeps_one_id_over_the_hls_stream(camera: HlsCamera) -> None:
    stream = _tracking().stream(camera.url, sample_ms=100, live=FAST)
    seen = [_ids(r) for _, r in zip(range(12), stream, strict=False)]
    stream.close()
    assert seen == [["1"]] * 12
    # the playlist and the segments were all fetched by us, segment after segment
    assert any(p.startswith("/seg/") for p in camera.requests)


@pytest.mark.slow
def test_a_short_drop_keeps_the_track_and_a_long_gap_starts_a_new_one(
    camera: HlsCamera,
) -> None:
    # the camera is down ~0.5 s after the 4th frame, later ~3.5 s; the segment already
    # fetched plays out first, so the gap the stream sees is up to a segment shorter
    seen, gaps = run_with_drops(camera, FAST, {4: 0.5, 10: 3.5}, 18)
    assert seen[:4] == [["1"]] * 4, seen
    assert_ids_follow_the_gaps(seen, gaps, FAST.reset_after_s, drops=2)


def test_a_playlist_that_ends_plays_once(camera: HlsCamera) -> None:
    reader = LiveReader(camera.vod_url, LiveSettings(max_delay_s=60.0, buffered_frames=1000))
    try:
        frames = list(reader.frames())
    finally:
        reader.close()
    assert len(frames) == VOD_SEGMENTS * round(FPS * SEGMENT_S)
    # paced by the frames' own times: the last came about 2 s after the first (a lower
    # bound only: a busy machine can only make it later)
    spread = frames[-1].arrival - frames[0].arrival
    assert spread > 1.0


def test_a_private_playlist_address_is_refused_before_any_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    with hls_camera() as cam:
        reader = LiveReader(cam.url, FAST)
        with pytest.raises(InputError, match="private, loopback"):
            list(reader.frames())
        assert cam.requests == []


def test_a_segment_on_a_host_the_guard_refuses_is_never_fetched(
    camera: HlsCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a playlist on 127.0.0.1 whose segment lies on another private address
    text = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:0.5,\nhttp://10.9.8.7/seg.ts\n"
        "#EXT-X-ENDLIST\n"
    )
    monkeypatch.setattr(HlsCamera, "reply", lambda self, path: (text.encode(), "x"))
    stop = threading.Event()
    with pytest.raises(FetchError, match=r"10\.9\.8\.7 is 10\.9\.8\.7, a private"):
        list(hls_frames(camera.url, timeout_s=2, allow_private=False, stop=stop))


def test_a_segment_that_is_not_a_plain_container_is_refused() -> None:
    with pytest.raises(FetchError, match="not MPEG-TS or MP4"):
        list(decode_segment(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n", "s"))
    frames = list(decode_segment(segment(1), "s"))
    assert len(frames) == round(FPS * SEGMENT_S) and frames[0][0].shape == (120, 160, 3)


def test_playlists_are_parsed_with_absolute_urls() -> None:
    master = (
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2\nhi.m3u8\n"
    )
    pl = Playlist.parse(master, "http://h/a/master.m3u8")
    assert pl.variants == ["http://h/a/low/index.m3u8", "http://h/a/hi.m3u8"]
    media = (
        "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:7\n"
        '#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\n/s/7.m4s\n#EXTINF:3.5,\n8.m4s\n#EXT-X-ENDLIST\n'
    )
    pl = Playlist.parse(media, "http://h/a/x.m3u8")
    assert [(s.sequence, s.url, s.duration) for s in pl.segments] == [
        (7, "http://h/s/7.m4s", 4.0), (8, "http://h/a/8.m4s", 3.5)]
    assert pl.ended and pl.init_url == "http://h/a/init.mp4" and pl.target_duration == 4.0


@pytest.mark.parametrize("text,match", [
    ("<html>", "not an HLS playlist"),
    ("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-3\n", "bad HLS playlist"),
    ("#EXTM3U\n#EXTINF:forever,\nx.ts\n", "bad HLS playlist"),
    ('#EXTM3U\n#EXT-X-MAP:BYTERANGE="1@0"\n', "bad HLS playlist"),
])
def test_bad_playlists_are_one_clear_error(text: str, match: str) -> None:
    with pytest.raises(FetchError, match=match):
        Playlist.parse(text, "http://h/x.m3u8")


def test_an_encrypted_playlist_is_refused(
    camera: HlsCamera, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:0.5,\nseg/0.ts\n"
    monkeypatch.setattr(HlsCamera, "reply", lambda self, path: (text.encode(), "x"))
    reader = LiveReader(camera.url, FAST)
    with pytest.raises(InputError, match="encrypted HLS"):
        list(reader.frames())


