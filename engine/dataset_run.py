"""A workflow over a dataset of any size: ``opgraph run FLOW.yml --dataset ... --out FILE``.

The dataset is a folder (its media and text files, recursively, in sorted order), a glob
pattern, or a JSON Lines file (one Clarifai input per line: ``{"id": ..., "data": ...}``).
Each input's result is one line of ``--out``: its ``WorkflowResult`` JSON with the input's
``id`` (the path relative to the folder, the path a glob matched, or the line's id).
Output is resumable: a rerun reads ``--out`` first and skips every id already there (a
last line cut short by a killed run is dropped and redone), so only the rest is run.

``engine="local"`` runs in this process; ``engine="ray"`` runs the same batches with Ray
Data (``pip install 'opgraph[ray]'``): ``map_batches`` with ``WorkflowRunner``, a
callable class that compiles the workflow once per actor (models load once per actor),
``workers`` actors, Ray's streaming back-pressure, and results written on the driver as
batches finish, with a progress bar.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from engine import progress
from engine.errors import InputError
from engine.limits import load_json

__all__ = [
    "DatasetItem",
    "RunCounts",
    "WorkflowRunner",
    "done_ids",
    "read_dataset",
    "run_dataset",
]

_MAX_LINE = 64 * 1024 * 1024  # one JSON input line (media as base64 fits)
_SUCCESS = 10000


@dataclass(frozen=True)
class DatasetItem:
    """One input of a dataset: its id and either a file path or a JSON input's text."""

    id: str
    path: str = ""
    json: str = ""


def read_dataset(spec: str) -> Iterator[DatasetItem]:
    """The inputs of ``spec`` (a folder, a glob pattern or a ``.jsonl`` file), in order."""
    path = Path(spec).expanduser()
    if path.is_dir():
        for file in _walk(path):
            yield DatasetItem(file.relative_to(path).as_posix(), path=str(file))
    elif path.is_file() and path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _json_lines(path)
    elif glob.has_magic(spec):
        for match in sorted(glob.iglob(str(path), recursive=True)):
            if Path(match).is_file():
                yield DatasetItem(match, path=match)
    else:
        raise InputError(
            f"--dataset {spec}: not a folder, a glob pattern or a .jsonl file of inputs"
        )


def _walk(root: Path) -> Iterator[Path]:
    """The media and text files under ``root``, recursively, sorted; hidden ones left out."""
    from engine.cli_inputs import MEDIA_SUFFIXES

    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in MEDIA_SUFFIXES:
                yield Path(folder) / name


def _json_lines(path: Path) -> Iterator[DatasetItem]:
    with path.open("rb") as f:
        # readline with a bound: a file without line breaks is never read whole
        for n, raw in enumerate(iter(lambda: f.readline(_MAX_LINE + 1), b""), 1):
            if len(raw) > _MAX_LINE:
                raise InputError(f"{path}:{n}: a line longer than {_MAX_LINE >> 20} MiB")
            text = raw.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                doc = load_json(text)
            except (ValueError, RecursionError) as exc:
                raise InputError(f"{path}:{n}: not a JSON input ({exc})") from None
            if not isinstance(doc, dict):
                raise InputError(f"{path}:{n}: an input is a JSON object, not {type(doc).__name__}")
            iid = doc.get("id")
            yield DatasetItem(iid if isinstance(iid, str) and iid else f"line-{n}", json=text)


def done_ids(out: Path) -> set[str]:
    """The ids already in a results file (a last line cut short by a kill is dropped)."""
    if not out.exists():
        return set()
    ids: set[str] = set()
    good = 0
    with out.open("rb") as f:
        for raw in f:
            try:
                ids.add(str(json.loads(raw)["id"]))
                good += len(raw)
            except (ValueError, KeyError, TypeError):
                break
    if good < out.stat().st_size:  # a partial line: cut it, so appends start clean
        with out.open("r+b") as f:
            f.truncate(good)
    return ids


