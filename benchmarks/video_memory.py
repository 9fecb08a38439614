"""Memory of a 10-minute video in ``predict`` and in ``--stream``, and the fps ratio.

    .venv/bin/python benchmarks/video_memory.py              # ~1-2 min on a quiet machine
    .venv/bin/python benchmarks/video_memory.py --minutes 2 --fps-seconds 10   # a fast look

One run writes a synthetic video (12 rectangles moving on a gradient, 160x120 at 10 fps, so
``sample_ms=100`` processes every frame: 6,000 for 10 minutes) and its MOT detections
file, then runs detections-file -> byte-tracker -> object-counter over it, each mode in a
fresh process so their memory is comparable:

- ``predict``: ``Workflow.predict(video)`` keeping every frame's result (``data.frames``,
  stored compressed, ``engine.frames``);
- ``predict, as objects``: the same frames kept as pydantic objects, as ``predict`` kept
  them before (the frame callback builds each node's ``Frame`` and appends it to a list);
- ``--stream``: ``predict(keep_frames=False)`` with each frame serialised to a JSON line,
  as ``opgraph run --stream`` prints it.

Each mode prints the process's RSS after 10%, 50% and 100% of the processed frames, the
growth per processed frame from 10% to 100%, and for ``predict`` the bytes the result
holds (tracemalloc is not used: it would slow the run; RSS is what a user sees).  Then the
fps ratio at equal decoding work on a 1080p video (``benchmarks/video_pipeline.py``'s
passes: OpenCV's ``grab()`` of every frame and ``retrieve()`` of the sampled ones, against
the pipeline with ``keep_frames=False``), in interleaved rounds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent)]  # this checkout's engine, also in the children
import video_pipeline as vp  # noqa: E402  (the video and detections writers, the passes)

__all__ = ["MODES", "main", "run_mode"]

SMALL = (160, 120)
MODES = ("predict", "predict, as objects", "--stream")
_MARKS = (10, 50, 100)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10.0, help="memory video length (10)")
    p.add_argument("--objects", type=int, default=12, help="moving rectangles per frame (12)")
    p.add_argument("--fps-seconds", type=float, default=20.0,
                   help="length of the 1080p video for the fps ratio (20; 0 skips it)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved fps rounds (3)")
    p.add_argument("--dir", help="keep the videos here and reuse them (default: a temp dir)")
    p.add_argument("--child", help=argparse.SUPPRESS)  # one mode, run in a fresh process
    return p.parse_args(argv)


def run_mode(mode: str, video: Path, dets: Path, n_frames: int) -> dict[str, Any]:
    """One mode over the video in this process: RSS (MiB) at the marks, seconds, result size."""
    from engine import Workflow
    from engine.proto import Frame

    wf = Workflow.from_yaml(vp.workflow_yaml(dets, 10.0))
    read_rss = vp._rss_reader()
    marks = {max(1, n_frames * p // 100): p for p in _MARKS}
    rss: dict[int, float] = {}
    kept: dict[str, list[Any]] = {nid: [] for nid in wf.node_ids}
    sink = open(os.devnull, "w")
    done, regions = [0], [0]

    def on_frame(index: int, info: Any, ctx: Any) -> None:
        last = ctx.outputs.get(wf.node_ids[-1])
        regions[0] += len(last.regions) if last is not None else 0
        if mode == "--stream":
            outputs = [{"id": nid, "data": d.to_dict() if d is not None else {}}
                       for nid, d in ctx.outputs.items()]
            sink.write(json.dumps({"input": index, "frame_info": info.to_dict(),
                                   "outputs": outputs}, separators=(",", ":")) + "\n")
        elif mode == "predict, as objects":
            from engine.executor_video import strip_pixels

            for nid, out in ctx.outputs.items():
                kept[nid].append(Frame(frame_info=info, data=strip_pixels(out)))
        done[0] += 1
        if done[0] in marks:
            gc.collect()
            rss[marks[done[0]]] = read_rss()

    gc.collect()
    start = read_rss()
    t0 = time.perf_counter()
    resp = wf.predict(str(video), sample_ms=100, keep_frames=mode == "predict",
                      on_frame=on_frame)
    seconds = time.perf_counter() - t0
    sink.close()
    gc.collect()
    held = read_rss()
    frames = resp.results[0].outputs[0].data.frames
    stored = sum(getattr(o.data.frames, "nbytes", 0) for o in resp.results[0].outputs)
    return {"mode": mode, "start": start, "rss": {str(k): v for k, v in rss.items()},
            "after": held, "seconds": seconds, "frames": done[0],
            "kept": len(frames) if mode == "predict" else len(kept[wf.node_ids[0]]),
            "stored_bytes": stored, "status": int(resp.status.code),
            "details": resp.status.details or "", "regions": regions[0] / max(1, done[0])}


def _child(args: argparse.Namespace) -> int:
    video, dets, n_frames = _small_video(Path(args.dir), args.minutes, args.objects)
    print(json.dumps(run_mode(args.child, video, dets, n_frames)))
    return 0


def _small_video(folder: Path, minutes: float, objects: int) -> tuple[Path, Path, int]:
    n = round(minutes * 60 * 10)
    video = folder / f"small_{n}f_10fps_{objects}obj.mp4"
    dets = folder / f"small_{n}f_10fps_{objects}obj.txt"
    if not video.is_file() or not dets.is_file():
        vp.write_detections(dets, n, objects, SMALL)
        vp.write_video(video, n, 10.0, objects, SMALL)
    return video, dets, n


def _memory(args: argparse.Namespace, folder: Path) -> None:
    t0 = time.perf_counter()
    _, _, n = _small_video(folder, args.minutes, args.objects)
    print(f"memory: {args.minutes:g} min of {SMALL[0]}x{SMALL[1]} video at 10 fps, {n} frames "
          f"all processed (sample_ms=100), {args.objects} objects; written in "
          f"{time.perf_counter() - t0:.1f} s; each mode in a fresh process")
    print(f"{'mode':<22}{'RSS 10%':>9}{'50%':>9}{'100%':>9}{'KiB/frame 10->100%':>20}"
          f"{'kept':>7}{'stored KiB/frame':>18}{'seconds':>9}{'regions':>9}")
    for mode in MODES:
        cmd = [sys.executable, __file__, f"--child={mode}", "--dir", str(folder),
               "--minutes", str(args.minutes), "--objects", str(args.objects)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{mode:<22} failed: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if r["status"] != 10000:
            print(f"{mode:<22} status {r['status']}: {r['details'][:200]}")
        at = [r["rss"].get(str(p), float("nan")) for p in _MARKS]
        per = (at[2] - at[0]) * 1024 / max(1, r["frames"] * 0.9)
        stored = r["stored_bytes"] / 1024 / max(1, r["kept"]) if r["stored_bytes"] else 0.0
        print(f"{mode:<22}{at[0]:>9.1f}{at[1]:>9.1f}{at[2]:>9.1f}{per:>20.2f}{r['kept']:>7}"
              f"{stored:>18.2f}{r['seconds']:>9.1f}{r['regions']:>9.1f}", flush=True)
    print("RSS in MiB; KiB/frame: RSS growth from 10% to 100% of the frames over 90% of them "
          "(goal for predict: <= 2 KiB; --stream: flat); stored: the compressed frames; "
          "regions: per frame in the last node's output")


def _fps(args: argparse.Namespace, folder: Path) -> None:
    from engine import Workflow

    fps = 30.0
    video, dets, n = vp._prepare(folder, args.fps_seconds, fps, args.objects)
    wf = Workflow.from_yaml(vp.workflow_yaml(dets, fps))
    chosen = vp.sampled_numbers(n, fps, 100)
    got: dict[str, list[float]] = {"decode sampled": [], "pipeline": []}
    vp.run_pipeline(wf, video, 100, n)  # warm-up: imports, first allocations
    for _ in range(args.rounds):
        got["decode sampled"].append(vp.decode_sampled(video, chosen).fps)
        got["pipeline"].append(vp.run_pipeline(wf, video, 100, n).fps)
    ratios = [p / d for p, d in zip(got["pipeline"], got["decode sampled"], strict=True)]
    med = {k: statistics.median(v) for k, v in got.items()}
    print(f"\nfps: {args.fps_seconds:g} s of 1080p at 30 fps, sample_ms=100 ({len(chosen)} of {n} "
          f"frames processed), {args.rounds} interleaved rounds, video frames per second:")
    for k, v in got.items():
        print(f"  {k:<16} " + "  ".join(f"{x:7.1f}" for x in v) + f"   median {med[k]:.1f}")
    print("  ratio per round  " + "  ".join(f"{x:7.2f}" for x in ratios)
          + f"   median {statistics.median(ratios):.2f}"
          f"  (goal >= {vp.GOAL_RATIO:.2f} of OpenCV at equal decoding work)")


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    if args.child:
        return _child(args)
    print("$ " + " ".join([Path(sys.executable).name, *sys.argv]))
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="video-memory-") as tmp:
        folder = Path(args.dir or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        _memory(args, folder)
        if args.fps_seconds > 0:
            _fps(args, folder)
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
