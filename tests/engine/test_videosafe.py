"""engine/_videosafe.py and the video side of engine/media.py: containers, protocols, timing.

Playlists and concat lists are built here pointing at real files (a readable video, and
/etc/passwd), so that a refusal means the guard stopped them, not that FFmpeg could not
find their target.
"""

from __future__ import annotations

import base64
import os
import random
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import InputError, Video, media
from engine._videosafe import check_fps, restrict_ffmpeg, sniff_container

MP4_HEAD = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 16
TS_HEAD = (b"\x47" + b"\x00" * 187) * 3


def _video(path: Path, fourcc: str = "mp4v", frames: int = 10, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (64, 48))
    assert writer.isOpened()
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    return path


def _avi_at_rate(tmp_path: Path, scale: int, rate: int) -> Path:
    """An MJPG AVI whose stream header declares ``rate / scale`` frames per second."""
    raw = bytearray(_video(tmp_path / "base.avi", "MJPG", frames=5).read_bytes())
    strh = raw.find(b"strh") + 8 + 20  # dwScale, dwRate follow 20 bytes into the header
    raw[strh : strh + 8] = struct.pack("<II", scale, rate)
    avih = raw.find(b"avih") + 8  # dwMicroSecPerFrame, FFmpeg's fallback
    raw[avih : avih + 4] = struct.pack("<I", 0)
    path = tmp_path / f"rate-{scale}-{rate}.avi"
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(
    ("head", "container"),
    [
        (MP4_HEAD, "mp4/mov"),
        (b"\x00\x00\x00\x08moov" + b"\x00" * 8, "mp4/mov"),
        (b"\x1a\x45\xdf\xa3\x01\x00", "webm/mkv"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (TS_HEAD, "mpeg-ts"),
        (b"\x00\x00\x00\x00" + (b"\x47" + b"\x00" * 191) * 3, "mpeg-ts"),
        (b"\x00\x00\x01\xba\x44", "mpeg-ps"),
        (b"FLV\x01\x05", "flv"),
        (b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n", None),
        (b"ffconcat version 1.0\nfile /etc/passwd\n", None),
        (b"file '/etc/passwd'\n", None),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"GIF89a", None),
        (b"", None),
        (b"\x47" + b"\x00" * 100, None),
    ],
)
def test_only_plain_containers_are_recognised(head: bytes, container: str | None) -> None:
    assert sniff_container(head) == container


def _playlists(tmp_path: Path) -> dict[str, bytes]:
    good = _video(tmp_path / "good.mp4")
    avi = _video(tmp_path / "good.avi", "MJPG")
    return {
        "concat-relative": b"ffconcat version 1.0\nfile good.mp4\n",
        "concat-absolute": f"ffconcat version 1.0\nfile {good}\n".encode(),
        "concat-passwd": b"ffconcat version 1.0\nfile /etc/passwd\n",
        "hls-video": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{avi}\n".encode(),
        "hls-passwd": b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n/etc/passwd\n",
        "hls-file-url": b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    }


def test_playlists_and_concat_lists_are_refused_however_they_arrive(tmp_path: Path) -> None:
    for name, body in _playlists(tmp_path).items():
        for suffix in (".mp4", ".m3u8", ".ffconcat"):
            path = tmp_path / f"{name}{suffix}"
            path.write_bytes(body)
            with pytest.raises(InputError, match="not a video in a supported container"):
                media.video_info(Video.from_source(str(path)))
        for video in (Video.from_source(body), Video(base64=base64.b64encode(body).decode())):
            with pytest.raises(InputError, match="not a video in a supported container"):
                list(media.iter_frames(video, prefetch=0))


def test_the_refused_lists_would_have_been_read_without_the_guard(tmp_path: Path) -> None:
    # the fixtures are live: FFmpeg itself follows them when nothing stops it
    lists = _playlists(tmp_path)
    (tmp_path / "list.ffconcat").write_bytes(lists["concat-relative"])
    (tmp_path / "list.m3u8").write_bytes(lists["hls-video"])
    for name in ("list.ffconcat", "list.m3u8"):
        cap = cv2.VideoCapture(str(tmp_path / name), cv2.CAP_FFMPEG)
        assert cap.isOpened() and cap.grab(), name
        cap.release()


def test_ffmpeg_protocols_are_limited_to_file(tmp_path: Path) -> None:
    good = _video(tmp_path / "good.mp4")
    restrict_ffmpeg()
    for url in (f"concat:{good}|{good}", f"subfile,,start,0,end,0,,:{good}"):
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
        assert not cap.isOpened(), url
    cap = cv2.VideoCapture(str(good), cv2.CAP_FFMPEG)
    assert cap.isOpened()
    cap.release()
    # a file whose name looks like a protocol is still just that file
    odd = tmp_path / "concat:odd.mp4"
    odd.write_bytes(good.read_bytes())
    assert media.video_info(Video.from_source(str(odd))).frame_count == 10


def test_restricting_ffmpeg_keeps_the_users_other_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = "rtsp_transport;tcp|protocol_whitelist;http"
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", user)
    restrict_ffmpeg()
    options = os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"]
    assert options == "rtsp_transport;tcp|protocol_whitelist;file"


def test_an_open_allowing_stream_protocols_leaves_ffmpeg_limited_to_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine._videosafe import open_capture

    good = _video(tmp_path / "good.mp4")
    monkeypatch.setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "stimeout;5|protocol_whitelist;http")
    # an RTSP open (nothing listens on port 9: it fails) with its own protocols and options
    cap = open_capture("rtsp://127.0.0.1:9/x", protocols="rtsp,rtp,tcp",
                       options=("rtsp_transport;tcp",))
    assert not cap.isOpened()
    # then the variable limits FFmpeg to files again, the user's other options kept
    assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == "stimeout;5|protocol_whitelist;file"
    assert not open_capture(f"concat:{good}|{good}").isOpened()
    assert open_capture(str(good)).isOpened()


