"""The bundled workflows in graphs/ and the README's example run as shipped."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from engine import StatusCode, Workflow
from engine.cli import main
from engine.samples import shelf_label

ROOT = Path(__file__).resolve().parents[1]
_THIS_TREE = {**os.environ, "PYTHONPATH": str(ROOT)}  # examples import this tree's engine
GRAPHS = sorted((ROOT / "graphs").glob("*.yml"))


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_bundled_graph_validates_strictly(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", str(path)]) == 0, capsys.readouterr().err


def test_readme_example_reads_every_code(tmp_path: Path) -> None:
    label = shelf_label(tmp_path / "label.png")
    result = Workflow.from_yaml(ROOT / "graphs" / "barcode-reading.yml").predict([str(label)])
    assert result.status.code == StatusCode.SUCCESS
    regions = result.results[0].outputs[0].data.regions
    found = {(r.data.concepts[0].id, r.data.text.raw) for r in regions if r.data and r.data.text}
    assert found == {
        ("qr-code", "https://example.com/item/4711"),
        ("ean-13", "5901234123457"),
        ("code-128", "SHELF-A7-0042"),
        ("code-39", "BIN-17"),
    }


def test_python_api_example_runs() -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python_api.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=_THIS_TREE,
    )
    assert proc.returncode == 0, proc.stderr
    assert "code-128: SHELF-A7-0042" in proc.stdout


def test_track_video_example_keeps_three_tracks(tmp_path: Path) -> None:
    import subprocess
    import sys

    drawn = tmp_path / "drawn.mp4"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "track_video.py"), str(drawn)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=_THIS_TREE,
    )
    assert proc.returncode == 0, proc.stderr
    assert "60 frames, tracks: box-1, box-2, box-3" in proc.stdout
    assert drawn.stat().st_size > 0


def test_sample_detections_are_the_sample_videos(tmp_path: Path) -> None:
    # the bundled graph replays a copy of what engine.samples writes: the two never drift apart
    from tests.sample_media import SAMPLE_GRAPH, moving_boxes

    _, dets = moving_boxes(tmp_path)
    shipped = SAMPLE_GRAPH.with_name("video-sample-boxes.det.json")
    assert json.loads(dets.read_text()) == json.loads(shipped.read_text())


def test_sample_video_graph_draws_boxes_and_track_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cv2
    import numpy as np

    from tests.sample_media import SAMPLE_GRAPH, moving_boxes

    # given the README's sample video and the bundled graph that replays its detections
    video, _ = moving_boxes(tmp_path)
    drawn = tmp_path / "drawn.mp4"
    argv = ["run", str(SAMPLE_GRAPH), "--input", str(video), "--sample-ms", "200"]
    # when it runs from the CLI with --draw
    assert main([*argv, "--draw", str(drawn)]) == 0
    doc = json.loads(capsys.readouterr().out)
    # then every frame has the three boxes, tracked with the same three ids and counted
    track, count = doc["results"][0]["outputs"][1:3]
    ids = [sorted(r["track_id"] for r in f["data"]["regions"]) for f in track["data"]["frames"]]
    assert len(ids) == 30 and all(i == ["box-1", "box-2", "box-3"] for i in ids)
    assert all(f["data"]["metadata"]["object_count"] == 3 for f in count["data"]["frames"])
    # and the drawn video has a frame per sampled frame, drawn on around each box
    first = _frames(drawn)
    source = _frames(video)
    assert len(first) == 30
    for region in track["data"]["frames"][5]["data"]["regions"]:
        bb = region["region_info"]["bounding_box"]
        x1, y1 = round(bb["left_col"] * 640), round(bb["top_row"] * 360)
        x2, y2 = round(bb["right_col"] * 640), round(bb["bottom_row"] * 360)
        ring = np.zeros((360, 640), bool)
        ring[max(y1 - 3, 0) : y2 + 3, max(x1 - 3, 0) : x2 + 3] = True
        ring[y1 + 3 : y2 - 3, x1 + 3 : x2 - 3] = False
        diff = cv2.absdiff(first[5], source[10]).max(axis=2)
        perimeter = 2 * ((x2 - x1) + (y2 - y1))
        assert (diff[ring] > 40).sum() > 0.6 * perimeter, region["track_id"]
    # the counter's count is drawn top right, and each track's trail behind its box
    assert (cv2.absdiff(first[5], source[10]).max(axis=2)[:20, 560:] > 40).any()
    box1 = [r for f in track["data"]["frames"][:6] for r in f["data"]["regions"]
            if r["track_id"] == "box-1"]
    cx = [round((r["region_info"]["bounding_box"]["left_col"] + r["region_info"]
                 ["bounding_box"]["right_col"]) * 320) for r in box1]
    cy = [round((r["region_info"]["bounding_box"]["top_row"] + r["region_info"]
                 ["bounding_box"]["bottom_row"]) * 180) for r in box1]
    # between frame 0's and frame 1's centres (behind the box now) the trail is drawn
    mx, my = (cx[0] + cx[1]) // 2, (cy[0] + cy[1]) // 2
    assert (cv2.absdiff(first[5], source[10])[my - 2 : my + 3, mx - 2 : mx + 3] > 40).any()


def _frames(path: Path) -> list[Any]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    out = []
    ok, frame = cap.read()
    while ok:
        out.append(frame)
        ok, frame = cap.read()
    cap.release()
    return out


def test_readme_catalog_example_uses_the_real_param_names(tmp_path: Path) -> None:
    import re

    import yaml

    from engine.catalog import load_catalog

    # the README's catalog, with a model file where it points (the file is the user's)
    block = re.search(r"```yaml\n(models:\n.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block is not None
    catalog = tmp_path / "models.yml"
    catalog.write_text(block.group(1))
    entry = yaml.safe_load(block.group(1))["models"][0]
    (tmp_path / entry["params"]["model_path"]).write_bytes(b"onnx")
    # every entry loads: a wrong param name (path for model_path) is refused here
    assert "my-detector" in [m.model_id for m in load_catalog(catalog)]
