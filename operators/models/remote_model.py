"""``remote-model``: a model on any Clarifai V2 endpoint, run by ``PostModelOutputs``."""

from __future__ import annotations

import base64
import json
import time
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from pydantic import Field, field_validator

from engine import BaseParams, Context, Data, InputError, Operator, register
from operators.models._endpoint import api_key as _api_key

__all__ = ["RemoteModel"]

_MAX_REPLY_BYTES = 64 * 1024 * 1024
_SUCCESS = 10000
# Clarifai statuses worth another attempt: throttled, queue full, the model still loading,
# and the server's own internal failures (98xxx)
_TRANSIENT = {11005, 40030, 21100, 21101, 21102}


class _Transient(Exception):
    pass


@register
class RemoteModel(Operator):
    """Sends the input to ``{base_url}/v2/users/{user_id}/apps/{app_id}/models/{model_id}
    [/versions/{version_id}]/outputs`` and merges the model's output into the Data.

    The endpoint is Clarifai's V2 REST API: Clarifai's own cloud, for users with an account,
    or another ``opgraph serve``.  A model catalog binds a model id to it with ``remote:``
    (the catalog's ``model_type_id`` says what the remote model is).  The token is read
    from the environment variable ``pat_env`` when the node is set up, under the same rule
    as ``text-to-text``'s ``api_key_env`` (only ``OPGRAPH_*`` variables and those listed in
    ``OPGRAPH_API_KEY_ENVS``), and sent as ``Authorization: Key``; the endpoint goes through
    the address guard as input URLs do.  Each request takes at most ``timeout`` seconds and
    is retried ``max_retries`` times with exponential backoff on HTTP 429 and 5xx,
    connection failures, and Clarifai's transient statuses (throttled, queue full, model
    loading, internal errors).  Any other refusal is that input's error status.

    Reads ``image`` (sent as its encoded bytes) or ``text``; writes what the remote model
    outputs (concepts, regions, embeddings, text, ...), the rest passes through.
    """

    type_id = "remote-model"
    io_bound = True

    class Params(BaseParams):
        base_url: str = Field(description="V2 API root, e.g. https://api.clarifai.com")
        model_id: str = Field(min_length=1, description="the remote model's id")
        user_id: str = Field(min_length=1, description="the user owning the remote app")
        app_id: str = Field(min_length=1, description="the remote app holding the model")
        version_id: str = Field(default="", description="a model version; empty: the latest")
        pat_env: str = Field(
            default="CLARIFAI_PAT",
            pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
            description="environment variable holding the token (never the token itself)",
        )
        model_type_id: str = Field(default="", description="what the remote model is")
        timeout: float = Field(default=60.0, gt=0, le=3600, description="seconds per request")
        max_retries: int = Field(default=2, ge=0, le=10, description="retries when transient")
        backoff: float = Field(default=0.5, ge=0, le=60, description="first retry delay, s")

        @field_validator("base_url")
        @classmethod
        def _http_url(cls, value: str) -> str:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"base_url must be an http(s) URL, got {value!r}")
            return value.rstrip("/")

    writes: ClassVar[tuple[str, ...]] = ("*",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params
        self._pat = _api_key(params.pat_env, "pat_env" in params.model_fields_set)
        path = f"/v2/users/{quote(params.user_id)}/apps/{quote(params.app_id)}"
        path += f"/models/{quote(params.model_id)}"
        if params.version_id:
            path += f"/versions/{quote(params.version_id)}"
        self.url = params.base_url + path + "/outputs"

    def process(self, data: Data, ctx: Context) -> Data | None:
        body = json.dumps({"inputs": [{"data": _payload(data)}]}).encode()
        reply = self._post(body)
        outputs = reply.get("outputs") or []
        output = outputs[0] if outputs and isinstance(outputs[0], dict) else {}
        status = output.get("status") or reply.get("status") or {}
        if status.get("code") != _SUCCESS:
            raise ValueError(
                f"{self._p.model_id} at {self._p.base_url} refused the input: "
                f"{_status_text(status)}"
            )
        produced = Data.model_validate(output.get("data") or {})
        update = {k: getattr(produced, k) for k in produced.model_fields_set}
        return data.model_copy(update=update)

    def _post(self, body: bytes) -> dict[str, Any]:
        last = ""
        for attempt in range(self._p.max_retries + 1):
            try:
                return self._once(body)
            except _Transient as exc:
                last = str(exc)
                if attempt < self._p.max_retries:
                    time.sleep(min(self._p.backoff * 2**attempt, 30.0))
        raise ValueError(f"{self.url} failed after {self._p.max_retries + 1} attempts: {last}")

    def _once(self, body: bytes) -> dict[str, Any]:
        from engine import FetchError, fetch, media

        headers = {"Content-Type": "application/json"}
        if self._pat:
            headers["Authorization"] = f"Key {self._pat}"
        try:
            reply = fetch(
                self.url,
                method="POST",
                body=body,
                headers=headers,
                max_bytes=_MAX_REPLY_BYTES,
                timeout_s=self._p.timeout,
                allow_private=media.settings.allow_private_urls,
            )
        except FetchError as exc:
            if exc.retryable:
                raise _Transient(str(exc)) from None
            raise ValueError(str(exc)) from None
        if reply.status == 429 or reply.status >= 500:
            raise _Transient(f"HTTP {reply.status}")
        try:
            doc = json.loads(reply.body)
        except ValueError:
            raise ValueError(f"{self.url} answered HTTP {reply.status} without JSON") from None
        if not isinstance(doc, dict):
            raise ValueError(f"{self.url} sent an unexpected reply")
        code = (doc.get("status") or {}).get("code")
        if code in _TRANSIENT or (isinstance(code, int) and code >= 98000):
            raise _Transient(_status_text(doc.get("status") or {}))
        return doc


def _payload(data: Data) -> dict[str, Any]:
    """What to send of ``data``: its image as encoded bytes, else its text."""
    if data.image is not None and data.image.has_pixels:
        raw = data.image.stored_bytes
        if raw is None and data.image.base64:
            return {"image": {"base64": data.image.base64}}
        if raw is None and data.image.url:
            return {"image": {"url": data.image.url}}
        if raw is None:
            import cv2

            ok, encoded = cv2.imencode(".png", data.image.array)
            if not ok:
                raise InputError("the image could not be encoded to send")
            raw = encoded.tobytes()
        return {"image": {"base64": base64.b64encode(raw).decode()}}
    if data.text is not None and data.text.raw is not None:
        return {"text": {"raw": data.text.raw}}
    raise InputError("remote-model sends an image or a text; this input has neither")


def _status_text(status: dict[str, Any]) -> str:
    text = status.get("description") or "no description"
    details = status.get("details")
    return f"{status.get('code')} {text}" + (f" ({details})" if details else "")
