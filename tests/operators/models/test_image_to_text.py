"""image-to-text against the local OpenAI-compatible server: image parts, crops, tokens."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, StatusCode, Workflow
from operators.models.image_to_text import ImageToText
from tests.factories import region
from tests.openai_server import FakeOpenAI


def _image(width: int, height: int, bgr: tuple[int, int, int]) -> Data:
    return Data(image=Image.from_array(np.full((height, width, 3), bgr, np.uint8)))


def _op(openai: FakeOpenAI, **params: Any) -> ImageToText:
    return ImageToText(ImageToText.Params(base_url=openai.url, model="vision", backoff=0, **params))


def test_the_image_goes_as_a_png_data_url_and_the_reply_is_the_text(openai: FakeOpenAI) -> None:
    data = _image(64, 48, (0, 0, 255))
    out = _op(openai, prompt="what colour?").process(data, Context(root=data))
    assert out is not None and out.text is not None
    assert out.text.raw == "WHAT COLOUR? | 64x48 red"
    assert out.metadata == {"usage": {"prompt_tokens": 87, "completion_tokens": 5,
                                      "total_tokens": 92}}
    parts = openai.requests[0]["body"]["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": "what colour?"}
    url = parts[1]["image_url"]["url"]
    assert url.startswith("data:image/png;base64,")
    sent = cv2.imdecode(np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8), 1)
    assert sent.shape == (48, 64, 3) and (sent == (0, 0, 255)).all()  # lossless


def test_a_large_image_is_downscaled_to_max_image_side(openai: FakeOpenAI) -> None:
    data = _image(400, 100, (255, 0, 0))
    out = _op(openai, max_image_side=100).process(data, Context(root=data))
    assert out is not None and out.text is not None
    assert out.text.raw.endswith("| 100x25 blue")


def test_after_a_cropper_each_crop_gets_its_caption_and_tokens_reach_the_output(
    openai: FakeOpenAI,
) -> None:
    img = np.zeros((60, 120, 3), np.uint8)
    img[:, :60] = (0, 255, 0)  # left half green, right half black
    wf = Workflow.from_yaml(f"""
workflow:
  id: caption-crops
  nodes:
    - id: crop
      model: {{model_id: crop, model_type_id: image-crop, output_info: {{params: {{margin: 1}}}}}}
    - id: caption
      model:
        model_id: caption
        model_type_id: image-to-text
        output_info: {{params: {{base_url: '{openai.url}', model: vision, prompt: colour}}}}
      node_inputs: [{{node_id: crop}}]
""")
    halves = [region((0.0, 0.0, 0.5, 1.0)), region((0.5, 0.0, 1.0, 1.0))]
    result = wf.predict([Data(image=Image.from_array(img), regions=halves)]).results[0]
    caption = result.outputs[1]
    assert caption.status.code == StatusCode.SUCCESS
    texts = [r.data.text.raw for r in caption.data.regions if r.data and r.data.text]
    assert texts == ["COLOUR | 60x60 green", "COLOUR | 60x60 black"]


def test_one_node_graph_reports_tokens_on_the_output(openai: FakeOpenAI) -> None:
    wf = Workflow("caption")
    wf.add("image-to-text", params={"base_url": openai.url, "model": "vision", "prompt": "hi"})
    out = wf.predict([np.full((8, 8, 3), 255, np.uint8)]).results[0].outputs[0]
    assert out.data.text is not None and out.data.text.raw == "HI | 8x8 white"
    assert (out.prompt_tokens, out.completion_tokens) == (86, 4)
    assert out.to_dict()["prompt_tokens"] == 86


def test_a_failing_endpoint_fails_that_node_only(openai: FakeOpenAI) -> None:
    openai.script = [(400, {"error": {"message": "model cannot see"}}, {}, 0.0)]
    wf = Workflow("caption")
    wf.add("image-to-text", params={"base_url": openai.url, "model": "v", "max_retries": 0})
    resp = wf.predict([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8)])
    # the two inputs' calls run at once: whichever got the 400 failed, the other did not
    ok, failed = sorted((r.outputs[0] for r in resp.results), key=lambda o: o.status.code)
    assert failed.status.code != StatusCode.SUCCESS and ok.status.code == StatusCode.SUCCESS
    assert "HTTP 400: model cannot see" in (failed.status.details or "")


def test_no_image_is_that_inputs_error(openai: FakeOpenAI) -> None:
    wf = Workflow("caption")
    wf.add("image-to-text", params={"base_url": openai.url, "model": "v"})
    out = wf.predict([{"text": {"raw": "no image"}}]).results[0].outputs[0]
    assert "needs an image" in (out.status.details or "") and openai.requests == []


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "model"),
        ({"model": "m", "max_image_side": 8}, "max_image_side"),
        ({"model": "m", "base_url": "file:///etc/passwd"}, "http"),
        ({"model": "m", "api_key_env": "a b"}, "api_key_env"),
        ({"model": "m", "temperature": -1}, "temperature"),
        ({"model": "m", "images": 2}, "unknown param"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("image-to-text", params=params)


def test_a_base_url_on_loopback_needs_allowing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPGRAPH_ALLOW_PRIVATE_URLS", raising=False)
    data = _image(8, 8, (0, 0, 0))
    op = ImageToText(ImageToText.Params(base_url="http://127.0.0.1:9/v1", model="m"))
    with pytest.raises(ValueError, match="private, loopback"):
        op.process(data, Context(root=data))


def test_cached_prompt_tokens_reach_the_output(openai: FakeOpenAI) -> None:
    usage = {"prompt_tokens": 90, "completion_tokens": 3, "total_tokens": 93,
             "prompt_tokens_details": {"cached_tokens": 64}}
    reply = {"choices": [{"message": {"role": "assistant", "content": "a cat"}}], "usage": usage}
    openai.script = [(200, reply, {}, 0.0)]
    wf = Workflow("caption")
    wf.add("image-to-text", params={"base_url": openai.url, "model": "v"})
    out = wf.predict([np.zeros((8, 8, 3), np.uint8)]).results[0].outputs[0]
    assert (out.prompt_tokens, out.completion_tokens, out.cached_tokens) == (90, 3, 64)
    assert out.data.metadata == {"usage": {"prompt_tokens": 90, "completion_tokens": 3,
                                           "total_tokens": 93, "cached_tokens": 64}}
