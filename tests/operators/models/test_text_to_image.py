"""text-to-image against the local OpenAI-compatible server: b64 and url replies, limits."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pytest

from engine import Context, Data, ParamsError, StatusCode, Text, Workflow, media
from operators.models.text_to_image import TextToImage
from tests.openai_server import FakeOpenAI


def _op(openai: FakeOpenAI, **params: Any) -> TextToImage:
    params = {"base_url": openai.url, "model": "painter", "backoff": 0, **params}
    return TextToImage(TextToImage.Params(**params))


def _draw(op: TextToImage, prompt: str) -> Data:
    data = Data(text=Text(raw=prompt), metadata={"keep": True})
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def _decoded(b64: str) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR)


def test_the_image_lands_in_data_image_base64(openai: FakeOpenAI) -> None:
    out = _draw(_op(openai, size="48x32", quality="low"), "a red barn")
    assert out.image is not None and out.image.base64
    img = _decoded(out.image.base64)
    assert img.shape == (32, 48, 3)
    assert tuple(img[0, 0]) == (0, 0, 255)  # filled with the prompt's colour
    assert out.image.image_info is not None and out.image.image_info.width == 48
    assert out.text is not None and out.text.raw == "a red barn"  # the rest passes through
    assert out.metadata == {"keep": True, "usage": {"prompt_tokens": 3,
                                                    "completion_tokens": 1056,
                                                    "total_tokens": 1059}}
    assert openai.requests[0]["body"] == {
        "model": "painter", "prompt": "a red barn", "n": 1, "response_format": "b64_json",
        "size": "48x32", "quality": "low",
    }


def test_a_url_reply_is_fetched_through_the_guard(openai: FakeOpenAI) -> None:
    out = _draw(_op(openai, response_format="url", size="16x16"), "green field")
    assert out.image is not None and out.image.base64
    assert tuple(_decoded(out.image.base64)[0, 0]) == (0, 255, 0)


def test_a_url_reply_to_a_refused_address_fails(
    openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    openai.script = [(200, {"data": [{"url": "http://10.1.2.3/x.png"}]}, {}, 0.0)]
    with pytest.raises(ValueError, match=r"could not be fetched: .*private, loopback"):
        _draw(_op(openai), "anything")


@pytest.mark.parametrize(
    ("reply", "match"),
    [
        ({"data": []}, "unexpected reply"),
        ({"data": [{"b64_json": "!!not base64"}]}, "not valid base64"),
        ({"data": [{"b64_json": base64.b64encode(b"GIF89a junk").decode()}]}, "image"),
        ({"data": [{"revised_prompt": "x"}]}, "sent no image"),
    ],
)
def test_a_bad_reply_fails_that_input(
    openai: FakeOpenAI, reply: dict[str, Any], match: str
) -> None:
    openai.script = [(200, reply, {}, 0.0)]
    with pytest.raises(ValueError, match=match):
        _draw(_op(openai), "x")


def test_a_decompression_bomb_is_refused(
    openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(media.settings, "max_pixels", 100)
    with pytest.raises(ValueError, match=r"MP limit|pixels"):
        _draw(_op(openai, size="64x64"), "big")


def test_one_node_graph_with_a_failing_input(openai: FakeOpenAI) -> None:
    wf = Workflow("draw")
    wf.add("text-to-image", params={"base_url": openai.url, "model": "p", "size": "8x8"})
    resp = wf.predict([{"text": {"raw": "white"}}, {"image": {"base64": base64.b64encode(
        cv2.imencode(".png", np.zeros((4, 4, 3), np.uint8))[1].tobytes()).decode()}}])
    ok, failed = (r.outputs[0] for r in resp.results)
    assert ok.status.code == StatusCode.SUCCESS and ok.data.image is not None
    assert ok.prompt_tokens == 1 and ok.completion_tokens == 1056
    assert "needs text.raw" in (failed.status.details or "")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "m", "size": "big"}, "WIDTHxHEIGHT"),
        ({"model": "m", "size": "0x10"}, "sides must be"),
        ({"model": "m", "size": "99999x10"}, "sides must be"),
        ({"model": "m", "response_format": "png"}, "response_format"),
        ({"model": "m", "n": 4}, "unknown param"),
        ({"size": "8x8"}, "model"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("text-to-image", params=params)
