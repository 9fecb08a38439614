"""The bundled tracker workflows (graphs/*track*.yml) and the ReID chain with real crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from engine import StatusCode, Workflow
from tests.operators.track._graph import H, W, crossing, write_replay

GRAPHS = sorted((Path(__file__).parents[3] / "graphs").glob("*track*.yml"))


def _video(path: Path, frames: list[np.ndarray]) -> Path:
    """Coloured boxes drawn where the detections say: appearance for the embedder."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H))
    colours = [(0, 0, 255), (255, 128, 0)]
    for f in frames:
        img = np.full((H, W, 3), 40, np.uint8)
        for row, colour in zip(f, colours, strict=False):
            x1, y1, x2, y2 = (int(v) for v in row[:4])
            cv2.rectangle(img, (x1, y1), (x2, y2), colour, -1)
        writer.write(img)
    writer.release()
    return path


def test_there_is_a_bundled_graph_per_tracker() -> None:
    text = " ".join(p.read_text() for p in GRAPHS)
    for type_id in ("byte-tracker", "centroid-tracker", "kalman-filter-tracker",
                    "kalman-reid-tracker"):
        assert f"model_type_id: {type_id}" in text


def _with_replayed_detector(path: Path, dets: Path) -> tuple[Workflow, int]:
    """The bundled graph with its detector swapped for a replay of ``dets``, and the index of
    its tracker node among the outputs."""
    spec = yaml.safe_load(path.read_text())
    nodes = spec["workflow"]["nodes"]
    for node in nodes:
        if node["model"]["model_type_id"] == "visual-detector":
            node["model"]["model_type_id"] = "detections-file"
            node["model"]["output_info"] = {"params": {"path": str(dets)}}
    tracker = next(i for i, n in enumerate(nodes)
                   if n["model"]["model_type_id"].endswith("-tracker"))
    return Workflow.from_dict(spec), tracker


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.stem)
def test_bundled_graph_tracks_replayed_detections(path: Path, tmp_path: Path) -> None:
    # given the bundled graph, its detector replaying two people crossing
    frames = crossing(12)
    _, dets = write_replay(tmp_path, frames)
    clip = _video(tmp_path / "clip.mp4", frames)
    wf, tracker = _with_replayed_detector(path, dets)
    # when a video runs through it
    result = wf.predict([str(clip)], sample_ms=100).results[0]
    assert result.status.code == StatusCode.SUCCESS
    out = result.outputs[tracker].data.frames
    assert len(out) == 12
    # then the tracker node keeps both people under their own ids to the end
    ids = [sorted(r.track_id or "" for r in f.data.regions) for f in out if f.data]
    assert ids[-1] == ["person-1", "person-2"]
    assert {i for f in ids for i in f} == {"person-1", "person-2"}


def test_reid_chain_gets_embeddings_of_the_crops(tmp_path: Path) -> None:
    # given a replayed detector, crops, a histogram embedder and the ReID tracker
    frames = crossing(12)
    _, dets = write_replay(tmp_path, frames)
    clip = _video(tmp_path / "clip.mp4", frames)
    wf = Workflow("reid")
    det = wf.add("detections-file", params={"path": str(dets)})
    crop = wf.add("image-crop", inputs=[det])
    emb = wf.add("visual-embedder", inputs=[crop])
    wf.add("kalman-reid-tracker", inputs=[emb], params={"track_id_prefix": "p"})
    # when the video runs through it
    out = wf.predict([str(clip)], sample_ms=100).results[0].outputs[-1].data.frames
    # then the tracker saw the embeddings and kept both identities
    last = out[-1].data.regions
    assert sorted(r.track_id for r in last) == ["p1", "p2"]
    assert all(r.data.embeddings for r in last)
