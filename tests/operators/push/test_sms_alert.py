"""sms: Twilio-shaped requests to a local gateway on 127.0.0.1; failures pass on."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from engine import Context, Data, DeliveryError, ParamsError, StatusCode, Text, Workflow
from operators.push.sms_alert import SmsAlert
from tests.http_servers import Recorded, serve
from tests.operators.push._push_helpers import flow

SID = "AC0123456789abcdef0123456789abcdef"


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
    monkeypatch.setenv("OPGRAPH_TWILIO_TOKEN", "tw-token")


def _gateway(fail_to: str = "") -> Any:
    """Twilio's Messages resource: 201 with the message, 400 for ``fail_to``."""

    def route(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(rec.body.decode()).items()}
        if rec.path != f"/2010-04-01/Accounts/{SID}/Messages.json":
            return 404, {}, b'{"message": "not found"}'
        if form.get("To") == fail_to:
            return 400, {}, json.dumps({"code": 21211, "message": "invalid To"}).encode()
        reply = {"sid": "SM1", "status": "queued", **{k.lower(): v for k, v in form.items()}}
        return 201, {"Content-Type": "application/json"}, json.dumps(reply).encode()

    return route


def _params(url: str, **more: Any) -> dict[str, Any]:
    return {"gateway_url": url, "account_sid": SID, "auth_token_env": "OPGRAPH_TWILIO_TOKEN",
            "from_number": "+15550001111", "to_numbers": "+15550002222", "backoff": 0, **more}


def test_a_workflow_texts_each_input_in_twilios_shape() -> None:
    with serve(_gateway()) as gw:
        wf = Workflow.from_yaml(flow("sms", _params(gw.url, message="Alarm:")))
        act, later = wf.predict([{"text": {"raw": "fire in hall"}}]).results[0].outputs[1:]
    assert act.status.code == StatusCode.SUCCESS and later.status.code == StatusCode.SUCCESS
    (sent,) = gw.requests
    assert sent.method == "POST"
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    user, token = base64.b64decode(sent.headers["Authorization"].split()[1]).decode().split(":")
    assert (user, token) == (SID, "tw-token")
    form = {k: v[0] for k, v in parse_qs(sent.body.decode()).items()}
    assert form["To"] == "+15550002222" and form["From"] == "+15550001111"
    assert form["Body"].startswith("Alarm:\nconcepts: fire 1.00\ntext: fire in hall")


def test_one_failing_number_does_not_stop_the_others() -> None:
    with serve(_gateway(fail_to="+15550003333")) as gw:
        op = SmsAlert(SmsAlert.Params(**_params(
            gw.url, to_numbers=["+15550003333", "+15550004444"], max_retries=2)))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match=r"sms to \+15550003333 .*HTTP 400") as info:
            op.process(data, Context(root=data, node_id="sms"))
    assert info.value.data is data
    assert [parse_qs(r.body.decode())["To"][0] for r in gw.requests] == [
        "+15550003333", "+15550004444"]  # the 400 is not retried; the next number is sent


def test_the_body_is_cut_to_one_message() -> None:
    with serve(_gateway()) as gw:
        op = SmsAlert(SmsAlert.Params(**_params(gw.url)))
        data = Data(text=Text(raw="w " * 2000))
        op.process(data, Context(root=data, node_id="sms"))
    assert len(parse_qs(gw.requests[0].body.decode())["Body"][0]) == 1600


def test_the_token_must_come_from_an_allowed_set_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPGRAPH_API_KEY_ENVS", raising=False)
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN is not allowed"):
        SmsAlert(SmsAlert.Params(**_params("http://h", auth_token_env="TWILIO_AUTH_TOKEN")))
    monkeypatch.delenv("OPGRAPH_TWILIO_TOKEN")
    with pytest.raises(ValueError, match=r"OPGRAPH_TWILIO_TOKEN .* is not set"):
        SmsAlert(SmsAlert.Params(**_params("http://h")))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"to_numbers": "5550002222"}, "E.164"),
        ({"to_numbers": []}, "to_numbers"),
        ({"from_number": "+0123"}, "from_number"),
        ({"account_sid": "AC/../x"}, "account_sid"),
        ({"gateway_url": "file:///x"}, "http"),
        ({"message": "x" * 1601}, "message"),
        ({"auth_token": "secret"}, "unknown param"),
    ],
)
def test_bad_params_are_refused(change: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("sms", params=_params("http://h", **change))
