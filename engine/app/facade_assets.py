"""The datasets, stored workflows and models of ``App`` (``engine.app.facade``): each method
is one call of the resource module that owns its rules (``datasets``, ``workflows``,
``models``, ``stored_models``, ``training``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.app._core import AppCore
from engine.app._requests import DEFAULT_PER_PAGE
from engine.app.dataset_client import AppDataset, import_export
from engine.app.datasets import Datasets
from engine.app.inputs import Inputs
from engine.app.models import AppModel, Models
from engine.app.stored_models import StoredModels
from engine.app.training import Training
from engine.app.workflows import AppWorkflow, Workflows
from engine.proto import Concept, Data, Model, ModelVersion
from engine.proto_app import Dataset, StoredWorkflow, WorkflowVersion
from engine.workflow import Workflow

__all__ = ["AssetsFacade"]


class AssetsFacade:
    """``App``'s dataset, workflow and model methods (``App`` sets the resources they call)."""

    _core: AppCore
    _inputs: Inputs
    _datasets: Datasets
    _workflows: Workflows
    _models: Models
    _stored_models: StoredModels
    _training: Training

    # ---- datasets ------------------------------------------------------------------------

    def create_dataset(
        self,
        dataset_id: str,
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> Dataset:
        """``PostDatasets``: a new, empty dataset."""
        return self._datasets.create(dataset_id, description, notes, metadata)

    def get_dataset(self, dataset_id: str) -> Dataset:
        """``GetDataset``."""
        return self._datasets.get(dataset_id)

    def list_datasets(self, page: int = 1, per_page: int = DEFAULT_PER_PAGE) -> list[Dataset]:
        """``ListDatasets``: newest first."""
        return self._datasets.list_datasets(page, per_page)

    def patch_dataset(
        self,
        dataset_id: str,
        action: str = "merge",
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> Dataset:
        """``PatchDatasets``: ``merge`` / ``overwrite`` fields, or ``remove`` metadata keys."""
        return self._datasets.patch(dataset_id, action, description, notes, metadata)

    def delete_dataset(self, dataset_id: str | Sequence[str]) -> None:
        """``DeleteDatasets``: the datasets and their versions (their inputs stay)."""
        ids = [dataset_id] if isinstance(dataset_id, str) else list(dataset_id)
        self._datasets.delete(ids)

    def dataset(self, dataset_id: str) -> AppDataset:
        """One dataset: its inputs, versions, uploads and exports (the SDK's ``Dataset``)."""
        return AppDataset(dataset_id, self._datasets, self._inputs, self._core.store)

    def import_dataset(
        self, folder: str | Path, dataset_id: str | None = None, batch_size: int = 128
    ) -> Dataset:
        """Store a dataset version exported by ``app.dataset(id).export(folder)``."""
        return import_export(
            folder, self._datasets, self._inputs, self._core.store, dataset_id, batch_size
        )

    # ---- workflows -----------------------------------------------------------------------

    def create_workflow(
        self,
        workflow: Workflow | str | Path,
        workflow_id: str | None = None,
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> StoredWorkflow:
        """``PostWorkflows``: store a workflow (a ``Workflow``, YAML text or a path)."""
        return self._workflows.create(workflow, workflow_id, description, notes, metadata)

    def get_workflow(self, workflow_id: str) -> StoredWorkflow:
        """``GetWorkflow``: with its newest version."""
        return self._workflows.get(workflow_id)

    def list_workflows(
        self, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[StoredWorkflow]:
        """``ListWorkflows``: the base workflow, then stored ones in creation order."""
        return self._workflows.list_workflows(page, per_page)

    def patch_workflow(
        self,
        workflow_id: str,
        workflow: Workflow | str | Path | None = None,
        action: str = "merge",
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> StoredWorkflow:
        """``PatchWorkflows``: every patch is a new version; old versions stay runnable."""
        return self._workflows.patch(workflow_id, workflow, action, description, notes, metadata)

    def delete_workflow(self, workflow_id: str) -> None:
        """``DeleteWorkflow`` (the base workflow is refused)."""
        self._workflows.delete(workflow_id)

    def list_workflow_versions(
        self, workflow_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[WorkflowVersion]:
        """``ListWorkflowVersions``: newest first."""
        return self._workflows.list_versions(workflow_id, page, per_page)

    def get_workflow_version(self, workflow_id: str, version_id: str) -> WorkflowVersion:
        """``GetWorkflowVersion``."""
        return self._workflows.get_version(workflow_id, version_id)

    def workflow(self, workflow_id: str, version_id: str | None = None) -> AppWorkflow:
        """A stored workflow's version (the newest if not given); ``.predict(inputs)``
        runs it in this app's context."""
        return self._workflows.workflow(workflow_id, version_id)

    # ---- models --------------------------------------------------------------------------

    def list_models(
        self,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        model_type_id: str | None = None,
    ) -> list[Model]:
        """``ListModels``: the app's workflows' models, the catalog's and the operators'."""
        return self._models.list_models(page, per_page, model_type_id)

    def get_model(self, model_id: str) -> Model:
        """``GetModel``."""
        return self._models.get(model_id)

    def model(self, model_id: str) -> AppModel:
        """One model; ``.predict(inputs)`` runs it alone (``PostModelOutputs``)."""
        return self._models.model(model_id)

    def create_model(
        self,
        model_id: str,
        model_type_id: str,
        name: str = "",
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> Model:
        """``PostModels``: a model of an operator type, created in the app (no version yet)."""
        return self._stored_models.create(
            model_id, model_type_id, name, description, notes, metadata
        )

    def patch_model(
        self,
        model_id: str,
        name: str | None = None,
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> Model:
        """``PatchModels``: a created model's name, description, notes, metadata."""
        return self._stored_models.patch(model_id, name, description, notes, metadata)

    def delete_model(self, model_id: str) -> None:
        """``DeleteModel``: a created model and its versions."""
        self._stored_models.delete(model_id)

    def create_model_version(
        self,
        model_id: str,
        output_info: dict[str, Any] | None = None,
        description: str = "",
        version_id: str | None = None,
    ) -> Model:
        """``PostModelVersions``: fix a created model's ``output_info`` (params, concepts)
        as a new version, checked as a workflow node of its type would be."""
        return self._stored_models.create_version(model_id, output_info, description, version_id)

    def get_model_version(self, model_id: str, version_id: str) -> ModelVersion:
        """``GetModelVersion``."""
        return self._stored_models.get_version(model_id, version_id)

    def list_model_versions(
        self, model_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[ModelVersion]:
        """``ListModelVersions``: newest first."""
        return self._stored_models.list_versions(model_id, page, per_page)

    # ---- models trained in the app ---------------------------------------------------------

    def train_model(
        self,
        model_id: str,
        model_type_id: str = "embeddings-classifier",
        concepts: Sequence[str] | None = None,
        *,
        params: dict[str, Any] | None = None,
        description: str = "",
        version_id: str | None = None,
    ) -> Model:
        """Fit an ``embeddings-classifier`` (on the inputs labelled with ``concepts``) or a
        ``clusterer`` on the base workflow's embeddings; a new version of ``model_id``
        (created if new) holding what it learnt.  ``params``: training settings
        (``concepts_mutually_exclusive``, ``regularization``; ``n_clusters``, ``seed``);
        ``version_id``: the new version's id (default: a new uuid)."""
        return self._training.train(
            model_id, model_type_id, concepts, params, description, version_id
        )

    def trained_scores(
        self, model_id: str, version_id: str | None, vectors: np.ndarray
    ) -> tuple[str, list[Concept], np.ndarray]:
        """(version id, its concepts, scores) of unit ``vectors`` by a trained model's version
        (the newest if ``version_id`` is None); what its workflow nodes call."""
        return self._training.scores(model_id, version_id, vectors)

    def embed(self, data: Data) -> np.ndarray:
        """The base workflow's unit embedding of ``data``, as the index keeps it."""
        return self._training.embed(data)
