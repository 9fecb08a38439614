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

A video's frames are written as they are read, a block at a time, from the result (where
they are kept compressed) or from a ``FrameSpool`` (``engine.cli_spool``: on disk, where
``opgraph run`` put them as the video ran): the whole response is never built as one JSON
tree in memory, and the file is the same either way.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from engine.proto import Data, Frame, Output, PostWorkflowResultsResponse, Region, WorkflowResult

if TYPE_CHECKING:
    from engine.cli_spool import FrameSpool

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
    response: PostWorkflowResultsResponse,
    out: TextIO,
    fmt: str,
    pretty: bool,
    spool: FrameSpool | None = None,
) -> None:
    """``response`` in format ``fmt`` (one of ``FORMATS``) to ``out``; a video's frames
    from ``spool`` where they are there (the run kept none in the response)."""
    frames = _Frames(spool)
    if fmt == "jsonl":
        for i, result in enumerate(response.results):
            json.dump(frames.light(i, result), out, separators=(",", ":"))
            out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for i, result in enumerate(response.results):
            writer.writerows(_safe(row) for row in _result_rows(i, result, frames))
    else:
        light = [r.model_copy(update={"outputs": []}) for r in response.results]
        doc = response.model_copy(update={"results": light}).to_dict()
        if response.results:
            doc["results"] = [frames.light(i, r) for i, r in enumerate(response.results)]
        json.dump(doc, out, indent=2 if pretty else None, separators=_separators(pretty))
        out.write("\n")


class _LazyList(list):  # type: ignore[type-arg]
    """A list ``json.dump`` writes item by item as ``items`` gives them (its encoder iterates
    lists; ``dump``, unlike ``dumps``, writes each piece as it is made), never holding them
    all."""

    def __init__(self, count: int, items: Iterable[Any]) -> None:
        super().__init__()
        self._count, self._items = count, items

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)


class _Frames:
    """Where each video output's frames are read from: the spool, else the result."""

    def __init__(self, spool: FrameSpool | None) -> None:
        self.spool = spool

    def of(self, index: int, output: Output) -> Iterable[Frame]:
        if self.spool is not None and self.spool.count(index, output.id or ""):
            return self.spool.frames(index, output.id or "")
        return output.data.frames

    def light(self, index: int, result: WorkflowResult) -> dict[str, Any]:
        """``result.to_dict()`` with each video output's frames as a list written lazily."""
        lazy: dict[int, _LazyList] = {}
        outputs = []
        for j, output in enumerate(result.outputs):
            count, blocks = self._blocks(index, output)
            if count and not output.data.model_copy(update={"frames": []}).to_dict():
                lazy[j] = _LazyList(count, _frame_dicts(blocks))
                output = output.model_copy(update={"data": Data()})
            outputs.append(output)
        doc = result.model_copy(update={"outputs": outputs}).to_dict()
        for j, frames in lazy.items():
            doc["outputs"][j]["data"] = {"frames": frames}
        return doc

    def _blocks(self, index: int, output: Output) -> tuple[int, Iterable[list[Frame]]]:
        if self.spool is not None and (count := self.spool.count(index, output.id or "")):
            return count, self.spool.blocks(index, output.id or "")
        frames = output.data.frames
        chunks = getattr(frames, "chunks", None)  # a FrameList: its compressed blocks
        return len(frames), (chunks() if chunks is not None else [list(frames)])


def _frame_dicts(blocks: Iterable[list[Frame]]) -> Iterator[dict[str, Any]]:
    """Each frame's JSON (as in ``Data.to_dict()``), a block at a time."""
    for block in blocks:
        yield from Data.model_construct(frames=block).to_dict().get("frames", [])


def _separators(pretty: bool) -> tuple[str, str]:
    return (",", ": ") if pretty else (",", ":")


def _safe(row: list[Any]) -> list[Any]:
    return ["'" + v if isinstance(v, str) and v.startswith(_FORMULA) else v for v in row]


def _result_rows(index: int, result: WorkflowResult, frames: _Frames) -> Iterator[list[Any]]:
    input_id = result.input.id if result.input is not None else None
    for output in result.outputs:
        ok = output.status.code == 10000
        error = "" if ok else (output.status.details or output.status.description or "")
        head = [index, input_id or "", output.id or "", int(output.status.code), error]
        video = frames.of(index, output)
        if video:
            for frame in video:
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