def test_decoding_threads_are_a_workers_share_of_the_cores(tmp_path: Path) -> None:
    from engine._videosafe import open_capture, set_decode_threads

    good = str(_video(tmp_path / "good.mp4"))
    default = open_capture(good).get(cv2.CAP_PROP_N_THREADS)
    assert default >= 1  # FFmpeg's own choice (one per core here)
    try:
        set_decode_threads(1)  # as a worker of a pool sharing the cores does
        cap = open_capture(good)
        assert cap.get(cv2.CAP_PROP_N_THREADS) == 1 and cap.grab()
        # a caller's own setting wins over the process-wide one
        assert open_capture(good, params=(cv2.CAP_PROP_N_THREADS, 2)).get(
            cv2.CAP_PROP_N_THREADS) == 2
        with pytest.raises(ValueError, match="at least 1"):
            set_decode_threads(0)
    finally:
        set_decode_threads(None)
    assert open_capture(good).get(cv2.CAP_PROP_N_THREADS) == default


@pytest.mark.parametrize(("scale", "rate"), [(1_000_000_000, 1), (1, 1_000_000_000), (1, 5000)])
def test_absurd_frame_rates_are_refused(tmp_path: Path, scale: int, rate: int) -> None:
    video = Video.from_source(str(_avi_at_rate(tmp_path, scale, rate)))
    with pytest.raises(InputError, match="not a usable frame rate"):
        list(media.iter_frames(video, prefetch=0))


def test_a_slow_but_sane_rate_samples_without_looping(tmp_path: Path) -> None:
    # one frame per 1000 s: sampling steps straight to the next tick
    video = Video.from_source(str(_avi_at_rate(tmp_path, 1000, 1)))
    times = [t for _, t, _, _ in media.iter_frames(video, sample_ms=100, prefetch=0)]
    assert times == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000]


@pytest.mark.parametrize("fps", [0.0, float("nan"), float("inf")])
def test_no_declared_rate_falls_back_to_timestamps(fps: float) -> None:
    assert check_fps(fps, "v") is None


def test_negative_rate_is_refused() -> None:
    with pytest.raises(InputError, match="-5 frames per second"):
        check_fps(-5.0, "v")


def test_frames_per_input_are_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _video(tmp_path / "v.mp4", frames=30)
    monkeypatch.setattr(media.settings, "max_video_frames", 10)
    with pytest.raises(InputError, match="30 frames or more, past the 10-frame limit"):
        media.video_info(Video.from_source(str(path)))  # the declared count, before decoding
    monkeypatch.setattr(media.settings, "max_video_frames", 100)
    with media.open_video(Video.from_source(str(path))) as stream:
        monkeypatch.setattr(media.settings, "max_video_frames", 12)  # a count that lied
        with pytest.raises(InputError, match="13 frames or more, past the 12-frame limit"):
            list(stream.frames(100))


def _damaged_mp4(path: Path) -> Path:
    raw = bytearray(_video(path, frames=20).read_bytes())
    moov = raw.find(b"moov")
    rnd = random.Random(3)
    for k in range(200, moov - 100, 5):  # frame data damaged, the index intact
        raw[k] = rnd.randrange(256)
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.slow
def test_damaged_media_prints_nothing_of_ffmpeg_on_the_cli(tmp_path: Path) -> None:
    bad = _damaged_mp4(tmp_path / "bad.mp4")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}
    decode = (
        "import cv2, sys; cap = cv2.VideoCapture(sys.argv[1], cv2.CAP_FFMPEG)\n"
        "while cap.grab(): cap.retrieve()\n"
    )
    raw = subprocess.run([sys.executable, "-c", decode, str(bad)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert "damaged" in raw.stderr  # FFmpeg complains when left alone
    graph = tmp_path / "g.yml"
    graph.write_text(
        "workflow:\n  id: g\n  nodes:\n    - id: detect\n      model:\n"
        "        model_id: people\n        model_type_id: visual-detector\n"
        "        output_info:\n          params: {model: hog-person}\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "engine.cli", "run", str(graph), "--input", str(bad)],
        env=env, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2],
    )
    assert "damaged" not in run.stderr and "mpeg4 @" not in run.stderr, run.stderr
    assert "WARN" not in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) <= 1


@pytest.mark.slow
def test_damaged_media_is_quiet_even_when_cv2_was_imported_first(tmp_path: Path) -> None:
    bad = _damaged_mp4(tmp_path / "bad.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(bad.read_bytes()[: bad.stat().st_size // 2])  # no index: cannot open
    script = (
        "import cv2, sys\n"  # OpenCV reads its log level here, before engine can set it
        "from engine import InputError, Video, media\n"
        "for path in sys.argv[1:]:\n"
        "    try:\n"
        "        list(media.iter_frames(Video.from_source(path), 100, prefetch=0))\n"
        "    except InputError as exc:\n"
        "        print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_")}
    run = subprocess.run([sys.executable, "-c", script, str(bad), str(cut)], env=env,
                         capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[2])
    assert "not a video OpenCV can read" in run.stdout
    assert run.stderr == "", run.stderr
