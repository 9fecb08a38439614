"""Workflows stored in an app, with versions; the base workflow is one of them.

Each method maps onto one V2 call (``PostWorkflows``, ``GetWorkflow``, ``ListWorkflows``,
``PatchWorkflows``, ``DeleteWorkflow``, ``ListWorkflowVersions``, ``GetWorkflowVersion``)
and is one store transaction.  Every patch adds a version and keeps the old ones, which
stay readable and runnable: ``app.workflow(id, version_id).predict(...)``.  The base
workflow is listed first and can be read and run, but it is changed only by
``set_base_workflow`` (which reindexes) and never deleted.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path
from typing import Any

from engine.app._core import AppCore
from engine.app._merge import check_action, patch_metadata
from engine.app._requests import DEFAULT_PER_PAGE, page_window
from engine.app.base import BaseWorkflowHook
from engine.app.datasets import check_id
from engine.errors import AppError
from engine.proto import (
    Concept,
    Data,
    Model,
    ModelVersion,
    NodeInput,
    OutputInfo,
    PostWorkflowResultsResponse,
    StatusCode,
    WorkflowNode,
)
from engine.proto_app import StoredWorkflow, WorkflowVersion
from engine.store import _app_support as h
from engine.store.workflows import WorkflowRecord, WorkflowVersionRecord
from engine.workflow import Workflow

__all__ = ["AppWorkflow", "Workflows", "workflow_nodes"]

_CACHED_VERSIONS = 64  # compiled workflow versions kept per app


class Workflows:
    """The app's stored workflows and their versions; the one place their rules live."""

    def __init__(self, core: AppCore, base: BaseWorkflowHook, app: Any) -> None:
        self._core, self._base, self._app = core, base, app
        self._db = core.store.workflows
        self._cache: dict[tuple[str, str], tuple[Workflow, WorkflowVersion]] = {}
        self._cache_lock = threading.Lock()
        # (workflow id, version id or None) -> (store epoch when looked up, the workflow)
        self._resolved: dict[tuple[str, str | None], tuple[int, AppWorkflow]] = {}

    def create(
        self,
        workflow: Workflow | str | Path,
        workflow_id: str | None = None,
        description: str = "",
        notes: str = "",
        metadata: dict[str, Any] | str | None = None,
    ) -> StoredWorkflow:
        """``PostWorkflows``: store a workflow (a ``Workflow``, or YAML text or a path)."""
        wf, text = _resolve(workflow, workflow_id)
        if self._is_base(wf.id):
            raise AppError(
                f"'{wf.id}' is the app's base workflow; store this one under another id",
                code=StatusCode.WORKFLOW_DUPLICATE,
            )
        now = h.now()
        rec = WorkflowRecord(wf.id, description, notes, h.parse_metadata(metadata), now, now)
        version = WorkflowVersionRecord(uuid.uuid4().hex, wf.id, text, description, now)
        if not self._db.create(rec, version):
            raise AppError(
                f"a workflow with id '{wf.id}' already exists in the app",
                code=StatusCode.WORKFLOW_DUPLICATE,
            )
        rec.version = version
        return _stored(rec)

    def get(self, workflow_id: str) -> StoredWorkflow:
        """``GetWorkflow``: the workflow with its newest version."""
        if self._is_base(workflow_id):
            return self._base_proto()
        return _stored(self._record(workflow_id))

    def list_workflows(
        self, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[StoredWorkflow]:
        """``ListWorkflows``: the base workflow first, then stored ones as created."""
        offset, limit = page_window(page, per_page)
        if self._base.workflow is None:
            return [_stored(r) for r in self._db.page(offset, limit)]
        if offset == 0:
            return [self._base_proto(), *map(_stored, self._db.page(0, limit - 1))]
        return [_stored(r) for r in self._db.page(offset - 1, limit)]

    def patch(
        self,
        workflow_id: str,
        workflow: Workflow | str | Path | None = None,
        action: str = "merge",
        description: str | None = None,
        notes: str | None = None,
        metadata: dict[str, Any] | str | None = None,
    ) -> StoredWorkflow:
        """``PatchWorkflows``: a new version (with ``workflow``'s nodes, or the newest
        version's), and the given fields set (metadata merged, overwritten or removed)."""
        check_action(action, StatusCode.BAD_REQUEST)
        self._refuse_base(workflow_id, "patched")
        with self._core.lock:
            rec = self._record(workflow_id)
            latest = rec.version
            text = _resolve(workflow, workflow_id)[1] if workflow is not None else None
            if action != "remove":
                rec.description = rec.description if description is None else description
                rec.notes = rec.notes if notes is None else notes
            rec.metadata = patch_metadata(rec.metadata, h.parse_metadata(metadata), action)
            rec.modified_at = h.now()
            version = WorkflowVersionRecord(
                uuid.uuid4().hex,
                workflow_id,
                text if text is not None else (latest.yaml if latest else ""),
                rec.description,
                rec.modified_at,
            )
            if not self._db.patch(rec, version):
                raise _unknown(workflow_id)
        rec.version = version
        return _stored(rec)

    def delete(self, workflow_id: str) -> None:
        """``DeleteWorkflow``: the workflow and all its versions."""
        self._refuse_base(workflow_id, "deleted")
        if not self._db.delete(workflow_id):
            raise _unknown(workflow_id)

    def list_versions(
        self, workflow_id: str, page: int = 1, per_page: int = DEFAULT_PER_PAGE
    ) -> list[WorkflowVersion]:
        """``ListWorkflowVersions``: newest first."""
        offset, limit = page_window(page, per_page)
        if self._is_base(workflow_id):
            base = self._base_proto().version
            return [base] if base is not None and offset == 0 else []
        self._record(workflow_id)
        return [_version(v) for v in self._db.versions(workflow_id, offset, limit)]

    def get_version(self, workflow_id: str, version_id: str) -> WorkflowVersion:
        return _version(self._version_record(workflow_id, version_id))

    def workflow(self, workflow_id: str, version_id: str | None = None) -> AppWorkflow:
        """A stored workflow (a given version, or the newest), ready to run in the app.

        What a name resolves to is kept while nothing is committed to the app (its store's
        epoch, which sees other processes' commits too): a run then reads nothing."""
        epoch = self._core.store.epoch()  # before reading: what is read is at least as new
        key = (workflow_id, version_id)
        if epoch is not None:
            hit = self._resolved.get(key)
            if hit is not None and hit[0] == epoch:
                return hit[1]
        found = self._lookup(workflow_id, version_id)
        if epoch is not None:
            with self._cache_lock:
                if len(self._resolved) >= _CACHED_VERSIONS:
                    self._resolved.clear()
                self._resolved[key] = (epoch, found)
        return found

    def _lookup(self, workflow_id: str, version_id: str | None) -> AppWorkflow:
        if self._is_base(workflow_id):
            base = self._base_proto()
            if version_id is not None and (base.version is None or version_id != base.version.id):
                raise _unknown_version(workflow_id, version_id)
            assert self._base.workflow is not None
            return AppWorkflow(self._app, self._base.workflow, base.version)
        rec = self._version_record(workflow_id, version_id)
        return AppWorkflow(self._app, *self._compiled(rec))

    def _compiled(self, rec: WorkflowVersionRecord) -> tuple[Workflow, WorkflowVersion]:
        """A version compiled once: versions never change, so a run reuses its graph."""
        key = (rec.workflow_id, rec.id)
        with self._cache_lock:
            hit = self._cache.pop(key, None)
            if hit is None:
                wf = Workflow.from_yaml(rec.yaml)
                hit = (wf, _version(rec, wf))
            self._cache[key] = hit  # most recently used last
            while len(self._cache) > _CACHED_VERSIONS:
                self._cache.pop(next(iter(self._cache)))
            return hit

    # ---- helpers -----------------------------------------------------------------------

    def _is_base(self, workflow_id: str) -> bool:
        self._base.sync()
        return self._base.workflow is not None and self._base.workflow.id == workflow_id

    def _refuse_base(self, workflow_id: str, what: str) -> None:
        if self._is_base(workflow_id):
            raise AppError(
                f"'{workflow_id}' is the app's base workflow and cannot be {what}; set another "
                "base workflow first (set_base_workflow or `opgraph app reindex`)",
                code=StatusCode.WORKFLOW_INVALID_ARGUMENT,
            )

    def _base_proto(self) -> StoredWorkflow:
        wf = self._base.workflow
        assert wf is not None
        text = wf.to_yaml()
        version = WorkflowVersion(
            id=hashlib.sha1(text.encode()).hexdigest()[:16],  # the same text, the same id
            workflow_id=wf.id,
            nodes=workflow_nodes(wf),
            description="the app's base workflow",
        )
        return StoredWorkflow(
            id=wf.id,
            nodes=version.nodes,
            version=version,
            description="the app's base workflow",
        )

    def _record(self, workflow_id: str) -> WorkflowRecord:
        rec = self._db.get(workflow_id)
        if rec is None:
            raise _unknown(workflow_id)
        return rec

    def _version_record(self, workflow_id: str, version_id: str | None) -> WorkflowVersionRecord:
        if version_id is None:
            latest = self._record(workflow_id).version
            if latest is None:
                raise _unknown(workflow_id)
            return latest
        self._record(workflow_id)
        rec = self._db.version(workflow_id, version_id)
        if rec is None:
            raise _unknown_version(workflow_id, version_id)
        return rec


class AppWorkflow:
    """One version of an app's workflow; ``predict`` runs it in the app's context (so
    ``rag-prompter`` searches this app and ``annotation-writer`` writes to it)."""

    def __init__(self, app: Any, workflow: Workflow, version: WorkflowVersion | None) -> None:
        self._app, self.workflow, self.version = app, workflow, version
        self.id = workflow.id
        self.version_id = version.id if version is not None else None

    def predict(self, inputs: Any, **options: Any) -> PostWorkflowResultsResponse:
        """``PostWorkflowResults`` for this version (``options`` as ``Workflow.predict``)."""
        response: PostWorkflowResultsResponse = self._app.predict(self.workflow, inputs, **options)
        return response


def _resolve(workflow: Workflow | str | Path, workflow_id: str | None) -> tuple[Workflow, str]:
    if not isinstance(workflow, Workflow | str | Path):
        raise TypeError(f"a workflow is a Workflow, YAML text or a path, got {type(workflow)}")
    wf, _ = h.resolve(workflow, allow_rag=True)
    if wf is None:
        raise AppError("the empty workflow has no nodes to store", code=StatusCode.BAD_REQUEST)
    if workflow_id is not None and workflow_id != wf.id:
        wf.id = workflow_id
    check_id(wf.id, "workflow")
    return wf, wf.to_yaml()


def workflow_nodes(wf: Workflow) -> list[WorkflowNode]:
    """Clarifai's ``WorkflowNode``s of a workflow, each model with its type and params."""
    nodes = []
    for node in wf.to_dict()["workflow"]["nodes"]:
        m = node["model"]
        info = m.get("output_info", {})
        concepts = (info.get("data") or {}).get("concepts")
        output_info = (
            OutputInfo(
                params=info.get("params"),
                data=Data(concepts=[Concept.model_validate(c) for c in concepts])
                if concepts is not None
                else None,
            )
            if info
            else None
        )
        version = m.get("model_version_id")
        nodes.append(
            WorkflowNode(
                id=node["id"],
                model=Model(
                    id=m["model_id"],
                    user_id=m.get("user_id"),
                    app_id=m.get("app_id"),
                    model_type_id=m.get("model_type_id"),
                    description=m.get("description"),
                    model_version=ModelVersion(id=version) if version else None,
                    output_info=output_info,
                ),
                node_inputs=[NodeInput(node_id=s["node_id"]) for s in node.get("node_inputs", [])],
                suppress_output=node.get("suppress_output"),
            )
        )
    return nodes


def _unknown(workflow_id: str) -> AppError:
    return AppError(f"unknown workflow id '{workflow_id}'", code=StatusCode.WORKFLOW_DOES_NOT_EXIST)


def _unknown_version(workflow_id: str, version_id: str) -> AppError:
    return AppError(
        f"workflow '{workflow_id}' has no version '{version_id}'",
        code=StatusCode.WORKFLOW_DOES_NOT_EXIST,
    )


def _stored(rec: WorkflowRecord) -> StoredWorkflow:
    version = _version(rec.version) if rec.version is not None else None
    return StoredWorkflow(
        id=rec.id,
        nodes=version.nodes if version is not None else [],
        created_at=rec.created_at,
        modified_at=rec.modified_at,
        metadata=rec.metadata,
        version=version,
        description=rec.description or None,
        notes=rec.notes or None,
    )


def _version(rec: WorkflowVersionRecord, wf: Workflow | None = None) -> WorkflowVersion:
    return WorkflowVersion(
        id=rec.id,
        workflow_id=rec.workflow_id,
        created_at=rec.created_at,
        modified_at=rec.created_at,
        nodes=workflow_nodes(wf or Workflow.from_yaml(rec.yaml)),
        description=rec.description or None,
    )
