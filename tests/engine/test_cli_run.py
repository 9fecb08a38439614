"""engine/cli_run.py: `opgraph run` output formats, crops, progress bars and logging."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

import cv2
import numpy as np
import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine.cli import main
from engine.cli_output import CSV_COLUMNS
from tests.engine.test_cli import UPPER
from tests.sample_media import ROOT, SAMPLE_GRAPH, moving_boxes

CROP = """
workflow:
  id: crops
  nodes:
    - id: detect
      model:
        model_id: replay
        model_type_id: detections-file
        output_info:
          params: {{path: '{dets}', label: thing, fps: {fps}}}
    - id: crop
      model:
        model_id: cropper
        model_type_id: image-crop
      node_inputs:
        - node_id: detect
"""


@pytest.fixture
def shout(tmp_path: Path) -> Path:
    path = tmp_path / "shout.yml"
    path.write_text(UPPER)
    return path


@pytest.fixture
def still(tmp_path: Path) -> tuple[Path, Path]:
    """A 200x100 image with a red and a blue square, and a graph cropping both."""
    image = np.zeros((100, 200, 3), np.uint8)
    image[10:50, 20:60] = (0, 0, 255)
    image[40:90, 120:190] = (255, 0, 0)
    path = tmp_path / "squares.png"
    cv2.imwrite(str(path), image)
    dets = tmp_path / "dets.json"
    boxes = [[20, 10, 60, 50], [120, 40, 190, 90]]
    dets.write_text(json.dumps({"0": [{"box": b, "score": 0.9} for b in boxes]}))
    flow = tmp_path / "crops.yml"
    flow.write_text(CROP.format(dets=dets, fps=10))
    return flow, path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# ---- formats ------------------------------------------------------------------------------


def test_json_is_compact_when_stdout_is_not_a_terminal(
    shout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["run", str(shout), "--text", "a", "--text", "b"], capsys)
    assert code == 0
    assert out.count("\n") == 1 and ": " not in out  # one line, no padding
    assert len(json.loads(out)["results"]) == 2


def test_jsonl_is_one_line_per_input(shout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["run", str(shout), "--format", "jsonl", "--text", "a", "--text", "boom"], capsys
    )
    assert code == 1  # one input failed: still a line for it
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["outputs"][0]["data"].get("text", {}).get("raw") for r in lines] == ["A", None]
    assert lines[1]["status"]["code"] != 10000


def test_csv_has_the_documented_columns_and_a_row_per_input_and_node(
    shout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    texts = ["--text", "hi", "--text", "=1+1", "--text", "boom"]
    argv = ["run", str(shout), "--format", "csv", *texts]
    code, out, _ = _run(argv, capsys)
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [(r["input"], r["node"], r["text"]) for r in rows] == [
        ("0", "up", "HI"),
        ("1", "up", "'=1+1"),  # a spreadsheet would run it as a formula: quoted
        ("2", "up", ""),
    ]
    assert rows[0]["status"] == "10000" and rows[2]["status"] != "10000"
    assert "exploded" in rows[2]["error"]


def test_csv_lists_each_region_with_its_box_concept_and_track(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, _ = moving_boxes(tmp_path)
    argv = ["run", str(SAMPLE_GRAPH), "--input", str(video), "--sample-ms", "1000"]
    code, out, _ = _run([*argv, "--format", "csv"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    track = [r for r in rows if r["node"] == "track"]
    # 6 sampled frames x 3 boxes, each with its frame, time, box, concept and track id
    assert len(track) == 18
    assert {r["frame"] for r in track} == {"0", "1", "2", "3", "4", "5"}
    assert {r["time_ms"] for r in track} == {str(t) for t in range(0, 6000, 1000)}
    assert {r["track_id"] for r in track} == {"box-1", "box-2", "box-3"}
    assert all(r["concept"] == "box" and float(r["value"]) == pytest.approx(0.9) for r in track)
    first = next(r for r in track if r["frame"] == "0" and r["track_id"] == "box-1")
    assert float(first["left_col"]) == pytest.approx(20 / 640)
    # the counter's counts are in the metadata column of its whole-frame rows
    counts = [json.loads(r["metadata"]) for r in rows if r["node"] == "count" and r["metadata"]]
    assert len(counts) == 6 and all(c["object_count"] == 3 for c in counts)


def test_stream_with_csv_is_refused(shout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["run", str(shout), "--text", "a", "--stream", "--format", "csv"], capsys)
    assert code == 2 and "--stream prints JSON lines" in err


def test_out_file_gets_the_chosen_format(
    shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert main(["run", str(shout), "--text", "a", "--format", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert out.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)


# ---- crops --------------------------------------------------------------------------------


def test_save_crops_writes_one_file_per_region_image(
    still: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow, image = still
    crops = tmp_path / "crops" / "deep"
    code, out, _ = _run(
        ["run", str(flow), "--input", str(image), "--save-crops", str(crops)], capsys
    )
    assert code == 0 and json.loads(out)["results"]
    names = sorted(p.name for p in crops.iterdir())
    assert names == ["0000-squares-crop-0.png", "0000-squares-crop-1.png"]
    red = cv2.imread(str(crops / names[0]))
    blue = cv2.imread(str(crops / names[1]))
    # the cropper's own rounding may add a pixel row or column
    assert abs(red.shape[0] - 40) <= 1 and abs(red.shape[1] - 40) <= 1
    assert abs(blue.shape[0] - 50) <= 1 and abs(blue.shape[1] - 70) <= 1
    assert (red[20, 20] == (0, 0, 255)).all() and (blue[25, 35] == (255, 0, 0)).all()


def test_save_crops_from_a_video_names_each_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video, dets = moving_boxes(tmp_path)
    flow = tmp_path / "crops.yml"
    flow.write_text(CROP.format(dets=dets, fps=10))
    crops = tmp_path / "crops"
    argv = ["run", str(flow), "--input", str(video), "--sample-ms", "1000", "--stream"]
    code, _, _ = _run([*argv, "--save-crops", str(crops)], capsys)
    assert code == 0
    names = sorted(p.name for p in crops.iterdir())
    assert len(names) == 18  # 6 frames x 3 boxes, crops of the cropper node only
    assert names[0] == "0000-moving-boxes-f000000-crop-0.png"
    assert names[-1] == "0000-moving-boxes-f000005-crop-2.png"  # the sampled frame's index
    assert abs(cv2.imread(str(crops / names[0])).shape[0] - 40) <= 1


def test_save_crops_never_follows_a_symlink(
    still: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow, image = still
    crops = tmp_path / "crops"
    crops.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (crops / "0000-squares-crop-0.png").symlink_to(victim)
    code, out, err = _run(
        ["run", str(flow), "--input", str(image), "--save-crops", str(crops)], capsys
    )
    assert code == 2 and "--save-crops" in err and err.count("\n") == 1
    assert json.loads(out)["results"]  # the results were out before the crops
    assert victim.read_text() == "keep me"


def test_save_crops_into_a_file_is_refused(
    still: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow, image = still
    code, out, err = _run(
        ["run", str(flow), "--input", str(image), "--save-crops", str(image)], capsys
    )
    assert code == 2 and "not a folder" in err and out == ""


# ---- logging ------------------------------------------------------------------------------


def test_verbose_logs_node_failures_and_quiet_hides_warnings(
    shout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = _run(["run", str(shout), "--text", "boom"], capsys)
    assert err == ""
    _, out, err = _run(["run", str(shout), "--text", "boom", "-v"], capsys)
    assert "INFO" in err and "exploded" in err and json.loads(out)
    _, _, err = _run(["-vv", "run", str(shout), "--text", "boom"], capsys)
    assert "DEBUG" in err and "Traceback" in err  # -vv: the node's traceback, for debugging
    _, _, err = _run(["run", str(shout), "--text", "boom", "-q"], capsys)
    assert err == ""


# ---- progress bars ------------------------------------------------------------------------


def _run_on_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """The real command with stderr on a pseudo-terminal and stdout to a file (a pipe
    would fill up while only the terminal is read)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    with tempfile.TemporaryFile() as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", *argv],
            cwd=cwd,
            stdout=stdout,
            stderr=slave,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        os.close(slave)
        err = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            err += chunk
        proc.wait(timeout=60)
        os.close(master)
        stdout.seek(0)
        out = stdout.read()
    return proc.returncode, out.decode(), err.decode("utf-8", "replace")


