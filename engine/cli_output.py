"""How ``opgraph run`` writes results: JSON, JSON lines or CSV, and region crops as files.

``json``: the whole ``PostWorkflowResultsResponse`` (indented on a terminal, compact
otherwise).  ``jsonl``: one compact line per input, its ``results[i]``.  ``csv``: one row per
input x node x region x concept, with the columns of ``CSV_COLUMNS``:

- ``input`` the input's place in the batch (from 0), ``input_id`` its id;
- ``node`` the node id, ``status`` the output's status code (10000 is success) and
  ``error`` its description when it failed;
- ``frame`` and ``time_ms`` the video frame (empty for a still input);
- ``region`` the region's place in the output (``2``; ``2.0`` for a region found inside
  region 2's crop), ``track_id``, and its box ``top_row``, ``left_col``, ``bottom_row``,
  ``right_col`` (fractions of the image, of the crop for nested regions);
- ``concept``, ``concept_name`` and ``value`` (a region's or the whole input's concept;
  ``value`` is the region's own score where it has no concept);
- ``text`` the region's or input's text, ``metadata`` the input's metadata as JSON
  (object-counter's counts are there).

A node's output with nothing in it is still one row, so every input x node appears.  Cells
that a spreadsheet would run as a formula (starting with ``= + - @``) get a leading ``'``.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from engine.proto import Data, PostWorkflowResultsResponse, Region, WorkflowResult

__all__ = ["CSV_COLUMNS", "FORMATS", "CropWriter", "write_response"]

FORMATS = ("json", "jsonl", "csv")
CSV_COLUMNS = (
    "input", "input_id", "node", "status", "error", "frame", "time_ms", "region", "track_id",
    "top_row", "left_col", "bottom_row", "right_col", "concept", "concept_name", "value",
    "text", "metadata",
)
_MAX_DEPTH = 4  # nested regions (crop -> detect -> crop ...) listed this deep
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def write_response(
    response: PostWorkflowResultsResponse, out: TextIO, fmt: str, pretty: bool
) -> None:
    """``response`` in format ``fmt`` (one of ``FORMATS``) to ``out``."""
    if fmt == "jsonl":
        for result in response.results:
            json.dump(result.to_dict(), out, separators=(",", ":"))
            out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for i, result in enumerate(response.results):
            writer.writerows(_safe(row) for row in _result_rows(i, result))
    else:
        doc = response.to_dict()
        json.dump(doc, out, indent=2 if pretty else None, separators=_separators(pretty))
        out.write("\n")


def _separators(pretty: bool) -> tuple[str, str]:
    return (",", ": ") if pretty else (",", ":")


def _safe(row: list[Any]) -> list[Any]:
    return ["'" + v if isinstance(v, str) and v.startswith(_FORMULA) else v for v in row]


def _result_rows(index: int, result: WorkflowResult) -> Iterator[list[Any]]:
    input_id = result.input.id if result.input is not None else None
    for output in result.outputs:
        ok = output.status.code == 10000
        error = "" if ok else (output.status.details or output.status.description or "")
        head = [index, input_id or "", output.id or "", int(output.status.code), error]
        if output.data.frames:
            for frame in output.data.frames:
                info = frame.frame_info
                where = [info.index, info.time]
                yield from _data_rows(head, where, frame.data or Data())
        else:
            yield from _data_rows(head, ["", ""], output.data)


def _data_rows(head: list[Any], where: list[Any], data: Data) -> Iterator[list[Any]]:
    count = 0
    for path, region in _regions(data.regions, ""):
        for row in _region_rows(region):
            count += 1
            yield [*head, *where, path, *row]
    meta = json.dumps(data.metadata, separators=(",", ":")) if data.metadata else ""
    text = data.text.raw if data.text is not None and data.text.raw else ""
    blank_region = ["", "", "", "", "", ""]
    for c in data.concepts:
        count += 1
        yield [*head, *where, *blank_region, c.id, c.name or "", c.value, text, meta]
    if count == 0 or ((text or meta) and not data.concepts):
        yield [*head, *where, *blank_region, "", "", "", text, meta]


def _regions(regions: list[Region], prefix: str, depth: int = 0) -> Iterator[tuple[str, Region]]:
    for k, region in enumerate(regions):
        path = f"{prefix}{k}"
        yield path, region
        inner = region.data.regions if region.data is not None else []
        if inner and depth + 1 < _MAX_DEPTH:
            yield from _regions(inner, f"{path}.", depth + 1)


def _region_rows(region: Region) -> Iterator[list[Any]]:
    bb = region.region_info.bounding_box if region.region_info else None
    box = [bb.top_row, bb.left_col, bb.bottom_row, bb.right_col] if bb else ["", "", "", ""]
    data = region.data
    text = data.text.raw if data is not None and data.text is not None and data.text.raw else ""
    concepts = data.concepts if data is not None else []
    start = [region.track_id or "", *box]
    if not concepts:
        value = "" if region.value is None else region.value
        yield [*start, "", "", value, text, ""]
    for c in concepts:
        yield [*start, c.id, c.name or "", c.value, text, ""]


# ---- crops --------------------------------------------------------------------------------


class CropWriter:
    """Saves region images (crops, tiles): ``DIR/<input>-<id>[-f<frame>]-<node>-<region>.png``.

    ``<input>`` is the input's place in the batch, ``<id>`` its id, ``<region>`` the region's
    place in the node's output (``2.0`` inside region 2).  Existing files of the same name
    are replaced; a symlink in their place is refused, never followed.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.saved = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise OSError(f"--save-crops {folder}: not a folder") from None

    def save(self, index: int, input_id: str | None, node: str, data: Data | None,
             frame: int | None = None) -> None:
        """Every region image in ``data`` (one node's output for one input or frame)."""
        if data is None:
            return
        stem = f"{index:04d}-{_slug(input_id or 'input')}"
        if frame is not None:
            stem += f"-f{frame:06d}"
        for path, region in _regions(data.regions, ""):
            image = region.data.image if region.data is not None else None
            if image is not None and image.has_pixels:
                self._write(f"{stem}-{_slug(node)}-{path}.png", image.array)

    def save_result(self, index: int, result: WorkflowResult) -> None:
        """A still input's region images (a video's are saved frame by frame as it runs)."""
        input_id = result.input.id if result.input is not None else None
        for output in result.outputs:
            if not output.data.frames:
                self.save(index, input_id, output.id or "", output.data)

    def _write(self, name: str, pixels: Any) -> None:
        import cv2

        ok, encoded = cv2.imencode(".png", pixels)
        if not ok:
            raise OSError(f"cannot encode the crop {name}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.folder / name, flags, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(encoded.tobytes())
        self.saved += 1


def _slug(text: str) -> str:
    """A file-name-safe form of an id: no separators, no dot-only names, bounded length."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip(".")[:60]
    return slug or "_"
