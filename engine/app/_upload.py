"""Uploading a folder or a CSV into a dataset: batched, resumable, with a per-file report.

Every file or CSV row gets an input id derived from where it came from (a folder file's
relative path, a CSV row's number and value), so a rerun finds what an earlier run stored
and skips it.  Inputs are committed a batch at a time by ``Inputs.add`` (each batch one
transaction, dataset membership included): a crash leaves every earlier batch stored and
nothing of the batch it interrupted.  A file that cannot be used is reported and the
rest carry on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import media
from engine.errors import AppError, InputError, OpgraphError
from engine.inputs import VIDEO_SUFFIXES
from engine.limits import load_json
from engine.proto import (
    Concept,
    Data,
    Geo,
    GeoPoint,
    Image,
    Input,
    MultiInputResponse,
    Status,
    StatusCode,
    Text,
    Video,
)
from engine.store import _app_support as h

__all__ = ["CSV_COLUMNS", "UploadReport", "csv_items", "folder_items", "upload"]

CSV_COLUMNS = ("inputid", "input", "concepts", "metadata", "geopoints")  # Clarifai's SDK
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif"})
TEXT_SUFFIXES = frozenset({".txt"})
MAX_TEXT_BYTES = 10 << 20
MAX_CSV_BYTES = 256 << 20  # its rows are read up front (ids are checked before storing)
_INPUT_TYPES = ("image", "video", "text")
_CSV_TYPES = ("raw", "url", "file_path")

# (where it came from, input id, a builder that reads it; InputError when unusable)
Item = tuple[str, str, Callable[[], Input]]


@dataclass
class UploadReport:
    """What one upload run did: ids it stored, ids an earlier run had stored, and
    (file or CSV row, reason) for every item it could not use."""

    dataset_id: str
    stored: list[str] = field(default_factory=list)
    # stored, but the base workflow failed on them: (input id, reason)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    def to_response(self) -> MultiInputResponse:
        """Clarifai's ``MultiInputResponse``: stored inputs, then one failed input per
        error (its id is the file or row, its status says why)."""
        ok = Status(code=StatusCode.INPUT_SUCCESS, description="Input successfully processed")
        reasons = dict(self.failed)
        inputs = [
            Input(
                id=i,
                status=ok
                if i not in reasons
                else Status(code=StatusCode.INPUT_FAILED, description=reasons[i]),
                dataset_ids=[self.dataset_id],
            )
            for i in [*self.skipped, *self.stored]
        ]
        for where, reason in self.errors:
            bad = Status(
                code=StatusCode.INPUT_INVALID_ARGUMENT,
                description="input refused",
                details=reason,
            )
            inputs.append(Input(id=where, status=bad))
        if not self.errors and not self.failed:
            status = Status()
        elif self.stored or self.skipped:
            status = Status(
                code=StatusCode.MIXED_STATUS,
                description=f"{len(self.errors)} file(s) or row(s) could not be uploaded, "
                f"{len(self.failed)} stored but failed in the base workflow",
            )
        else:
            status = Status(code=StatusCode.FAILURE, description="nothing could be uploaded")
        return MultiInputResponse(status=status, inputs=inputs)


def upload(
    items: list[Item],
    report: UploadReport,
    add: Callable[[list[Input]], list[str]],
    known: Callable[[list[str]], list[str]],
    *,
    batch_size: int,
    progress: bool | None,
) -> UploadReport:
    """Store ``items`` a batch at a time through ``add``; ``known`` says which ids are
    stored already (skipped, they were uploaded by an earlier run)."""
    ids = [i for _, i, _ in items]
    stored_before = set(known(ids))
    report.skipped = [i for i in ids if i in stored_before]
    todo = [it for it in items if it[1] not in stored_before]
    enabled = sys.stderr.isatty() if progress is None else progress
    with h.Progress(len(items), enabled, label="uploading") as bar:
        bar.advance(len(items) - len(todo))
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            built = _build(chunk, report)
            if built:
                _add_batch(built, report, add)
            bar.advance(len(chunk))
    return report


def _build(chunk: list[Item], report: UploadReport) -> list[tuple[str, Input]]:
    out = []
    for where, input_id, make in chunk:
        try:
            inp = make()
        except OpgraphError as exc:
            report.errors.append((where, str(exc)))
            continue
        out.append((where, inp.model_copy(update={"id": input_id})))
    return out


def _add_batch(
    built: list[tuple[str, Input]], report: UploadReport, add: Callable[[list[Input]], list[str]]
) -> None:
    try:
        report.stored.extend(add([inp for _, inp in built]))
        return
    except InputError as exc:
        if len(built) == 1:
            report.errors.append((built[0][0], str(exc)))
            return
    # one bad item refuses its whole batch: store the others one by one
    for where, inp in built:
        try:
            report.stored.extend(add([inp]))
        except InputError as exc:
            report.errors.append((where, str(exc)))


# ---- a folder -----------------------------------------------------------------------------


def folder_items(folder: Path, input_type: str | None, labels: bool) -> Iterator[Item | str]:
    """An item per usable file under ``folder`` (sorted, hidden files left out), or the
    relative path of a file that is not an image, video or text file."""
    if input_type is not None and input_type not in _INPUT_TYPES:
        raise AppError(
            f"input_type must be one of {', '.join(_INPUT_TYPES)}, got {input_type!r}",
            code=StatusCode.BAD_REQUEST,
        )
    if not folder.is_dir():
        raise AppError(f"{folder}: not a folder", code=StatusCode.BAD_REQUEST)
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if not path.is_file() or any(p.startswith(".") for p in rel.split("/")):
            continue
        kind = _kind(path)
        if kind is None:
            yield rel
        elif input_type in (None, kind):
            label = path.parent.name if labels and path.parent != folder else None
            yield rel, _stable_id(rel), _file_builder(path, kind, label)


def _kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    return "text" if suffix in TEXT_SUFFIXES else None


def _stable_id(where: str) -> str:
    """A readable id that two different sources never share (``a.jpg`` in two folders)."""
    slug = re.sub(r"[^A-Za-z0-9_]+", "-", where).strip("-")[:100] or "input"
    return f"{slug}-{hashlib.sha1(where.encode()).hexdigest()[:8]}"


def _file_builder(path: Path, kind: str, label: str | None) -> Callable[[], Input]:
    def make() -> Input:
        data = _file_data(path, kind)
        if label:
            data.concepts = [Concept(id=label, name=label, value=1.0)]
        return Input(data=data)

    return make


def _file_data(path: Path, kind: str) -> Data:
    limit = {
        "image": media.settings.max_image_bytes,
        "video": media.settings.max_video_bytes,
        "text": MAX_TEXT_BYTES,
    }[kind]
    try:
        size = path.stat().st_size
        if size > limit:
            raise InputError(f"{path.name} is {size} bytes, more than the {limit}-byte limit")
        if kind == "text":
            return Data(text=Text(raw=path.read_text(encoding="utf-8")))
        content = path.read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path.name}: {exc}") from None
    if not content:
        raise InputError(f"{path.name} is empty")
    if kind == "image":
        return Data(image=Image.from_source(content))
    return Data(video=Video.from_source(content))


# ---- a CSV ----------------------------------------------------------------------------------


def csv_items(
    csv_path: Path, input_type: str, csv_type: str, labels: bool
) -> Iterator[Item | tuple[str, str]]:
    """An item per CSV row (Clarifai's columns ``inputid, input, concepts, metadata,
    geopoints``), or (row, reason) for a row that cannot be used."""
    if input_type not in _INPUT_TYPES:
        raise AppError(
            f"input_type must be one of {', '.join(_INPUT_TYPES)}, got {input_type!r}",
            code=StatusCode.BAD_REQUEST,
        )
    if csv_type not in _CSV_TYPES or (csv_type == "raw" and input_type != "text"):
        raise AppError(
            f"csv_type must be one of {', '.join(_CSV_TYPES)} ('raw' only for text), "
            f"got {csv_type!r}",
            code=StatusCode.BAD_REQUEST,
        )
    try:
        size = csv_path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise AppError(
                f"{csv_path} is {size} bytes, more than the {MAX_CSV_BYTES}-byte limit; "
                "split it into smaller files",
                code=StatusCode.BAD_REQUEST,
            )
        with csv_path.open(newline="", encoding="utf-8") as f:
            rows = list(_rows(f, csv_path.name))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise AppError(f"cannot read {csv_path}: {exc}", code=StatusCode.BAD_REQUEST) from None
    for line, row in rows:
        where = f"{csv_path.name}:{line}"
        try:
            data = _row_data(row, input_type, csv_type, csv_path.parent, labels)
        except InputError as exc:
            yield where, str(exc)
            continue
        given = (row.get("inputid") or "").strip()
        input_id = given or _stable_id(f"{csv_path.name}-{line}-{row.get('input', '')}")
        yield where, input_id, _ready(data)


def _ready(data: Data) -> Callable[[], Input]:
    def make() -> Input:
        return Input(data=data)

    return make


def _rows(f: Any, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(f)
    columns = reader.fieldnames or []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown or "input" not in columns:
        raise AppError(
            f"{name}: the columns are {', '.join(CSV_COLUMNS)} ('input' required); "
            f"got {', '.join(columns) or 'none'}",
            code=StatusCode.BAD_REQUEST,
        )
    for row in reader:
        yield reader.line_num, {k: v for k, v in row.items() if k is not None}


def _row_data(
    row: dict[str, str], input_type: str, csv_type: str, folder: Path, labels: bool
) -> Data:
    value = row.get("input") or ""
    if not value:
        raise InputError("the 'input' column is empty")
    if csv_type == "raw":
        data = Data(text=Text(raw=value))
    elif csv_type == "url":
        data = Data.model_validate({input_type: {"url": value}})
    else:
        path = Path(value) if Path(value).is_absolute() else folder / value
        data = _file_data(path, input_type)
    concepts = [c.strip() for c in (row.get("concepts") or "").split(",") if c.strip()]
    if labels and concepts:
        data.concepts = [Concept(id=c, name=c, value=1.0) for c in concepts]
    data.metadata = _metadata(row.get("metadata") or "")
    data.geo = _geo(row.get("geopoints") or "")
    return data


def _metadata(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:  # bounded nesting: a deep cell is this row's error, not a RecursionError
        try:
            value = load_json(text)
        except json.JSONDecodeError:  # the SDK's files often quote with single quotes
            value = load_json(text.replace("'", '"'))
    except json.JSONDecodeError:
        raise InputError(f"the metadata column is not a JSON object: {text[:60]}") from None
    except ValueError as exc:  # nested too deeply: (message, line, col)
        raise InputError(f"the metadata column: {exc.args[0]}") from None
    return h.parse_metadata(value)


def _geo(text: str) -> Geo | None:
    if not text.strip():
        return None
    try:
        lon, lat = (float(p) for p in text.split(","))
    except ValueError:
        raise InputError(f"geopoints must be 'longitude,latitude', got {text[:40]!r}") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"geopoints out of range (longitude, latitude): {lon}, {lat}")
    return Geo(geo_point=GeoPoint(longitude=lon, latitude=lat))
