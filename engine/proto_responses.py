"""The V2 responses the engine and an app's calls return: workflow results, searches,
inputs, annotations, concepts and their relations."""

from __future__ import annotations

from pydantic import Field

from engine.proto_base import Status, _Proto
from engine.proto_data import (
    Annotation,
    Hit,
    Input,
    WorkflowDefinition,
    WorkflowResult,
    WorkflowState,
)
from engine.proto_parts import Concept

__all__ = [
    "ConceptRelation",
    "InputCount",
    "MultiAnnotationResponse",
    "MultiConceptRelationResponse",
    "MultiConceptResponse",
    "MultiInputResponse",
    "MultiSearchResponse",
    "PostWorkflowResultsResponse",
    "SingleAnnotationResponse",
    "SingleConceptResponse",
    "SingleInputCountResponse",
    "SingleInputResponse",
]


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
