"""Clarifai's ``Data`` proto tree and the messages around it, as pydantic models.

Field names are the proto's snake_case names, which is the JSON Clarifai's REST API and
Python SDK speak; camelCase (canonical proto3 JSON) is accepted on input too.  ``to_dict()``
gives Clarifai JSON: ``None`` fields and empty lists are left out, "show-if-empty" numbers
(box coordinates, ``Concept.value``, ``FrameInfo`` fields, ``Hit.score``) are always there.

A decoded image rides along with its ``Image`` as a private numpy array: never serialized,
decoded at most once (see ``Image.array``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal, TypeVar

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    WrapSerializer,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticUndefined

from engine.frames import FrameList
from engine.limits import check_struct

__all__ = [
    "W3C",
    "Annotation",
    "Audio",
    "AudioInfo",
    "BoundingBox",
    "Cluster",
    "Color",
    "Concept",
    "ConceptRelation",
    "Data",
    "Embedding",
    "Frame",
    "FrameInfo",
    "Geo",
    "GeoBoxedPoint",
    "GeoLimit",
    "GeoPoint",
    "Hit",
    "Image",
    "ImageInfo",
    "Input",
    "InputCount",
    "KeypointEdge",
    "KeypointInfo",
    "Mask",
    "Model",
    "ModelVersion",
    "MultiAnnotationResponse",
    "MultiConceptRelationResponse",
    "MultiConceptResponse",
    "MultiInputResponse",
    "MultiSearchResponse",
    "Output",
    "OutputInfo",
    "Point",
    "Polygon",
    "PostWorkflowResultsResponse",
    "Region",
    "RegionInfo",
    "SingleAnnotationResponse",
    "SingleConceptResponse",
    "SingleInputCountResponse",
    "SingleInputResponse",
    "Span",
    "Status",
    "StatusCode",
    "Text",
    "Video",
    "VideoInfo",
    "WorkflowDefinition",
    "WorkflowNode",
    "WorkflowResult",
    "WorkflowState",
    "assembled",
    "evolve",
    "trusted",
]


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


_M = TypeVar("_M", bound=BaseModel)
_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
_MISSING = object()


def trusted(cls: type[_M], **values: Any) -> _M:
    """Build ``cls`` from values that are already valid, skipping validation.

    The executor's hot path builds an ``Output`` per node per input; this is about five
    times cheaper than ``model_construct``.  Fields with a default factory must be given.
    Given every field, in field order, it skips even the defaults lookup.
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        # in field order, so JSON keys come out in proto order; _MISSING marks factories
        defaults = _DEFAULTS[cls] = {
            n: _MISSING if f.default_factory is not None else f.default
            for n, f in cls.model_fields.items()
        }
    if len(values) == len(defaults):
        fields = values
    else:
        fields = {n: values[n] if n in values else d for n, d in defaults.items()}
        if any(v is _MISSING for v in fields.values()):
            raise TypeError(f"trusted({cls.__name__}) needs every field with a default factory")
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def evolve(obj: _M, **changes: Any) -> _M:
    """A shallow copy of ``obj`` with some fields replaced by values that are already valid:
    what ``obj.model_copy(update=changes)`` makes, about three times cheaper.

    For operators' hot paths (a filter copies every region it keeps).  The copy shares every
    other field's value with ``obj``, as ``model_copy`` does: outputs are never mutated in
    place.  ``changes`` must name fields of ``obj``'s class; nothing is validated.
    """
    new = _new(type(obj))
    fields = obj.__dict__.copy()
    fields.update(changes)
    _set(new, "__dict__", fields)
    _set(new, "__pydantic_fields_set__", obj.__pydantic_fields_set__ | changes.keys())
    extra = obj.__pydantic_extra__
    _set(new, "__pydantic_extra__", None if extra is None else dict(extra))
    private = obj.__pydantic_private__
    if private is not None:
        private = {k: v for k, v in private.items() if v is not PydanticUndefined}
    _set(new, "__pydantic_private__", private)
    return new


