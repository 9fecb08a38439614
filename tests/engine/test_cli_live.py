"""engine/cli_live.py: ``opgraph run`` on a live MJPEG camera served on 127.0.0.1."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pytest

import tests.engine.test_live  # noqa: F401  (registers test-bright-blobs)
from engine.cli import main
from engine.cli_live import _Status
from engine.live import LiveReader
from tests.mjpeg_server import MjpegCamera, mjpeg_camera

FLOW = """
workflow:
  id: live
  nodes:
    - id: detect
      model: {model_id: blobs, model_type_id: test-bright-blobs}
    - id: track
      model: {model_id: tracker, model_type_id: byte-tracker}
      node_inputs: [{node_id: detect}]
"""


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "live.yml"
    path.write_text(FLOW)
    return path


@pytest.fixture
def camera(monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    with mjpeg_camera(fps=30) as cam:
        yield cam


def test_run_prints_one_json_line_per_live_frame(
    flow: Path, camera: MjpegCamera, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", str(flow), "--input", camera.url, "--live", "--sample-ms", "100"]
    assert main([*argv, "--max-frames", "4"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["frame_info"]["index"] for x in lines] == [0, 1, 2, 3]
    assert all(x["status"]["code"] == 10000 for x in lines)
    tracked = [r.get("track_id") for r in lines[-1]["outputs"][1]["data"]["regions"]]
    assert tracked == ["1"]


def test_a_camera_that_never_opens_is_one_line_and_exit_2(
    flow: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import cli_live
    from engine.live import LiveSettings

    quick = functools.partial(LiveSettings, open_timeout_s=0.3, backoff_s=0.05)
    monkeypatch.setattr(cli_live, "LiveSettings", quick)
    assert main(["run", str(flow), "--input", "/dev/video99"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "could not open live source /dev/video99" in err[0]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--input", "x.jpg"], "cannot be mixed with other inputs"),
        (["--text", "t"], "cannot be mixed with other inputs"),
        (["--draw", "o.png"], "an .mp4 or .avi"),
        (["--input", "1", "--draw", "o.mp4"], "takes one source"),
        (["--save-crops", "crops"], "--save-crops is not for live"),
        (["--preview", "70000"], "not a port number"),
        (["--format", "csv"], "use --format jsonl"),
        (["--max-frames", "0"], "not a whole number >= 1"),
    ],
)
def test_live_usage_errors(
    flow: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(flow), "--input", "0", *extra]) == 2
    assert message in capsys.readouterr().err


def test_live_needs_a_live_input(flow: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(flow), "--input", "photo.jpg", "--live"]) == 2
    assert "--live needs" in capsys.readouterr().err
    assert main(["run", str(flow), "--input", "photo.jpg", "--preview", "0"]) == 2
    assert "--preview is for live sources" in capsys.readouterr().err


def test_several_sources_run_in_parallel_each_with_its_own_state(
    flow: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two cameras on 127.0.0.1
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    with mjpeg_camera(fps=30) as one, mjpeg_camera(fps=30) as two:
        argv = ["run", str(flow), "--input", one.url, "--input", two.url, "--live"]
        assert main([*argv, "--sample-ms", "100", "--max-frames", "5"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    # then each stream has its own lines, named by input position and source, indexed from 0
    by = {k: [x for x in lines if x["input"] == k] for k in (0, 1)}
    assert [x["stream"] for x in by[0]] == [one.url] * 5
    assert [x["stream"] for x in by[1]] == [two.url] * 5
    for k in (0, 1):
        assert [x["frame_info"]["index"] for x in by[k]] == [0, 1, 2, 3, 4]
        # and each stream's tracker gives its square id "1": no state is shared
        ids = {r.get("track_id") for x in by[k] for r in x["outputs"][1]["data"]["regions"]}
        assert ids == {"1"}


def test_draw_writes_the_live_frames_to_a_video(
    flow: Path, camera: MjpegCamera, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2

    out = tmp_path / "live.mp4"
    argv = ["run", str(flow), "--input", camera.url, "--live", "--sample-ms", "100"]
    assert main([*argv, "--max-frames", "6", "--draw", str(out)]) == 0
    cap = cv2.VideoCapture(str(out))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    # then every processed frame is in the video, with the track drawn (a coloured box)
    assert len(frames) == 6
    assert frames[-1].shape[:2] == (120, 160)
    colourful = (frames[-1].max(axis=2).astype(int) - frames[-1].min(axis=2)) > 80
    assert colourful.sum() > 20


def _first_jpeg(url: str, timeout: float = 10.0) -> bytes:
    """One JPEG cut from an MJPEG reply, read with a plain HTTP client."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=timeout) as resp:
        assert resp.headers["Content-Type"].startswith("multipart/x-mixed-replace")
        buf = b""
        while (end := buf.find(b"\xff\xd9")) < 0:
            buf += resp.read1(65536)
        return buf[buf.find(b"\xff\xd8") : end + 2]


def test_preview_serves_the_drawn_frames_on_127_0_0_1(
    flow: Path, camera: MjpegCamera, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    import cv2
    import numpy as np

    from engine import cli_live

    seen: dict[str, object] = {}
    real = cli_live._open_preview

    def watch(port: int | None, streams: int) -> object:
        server = real(port, streams)

        def viewer() -> None:  # a viewer that connects as soon as the server is up
            seen["jpeg"] = _first_jpeg(server.url)

        seen["thread"] = t = threading.Thread(target=viewer, daemon=True)
        t.start()
        return server

    argv = ["run", str(flow), "--input", camera.url, "--live", "--sample-ms", "100"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli_live, "_open_preview", watch)
        assert main([*argv, "--max-frames", "40", "--preview", "0"]) == 0
    seen["thread"].join(10)  # type: ignore[attr-defined]
    err = capsys.readouterr().err
    assert "preview: http://127.0.0.1:" in err
    img = cv2.imdecode(np.frombuffer(seen["jpeg"], np.uint8), cv2.IMREAD_COLOR)  # type: ignore[arg-type]
    assert img.shape[:2] == (120, 160)


def test_status_line_counts_frames_in_processed_and_dropped() -> None:
    reader = LiveReader("0")
    reader.received, reader.dropped = 30, 20
    err = io.StringIO()
    status = _Status(reader, err)
    status.started -= 1.0
    status.last -= 2.0
    status.frame_done()
    status.finish()
    text = err.getvalue()
    assert "fps in" in text and "fps processed" in text and "20 dropped" in text
    assert text.endswith("\n")


def test_an_hls_playlist_is_live_without_the_flag(
    flow: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.hls_server import hls_camera

    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    with hls_camera() as cam:
        argv = ["run", str(flow), "--input", cam.url, "--sample-ms", "100"]
        assert main([*argv, "--max-frames", "3"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["frame_info"]["index"] for x in lines] == [0, 1, 2]
    assert {x["stream"] for x in lines} == {cam.url}
