"""Dataset upload, version, export and import, beside a plain ``add_inputs`` of the same files.

    .venv/bin/python benchmarks/datasets.py [N]      # N text files + N/10 small PNGs (2000)

Every app uses the hashing text embedder (no model files), so the figures are the dataset
machinery plus the base workflow, not a neural network.  Wall-clock seconds, best of 3,
with the load average printed beside them (the box may be shared).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from engine.app import App
from engine.workflow import Workflow


def _base() -> Workflow:
    wf = Workflow("hashing-base")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf


def _files(root: Path, n: int) -> list[Path]:
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = root / f"t{i:05d}.txt"
        p.write_text(f"note {i}: " + " ".join(rng.choice(["red", "blue", "cat", "dog"], 12)))
        paths.append(p)
    for i in range(n // 10):
        p = root / f"p{i:05d}.png"
        cv2.imwrite(str(p), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
        paths.append(p)
    return paths


def _best(run: Callable[[Path], float], work: Path, rounds: int = 3) -> float:
    times = []
    for r in range(rounds):
        times.append(run(work / f"r{r}"))
    return min(times)


def main(n: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="opgraph-bench-datasets-"))
    try:
        paths = _files(work / "src", n)

        def plain(dst: Path) -> float:
            with App(dst, base_workflow=_base()) as app:
                t = time.perf_counter()
                app.add_inputs([str(p) for p in paths], dataset_id="ds", progress=False)
                return time.perf_counter() - t

        def upload(dst: Path) -> float:
            with App(dst, base_workflow=_base()) as app:
                app.create_dataset("ds")
                t = time.perf_counter()
                app.dataset("ds").upload_from_folder(work / "src", progress=False)
                return time.perf_counter() - t

        rows = [("add_inputs (baseline)", _best(plain, work / "plain"))]
        rows.append(("upload_from_folder", _best(upload, work / "upload")))
        with App(work / "upload" / "r0") as app:
            ds = app.dataset("ds")
            t = time.perf_counter()
            ds.upload_from_folder(work / "src", progress=False)
            rows.append(("upload rerun (all skipped)", time.perf_counter() - t))
            t = time.perf_counter()
            version = ds.create_version()
            rows.append(("create_version", time.perf_counter() - t))
            t = time.perf_counter()
            ds.export(work / "export", version.id)
            rows.append(("export", time.perf_counter() - t))
        with App(work / "imported", base_workflow=_base()) as fresh:
            t = time.perf_counter()
            fresh.import_dataset(work / "export")
            rows.append(("import (re-indexes every input)", time.perf_counter() - t))
        total = len(paths)
        print(f"{total} inputs ({n} texts, {n // 10} PNGs); load average {os.getloadavg()}")
        print("| step | seconds | inputs/s |\n|---|---:|---:|")
        for name, secs in rows:
            print(f"| {name} | {secs:.2f} | {total / secs:,.0f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
