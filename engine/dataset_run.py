"""A workflow over a dataset of any size: ``opgraph run FLOW.yml --dataset ... --out FILE``.

The dataset (a folder, a glob pattern or a JSON Lines file: see ``engine.dataset_read``) is
planned first, holding no input's content, and read one unit at a time: a batch of still
inputs, or one video alone.  Each input's result is one line of ``--out``: its
``WorkflowResult`` JSON with the input's ``id``.  Output is resumable: a rerun reads
``--out`` first and skips every id already there (a last line cut short by a killed run is
dropped and redone), so only the rest is run.

``engine="local"`` runs the units in this process; ``engine="ray"`` runs them with Ray Data
(``pip install 'opgraph[ray]'``): the units are read by tasks on the driver's machine (so a
JSON Lines file need not be on the other machines), then ``map_batches`` hands each unit to
``WorkflowRunner``, a callable class that compiles the workflow once per actor (models load
once per actor), over ``workers`` actors with Ray's streaming back-pressure.  A video is a
unit alone, so one actor runs the whole stream and its trackers keep their state there;
videos and batches run side by side on different actors.  Results are written on the
driver as units finish, in the dataset's order, with a progress bar: the same lines as the
in-process run.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import IO, Any, NamedTuple

import numpy as np

from engine import progress
from engine.dataset_read import DatasetItem, Unit, done_ids, plan_units, read_dataset, read_unit
from engine.errors import InputError

__all__ = [
    "DatasetItem",
    "RunCounts",
    "WorkflowRunner",
    "done_ids",
    "read_dataset",
    "run_dataset",
]

_SUCCESS = 10000


class WorkflowRunner:
    """Runs units of dataset items through one compiled workflow (one per Ray actor)."""

    def __init__(self, yaml_text: str) -> None:
        from engine.workflow import Workflow

        self.workflow = Workflow.from_yaml(yaml_text)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Ray Data's batch (column ``items``: one unit's items per row) -> columns
        ``lines`` (the unit's result lines, joined by newlines) and ``failed``."""
        lines, failed = [], []
        for encoded in batch["items"]:
            rows = self.lines([DatasetItem(*item) for item in json.loads(str(encoded))])
            lines.append("\n".join(line for line, _ in rows))
            failed.append(sum(1 for _, ok in rows if not ok))
        return {"lines": np.array(lines, dtype=object), "failed": np.array(failed, dtype=int)}

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

    try:
        return JsonItem(json.loads(item.json))
    except ValueError:  # the line changed since it was planned: it fails alone
        return JsonItem({"id": item.id, "data": {"text": None}})


def _line(input_id: str, result: dict[str, Any]) -> tuple[str, bool]:
    ok = result.get("status", {}).get("code") == _SUCCESS
    doc = {"id": input_id, **result}
    doc["id"] = input_id  # the dataset's id (a file's path), which a rerun looks for
    return json.dumps(doc, separators=(",", ":")), ok


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
    units = plan_units(dataset, done, batch_size)
    total = sum(u.size for u in units)
    enabled = progress.shown() if show_progress is None else show_progress
    bar = progress.Bar(total, "running", unit="input", enabled=enabled and total > 1)
    failed = 0
    try:
        with out.open("a", encoding="utf-8") as f:
            if engine == "ray":
                failed = _run_ray(yaml_text, units, f, bar, address, workers)
            else:
                runner = WorkflowRunner(yaml_text)
                for unit in units:
                    rows = runner.lines(read_unit(unit))
                    _write(f, [line for line, _ in rows], bar)
                    failed += sum(1 for _, ok in rows if not ok)
    finally:
        bar.close()
    return RunCounts(total, len(done), failed)


def _write(f: IO[str], lines: list[str], bar: progress.Bar) -> None:
    """Append whole lines and flush them (a kill loses at most the unit in flight)."""
    f.write("".join(line + "\n" for line in lines))
    f.flush()
    bar.update(len(lines))


def _run_ray(
    yaml_text: str,
    units: list[Unit],
    f: IO[str],
    bar: progress.Bar,
    address: str | None,
    workers: int | None,
) -> int:
    try:
        import ray
    except ImportError:
        raise InputError("--engine ray needs Ray: pip install 'opgraph[ray]'") from None
    if not units:
        return 0
    with warnings.catch_warnings():  # Ray's own deprecations are not the user's to see
        warnings.simplefilter("ignore", DeprecationWarning)
        started = start_ray(ray, address)
        try:
            return _ray_units(ray, yaml_text, units, f, bar, workers)
        finally:
            if started:
                ray.shutdown()


def start_ray(ray: Any, address: str | None) -> bool:
    """Connect to (or start) Ray unless already connected; whether this call started it."""
    if ray.is_initialized():
        return False
    ray.init(
        address=address,
        log_to_driver=False,
        include_dashboard=False,
        logging_level=logging.WARNING,
    )
    return True


def _ray_units(
    ray: Any,
    yaml_text: str,
    units: list[Unit],
    f: IO[str],
    bar: progress.Bar,
    workers: int | None,
) -> int:
    """Run ``units`` with Ray Data, writing each finished unit; the number that failed."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # ours is the bar; Ray's would print per block
    context.execution_options.preserve_order = True  # results in the dataset's order
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    here = ray.get_runtime_context().get_node_id()
    ds = (
        ray.data.from_items([{"unit": u.to_json()} for u in units])
        .map(  # read on the driver's machine: the dataset file need not be anywhere else
            _read_row,
            num_cpus=0,
            compute=ray.data.TaskPoolStrategy(size=1),  # one reader: no crowd of idle workers
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=here, soft=False),
        )
        .map_batches(
            WorkflowRunner,
            fn_constructor_args=(yaml_text,),
            batch_size=1,  # a unit per call: a batch of stills, or one whole video
            compute=ray.data.ActorPoolStrategy(size=workers or 1),
            batch_format="numpy",
        )
    )
    failed = 0
    for row in ds.iter_rows():
        lines = str(row["lines"])
        _write(f, lines.split("\n") if lines else [], bar)
        failed += int(row["failed"])
    return failed


def _read_row(row: dict[str, Any]) -> dict[str, Any]:
    """A planned unit -> its items (id, path, JSON text), as one JSON text."""
    items = [[i.id, i.path, i.json] for i in read_unit(Unit.from_json(row["unit"]))]
    return {"items": json.dumps(items, separators=(",", ":"))}
