"""One worker process against two: a CPU-bound image workflow and four video streams.

    uptime; .venv/bin/python benchmarks/workers.py     # about 2 min on a quiet machine
    .venv/bin/python benchmarks/workers.py --skip images --seconds 600 --runs 5

**Images**: ``graphs/face-detect-crop.yml`` (OpenCV's Haar face detector -> region-thresholder
-> image-crop -> the histogram embedder on every crop) on ``--images`` 960x600 photos, each
holding two large copies of the portrait matplotlib ships (``grace_hopper.jpg``) at
different places and sizes, at which the cascade finds the faces (the script prints how many
it found), so every image has faces to crop and embed.  Rows: one process as a user runs it
(OpenCV's own threads on every core), one worker (the same threads), one worker with one
OpenCV thread, and 2 workers with one thread each; then the same workflow as an App's base
workflow (``App.add_inputs(files, workers=1 | 2)``).  **Videos**: four 640x360 streams of
``--seconds`` at 10 fps (boxes crossing the frame, ``engine.samples``) through
``graphs/video-sample-boxes.yml`` (detections-file -> centroid-tracker -> object-counter),
every frame processed, one process and one single-threaded worker against 2 workers,
``--runs`` times; a stream runs whole in one worker.

A worker row is what ``Workflow.predict(inputs, workers=N)`` does (a ``WorkerPool`` for the
batch), timed in parts: "start" from starting the pool to every worker holding the compiled
graph, "steady" the batch itself, "total" both and closing the pool.  The process's first
pool also starts the forkserver (it imports the engine and every operator once, so each
worker forked from it only compiles the graph): that cold start-up is printed once, apart.
"CPU s" counts every process (the workers and this one) and every thread; "cores" is CPU
over the total wall clock: where both cores go.  Goal: 2 workers >= 1.7x one process on
this 2-core machine; the load average is printed beside every row: measure when it is low.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
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
    """Four streams of ``seconds`` and a 2-second one (warm-up, start-up) after them."""
    from engine.samples import moving_boxes

    out = []
    for k, length in enumerate((seconds,) * 4 + (2,)):
        video = folder / f"stream{k}.mp4"
        moving_boxes(video, folder / f"stream{k}.det.json", seconds=length, fps=10)
        out.append(str(video))
    return out


def video_workflow(folder: Path) -> Any:
    from engine import Workflow

    text = (REPO / "graphs" / "video-sample-boxes.yml").read_text()
    text = text.replace("video-sample-boxes.det.json", str(folder / "stream0.det.json"))
    return Workflow.from_yaml(text)


@dataclass
class Row:
    """One way of running the batch: wall clock (start-up of a pool apart), CPU, results."""

    name: str
    total: float  # wall seconds, what ``predict`` would take (start-up and close included)
    cpu: float  # CPU seconds of every process involved (workers, and this one), all threads
    load: str
    results: list[Any]
    startup: float | None = None  # a pool's: from starting it to every worker compiled

    @property
    def steady(self) -> float:
        return self.total - (self.startup or 0.0)

    def line(self, n: int, unit: str) -> str:
        start = f"{self.startup:6.2f}" if self.startup is not None else "     -"
        return (
            f"  {self.name:<34} {start} {self.steady:7.2f} {self.total:7.2f} "
            f"{n / self.steady:9.1f} {self.cpu:7.2f} {self.cpu / self.total:5.2f}  ({self.load})"
        )


def header(unit: str) -> str:
    cols = ("", "start", "steady", "total", f"{unit}/s", "CPU s", "cores")
    return "  {:<34} {:>6} {:>7} {:>7} {:>9} {:>7} {:>5}".format(*cols)


def one_process(wf: Any, inputs: list[Any], threads: int | None, **options: Any) -> Row:
    """``predict(inputs, workers=1)`` in this process (OpenCV on ``threads``, or its own)."""
    import cv2

    before = cv2.getNumThreads()
    if threads is not None:
        cv2.setNumThreads(threads)
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        res = wf.predict(inputs, workers=1, **options)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        cv2.setNumThreads(before)
    name = f"1 process ({threads or before} OpenCV thread{'s' if (threads or before) > 1 else ''})"
    return Row(name, wall, cpu, _load(), res.results)


def in_pool(wf: Any, inputs: list[Any], n: int, threads: int | None, **options: Any) -> Row:
    """What ``predict(inputs, workers=n)`` does (a pool for the batch), timed in parts."""
    from engine.run.pool import WorkerPool

    t0, c0 = time.perf_counter(), time.process_time()
    pool = WorkerPool(wf, n, threads=threads)
    try:
        pool.ready()
        up = time.perf_counter() - t0
        res = pool.run(inputs, keep_frames=True, **options)
        worker_cpu = pool.cpu_seconds
    finally:
        pool.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0 + worker_cpu
    each = threads or max(1, (os.cpu_count() or 1) // n)
    name = f"{n} worker{'s' if n > 1 else ''} ({each} OpenCV thread{'s' if each > 1 else ''} each)"
    return Row(name, wall, cpu, _load(), res, startup=up)


def cold_start(wf: Any, inputs: list[Any], **options: Any) -> None:
    """The process's first pool also starts the forkserver (imports everything once)."""
    global _COLD
    if not _COLD:
        return
    _COLD = False
    row = in_pool(wf, inputs[:2], 2, None, **options)
    warm = in_pool(wf, inputs[:2], 2, None, **options)
    print(
        f"  start-up of 2 workers: {row.startup:.2f} s cold (the process's first pool: the "
        f"forkserver imports the engine), {warm.startup:.2f} s warm ({_load()})"
    )


