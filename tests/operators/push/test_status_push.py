"""status-push: each input's status (and its nodes') to a local receiver."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine import Context, Data, DeliveryError, ParamsError, StatusCode, Text, Workflow
from operators.push.status_push import StatusPush, status_body
from tests.http_servers import serve
from tests.operators.push._push_helpers import json_route


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")


def _flow(url: str) -> str:
    # 'upper' fails on inputs without text; status-push sees both branches' outcomes
    return f"""
workflow:
  id: status
  nodes:
    - id: words
      model: {{model_id: words, model_type_id: keyword-filter-operator,
              output_info: {{params: {{keywords: [a]}}}}}}
    - id: caption
      model: {{model_id: caption, model_type_id: image-to-text,
              output_info: {{params: {{model: m, base_url: 'http://127.0.0.1:9/v1',
                                      max_retries: 0}}}}}}
    - id: status
      model: {{model_id: status, model_type_id: status-push,
              output_info: {{params: {{url: '{url}', backoff: 0}}}}}}
      node_inputs: [{{node_id: words}}, {{node_id: caption}}]
"""


def test_each_inputs_status_names_the_nodes_that_failed() -> None:
    with serve(json_route([])) as hook:
        wf = Workflow.from_yaml(_flow(hook.url + "/status"))
        resp = wf.predict([{"id": "t1", "data": {"text": {"raw": "a text"}}}])
    status_out = resp.results[0].outputs[2]
    assert status_out.status.code == StatusCode.SUCCESS
    assert status_out.data.text is not None  # its input passes on
    body = json.loads(hook.requests[0].body)
    (inp,) = body["inputs"]
    assert inp["id"] == "t1" and inp["status"]["code"] == 30002
    assert inp["status"]["description"] == "1 node(s) failed"
    assert "caption: " in inp["status"]["details"] and "needs an image" in inp["status"]["details"]
    assert body["outputs"] == [
        {"id": "words", "status": {"code": 10000, "description": "Ok"}},
        {"id": "caption", "status": body["outputs"][1]["status"]},
    ]
    assert body["outputs"][1]["status"]["code"] == 10020


def test_an_input_whose_nodes_all_succeeded_is_input_success() -> None:
    data = Data(text=Text(raw="x"))
    ctx = Context(root=data, input_id="i9", node_id="status", outputs={"a": data})
    body = status_body(ctx)
    assert body["inputs"] == [{"id": "i9", "status": {"code": 30000,
                                                      "description": "Input processed"}}]
    ctx = Context(root=data, node_id="status", frame_index=3, frame_time_ms=3000)
    assert status_body(ctx)["frame_info"] == {"index": 3, "time": 3000}


def test_a_failed_push_passes_the_input_on() -> None:
    with serve(json_route([500, 500])) as hook:
        op = StatusPush(StatusPush.Params(url=hook.url, max_retries=1, backoff=0))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match=r"after 2 attempts: HTTP 500") as info:
            op.process(data, Context(root=data, node_id="s"))
    assert info.value.data is data


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"url": "gopher://x"}, "http"),
        ({"url": "http://h", "backoff": -1}, "backoff"),
        ({"url": "http://h", "status_code": 1}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("status-push", params=params)
