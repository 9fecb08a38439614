"""What the action operators share: their delivery params, a retrying POST, secrets, and
the Data they send (as Clarifai JSON without pixels) or summarise (for a person to read).

Every send goes through ``engine.fetch`` or ``engine.resolve_allowed``: http(s) only,
private and loopback addresses refused unless the server's operator allows them
(``OPGRAPH_ALLOW_PRIVATE_URLS`` / ``media.settings.allow_private_urls``), one deadline per
attempt, replies capped.  Secrets come only from environment variables the workflow names
(``OPGRAPH_*`` or those listed in ``OPGRAPH_API_KEY_ENVS``), never from the file itself.
A delivery that fails after its retries raises ``DeliveryError``: the node's status is the
error, and its input passes on.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import Field

from engine import (
    BaseParams,
    Context,
    Data,
    DeliveryError,
    FetchError,
    StatusCode,
    fetch,
    media,
)

__all__ = [
    "DeliveryParams",
    "Retry",
    "clarifai_json",
    "http_url",
    "node_status",
    "post",
    "retrying",
    "secret",
    "status",
    "summary",
]

KEY_PREFIX = "OPGRAPH_"
KEY_ENVS = "OPGRAPH_API_KEY_ENVS"
MAX_BODY_BYTES = 16 << 20
_MAX_REPLY_BYTES = 1 << 20
_MAX_DELAY_S = 30.0
_T = TypeVar("_T")


class DeliveryParams(BaseParams):
    timeout: float = Field(default=10.0, gt=0, le=600, description="seconds per attempt, all of it")
    max_retries: int = Field(
        default=3, ge=0, le=10, description="retries on 429, 5xx, timeouts and connection errors"
    )
    backoff: float = Field(
        default=0.5, ge=0, le=60, description="first retry delay in seconds; doubles"
    )


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value


def secret(name: str, what: str) -> str:
    """The value of the variable ``name``, which a workflow may name: ``OPGRAPH_*`` or one
    listed in ``OPGRAPH_API_KEY_ENVS``.  ValueError when not allowed or not set."""
    allowed = [n.strip() for n in os.environ.get(KEY_ENVS, "").split(",") if n.strip()]
    if not (name.startswith(KEY_PREFIX) or name in allowed):
        raise ValueError(
            f"{what} {name} is not allowed: a workflow may read {KEY_PREFIX}* variables and "
            f"those listed in {KEY_ENVS}"
        )
    value = os.environ.get(name)
    if not value:
        raise ValueError(f"environment variable {name} ({what}) is not set")
    return value


class Retry(Exception):
    """A failure worth another attempt."""


def retrying(params: DeliveryParams, what: str, data: Data, attempt: Callable[[], _T]) -> _T:
    """``attempt()`` until it returns, retrying on ``Retry`` with exponential backoff; a
    ``DeliveryError`` carrying ``data`` when it gives up or fails for good (ValueError)."""
    last = ""
    for n in range(params.max_retries + 1):
        try:
            return attempt()
        except Retry as exc:
            last = str(exc)
        except ValueError as exc:
            raise DeliveryError(f"{what} failed: {exc}", data) from None
        if n < params.max_retries:
            time.sleep(min(params.backoff * 2**n, _MAX_DELAY_S))
    tries = params.max_retries + 1
    raise DeliveryError(f"{what} failed after {tries} attempt{'s' * (tries > 1)}: {last}", data)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> bytes:
    """One POST through the guarded fetch: the 2xx reply's body; ``Retry`` on 429, 5xx,
    timeouts and connection failures, ValueError on anything else."""
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"the message is {len(body)} bytes, more than {MAX_BODY_BYTES}")
    try:
        reply = fetch(
            url, method="POST", body=body, headers=headers, max_bytes=_MAX_REPLY_BYTES,
            timeout_s=timeout, allow_private=media.settings.allow_private_urls,
        )
    except FetchError as exc:
        if exc.retryable:
            raise Retry(str(exc)) from None
        raise ValueError(str(exc)) from None
    if 200 <= reply.status < 300:
        return reply.body
    text = reply.body[:300].decode(errors="replace").strip() or reply.reason
    if reply.status == 429 or reply.status >= 500:
        raise Retry(f"HTTP {reply.status}: {text}")
    raise ValueError(f"{url} answered HTTP {reply.status}: {text}")


def status(code: int, description: str, details: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "description": description}
    if details:
        out["details"] = details
    return out


def node_status(ctx: Context, node_id: str) -> dict[str, Any]:
    """The status of a node already run for this input, as its Output shows it."""
    err = ctx.errors.get(node_id)
    if err is None:
        return status(StatusCode.SUCCESS, "Ok")
    return status(StatusCode.FAILURE, f"node '{node_id}' failed", err)


def clarifai_json(data: Data) -> dict[str, Any]:
    """``data`` as Clarifai JSON without media bytes (a URL stays; base64 goes)."""
    return _without_bytes(data.to_dict())


def _without_bytes(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _without_bytes(v) for k, v in obj.items() if k != "base64"}
    if isinstance(obj, list):
        return [_without_bytes(v) for v in obj]
    return obj


def summary(data: Data, limit: int) -> str:
    """A few lines a person reads: the concepts, text, regions and frames of ``data``."""
    lines: list[str] = []
    if data.concepts:
        lines.append("concepts: " + ", ".join(_concept(c) for c in data.concepts[:20]))
    if data.text is not None and data.text.raw:
        lines.append(f"text: {data.text.raw}")
    if data.regions:
        found = [_concept(c) for r in data.regions if r.data for c in r.data.concepts[:1]]
        named = f" ({', '.join(found[:20])})" if found else ""
        lines.append(f"regions: {len(data.regions)}{named}")
    if data.frames:
        lines.append(f"frames: {len(data.frames)}")
    if data.hits:
        lines.append(f"hits: {len(data.hits)}")
    if data.metadata:
        lines.append("metadata: " + json.dumps(data.metadata, sort_keys=True)[:500])
    text = "\n".join(lines) or "(no data fields)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _concept(c: Any) -> str:
    return f"{c.name or c.id} {c.value:.2f}"