def assembled(cls: type[_M], fields: dict[str, Any]) -> _M:
    """``cls`` around ``fields``, which hold every field of ``cls`` in field order (so JSON
    keys come out in proto order), already valid: the dict becomes the object's own.

    The executor's cheapest way to build its many ``Output`` objects: a copy of a per-node
    template with the node's data set.  The objects of a class share one set of "fields
    set" (every field): pydantic only ever adds a field's name to it, which changes nothing.
    """
    everything = _EVERY_FIELD.get(cls)
    if everything is None:
        everything = _EVERY_FIELD[cls] = set(cls.model_fields)
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", everything)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_new = object.__new__
_set = object.__setattr__
_EVERY_FIELD: dict[type[BaseModel], set[str]] = {}


# google.protobuf.Struct fields: the user's own JSON, passed through untouched
_STRUCTS = frozenset({"metadata", "annotation_info", "params"})


def _bounded_struct(value: Any, info: ValidationInfo) -> Any:
    return value if value is None else check_struct(value, info.field_name or "the value")


# A Struct field: any JSON object, bounded in depth and size (engine.limits) wherever it is
# validated (a JSON request, the Python API, an app's stored input), so a request cannot
# nest it past what serialising it back allows
Struct = Annotated[dict[str, Any], BeforeValidator(_bounded_struct)]


def _frames_out(value: FrameList, handler: SerializerFunctionWrapHandler) -> Any:
    # a video result's frames (stored compressed, decoded on access) serialised as the list
    # they stand for, a block at a time so a long video's frames are never all alive at once
    return value.serialise(handler)


# Data.frames: a list, or a video result's read-only FrameList; a list is serialised in
# Rust without calling back into Python (the union tries the list first)
FrameSeq = list["Frame"] | Annotated[FrameList, WrapSerializer(_frames_out)]


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


class BoundingBox(_Proto):
    """Fractions of the image: rows of its height, cols of its width, origin top left."""

    top_row: float = 0.0
    left_col: float = 0.0
    bottom_row: float = 0.0
    right_col: float = 0.0


class Point(_Proto):
    row: float = 0.0
    col: float = 0.0
    z: float | None = None
    # a keypoint's state, as Clarifai's Point.Visibility names it
    visibility: Literal["NOT_SET", "VISIBLE", "NOT_VISIBLE", "NOT_PRESENT"] | None = None


class Polygon(_Proto):
    points: list[Point] = Field(default_factory=list)


class Span(_Proto):
    char_start: int = 0
    char_end: int = 0
    raw_text: str | None = None


class RegionInfo(_Proto):
    bounding_box: BoundingBox | None = None
    mask: Mask | None = None
    polygon: Polygon | None = None
    point: Point | None = None
    span: Span | None = None
    keypoint_locations: list[Point] = Field(default_factory=list)


class KeypointEdge(_Proto):
    """Two keypoints joined in a skeleton, by index into ``keypoint_names``."""

    k1: int = 0
    k2: int = 0


class KeypointInfo(_Proto):
    """What a keypoint concept's ``keypoint_locations`` mean: their names, in order, and the
    skeleton that joins them."""

    keypoint_names: list[str] = Field(default_factory=list)
    skeleton: list[KeypointEdge] = Field(default_factory=list)


class Concept(_Proto):
    id: str = ""
    name: str | None = None
    value: float = 1.0
    app_id: str | None = None
    language: str | None = None
    vocab_id: str | None = None
    keypoint_info: KeypointInfo | None = None


class ImageInfo(_Proto):
    width: int | None = None
    height: int | None = None
    format: str | None = None
    color_mode: str | None = None


