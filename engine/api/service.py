"""One handler per V2 method, shared by gRPC and REST: dispatch, auth, errors.

A handler is ``fn(call, request) -> response`` over clarifai-grpc protos, registered with
``@handler("PostInputs", scope="inputs:write")``.  ``dispatch`` checks the caller's token
against the scope and the app, runs the handler, and turns every failure into the
response type's ``status``: an ``ApiError`` or an opgraph user error keeps its message and
Clarifai status code; anything else is logged and answered as an internal error, never a
traceback.  Methods without a handler answer Clarifai's NOT_IMPLEMENTED.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from engine.api.auth import Principal, TokenStore
from engine.api.codec import BadRequest, to_json, to_proto
from engine.api.errors import ApiError
from engine.errors import InputError, OpgraphError, SpecError, StoreError

__all__ = [
    "HANDLERS",
    "ApiError",
    "Call",
    "Handler",
    "Reply",
    "dispatch",
    "failure",
    "handler",
    "http_status",
    "ok",
    "request_type",
    "response_type",
    "spec_details",
]

log = logging.getLogger("opgraph.api")
Codes = status_code_pb2

Handler = Callable[["Call", Any], "Message | Reply"]


@dataclass(frozen=True)
class _Entry:
    fn: Handler
    scope: str


HANDLERS: dict[str, _Entry] = {}


@dataclass
class Call:
    """What a handler knows of the request beyond its proto: who calls, and the server."""

    principal: Principal
    server: Any  # engine.api.server.ServerState (apps, limits); Any keeps this layer thin
    metadata: dict[str, str] = field(default_factory=dict)

    def app(self, user_app_id: Any, *, write: bool = False) -> Any:
        """The App named by a request's ``user_app_id``, after checking the token may use it."""
        user_id, app_id = _ids(user_app_id)
        self.principal.require_app(user_id, app_id)
        return self.server.apps.get(user_id, app_id)


def _ids(user_app_id: Any) -> tuple[str, str]:
    user_id = getattr(user_app_id, "user_id", "") or "me"
    app_id = getattr(user_app_id, "app_id", "")
    if not app_id:
        raise ApiError(Codes.CONN_INVALID_REQUEST, "the request names no app (user_app_id.app_id)")
    return user_id, app_id


