"""``opgraph serve --data postgresql://...``: two servers sharing one database's apps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes

from engine.api.auth import parse_scopes
from tests.engine.api.conftest import Server, start_server


@pytest.fixture
def servers(postgres: Any) -> Iterator[tuple[Server, Server]]:
    url = postgres.new_database()
    one, stop_one = start_server(url)  # type: ignore[arg-type]
    two, stop_two = start_server(url)  # type: ignore[arg-type]
    yield one, two
    stop_two()
    stop_one()


def _ids(user: str, app: str = "") -> resources_pb2.UserAppIDSet:
    return resources_pb2.UserAppIDSet(user_id=user, app_id=app)


def test_two_servers_share_apps_inputs_search_and_tokens(servers: tuple[Server, Server]) -> None:
    one, two = servers
    a, b = one.grpc_stub(), two.json_stub()
    md = one.metadata()  # a token made by the first server works on the second
    made = a.PostApps(
        service_pb2.PostAppsRequest(user_app_id=_ids("me"), apps=[resources_pb2.App(id="shop")]),
        metadata=md,
    )
    assert made.status.code == codes.SUCCESS, made.status
    again = b.PostApps(
        service_pb2.PostAppsRequest(user_app_id=_ids("me"), apps=[resources_pb2.App(id="shop")]),
        metadata=md,
    )
    assert again.status.code == codes.DATABASE_DUPLICATE_KEY
    texts = {"t1": "a red bucket on the porch", "t2": "quarterly budget for repairs"}
    added = b.PostInputs(
        service_pb2.PostInputsRequest(
            user_app_id=_ids("me", "shop"),
            inputs=[
                resources_pb2.Input(id=k, data=resources_pb2.Data(text=resources_pb2.Text(raw=v)))
                for k, v in texts.items()
            ],
        ),
        metadata=md,
    )
    assert added.status.code == codes.SUCCESS, added.status
    query = resources_pb2.Query(
        ranks=[
            resources_pb2.Rank(
                annotation=resources_pb2.Annotation(
                    data=resources_pb2.Data(text=resources_pb2.Text(raw=texts["t2"]))
                )
            )
        ]
    )
    found = a.PostInputsSearches(
        service_pb2.PostInputsSearchesRequest(user_app_id=_ids("me", "shop"), searches=[
            resources_pb2.Search(query=query)
        ]),
        metadata=md,
    )  # fmt: skip
    assert found.status.code == codes.SUCCESS, found.status
    assert found.hits[0].input.id == "t2"
    listed = a.ListApps(service_pb2.ListAppsRequest(user_app_id=_ids("me")), metadata=md)
    assert [x.id for x in listed.apps] == ["shop"]

    gone = b.DeleteApp(service_pb2.DeleteAppRequest(user_app_id=_ids("me", "shop")), metadata=md)
    assert gone.status.code == codes.SUCCESS
    # the first server had the app open: it sees the deletion at once
    missing = a.GetApp(service_pb2.GetAppRequest(user_app_id=_ids("me", "shop")), metadata=md)
    assert missing.status.code == codes.CONN_DOES_NOT_EXIST
    # a token only the second server made is known to the first too
    token = two.state.tokens.create(parse_scopes("*"))
    listed = a.ListApps(
        service_pb2.ListAppsRequest(user_app_id=_ids("me")), metadata=one.metadata(token)
    )
    assert listed.status.code == codes.SUCCESS and list(listed.apps) == []
