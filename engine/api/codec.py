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

from clarifai_grpc.grpc.api.utils import extensions_pb2
from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.json_format import _Parser
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
        message = cls()
        _ChannelParser(False, None, _MAX_DEPTH).ConvertMessage(doc, message, path="")
        return message
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        raise BadRequest(f"{cls.__name__}: {_short(exc)}") from None


class _ChannelParser(_Parser):  # type: ignore[misc]
    """What clarifai-grpc's JSON channel parses with (its ``dict_to_protobuf``: protobuf's
    parser, and a missing field with a ``cl_default_float`` option, ``Concept.value``, takes
    that default), with the defaults looked up once per message type, not on every message
    of every request."""

    def _ConvertFieldValuePair(self, js: Any, message: Message, path: str) -> None:
        for name, value in _float_defaults(message.DESCRIPTOR):
            if name not in js:
                js[name] = value
        super()._ConvertFieldValuePair(js, message, path)


_FLOAT_DEFAULTS: dict[str, tuple[tuple[str, float], ...]] = {}


def _float_defaults(descriptor: Any) -> tuple[tuple[str, float], ...]:
    found = _FLOAT_DEFAULTS.get(descriptor.full_name)
    if found is None:
        option = extensions_pb2.cl_default_float
        found = tuple(
            (f.name, f.GetOptions().Extensions[option])
            for f in descriptor.fields
            if f.GetOptions().Extensions[option]
        )
        _FLOAT_DEFAULTS[descriptor.full_name] = found
    return found


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
        # protobuf's own constructor takes nested dicts and lists, in C; it refuses (never
        # misreads) base64 for bytes, a Timestamp's text and a wrapper's bare value
        return cls(**doc)
    except (TypeError, ValueError, KeyError, AttributeError):
        pass
    try:
        return cls(**_prepared(cls.DESCRIPTOR, doc))  # those fields converted first
    except (TypeError, ValueError, KeyError, AttributeError):
        message = cls()  # protobuf's JSON parser: slower, and says what is wrong
        json_format.ParseDict(doc, message, ignore_unknown_fields=False)
        return message


_WELL_KNOWN = frozenset(
    {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.Struct",
        "google.protobuf.Value",
        "google.protobuf.ListValue",
    }
    | {f"google.protobuf.{n}Value" for n in ("Float", "Double", "Bool", "String", "Bytes")}
    | {f"google.protobuf.{n}Value" for n in ("Int32", "Int64", "UInt32", "UInt64")}
)
_BYTES, _MAP, _PARSED, _NESTED = range(4)
# per message type: (field name, kind, its type, repeated) of each field that needs
# converting, directly or somewhere below
_Step = tuple[str, int, Any, bool]
_PLANS: dict[str, tuple[_Step, ...]] = {}


def _prepared(descriptor: Any, doc: Any) -> Any:
    """``doc`` with every value the constructor cannot take converted (a copy only along
    the paths that need it; ``doc`` itself is never changed)."""
    plan = _PLANS.get(descriptor.full_name)
    if plan is None:
        _plan(descriptor)
        plan = _PLANS[descriptor.full_name]
    if not plan or not isinstance(doc, Mapping):
        return doc
    out = dict(doc)
    for name, kind, sub, repeated in plan:
        if name in doc:
            value = doc[name]
            out[name] = [_one(kind, sub, v) for v in value] if repeated else _one(kind, sub, value)
    return out


def _one(kind: int, sub: Any, value: Any) -> Any:
    if kind == _BYTES:  # decoded as protobuf's JSON parser does (either alphabet)
        encoded = value.encode() if isinstance(value, str) else value
        return base64.urlsafe_b64decode(encoded + b"=" * (4 - len(encoded) % 4))
    if kind == _PARSED:
        return json_format.ParseDict(value, GetMessageClass(sub)())
    if kind == _MAP:  # a map whose values are messages that need converting
        values = sub.fields_by_name["value"].message_type
        inner = _PARSED if values.full_name in _WELL_KNOWN else _NESTED
        return {k: _one(inner, values, v) for k, v in value.items()}
    return _prepared(sub, value)


def _step(field: FieldDescriptor, needs: dict[str, bool]) -> _Step | None:
    """How to convert ``field``, or None when the constructor takes it as it is."""
    repeated = _repeated(field)
    if field.type == FieldDescriptor.TYPE_BYTES:
        return (field.name, _BYTES, None, repeated)
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return None
    sub = field.message_type
    if sub.GetOptions().map_entry:
        value = sub.fields_by_name["value"]
        if value.type == FieldDescriptor.TYPE_MESSAGE and _needs(value, needs):
            return (field.name, _MAP, sub, False)
        return None
    if sub.full_name in _WELL_KNOWN:
        return (field.name, _PARSED, sub, repeated)
    return (field.name, _NESTED, sub, repeated) if _needs(field, needs) else None


def _plan(root: Any) -> None:
    """The plans of ``root`` and of every message type under it: a type needs converting
    if it has a bytes or well-known field, or a message field of a type that does (types
    nest in cycles, so this is a fixed point over all of them)."""
    types: dict[str, Any] = {}
    todo = [root]
    while todo:
        d = todo.pop()
        if d.full_name in types or d.full_name in _PLANS:
            continue
        types[d.full_name] = d
        todo.extend(f.message_type for f in d.fields if f.type == FieldDescriptor.TYPE_MESSAGE)
    needs = {name: bool(plan) for name, plan in _PLANS.items()}
    needs.update({name: False for name in types})
    changed = True
    while changed:
        changed = False
        for name, d in types.items():
            if not needs[name] and any(_needs(f, needs) for f in d.fields):
                needs[name] = changed = True
    for name, d in types.items():
        _PLANS[name] = tuple(s for s in (_step(f, needs) for f in d.fields) if s is not None)


def _needs(field: FieldDescriptor, needs: dict[str, bool]) -> bool:
    if field.type == FieldDescriptor.TYPE_BYTES:
        return True
    if field.type != FieldDescriptor.TYPE_MESSAGE:
        return False
    name = field.message_type.full_name
    return name in _WELL_KNOWN or needs.get(name, False)


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
