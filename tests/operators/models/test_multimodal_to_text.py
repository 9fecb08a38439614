"""multimodal-to-text against the local OpenAI-compatible server: text with an image."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Text, Workflow
from operators.models.multimodal_to_text import MultimodalToText
from tests.openai_server import FakeOpenAI


def _op(openai: FakeOpenAI, **params: Any) -> MultimodalToText:
    return MultimodalToText(
        MultimodalToText.Params(base_url=openai.url, model="mm", backoff=0, **params)
    )


def _run(op: MultimodalToText, data: Data) -> Data:
    out = op.process(data, Context(root=data))
    assert out is not None
    return out


def test_text_and_image_go_in_one_message(openai: FakeOpenAI) -> None:
    img = np.full((10, 20, 3), (0, 255, 255), np.uint8)
    data = Data(text=Text(raw="is it yellow"), image=Image.from_array(img))
    out = _run(_op(openai, system_prompt="Answer briefly."), data)
    assert out.text is not None and out.text.raw == "IS IT YELLOW | 20x10 yellow"
    messages = openai.requests[0]["body"]["messages"]
    assert messages[0] == {"role": "system", "content": "Answer briefly."}
    assert [p["type"] for p in messages[1]["content"]] == ["text", "image_url"]


def test_text_alone_and_image_alone_both_work(openai: FakeOpenAI) -> None:
    assert _run(_op(openai), Data(text=Text(raw="just words"))).text.raw == "JUST WORDS"  # type: ignore[union-attr]
    img = Data(image=Image.from_array(np.zeros((4, 4, 3), np.uint8)))
    out = _run(_op(openai, prompt="default question"), img)
    assert out.text is not None and out.text.raw == "DEFAULT QUESTION | 4x4 black"


def test_neither_text_nor_image_is_an_input_error(openai: FakeOpenAI) -> None:
    with pytest.raises(InputError, match=r"needs text\.raw or an image"):
        _run(_op(openai), Data(metadata={"k": 1}))
    assert openai.requests == []


def test_graph_after_text_to_image_sees_the_generated_image(openai: FakeOpenAI) -> None:
    wf = Workflow.from_yaml(f"""
workflow:
  id: draw-then-look
  nodes:
    - id: draw
      model:
        model_id: draw
        model_type_id: text-to-image
        output_info: {{params: {{base_url: '{openai.url}', model: painter, size: 32x16}}}}
    - id: look
      model:
        model_id: look
        model_type_id: multimodal-to-text
        output_info: {{params: {{base_url: '{openai.url}', model: mm}}}}
      node_inputs: [{{node_id: draw}}]
""")
    out = wf.predict([{"text": {"raw": "a blue square"}}]).results[0].outputs[1]
    assert out.data.text is not None and out.data.text.raw == "A BLUE SQUARE | 32x16 blue"
    assert out.prompt_tokens == 88 and out.completion_tokens == 6


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": ""}, "model"),
        ({"model": "m", "max_tokens": 0}, "max_tokens"),
        ({"model": "m", "timeout": 0}, "timeout"),
        ({"model": "m", "backoff": 61}, "backoff"),
        ({"model": "m", "prompt": "x" * 100_001}, "prompt"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("multimodal-to-text", params=params)