class WorkflowRunner:
    """Runs batches of dataset items through one compiled workflow (one per Ray actor)."""

    def __init__(self, yaml_text: str) -> None:
        from engine.workflow import Workflow

        self.workflow = Workflow.from_yaml(yaml_text)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Ray Data's batch (columns id, path, json) -> columns id, line (the result)."""
        items = [
            DatasetItem(str(i), str(p), str(j))
            for i, p, j in zip(batch["id"], batch["path"], batch["json"], strict=True)
        ]
        rows = self.lines(items)
        return {
            "id": np.array([i.id for i in items], dtype=object),
            "line": np.array([line for line, _ in rows], dtype=object),
            "ok": np.array([ok for _, ok in rows], dtype=bool),
        }

    def lines(self, items: list[DatasetItem]) -> list[tuple[str, bool]]:
        """(JSON line, succeeded) per item: its result, or its error (a bad input fails
        alone)."""
        sources = [_source(i) for i in items]
        try:
            # one process per runner: Ray's actors (or the caller) are the parallelism
            results = self.workflow.predict(sources, workers=1).results
        except Exception:  # one input the batch cannot take: run each alone to find it
            return [self._one(item, source) for item, source in zip(items, sources, strict=True)]
        return [_line(i.id, r.to_dict()) for i, r in zip(items, results, strict=True)]

    def _one(self, item: DatasetItem, source: Any) -> tuple[str, bool]:
        try:
            return _line(item.id, self.workflow.predict([source], workers=1).results[0].to_dict())
        except Exception as exc:
            status = {"code": 30002, "description": "Input failed", "details": str(exc)[:500]}
            return _line(item.id, {"status": status})


def _source(item: DatasetItem) -> Any:
    if item.path:
        return item.path
    from engine.inputs import JsonItem

    return JsonItem(json.loads(item.json))


def _line(input_id: str, result: dict[str, Any]) -> tuple[str, bool]:
    ok = result.get("status", {}).get("code") == _SUCCESS
    return json.dumps({"id": input_id, **result}, separators=(",", ":")), ok


class RunCounts(NamedTuple):
    """What a dataset run did: inputs run now, skipped (in ``out`` already), failed."""

    ran: int
    skipped: int
    failed: int


def run_dataset(
    yaml_text: str,
    dataset: str,
    out: Path,
    *,
    engine: str = "local",
    address: str | None = None,
    workers: int | None = None,
    batch_size: int = 32,
    show_progress: bool | None = None,
) -> RunCounts:
    """Run the workflow on every input of ``dataset`` not yet in ``out``."""
    done = done_ids(out)
    todo = [item for item in read_dataset(dataset) if item.id not in done]
    enabled = progress.shown() if show_progress is None else show_progress
    bar = progress.Bar(len(todo), "running", unit="input", enabled=enabled and len(todo) > 1)
    failed = 0
    try:
        with out.open("a", encoding="utf-8") as f:
            if engine == "ray":
                failed = _run_ray(yaml_text, todo, f, bar, address, workers, batch_size)
            else:
                runner = WorkflowRunner(yaml_text)
                for start in range(0, len(todo), batch_size):
                    failed += _write(f, runner.lines(todo[start : start + batch_size]), bar)
    finally:
        bar.close()
    return RunCounts(len(todo), len(done), failed)


def _write(f: IO[str], rows: list[tuple[str, bool]], bar: progress.Bar) -> int:
    """Append the rows' lines; the number that failed."""
    f.write("".join(line + "\n" for line, _ in rows))
    f.flush()  # whole lines on disk: a kill loses at most the batch in flight
    bar.update(len(rows))
    return sum(1 for _, ok in rows if not ok)


def _run_ray(
    yaml_text: str,
    todo: list[DatasetItem],
    f: IO[str],
    bar: progress.Bar,
    address: str | None,
    workers: int | None,
    batch_size: int,
) -> int:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'opgraph[ray]'") from None
    if not todo:
        return 0
    with warnings.catch_warnings():  # Ray's own deprecations are not the user's to see
        warnings.simplefilter("ignore", DeprecationWarning)
        return _ray_batches(ray, yaml_text, todo, f, bar, address, workers, batch_size)


def _ray_batches(
    ray: Any,
    yaml_text: str,
    todo: list[DatasetItem],
    f: IO[str],
    bar: progress.Bar,
    address: str | None,
    workers: int | None,
    batch_size: int,
) -> int:
    """Run ``todo`` with Ray Data, writing each finished batch; the number that failed."""
    started = not ray.is_initialized()
    if started:
        ray.init(
            address=address,
            log_to_driver=False,
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours is the bar; Ray's would print per block
    context.execution_options.preserve_order = True  # results in the dataset's order
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    failed = 0
    try:
        rows = [{"id": i.id, "path": i.path, "json": i.json} for i in todo]
        ds = ray.data.from_items(rows).map_batches(
            WorkflowRunner,
            fn_constructor_args=(yaml_text,),
            batch_size=batch_size,
            compute=ray.data.ActorPoolStrategy(size=workers or 1),
            batch_format="numpy",
        )
        for batch in ds.iter_batches(batch_size=batch_size, batch_format="numpy"):
            done = zip(batch["line"], batch["ok"], strict=True)
            failed += _write(f, [(str(line), bool(ok)) for line, ok in done], bar)
    finally:
        if started:
            ray.shutdown()
    return failed
