"""Models created in an app (``PostModels``) and their versions (``PostModelVersions``).

A stored model is an operator type with a name; each version fixes its ``output_info``
(params and concepts), checked as a workflow node of that type would be, and never
changes.  This is what Clarifai's SDK does before ``PostWorkflows``: it creates a model per
operator node, then a version holding the node's ``output_info``.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from engine.app._core import AppCore
from engine.app._requests import DEFAULT_PER_PAGE, page_window
from engine.app.datasets import check_id
from engine.errors import AppError, SpecError
from engine.operator import get_operator
from engine.proto import Model, ModelVersion, OutputInfo, StatusCode
from engine.store import _app_support as h
from engine.store.models import ModelRecord, ModelVersionRecord
from engine.workflow import Workflow

__all__ = ["StoredModels"]

_DOES_NOT_EXIST = "Model does not exist"  # Clarifai's words, which its SDK looks for


class StoredModels:
    """The app's own models and their versions; the one place their rules live."""

    def __init__(self, core: AppCore) -> None:
        self._db = core.store.models

    def create(
        self,
        model_id: str,
        model_type_id: str,
        name: str = "",
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> Model:
        """``PostModels``: a new model of an operator type, with no version yet."""
        check_id(model_id, "model")
        if get_operator(model_type_id) is None:
            raise AppError(
                f"unknown model_type_id '{model_type_id}' (see ListModelTypes)",
                code=StatusCode.MODEL_INVALID_ARGUMENT,
            )
        now = h.now()
        rec = ModelRecord(
            model_id,
            model_type_id,
            name or model_id,
            description,
            notes,
            h.parse_metadata(metadata),
            now,
            now,
        )
        if not self._db.create(rec):
            raise AppError(
                f"a model with id '{model_id}' already exists in the app",
                code=StatusCode.DATABASE_DUPLICATE_KEY,
            )
        return _model(rec)

    def find(self, model_id: str) -> Model | None:
        rec = self._db.get(model_id)
        return _model(rec) if rec is not None else None

    def all(self) -> list[Model]:
        return [_model(r) for r in self._db.all()]

    def patch(
        self,
        model_id: str,
        name: str | None = None,
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> Model:
        """``PatchModels``: name, description, notes, metadata (merged); versions stay."""
        rec = self._record(model_id)
        rec.name = name if name is not None else rec.name
        rec.description = description if description is not None else rec.description
        rec.notes = notes if notes is not None else rec.notes
        if metadata is not None:
            rec.metadata = {**(rec.metadata or {}), **(h.parse_metadata(metadata) or {})}
        rec.modified_at = h.now()
        if not self._db.patch(rec):
            raise _unknown(model_id)
        return _model(rec)

    def delete(self, model_id: str) -> None:
        """``DeleteModel``: the model and its versions (workflows keep what they stored)."""
        if not self._db.delete(model_id):
            raise _unknown(model_id)

    def create_version(
        self,
        model_id: str,
        output_info: dict[str, Any] | None = None,
        description: str = "",
        version_id: str | None = None,
    ) -> Model:
        """``PostModelVersions``: fix ``output_info`` (params, concepts) as a new version,
        checked as a workflow node of the model's type; returns the model with it."""
        rec = self._record(model_id)
        info = _checked(rec, output_info or {})
        version = ModelVersionRecord(
            version_id or uuid.uuid4().hex, model_id, info, description, h.now()
        )
        if not self._db.add_version(version):
            raise AppError(
                f"model '{model_id}' already has a version '{version.id}'",
                code=StatusCode.DATABASE_DUPLICATE_KEY,
            )
        rec.version = version
        return _model(rec)

    def add_trained_version(
        self,
        model_id: str,
        output_info: dict[str, Any],
        arrays: dict[str, np.ndarray],
        description: str,
        version_id: str | None = None,
    ) -> Model:
        """A version made by training in the app: its ``output_info`` (whose params name
        the version, so a node made from it runs this version) and what it learnt
        (``arrays``), written in one transaction."""
        rec = self._record(model_id)
        vid = check_id(version_id, "version") if version_id is not None else uuid.uuid4().hex
        info = {**output_info, "params": {**output_info.get("params", {}), "model_version_id": vid}}
        version = ModelVersionRecord(vid, model_id, info, description, h.now())
        if not self._db.add_version(version, arrays):
            raise AppError(
                f"model '{model_id}' already has a version '{vid}'",
                code=StatusCode.DATABASE_DUPLICATE_KEY,
            )
        rec.version = version
        return _model(rec)

    def latest_version_id(self, model_id: str) -> str | None:
        """The newest version's id (None for a model without versions)."""
        found = self._db.latest_version_id(model_id)
        if found is None:
            self._record(model_id)  # an unknown model is an error, not "no version"
        return found

    def arrays(self, model_id: str, version_id: str) -> dict[str, np.ndarray]:
        """What a trained version learnt; ``AppError`` for an unknown model or version."""
        self.get_version(model_id, version_id)
        return self._db.arrays(model_id, version_id)

    def get_version(self, model_id: str, version_id: str) -> ModelVersion:
        self._record(model_id)
        found = self._db.version(model_id, version_id)
        if found is None:
            raise AppError(
                f"{_DOES_NOT_EXIST}: model '{model_id}' has no version '{version_id}'",
                code=StatusCode.MODEL_DOES_NOT_EXIST,
            )
        return _version(found)

    def list_versions(
        self, model_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[ModelVersion]:
        """``ListModelVersions``: newest first."""
        self._record(model_id)
        offset, limit = page_window(page, per_page)
        return [_version(v) for v in self._db.versions(model_id, offset, limit)]

    def _record(self, model_id: str) -> ModelRecord:
        rec = self._db.get(model_id)
        if rec is None:
            raise _unknown(model_id)
        return rec


def _unknown(model_id: str) -> AppError:
    return AppError(
        f"{_DOES_NOT_EXIST}: no model '{model_id}' in this app",
        code=StatusCode.MODEL_DOES_NOT_EXIST,
    )


def _checked(rec: ModelRecord, output_info: dict[str, Any]) -> dict[str, Any]:
    """``output_info`` as the version keeps it: params and concepts, checked by compiling
    a one-node workflow of the model's type (the same checks a workflow file gets)."""
    info = {k: v for k, v in output_info.items() if k in ("params", "data") and v}
    if "data" in info:
        info["data"] = {"concepts": list((info["data"] or {}).get("concepts", []))}
    node = {
        "id": rec.id,
        "model": {"model_id": rec.id, "model_type_id": rec.model_type_id, "output_info": info},
    }
    try:
        Workflow.from_dict({"workflow": {"id": f"model-{rec.id}", "nodes": [node]}})
    except SpecError as exc:
        raise AppError(
            f"model '{rec.id}' ({rec.model_type_id}): {exc.message}",
            code=StatusCode.MODEL_INVALID_ARGUMENT,
        ) from None
    return info


def _version(rec: ModelVersionRecord) -> ModelVersion:
    return ModelVersion(
        id=rec.id,
        created_at=rec.created_at,
        description=rec.description or None,
        output_info=OutputInfo.model_validate(rec.output_info),
    )


def _model(rec: ModelRecord) -> Model:
    version = _version(rec.version) if rec.version is not None else None
    return Model(
        id=rec.id,
        name=rec.name or None,
        model_type_id=rec.model_type_id,
        description=rec.description or None,
        metadata=rec.metadata,
        created_at=rec.created_at,
        model_version=version,
        output_info=version.output_info if version is not None else None,
    )
