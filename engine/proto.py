"""Clarifai's ``Data`` proto tree and the messages around it, as pydantic models.

Field names are the proto's snake_case names, which is the JSON Clarifai's REST API and
Python SDK speak; camelCase (canonical proto3 JSON) is accepted on input too.  ``to_dict()``
gives Clarifai JSON: ``None`` fields and empty lists are left out, "show-if-empty" numbers
(box coordinates, ``Concept.value``, ``FrameInfo`` fields, ``Hit.score``) are always there.

A decoded image rides along with its ``Image`` as a private numpy array: never serialized,
decoded at most once (see ``Image.array``).

The one place to import the messages from; they live in modules of one job each:
``engine.proto_base`` (the base message, its JSON, ``Status``), ``engine.proto_parts`` (what
a ``Data`` is made of), ``engine.proto_data`` (``Data`` and what carries it),
``engine.proto_responses`` (the V2 responses) and ``engine.proto_build`` (building messages
from values that are already valid, for hot paths).
"""

from __future__ import annotations

from engine.proto_base import (
    Status,
    StatusCode,
)
from engine.proto_build import (
    assembled,
    evolve,
    trusted,
)
from engine.proto_data import (
    Annotation,
    Data,
    Frame,
    Hit,
    Input,
    Model,
    ModelVersion,
    NodeInput,
    Output,
    OutputInfo,
    Region,
    WorkflowDefinition,
    WorkflowNode,
    WorkflowResult,
    WorkflowState,
)
from engine.proto_parts import (
    W3C,
    Audio,
    AudioInfo,
    BoundingBox,
    Cluster,
    Color,
    Concept,
    Embedding,
    FrameInfo,
    Geo,
    GeoBoxedPoint,
    GeoLimit,
    GeoPoint,
    Image,
    ImageInfo,
    KeypointEdge,
    KeypointInfo,
    Mask,
    Point,
    Polygon,
    RegionInfo,
    Span,
    Text,
    TextInfo,
    Video,
    VideoInfo,
)
from engine.proto_responses import (
    ConceptRelation,
    InputCount,
    MultiAnnotationResponse,
    MultiConceptRelationResponse,
    MultiConceptResponse,
    MultiInputResponse,
    MultiSearchResponse,
    PostWorkflowResultsResponse,
    SingleAnnotationResponse,
    SingleConceptResponse,
    SingleInputCountResponse,
    SingleInputResponse,
)

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
    "NodeInput",
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
    "TextInfo",
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