@pytest.mark.slow
def test_a_video_shows_a_frames_bar_on_the_terminal_only(tmp_path: Path) -> None:
    video, _ = moving_boxes(tmp_path)
    argv = ["run", str(SAMPLE_GRAPH), "--input", str(video), "--sample-ms", "1000"]
    code, out, err = _run_on_a_terminal(argv, ROOT)
    assert code == 0, err
    assert "frames" in err and "6/6" in err and "100%" in err  # a total, so an ETA
    assert "inputs" not in err  # one video: no batch bar
    assert json.loads(out)["results"]  # stdout is the JSON alone
    assert "\n  " not in out  # a pipe: compact
    code, out, err = _run_on_a_terminal([*argv, "-q"], ROOT)
    assert code == 0 and err == "" and json.loads(out)["results"]


@pytest.mark.slow
def test_a_batch_shows_an_inputs_bar(tmp_path: Path) -> None:
    flow = tmp_path / "lang.yml"
    flow.write_text(
        "workflow:\n  id: lang\n  nodes:\n    - id: lang\n      model:\n"
        "        model_id: lang\n        model_type_id: language-id-operator\n"
    )
    texts = [a for k in range(12) for a in ("--text", f"hello world number {k}")]
    code, out, err = _run_on_a_terminal(["run", str(flow), *texts], ROOT)
    assert code == 0, err
    assert "inputs" in err and "100%" in err and "12/12" in err
    assert len(json.loads(out)["results"]) == 12


@pytest.mark.slow
def test_workers_give_the_same_lines_as_one_process(shout: Path, tmp_path: Path) -> None:
    texts = [a for i in range(12) for a in ("--text", f"t{i}")]
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["run", str(shout), *texts, "--format", "jsonl", "--out", str(one)]) == 0
    args = ["run", str(shout), *texts, "--format", "jsonl", "--workers", "2", "--out", str(two)]
    assert main(args) == 0
    assert two.read_text() == one.read_text()


def test_workers_refuse_what_needs_one_process(
    shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = ["--app", str(tmp_path / "app")]
    assert main(["run", str(shout), "--text", "a", "--workers", "2", *app]) == 2
    assert "--app runs in one process" in capsys.readouterr().err
    assert main(["run", str(shout), "--text", "a", "--workers", "100000"]) == 2
    assert "at most" in capsys.readouterr().err
    assert main(["run", str(shout), "--text", "a", "--workers", "0"]) == 2
