"""``Data`` and the messages that carry it: regions, frames, inputs, annotations, hits,
models, outputs, workflow results and workflow definitions."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SerializerFunctionWrapHandler, WrapSerializer

from engine.frames import FrameList
from engine.proto_base import Status, Struct, _Proto
from engine.proto_parts import (
    Audio,
    Cluster,
    Color,
    Concept,
    Embedding,
    FrameInfo,
    Geo,
    Image,
    RegionInfo,
    Text,
    Video,
)

__all__ = [
    "Annotation",
    "Data",
    "Frame",
    "Hit",
    "Input",
    "Model",
    "ModelVersion",
    "NodeInput",
    "Output",
    "OutputInfo",
    "Region",
    "WorkflowDefinition",
    "WorkflowNode",
    "WorkflowResult",
    "WorkflowState",
]


def _frames_out(value: FrameList, handler: SerializerFunctionWrapHandler) -> Any:
    # a video result's frames (stored compressed, decoded on access) serialised as the list
    # they stand for, a block at a time so a long video's frames are never all alive at once
    return value.serialise(handler)


# Data.frames: a list, or a video result's read-only FrameList; a list is serialised in
# Rust without calling back into Python (the union tries the list first)
FrameSeq = list["Frame"] | Annotated[FrameList, WrapSerializer(_frames_out)]


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


for _m in (Region, Frame, Data, Input, Annotation, Hit, OutputInfo):
    _m.model_rebuild()
