#!/usr/bin/env python
"""Our four trackers side by side with the peer trackers, on the shared MOT harness.

    python benchmarks/tracking.py --setup       # once: .venv-bench with the peers + opgraph
    python benchmarks/tracking.py               # every tracker x every scenario (~4 min)
    python benchmarks/tracking.py --scenarios sparse,occlusion_heavy --peers rf_sort

The harness lives in ``../shared/bench/tracking`` next to this repository.  It is run
in-process: the same timed ``update()`` loop, the same metrics (TrackEval HOTA,
py-motmetrics MOTA / IDF1 / IDSW), one table.  Our trackers are plugged in as they are
(``operators.track.ByteTracker`` etc., library defaults).

The harness gives detections only (no pixels), so ``kalman-reid-tracker`` is fed
*synthetic* appearance embeddings: each ground-truth identity gets a random unit vector,
each detection that overlaps a ground-truth box gets its identity's vector plus Gaussian
noise (more noise for low-score, i.e. occluded, detections), false positives get random
vectors.  This measures what the ReID logic does with a decent embedder; it says nothing
about any real embedding model.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Single-threaded BLAS, as the harness does: stable timings on a shared box.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HARNESS = REPO.parent / "shared" / "bench" / "tracking"
VENV = REPO / ".venv-bench"

OURS = {
    "opgraph_byte": ("ByteTracker", "byte-tracker, defaults"),
    "opgraph_kalman": ("KalmanTracker", "kalman-filter-tracker, defaults"),
    "opgraph_centroid": ("CentroidTracker", "centroid-tracker, defaults"),
    "opgraph_reid": ("KalmanReidTracker", "kalman-reid-tracker, defaults, synthetic embeddings"),
}
# the peer list of the harness's PEERS.md; boxmot ones need torch and are optional
PEERS = ["iou_greedy", "sv_bytetrack", "norfair", "boxmot_bytetrack", "boxmot_ocsort",
         "rf_bytetrack", "rf_ocsort", "rf_sort"]
EMBED_DIM = 32
EMBED_NOISE_HIGH = 0.5  # noise norm relative to the unit identity vector, score >= 0.5
EMBED_NOISE_LOW = 1.0  # occluded (low-score) detections look less like themselves
EMBED_MIN_IOU = 0.3


def _fail(msg: str) -> None:
    print(f"tracking benchmark: {msg}", file=sys.stderr)
    sys.exit(2)


def _setup() -> None:
    """Create .venv-bench with the harness's pinned peers and install opgraph into it."""
    if not HARNESS.is_dir():
        _fail(f"harness not found at {HARNESS} (expected ../shared/bench/tracking)")
    env = dict(os.environ, VENV=str(VENV))
    subprocess.run(["bash", str(HARNESS / "setup_venv.sh")], check=True, env=env)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "-e", str(REPO), "--no-deps"], check=True)
    subprocess.run([*pip, "pydantic>=2.11", "PyYAML", "networkx"], check=True)


def _ensure_environment() -> None:
    """Find the harness; re-run under .venv-bench if this interpreter lacks its packages."""
    if not (HARNESS / "run.py").is_file():
        _fail(f"harness not found at {HARNESS}: this benchmark needs ../shared/bench/tracking "
              "next to the repository; nothing was run")
    if importlib.util.find_spec("motmetrics") is not None:
        return
    py = VENV / "bin" / "python"
    if py.exists() and Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(py), [str(py), *sys.argv])
    _fail(f"motmetrics is not importable; run `python {Path(__file__).name} --setup` first")


# --------------------------------------------------------------------------- appearance


def _synthetic_embeddings(seq: Any, seed: int = 0) -> list[np.ndarray]:
    """Per frame, one embedding row per detection (see the module docstring)."""
    from scipy.optimize import linear_sum_assignment

    from engine import geometry

    rng = np.random.default_rng(seed)
    ids = np.unique(seq.gt[:, 1]).astype(np.int64)
    identity = rng.normal(size=(len(ids), EMBED_DIM))
    identity /= np.linalg.norm(identity, axis=1, keepdims=True)
    row_of = {int(i): k for k, i in enumerate(ids)}
    frames = seq.frame_dets()
    out = []
    for f, dets in enumerate(frames, start=1):
        gt = seq.gt[seq.gt[:, 0] == f]
        emb = rng.normal(size=(len(dets), EMBED_DIM))  # false positives: anything
        emb /= np.linalg.norm(emb, axis=1, keepdims=True)
        if len(gt) and len(dets):
            iou = geometry.iou_matrix(dets[:, :4], gt[:, 2:6])
            r, c = linear_sum_assignment(-iou)
            ok = iou[r, c] >= EMBED_MIN_IOU
            r, c = r[ok], c[ok]
            noise = np.where(dets[r, 4] >= 0.5, EMBED_NOISE_HIGH, EMBED_NOISE_LOW)
            jitter = rng.normal(size=(len(r), EMBED_DIM)) / np.sqrt(EMBED_DIM)
            base = identity[[row_of[int(g)] for g in gt[c, 1]]]
            emb[r] = base + noise[:, None] * jitter
        out.append(emb)
    return out


