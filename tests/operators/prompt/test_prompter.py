"""prompter: plain placeholder replacement, never str.format."""

from __future__ import annotations

import pytest

from engine import Context, InputError, ParamsError, Workflow
from operators.prompt.prompter import Prompter
from tests.factories import image_data, text_data


def _prompt(template: str, text: str) -> str:
    data = text_data(text)
    out = Prompter(Prompter.Params(prompt_template=template)).process(data, Context(root=data))
    assert out is not None and out.text is not None and out.text.raw is not None
    return out.text.raw


def test_every_placeholder_is_replaced() -> None:
    template = "Text: {data.text.raw} ### Again: {data.text.raw} ###"
    assert _prompt(template, "hi") == "Text: hi ### Again: hi ###"


@pytest.mark.parametrize(
    "template",
    ["{data.__class__} {data.text.raw} {0} {} {data.text.raw!r} {{x}}", "%s {data.text.raw} %(a)s"],
)
def test_other_braces_stay_literal(template: str) -> None:
    assert _prompt(template, "T") == template.replace("{data.text.raw}", "T")


def test_input_text_is_never_expanded() -> None:
    evil = "{data.__class__.__init__.__globals__} {data.text.raw} {0}"
    assert _prompt("<{data.text.raw}>", evil) == f"<{evil}>"


def test_rest_of_data_passes_through() -> None:
    data = text_data("x").model_copy(update={"metadata": {"k": "v"}})
    out = Prompter(Prompter.Params(prompt_template="{data.text.raw}!")).process(
        data, Context(root=data)
    )
    assert out is not None and out.metadata == {"k": "v"} and data.text.raw == "x"


def test_no_text_is_an_input_error() -> None:
    data = image_data()
    op = Prompter(Prompter.Params(prompt_template="{data.text.raw}"))
    with pytest.raises(InputError, match="text"):
        op.process(data, Context(root=data))


def test_clarifai_example_graph() -> None:
    template = "Classify sentiment between postive and negative for the text {data.text.raw}"
    yaml_text = """
workflow:
  id: wf-prompter
  nodes:
    - id: prompter
      model:
          model_id: prompter
          model_type_id: prompter
          description: 'Prompter Model'
          output_info:
            params:
              prompt_template: 'TEMPLATE'
""".replace("TEMPLATE", template)
    resp = Workflow.from_yaml(yaml_text).predict([{"data": {"text": {"raw": "I love it"}}}])
    assert resp.results[0].outputs[0].data.text.raw == (
        "Classify sentiment between postive and negative for the text I love it"
    )


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"prompt_template": "no placeholder here"}, r"must contain \{data.text.raw\}"),
        ({"prompt_template": "{data.text}"}, r"must contain \{data.text.raw\}"),
        ({}, "prompt_template"),
        ({"prompt_template": "{data.text.raw}", "temperature": 1}, "unknown param"),
    ],
)
def test_rejections(params: dict, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("p").add("prompter", params=params)
