"""A live MJPEG camera through detections replay -> byte-tracker -> object-counter vs OpenCV.

    .venv/bin/python benchmarks/live.py                 # 640x480, 5 s per side
    .venv/bin/python benchmarks/live.py --seconds 10 --fps 60 --size 1280x720

A camera on 127.0.0.1 (``tests/mjpeg_server.py``: a moving square, JPEG frames as
``multipart/x-mixed-replace`` at ``--fps``) is read, one after the other, by:

- ``opencv``: ``cv2.VideoCapture(url)`` (FFmpeg's MJPEG demuxer) reading and decoding every
  frame, nothing else: the peer's frames per second;
- ``ours, read only``: ``engine.live.LiveReader`` plus the JPEG decode of each frame taken;
- ``ours, pipeline``: ``Workflow.stream(url, sample_ms=None)`` running detections-file
  (``--boxes`` per frame) -> byte-tracker -> object-counter on the newest frame each time.

For each: frames in per second (arrived from the socket), frames processed per second,
frames dropped (older frames replaced by a newer one: the live policy), the process's CPU
time per frame that arrived (the camera's own thread included, the same for every reader:
a figure a busy machine changes less than the rates), and for ours the latency from a
frame's arrival (before its decode) to its result (p50, p99).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")

import numpy as np  # noqa: E402

from engine import Workflow  # noqa: E402
from engine.live import LiveReader, LiveSettings  # noqa: E402
from tests.mjpeg_server import mjpeg_camera  # noqa: E402


class _TimedReader(LiveReader):
    """A LiveReader that remembers the arrival time of the last frame it handed out."""

    last_arrival = 0.0

    def frames(self) -> Any:
        for frame in super().frames():
            self.last_arrival = frame.arrival
            yield frame


def opencv(url: str, seconds: float) -> dict[str, float]:
    import cv2

    os.environ.pop("OPENCV_FFMPEG_CAPTURE_OPTIONS", None)  # ours limits FFmpeg to files
    cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        return {"error": 1.0}
    n, start, cpu = 0, time.monotonic(), time.process_time()
    while time.monotonic() - start < seconds:
        ok, _ = cap.read()
        if not ok:
            break
        n += 1
    secs, cpu = time.monotonic() - start, time.process_time() - cpu
    cap.release()
    return {"in": n / secs, "processed": n / secs, "dropped": 0, "cpu_ms": _per(cpu, n)}


def read_only(url: str, seconds: float) -> dict[str, float]:
    from engine.media import decode_image_bytes

    reader = LiveReader(url, LiveSettings())
    n, start, cpu = 0, time.monotonic(), time.process_time()
    frames = reader.frames()
    try:
        for frame in frames:
            if isinstance(frame.payload, bytes):
                decode_image_bytes(frame.payload)
            n += 1
            if time.monotonic() - start >= seconds:
                break
    finally:
        reader.close()
    secs, cpu = time.monotonic() - start, time.process_time() - cpu
    return {
        "in": reader.received / secs,
        "processed": n / secs,
        "dropped": reader.dropped,
        "cpu_ms": _per(cpu, reader.received),
    }


def _workflow(dets: Path) -> Workflow:
    return Workflow.from_dict(
        {
            "workflow": {
                "id": "live-bench",
                "nodes": [
                    {
                        "id": "detect",
                        "model": {
                            "model_id": "replay",
                            "model_type_id": "detections-file",
                            "output_info": {"params": {"path": str(dets)}},
                        },
                    },
                    {
                        "id": "track",
                        "model": {"model_id": "t", "model_type_id": "byte-tracker"},
                        "node_inputs": [{"node_id": "detect"}],
                    },
                    {
                        "id": "count",
                        "model": {"model_id": "c", "model_type_id": "object-counter"},
                        "node_inputs": [{"node_id": "track"}],
                    },
                ],
            }
        }
    )


def pipeline(url: str, seconds: float, dets: Path) -> dict[str, float]:
    wf = _workflow(dets)
    with wf.session("warm-up") as s:  # what nodes load on first use, before the clock
        for _ in range(3):
            s.predict(np.zeros((8, 8, 3), np.uint8))
    reader = _TimedReader(url, LiveSettings())
    latencies: list[float] = []
    start, cpu = time.monotonic(), time.process_time()
    stream = wf.stream(reader, sample_ms=None)
    for _ in stream:
        latencies.append(time.monotonic() - reader.last_arrival)
        if time.monotonic() - start >= seconds:
            break
    stream.close()
    secs, cpu = time.monotonic() - start, time.process_time() - cpu
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "in": reader.received / secs,
        "processed": len(latencies) / secs,
        "dropped": reader.dropped,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "cpu_ms": _per(cpu, reader.received),
    }


def _per(cpu_s: float, frames: int) -> float:
    """CPU ms of the whole process per frame that arrived."""
    return cpu_s * 1000 / max(frames, 1)


def detections(folder: Path, boxes: int, frames: int, w: int, h: int) -> Path:
    """``boxes`` moving boxes per frame for ``frames`` frames (JSON, by frame index)."""
    table = {}
    for k in range(frames):
        rows = []
        for b in range(boxes):
            x = (37 * b + 2 * k) % (w - 40)
            y = (53 * b) % (h - 40)
            rows.append({"box": [x, y, x + 30, y + 30], "score": 0.9, "label": "car"})
        table[str(k)] = rows
    path = folder / "live.det.json"
    path.write_text(json.dumps(table))
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--fps", type=float, default=30.0, help="the camera's frame rate")
    ap.add_argument("--size", default="640x480")
    ap.add_argument("--boxes", type=int, default=20, help="detections per frame")
    args = ap.parse_args()
    # the replay looks frames up by index: on a live source that is the point, not a mistake
    logging.getLogger("operators").setLevel(logging.ERROR)
    w, h = (int(v) for v in args.size.split("x"))
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, mjpeg_camera(args.fps, w, h) as cam:
        dets = detections(Path(tmp), args.boxes, int(args.fps * args.seconds * 4) + 100, w, h)
        rows = [
            ("opencv VideoCapture", opencv(cam.url, args.seconds)),
            ("ours, read only", read_only(cam.url, args.seconds)),
            ("ours, pipeline", pipeline(cam.url, args.seconds, dets)),
        ]
    print(
        f"camera {w}x{h} at {args.fps:g} fps, {args.boxes} boxes/frame, "
        f"{args.seconds:g} s each, load average {load:.1f} at start"
    )
    print(
        "| reader | fps in | fps processed | dropped | CPU ms/frame in | latency p50 ms "
        "| p99 ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        if "error" in r:
            print(f"| {name} | could not open | | | | | |")
            continue
        p50 = f"{r['p50_ms']:.1f}" if "p50_ms" in r else "-"
        p99 = f"{r['p99_ms']:.1f}" if "p99_ms" in r else "-"
        print(
            f"| {name} | {r['in']:.1f} | {r['processed']:.1f} | {r['dropped']:.0f} | "
            f"{r['cpu_ms']:.2f} | {p50} | {p99} |"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
