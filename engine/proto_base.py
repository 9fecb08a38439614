"""The base every Clarifai message builds on: its JSON, its status, its ``Struct`` fields.

Field names are the proto's snake_case names, which is the JSON Clarifai's REST API and
Python SDK speak; camelCase (canonical proto3 JSON) is accepted on input too.  ``to_dict()``
gives Clarifai JSON: ``None`` fields and empty lists are left out, "show-if-empty" numbers
(box coordinates, ``Concept.value``, ``FrameInfo`` fields, ``Hit.score``) are always there.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo
from pydantic.alias_generators import to_camel

from engine.limits import check_struct

__all__ = ["Status", "StatusCode", "Struct"]


class StatusCode(IntEnum):
    """The Clarifai status codes opgraph emits."""

    SUCCESS = 10000
    MIXED_STATUS = 10010
    FAILURE = 10020
    CONN_DOES_NOT_EXIST = 11101
    CONN_INVALID_REQUEST = 11102
    MODEL_DOES_NOT_EXIST = 21200
    MODEL_UNTRAINED = 21102
    MODEL_TRAINING_NO_DATA = 21110
    MODEL_TRAINING_NO_POSITIVES = 21111
    MODEL_TRAINING_INSUFFICIENT_DATA = 21117
    MODEL_TRAINING_INVALID_PARAMS = 21118
    MODEL_INVALID_ARGUMENT = 21202
    MODEL_PREDICTION_FAILED = 21313
    WORKFLOW_DUPLICATE = 22100
    WORKFLOW_DOES_NOT_EXIST = 22102
    WORKFLOW_INVALID_ARGUMENT = 22104
    WORKFLOW_INVALID_GRAPH = 22107
    CONCEPT_MODIFY_SUCCESS = 23150
    ANNOTATION_SUCCESS = 24150
    ANNOTATION_PENDING = 24151
    ANNOTATION_FAILED = 24152
    ANNOTATION_INVALID_ARGUMENT = 24155
    ANNOTATION_AWAITING_REVIEW = 24157
    ANNOTATION_AWAITING_CONSENSUS_REVIEW = 24159
    INPUT_SUCCESS = 30000
    INPUT_PENDING = 30001
    INPUT_FAILED = 30002
    INPUT_IN_PROGRESS = 30003
    INPUT_DUPLICATE = 30100
    INPUT_UNSUPPORTED_FORMAT = 30101
    INPUT_DOES_NOT_EXIST = 30102
    INPUT_INVALID_ARGUMENT = 30104
    INPUT_INVALID_REQUEST = 39999
    PREDICT_INVALID_REQUEST = 40001
    SEARCH_INVALID_REQUEST = 40002
    CONCEPTS_INVALID_REQUEST = 40003
    DATABASE_DUPLICATE_KEY = 40010
    DATASET_VERSION_READY = 64015
    DATASET_VERSION_FAILURE = 64020
    DATASET_VERSION_CONFLICT = 64030
    BAD_REQUEST = 90400


class _Proto(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        arbitrary_types_allowed=True,
        # validators are built on first use: `opgraph validate` never builds most of them
        defer_build=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """Clarifai JSON for this message (snake_case keys, empty lists dropped)."""
        out: dict[str, Any] = _drop_empty_lists(self.model_dump(mode="json", exclude_none=True))
        return out


# google.protobuf.Struct fields: the user's own JSON, passed through untouched
_STRUCTS = frozenset({"metadata", "annotation_info", "params"})


def _bounded_struct(value: Any, info: ValidationInfo) -> Any:
    return value if value is None else check_struct(value, info.field_name or "the value")


# A Struct field: any JSON object, bounded in depth and size (engine.limits) wherever it is
# validated (a JSON request, the Python API, an app's stored input), so a request cannot
# nest it past what serialising it back allows
Struct = Annotated[dict[str, Any], BeforeValidator(_bounded_struct)]


def _drop_empty_lists(obj: Any) -> Any:
    # a hot path of every JSON answer: recurse into containers only, never per scalar
    kind = type(obj)
    if kind is dict:
        out: dict[Any, Any] = {}
        for k, v in obj.items():
            inner = type(v)
            if inner is list:
                if v:
                    out[k] = v if k in _STRUCTS else [_drop_empty_lists(x) for x in v]
            elif inner is dict and k not in _STRUCTS:
                out[k] = _drop_empty_lists(v)
            else:
                out[k] = v
        return out
    if kind is list:
        return [_drop_empty_lists(x) for x in obj]
    return obj


class Status(_Proto):
    code: int = StatusCode.SUCCESS
    description: str = "Ok"
    details: str | None = None

    @property
    def is_success(self) -> bool:
        return self.code in (StatusCode.SUCCESS, StatusCode.INPUT_SUCCESS)
