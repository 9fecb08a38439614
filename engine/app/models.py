"""The app's models: what its workflows' nodes, the bundled catalog and the operators offer.

Each is a Clarifai ``Model`` with its ``model_type_id`` and ``output_info`` (params and
concepts).  A model of the app's workflows (the base workflow, then stored workflows'
newest versions) comes first by id; then the bundled catalog's bindings; then one model
per operator type (its id is the type).  ``app.model(id).predict(inputs)`` runs the model
alone, as Clarifai's ``PostModelOutputs`` does, in the app's context.
"""

from __future__ import annotations

import json
from typing import Any

from engine.app._core import AppCore
from engine.app._requests import DEFAULT_PER_PAGE, page_window
from engine.app.base import BaseWorkflowHook
from engine.app.stored_models import StoredModels
from engine.app.workflows import workflow_nodes
from engine.errors import AppError
from engine.operator import Operator, model_bindings, operator_types
from engine.proto import Model, OutputInfo, Status, StatusCode
from engine.proto_app import MultiOutputResponse
from engine.workflow import Workflow

__all__ = ["AppModel", "Models"]


class Models:
    """The app's models; the one place their rules live."""

    def __init__(
        self, core: AppCore, base: BaseWorkflowHook, app: Any, stored: StoredModels
    ) -> None:
        self._core, self._base, self._app, self._stored = core, base, app, stored

    def list_models(
        self,
        page: int = 1,
        per_page: int = DEFAULT_PER_PAGE,
        model_type_id: str | None = None,
    ) -> list[Model]:
        """``ListModels``: sorted by id (stable across pages), optionally of one type."""
        offset, limit = page_window(page, per_page)
        models = [m for m in self._all().values() if model_type_id in (None, m.model_type_id)]
        return models[offset : offset + limit]

    def get(self, model_id: str) -> Model:
        """``GetModel``: a model created in the app first, then the others."""
        found = self._stored.find(model_id) or self._all().get(model_id)
        if found is None:
            raise AppError(
                f"Model does not exist: unknown model id '{model_id}'",
                code=StatusCode.MODEL_DOES_NOT_EXIST,
            )
        return found

    def model(self, model_id: str) -> AppModel:
        return AppModel(self._app, self.get(model_id))

    def _all(self) -> dict[str, Model]:
        found: dict[str, Model] = {m.id: m for m in self._stored.all()}
        for wf in self._workflows():
            for node in workflow_nodes(wf):
                if node.model is not None and node.model.model_type_id:
                    found.setdefault(node.model.id, node.model)
        for b in model_bindings():
            found.setdefault(
                b.model_id,
                Model(
                    id=b.model_id,
                    user_id=b.user_id,
                    app_id=b.app_id,
                    model_type_id=b.model_type_id,
                    description=b.note,
                    output_info=OutputInfo(params=_json(b.params)),
                ),
            )
        for type_id, cls in operator_types().items():
            found.setdefault(type_id, _operator_model(type_id, cls))
        return dict(sorted(found.items()))

    def _workflows(self) -> list[Workflow]:
        self._base.sync()
        out = [self._base.workflow] if self._base.workflow is not None else []
        db = self._core.store.workflows
        offset = 0
        while batch := db.page(offset, 100):
            for rec in batch:
                if rec.version is not None:
                    out.append(Workflow.from_yaml(rec.version.yaml))
            offset += len(batch)
        return out


class AppModel:
    """One of the app's models, run alone with ``predict`` (``PostModelOutputs``)."""

    def __init__(self, app: Any, model: Model) -> None:
        self._app, self.model = app, model
        self.id = model.id

    def predict(
        self, inputs: Any, params: dict[str, Any] | None = None, **options: Any
    ) -> MultiOutputResponse:
        """One output per input, each with its own status; ``params`` override the
        model's ``output_info.params`` for this call."""
        response = self._app.predict(self._workflow(params), inputs, **options)
        outputs = [
            out.model_copy(update={"input": result.input, "model": self.model})
            for result in response.results
            for out in result.outputs[:1]
        ]
        oks = [o.status.code == StatusCode.SUCCESS for o in outputs]
        if all(oks):
            status = Status()
        elif any(oks):
            status = Status(code=StatusCode.MIXED_STATUS, description="Mixed Status")
        else:
            status = Status(code=StatusCode.FAILURE, description="Failure")
        return MultiOutputResponse(status=status, outputs=outputs)

    def _workflow(self, params: dict[str, Any] | None) -> Workflow:
        m = self.model
        info = m.output_info
        model: dict[str, Any] = {"model_id": m.id}
        for key in ("user_id", "app_id"):
            if getattr(m, key):
                model[key] = getattr(m, key)
        declared = dict(info.params or {}) if info is not None else {}
        if params is not None or not _is_binding(m):
            model["model_type_id"] = m.model_type_id
            model["output_info"] = {"params": {**declared, **(params or {})}}
            if info is not None and info.data is not None and info.data.concepts:
                concepts = [c.to_dict() for c in info.data.concepts]
                model["output_info"]["data"] = {"concepts": concepts}
        node = {"id": m.id, "model": model}
        return Workflow.from_dict({"workflow": {"id": f"model-{m.id}", "nodes": [node]}})


def _is_binding(m: Model) -> bool:
    return any(b.model_id == m.id and b.model_type_id == m.model_type_id for b in model_bindings())


def _operator_model(type_id: str, cls: type[Operator]) -> Model:
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    defaults = {
        name: f.default
        for name, f in cls.Params.model_fields.items()
        if not f.is_required() and f.default_factory is None
    }
    return Model(
        id=type_id,
        model_type_id=type_id,
        description=doc or None,
        output_info=OutputInfo(params=_json(defaults)),
    )


def _json(params: dict[str, Any]) -> dict[str, Any] | None:
    """Params as plain JSON (values JSON cannot carry are left out)."""
    out = {}
    for key, value in params.items():
        try:
            out[key] = json.loads(json.dumps(value))
        except (TypeError, ValueError):
            continue
    return out or None
