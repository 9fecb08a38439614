"""``email``: an email about what reached the node, sent over SMTP (smtplib)."""

from __future__ import annotations

import json
import re
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from engine import Context, Data, FetchError, Operator, media, register, resolve_allowed
from operators.push._deliver import DeliveryParams, Retry, clarifai_json, retrying, secret, summary

__all__ = ["EmailAlert"]

_ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}$")
_MAX_RECIPIENTS = 50
_MAX_JSON_CHARS = 64_000


def _address_list(value: Any) -> Any:
    if isinstance(value, str):  # one address, or several separated by commas
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _check_address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(f"not an email address: {value!r}")
    return value


@register
class EmailAlert(Operator):
    """Sends an email for each input that reaches it; passes its input on.

    The message goes from ``from_address`` to ``to_addresses`` through the SMTP server at
    ``smtp_host``:``smtp_port`` (``security``: STARTTLS, implicit TLS or none; certificates
    checked), logging in with ``username_env`` / ``password_env`` when given (variables
    ``OPGRAPH_*`` or listed in ``OPGRAPH_API_KEY_ENVS``: the workflow file never holds the
    password).  Its body lists the input's concepts, text, regions and metadata, then the
    Data as Clarifai JSON (without media bytes).  The host is resolved once and checked as
    input URLs are (private and loopback addresses need ``OPGRAPH_ALLOW_PRIVATE_URLS``);
    each attempt takes at most ``timeout`` seconds per SMTP step, and temporary failures
    (connection errors, 4xx replies) are retried.  A failed delivery is the node's status,
    and its input still passes on.

    Reads anything; writes nothing new (its input passes through).
    """

    type_id = "email"
    io_bound = True

    class Params(DeliveryParams):
        smtp_host: str = Field(
            min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:-]+$",
            description="the SMTP server's host name or address",
        )
        smtp_port: int = Field(default=587, ge=1, le=65535, description="the SMTP server's port")
        security: Literal["starttls", "ssl", "none"] = Field(
            default="starttls", description="STARTTLS, implicit TLS (port 465), or plain text"
        )
        username_env: str | None = Field(
            default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="variable holding the SMTP user name (login only when set)",
        )
        password_env: str | None = Field(
            default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="variable holding the SMTP password",
        )
        from_address: str = Field(description="the sender's address")
        to_addresses: Annotated[list[str], BeforeValidator(_address_list)] = Field(
            min_length=1, max_length=_MAX_RECIPIENTS,
            description="recipients: a list, or addresses separated by commas",
        )
        subject: str = Field(
            default="opgraph alert", max_length=200, description="the message's subject"
        )

        @field_validator("from_address")
        @classmethod
        def _sender(cls, value: str) -> str:
            return _check_address(value)

        @field_validator("to_addresses")
        @classmethod
        def _recipients(cls, value: list[str]) -> list[str]:
            return [_check_address(v) for v in value]

        @field_validator("subject")
        @classmethod
        def _one_line(cls, value: str) -> str:
            if "\r" in value or "\n" in value:
                raise ValueError("the subject must be one line")
            return value

    writes: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params
        self._login: tuple[str, str] | None = None
        if params.username_env or params.password_env:
            if not (params.username_env and params.password_env):
                raise ValueError("give both username_env and password_env, or neither")
            self._login = (
                secret(params.username_env, "username_env"),
                secret(params.password_env, "password_env"),
            )

    def _message(self, data: Data, ctx: Context) -> EmailMessage:
        p = self._p
        msg = EmailMessage()
        msg["From"], msg["Subject"] = p.from_address, p.subject
        msg["To"] = ", ".join(p.to_addresses)
        msg["Date"], msg["Message-ID"] = formatdate(localtime=False), make_msgid("opgraph")
        about = f"input {ctx.input_id or ctx.input_index}, node {ctx.node_id}"
        if ctx.frame_index is not None:
            about += f", frame {ctx.frame_index} ({ctx.frame_time_ms} ms)"
        dump = json.dumps(clarifai_json(data), indent=1)[:_MAX_JSON_CHARS]
        msg.set_content(f"{about}\n\n{summary(data, 4000)}\n\nClarifai JSON:\n{dump}\n")
        return msg

    def process(self, data: Data, ctx: Context) -> Data | None:
        msg = self._message(data, ctx)
        p = self._p
        retrying(p, f"email via {p.smtp_host}:{p.smtp_port}", data, lambda: self._send(msg))
        return data

    def _send(self, msg: EmailMessage) -> None:
        p = self._p
        try:
            addrs = resolve_allowed(
                p.smtp_host, p.smtp_port, timeout_s=p.timeout,
                allow_private=media.settings.allow_private_urls,
            )
        except FetchError as exc:
            if exc.retryable:
                raise Retry(str(exc)) from None
            raise ValueError(str(exc)) from None
        smtp = self._client()
        # one deadline for the whole exchange: a server answering a byte at a time is cut off
        fired = threading.Event()
        watchdog = threading.Timer(p.timeout, _cut, args=(smtp, fired))
        watchdog.daemon = True
        watchdog.start()
        try:
            self._exchange(smtp, str(addrs[0][4][0]), msg)
        except smtplib.SMTPResponseException as exc:
            raw = exc.smtp_error
            text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
            if 400 <= exc.smtp_code < 500:
                raise Retry(f"SMTP {exc.smtp_code}: {text}") from None
            raise ValueError(f"SMTP {exc.smtp_code}: {text}") from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. no STARTTLS: retrying cannot help
            raise ValueError(f"the SMTP server cannot do this: {exc}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise ValueError(f"recipients refused: {', '.join(exc.recipients)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            if fired.is_set():
                message = f"the exchange took longer than the time limit ({p.timeout:g} s)"
                raise Retry(message) from None
            raise Retry(f"{type(exc).__name__}: {exc}") from None
        finally:
            watchdog.cancel()
            smtp.close()

    def _client(self) -> smtplib.SMTP:
        p = self._p
        if p.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                timeout=p.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(timeout=p.timeout)
        # connect to the checked address, but name the host for TLS (SNI and certificate)
        client._host = p.smtp_host  # type: ignore[attr-defined]
        return client

    def _exchange(self, smtp: smtplib.SMTP, address: str, msg: EmailMessage) -> None:
        smtp.connect(address, self._p.smtp_port)
        if self._p.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if self._login is not None:
            smtp.login(*self._login)
        smtp.send_message(msg)
        smtp.quit()


def _cut(smtp: smtplib.SMTP, fired: threading.Event) -> None:
    fired.set()
    sock = smtp.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
