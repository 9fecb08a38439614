"""The video pipeline benchmark's pieces on a 2-second small video, so the script cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

_SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "video_pipeline.py"


@pytest.fixture(scope="module")
def vp() -> ModuleType:
    spec = importlib.util.spec_from_file_location("video_pipeline_bench", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_boxes_stay_inside_the_frame(vp: ModuleType) -> None:
    size = (320, 180)
    for number in (0, 7, 500, 10_000):
        boxes = vp.object_boxes(number, 6, size)
        assert boxes.shape == (6, 4)
        assert (boxes[:, :2] >= 0).all()
        assert (boxes[:, 0] + boxes[:, 2] <= size[0]).all()
        assert (boxes[:, 1] + boxes[:, 3] <= size[1]).all()


def test_sampling_rule_matches_the_engine(vp: ModuleType) -> None:
    assert sorted(vp.sampled_numbers(10, 30.0, 100)) == [0, 3, 6, 9]
    assert len(vp.sampled_numbers(10, 10.0, 100)) == 10


def test_rss_summary_reports_checkpoints_and_slope(vp: ModuleType) -> None:
    s = vp.rss_summary([100.0] * 10 + [100.0 + k for k in range(90)])
    assert s["rss10"] == 100.0 and s["rss100"] == s["peak"] == 189.0
    assert s["slope"] == pytest.approx(1000.0, rel=0.05)


def test_a_short_run_end_to_end(vp: ModuleType, tmp_path: Path) -> None:
    from engine import Workflow

    fps, n, objects, size = 10.0, 20, 4, (320, 180)
    video, dets = tmp_path / "v.mp4", tmp_path / "d.txt"
    vp.write_video(video, n, fps, objects, size)
    vp.write_detections(dets, n, objects, size)
    assert len(dets.read_text().splitlines()) == n * objects
    assert vp.decode_all(video).frames == n
    assert vp.decode_sampled(video, vp.sampled_numbers(n, fps, 200)).processed == n // 2
    wf = Workflow.from_yaml(vp.workflow_yaml(dets, fps))
    assert wf.node_ids == ["detect", "track", "count"]  # the tracker is part of what is timed
    cpu: dict[str, float] = {}
    clock = vp.clock_nodes(wf, cpu)
    t = vp.run_pipeline(wf, video, 100, n, json_lines=True, clock=clock, cpu_clock=cpu)
    assert t.processed == n and len(t.rss_mib) == n
    assert np.median(t.counts) == objects
    assert set(clock) == set(cpu) == set(wf.node_ids) and all(v > 0 for v in t.nodes.values())
    assert set(t.nodes_cpu) == set(cpu) and 0 < sum(t.nodes_cpu.values()) <= t.main_cpu


def test_the_gil_probe_counts_frames(vp: ModuleType, tmp_path: Path) -> None:
    video = tmp_path / "g.mp4"
    vp.write_video(video, 30, 10.0, 2, (160, 120))
    assert vp.gil_probe(video, 0.0002, cpu_s=0.05) > 0


def test_the_bounds_run_no_op_nodes_and_spend_cpu_beside_decoding(
    vp: ModuleType, tmp_path: Path
) -> None:
    import resource

    from engine import Workflow

    fps, n, objects, size = 10.0, 12, 3, (160, 120)
    video, dets = tmp_path / "b.mp4", tmp_path / "b.txt"
    vp.write_video(video, n, fps, objects, size)
    vp.write_detections(dets, n, objects, size)
    idle = vp.pass_through(Workflow.from_yaml(vp.workflow_yaml(dets, fps)))
    t = vp.run_pipeline(idle, video, 100, n)
    assert t.processed == n and set(t.counts) == {-1}  # no node counted anything
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    beside = vp.decode_beside(video, vp.sampled_numbers(n, fps, 100), cpu_ms=20.0)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert beside.processed == n
    spent = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert spent >= n * 0.020  # the other process spent 20 ms of CPU per sampled frame
