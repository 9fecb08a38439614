"""End to end on video: decode -> detections-file -> byte-tracker -> object-counter vs OpenCV.

    .venv/bin/python benchmarks/video_pipeline.py              # 1 minute of 1080p, ~1-2 min
    .venv/bin/python benchmarks/video_pipeline.py --minutes 10 # the 10-minute video (slow)
    .venv/bin/python benchmarks/video_pipeline.py --quick      # 20 seconds of video

One run writes a synthetic 1080p video (moving rectangles, mp4v) and the matching MOT
detections file into a temporary folder, then times, interleaved round by round:

- ``decode all``: OpenCV alone, ``VideoCapture.read()`` of every frame;
- ``decode sampled``: OpenCV alone doing exactly the decoding the engine does at
  ``sample_ms``: ``grab()`` every frame, ``retrieve()`` only the sampled ones;
- ``pipeline``: ``Workflow.predict(video, sample_ms=..., keep_frames=False, on_frame=...)``
  as ``opgraph run --stream`` calls it, the detector being the detections-file replay so
  the engine, not a model, is measured.  The callback samples the process's RSS per frame;
- ``pipeline, 5 ms GIL``: the same with Python's default GIL switch interval while the
  decoding thread runs (``engine._prefetch.SWITCH_S``), to show what the shorter one buys;
- ``pipeline, no-op nodes``: the same graph with every node's ``process()`` returning its
  input: what the engine itself costs per frame (hand-off, executor, callback);
- ``decode + nodes' CPU``: ``decode sampled`` while another process spends, per sampled
  frame, the CPU the nodes spent in that round's pipeline.  It shares nothing with the
  decoder (no GIL, no queue), so it is the most that any engine running these nodes on this
  machine could keep.

Frame rates are frames of the *video* per second of wall time (how fast each gets through
the video), medians over the rounds.  ``sample_ms`` cannot go below 100 (Clarifai's floor),
so on a 30 fps video the engine processes every third frame; ``--fps 10`` makes a video
whose every frame is processed, where the two OpenCV baselines coincide.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Timing",
    "clock_nodes",
    "decode_all",
    "decode_beside",
    "decode_sampled",
    "gil_probe",
    "main",
    "object_boxes",
    "pass_through",
    "rss_summary",
    "run_pipeline",
    "sampled_numbers",
    "workflow_yaml",
    "write_detections",
    "write_video",
]

GOAL_RATIO = 0.90
SIZE = (1920, 1080)
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / (1 << 20)


@dataclass
class Timing:
    """One timed pass: video frames gone through, frames processed, seconds, RSS samples."""

    frames: int
    processed: int
    seconds: float
    rss_mib: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    cpu: float = 0.0  # process CPU seconds (all threads), set by _timed
    nodes: dict[str, float] = field(default_factory=dict)  # seconds in each node's process()
    nodes_cpu: dict[str, float] = field(default_factory=dict)  # their thread CPU seconds
    main_cpu: float = 0.0  # CPU seconds of the thread that runs the graph (not the decoder)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


# ---- synthetic video and its detections -----------------------------------------------------


def object_boxes(number: int, n_objects: int, size: tuple[int, int] = SIZE) -> np.ndarray:
    """``(n_objects, 4)`` x, y, w, h pixel boxes of frame ``number``: rectangles bouncing off
    the edges, a pure function of the frame number so video and detections agree."""
    w, h = size
    k = np.arange(n_objects, dtype=np.float64)
    bw = 60.0 + (k * 37.0) % 140.0
    bh = 50.0 + (k * 53.0) % 120.0
    x0, y0 = (k * 211.0) % (w - bw), (k * 149.0) % (h - bh)
    vx, vy = 2.0 + (k * 1.3) % 5.0, 1.5 + (k * 0.7) % 4.0
    x = _bounce(x0 + vx * number, w - bw)
    y = _bounce(y0 + vy * number, h - bh)
    return np.stack([x, y, bw, bh], axis=1).round()


def _bounce(pos: np.ndarray, span: np.ndarray) -> np.ndarray:
    # a triangle wave: positions reflect off 0 and span instead of leaving the frame
    phase = np.mod(pos, 2.0 * span)
    return np.where(phase <= span, phase, 2.0 * span - phase)


def _background(size: tuple[int, int]) -> np.ndarray:
    w, h = size
    xs = np.linspace(40, 200, w, dtype=np.float32)[None, :]
    ys = np.linspace(0, 50, h, dtype=np.float32)[:, None]
    gray = (xs + ys).astype(np.uint8)
    return np.repeat(gray[:, :, None], 3, axis=2)


def write_video(path: Path, n_frames: int, fps: float, n_objects: int,
                size: tuple[int, int] = SIZE) -> float:
    """Write the moving-rectangles video (mp4v); returns the seconds it took."""
    import cv2

    t0 = time.perf_counter()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {path}")
    bg = _background(size)
    colours = [(int(40 + 97 * k % 215), int(80 + 53 * k % 175), int(30 + 151 * k % 225))
               for k in range(n_objects)]
    try:
        for number in range(n_frames):
            frame = bg.copy()
            for (x, y, bw, bh), colour in zip(object_boxes(number, n_objects, size), colours,
                                              strict=True):
                cv2.rectangle(frame, (int(x), int(y)), (int(x + bw), int(y + bh)), colour, -1)
            writer.write(frame)
    finally:
        writer.release()
    return time.perf_counter() - t0


def write_detections(path: Path, n_frames: int, n_objects: int,
                     size: tuple[int, int] = SIZE) -> None:
    """The video's boxes as MOT lines ``frame,id,x,y,w,h,conf,-1,-1,-1`` (frames from 1).

    Every fifth object scores 0.4 on odd frames, below byte-tracker's high/low split, so
    the second association stage (low-score detections) runs too."""
    low = np.arange(n_objects) % 5 == 4
    with path.open("w", encoding="utf-8") as f:
        for number in range(n_frames):
            boxes = object_boxes(number, n_objects, size)
            conf = np.where(low & (number % 2 == 1), 0.4, 0.9)
            f.writelines(
                f"{number + 1},{k + 1},{x:.0f},{y:.0f},{bw:.0f},{bh:.0f},{conf[k]:.2f},-1,-1,-1\n"
                for k, (x, y, bw, bh) in enumerate(boxes)
            )


# ---- the three timed passes -----------------------------------------------------------------


def decode_all(path: Path) -> Timing:
    """OpenCV alone: ``read()`` (grab + retrieve) every frame."""
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    n = 0
    t0 = time.perf_counter()
    while True:
        ok, _frame = cap.read()
        if not ok:
            break
        n += 1
    seconds = time.perf_counter() - t0
    cap.release()
    return Timing(n, n, seconds)


def sampled_numbers(n_frames: int, fps: float, sample_ms: int) -> set[int]:
    """Frame numbers the engine processes: the first frame at or after each sample tick
    (the rule of ``engine.media.VideoStream.frames``)."""
    chosen, next_ms = set(), 0.0
    for number in range(n_frames):
        t_ms = number * 1000.0 / fps
        if t_ms + 1e-6 < next_ms:
            continue
        chosen.add(number)
        while next_ms <= t_ms + 1e-6:
            next_ms += sample_ms
    return chosen


def decode_sampled(path: Path, chosen: set[int]) -> Timing:
    """OpenCV alone, the engine's decoding work: ``grab()`` every frame, ``retrieve()`` the
    sampled ones."""
    import cv2

    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    n = done = 0
    t0 = time.perf_counter()
    while cap.grab():
        if n in chosen:
            ok, _frame = cap.retrieve()
            done += ok
        n += 1
    seconds = time.perf_counter() - t0
    cap.release()
    return Timing(n, done, seconds)


_SPINNER = """
import os, sys, time
per = float(sys.argv[1]) / 1000
os.write(1, b"r")
while got := os.read(0, 4096):
    for _ in got:
        end = time.thread_time() + per
        while time.thread_time() < end:
            pass
