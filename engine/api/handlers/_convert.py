"""Between a handler's protos and the App's pydantic models (both speak Clarifai's JSON)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel

from engine.api.errors import ApiError
from engine.api.service import Call, Reply
from engine.proto import Input

M = TypeVar("M", bound=BaseModel)

__all__ = [
    "answer",
    "input_docs",
    "metadata_of",
    "owned",
    "request_docs",
    "with_media",
    "without_media",
]

_INVALID = 11102  # CONN_INVALID_REQUEST


def answer(method: str, model: BaseModel) -> Reply:
    """The App's pydantic response as the method's reply, success unless its status says."""
    return Reply(method, model=model)


def request_docs(
    call: Call, items: Sequence[Any], what: str, *, enum_ints: bool = False
) -> list[dict[str, Any]]:
    """A request's inputs or annotations as Clarifai JSON dicts, within the server's
    per-request bound (``enum_ints``: enums as Clarifai's numbers, not their names)."""
    limit = call.server.limits.max_inputs
    if not items:
        raise ApiError(_INVALID, f"the request has no {what}")
    if len(items) > limit:
        raise ApiError(_INVALID, f"{len(items)} {what} in one request; the limit is {limit}")
    return [
        _plain_doc(i)
        or json_format.MessageToDict(
            i, preserving_proto_field_name=True, use_integers_for_enums=enum_ints
        )
        for i in items
    ]


_PLAIN = frozenset(  # as MessageToDict writes them: the value itself (bytes are base64)
    {
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BOOL,
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_FIXED32,
    }
)
_MAX_PLAIN_DEPTH = 8


def _plain_doc(message: Message, depth: int = 0) -> dict[str, Any] | None:
    """``message`` as ``MessageToDict`` writes it, when every field set in it is text, a
    bool, a 32-bit integer or a message of those (a text input, an image by URL): read
    with ``ListFields``, in C.  None for anything else (bytes, enums, floats, 64-bit
    integers, maps, well-known types): ``MessageToDict`` converts those."""
    if depth > _MAX_PLAIN_DEPTH or message.DESCRIPTOR.full_name.startswith("google.protobuf."):
        return None
    doc: dict[str, Any] = {}
    for field, value in message.ListFields():
        if field.is_extension:
            return None
        if field.type in _PLAIN:
            doc[field.name] = list(value) if field.is_repeated else value
        elif field.type != FieldDescriptor.TYPE_MESSAGE or field.is_repeated:
            return None
        else:
            nested = _plain_doc(value, depth + 1)
            if nested is None:
                return None
            doc[field.name] = nested
    return doc


def input_docs(call: Call, inputs: Sequence[Any]) -> list[dict[str, Any]]:
    """Request inputs as Clarifai JSON dicts, within the server's per-request bound."""
    return request_docs(call, inputs, "inputs")


def metadata_of(message: Any) -> dict[str, Any] | None:
    """A resource proto's ``metadata`` Struct as a dict; None when it carries none."""
    if not message.HasField("metadata"):
        return None
    return dict(json_format.MessageToDict(message.metadata))


def without_media(inputs: Sequence[Input]) -> list[Input]:
    """Inputs as an add or a list answers them: ids, metadata, status; no media echoed."""
    out = []
    for inp in inputs:
        data = inp.data
        if data is not None:
            slim = {}
            for kind in ("image", "video", "audio"):
                media = getattr(data, kind, None)
                if media is not None and getattr(media, "base64", None):
                    slim[kind] = media.model_copy(update={"base64": None})
            data = data.model_copy(update=slim)
        out.append(inp.model_copy(update={"data": data}))
    return out


def with_media(inp: Input) -> Input:
    """A stored input with its media bytes inline as base64, as GetInput answers it."""
    data = inp.data
    if data is None:
        return inp
    inline = {}
    for kind in ("image", "video"):
        media = getattr(data, kind, None)
        raw = getattr(media, "stored_bytes", None)
        if media is not None and raw:
            inline[kind] = media.model_copy(update={"base64": base64.b64encode(raw).decode()})
    return inp.model_copy(update={"data": data.model_copy(update=inline)}) if inline else inp


def owned(items: Sequence[M], user_app_id: Any) -> list[M]:
    """Resources (models, workflows) as the app's own: with its ``user_id`` and ``app_id``
    where they have none (Clarifai's SDK builds its next request from them)."""
    user_id = getattr(user_app_id, "user_id", "") or "me"
    app_id = getattr(user_app_id, "app_id", "")
    out = []
    for item in items:
        fill = {
            k: v
            for k, v in (("user_id", user_id), ("app_id", app_id))
            if not getattr(item, k, None)
        }
        out.append(item.model_copy(update=fill) if fill else item)
    return out
