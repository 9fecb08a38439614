"""One worker process against two: a CPU-bound image workflow and four video streams.

    uptime; .venv/bin/python benchmarks/workers.py            # about 1 min on a quiet machine
    .venv/bin/python benchmarks/workers.py --images 96 --seconds 60

**Images**: ``graphs/face-detect-crop.yml`` (OpenCV's Haar face detector -> region-thresholder
-> image-crop -> the histogram embedder on every crop) on ``--images`` 960x600 photos, each
holding two large copies of the portrait matplotlib ships (``grace_hopper.jpg``) at
different places and sizes, at which the cascade finds the faces (the script prints how many
it found), so every image has faces to crop and embed.  **Videos**: four 640x360 streams of
``--seconds`` at 10 fps (boxes crossing the frame, ``engine.samples``) through
``graphs/video-sample-boxes.yml`` (detections-file -> centroid-tracker -> object-counter),
every frame processed; a stream runs whole in one worker.

Each row is ``Workflow.predict(inputs, workers=N)`` timed by the wall clock.  The first pool
of a process also starts the forkserver (it imports the engine and every operator once, so
each worker forked from it only compiles the graph): that cold start is printed on its own,
then a warm start (a pool of 2 workers on 2 inputs), and the 2-worker rows include a warm
start.  One process runs with OpenCV's own thread pool as a user has it; a second
one-process row pins OpenCV to one thread (what each of 2 workers gets on 2 cores).  Goal: 2
workers >= 1.7x one process on this 2-core machine; the load average is printed beside every
figure: measure when it is low.
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
_COLD = True  # no pool started yet in this process (the forkserver is not running)


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
        # the frontal cascade finds this portrait's face from about 0.75 of its size up
        for k, scale in enumerate((0.8 + (i % 3) * 0.03, 0.85 - (i % 2) * 0.05)):
            small = cv2.resize(face, None, fx=scale, fy=scale)
            h, w = small.shape[:2]
            x = k * (960 - w) + (1 - 2 * k) * ((i * 13) % max(1, 480 - w))
            y = (i * 29) % (600 - h + 1)
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


def _one_thread(wf: Any, inputs: list[Any], **options: Any) -> tuple[float, str]:
    import cv2

    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        seconds, _ = timed(wf, inputs, 1, **options)
    finally:
        cv2.setNumThreads(threads)
    return seconds, _load()


def compare(name: str, wf: Any, inputs: list[Any], unit: str, **options: Any) -> tuple[float, Any]:
    import cv2

    print(f"\n{name} ({len(inputs)} {unit})")
    global _COLD
    first_s, _ = timed(wf, inputs[:2], 2, **options)  # the first pool starts the forkserver
    first_load = _load()
    warm_s, _ = timed(wf, inputs[:2], 2, **options)
    first = f"{first_s:.2f} s cold (the process's first pool), " if _COLD else ""
    _COLD = False
    print(f"  start-up of 2 workers on 2 inputs: {first}{warm_s:.2f} s warm ({first_load})")
    one_s, one = timed(wf, inputs, 1, **options)
    one_load = _load()
    single_s, single_load = _one_thread(wf, inputs, **options)
    two_s, two = timed(wf, inputs, 2, **options)
    same = [r.model_dump(exclude={"input"}) for r in one.results] == [
        r.model_dump(exclude={"input"}) for r in two.results
    ]
    ratio = one_s / two_s
    n = len(inputs)
    print(
        f"  1 process ({cv2.getNumThreads()} OpenCV threads): {one_s:7.2f} s "
        f"{n / one_s:7.2f} {unit}/s  ({one_load})"
    )
    print(
        f"  1 process (1 OpenCV thread) : {single_s:7.2f} s {n / single_s:7.2f} {unit}/s  "
        f"({single_load})"
    )
    print(
        f"  2 workers                   : {two_s:7.2f} s {n / two_s:7.2f} {unit}/s  "
        f"{ratio:.2f}x one process, {single_s / two_s:.2f}x one thread  ({_load()})"
    )
    print(f"  results equal to one process's, input by input: {same}")
    print(f"  goal >= {GOAL}x one process: {'ok' if ratio >= GOAL else 'MISSED'}")
    return ratio, one


def compare_app(images: list[Any]) -> float:
    """``App.add_inputs(files, workers=N)`` with the face workflow as the base workflow: the
    images are JPEG files, stored and indexed (one SQLite transaction per batch of 32)."""
    import cv2

    from engine import App

    print(f"\nApp.add_inputs: detect -> crop -> embed as the base workflow ({len(images)} images)")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, image in enumerate(images):
            files.append(str(Path(tmp) / f"face{i:03d}.jpg"))
            cv2.imwrite(files[-1], image)
        seconds, index = {}, {}
        for n in (1, 2):
            base = REPO / "graphs" / "face-detect-crop.yml"
            with App(Path(tmp) / f"app{n}", base_workflow=base, batch_size=32) as app:
                t0 = time.perf_counter()
                app.add_inputs(files, workers=n, progress=False)
                seconds[n] = time.perf_counter() - t0
                index[n] = app._core.store._query(  # the face crops' vectors, as indexed
                    "SELECT input_id, vector FROM index_vectors WHERE region IS NOT NULL "
                    "ORDER BY input_id, id"
                )
            print(
                f"  workers={n}: {seconds[n]:7.2f} s {len(files) / seconds[n]:7.2f} images/s  "
                f"({len(index[n])} face vectors indexed; {_load()})"
            )
    ratio = seconds[1] / seconds[2]
    print(
        f"  2 workers: {ratio:.2f}x one process (start-up included); "
        f"index equal: {index[1] == index[2]}"
    )
    return ratio


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--images", type=int, default=64, help="images in the batch")
    ap.add_argument("--seconds", type=int, default=30, help="length of each of the 4 videos")
    ap.add_argument(
        "--app-images", type=int, default=32, help="images added to an App (0: leave out)"
    )
    ap.add_argument("--skip", choices=["images", "videos"], help="leave one part out")
    args = ap.parse_args()
    from engine import Workflow

    print("reproduce: .venv/bin/python benchmarks/workers.py " + " ".join(sys.argv[1:]))
    print(f"cores: {os.cpu_count()}, {_load()}")
    if args.skip != "images":
        wf = Workflow.from_yaml(REPO / "graphs" / "face-detect-crop.yml")
        images = portrait_images(args.images)
        _, one = compare("image workflow: detect -> crop -> embed", wf, images, "images")
        faces = [len(r.outputs[0].data.regions) for r in one.results]
        print(
            f"  (faces found: {sum(faces)} in {len(faces)} images, "
            f"{sum(1 for f in faces if f)} images with at least one)"
        )
        if args.app_images:
            compare_app(images[: args.app_images])
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
