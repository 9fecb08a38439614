"""Reading a dataset for ``opgraph run --dataset``: its inputs, the ones still to run, and
the units they run in.

A dataset is a folder (its media and text files, recursively, in sorted order), a glob
pattern, or a JSON Lines file (one Clarifai input per line: ``{"id": ..., "data": ...}``).
Each input has an id: the path relative to the folder, the path a glob matched, or the
line's id (``line-N`` when it has none).

A run is planned first (``plan_units``): one pass that names the inputs not yet in the
results file and groups them into ``Unit``s, holding no input's content: a unit of a JSON
Lines file is byte ranges of it, a unit of files is their paths.  A batch of still inputs is
one unit; a video is a unit alone (a stream, run whole by one runner, so its trackers keep
their state).  ``read_unit`` reads a unit's inputs when it is its turn, so the driver's
memory does not grow with the dataset.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.limits import load_json

__all__ = ["DatasetItem", "Unit", "done_ids", "plan_units", "read_dataset", "read_unit"]

_MAX_LINE = 64 * 1024 * 1024  # one JSON input line (media as base64 fits)
_JSONL = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class DatasetItem:
    """One input of a dataset: its id and either a file path or a JSON input's text."""

    id: str
    path: str = ""
    json: str = ""


@dataclass(frozen=True)
class Unit:
    """Inputs run together: a batch of still inputs, or one video alone.

    Either files (``paths``: (id, path) pairs) or lines of the JSON Lines file ``source``
    (``ranges``: (start byte, end byte, number of the first line)); ``size`` inputs.
    """

    size: int
    video: bool = False
    paths: tuple[tuple[str, str], ...] = ()
    source: str = ""
    ranges: tuple[tuple[int, int, int], ...] = ()

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Unit:
        d = json.loads(text)
        paths = tuple((str(i), str(p)) for i, p in d["paths"])
        ranges = tuple((int(a), int(b), int(n)) for a, b, n in d["ranges"])
        return cls(int(d["size"]), bool(d["video"]), paths, str(d["source"]), ranges)


def read_dataset(spec: str) -> Iterator[DatasetItem]:
    """The inputs of ``spec`` (a folder, a glob pattern or a ``.jsonl`` file), in order."""
    path = Path(spec).expanduser()
    if _is_jsonl(path):
        for n, _, _, text, doc in _json_docs(path):
            yield DatasetItem(_line_id(doc, n), json=text)
    else:
        yield from _files(spec, path)


def _is_jsonl(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in _JSONL


def _files(spec: str, path: Path) -> Iterator[DatasetItem]:
    if path.is_dir():
        for file in _walk(path):
            yield DatasetItem(file.relative_to(path).as_posix(), path=str(file))
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


def _json_docs(path: Path) -> Iterator[tuple[int, int, int, str, dict[str, Any]]]:
    """(line number, start byte, end byte, text, input) per non-blank line, checked."""
    with path.open("rb") as f:
        end = 0
        # readline with a bound: a file without line breaks is never read whole
        for n, raw in enumerate(iter(lambda: f.readline(_MAX_LINE + 1), b""), 1):
            start, end = end, end + len(raw)
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
            yield n, start, end, text, doc


def _line_id(doc: dict[str, Any], n: int) -> str:
    iid = doc.get("id")
    return iid if isinstance(iid, str) and iid else f"line-{n}"


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


# ---- planning ----------------------------------------------------------------------------


def plan_units(spec: str, done: set[str], batch_size: int) -> list[Unit]:
    """The units that run the inputs of ``spec`` not in ``done``, in the dataset's order:
    batches of at most ``batch_size`` still inputs, and each video alone."""
    path = Path(spec).expanduser()
    if _is_jsonl(path):
        return list(_line_units(path, done, batch_size))
    return list(_file_units(_files(spec, path), done, batch_size))


def _file_units(items: Iterator[DatasetItem], done: set[str], batch_size: int) -> Iterator[Unit]:
    from engine.inputs import VIDEO_SUFFIXES

    batch: list[tuple[str, str]] = []
    for item in items:
        if item.id in done:
            continue
        if Path(item.path).suffix.lower() in VIDEO_SUFFIXES:
            if batch:
                yield Unit(len(batch), paths=tuple(batch))
                batch = []
            yield Unit(1, video=True, paths=((item.id, item.path),))
            continue
        batch.append((item.id, item.path))
        if len(batch) == batch_size:
            yield Unit(len(batch), paths=tuple(batch))
            batch = []
    if batch:
        yield Unit(len(batch), paths=tuple(batch))


def _line_units(path: Path, done: set[str], batch_size: int) -> Iterator[Unit]:
    """Units of byte ranges: pending lines next to each other share one range."""
    source = str(path)
    ranges: list[list[int]] = []
    size = 0
    joined = False  # whether the next pending line may extend the last range
    for n, start, end, _, doc in _json_docs(path):
        if _line_id(doc, n) in done:
            joined = False
            continue
        if _is_video_doc(doc):
            if size:
                yield Unit(size, source=source, ranges=_frozen(ranges))
                ranges, size = [], 0
            yield Unit(1, video=True, source=source, ranges=((start, end, n),))
            joined = False
            continue
        if joined and ranges:
            ranges[-1][1] = end
        else:
            ranges.append([start, end, n])
        size, joined = size + 1, True
        if size == batch_size:
            yield Unit(size, source=source, ranges=_frozen(ranges))
            ranges, size, joined = [], 0, False
    if size:
        yield Unit(size, source=source, ranges=_frozen(ranges))


def _frozen(ranges: list[list[int]]) -> tuple[tuple[int, int, int], ...]:
    return tuple((a, b, n) for a, b, n in ranges)


def _is_video_doc(doc: dict[str, Any]) -> bool:
    data = doc.get("data")
    return isinstance(data, dict) and bool(data.get("video"))


def read_unit(unit: Unit) -> list[DatasetItem]:
    """The inputs of ``unit``, read now (a JSON line the planner checked is read again)."""
    if not unit.source:
        return [DatasetItem(i, path=p) for i, p in unit.paths]
    items: list[DatasetItem] = []
    with open(unit.source, "rb") as f:
        for start, end, first in unit.ranges:
            f.seek(start)
            for n, raw in enumerate(f.read(end - start).split(b"\n"), first):
                text = raw.decode("utf-8", "replace").strip()
                if text:
                    items.append(DatasetItem(_text_id(text, n), json=text))
    return items


def _text_id(text: str, n: int) -> str:
    """A line's id; a line changed since it was planned still gets one (and fails alone)."""
    try:
        doc = load_json(text)
    except (ValueError, RecursionError):
        return f"line-{n}"
    return _line_id(doc, n) if isinstance(doc, dict) else f"line-{n}"
