"""image-to-image against the local OpenAI-compatible server: the multipart edits call."""

from __future__ import annotations

import base64
from typing import Any

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Text, Workflow
from operators.models.image_to_image import ImageToImage
from tests.openai_server import FakeOpenAI


def _op(openai: FakeOpenAI, **params: Any) -> ImageToImage:
    params = {"base_url": openai.url, "model": "editor", "backoff": 0, **params}
    return ImageToImage(ImageToImage.Params(**params))


def _picture() -> np.ndarray:
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, :10] = (255, 255, 255)  # a white band on the left
    return img


def _decoded(image: Image | None) -> np.ndarray:
    assert image is not None and image.base64
    return cv2.imdecode(np.frombuffer(base64.b64decode(image.base64), np.uint8), 1)


def test_the_image_and_prompt_go_as_a_multipart_form(openai: FakeOpenAI) -> None:
    data = Data(image=Image.from_array(_picture()))
    out = _op(openai, prompt="invert it", size="30x20").process(data, Context(root=data))
    assert out is not None
    edited = _decoded(out.image)
    assert (edited == 255 - _picture()).all()
    assert out.image is not None and out.image.array.shape == (20, 30, 3)
    form = openai.requests[0]["body"]
    assert form["image"].filename == "image.png" and form["image"].content_type == "image/png"
    assert (cv2.imdecode(np.frombuffer(form["image"].data, np.uint8), 1) == _picture()).all()
    fields = {k: v.data.decode() for k, v in form.items() if k != "image"}
    assert fields == {"model": "editor", "n": "1", "response_format": "b64_json",
                      "prompt": "invert it", "size": "30x20"}


def test_the_inputs_text_is_the_prompt_when_it_has_one(openai: FakeOpenAI) -> None:
    data = Data(image=Image.from_array(_picture()), text=Text(raw="flip"))
    out = _op(openai, prompt="invert").process(data, Context(root=data))
    assert out is not None
    assert (_decoded(out.image) == _picture()[:, ::-1]).all()


def test_graph_edit_then_caption(openai: FakeOpenAI) -> None:
    wf = Workflow.from_yaml(f"""
workflow:
  id: edit-caption
  nodes:
    - id: edit
      model:
        model_id: edit
        model_type_id: image-to-image
        output_info: {{params: {{base_url: '{openai.url}', model: e, prompt: invert,
                                 response_format: url}}}}
    - id: caption
      model:
        model_id: caption
        model_type_id: image-to-text
        output_info: {{params: {{base_url: '{openai.url}', model: v, prompt: colour}}}}
      node_inputs: [{{node_id: edit}}]
""")
    black = np.zeros((6, 6, 3), np.uint8)
    out = wf.predict([black]).results[0].outputs
    assert out[0].data.image is not None
    assert out[1].data.text is not None and out[1].data.text.raw == "COLOUR | 6x6 white"


def test_a_server_error_is_reported(openai: FakeOpenAI) -> None:
    openai.script = [(400, {"error": {"message": "unsupported mask"}}, {}, 0.0)]
    data = Data(image=Image.from_array(_picture()))
    with pytest.raises(ValueError, match="HTTP 400: unsupported mask"):
        _op(openai).process(data, Context(root=data))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "m", "max_image_side": 10}, "max_image_side"),
        ({"model": "m", "size": "1x"}, "WIDTHxHEIGHT"),
        ({"model": "m", "mask": "x"}, "unknown param"),
        ({"model": "m", "prompt": "p" * 32_001}, "prompt"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("image-to-image", params=params)
