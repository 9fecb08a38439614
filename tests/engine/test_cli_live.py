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
        (["--input", "x.jpg"], "only input"),
        (["--text", "t"], "only input"),
        (["--draw", "o.mp4"], "--draw is not for live"),
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
