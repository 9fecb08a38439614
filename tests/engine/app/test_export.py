"""Exported media round-trips byte for byte, videos included, into another app."""

from __future__ import annotations

import json
from pathlib import Path

from engine.app import App
from tests.sample_media import moving_boxes


def test_videos_and_images_round_trip_through_an_export(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    video, _ = moving_boxes(src)
    (src / "moving-boxes.det.json").unlink()
    (src / "still.png").write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
            "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
        )
    )
    app = App(tmp_path / "a", base_workflow="empty")
    app.create_dataset("media")
    report = app.dataset("media").upload_from_folder(src)
    assert len(report.stored) == 2 and not report.errors
    version = app.dataset("media").create_version()
    app.dataset("media").export(tmp_path / "out", version.id)
    names = sorted(p.name for p in (tmp_path / "out" / "media").iterdir())
    assert [Path(n).suffix for n in names] == [".mp4", ".png"]
    lines = [json.loads(x) for x in (tmp_path / "out" / "inputs.jsonl").read_text().splitlines()]
    assert {next(iter(line["input"]["data"])) for line in lines} == {"video", "image"}

    other = App(tmp_path / "b", base_workflow="empty")
    other.import_dataset(tmp_path / "out", dataset_id="copy")
    copied = {i.id: i for i in other.get_inputs(report.stored)}
    originals = {i.id: i for i in app.get_inputs(report.stored)}
    for input_id, original in originals.items():
        mine, theirs = copied[input_id].data, original.data
        media = (mine.video, theirs.video) if theirs.video else (mine.image, theirs.image)
        assert media[0] is not None and media[1] is not None
        assert media[0]._source == media[1]._source == (
            video.read_bytes() if theirs.video else (src / "still.png").read_bytes()
        )
