"""engine/samples.py: sample media drawn on the spot, for the bundled workflows."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from engine import InputError, StatusCode, Workflow
from engine.cli import main
from engine.samples import SHELF_LABEL_CODES, write_samples


@pytest.mark.parametrize("library", ["zxing", "pyzbar"])
def test_the_shelf_label_reads_back_every_code(library: str, tmp_path: Path) -> None:
    from operators.predict._barcode_readers import pyzbar_missing

    if library == "pyzbar" and pyzbar_missing():
        pytest.skip("ZBar (libzbar0) is not installed")
    label = write_samples(tmp_path)[0]
    wf = Workflow("read")
    wf.add(
        "barcode-operator",
        params={"library": library, "formats": ["qr-code", "ean-13", "code-128", "code-39"]},
    )
    result = wf.predict([str(label)])
    assert result.status.code == StatusCode.SUCCESS
    found = {
        (r.data.concepts[0].id, r.data.text.raw) for r in result.results[0].outputs[0].data.regions
    }
    assert found == {(sym, text) for sym, _, text in SHELF_LABEL_CODES}


def test_the_video_and_its_detections_agree(tmp_path: Path) -> None:
    _, video, dets = write_samples(tmp_path / "new")  # the folder is created
    cap = cv2.VideoCapture(str(video))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    table = json.loads(dets.read_text())["frames"]
    assert frames == len(table) == 60
    assert all(len(boxes) == 3 for boxes in table.values())


def test_opgraph_samples_writes_them_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["samples", str(tmp_path / "s")]) == 0
    assert capsys.readouterr().out.split() == [
        str(tmp_path / "s" / n)
        for n in ("shelf-label.png", "moving-boxes.mp4", "moving-boxes.det.json")
    ]
    (tmp_path / "file").write_text("x")
    assert main(["samples", str(tmp_path / "file")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == f"opgraph: {tmp_path / 'file'} exists and is not a folder"
    )


def test_an_unwritable_folder_is_one_clear_error(tmp_path: Path) -> None:
    from engine.cli_bundled import _samples

    class Args:
        out = str(tmp_path / "missing-parent" / "x" / "shelf-label.png" / "deeper")

    (tmp_path / "missing-parent").write_text("a file where a folder should be")
    with pytest.raises(InputError, match="cannot write the samples to"):
        _samples(Args())  # type: ignore[arg-type]
