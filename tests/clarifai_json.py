"""Checks that JSON the engine emits is Clarifai JSON, by parsing it with Clarifai's protos."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import service_pb2
from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message


def assert_clarifai_json(obj: dict[str, Any], message: type[Message] | None = None) -> None:
    """Raise if ``obj`` does not parse as ``message`` with unknown fields NOT ignored."""
    target = (message or service_pb2.PostWorkflowResultsResponse)()
    ParseDict(obj, target, ignore_unknown_fields=False)
