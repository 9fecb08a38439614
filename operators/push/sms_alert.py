"""``sms``: a text message about what reached the node, through a Twilio-style HTTP gateway."""

from __future__ import annotations

import base64
from functools import partial
from typing import Annotated, Any, ClassVar
from urllib.parse import quote, urlencode

from pydantic import BeforeValidator, Field, field_validator

from engine import Context, Data, DeliveryError, Operator, register
from operators.push._deliver import DeliveryParams, http_url, post, retrying, secret, summary

__all__ = ["SmsAlert"]

_PHONE = r"^\+[1-9][0-9]{6,14}$"  # E.164
_MAX_BODY_CHARS = 1600  # Twilio's limit for one message


def _number_list(value: Any) -> Any:
    if isinstance(value, str):  # one number, or several separated by commas
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


@register
class SmsAlert(Operator):
    """Sends a text message for each input that reaches it; passes its input on.

    One message per number in ``to_numbers``, through Twilio's Messages API shape: a form
    POST (``To``, ``From``, ``Body``) to
    ``{gateway_url}/2010-04-01/Accounts/{account_sid}/Messages.json`` with HTTP basic auth
    (``account_sid`` and the token in the variable ``auth_token_env``: ``OPGRAPH_*`` or
    listed in ``OPGRAPH_API_KEY_ENVS``).  Any gateway speaking that shape works.  The body
    is ``message``, then a summary of the input's concepts, text and regions, cut to 1,600
    characters.  The gateway URL goes through the same address guard as input URLs; each
    attempt takes at most ``timeout`` seconds and 429, 5xx and connection errors are
    retried.  A failed delivery is the node's status, and its input still passes on.

    Reads anything; writes nothing new (its input passes through).
    """

    type_id = "sms"
    io_bound = True

    class Params(DeliveryParams):
        gateway_url: str = Field(
            default="https://api.twilio.com", description="the gateway's API root (http(s))"
        )
        account_sid: str = Field(
            pattern=r"^[A-Za-z0-9_-]{1,64}$", description="the account id (the basic-auth user)"
        )
        auth_token_env: str = Field(
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="variable holding the auth token (the basic-auth password)",
        )
        from_number: str = Field(pattern=_PHONE, description="the sender, E.164 (+15551234567)")
        to_numbers: Annotated[list[str], BeforeValidator(_number_list)] = Field(
            min_length=1, max_length=20,
            description="recipients, E.164: a list, or numbers separated by commas",
        )
        message: str = Field(
            default="opgraph alert", max_length=_MAX_BODY_CHARS,
            description="the text the message starts with",
        )

        @field_validator("gateway_url")
        @classmethod
        def _http(cls, value: str) -> str:
            return http_url(value)

        @field_validator("to_numbers")
        @classmethod
        def _e164(cls, value: list[str]) -> list[str]:
            import re

            bad = [v for v in value if not re.match(_PHONE, v)]
            if bad:
                raise ValueError(f"not E.164 phone numbers (+ and 7-15 digits): {bad}")
            return value

    writes: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params
        token = secret(params.auth_token_env, "auth_token_env")
        basic = base64.b64encode(f"{params.account_sid}:{token}".encode()).decode()
        self._headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"Basic {basic}",
        }
        sid = quote(params.account_sid, safe="")
        self._url = f"{params.gateway_url.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"

    def process(self, data: Data, ctx: Context) -> Data | None:
        p = self._p
        text = f"{p.message}\n{summary(data, _MAX_BODY_CHARS)}".strip()[:_MAX_BODY_CHARS]
        failed: list[str] = []
        for number in p.to_numbers:  # one failing number does not keep the others from theirs
            body = urlencode({"To": number, "From": p.from_number, "Body": text}).encode()
            send = partial(post, self._url, body, self._headers, p.timeout)
            try:
                retrying(p, f"sms to {number} via {p.gateway_url}", data, send)
            except DeliveryError as exc:
                failed.append(str(exc))
        if failed:
            raise DeliveryError("; ".join(failed), data)
        return data
