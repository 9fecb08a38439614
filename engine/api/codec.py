"""Protos in and out: V2 request/response messages, their JSON, and our pydantic models.

REST bodies are read with the converter clarifai-grpc's own JSON channel uses (snake_case
names, enums by name, Clarifai's float defaults) and written with proto field names, so
what its client sends parses here and what we answer parses there.  Our pydantic models speak
the same JSON, so a proto becomes a model by way of a dict.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, TypeVar

from clarifai_grpc.channel.custom_converters.custom_dict_to_message import dict_to_protobuf
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from pydantic import BaseModel

__all__ = ["BadRequest", "from_json", "from_query", "to_json", "to_model", "to_proto"]

M = TypeVar("M", bound=BaseModel)
_MAX_DEPTH = 64  # Clarifai's messages nest ~12 deep; metadata Structs add the rest


class BadRequest(ValueError):
    """A request body or query string that does not parse as the method's request."""


def from_json(cls: type[Message], doc: Any) -> Message:
    """A request proto from its JSON object, unknown fields refused."""
    if not isinstance(doc, dict):
        raise BadRequest(f"the body of {cls.__name__} must be a JSON object")
    try:
        return dict_to_protobuf(cls, doc, max_recursion_depth=_MAX_DEPTH)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"{cls.__name__}: {_short(exc)}") from None


def to_json(message: Message) -> dict[str, Any]:
    """A response proto as Clarifai's REST API writes it (proto field names, enum names)."""
    doc: dict[str, Any] = json_format.MessageToDict(
        message, preserving_proto_field_name=True, use_integers_for_enums=True
    )
    return doc


def to_model(cls: type[M], message: Message) -> M:
    """A proto as one of our pydantic models (they share Clarifai's JSON)."""
    doc = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return cls.model_validate(doc)


def to_proto(cls: type[Message], value: BaseModel | Mapping[str, Any]) -> Message:
    """One of our models (or its JSON) as a proto; fields the proto lacks are an error."""
    doc = (
        value.model_dump(mode="json", exclude_none=True) if isinstance(value, BaseModel) else value
    )
    try:
        return cls(**_kwargs(cls.DESCRIPTOR, doc))
    except (TypeError, ValueError, KeyError, AttributeError):
        message = cls()  # protobuf's JSON parser: slower, and says what is wrong
        json_format.ParseDict(doc, message, ignore_unknown_fields=False)
        return message


_TIMESTAMP = "google.protobuf.Timestamp"
_WRAPPERS = {
    f"google.protobuf.{n}Value"
    for n in ("Float", "Double", "Int32", "Int64", "UInt32", "UInt64", "Bool", "String", "Bytes")
}
_STRUCTS = {"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"}


def _kwargs(descriptor: Any, doc: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments for a message from its JSON (several times faster than
    protobuf's JSON parser); anything it does not take raises, and the parser is used."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        field = descriptor.fields_by_name[key]
        out[key] = _value(field, value)
    return out


def _value(field: FieldDescriptor, value: Any) -> Any:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        sub = field.message_type
        if sub.GetOptions().map_entry:
            value_field = sub.fields_by_name["value"]
            return {k: _value(value_field, v) for k, v in value.items()}
        if _repeated(field):
            return [_message(sub, v) for v in value]
        return _message(sub, value)
    if field.type == FieldDescriptor.TYPE_BYTES:
        if _repeated(field):
            return [base64.b64decode(v) for v in value]
        return base64.b64decode(value)
    return value


def _message(descriptor: Any, value: Any) -> Any:
    cls = GetMessageClass(descriptor)
    if descriptor.full_name in _STRUCTS | _WRAPPERS | {_TIMESTAMP}:
        message = cls()
        json_format.ParseDict(value, message)
        return message
    if not isinstance(value, Mapping):
        raise TypeError(f"{descriptor.full_name} needs an object")
    return cls(**_kwargs(descriptor, value))


def from_query(cls: type[Message], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """A GET request's query string (``page=2&user_app_id.app_id=x``) as its JSON object.

    Values arrive as strings; each is converted by its field's type, found by walking the
    dotted name through the message's descriptor.  Repeated fields take repeated keys; a
    repeated message field takes one scalar of each element (``statuses.code=24157``).
    """
    doc: dict[str, Any] = {}
    for key, raw in pairs:
        descriptor = cls.DESCRIPTOR
        node = doc
        names = key.split(".")
        for depth, name in enumerate(names):
            field = descriptor.fields_by_name.get(name)
            if field is None:
                raise BadRequest(f"{cls.__name__} has no field {key!r}")
            if depth == len(names) - 1:
                _put(node, field, _scalar(field, raw, key))
                break
            if field.type != FieldDescriptor.TYPE_MESSAGE:
                raise BadRequest(f"{cls.__name__}: {key!r} is not a nested field")
            if _repeated(field):
                # a list of messages by one scalar each (statuses.code=A&statuses.code=B)
                leaf = field.message_type.fields_by_name.get(names[-1])
                if depth != len(names) - 2 or leaf is None or leaf.type == leaf.TYPE_MESSAGE:
                    raise BadRequest(f"{cls.__name__}: {key!r} is not a nested field")
                _put(node, field, {leaf.name: _scalar(leaf, raw, key)})
                break
            node = node.setdefault(name, {})
            descriptor = field.message_type
    return doc


def _repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _put(node: dict[str, Any], field: FieldDescriptor, value: Any) -> None:
    if _repeated(field):
        node.setdefault(field.name, []).append(value)
    else:
        node[field.name] = value


def _scalar(field: FieldDescriptor, raw: str, key: str) -> Any:
    kind = field.type
    if kind == FieldDescriptor.TYPE_BOOL:
        if raw.lower() not in ("true", "false", "1", "0"):
            raise BadRequest(f"{key!r} must be true or false, not {raw[:40]!r}")
        return raw.lower() in ("true", "1")
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        try:
            return float(raw)
        except ValueError:
            raise BadRequest(f"{key!r} must be a number, not {raw[:40]!r}") from None
    if kind == FieldDescriptor.TYPE_MESSAGE:
        raise BadRequest(f"{key!r} is a message: give its fields as {key}.<name>")
    if kind in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_ENUM):
        return raw
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{key!r} must be an integer, not {raw[:40]!r}") from None


def _short(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return f"nested more than {_MAX_DEPTH} levels deep"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
