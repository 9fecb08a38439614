"""A workflow file from Clarifai's own corpus, turned into the ``Workflow`` proto as
Clarifai's SDK builds it, stored through the API and run: its LLM node is bound by the
server's model catalog to a local OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2 as pb
from clarifai_grpc.grpc.api.status import status_code_pb2 as codes
from google.protobuf import struct_pb2

from engine.catalog import load_catalog
from tests.engine.api.conftest import Server, start_server
from tests.http_servers import Recorded, serve

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"
FILE = CORPUS / "docs__code_snippets__python-sdk__workflows__outputs__prompter_llm_yaml.yml"
APP = r.UserAppIDSet(user_id="me", app_id="llm")


def _as_proto(path: Path) -> r.Workflow:
    """As clarifai's App.create_workflow turns a YAML node into a WorkflowNode."""
    doc = yaml.safe_load(path.read_text())["workflow"]
    nodes = []
    for node in doc["nodes"]:
        m = node["model"]
        params = struct_pb2.Struct()
        params.update((m.get("output_info") or {}).get("params") or {})
        model = r.Model(
            id=m["model_id"],
            user_id=m.get("user_id", ""),
            app_id=m.get("app_id", ""),
            model_type_id=m.get("model_type_id", ""),
        )
        if m.get("model_type_id"):
            model.output_info.CopyFrom(r.OutputInfo(params=params))
        nodes.append(
            r.WorkflowNode(
                id=node["id"],
                model=model,
                node_inputs=[
                    r.NodeInput(node_id=i["node_id"]) for i in node.get("node_inputs", [])
                ],
            )
        )
    return r.Workflow(id=doc["id"], nodes=nodes)


@pytest.fixture
def llm_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Server, Any]]:
    if not FILE.is_file():
        pytest.skip("the conformance corpus is not beside the repository")
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1/32")

    def chat(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        prompt = json.loads(rec.body)["messages"][-1]["content"]
        reply = "positive" if "love" in prompt else "negative"
        body = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    with serve(chat) as llm:
        catalog = tmp_path / "models.yml"
        catalog.write_text(
            "models:\n  - model_id: mistral-7B-Instruct\n    user_id: mistralai\n"
            "    model_type_id: text-to-text\n"
            f"    params: {{base_url: '{llm.url}/v1', model: mistral}}\n"
        )
        srv, stop = start_server(tmp_path / "srv", models=load_catalog(str(catalog)))
        yield srv, llm
        stop()


def test_a_corpus_workflow_stored_and_run(llm_server: tuple[Server, Any]) -> None:
    server, llm = llm_server
    for stub in (server.grpc_stub(), server.json_stub()):
        md = server.metadata()
        stub.PostApps(
            pb.PostAppsRequest(user_app_id=r.UserAppIDSet(user_id="me"), apps=[r.App(id="llm")]),
            metadata=md,
        )
        made = stub.PostWorkflows(
            pb.PostWorkflowsRequest(user_app_id=APP, workflows=[_as_proto(FILE)]), metadata=md
        )
        assert made.status.code in (codes.SUCCESS, codes.WORKFLOW_DUPLICATE), made.status
        ran = stub.PostWorkflowResults(
            pb.PostWorkflowResultsRequest(
                user_app_id=APP,
                workflow_id="wf-prompter-llm",
                inputs=[r.Input(data=r.Data(text=r.Text(raw="I love this phone")))],
            ),
            metadata=md,
        )
        assert ran.status.code == codes.SUCCESS, ran.status
        prompt, answer = ran.results[0].outputs
        assert prompt.data.text.raw.endswith("the text I love this phone")
        assert answer.data.text.raw == "positive"
    assert llm.requests  # the LLM node really called the local endpoint
