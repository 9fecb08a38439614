"""A dataset version to a folder, and such a folder back into an app, losing nothing.

The folder holds::

    dataset.json     {"dataset": Dataset, "dataset_version": DatasetVersion}  (Clarifai JSON)
    inputs.jsonl     one line per input: {"input": Input, "annotations": [Annotation, ...]}
    media/           each input's image or video file, named by the input id

In ``inputs.jsonl`` an input's ``image.url`` / ``video.url`` is the media file's path
relative to the folder.  An export is written beside its destination and renamed into
place when complete, so a folder that exists is a whole export.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine._imgheader import read_header
from engine.errors import AppError, InputError
from engine.proto import Annotation, Data, Image, Input, StatusCode, Video
from engine.proto_app import Dataset, DatasetVersion
from engine.store import AnnotationRecord

__all__ = ["MAX_LINE_BYTES", "annotation_record", "read_export", "write_export"]

MAX_LINE_BYTES = 64 << 20  # one input's JSON line (media lives in files, not in the line)
_VIDEO_MAGIC = ((b"ftyp", 4, ".mp4"), (b"\x1a\x45\xdf\xa3", 0, ".mkv"), (b"RIFF", 0, ".avi"))


def write_export(
    folder: Path,
    dataset: Dataset,
    version: DatasetVersion,
    items: Iterator[tuple[Input, list[Annotation]]],
) -> int:
    """Write the export to ``folder`` (which must not exist or be empty); returns the
    number of inputs written."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise InputError(f"{folder}: exists and is not an empty folder; export elsewhere")
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    try:
        (tmp / "media").mkdir()
        head = {"dataset": dataset.to_dict(), "dataset_version": version.to_dict()}
        (tmp / "dataset.json").write_text(json.dumps(head, indent=2) + "\n", encoding="utf-8")
        count = 0
        with (tmp / "inputs.jsonl").open("w", encoding="utf-8") as out:
            for inp, annotations in items:
                line = {
                    "input": _with_media_file(inp, tmp).to_dict(),
                    "annotations": [a.to_dict() for a in annotations],
                }
                out.write(json.dumps(line, separators=(",", ":")) + "\n")
                count += 1
        if folder.exists():
            folder.rmdir()
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return count


def _with_media_file(inp: Input, folder: Path) -> Input:
    """The input with its media bytes written to ``media/`` and referenced by path."""
    data = inp.data
    media: Image | Video | None = data.image or data.video
    content = media._source if media is not None else None
    if media is None or not isinstance(content, bytes):
        return inp
    name = f"media/{inp.id}{_suffix(content, image=data.image is not None)}"
    (folder / name).write_bytes(content)
    if data.image is not None:
        new: dict[str, Any] = {"image": Image(url=name, image_info=data.image.image_info)}
    else:
        new = {"video": Video(url=name)}
    return inp.model_copy(update={"data": data.model_copy(update=new)})


def _suffix(content: bytes, *, image: bool) -> str:
    if image:
        header = read_header(content[:4096])
        if header is not None:
            return "." + ("jpg" if header.format == "jpeg" else header.format)
        return ".img"
    for magic, at, suffix in _VIDEO_MAGIC:
        if content[at : at + len(magic)] == magic:
            return suffix
    return ".video"


def read_export(folder: Path) -> tuple[Dataset, Iterator[tuple[Input, list[Annotation]]]]:
    """The exported dataset and its inputs (media read from ``media/``), checked as
    they are read: a bad line is an ``InputError`` naming it."""
    try:
        head = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
        dataset = Dataset.model_validate(head["dataset"])
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        raise AppError(
            f"{folder}: not a dataset export (dataset.json: {exc})", code=StatusCode.BAD_REQUEST
        ) from None
    if not (folder / "inputs.jsonl").is_file():
        raise InputError(f"{folder}: not a dataset export (no inputs.jsonl)")
    return dataset, _lines(folder)


def _lines(folder: Path) -> Iterator[tuple[Input, list[Annotation]]]:
    root = folder.resolve()
    with (folder / "inputs.jsonl").open("rb") as f:
        for n, raw in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), start=1):
            where = f"{folder / 'inputs.jsonl'}:{n}"
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"{where}: line longer than {MAX_LINE_BYTES} bytes")
            try:
                line = json.loads(raw)
                inp = Input.model_validate(line["input"])
                annotations = [Annotation.model_validate(a) for a in line.get("annotations", [])]
            except (ValueError, KeyError, TypeError, ValidationError) as exc:
                raise InputError(f"{where}: not an exported input ({exc})") from None
            if not inp.id:
                raise InputError(f"{where}: the input has no id")
            yield _with_media_bytes(inp, root, where), annotations


def _with_media_bytes(inp: Input, root: Path, where: str) -> Input:
    data = inp.data
    media: Image | Video | None = data.image or data.video
    if media is None or not media.url or "://" in media.url:
        return inp
    path = (root / media.url).resolve()
    if not path.is_relative_to(root):  # a crafted line must not read files outside
        raise InputError(f"{where}: media path {media.url!r} leaves the export folder")
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{where}: cannot read {media.url}: {exc}") from None
    if data.image is not None:
        image = Image.from_source(content)
        image.image_info = data.image.image_info
        new: Data = data.model_copy(update={"image": image})
    else:
        new = data.model_copy(update={"video": Video.from_source(content)})
    return inp.model_copy(update={"data": new})


def annotation_record(a: Annotation, input_id: str) -> AnnotationRecord:
    """The store record of an imported annotation (same id, data, user, status, task)."""
    code = a.status.code if a.status is not None else StatusCode.ANNOTATION_SUCCESS
    return AnnotationRecord(
        id=a.id or "",
        input_id=input_id,
        data=(a.data or Data()).to_dict(),
        status_code=int(code),
        user_id=a.user_id,
        task_id=a.task_id,
        annotation_info=a.annotation_info,
        created_at=a.created_at or "",
        modified_at=a.modified_at or a.created_at or "",
    )
