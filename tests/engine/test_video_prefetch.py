"""iter_frames decoding ahead in a thread: same frames, same errors, nothing left open."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import InputError, media
from engine.proto import Video


def _write_video(path: Path, frames: int, fps: float = 10.0) -> Path:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (64, 48))
    for i in range(frames):
        img = np.zeros((48, 64, 3), np.uint8)
        cv2.rectangle(img, (i * 2, 10), (i * 2 + 10, 20), (255, 255, 255), -1)
        writer.write(img)
    writer.release()
    return path


def _decoders() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "opgraph-video-decode"]


def test_prefetched_frames_equal_the_synchronous_ones(tmp_path: Path) -> None:
    video = Video.from_source(str(_write_video(tmp_path / "v.mp4", 20)))
    ahead = list(media.iter_frames(video, 200))
    inline = list(media.iter_frames(video, 200, prefetch=0))
    assert [f[:3] for f in ahead] == [f[:3] for f in inline] and len(ahead) == 10
    assert all(np.array_equal(a[3], b[3]) for a, b in zip(ahead, inline, strict=True))
    assert not _decoders()


def test_errors_reach_the_caller(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video" * 20)
    with pytest.raises(InputError, match="not a video"):
        list(media.iter_frames(Video.from_source(str(bad))))
    assert not _decoders()


def test_a_caller_stopping_early_closes_the_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _write_video(tmp_path / "v.mp4", 30).read_bytes()
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    frames = media.iter_frames(Video.from_source(raw), 100, prefetch=1)
    next(frames)
    temps = list(private.glob("opgraph-*.video"))
    assert temps  # bytes are streamed from a temporary file while the frames are read
    frames.close()
    assert not _decoders()
    assert not any(t.exists() for t in temps)


def test_a_failing_frame_callback_stops_the_decoding_thread(tmp_path: Path) -> None:
    from engine import Workflow

    video = _write_video(tmp_path / "v.mp4", 30)
    wf = Workflow("w")
    wf.add("object-counter")

    def fail(*_: object) -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(RuntimeError, match="callback failed"):
        wf.predict(str(video), sample_ms=100, keep_frames=False, on_frame=fail)
    assert not _decoders()  # while the traceback still holds the executor's frame


def test_ctrl_c_during_a_slow_video_download_returns_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.server
    import signal
    import threading
    import time

    from engine import Video, media

    done = threading.Event()
    sent: list[int] = []  # chunks the server has sent

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # a 10 s download, one small chunk a second
            self.send_response(200)
            self.send_header("Content-Length", str(10 * 1024))
            self.end_headers()
            for _ in range(10):
                self.wfile.write(b"\0" * 1024)
                sent.append(1)
                self.wfile.flush()
                if done.wait(1):  # the test is over: end the download (short) now
                    return

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setattr(media.settings, "allow_private_urls", True)
    url = f"http://127.0.0.1:{httpd.server_address[1]}/v.mp4"
    main = threading.get_ident()
    # Ctrl-C as a user's terminal sends it, whatever an earlier test left behind: Python's
    # own handler, and the signal not blocked in this thread
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT)).start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(media.iter_frames(Video(url=url), 1000))
    finally:
        chunks = len(sent)  # counted, not timed: a busy machine only slows both sides
        done.set()
        httpd.shutdown()
        httpd.server_close()
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    assert chunks < 10  # Ctrl-C did not wait for the download to end
    deadline = time.monotonic() + 60  # the abandoned download thread ends on its own
    while any(t.name == "opgraph-video-decode" for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_the_gil_switch_interval_is_short_while_decoding_ahead(tmp_path: Path) -> None:
    import sys

    from engine._prefetch import SWITCH_S

    video = Video.from_source(str(_write_video(tmp_path / "v.mp4", 6)))
    before = sys.getswitchinterval()
    seen = [sys.getswitchinterval() for _ in media.iter_frames(video, 100)]
    assert seen and all(s == pytest.approx(SWITCH_S, abs=2e-6) for s in seen)
    assert sys.getswitchinterval() == before  # restored at the end
    frames = media.iter_frames(video, 100)
    next(frames)
    frames.close()  # a caller stopping early restores it too
    assert sys.getswitchinterval() == before


def test_quick_switches_nest_and_keep_a_shorter_interval() -> None:
    import sys

    from engine._prefetch import SWITCH_S, quick_switches

    before = sys.getswitchinterval()
    try:
        with quick_switches():
            with quick_switches():
                assert sys.getswitchinterval() == pytest.approx(SWITCH_S, abs=2e-6)
            assert sys.getswitchinterval() == pytest.approx(SWITCH_S, abs=2e-6)  # one user is left
        assert sys.getswitchinterval() == before
        sys.setswitchinterval(SWITCH_S / 2)  # a caller's shorter interval is not raised
        with quick_switches():
            assert sys.getswitchinterval() == pytest.approx(SWITCH_S / 2, abs=2e-6)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_S / 2, abs=2e-6)
    finally:
        sys.setswitchinterval(before)
