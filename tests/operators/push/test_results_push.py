"""results-push: the results as Clarifai JSON to a local receiver; retries; failures pass on."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from engine import Context, Data, DeliveryError, ParamsError, StatusCode, Text, Workflow
from operators.push.results_push import ResultsPush
from tests.http_servers import serve
from tests.operators.push._push_helpers import flow, json_route


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
    monkeypatch.delenv("OPGRAPH_API_KEY_ENVS", raising=False)


def _params(url: str, **more: Any) -> dict[str, Any]:
    return {"url": url, "backoff": 0, **more}


def test_a_workflow_pushes_each_inputs_results_and_passes_them_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPGRAPH_HOOK_TOKEN", "tok-1")
    with serve(json_route([])) as hook:
        wf = Workflow.from_yaml(flow("results-push", _params(
            hook.url + "/hook", api_key_env="OPGRAPH_HOOK_TOKEN")))
        resp = wf.predict([{"id": "doc-1", "data": {"text": {"raw": "fire in hall"}}}])
    outputs = resp.results[0].outputs
    assert [o.status.code for o in outputs] == [StatusCode.SUCCESS] * 3
    assert outputs[2].data.text is not None  # the keyword filter after it still ran
    (sent,) = hook.requests
    assert sent.method == "POST" and sent.path == "/hook"
    assert sent.headers["Authorization"] == "Bearer tok-1"
    assert sent.headers["Content-Type"] == "application/json"
    body = json.loads(sent.body)
    result = body["results"][0]
    assert body["status"]["code"] == 10000
    assert result["input"] == {"id": "doc-1", "data": {"text": {"raw": "fire in hall"}}}
    assert [o["id"] for o in result["outputs"]] == ["classify", "act"]
    assert result["outputs"][0]["data"]["concepts"][0]["id"] == "fire"


def test_media_bytes_are_left_out_and_urls_kept() -> None:
    with serve(json_route([])) as hook:
        op = ResultsPush(ResultsPush.Params(**_params(hook.url)))
        data = Data.model_validate(
            {"image": {"base64": "aGVsbG8=", "url": "https://example.com/a.png"}}
        )
        op.process(data, Context(root=data, node_id="push"))
    pushed = json.loads(hook.requests[0].body)["results"][0]["outputs"][-1]["data"]
    assert pushed == {"image": {"url": "https://example.com/a.png"}}


def test_429_and_5xx_are_retried_with_backoff() -> None:
    with serve(json_route([429, 503])) as hook:
        op = ResultsPush(ResultsPush.Params(**_params(hook.url, max_retries=2)))
        data = Data(text=Text(raw="x"))
        assert op.process(data, Context(root=data, node_id="p")) is data
    assert len(hook.requests) == 3


def test_a_refused_delivery_is_the_nodes_status_and_the_branch_goes_on() -> None:
    def route(rec: Any) -> tuple[int, dict[str, str], bytes]:
        return (200 if b"calm" in rec.body else 400), {}, b'{"error": "no"}'

    with serve(route) as hook:
        wf = Workflow.from_yaml(flow("results-push", _params(hook.url, max_retries=3)))
        resp = wf.predict([{"text": {"raw": "fire"}}, {"text": {"raw": "calm fire"}}])
    first, second = resp.results
    act, later = first.outputs[1], first.outputs[2]
    assert act.status.code == StatusCode.FAILURE
    assert "answered HTTP 400" in (act.status.details or "")
    assert act.data.text is not None and act.data.text.raw == "fire"  # passed on
    assert later.status.code == StatusCode.SUCCESS and later.data.text is not None
    assert second.outputs[1].status.code == StatusCode.SUCCESS
    assert len(hook.requests) == 2  # a 400 is not retried


def test_gives_up_after_its_retries_with_the_last_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    op = ResultsPush(ResultsPush.Params(**_params(f"http://127.0.0.1:{port}/", max_retries=1)))
    data = Data(text=Text(raw="x"))
    with pytest.raises(DeliveryError, match=r"failed after 2 attempts: .*refused") as info:
        op.process(data, Context(root=data, node_id="p"))
    assert info.value.data is data


def test_a_private_address_is_refused_unless_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS")
    with serve(json_route([])) as hook:
        op = ResultsPush(ResultsPush.Params(**_params(hook.url)))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match="private, loopback"):
            op.process(data, Context(root=data, node_id="p"))
        from engine import media

        monkeypatch.setattr(media.settings, "allow_private_urls", "127.0.0.1/32")
        op.process(data, Context(root=data, node_id="p"))  # the server's operator allows it
    assert len(hook.requests) == 1


def test_a_slow_receiver_hits_the_timeout() -> None:
    import time

    def slow(rec: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(1.0)
        return 200, {}, b""

    with serve(slow) as hook:
        op = ResultsPush(ResultsPush.Params(**_params(hook.url, timeout=0.2, max_retries=0)))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match="time limit"):
            op.process(data, Context(root=data, node_id="p"))


@pytest.mark.parametrize("name", ["HOME", "AWS_SECRET_ACCESS_KEY"])
def test_a_workflow_cannot_send_any_variable(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "secret")
    with pytest.raises(ValueError, match=f"{name} is not allowed"):
        ResultsPush(ResultsPush.Params(url="http://127.0.0.1/", api_key_env=name))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "url"),
        ({"url": "ftp://host/x"}, "http"),
        ({"url": "file:///etc/passwd"}, "http"),
        ({"url": "http://h/", "timeout": 0}, "timeout"),
        ({"url": "http://h/", "max_retries": 11}, "max_retries"),
        ({"url": "http://h/", "api_key_env": "not a name"}, "api_key_env"),
        ({"url": "http://h/", "headers": {"X": "1"}}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("results-push", params=params)