class _WithEmbeddings:
    """Adapter: the harness calls ``update(dets)``; we add that frame's embeddings."""

    def __init__(self, tracker: Any, embeddings: list[np.ndarray]) -> None:
        self.tracker, self.embeddings, self.frame = tracker, embeddings, 0

    def update(self, dets: np.ndarray) -> np.ndarray:
        emb = self.embeddings[self.frame]
        self.frame += 1
        return self.tracker.update(dets, emb)


def _factory(name: str, seq: Any) -> Callable[..., Any]:
    import operators.track as track

    cls = getattr(track, OURS[name][0])
    if name != "opgraph_reid":
        return cls
    embeddings = _synthetic_embeddings(seq)  # before timing: not the tracker's cost

    def make(frame_rate: float = 30.0, **kw: Any) -> _WithEmbeddings:
        return _WithEmbeddings(cls(frame_rate=frame_rate, **kw), embeddings)

    return make


# --------------------------------------------------------------------------- running


def _run_all(trackers: list[str], scenarios: list[str], args: argparse.Namespace) -> list[dict]:
    from mot_bench import adapters, datasets, runner

    results = []
    t0 = time.perf_counter()
    for s in scenarios:
        seq = datasets.get_sequence(s)
        for t in trackers:
            rec: dict[str, Any] = {"tracker": t, "scenario": seq.name}
            try:
                if t in OURS:
                    entry = adapters.TrackerEntry(_factory(t, seq), ("opgraph",), OURS[t][1])
                else:
                    entry = adapters.resolve(t)
                rec.update(runner.run(entry, seq, {}, warmup=10, repeat=args.repeat,
                                      hota=not args.no_hota))
                if args.no_hota and rec.get("status") == "ok":
                    rec["HOTA"] = float("nan")  # the table renderer expects the column
            except Exception as e:  # report and go on, like the harness's --all
                rec["status"] = f"error: {type(e).__name__}: {e}"
            rec["seq"], rec["seq_checksum"] = seq.stats(), seq.checksum()
            results.append(rec)
            msg = (" ".join(f"{k} {rec[k]:.3f}" for k in ("HOTA", "MOTA", "IDF1") if k in rec)
                   + f" fps {rec.get('fps', 0):.0f}" if rec.get("status") == "ok"
                   else rec.get("status"))
            print(f"[{time.perf_counter() - t0:6.0f}s] {s:22s} {t:18s} {msg}", file=sys.stderr,
                  flush=True)
    return results


def _peers_md() -> dict[tuple[str, str], dict[str, float]]:
    """Per (tracker, scenario) HOTA / MOTA / IDF1 / IDSW / fps from the harness's PEERS.md."""
    path = HARNESS / "PEERS.md"
    if not path.exists():
        return {}
    out: dict[tuple[str, str], dict[str, float]] = {}
    text = path.read_text()
    for key in ("HOTA", "MOTA", "IDF1", "IDSW", "fps"):
        m = re.search(rf"\*\*{key}[^*]*\*\*[^\n]*\n\n(\|.*?)\n\n", text, re.S)
        if not m:
            continue
        lines = m.group(1).splitlines()
        head = [c.strip() for c in lines[0].strip("|").split("|")]
        for line in lines[2:]:
            cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
            for scen, val in zip(head[1:], cells[1:], strict=False):
                if scen != "mean" and re.fullmatch(r"[\d.]+", val):
                    scale = 100.0 if key in ("HOTA", "MOTA", "IDF1") else 1.0
                    out.setdefault((cells[0], scen), {})[key] = float(val) / scale
    return out


# --------------------------------------------------------------------------- goals


def _peer_table(results: list[dict], peers: list[str], scenarios: list[str]
                ) -> tuple[dict[tuple[str, str], dict[str, float]], list[str]]:
    """Peer figures from this run; PEERS.md fills in peers that could not run here."""
    md = _peers_md()
    table: dict[tuple[str, str], dict[str, float]] = {}
    borrowed = set()
    for p in peers:
        for s in scenarios:
            live = next((r for r in results if r["tracker"] == p and r["scenario"] == s), None)
            if live is not None and live.get("status") == "ok":
                table[(p, s)] = live
            elif (p, s) in md:
                table[(p, s)] = md[(p, s)]
                borrowed.add(p)
    return table, sorted(borrowed)


def _num(v: Any) -> float | None:
    """A figure, or None when missing or NaN (HOTA under --no-hota): shown as n/a."""
    return None if v is None or v != v else float(v)


def _mean(table: dict, tracker: str, scenarios: list[str], key: str) -> float | None:
    vals = [_num(table[(tracker, s)].get(key)) for s in scenarios if (tracker, s) in table]
    if len(vals) != len(scenarios) or any(v is None for v in vals):
        return None
    return float(np.mean(vals))


def _best(table: dict, peers: list[str], scenarios: list[str], key: str
          ) -> tuple[float | None, str]:
    """The best peer mean of ``key`` and its name; (None, "-") when no peer has one."""
    means = [(m, p) for p in peers if (m := _mean(table, p, scenarios, key)) is not None]
    return max(means) if means else (None, "-")


