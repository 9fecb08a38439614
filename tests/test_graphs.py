"""The bundled workflows in graphs/ and the README's example run as shipped."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from engine import StatusCode, Workflow
from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = sorted((ROOT / "graphs").glob("*.yml"))


def _make_media() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_media", ROOT / "examples" / "make_media.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", GRAPHS, ids=[p.name for p in GRAPHS])
def test_bundled_graph_validates_strictly(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--strict", str(path)]) == 0, capsys.readouterr().err


def test_readme_example_reads_every_code(tmp_path: Path) -> None:
    label = _make_media().shelf_label(tmp_path / "label.png")
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
    )
    assert proc.returncode == 0, proc.stderr
    assert "60 frames, tracks: box-1, box-2, box-3" in proc.stdout
    assert drawn.stat().st_size > 0