"""


def decode_beside(path: Path, chosen: set[int], cpu_ms: float) -> Timing:
    """``decode_sampled`` while another process spends ``cpu_ms`` of CPU for each sampled
    frame (told over a pipe as it is retrieved); timed until both are done.  Pure Python on
    its own core, sharing no GIL and no queue with the decoder: what decoding keeps when the
    nodes' work runs beside it and nothing couples the two."""
    import subprocess

    import cv2

    spin = subprocess.Popen([sys.executable, "-c", _SPINNER, f"{cpu_ms:.6f}"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert spin.stdin is not None and spin.stdout is not None
    spin.stdout.read(1)  # started
    tell = spin.stdin.fileno()
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    n = done = 0
    t0 = time.perf_counter()
    while cap.grab():
        if n in chosen:
            ok, _frame = cap.retrieve()
            done += ok
            os.write(tell, b"f")
        n += 1
    spin.communicate()  # closes its stdin (it ends when the pipe does) and waits
    seconds = time.perf_counter() - t0
    cap.release()
    return Timing(n, done, seconds)


def pass_through(wf: Any) -> Any:
    """``wf`` with every node's ``process()`` returning its input unchanged: the engine's own
    cost per frame (decoding thread hand-off, executor, frame callback) with nodes that do
    nothing.  Returns ``wf``."""
    graph = wf.compile()
    graph.instantiate()
    for node in graph.nodes:
        node.operator.process = _unchanged  # an instance attribute, shadowing the method
    return wf


def _unchanged(data: Any, ctx: Any) -> Any:
    return data


def _nodes_cpu_ms(t: Timing) -> float:
    """The nodes' process() CPU per processed frame of one pipeline pass, in ms."""
    return sum(t.nodes_cpu.values()) / max(1, t.processed) * 1e3


def workflow_yaml(detections: Path, fps: float) -> str:
    """detections-file -> byte-tracker -> object-counter; the replay looks frames up by time."""
    nodes = [
        ("detect", "detections-file", f"{{path: '{detections}', fps: {fps}}}"),
        ("track", "byte-tracker", "{}"),
        ("count", "object-counter", "{}"),
    ]
    lines = ["workflow:", "  id: video-pipeline", "  nodes:"]
    for k, (nid, type_id, params) in enumerate(nodes):
        lines += [f"    - id: {nid}", "      model:", f"        model_id: {nid}",
                  f"        model_type_id: {type_id}",
                  f"        output_info: {{params: {params}}}"]
        if k:
            lines.append(f"      node_inputs: [{{node_id: {nodes[k - 1][0]}}}]")
    return "\n".join(lines) + "\n"


def _rss_reader() -> Callable[[], float]:
    """Current RSS in MiB: /proc/self/statm where there is one, else the peak from getrusage."""
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:
        scale = 1 / (1 << 20) if sys.platform == "darwin" else 1 / 1024
        return lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return lambda: int(os.pread(fd, 64, 0).split()[1]) * _PAGE_MIB


def clock_nodes(wf: Any, cpu: dict[str, float] | None = None) -> dict[str, float]:
    """Time each node's ``process``: the returned dict accumulates seconds by node id, and
    ``cpu`` (if given) the thread's CPU seconds, which other processes' load barely changes."""
    graph = wf.compile()
    graph.instantiate()
    spent: dict[str, float] = {}
    used = cpu if cpu is not None else {}
    for node in graph.nodes:
        process = node.operator.process

        def timed(data: Any, ctx: Any, _process: Any = process, _id: str = node.id) -> Any:
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return _process(data, ctx)
            finally:
                used[_id] = used.get(_id, 0.0) + time.thread_time() - c0
                spent[_id] = spent.get(_id, 0.0) + time.perf_counter() - t0

        node.operator.process = timed  # an instance attribute, shadowing the method
    return spent


def run_pipeline(wf: Any, video: Path, sample_ms: int, n_frames: int, *,
                 json_lines: bool = False, clock: dict[str, float] | None = None,
                 cpu_clock: dict[str, float] | None = None) -> Timing:
    """The workflow over the video as ``opgraph run --stream`` runs it; RSS sampled per frame.
    ``clock`` and ``cpu_clock`` are ``clock_nodes``' dicts, emptied first and read after.

    With ``json_lines`` each frame is also serialised as --stream prints it (to a buffer
    emptied every frame, so the buffer itself does not grow)."""
    from engine import StatusCode

    rss, counts = [], []
    read_rss = _rss_reader()
    sink = io.StringIO()
    last = wf.node_ids[-1]
    numbers: list[int] = []

    def on_frame(index: int, info: Any, ctx: Any) -> None:
        if json_lines:
            outputs = [{"id": nid, "data": d.to_dict() if d is not None else {}}
                       for nid, d in ctx.outputs.items()]
            json.dump({"input": index, "frame_info": info.to_dict(), "outputs": outputs}, sink)
            sink.seek(0)
            sink.truncate()
        out = ctx.outputs.get(last)
        meta = out.metadata if out is not None else None
        counts.append(int(meta.get("object_count", -1)) if meta else -1)
        numbers.append(info.number)
        rss.append(read_rss())

    for spent in (clock, cpu_clock):
        if spent is not None:
            spent.clear()
    t0, c0 = time.perf_counter(), time.thread_time()
    resp = wf.predict(str(video), sample_ms=sample_ms, keep_frames=False, on_frame=on_frame)
    seconds, main_cpu = time.perf_counter() - t0, time.thread_time() - c0
    if resp.status.code != StatusCode.SUCCESS:
        raise RuntimeError(f"pipeline failed: {resp.status.to_dict()}")
    # the stream grabs to the end of the video, past the last frame sampled
    return Timing(n_frames, len(numbers), seconds, rss, counts,
                  nodes=dict(clock) if clock is not None else {},
                  nodes_cpu=dict(cpu_clock) if cpu_clock is not None else {}, main_cpu=main_cpu)


def rss_summary(rss: list[float]) -> dict[str, float]:
    """RSS after 10%, 50% and 100% of the frames, the peak, and the slope from 10% on (least
    squares, MiB per 1000 processed frames; the warm-up - imports, first allocations - is
    over by then)."""
    n = len(rss)
    if n == 0:
        return {}
    at = {p: rss[max(0, math.ceil(n * p / 100) - 1)] for p in (10, 50, 100)}
    ys = np.asarray(rss[max(0, math.ceil(n * 0.1) - 1):])
    slope = float(np.polyfit(np.arange(len(ys)), ys, 1)[0]) * 1000 if len(ys) > 1 else 0.0
    return {"rss10": at[10], "rss50": at[50], "rss100": at[100], "peak": max(rss),
            "slope": slope}


# ---- one run: generate, time interleaved, report ----------------------------------------------


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=1.0, help="video length (default 1)")
    p.add_argument("--quick", action="store_true", help="a 20-second video, for a fast look")
    p.add_argument("--fps", type=float, default=30.0, help="the video's frame rate")
    p.add_argument("--sample-ms", type=int, default=100, help="the engine's sample_ms (>= 100)")
    p.add_argument("--objects", type=int, default=12, help="moving rectangles per frame")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians quoted")
    p.add_argument("--json", action="store_true",
                   help="also time the pipeline serialising each frame as --stream prints it")
    p.add_argument("--dir", help="keep the video here and reuse it (default: a temp dir)")
    return p.parse_args(argv)


def _prepare(folder: Path, seconds: float, fps: float, n_objects: int) -> tuple[Path, Path, int]:
    n_frames = round(seconds * fps)
    stem = f"moving_{n_frames}f_{fps:g}fps_{n_objects}obj"
    video, dets = folder / f"{stem}.mp4", folder / f"{stem}.txt"
    if not video.is_file() or not dets.is_file():
        t0 = time.perf_counter()
        write_detections(dets, n_frames, n_objects)
        t_dets = time.perf_counter() - t0
        t_video = write_video(video, n_frames, fps, n_objects)
        mib = video.stat().st_size / (1 << 20)
        print(f"wrote {n_frames} frames of {SIZE[0]}x{SIZE[1]} mp4v at {fps:g} fps "
              f"({mib:.0f} MiB) in {t_video:.1f} s ({n_frames / t_video:.0f} frames/s); "
              f"detections file in {t_dets:.1f} s")
    else:
        print(f"reusing {video.name}")
    return video, dets, n_frames


def _time_rounds(args: argparse.Namespace, video: Path, dets: Path,
                 n_frames: int) -> dict[str, list[Timing]]:
    from engine import Workflow

    wf = Workflow.from_yaml(workflow_yaml(dets, args.fps))
    idle = pass_through(Workflow.from_yaml(workflow_yaml(dets, args.fps)))
    cpu_clock: dict[str, float] = {}
    clock = clock_nodes(wf, cpu_clock)
    chosen = sampled_numbers(n_frames, args.fps, args.sample_ms)
    passes: dict[str, Callable[[], Timing]] = {
        "decode all": lambda: decode_all(video),
        "decode sampled": lambda: decode_sampled(video, chosen),
        "pipeline": lambda: run_pipeline(wf, video, args.sample_ms, n_frames, clock=clock,
                                         cpu_clock=cpu_clock),
        "pipeline, 5 ms GIL": lambda: _switched(
            0.005, lambda: run_pipeline(wf, video, args.sample_ms, n_frames)
        ),
        "pipeline, no-op nodes": lambda: run_pipeline(idle, video, args.sample_ms, n_frames),
        # the nodes' CPU of this round's pipeline pass, spent beside OpenCV's decoding
        "decode + nodes' CPU": lambda: decode_beside(
            video, chosen, _nodes_cpu_ms(got["pipeline"][-1])
        ),
    }
    if args.json:
        passes["pipeline + json"] = lambda: run_pipeline(wf, video, args.sample_ms, n_frames,
                                                         json_lines=True)
    got: dict[str, list[Timing]] = {k: [] for k in passes}
    for r in range(args.rounds):
        for name, fn in passes.items():
            got[name].append(t := _timed(fn))
            print(f"  round {r + 1} {name:<21} {t.fps:7.1f} video frames/s "
                  f"({t.processed} processed in {t.seconds:.1f} s, {t.cpu:.1f} s CPU)",
                  flush=True)
    return got


def gil_probe(path: Path, interval: float, cpu_s: float = 0.3) -> float:
    """Frames per second a thread ``grab()``s from ``path`` while this thread runs pure
    Python for ``cpu_s`` of its own CPU time, at GIL switch ``interval``: how much the graph's
    Python work stalls a decoder that needs the GIL between two frames."""
    import threading

    import cv2

    old = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    grabbed, stop = [0], threading.Event()

    def decode() -> None:
        while not stop.is_set() and cap.grab():
            grabbed[0] += 1

    thread = threading.Thread(target=decode)
    try:
        thread.start()
        c0, t0, x = time.thread_time(), time.perf_counter(), 0
        while time.thread_time() - c0 < cpu_s:
            for i in range(1000):
                x += i
        rate = grabbed[0] / (time.perf_counter() - t0)
    finally:
        stop.set()
        thread.join()
        cap.release()
        sys.setswitchinterval(old)
    return rate


def _gil_report(video: Path, rounds: int) -> None:
    from engine._prefetch import SWITCH_S

    got: dict[float, list[float]] = {0.005: [], SWITCH_S: []}
    for _ in range(max(3, rounds)):
        for interval, rates in got.items():
            rates.append(gil_probe(video, interval))
    print("\nGIL probe: frames/s a decoding thread grab()s while the main thread runs Python "
          "(interleaved rounds):")
    for interval, rates in got.items():
        print(f"  switch interval {interval * 1e3:g} ms: "
              + "  ".join(f"{r:6.0f}" for r in rates)
              + f"   median {statistics.median(rates):.0f}")


def _switched(interval: float, fn: Callable[[], Timing]) -> Timing:
    """``fn()`` with ``interval`` as the GIL switch interval during decoding (0.005 is
    Python's default)."""
    import engine._prefetch as prefetch

    short, prefetch.SWITCH_S = prefetch.SWITCH_S, interval
    try:
        return fn()
    finally:
        prefetch.SWITCH_S = short


def _timed(fn: Callable[[], Timing]) -> Timing:
    """``fn()`` with its CPU seconds: this process's and its finished children's."""

    def used() -> float:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + kids.ru_utime + kids.ru_stime

    cpu = used()
    t = fn()
    t.cpu = used() - cpu
    return t


def _breakdown(got: dict[str, list[Timing]]) -> None:
    """Where a processed frame's wall time goes: decoding, each node, the rest (engine)."""
    pipe = got["pipeline"]
    per = statistics.median(t.seconds / t.processed for t in pipe) * 1e3
    decode = statistics.median(t.seconds / t.processed for t in got["decode sampled"]) * 1e3
    nodes = {k: statistics.median(t.nodes.get(k, 0.0) / t.processed for t in pipe) * 1e3
             for k in pipe[0].nodes}
    parts = "  ".join(f"{k} {v:.2f}" for k, v in nodes.items())
    rest = per - decode - sum(nodes.values())
    print(f"per processed frame, ms (medians): pipeline {per:.2f} = decoding {decode:.2f} "
          f"(decode sampled) + nodes' process(): {parts} + the rest {rest:+.2f} "
          f"(executor, frame callback, decode thread hand-off, noise)")
    _cpu_breakdown(got)


def _cpu_breakdown(got: dict[str, list[Timing]]) -> None:
    """The same in CPU time, which other processes' load changes far less than wall time:
    the pipeline's CPU beyond OpenCV's is what the engine costs, whatever the overlap."""
    pipe, n = got["pipeline"], got["pipeline"][0].processed

    def ms(values: list[float]) -> float:
        return statistics.median(values) / n * 1e3

    total, main = ms([t.cpu for t in pipe]), ms([t.main_cpu for t in pipe])
    decode = ms([t.cpu for t in got["decode sampled"]])
    nodes = {k: ms([t.nodes_cpu.get(k, 0.0) for t in pipe]) for k in pipe[0].nodes_cpu}
    parts = "  ".join(f"{k} {v:.2f}" for k, v in nodes.items())
    print(f"CPU per processed frame, ms (medians): pipeline {total:.2f} = decoding thread "
          f"{total - main:.2f} + graph thread {main:.2f} (nodes' process(): {parts} + the rest "
          f"{main - sum(nodes.values()):.2f}: executor, frame callback, hand-off); decode "
          f"sampled {decode:.2f}, so the engine adds {total - decode:.2f}")


def _ceiling(got: dict[str, list[Timing]], med: dict[str, float]) -> None:
    """The pipeline beside what bounds it: the engine with no-op nodes, and OpenCV with the
    nodes' CPU spent beside it in another process."""
    beside, idle = med.get("decode + nodes' CPU"), med.get("pipeline, no-op nodes")
    if beside is None or idle is None:
        return
    nodes = statistics.median(_nodes_cpu_ms(t) for t in got["pipeline"])
    base = med["decode sampled"]
    print(f"what bounds it: OpenCV's decoding with the nodes' {nodes:.2f} ms of CPU per "
          f"processed frame spent beside it in another process keeps {beside / base:.2f} "
          f"(the most any engine running these nodes keeps on this machine); the engine "
          f"with no-op nodes keeps {idle / base:.2f}")


def _report(got: dict[str, list[Timing]], args: argparse.Namespace) -> None:
    med = {k: statistics.median(t.fps for t in ts) for k, ts in got.items()}
    processed = got["pipeline"][0].processed
    print(f"\nmedians of {args.rounds} interleaved rounds; sample_ms={args.sample_ms} on a "
          f"{args.fps:g} fps video processes {processed} of {got['decode all'][0].frames} frames")
    cpu = {k: statistics.median(t.cpu for t in ts) for k, ts in got.items()}
    print(f"{'pass':<22}{'video frames/s':>15}{'processed/s':>13}{'vs decode all':>15}"
          f"{'vs decode sampled':>19}{'CPU s':>8}{'CPU vs sampled':>16}")
    for name, ts in got.items():
        per = statistics.median(t.processed / t.seconds for t in ts)
        print(f"{name:<22}{med[name]:>15.1f}{per:>13.1f}{med[name] / med['decode all']:>15.2f}"
              f"{med[name] / med['decode sampled']:>19.2f}{cpu[name]:>8.1f}"
              f"{cpu['decode sampled'] / cpu[name]:>16.2f}")
    for name in (k for k in got if k.startswith(("pipeline", "decode +"))):
        rounds = "  ".join(f"{p.fps / d.fps:.2f}"
                           for p, d in zip(got[name], got["decode sampled"], strict=True))
        print(f"{name} / decode sampled, round by round: {rounds}")
    strict = med["pipeline"] / med["decode sampled"]
    verdict = "met" if strict >= GOAL_RATIO else "MISSED"
    print(f"goal: pipeline >= {GOAL_RATIO:.2f} x OpenCV at equal decoding work: "
          f"{strict:.2f} ({verdict}); vs decoding every frame: "
          f"{med['pipeline'] / med['decode all']:.2f}")
    _ceiling(got, med)
    _breakdown(got)
    counts = got["pipeline"][0].counts
    print(f"objects counted per frame: median {statistics.median(counts):g} "
          f"(of {args.objects} drawn), min {min(counts)}")
    # frames in flight (decoded ahead, being processed) vary by a frame or two
    jitter = 2 * SIZE[0] * SIZE[1] * 3 / (1 << 20)
    print(f"\nRSS of the pipeline per round, MiB (after 10% / 50% / 100% of the frames, peak, "
          f"slope from 10% on in MiB per 1000 frames); flat = the second half grows less "
          f"than two decoded frames ({jitter:.1f} MiB):")
    for r, t in enumerate(got["pipeline"]):
        s = rss_summary(t.rss_mib)
        flat = "flat" if s["rss100"] - s["rss50"] < jitter else "GROWS"
        print(f"  round {r + 1}: {s['rss10']:.1f} / {s['rss50']:.1f} / {s['rss100']:.1f}, "
              f"peak {s['peak']:.1f}, slope {s['slope']:+.3f}  ({flat})")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    print("$ " + " ".join([Path(sys.executable).name, *sys.argv]))
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    seconds = 20.0 if args.quick else args.minutes * 60.0
    with tempfile.TemporaryDirectory(prefix="video-pipeline-") as tmp:
        folder = Path(args.dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        video, dets, n_frames = _prepare(folder, seconds, args.fps, args.objects)
        got = _time_rounds(args, video, dets, n_frames)
        _report(got, args)
        _gil_report(video, args.rounds)
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
