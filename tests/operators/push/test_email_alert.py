"""email: messages to a local SMTP server (aiosmtpd) on 127.0.0.1; failures pass on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine import Context, Data, DeliveryError, ParamsError, StatusCode, Text, Workflow
from operators.push.email_alert import EmailAlert
from tests.operators.push._push_helpers import flow


@dataclass
class Inbox:
    port: int
    messages: list[tuple[list[str], Message]] = field(default_factory=list)
    # SMTP replies to give to DATA before accepting (e.g. "451 try later")
    refuse: list[str] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return self.refuse.pop(0)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.0/8")
    box = Inbox(_free_port())

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth: Any) -> AuthResult:
        ok = isinstance(auth, LoginPassword) and auth.password == b"s3cret"
        if ok:
            box.logins.append((auth.login.decode(), auth.password.decode()))
        return AuthResult(success=ok)

    controller = Controller(box, hostname="127.0.0.1", port=box.port,
                            authenticator=authenticate, auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def _params(inbox: Inbox, **more: Any) -> dict[str, Any]:
    return {"smtp_host": "127.0.0.1", "smtp_port": inbox.port, "security": "none",
            "from_address": "alerts@example.com", "to_addresses": "ops@example.com",
            "backoff": 0, **more}


def test_a_workflow_mails_each_input_and_passes_it_on(inbox: Inbox) -> None:
    wf = Workflow.from_yaml(flow("email", _params(
        inbox, to_addresses=["ops@example.com", "lead@example.com"], subject="Fire!")))
    resp = wf.predict([{"id": "cam-7", "data": {"text": {"raw": "fire in hall"}}}])
    act, later = resp.results[0].outputs[1:]
    assert act.status.code == StatusCode.SUCCESS and later.status.code == StatusCode.SUCCESS
    (rcpts, msg), = inbox.messages
    assert rcpts == ["ops@example.com", "lead@example.com"]
    assert msg["Subject"] == "Fire!" and msg["From"] == "alerts@example.com"
    body = msg.get_payload(decode=True).decode()
    assert "input cam-7, node act" in body
    assert "concepts: fire 1.00" in body and "text: fire in hall" in body
    assert '"raw": "fire in hall"' in body  # the Clarifai JSON


def test_login_with_credentials_from_the_environment(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPGRAPH_SMTP_USER", "bot")
    monkeypatch.setenv("OPGRAPH_SMTP_PASSWORD", "s3cret")
    op = EmailAlert(EmailAlert.Params(**_params(
        inbox, username_env="OPGRAPH_SMTP_USER", password_env="OPGRAPH_SMTP_PASSWORD")))
    data = Data(text=Text(raw="x"))
    assert op.process(data, Context(root=data, node_id="mail")) is data
    assert inbox.logins == [("bot", "s3cret")] and len(inbox.messages) == 1


def test_a_temporary_refusal_is_retried_and_a_permanent_one_is_not(inbox: Inbox) -> None:
    data = Data(text=Text(raw="x"))
    inbox.refuse = ["451 try again later"]
    EmailAlert(EmailAlert.Params(**_params(inbox, max_retries=1))).process(
        data, Context(root=data, node_id="m"))
    assert len(inbox.messages) == 1
    inbox.refuse = ["554 rejected", "554 rejected"]
    with pytest.raises(DeliveryError, match="SMTP 554: rejected") as info:
        EmailAlert(EmailAlert.Params(**_params(inbox, max_retries=3))).process(
            data, Context(root=data, node_id="m"))
    assert info.value.data is data and inbox.refuse == ["554 rejected"]  # tried once


def test_starttls_on_a_server_without_it_fails_at_once(inbox: Inbox) -> None:
    data = Data(text=Text(raw="x"))
    op = EmailAlert(EmailAlert.Params(**_params(inbox, security="starttls", max_retries=3)))
    with pytest.raises(DeliveryError, match="STARTTLS"):
        op.process(data, Context(root=data, node_id="m"))
    assert inbox.messages == []


def test_the_smtp_host_goes_through_the_address_guard(
    inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS")
    wf = Workflow.from_yaml(flow("email", _params(inbox)))
    act, later = wf.predict([{"text": {"raw": "fire"}}]).results[0].outputs[1:]
    assert act.status.code == StatusCode.FAILURE
    assert "private, loopback" in (act.status.details or "")
    assert later.status.code == StatusCode.SUCCESS  # the branch went on
    assert inbox.messages == []


def test_nobody_listening_is_retried_then_reported() -> None:
    port = _free_port()
    params = {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none", "backoff": 0,
              "from_address": "a@example.com", "to_addresses": ["b@example.com"],
              "max_retries": 1, "timeout": 2}
    import os

    os.environ["OPGRAPH_ALLOW_PRIVATE_URLS"] = "127.0.0.1"
    try:
        op = EmailAlert(EmailAlert.Params(**params))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match="after 2 attempts: ConnectionRefusedError"):
            op.process(data, Context(root=data, node_id="m"))
    finally:
        del os.environ["OPGRAPH_ALLOW_PRIVATE_URLS"]


def test_secrets_come_only_from_allowed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_API_KEY_ENVS", raising=False)
    monkeypatch.setenv("HOME_PASSWORD", "x")
    monkeypatch.setenv("OPGRAPH_U", "user")
    params = {"smtp_host": "mail.example.com", "from_address": "a@example.com",
              "to_addresses": "b@example.com"}
    with pytest.raises(ValueError, match="HOME_PASSWORD is not allowed"):
        EmailAlert(EmailAlert.Params(**params, username_env="OPGRAPH_U",
                                     password_env="HOME_PASSWORD"))
    with pytest.raises(ValueError, match="both username_env and password_env"):
        EmailAlert(EmailAlert.Params(**params, username_env="OPGRAPH_U"))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"from_address": "a@x.io", "to_addresses": "b@example.com"}, "smtp_host"),
        ({"smtp_host": "h", "from_address": "nobody", "to_addresses": "b@x.io"}, "email address"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": []}, "to_addresses"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": ",".join(
            f"u{i}@x.io" for i in range(51))}, "to_addresses"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": "b@x.io",
          "subject": "a\r\nBcc: evil@x.io"}, "one line"),
        ({"smtp_host": "h\r\nX", "from_address": "a@x.io", "to_addresses": "b@x.io"},
         "smtp_host"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": "b@x.io",
          "smtp_port": 0}, "smtp_port"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": "b@x.io",
          "security": "tls"}, "security"),
        ({"smtp_host": "h", "from_address": "a@x.io", "to_addresses": "b@x.io",
          "password": "x"}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("email", params=params)


def test_a_server_that_never_answers_hits_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setenv("OPGRAPH_ALLOW_PRIVATE_URLS", "127.0.0.1")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts connections, never sends a greeting
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(listener.accept()[0]), daemon=True).start()
    try:
        params = {"smtp_host": "127.0.0.1", "smtp_port": listener.getsockname()[1],
                  "security": "none", "from_address": "a@example.com",
                  "to_addresses": "b@example.com", "max_retries": 0, "timeout": 0.5}
        op = EmailAlert(EmailAlert.Params(**params))
        data = Data(text=Text(raw="x"))
        with pytest.raises(DeliveryError, match=r"time limit|timed out"):
            op.process(data, Context(root=data, node_id="m"))
    finally:
        listener.close()
        for conn in held:
            conn.close()
