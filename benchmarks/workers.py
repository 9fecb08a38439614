"""One worker process against two: a CPU-bound image workflow and four video streams.

    uptime; .venv/bin/python benchmarks/workers.py            # ~1-2 min on a quiet machine
    .venv/bin/python benchmarks/workers.py --images 96 --seconds 60

**Images**: ``graphs/face-detect-crop.yml`` (OpenCV's Haar face detector -> region-thresholder
-> image-crop -> the histogram embedder on every crop) on ``--images`` 960x600 photos, each
holding two copies of the portrait matplotlib ships (``grace_hopper.jpg``) at different
places and sizes, so every image has faces to crop and embed.  **Videos**: four 640x360
streams of ``--seconds`` at 10 fps (boxes crossing the frame, ``engine.samples``) through
``graphs/video-sample-boxes.yml`` (detections-file -> centroid-tracker -> object-counter),
every frame processed.

Each row is ``Workflow.predict(inputs, workers=N)`` timed by the wall clock, start-up of the
worker processes included (each imports the engine and compiles the graph once); the
start-up alone is printed too (two inputs).  OpenCV's own thread pool is left as it is in
every process, as a user would have it.  Goal: 2 processes >= 1.7x one on this 2-core
machine; the script prints the load average beside every figure: measure when it is low.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
GOAL = 1.7


def _load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def portrait_images(n: int) -> list[Any]:
    import importlib.util

    import cv2
    import numpy as np

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("matplotlib (a dependency of the dev extra) is needed for its sample portrait")
    face = cv2.imread(
        str(Path(spec.submodule_search_locations[0]) / "mpl-data/sample_data/grace_hopper.jpg")
    )
    images = []
    for i in range(n):
        canvas = np.full((600, 960, 3), 30 + (i * 7) % 60, np.uint8)
        for k, scale in enumerate((0.55 + (i % 5) * 0.05, 0.45 + (i % 3) * 0.05)):
            small = cv2.resize(face, None, fx=scale, fy=scale)
            h, w = small.shape[:2]
            x = (k * 480 + i * 13) % (960 - w)
            y = (i * 29) % (600 - h)
            canvas[y : y + h, x : x + w] = small
        images.append(canvas)
    return images


def videos(folder: Path, seconds: int) -> list[str]:
    from engine.samples import moving_boxes

    out = []
    for k in range(4):
        video = folder / f"stream{k}.mp4"
        moving_boxes(video, folder / f"stream{k}.det.json", seconds=seconds, fps=10)
        out.append(str(video))
    return out


def video_workflow(folder: Path) -> Any:
    from engine import Workflow

    text = (REPO / "graphs" / "video-sample-boxes.yml").read_text()
    text = text.replace("video-sample-boxes.det.json", str(folder / "stream0.det.json"))
    return Workflow.from_yaml(text)


def timed(wf: Any, inputs: list[Any], workers: int, **options: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    res = wf.predict(inputs, workers=workers, **options)
    return time.perf_counter() - t0, res


def compare(name: str, wf: Any, inputs: list[Any], unit: str, **options: Any) -> float:
    one_s, one = timed(wf, inputs, 1, **options)
    start_s, _ = timed(wf, inputs[:2], 2, **options)
    two_s, two = timed(wf, inputs, 2, **options)
    same = [r.model_dump(exclude={"input"}) for r in one.results] == [
        r.model_dump(exclude={"input"}) for r in two.results
    ]
    ratio = one_s / two_s
    print(f"\n{name} ({len(inputs)} {unit}; {_load()})")
    print(f"  1 process : {one_s:7.2f} s  {len(inputs) / one_s:8.1f} {unit}/s")
    print(f"  2 workers : {two_s:7.2f} s  {len(inputs) / two_s:8.1f} {unit}/s  ({ratio:.2f}x)")
    print(f"  start-up of 2 workers with 2 inputs: {start_s:.2f} s")
    print(f"  results equal to one process's, input by input: {same}")
    print(f"  goal >= {GOAL}x: {'ok' if ratio >= GOAL else 'MISSED'}")
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=64, help="images in the batch")
    ap.add_argument("--seconds", type=int, default=30, help="length of each of the 4 videos")
    ap.add_argument("--skip", choices=["images", "videos"], help="leave one part out")
    args = ap.parse_args()
    from engine import Workflow

    print(f"cores: {os.cpu_count()}, {_load()}")
    if args.skip != "images":
        wf = Workflow.from_yaml(REPO / "graphs" / "face-detect-crop.yml")
        images = portrait_images(args.images)
        res = wf.predict(images[:1])
        faces = len(res.results[0].outputs[0].data.regions)
        print(f"(faces found in the first image: {faces})")
        compare("image workflow: detect -> crop -> embed", wf, images, "images")
    if args.skip != "videos":
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            streams = videos(folder, args.seconds)
            wf = video_workflow(folder)
            frames = 4 * args.seconds * 10
            print(f"\n(4 streams x {args.seconds} s at 10 fps: {frames} frames)")
            compare("4 video streams", wf, streams, "streams", sample_ms=100)


if __name__ == "__main__":
    main()