def handler(method: str, *, scope: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the one handler of V2 method ``method``."""

    def register(fn: Handler) -> Handler:
        if method in HANDLERS:
            raise RuntimeError(f"two handlers for {method}")
        HANDLERS[method] = _Entry(fn, scope)
        return fn

    return register


_METHODS = service_pb2.DESCRIPTOR.services_by_name["V2"].methods_by_name
_TYPES: dict[tuple[str, bool], type[Message]] = {}  # (method, response?): looked up once


def _message_type(name: str, response: bool) -> type[Message]:
    found = _TYPES.get((name, response))
    if found is None:
        method = _METHODS[name]
        found = GetMessageClass(method.output_type if response else method.input_type)
        _TYPES[(name, response)] = found
    return found


def request_type(name: str) -> type[Message]:
    return _message_type(name, False)


def response_type(name: str) -> type[Message]:
    return _message_type(name, True)


def ok(response: Message, code: int = Codes.SUCCESS) -> Message:
    """``response`` with a success status."""
    response.status.code = code
    response.status.description = "Ok"
    return response


_MAX_PLACES = 100  # mistakes listed in a status's details


def spec_details(exc: SpecError) -> str:
    """Where a workflow's mistakes are, for a program to show them at their line: a JSON list
    of ``{"line", "col", "node_id", "key", "message"}`` in file order (line 0: the whole
    file), in the YAML the workflow was checked as."""
    mistakes = getattr(exc, "errors", None) or [exc]
    return json.dumps(
        [
            {
                "line": e.line,
                "col": e.col,
                "node_id": e.node_id,
                "key": _key(e.key),
                "message": e.message,
            }
            for e in mistakes[:_MAX_PLACES]
        ]
    )


def _key(key: str | None) -> str | None:
    return key if key and key.isidentifier() else None  # not the reader's own path marks


def failure(name: str, code: int, description: str, details: str = "") -> Message:
    response = response_type(name)()
    status = getattr(response, "status", None)
    if status is not None:
        status.code = code
        status.description = description
        if details:
            status.details = details
    return response


class Reply:
    """A handler's answer, built for the transport that sends it.

    A handler gives a response proto, the App's pydantic response (``model``) or that
    response as Clarifai JSON (``doc``); REST sends the JSON and gRPC builds the proto, each
    from the model directly, so neither pays for a conversion it does not need.  A response
    without a status code answers success.  ``parts``: top-level fields of the model that
    the handler already has as protos (one made once and sent with many responses); the
    proto takes them as they are and the model's other fields are converted.
    """

    def __init__(
        self,
        method: str,
        *,
        proto: Message | None = None,
        doc: dict[str, Any] | None = None,
        model: Any = None,
        parts: dict[str, Message] | None = None,
    ) -> None:
        self.method = method
        self._proto = proto
        self._doc = doc
        self._model = model
        self._parts = parts or {}
        # sent beside the answer: HTTP headers over REST, trailing metadata over gRPC
        self.headers: dict[str, str] = {}

    @property
    def code(self) -> int:
        if self._model is not None:
            status = getattr(self._model, "status", None)
            return int(getattr(status, "code", 0) or Codes.SUCCESS)
        if self._doc is not None:
            return int(self._doc.get("status", {}).get("code", 0))
        return int(self._proto.status.code)  # type: ignore[union-attr]

    def proto(self) -> Message:
        if self._proto is None:
            try:
                proto = to_proto(response_type(self.method), self._dump(for_json=False))
                for name, part in self._parts.items():
                    getattr(proto, name).CopyFrom(part)
                self._proto = proto
            except Exception:
                log.exception("%s: the response does not fit its proto", self.method)
                self._proto = failure(
                    self.method,
                    Codes.INTERNAL_SERVER_ISSUE,
                    f"{self.method} failed inside the server",
                )
        return self._proto

    def json(self) -> dict[str, Any]:
        if self._doc is None and self._model is not None:
            self._doc = self._dump(for_json=True)
        return self._doc if self._doc is not None else to_json(self.proto())

    def _dump(self, *, for_json: bool) -> dict[str, Any]:
        """The model as Clarifai JSON (without empty lists, as Clarifai writes it, when it
        is sent as JSON: a proto does not care), its status success unless it says."""
        model = self._model
        if model is None:
            return self._doc or {}
        # the parts given as protos are not dumped only to be replaced
        skip = set(self._parts) if self._parts and not for_json else None
        if hasattr(model, "to_dict"):
            doc = (
                model.to_dict()
                if for_json
                else model.model_dump(mode="json", exclude_none=True, exclude=skip)
            )
        else:
            doc = model.model_dump(mode="json", exclude=skip)
        status = doc.get("status") or {}
        if not status.get("code"):
            doc["status"] = {**status, "code": Codes.SUCCESS, "description": "Ok"}
        return dict(doc)


def dispatch(name: str, request: Message, tokens: TokenStore, call: Call, key: str | None) -> Reply:
    """Run V2 method ``name`` for a caller presenting ``key``; always a reply."""
    result = _run(name, request, tokens, call, key)
    return result if isinstance(result, Reply) else Reply(name, proto=result)


def _run(
    name: str, request: Message, tokens: TokenStore, call: Call, key: str | None
) -> Message | Reply:
    entry = HANDLERS.get(name)
    try:
        call.principal = tokens.authenticate(key)
        if entry is None:
            return failure(name, Codes.NOT_IMPLEMENTED, f"{name} is not implemented by opgraph")
        call.principal.require_scope(entry.scope)
        return entry.fn(call, request)
    except ApiError as exc:
        return failure(name, exc.code, exc.description, exc.details)
    except BadRequest as exc:
        return failure(name, Codes.CONN_BAD_REQUEST_FORMAT, str(exc))
    except RecursionError:  # a Struct (metadata, params) nested deeper than Python's stack
        return failure(
            name, Codes.CONN_BAD_REQUEST_FORMAT, f"{name}: the request is nested too deeply"
        )
    except SpecError as exc:
        code = getattr(exc, "status_code", None) or Codes.CONN_INVALID_REQUEST
        return failure(name, code, str(exc), spec_details(exc))
    except InputError as exc:
        code = getattr(exc, "status_code", None) or Codes.CONN_INVALID_REQUEST
        return failure(name, code, str(exc))
    except StoreError as exc:
        log.warning("%s: %s", name, exc)
        return failure(name, Codes.INTERNAL_DATABASE_ISSUE, "the app's store failed; try again")
    except OpgraphError as exc:
        code = getattr(exc, "status_code", None) or Codes.FAILURE
        return failure(name, code, str(exc))
    except Exception:
        log.exception("%s failed", name)
        return failure(name, Codes.INTERNAL_SERVER_ISSUE, f"{name} failed inside the server")


_HTTP = {
    Codes.SUCCESS: 200,
    Codes.MIXED_STATUS: 200,
    Codes.NOT_IMPLEMENTED: 501,
    Codes.CONN_KEY_INVALID: 401,
    Codes.CONN_KEY_NOT_FOUND: 401,
    Codes.CONN_INSUFFICIENT_SCOPES: 403,
    Codes.CONN_DOES_NOT_EXIST: 404,
    Codes.RPC_REQUEST_QUEUE_FULL: 429,
    Codes.INTERNAL_SERVER_ISSUE: 500,
    Codes.INTERNAL_DATABASE_ISSUE: 500,
}


def http_status(code: int) -> int:
    """The HTTP status Clarifai's REST channel pairs with a status code."""
    if code in _HTTP:
        return _HTTP[code]
    text = Codes.StatusCode.Name(code) if code in Codes.StatusCode.values() else ""
    if "NOT_FOUND" in text or "DOES_NOT_EXIST" in text:
        return 404
    if "PERMISSION" in text:
        return 403
    if code >= 98000:
        return 500
    return 400 if code != Codes.FAILURE else 200
