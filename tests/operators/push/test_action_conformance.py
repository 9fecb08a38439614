"""Clarifai's own action-node workflow files run, with a catalog binding each node's model
to the matching opgraph type and a local receiver (HTTP, SMTP, SMS gateway)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import ModelBinding, StatusCode, Workflow
from tests.http_servers import serve
from tests.operators.push._push_helpers import json_route

CONFORMANCE = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"


def _run(name: str, type_id: str, params: dict[str, Any]) -> Any:
    path = CONFORMANCE / f"examples__workflows__configs__Nodes__Action__{name}.yml"
    if not path.exists():
        pytest.skip("conformance corpus not present")
    model_id = next(
        line.split(":", 1)[1].strip() for line in path.read_text().splitlines()
        if line.strip().startswith("model_id:")
    )
    binding = ModelBinding(model_id=model_id, model_type_id=type_id, params=params)
    wf = Workflow.from_yaml(path, models=[binding])
    return wf.predict([{"id": "in-1", "data": {"text": {"raw": "hello"}}}]).results[0].outputs[0]


@pytest.mark.parametrize(("name", "type_id"), [("results-push", "results-push"),
                                               ("status-push", "status-push")])
def test_push_files_post_to_a_local_receiver(
    name: str, type_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1")
    with serve(json_route([])) as hook:
        out = _run(name, type_id, {"url": hook.url + "/in", "backoff": 0})
    assert out.status.code == StatusCode.SUCCESS
    assert out.data.text.raw == "hello" and b'"in-1"' in hook.requests[0].body


def test_the_sms_file_texts_through_a_local_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1")
    monkeypatch.setenv("OPGRAPH_SMS_TOKEN", "t")
    with serve(json_route([201])) as gw:
        out = _run("sms", "sms", {"gateway_url": gw.url, "account_sid": "AC1",
                                  "auth_token_env": "OPGRAPH_SMS_TOKEN",
                                  "from_number": "+15550001111", "to_numbers": "+15550002222"})
    assert out.status.code == StatusCode.SUCCESS
    assert gw.requests[0].path == "/2010-04-01/Accounts/AC1/Messages.json"


def test_the_email_file_mails_through_a_local_smtp_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aiosmtpd.controller import Controller

    from tests.operators.push.test_email_alert import Inbox, _free_port

    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1")
    box = Inbox(_free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        out = _run("email", "email", {"smtp_host": "127.0.0.1", "smtp_port": box.port,
                                      "security": "none", "from_address": "a@example.com",
                                      "to_addresses": "b@example.com"})
    finally:
        controller.stop()
    assert out.status.code == StatusCode.SUCCESS
    assert len(box.messages) == 1
