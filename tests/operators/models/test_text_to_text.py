"""text-to-text against a local OpenAI-compatible server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine import Context, InputError, ModelBinding, ParamsError, StatusCode, Workflow
from operators.models.text_to_text import TextToText
from tests.factories import image_data, text_data

CONFORMANCE = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"

# A scripted answer: (status, JSON body, extra headers, seconds to wait before answering)
Answer = tuple[int, dict[str, Any], dict[str, str], float]


@dataclass
class FakeLLM:
    """Echoes the last user message upper-cased unless ``script`` says otherwise."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[Answer] = field(default_factory=list)
    rule: Callable[[dict[str, Any]], Answer | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> Answer:
        with self.lock:
            self.requests.append({"path": path, "headers": headers, "body": body})
            if self.script:
                return self.script.pop(0)
        if self.rule is not None and (ruled := self.rule(body)) is not None:
            return ruled
        prompt = body["messages"][-1]["content"]
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": prompt.upper()}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        }
        return 200, reply, {}, 0.0


def _ok(content: str) -> Answer:
    return 200, {"choices": [{"message": {"role": "assistant", "content": content}}]}, {}, 0.0


@pytest.fixture(autouse=True)
def _loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake server is on 127.0.0.1: allow that network only, as a user would."""
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
    monkeypatch.delenv("OPGRAPH_API_KEY_ENVS", raising=False)


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    fake = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length))
            status, reply, extra, wait = fake.answer(self.path, dict(self.headers), body)
            time.sleep(wait)
            raw = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)
            except OSError:
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield fake
    server.shutdown()
    server.server_close()


def _op(llm: FakeLLM, **params: Any) -> TextToText:
    return TextToText(TextToText.Params(base_url=llm.url, model="local", backoff=0, **params))


def _reply(op: TextToText, text: str) -> Any:
    data = text_data(text)
    return op.process(data, Context(root=data))


def test_reply_usage_and_request(llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_LLM_KEY", "sk-test")
    monkeypatch.setenv("OPGRAPH_API_KEY_ENVS", "OTHER_KEY, LOCAL_LLM_KEY")
    op = _op(
        llm,
        api_key_env="LOCAL_LLM_KEY",
        system_prompt="Be brief.",
        temperature=0.2,
        max_tokens=16,
    )
    out = _reply(op, "hello")
    assert out.text.raw == "HELLO"
    assert out.metadata == {
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    }
    sent = llm.requests[0]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["body"] == {
        "model": "local",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"},
        ],
        "stream": False,
        "temperature": 0.2,
        "max_tokens": 16,
    }


def test_no_key_sent_when_default_variable_is_unset(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    out = _reply(_op(llm), "x")
    assert out.text.raw == "X" and "Authorization" not in llm.requests[0]["headers"]
    assert [m["role"] for m in llm.requests[0]["body"]["messages"]] == ["user"]


def test_explicit_key_variable_missing_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MISSING_LLM_KEY", raising=False)
    monkeypatch.setenv("OPGRAPH_API_KEY_ENVS", "MISSING_LLM_KEY")
    params = TextToText.Params(model="m", api_key_env="MISSING_LLM_KEY")
    with pytest.raises(ValueError, match="MISSING_LLM_KEY"):
        TextToText(params)


def test_retries_on_429_and_5xx_then_succeeds(llm: FakeLLM) -> None:
    llm.script = [
        (429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}, 0.0),
        (503, {"error": "loading model"}, {}, 0.0),
        _ok("finally"),
    ]
    assert _reply(_op(llm, max_retries=2), "x").text.raw == "finally"
    assert len(llm.requests) == 3


def test_backoff_doubles(llm: FakeLLM) -> None:
    llm.script = [(500, {}, {}, 0.0), (500, {}, {}, 0.0), _ok("ok")]
    op = TextToText(TextToText.Params(base_url=llm.url, model="m", backoff=0.05))
    start = time.perf_counter()
    assert _reply(op, "x").text.raw == "ok"
    assert time.perf_counter() - start >= 0.05 + 0.1


def test_gives_up_with_the_last_error(llm: FakeLLM) -> None:
    llm.script = [(502, {"error": {"message": "bad gateway"}}, {}, 0.0)] * 3
    with pytest.raises(ValueError, match=r"failed after 3 attempts: HTTP 502: bad gateway"):
        _reply(_op(llm, max_retries=2), "x")


def test_client_errors_are_not_retried(llm: FakeLLM) -> None:
    llm.script = [(401, {"error": {"message": "invalid api key"}}, {}, 0.0)]
    with pytest.raises(ValueError, match="answered HTTP 401: invalid api key"):
        _reply(_op(llm, max_retries=3), "x")
    assert len(llm.requests) == 1


def test_timeout_is_retried_then_reported(llm: FakeLLM) -> None:
    llm.script = [(200, {}, {}, 1.0), (200, {}, {}, 1.0)]
    with pytest.raises(ValueError, match=r"2 attempts: .*longer than the time limit \(0.2 s\)"):
        _reply(_op(llm, timeout=0.2, max_retries=1), "x")


def test_connection_refused_is_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nobody listens
    op = TextToText(TextToText.Params(base_url=f"http://127.0.0.1:{port}/v1", model="m", backoff=0))
    with pytest.raises(ValueError, match=r"could not fetch .*refused"):
        _reply(op, "x")


def test_unexpected_reply_is_reported(llm: FakeLLM) -> None:
    llm.script = [(200, {"choices": []}, {}, 0.0)]
    with pytest.raises(ValueError, match="unexpected reply"):
        _reply(_op(llm), "x")


def test_no_text_is_an_input_error(llm: FakeLLM) -> None:
    data = image_data()
    with pytest.raises(InputError, match="text"):
        _op(llm).process(data, Context(root=data))
    assert llm.requests == []


def test_prompter_then_llm_graph_with_one_failing_input(llm: FakeLLM) -> None:
    llm.rule = lambda body: (
        (500, {"error": {"message": "boom"}}, {}, 0.0)
        if "FAIL" in body["messages"][-1]["content"]
        else None
    )
    yaml_text = f"""
workflow:
  id: wf-prompter-llm
  nodes:
    - id: prompter
      model:
        model_id: prompter
        model_type_id: prompter
        output_info:
          params:
            prompt_template: 'Sentiment of: {{data.text.raw}}'
    - id: llm
      model:
        model_id: local-llm
        model_type_id: text-to-text
        output_info:
          params: {{base_url: '{llm.url}', model: local, max_retries: 1, backoff: 0}}
      node_inputs:
        - node_id: prompter
"""
    wf = Workflow.from_yaml(yaml_text)
    texts = ["great film", "FAIL please", "awful film"]
    resp = wf.predict([{"data": {"text": {"raw": t}}} for t in texts])
    assert resp.status.code == StatusCode.MIXED_STATUS
    ok, failed, ok2 = (r.outputs[1] for r in resp.results)
    assert ok.data.text.raw == "SENTIMENT OF: GREAT FILM"
    assert ok2.data.text.raw == "SENTIMENT OF: AWFUL FILM"
    assert failed.status.code != StatusCode.SUCCESS
    assert "HTTP 500: boom" in (failed.status.details or "")
    assert "Traceback" not in (failed.status.details or "")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "m", "base_url": "ftp://host/v1"}, "http"),
        ({"model": "m", "base_url": "localhost:8080"}, "base_url"),
        ({}, "model"),
        ({"model": "m", "temperature": 3}, "temperature"),
        ({"model": "m", "api_key_env": "sk-abc123"}, "api_key_env"),
        ({"model": "m", "max_retries": -1}, "max_retries"),
        ({"model": "m", "api_key": "sk-1"}, "unknown param"),
    ],
)
def test_rejections(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("t2t").add("text-to-text", params=params)


def test_clarifai_prompter_llm_file_runs_with_a_catalog_binding(llm: FakeLLM) -> None:
    # Clarifai's own example references mistralai/completion/mistral-7B-Instruct by id;
    # a catalog entry binds that id to this node type and a local endpoint.
    path = CONFORMANCE / "examples__workflows__configs__prompter_llm.yml"
    if not path.exists():
        pytest.skip("conformance corpus not present")
    binding = ModelBinding(
        model_id="mistral-7B-Instruct",
        user_id="mistralai",
        app_id="completion",
        model_type_id="text-to-text",
        params={"base_url": llm.url, "model": "mistral-7b-instruct", "backoff": 0},
    )
    wf = Workflow.from_yaml(path, models=[binding])
    resp = wf.predict([{"data": {"text": {"raw": "I love it"}}}])
    assert resp.results[0].outputs[1].data.text.raw == (
        "CLASSIFY SENTIMENT BETWEEN POSTIVE AND NEGATIVE FOR THE TEXT I LOVE IT"
    )
    assert llm.requests[0]["body"]["model"] == "mistral-7b-instruct"


# ---------------------------------------------------------------- security


@pytest.mark.parametrize("name", ["AWS_SECRET_ACCESS_KEY", "CLARIFAI_PAT", "HOME", "PATH"])
def test_a_workflow_cannot_name_any_variable_as_its_key(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(name, "secret-value")
    monkeypatch.setenv("OPGRAPH_API_KEY_ENVS", "MY_LLM_KEY")
    with pytest.raises(ValueError, match=rf"{name} is not allowed: .*OPGRAPH_\* .*now: MY_LLM_KEY"):
        TextToText(TextToText.Params(model="m", api_key_env=name))


def test_key_variables_with_the_prefix_or_configured_are_sent(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_LLM_KEY", "sk-prefixed")
    _reply(_op(llm, api_key_env="OPGRAPH_LLM_KEY"), "x")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(ValueError, match="OPENAI_API_KEY is not allowed"):
        _op(llm)  # the default variable is set but the user never allowed it
    monkeypatch.setenv("OPGRAPH_API_KEY_ENVS", "OPENAI_API_KEY")
    _reply(_op(llm), "x")
    sent = [r["headers"].get("Authorization") for r in llm.requests]
    assert sent == ["Bearer sk-prefixed", "Bearer sk-openai"]


def test_authorization_does_not_follow_a_redirect_to_another_host(
    llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.http_servers import serve

    monkeypatch.setenv("OPGRAPH_LLM_KEY", "sk-secret")
    with serve(lambda rec: (307, {"Location": f"{llm.url}/chat/completions"}, b"")) as hop:
        op = TextToText(TextToText.Params(base_url=f"{hop.url}/v1", model="m",
                                          api_key_env="OPGRAPH_LLM_KEY", backoff=0))
        assert _reply(op, "hi").text.raw == "HI"
    assert hop.requests[0].headers["Authorization"] == "Bearer sk-secret"
    assert "Authorization" not in llm.requests[0]["headers"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "[::ffff:127.0.0.1]", "[::127.0.0.1]", "[64:ff9b::7f00:1]", "localhost"]
)
def test_a_private_base_url_is_refused_unless_allowed(
    host: str, llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS")
    port = llm.url.split(":")[2].split("/")[0]
    op = TextToText(TextToText.Params(base_url=f"http://{host}:{port}/v1", model="m",
                                      max_retries=3, backoff=0))
    with pytest.raises(ValueError, match="private, loopback or link-local"):
        _reply(op, "x")
    assert llm.requests == []  # refused before connecting, and not retried


@pytest.mark.timeout(30)
def test_a_server_trickling_headers_meets_the_deadline() -> None:
    from tests.http_servers import trickle_server

    with trickle_server() as url:
        op = TextToText(TextToText.Params(base_url=url, model="m", timeout=0.3,
                                          max_retries=1, backoff=0))
        with pytest.raises(ValueError, match=r"2 attempts: .*time limit \(0.3 s\)"):
            _reply(op, "x")
