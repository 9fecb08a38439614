"""``remote-model`` against a real ``opgraph serve`` on 127.0.0.1 (and scripted servers for
the failure paths): unit, one-node graph through a catalog, rejection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb

from engine import Context, Data, ParamsError, Text, Workflow
from engine.api.auth import parse_scopes
from operators.models.remote_model import RemoteModel
from tests.engine.api.conftest import Server, start_server
from tests.http_servers import Recorded, serve

FRENCH = "Le chat est assis sur le tapis rouge dans la cuisine."


@pytest.fixture
def remote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    srv, stop = start_server(tmp_path / "srv")
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    monkeypatch.setenv("OPGRAPH_REMOTE_PAT", srv.token)
    stub = srv.grpc_stub()
    stub.PostApps(
        pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="lang")]),
        metadata=srv.metadata(),
    )
    yield srv
    stop()


def _params(srv: Server, **extra: Any) -> RemoteModel.Params:
    return RemoteModel.Params(
        base_url=srv.base_url,
        model_id="language-id-operator",
        user_id="me",
        app_id="lang",
        pat_env="OPGRAPH_REMOTE_PAT",
        **extra,
    )


def test_unit_runs_the_remote_model_and_keeps_the_input(remote: Server) -> None:
    op = RemoteModel(_params(remote))
    data = Data(text=Text(raw=FRENCH))
    out = op.process(data, Context(root=data))
    assert out is not None and out.text is not None and out.text.raw == FRENCH
    assert out.concepts[0].id == "fr"


def test_one_node_graph_through_a_catalog(remote: Server, tmp_path: Path) -> None:
    catalog = tmp_path / "models.yml"
    catalog.write_text(
        "models:\n"
        "  - model_id: language-detector\n"
        "    model_type_id: text-classifier\n"
        "    remote:\n"
        f"      base_url: {remote.base_url}\n"
        "      model_id: language-id-operator\n"
        "      user_id: me\n"
        "      app_id: lang\n"
        "      pat_env: OPGRAPH_REMOTE_PAT\n"
    )
    wf = Workflow.from_yaml(
        "workflow:\n  id: remote\n  nodes:\n    - id: lang\n      model:\n"
        "        model_id: language-detector\n",
        models=str(catalog),
    )
    response = wf.predict(
        [
            {"data": {"text": {"raw": FRENCH}}},
            {"data": {"text": {"raw": "The cat sat on the red mat in the kitchen."}}},
        ]
    )
    langs = [res.outputs[0].data.concepts[0].id for res in response.results]
    assert langs == ["fr", "en"]


def test_a_refusal_is_that_inputs_error(remote: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = remote.state.tokens.create(parse_scopes("apps:read"))  # no predict scope
    monkeypatch.setenv("OPGRAPH_REMOTE_PAT", wrong)
    op = RemoteModel(_params(remote))
    with pytest.raises(ValueError, match="refused the input"):
        data = Data(text=Text(raw=FRENCH))
        op.process(data, Context(root=data))


def test_transient_statuses_are_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")
    replies = [
        (429, {}, b"{}"),
        (200, {}, json.dumps({"status": {"code": 40030}}).encode()),
        (
            200,
            {},
            json.dumps(
                {
                    "status": {"code": 10000},
                    "outputs": [
                        {
                            "status": {"code": 10000},
                            "data": {"concepts": [{"id": "cat", "value": 0.9}]},
                        }
                    ],
                }
            ).encode(),
        ),
    ]

    def route(req: Recorded) -> tuple[int, dict[str, str], bytes]:
        return replies.pop(0)

    with serve(route) as server:
        op = RemoteModel(
            RemoteModel.Params(
                base_url=server.url,
                model_id="m",
                user_id="u",
                app_id="a",
                version_id="v1",
                max_retries=2,
                backoff=0.01,
            )
        )
        data = Data(text=Text(raw="x"))
        out = op.process(data, Context(root=data))
        assert out is not None and [c.id for c in out.concepts] == ["cat"]
        assert [q.path for q in server.requests] == [
            "/v2/users/u/apps/a/models/m/versions/v1/outputs"
        ] * 3
        assert "Authorization" not in server.requests[0].headers  # no token variable set


def test_params_are_checked() -> None:
    with pytest.raises(ParamsError, match="base_url"):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: m\n      model:\n        model_id: m\n"
            "        model_type_id: remote-model\n        output_info:\n          params:\n"
            "            {base_url: 'file:///etc', model_id: m, user_id: u, app_id: a}\n"
        )
    with pytest.raises(ValueError, match="not allowed"):
        RemoteModel(
            RemoteModel.Params(
                base_url="http://127.0.0.1:1",
                model_id="m",
                user_id="u",
                app_id="a",
                pat_env="AWS_SECRET_ACCESS_KEY",
            )
        )
