"""Apps over both transports, with clarifai-grpc's own clients."""

from __future__ import annotations

from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from tests.engine.api.conftest import Server


def _app_id(user: str, app: str) -> resources_pb2.UserAppIDSet:
    return resources_pb2.UserAppIDSet(user_id=user, app_id=app)


def test_app_lifecycle(server: Server, stub: Any) -> None:
    md = server.metadata()
    made = stub.PostApps(
        service_pb2.PostAppsRequest(
            user_app_id=resources_pb2.UserAppIDSet(user_id="me"),
            apps=[
                resources_pb2.App(
                    id="shop",
                    name="Shop",
                    description="shelves",
                    default_workflow=resources_pb2.Workflow(id="Empty"),
                )
            ],
        ),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    assert made.apps[0].id == "shop" and made.apps[0].name == "Shop"

    again = stub.PostApps(
        service_pb2.PostAppsRequest(
            user_app_id=_app_id("me", ""), apps=[resources_pb2.App(id="shop")]
        ),
        metadata=md,
    )
    assert again.status.code == codes.DATABASE_DUPLICATE_KEY

    got = stub.GetApp(service_pb2.GetAppRequest(user_app_id=_app_id("me", "shop")), metadata=md)
    assert got.status.code == codes.SUCCESS
    assert got.app.description == "shelves" and got.app.created_at.seconds > 0

    listed = stub.ListApps(service_pb2.ListAppsRequest(user_app_id=_app_id("me", "")), metadata=md)
    assert [a.id for a in listed.apps] == ["shop"]

    gone = stub.DeleteApp(
        service_pb2.DeleteAppRequest(user_app_id=_app_id("me", "shop")), metadata=md
    )
    assert gone.status.code == codes.SUCCESS
    missing = stub.GetApp(service_pb2.GetAppRequest(user_app_id=_app_id("me", "shop")), metadata=md)
    assert missing.status.code == codes.CONN_DOES_NOT_EXIST


def test_no_token_or_a_wrong_one_is_refused(server: Server, stub: Any) -> None:
    request = service_pb2.ListAppsRequest(user_app_id=_app_id("me", ""))
    wrong = stub.ListApps(request, metadata=server.metadata("0" * 32))
    assert wrong.status.code == codes.CONN_KEY_INVALID


def test_an_unserved_method_says_not_implemented(server: Server, stub: Any) -> None:
    reply = stub.ListTasks(
        service_pb2.ListTasksRequest(user_app_id=_app_id("me", "a")),
        metadata=server.metadata(),
    )
    assert reply.status.code == codes.NOT_IMPLEMENTED


def test_a_bad_app_id_is_one_clear_error(server: Server, stub: Any) -> None:
    reply = stub.PostApps(
        service_pb2.PostAppsRequest(
            user_app_id=_app_id("me", ""), apps=[resources_pb2.App(id="../x")]
        ),
        metadata=server.metadata(),
    )
    assert reply.status.code == codes.CONN_INVALID_REQUEST
    assert "not a valid id" in reply.status.description