class Image(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    image_info: ImageInfo | None = None
    _array: np.ndarray | None = PrivateAttr(default=None)
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_array(cls, array: np.ndarray) -> Image:
        """An image that already lives in memory (BGR or gray, as OpenCV uses)."""
        h, w = array.shape[:2]
        img = cls(image_info=ImageInfo(width=int(w), height=int(h)))
        img._array = array
        return img

    @classmethod
    def from_source(cls, source: str | bytes) -> Image:
        """An image to decode on first use from a file path or raw file bytes."""
        img = cls()
        img._source = source
        return img

    @property
    def array(self) -> np.ndarray:
        """The decoded BGR pixels, decoded on first access and kept."""
        if self._array is None:
            from engine import media  # media pulls in OpenCV; only load it when pixels are needed

            self._array = media.decode_image(self)
            h, w = self._array.shape[:2]
            self.image_info = ImageInfo(width=int(w), height=int(h))
        return self._array

    @property
    def has_pixels(self) -> bool:
        return self._array is not None or bool(self._source or self.base64 or self.url)

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file this image decodes from, when it came as bytes (a stored input)."""
        return self._source if isinstance(self._source, bytes) else None


class Mask(_Proto):
    """A segmentation mask: an image whose non-zero pixels are inside.  It covers the
    region's bounding box where the region has one, else the whole image."""

    image: Image | None = None


class VideoInfo(_Proto):
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration_seconds: float | None = None


class Video(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    video_info: VideoInfo | None = None
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_source(cls, source: str | bytes) -> Video:
        vid = cls()
        vid._source = source
        return vid

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file this video streams from, when it came as bytes (a stored input)."""
        return self._source if isinstance(self._source, bytes) else None


class TextInfo(_Proto):
    char_count: int | None = None
    encoding: str | None = None


class Text(_Proto):
    raw: str | None = None
    url: str | None = None
    allow_duplicate_url: bool | None = None
    text_info: TextInfo | None = None


class AudioInfo(_Proto):
    audio_format: str | None = None
    sample_rate: int | None = None
    duration_seconds: float | None = None
    bit_rate: int | None = None


class Audio(_Proto):
    url: str | None = None
    base64: str | None = None
    allow_duplicate_url: bool | None = None
    audio_info: AudioInfo | None = None
    _source: str | bytes | None = PrivateAttr(default=None)

    @classmethod
    def from_source(cls, source: str | bytes) -> Audio:
        """Audio to read on first use from a file path or raw file bytes."""
        audio = cls()
        audio._source = source
        return audio

    @property
    def stored_bytes(self) -> bytes | None:
        """The encoded file, when this audio came as bytes."""
        return self._source if isinstance(self._source, bytes) else None


class Embedding(_Proto):
    vector: list[float] = Field(default_factory=list)
    num_dimensions: int | None = None


class Cluster(_Proto):
    """A cluster an input falls in (a ``clusterer``'s output)."""

    id: str = ""
    count: int | None = None
    score: float | None = None
    projection: list[float] = Field(default_factory=list)


class W3C(_Proto):
    hex: str | None = None
    name: str | None = None


class Color(_Proto):
    raw_hex: str | None = None
    w3c: W3C | None = None
    value: float = 0.0


class FrameInfo(_Proto):
    index: int = 0
    time: int = 0
    number: int = 0


class Region(_Proto):
    id: str | None = None
    region_info: RegionInfo | None = None
    data: Data | None = None
    value: float | None = None
    track_id: str | None = None


class Frame(_Proto):
    id: str | None = None
    frame_info: FrameInfo = Field(default_factory=FrameInfo)
    data: Data | None = None


class GeoPoint(_Proto):
    longitude: float = 0.0
    latitude: float = 0.0


class GeoLimit(_Proto):
    type: str = "withinKilometers"  # or withinMiles, withinRadians, withinDegrees
    value: float = 0.0


class GeoBoxedPoint(_Proto):
    geo_point: GeoPoint = Field(default_factory=GeoPoint)


class Geo(_Proto):
    """Where an input was taken (``geo_point``), or a search area (limit, box)."""

    geo_point: GeoPoint | None = None
    geo_limit: GeoLimit | None = None
    geo_box: list[GeoBoxedPoint] = Field(default_factory=list)


class Data(_Proto):
    image: Image | None = None
    video: Video | None = None
    concepts: list[Concept] = Field(default_factory=list)
    metadata: Struct | None = None
    geo: Geo | None = None
    colors: list[Color] = Field(default_factory=list)
    embeddings: list[Embedding] = Field(default_factory=list)
    regions: list[Region] = Field(default_factory=list)
    frames: FrameSeq = Field(default_factory=list)
    text: Text | None = None
    audio: Audio | None = None
    hits: list[Hit] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields)


class Input(_Proto):
    id: str | None = None
    data: Data = Field(default_factory=Data)
    created_at: str | None = None
    modified_at: str | None = None
    status: Status | None = None
    dataset_ids: list[str] = Field(default_factory=list)


class Annotation(_Proto):
    id: str | None = None
    input_id: str | None = None
    data: Data | None = None
    annotation_info: Struct | None = None
    user_id: str | None = None
    model_version_id: str | None = None
    status: Status | None = None
    created_at: str | None = None
    modified_at: str | None = None
    input_level: bool | None = None
    task_id: str | None = None


class Hit(_Proto):
    score: float = 0.0
    input: Input | None = None
    annotation: Annotation | None = None
    user_id: str | None = None
    app_id: str | None = None


class ModelVersion(_Proto):
    id: str | None = None
    created_at: str | None = None
    description: str | None = None
    output_info: OutputInfo | None = None


class OutputInfo(_Proto):
    data: Data | None = None
    message: str | None = None
    params: Struct | None = None  # a Struct: the operator's params, as given


class Model(_Proto):
    id: str = ""
    name: str | None = None
    user_id: str | None = None
    app_id: str | None = None
    model_type_id: str | None = None
    description: str | None = None
    metadata: Struct | None = None
    model_version: ModelVersion | None = None
    created_at: str | None = None
    output_info: OutputInfo | None = None


class Output(_Proto):
    id: str | None = None
    status: Status = Field(default_factory=Status)
    created_at: str | None = None
    model: Model | None = None
    input: Input | None = None
    data: Data = Field(default_factory=Data)
    # what a generative node's endpoint reported using (clarifai-grpc's Output has them)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int | None = None


class WorkflowResult(_Proto):
    id: str | None = None
    status: Status = Field(default_factory=Status)
    created_at: str | None = None
    input: Input | None = None
    outputs: list[Output] = Field(default_factory=list)


class NodeInput(_Proto):
    node_id: str


class WorkflowNode(_Proto):
    id: str
    model: Model | None = None
    node_inputs: list[NodeInput] = Field(default_factory=list)
    suppress_output: bool | None = None


class WorkflowDefinition(_Proto):
    id: str
    app_id: str | None = None
    user_id: str | None = None
    nodes: list[WorkflowNode] = Field(default_factory=list)


class WorkflowState(_Proto):
    id: str | None = None


class PostWorkflowResultsResponse(_Proto):
    status: Status = Field(default_factory=Status)
    workflow: WorkflowDefinition | None = None
    results: list[WorkflowResult] = Field(default_factory=list)
    workflow_state: WorkflowState | None = None


class MultiSearchResponse(_Proto):
    status: Status = Field(default_factory=Status)
    hits: list[Hit] = Field(default_factory=list)


class MultiAnnotationResponse(_Proto):
    status: Status = Field(default_factory=Status)
    annotations: list[Annotation] = Field(default_factory=list)


# ---- app resources (the V2 responses an app's calls return) ------------------------------


class InputCount(_Proto):
    """``GetInputCount``: inputs per processing state (reindex counts stay 0 here)."""

    processed: int = 0
    to_process: int = 0
    errors: int = 0
    processing: int = 0
    reindexed: int = 0
    to_reindex: int = 0
    reindex_errors: int = 0
    reindexing: int = 0


class ConceptRelation(_Proto):
    id: str = ""
    subject_concept: Concept | None = None
    object_concept: Concept | None = None
    predicate: str = ""
    knowledge_graph_id: str | None = None


class MultiInputResponse(_Proto):
    status: Status = Field(default_factory=Status)
    inputs: list[Input] = Field(default_factory=list)


class SingleInputResponse(_Proto):
    status: Status = Field(default_factory=Status)
    input: Input | None = None


class SingleInputCountResponse(_Proto):
    status: Status = Field(default_factory=Status)
    counts: InputCount = Field(default_factory=InputCount)


class SingleAnnotationResponse(_Proto):
    status: Status = Field(default_factory=Status)
    annotation: Annotation | None = None


class MultiConceptResponse(_Proto):
    status: Status = Field(default_factory=Status)
    concepts: list[Concept] = Field(default_factory=list)


class SingleConceptResponse(_Proto):
    status: Status = Field(default_factory=Status)
    concept: Concept | None = None


class MultiConceptRelationResponse(_Proto):
    status: Status = Field(default_factory=Status)
    concept_relations: list[ConceptRelation] = Field(default_factory=list)


for _m in (RegionInfo, Region, Frame, Data, Input, Annotation, Hit, OutputInfo):
    _m.model_rebuild()
