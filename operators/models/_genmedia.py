"""Media in and out of generative endpoints: images as PNG / data URLs, images API replies.

An image sent to an endpoint is the node's pixels as PNG, downscaled first when a side
passes ``max_side`` (a 100 MP input is not sent whole).  An image that comes back (images
generations and edits) is taken from ``b64_json`` or fetched from its ``url`` through the
same guarded fetch as the endpoint, then decoded under the same limits as any input image,
so a reply that is not an image, or a decompression bomb, fails that input only.
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np

from engine import FetchError, Image, InputError, fetch, media
from operators.models._chat_http import ChatClient, usage_counts

__all__ = ["MAX_IMAGE_REPLY_BYTES", "data_url", "image_from_reply", "png_bytes"]

MAX_IMAGE_REPLY_BYTES = 128 << 20  # a base64 PNG of a few thousand pixels a side fits


def png_bytes(array: np.ndarray, max_side: int) -> bytes:
    """``array`` (BGR) as a PNG file, downscaled to ``max_side`` on its longer side."""
    import cv2

    h, w = array.shape[:2]
    if max(h, w) > max_side:
        scale = max_side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        array = cv2.resize(array, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", array)
    if not ok:  # pragma: no cover - a BGR uint8 array always encodes
        raise ValueError("could not encode the image as PNG")
    return bytes(buf.tobytes())


def data_url(array: np.ndarray, max_side: int) -> str:
    """``array`` as a ``data:image/png;base64,...`` URL, as chat image parts carry it."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(array, max_side)).decode()


def image_from_reply(raw: bytes, client: ChatClient) -> tuple[Image, dict[str, int]]:
    """The first image of an images API reply (``data[0].b64_json`` or ``.url``) and the
    reply's token counts; ``ValueError`` when the reply has none."""
    where = client.base_url
    try:
        reply = json.loads(raw)
        item = reply["data"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ValueError(f"{where} sent an unexpected reply: {raw[:200]!r}") from None
    if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
        try:
            encoded = base64.b64decode(item["b64_json"], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"{where} sent an image that is not valid base64") from None
    elif isinstance(item, dict) and isinstance(item.get("url"), str):
        encoded = _download(item["url"], client)
    else:
        raise ValueError(f"{where} sent no image (neither data[0].b64_json nor data[0].url)")
    return _image(encoded, where), usage_counts(reply)


def _download(url: str, client: ChatClient) -> bytes:
    try:
        got = fetch(
            url, max_bytes=MAX_IMAGE_REPLY_BYTES, timeout_s=client.timeout,
            allow_private=client.allow_private,
        )
    except FetchError as exc:
        raise ValueError(f"the generated image could not be fetched: {exc}") from None
    if not 200 <= got.status < 300:
        raise ValueError(f"the generated image could not be fetched: HTTP {got.status} ({url})")
    return got.body


def _image(encoded: bytes, where: str) -> Image:
    try:
        pixels = media.decode_image_bytes(encoded, f"the image {where} sent")
    except InputError as exc:
        raise ValueError(str(exc)) from None
    image = Image.from_array(pixels)  # its size in image_info, its pixels for later nodes
    image.base64 = base64.b64encode(encoded).decode()
    return image

