"""Between the proto models and the store's records: inputs, index entries, annotations.

Media is stored as the encoded file's bytes (``InputRecord.content``), never as base64
inside the JSON and never decoded; an input given as an in-memory numpy image is encoded
to PNG once, on the way in.  A stored input comes back with an ``Image`` (or ``Video``)
that decodes lazily from those bytes, exactly like a file given to ``predict``.
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import InputError
from engine.proto import (
    Annotation,
    Data,
    Image,
    Input,
    Region,
    Status,
    StatusCode,
    Video,
    WorkflowResult,
)
from engine.store import AnnotationRecord, IndexRecord, InputRecord

__all__ = [
    "annotation_from_record",
    "annotation_to_record",
    "failure_reason",
    "index_entry",
    "input_from_record",
    "input_to_record",
    "strip_pixels",
]

# fixed forever: annotation ids derive from it, and re-runs must find the same ids
_ANNOTATION_NS = uuid.UUID("5b0e7d2c-51f4-4f0e-9a57-0c1a3e0c9d11")


def input_to_record(
    inp: Input, input_id: str, dataset_ids: list[str], created_at: str
) -> InputRecord:
    """The record to store for ``inp`` (its media read into bytes, its metadata apart)."""
    data = inp.data
    doc = data.to_dict()
    doc.pop("metadata", None)
    content: bytes | None = None
    if data.image is not None:
        content = _image_bytes(data.image, input_id)
        doc["image"] = _without_payload(doc.get("image", {}), content)
    elif data.video is not None:
        content = _source_bytes(data.video._source, data.video.base64, input_id, "video")
        doc["video"] = _without_payload(doc.get("video", {}), content)
    return InputRecord(
        id=input_id,
        data=doc,
        content=content,
        metadata=data.metadata,
        dataset_ids=list(dataset_ids),
        status_code=StatusCode.INPUT_SUCCESS,
        status_description="Input successfully processed",
        created_at=created_at,
    )


def input_from_record(rec: InputRecord, *, pixels: bool = True) -> Input:
    """The stored input; with ``pixels`` its media decodes from the stored bytes on use."""
    data = Data.model_validate({**rec.data, "metadata": rec.metadata})
    if pixels and rec.content is not None:
        if data.image is not None:
            image = Image.from_source(rec.content)
            image.image_info = data.image.image_info
            data = data.model_copy(update={"image": image})
        elif data.video is not None:
            data = data.model_copy(update={"video": Video.from_source(rec.content)})
    code = rec.status_code
    return Input(
        id=rec.id,
        data=data,
        created_at=rec.created_at,
        modified_at=rec.modified_at or None,
        status=Status(code=code, description=rec.status_description),
        dataset_ids=rec.dataset_ids,
    )


def failure_reason(result: WorkflowResult) -> str | None:
    """Why the base workflow failed on this input, or None when every node succeeded."""
    if result.status.code == StatusCode.SUCCESS:
        return None
    failed = [o for o in result.outputs if o.status.code != StatusCode.SUCCESS]
    whole = result.status.details or result.status.description
    messages = {o.status.details or o.status.description for o in failed}
    if len(failed) > 1 and len(failed) == len(result.outputs) and messages == {whole}:
        # refused as a whole (unreadable media, a worker process that died): say it once
        return f"{result.status.description}: {whole}" if result.status.details else whole
    if failed:
        return "; ".join(f"{o.id}: {o.status.details or o.status.description}" for o in failed)
    return whole


def index_entry(result: WorkflowResult, input_id: str) -> IndexRecord:
    """What the index keeps of one input's base-workflow outputs.

    The search vector is the first embedding of the first node (in workflow order) that
    produced one; concepts (also those of regions) and regions come from every node.
    """
    entry = IndexRecord(input_id=input_id)
    for out in result.outputs:
        node, data = out.id or "", out.data
        if entry.vector is None and data.embeddings:
            entry.vector = _unit(data.embeddings[0].vector)
            entry.vector_node = node
        entry.concepts.extend((node, c.id, float(c.value)) for c in data.concepts if c.id)
        for region in data.regions:
            entry.regions.append((node, strip_pixels(region).to_dict()))
            inner = region.data.concepts if region.data is not None else []
            entry.concepts.extend((node, c.id, float(c.value)) for c in inner if c.id)
            if region.data is not None and region.data.embeddings:
                vector = _unit(region.data.embeddings[0].vector)
                entry.region_vectors.append((node, _region_for_hit(region), vector))
    return entry


def _region_for_hit(region: Region) -> dict[str, Any]:
    """What a region hit shows of the region: id, box (or polygon ...) and concepts."""
    kept = region.data.model_copy(update={"image": None, "embeddings": []}) if region.data else None
    return region.model_copy(update={"data": kept}).to_dict()


def annotation_to_record(
    data: Data,
    *,
    input_id: str,
    workflow_id: str,
    node_id: str,
    status: int,
    user_id: str | None,
    task_id: str | None,
    annotation_info: dict[str, Any] | None,
    now: str,
) -> AnnotationRecord:
    """``data``'s concepts and regions as the annotation a workflow node writes.

    The id is derived from (input, workflow, node), so writing again replaces the
    annotation instead of adding another.  A video's labels come as ``data.frames``
    (one Frame per labelled frame), each keeping its own concepts and regions.
    """
    key = f"{input_id}/{workflow_id}/{node_id}"
    return AnnotationRecord(
        id=uuid.uuid5(_ANNOTATION_NS, key).hex,
        input_id=input_id,
        data=_labels(data).to_dict(),
        status_code=status,
        user_id=user_id,
        task_id=task_id,
        annotation_info=annotation_info,
        workflow_id=workflow_id,
        node_id=node_id,
        created_at=now,
        modified_at=now,
    )


def _labels(data: Data) -> Data:
    """Only what an annotation keeps of ``data``: concepts and pixel-free regions, per frame."""
    frames = [
        f.model_copy(update={"data": _labels(f.data)}) for f in data.frames if f.data is not None
    ]
    regions = [strip_pixels(r) for r in data.regions]
    return Data(concepts=data.concepts, regions=regions, frames=frames)


def annotation_from_record(rec: AnnotationRecord) -> Annotation:
    return Annotation(
        id=rec.id,
        input_id=rec.input_id,
        data=Data.model_validate(rec.data),
        annotation_info=rec.annotation_info,
        user_id=rec.user_id,
        status=Status(code=rec.status_code, description=_status_name(rec.status_code)),
        created_at=rec.created_at,
        modified_at=rec.modified_at,
        task_id=rec.task_id,
    )


def strip_pixels(region: Region) -> Region:
    """The region without a crop image in its data (the index keeps no pixels)."""
    if region.data is None or region.data.image is None:
        return region
    return region.model_copy(update={"data": region.data.model_copy(update={"image": None})})


def _unit(vector: list[float]) -> np.ndarray:
    v = np.asarray(vector, dtype=np.float32)
    norm = math.sqrt(float(v @ v))
    return v * (1.0 / norm) if norm > 0 else v


def _status_name(code: int) -> str:
    try:
        return StatusCode(code).name
    except ValueError:
        return str(code)


def _without_payload(media: dict[str, Any], content: bytes | None) -> dict[str, Any]:
    """The media's JSON without inline bytes (kept in ``content``); a URL stays if unread."""
    media = {k: v for k, v in media.items() if k != "base64"}
    if content is not None:
        media.pop("url", None)
    return media


def _image_bytes(image: Image, input_id: str) -> bytes | None:
    if image._source is None and image.base64 is None and image._array is not None:
        import cv2  # only for inputs handed over as numpy arrays

        ok, buf = cv2.imencode(".png", image._array)
        if not ok:
            raise InputError(f"input '{input_id}': the numpy image could not be encoded")
        return bytes(buf)
    return _source_bytes(image._source, image.base64, input_id, "image")


def _source_bytes(
    source: str | bytes | None, b64: str | None, input_id: str, what: str
) -> bytes | None:
    """The media's encoded bytes: from bytes, a local file or base64; None for a URL."""
    if isinstance(source, bytes):
        return source
    if isinstance(source, str) and "://" not in source:
        try:
            return Path(source).expanduser().read_bytes()
        except OSError as exc:
            raise InputError(f"input '{input_id}': cannot read {what} {source}: {exc}") from None
    if b64:
        try:
            return base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise InputError(f"input '{input_id}': {what}.base64 is not valid base64") from None
    return None
