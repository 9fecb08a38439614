"""What every node over an OpenAI-compatible endpoint shares: its params, key and client.

The API key is read from the environment variable named by ``api_key_env`` when the node
is set up: only ``OPGRAPH_*`` variables and those listed in ``OPGRAPH_API_KEY_ENVS`` may be
named, so a workflow file cannot send another secret to its ``base_url``.  The client goes
through ``engine.fetch``: a ``base_url`` on a private or loopback address needs
``OPGRAPH_ALLOW_PRIVATE_URLS`` as media URLs do, each request has one deadline, replies are
capped in size, and 429/5xx/timeouts are retried with exponential backoff.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from engine import BaseParams

if TYPE_CHECKING:
    from operators.models._chat_http import ChatClient

__all__ = ["KEY_ENVS", "KEY_PREFIX", "ChatParams", "EndpointParams", "api_key", "endpoint_client"]

KEY_PREFIX = "OPGRAPH_"  # a workflow may read variables with this prefix ...
KEY_ENVS = "OPGRAPH_API_KEY_ENVS"  # ... and those the user lists here, comma-separated


def _allowed_key_names() -> list[str]:
    return [n.strip() for n in os.environ.get(KEY_ENVS, "").split(",") if n.strip()]


def api_key(name: str, explicit: bool) -> str | None:
    """The key in variable ``name``: a workflow file must not pick any secret to send."""
    value = os.environ.get(name) or None
    configured = _allowed_key_names()
    if not (name.startswith(KEY_PREFIX) or name in configured):
        if value is None and not explicit:
            return None  # the default variable is unset: nothing would be sent anyway
        shown = ", ".join(configured) or "none"
        raise ValueError(
            f"api_key_env {name} is not allowed: a workflow may read {KEY_PREFIX}* variables "
            f"and those listed in {KEY_ENVS} (now: {shown}); add {name} there to allow it"
        )
    if value is None and explicit:
        raise ValueError(f"environment variable {name} (api_key_env) is not set")
    return value


class EndpointParams(BaseParams):
    """The endpoint params of every OpenAI-compatible node."""

    base_url: str = Field(
        default="http://127.0.0.1:8080/v1",
        description="API root; requests go to {base_url}/<the type's path>",
    )
    model: str = Field(min_length=1, description="model name the server should run")
    api_key_env: str = Field(
        default="OPENAI_API_KEY",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="environment variable holding the API key (never the key itself)",
    )
    timeout: float = Field(
        default=60.0, gt=0, le=3600, description="seconds per request, all of it"
    )
    max_retries: int = Field(
        default=2, ge=0, le=10, description="retries on 429, 5xx and connection errors"
    )
    backoff: float = Field(
        default=0.5, ge=0, le=60, description="first retry delay in seconds; doubles"
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
        return value


class ChatParams(EndpointParams):
    """The params of every node that calls ``{base_url}/chat/completions``."""

    system_prompt: str = Field(default="", description="system message sent first, if any")
    temperature: float | None = Field(
        default=None, ge=0.0, le=2.0, description="sampling temperature; None: server's"
    )
    max_tokens: int | None = Field(
        default=None, ge=1, description="longest reply in tokens; None: server's"
    )


def endpoint_client(params: EndpointParams) -> ChatClient:
    """The client for ``params``' endpoint, its key read now (a missing key fails set-up)."""
    # urllib/http.client pull in ssl and email (~30 ms): only for graphs that run such a node
    from engine import media
    from operators.models._chat_http import ChatClient

    key = api_key(params.api_key_env, "api_key_env" in params.model_fields_set)
    return ChatClient(
        params.base_url, key, params.timeout, params.max_retries, params.backoff,
        allow_private=media.settings.allow_private_urls,
    )
