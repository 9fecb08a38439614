"""benchmarks/live.py runs end to end on a short camera run and reports sane figures."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "live.py"


@pytest.mark.slow
def test_pipeline_and_reader_report_frames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    spec = importlib.util.spec_from_file_location("live_bench", _SCRIPT)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    from tests.mjpeg_server import mjpeg_camera

    with mjpeg_camera(30, 160, 120) as cam:
        dets = bench.detections(tmp_path, 3, 100, 160, 120)
        piped = bench.pipeline(cam.url, 0.6, dets)
        read = bench.read_only(cam.url, 0.3)
    assert piped["processed"] > 0 and piped["p50_ms"] >= 0 and read["in"] > 0