def same(a: Row, b: Row) -> bool:
    return [r.model_dump(exclude={"input"}) for r in a.results] == [
        r.model_dump(exclude={"input"}) for r in b.results
    ]


def compare_images(wf: Any, images: list[Any]) -> list[Any]:
    """Where both cores go: one process as a user runs it, one worker (OpenCV on every core,
    then on one thread), two workers (one thread each), CPU time beside the wall clock."""
    import cv2

    n = len(images)
    print(f"\nimage workflow: detect -> crop -> embed ({n} images)")
    wf.predict(images[:1], workers=1)  # this process's models load before the timed rows
    cold_start(wf, images, sample_ms=1000)
    print(header("images"))
    cores = os.cpu_count() or 1
    rows = [
        one_process(wf, images, None),
        in_pool(wf, images, 1, cv2.getNumThreads(), sample_ms=1000),
        in_pool(wf, images, 1, 1, sample_ms=1000),
        in_pool(wf, images, cores, 1, sample_ms=1000),
    ]
    for row in rows:
        print(row.line(n, "images"))
    default, worker, single, two = rows
    print(
        f"  {cores} workers: {default.total / two.total:.2f}x one process, "
        f"{worker.total / two.total:.2f}x one worker, {single.total / two.total:.2f}x one "
        f"single-threaded worker (steady: {default.steady / two.steady:.2f}x, "
        f"{worker.steady / two.steady:.2f}x, {single.steady / two.steady:.2f}x)"
    )
    equal = all(same(default, r) for r in rows)
    print(f"  results equal to one process's, input by input: {equal}")
    return default.results


def compare_streams(wf: Any, streams: list[str], warm: str, runs: int) -> None:
    """4 streams, one process and one single-threaded worker against 2 workers, ``runs``
    times (the load moves between)."""
    n = len(streams)
    print(f"\n{n} video streams (one stream a task: its tracker stays in its worker)")
    wf.predict([warm], workers=1, sample_ms=100)  # the tracker's imports, before the rows
    cold_start(wf, [warm, warm], sample_ms=100)
    print(header("frames"))
    ratios = []
    frames = None
    for k in range(runs):
        one = one_process(wf, streams, None, sample_ms=100)
        single = in_pool(wf, streams, 1, 1, sample_ms=100)
        two = in_pool(wf, streams, 2, None, sample_ms=100)
        frames = frames or sum(len(r.outputs[0].data.frames) for r in one.results)
        for row, name in ((one, "1 process"), (single, "1 worker"), (two, "2 workers")):
            print(row.line(frames, "frames").replace(name, f"run {k + 1}: {name}"))
        ratios.append((one.total / two.total, single.total / two.total))
        print(
            f"  run {k + 1}: 2 workers {ratios[-1][0]:.2f}x one process (which uses "
            f"{one.cpu / one.total:.2f} cores), {ratios[-1][1]:.2f}x one single-threaded "
            f"worker, start-up included; results equal: {same(one, two) and same(one, single)}"
        )
    for i, against in enumerate(("one process", "one single-threaded worker")):
        worst = min(r[i] for r in ratios)
        print(
            f"  2 workers against {against}: {', '.join(f'{r[i]:.2f}x' for r in ratios)} "
            f"(goal >= {GOAL}x in every run: {'ok' if worst >= GOAL else 'MISSED'})"
        )


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
    ap.add_argument("--seconds", type=int, default=180, help="length of each of the 4 videos")
    ap.add_argument("--runs", type=int, default=3, help="runs of the streams (1 vs 2 each)")
    ap.add_argument(
        "--app-images", type=int, default=32, help="images added to an App (0: leave out)"
    )
    ap.add_argument("--skip", choices=["images", "videos"], help="leave one part out")
    args = ap.parse_args()
    from engine import Workflow

    print("reproduce: .venv/bin/python benchmarks/workers.py " + " ".join(sys.argv[1:]))
    print(f"cores: {os.cpu_count()}, {_load()}")
    t0 = time.perf_counter()
    if args.skip != "images":
        wf = Workflow.from_yaml(REPO / "graphs" / "face-detect-crop.yml")
        images = portrait_images(args.images)
        one = compare_images(wf, images)
        faces = [len(r.outputs[0].data.regions) for r in one]
        print(
            f"  (faces found: {sum(faces)} in {len(faces)} images, "
            f"{sum(1 for f in faces if f)} images with at least one)"
        )
        if args.app_images:
            compare_app(images[: args.app_images])
    if args.skip != "videos":
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            *streams, warm = videos(folder, args.seconds)
            wf = video_workflow(folder)
            frames = 4 * args.seconds * 10
            print(f"\n(4 streams x {args.seconds} s at 10 fps: {frames} frames)")
            compare_streams(wf, streams, warm, args.runs)
    print(f"\n{time.perf_counter() - t0:.0f} s in all ({_load()})")


if __name__ == "__main__":
    main()
