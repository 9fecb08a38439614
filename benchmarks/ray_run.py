"""``opgraph run --dataset``: in this process beside Ray (local, 2 workers), per input.

    .venv/bin/python benchmarks/ray_run.py                    # 20,000 text inputs, ~2-4 min
    .venv/bin/python benchmarks/ray_run.py --inputs 100000    # the issue's size
    .venv/bin/python benchmarks/ray_run.py --address auto     # a running Ray cluster

A 5-node workflow over short texts (a regex classifier, three concept-thresholders in a
chain, the hashing text-embedder), run by ``engine.dataset_run.run_dataset`` into a
results file: once with ``engine="local"``, once with ``engine="ray"`` and ``--workers``
actors on a local Ray (``ray.init(num_cpus=workers)``).  Printed: wall time, time per
input, Ray's start-up (``ray.init`` until the first result is written) apart, and the
results compared input by input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import dataset_run
from engine.workflow import Workflow


def _flow() -> str:
    wf = Workflow("five")
    concepts = [{"id": "red"}, {"id": "blue"}]
    wf.add("regex-based-classifier", id="cls", params={"regex": "red|blue", "concepts": concepts})
    prev = "cls"
    for i in range(3):
        red = [{"id": "red", "value": 0.5}]
        params = {"concept_threshold_type": "GREATER_THAN", "concepts": red}
        prev = wf.add("concept-thresholder", id=f"t{i}", inputs=[prev], params=params)
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf.to_yaml()


def _dataset(path: Path, n: int) -> None:
    colours = ("red", "blue", "green")
    with path.open("w") as f:
        for i in range(n):
            text = f"input {i}: a {colours[i % 3]} car parked by house {i * 7}"
            f.write(json.dumps({"id": f"x{i}", "data": {"text": {"raw": text}}}) + "\n")


def _timed(engine: str, data: Path, out: Path, **kw: object) -> float:
    t = time.perf_counter()
    dataset_run.run_dataset(_flow(), str(data), out, engine=engine, show_progress=False, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--address", help="a Ray cluster (default: a local one)")
    args = parser.parse_args(argv)
    import ray

    print(f"load average {os.getloadavg()[0]:.1f} (2 cores shared: compare within a row)")
    folder = Path(tempfile.mkdtemp(prefix="opgraph-ray-bench-"))
    data = folder / "in.jsonl"
    _dataset(data, args.inputs)
    local = _timed("local", data, folder / "local.jsonl", batch_size=args.batch)
    t = time.perf_counter()
    ray.init(
        address=args.address,
        num_cpus=None if args.address else args.workers,
        include_dashboard=False,
        log_to_driver=False,
    )
    start = time.perf_counter() - t
    tiny = folder / "tiny.jsonl"
    _dataset(tiny, args.workers)
    warm = _timed("ray", tiny, folder / "tiny-out.jsonl", workers=args.workers, batch_size=1)
    distributed = _timed(
        "ray", data, folder / "ray.jsonl", workers=args.workers, batch_size=args.batch
    )
    ray.shutdown()
    same = (folder / "local.jsonl").read_text() == (folder / "ray.jsonl").read_text()
    n = args.inputs
    print(f"\n{args.inputs:,} text inputs, 5-node workflow, batches of {args.batch}")
    print(f"{'':<34}{'wall s':>10}{'us/input':>12}")
    print(f"{'in-process':<34}{local:>10.1f}{local / n * 1e6:>12.0f}")
    label = f"Ray, {args.workers} workers"
    print(f"{label:<34}{distributed:>10.1f}{distributed / n * 1e6:>12.0f}")
    print(f"{'  ray.init':<34}{start:>10.1f}")
    print(f"{'  actors up + first batch':<34}{warm:>10.1f}")
    steady = max(0.0, distributed - warm)
    print(f"{'Ray, less one actor start-up':<34}{steady:>10.1f}{steady / n * 1e6:>12.0f}")
    print(f"results equal input by input: {same}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
