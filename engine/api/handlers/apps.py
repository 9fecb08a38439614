"""Apps: PostApps, GetApp, ListApps, PatchApps, DeleteApp over ``AppDirectory``."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.errors import ApiError
from engine.api.paging import page_of
from engine.api.service import Call, handler, ok, response_type

__all__: list[str] = []

# Clarifai's base workflows by the names its SDK and console send; opgraph's built-ins
_BASE = {
    "": "text",
    "text": "text",
    "empty": "empty",
    "image": "image",
    "general": "image",
    "universal": "image",
    "base": "image",
}


def _base_workflow(app: Any) -> str:
    wanted = app.default_workflow.id or app.default_workflow_id
    key = wanted.lower()
    if key not in _BASE:
        raise ApiError(
            codes.CONN_INVALID_REQUEST,
            f"unknown base workflow {wanted!r}: use one of Empty, Text, Image, General, Universal",
        )
    return _BASE[key]


def _app_proto(user_id: str, app_id: str, app: Any) -> resources_pb2.App:
    info = app.info()
    proto = resources_pb2.App(
        id=app_id,
        user_id=user_id,
        name=str(info.get("name", app_id)),
        description=str(info.get("description", "")),
        default_workflow_id=str(info.get("default_workflow_id", "")),
    )
    created = float(info.get("created_at", 0.0))
    proto.created_at.FromNanoseconds(int(created * 1e9))
    proto.modified_at.FromNanoseconds(int(float(info.get("modified_at", created)) * 1e9))
    return proto


@handler("PostApps", scope="apps:write")
def post_apps(call: Call, req: service_pb2.PostAppsRequest) -> service_pb2.MultiAppResponse:
    user_id = req.user_app_id.user_id or "me"
    if not req.apps:
        raise ApiError(codes.CONN_INVALID_REQUEST, "PostApps needs at least one app")
    created = []
    for app in req.apps:
        call.principal.require_app(user_id, app.id)
        base = _base_workflow(app)
        made = call.server.apps.create(
            user_id, app.id, base_workflow=base, name=app.name, description=app.description
        )
        made.set_info(default_workflow_id=app.default_workflow.id or app.default_workflow_id)
        created.append(_app_proto(user_id, app.id, made))
    response = service_pb2.MultiAppResponse(apps=created)
    return ok(response)


@handler("GetApp", scope="apps:read")
def get_app(call: Call, req: service_pb2.GetAppRequest) -> service_pb2.SingleAppResponse:
    app = call.app(req.user_app_id)
    user_id = req.user_app_id.user_id or "me"
    response = service_pb2.SingleAppResponse(app=_app_proto(user_id, req.user_app_id.app_id, app))
    return ok(response)


@handler("ListApps", scope="apps:read")
def list_apps(call: Call, req: service_pb2.ListAppsRequest) -> service_pb2.MultiAppResponse:
    user_id = req.user_app_id.user_id or "me"
    ids = call.server.apps.list(user_id)
    if call.principal.app is not None:
        ids = [i for i in ids if (user_id, i) == call.principal.app]
    if req.id:
        ids = [i for i in ids if i == req.id]
    ids = page_of(ids, req.page, req.per_page)
    apps = [_app_proto(user_id, i, call.server.apps.get(user_id, i)) for i in ids]
    response = service_pb2.MultiAppResponse(apps=apps)
    return ok(response)


@handler("PatchApps", scope="apps:write")
def patch_apps(call: Call, req: service_pb2.PatchAppsRequest) -> service_pb2.MultiAppResponse:
    user_id = req.user_app_id.user_id or "me"
    patched = []
    for app in req.apps:
        call.principal.require_app(user_id, app.id)
        stored = call.server.apps.get(user_id, app.id)
        fields = {k: v for k, v in (("name", app.name), ("description", app.description)) if v}
        stored.set_info(**fields)
        patched.append(_app_proto(user_id, app.id, stored))
    response = service_pb2.MultiAppResponse(apps=patched)
    return ok(response)


@handler("DeleteApp", scope="apps:write")
def delete_app(call: Call, req: service_pb2.DeleteAppRequest) -> Any:
    user_id = req.user_app_id.user_id or "me"
    call.principal.require_app(user_id, req.user_app_id.app_id)
    call.server.apps.delete(user_id, req.user_app_id.app_id)
    return ok(response_type("DeleteApp")())
