"""Clarifai's app resources and their V2 responses, as pydantic models.

Datasets and their versions, workflows stored in an app with their versions, and the
responses that carry them (``MultiDatasetResponse``, ``SingleWorkflowResponse``, ...,
``MultiOutputResponse`` for ``PostModelOutputs``).  Field names and JSON are Clarifai's,
as in ``engine.proto``; every response parses as its clarifai-grpc message.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from engine.proto import (
    Input,
    Model,
    ModelVersion,
    Output,
    Status,
    WorkflowDefinition,
    WorkflowNode,
)
from engine.proto_base import _Proto

__all__ = [
    "Dataset",
    "DatasetInput",
    "DatasetVersion",
    "DatasetVersionExport",
    "DatasetVersionMetrics",
    "MultiDatasetInputResponse",
    "MultiDatasetResponse",
    "MultiDatasetVersionExportResponse",
    "MultiDatasetVersionResponse",
    "MultiModelResponse",
    "MultiModelVersionResponse",
    "MultiOutputResponse",
    "MultiWorkflowResponse",
    "MultiWorkflowVersionResponse",
    "SingleDatasetResponse",
    "SingleDatasetVersionResponse",
    "SingleModelResponse",
    "SingleModelVersionResponse",
    "SingleWorkflowResponse",
    "SingleWorkflowVersionResponse",
    "StoredWorkflow",
    "WorkflowVersion",
]


class DatasetVersionMetrics(_Proto):
    inputs_count: int | None = None
    unlabeled_inputs_count: int | None = None
    inputs_with_metadata_count: int | None = None
    inputs_with_geo_count: int | None = None


class DatasetVersion(_Proto):
    """A frozen snapshot of a dataset's inputs and their annotations."""

    id: str = ""
    created_at: str | None = None
    modified_at: str | None = None
    app_id: str | None = None
    user_id: str | None = None
    dataset_id: str | None = None
    status: Status | None = None
    description: str | None = None
    # keyed by Clarifai's metrics group path; "/" is the whole version
    metrics: dict[str, DatasetVersionMetrics] | None = None
    metadata: dict[str, Any] | None = None


class Dataset(_Proto):
    id: str = ""
    created_at: str | None = None
    modified_at: str | None = None
    app_id: str | None = None
    user_id: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    notes: str | None = None
    version: DatasetVersion | None = None


class DatasetInput(_Proto):
    created_at: str | None = None
    input: Input | None = None


class WorkflowVersion(_Proto):
    id: str = ""
    workflow_id: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    nodes: list[WorkflowNode] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    app_id: str | None = None
    user_id: str | None = None
    description: str | None = None


class StoredWorkflow(WorkflowDefinition):
    """Clarifai's ``Workflow`` resource: a workflow stored in an app, with its version."""

    created_at: str | None = None
    metadata: dict[str, Any] | None = None
    modified_at: str | None = None
    version: WorkflowVersion | None = None
    description: str | None = None
    notes: str | None = None


class DatasetVersionExport(_Proto):
    format: str = "CLARIFAI_DATA_JSON"
    status: Status | None = None
    url: str | None = None  # where the export is (here, a local folder)
    size: int | None = None  # bytes


class MultiDatasetVersionExportResponse(_Proto):
    status: Status = Field(default_factory=Status)
    exports: list[DatasetVersionExport] = Field(default_factory=list)


class MultiDatasetResponse(_Proto):
    status: Status = Field(default_factory=Status)
    datasets: list[Dataset] = Field(default_factory=list)


class SingleDatasetResponse(_Proto):
    status: Status = Field(default_factory=Status)
    dataset: Dataset | None = None


class MultiDatasetVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    dataset_versions: list[DatasetVersion] = Field(default_factory=list)


class SingleDatasetVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    dataset_version: DatasetVersion | None = None


class MultiDatasetInputResponse(_Proto):
    status: Status = Field(default_factory=Status)
    dataset_inputs: list[DatasetInput] = Field(default_factory=list)


class MultiWorkflowResponse(_Proto):
    status: Status = Field(default_factory=Status)
    workflows: list[StoredWorkflow] = Field(default_factory=list)


class SingleWorkflowResponse(_Proto):
    status: Status = Field(default_factory=Status)
    workflow: StoredWorkflow | None = None


class MultiWorkflowVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    workflow_versions: list[WorkflowVersion] = Field(default_factory=list)


class SingleWorkflowVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    workflow_version: WorkflowVersion | None = None


class MultiModelResponse(_Proto):
    status: Status = Field(default_factory=Status)
    models: list[Model] = Field(default_factory=list)


class SingleModelResponse(_Proto):
    status: Status = Field(default_factory=Status)
    model: Model | None = None


class SingleModelVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    model_version: ModelVersion | None = None


class MultiModelVersionResponse(_Proto):
    status: Status = Field(default_factory=Status)
    model_versions: list[ModelVersion] = Field(default_factory=list)


class MultiOutputResponse(_Proto):
    """``PostModelOutputs``' response: one output per input, each with its own status."""

    status: Status = Field(default_factory=Status)
    outputs: list[Output] = Field(default_factory=list)