def _goals(results: list[dict], peers: list[str], scenarios: list[str]) -> list[str]:
    ours = {(r["tracker"], r["scenario"]): r for r in results
            if r["tracker"] in OURS and r.get("status") == "ok"}
    table, borrowed = _peer_table(results, peers, scenarios)
    peer_names = sorted({p for p, _ in table})
    lines = []
    if borrowed:
        lines.append(f"(figures of {', '.join(borrowed)} taken from PEERS.md: not runnable here)")

    def check(ok: bool | None, text: str) -> None:
        lines.append(f"{'PASS' if ok else ('FAIL' if ok is not None else 'n/a ')}  {text}")

    for key in ("HOTA", "MOTA", "IDF1"):
        best = _best(table, peer_names, scenarios, key)
        mine = _mean(ours, "opgraph_byte", scenarios, key)
        check(None if mine is None or best[0] is None else mine > best[0],
              f"byte-tracker mean {key} {_pct(mine)} > best peer {best[1]} {_pct(best[0])}")
    worst = []
    for s in scenarios:
        for key in ("HOTA", "MOTA", "IDF1"):
            peer_vals = (_num(table[(p, s)].get(key)) for p in peer_names if (p, s) in table)
            best_s = max((v for v in peer_vals if v is not None), default=None)
            mine_s = _num(ours.get(("opgraph_byte", s), {}).get(key))
            if best_s is not None and mine_s is not None:
                worst.append((mine_s - best_s, s, key))
    if worst:
        gap, s, key = min(worst)
        check(gap >= -0.02, f"byte-tracker never > 2 points below the best peer: worst "
              f"{100 * gap:+.1f} ({key}, {s})")
    if "many_objects_200" in scenarios:
        fps_me = ours.get(("opgraph_byte", "many_objects_200"), {}).get("fps")
        fps_rf = table.get(("rf_bytetrack", "many_objects_200"), {}).get("fps")
        if fps_me and fps_rf:
            check(fps_me >= 2 * fps_rf, f"byte-tracker fps on many_objects_200 {fps_me:.0f} >= "
                  f"2 x trackers' ByteTrack {fps_rf:.0f} (x{fps_me / fps_rf:.2f})")
    for key in ("HOTA", "IDF1"):
        best = _best(table, peer_names, scenarios, key)
        mine = _mean(ours, "opgraph_kalman", scenarios, key)
        check(None if mine is None or best[0] is None else mine > best[0],
              f"kalman-filter-tracker mean {key} {_pct(mine)} > every peer (best {best[1]} "
              f"{_pct(best[0])})")
    nf = _mean(table, "norfair", scenarios, "IDF1")
    mine = _mean(ours, "opgraph_centroid", scenarios, "IDF1")
    check(None if mine is None or nf is None else mine > nf,
          f"centroid-tracker mean IDF1 {_pct(mine)} > norfair {_pct(nf)}")
    a = ours.get(("opgraph_reid", "occlusion_heavy"), {}).get("IDSW")
    b = ours.get(("opgraph_kalman", "occlusion_heavy"), {}).get("IDSW")
    check(None if a is None or b is None else a < b,
          f"kalman-reid-tracker IDSW on occlusion_heavy {a} < kalman-filter-tracker {b} "
          "(synthetic embeddings)")
    return lines


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--setup", action="store_true", help="create .venv-bench and exit")
    ap.add_argument("--scenarios", help="comma list (default: the harness's 9)")
    ap.add_argument("--ours", help=f"comma list of {','.join(OURS)} (default: all)")
    ap.add_argument("--peers", help="comma list of harness trackers, or 'none' (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="timed passes, fps = median")
    ap.add_argument("--no-hota", action="store_true", help="skip TrackEval")
    ap.add_argument("--results-md", help="also write the tables to this markdown file")
    args = ap.parse_args(argv)
    if args.setup:
        _setup()
        return 0
    _ensure_environment()
    sys.path.insert(0, str(HARNESS))
    sys.path.insert(0, str(REPO))
    warnings.filterwarnings("ignore", category=FutureWarning)
    import run as harness  # the harness's CLI module: its table renderers
    from mot_bench import adapters, datasets

    scenarios = args.scenarios.split(",") if args.scenarios else list(datasets.DEFAULT_SCENARIOS)
    ours = args.ours.split(",") if args.ours else list(OURS)
    peers = [] if args.peers == "none" else (args.peers.split(",") if args.peers else PEERS)
    runnable = [p for p in peers if all(
        importlib.util.find_spec(m) is not None for m in adapters.resolve(p).packages)]
    results = _run_all(ours + runnable, scenarios, args)
    tables = harness.render_tables(results, ours + runnable, scenarios)
    print(tables)
    print("\n## Goals (issue 3)\n")
    goals = _goals(results, peers, scenarios)
    print("\n".join(goals))
    if args.results_md:
        Path(args.results_md).write_text(tables + "\n\n" + "\n".join(goals) + "\n\n"
                                         + harness.render_details(results, ours + runnable,
                                                                  scenarios) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
