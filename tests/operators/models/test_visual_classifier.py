"""visual-classifier: a user's ONNX classifier, softmax and Clarifai's output filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Workflow
from operators.models.visual_classifier import VisualClassifier
from tests.operators.models._onnx_models import mean_colour_head

Params = VisualClassifier.Params
_LABELS = ["red", "green", "blue"]
_RED = (0, 0, 255)  # BGR


@pytest.fixture
def colour_model(tmp_path: Path) -> Path:
    return mean_colour_head(tmp_path / "colours.onnx", np.eye(3) * 10)


def _image(bgr: tuple[int, int, int]) -> Data:
    img = np.zeros((16, 16, 3), np.uint8)
    img[:] = bgr
    return Data(image=Image.from_array(img))


def _op(model: Path, **kw: object) -> VisualClassifier:
    return VisualClassifier(Params(
        model_path=str(model), labels=_LABELS, mean=(0, 0, 0), std=(1, 1, 1), **kw
    ))


def test_top_concept_is_the_images_colour(colour_model: Path) -> None:
    data = _image(_RED)
    out = _op(colour_model).process(data, Context(root=data))
    assert out is not None
    assert [c.id for c in out.concepts] == ["red", "green", "blue"]
    assert out.concepts[0].value == pytest.approx(1.0, abs=1e-3)
    assert sum(c.value for c in out.concepts) == pytest.approx(1.0)


def test_output_filters(colour_model: Path) -> None:
    data = _image(_RED)
    ctx = Context(root=data)
    assert [c.id for c in _op(colour_model, max_concepts=1).process(data, ctx).concepts] == ["red"]
    assert [c.id for c in _op(colour_model, min_value=0.5).process(data, ctx).concepts] == ["red"]
    chosen = _op(colour_model, select_concepts=[{"name": "blue"}]).process(data, ctx)
    assert [c.id for c in chosen.concepts] == ["blue"]
    raw = _op(colour_model, softmax=False).process(data, ctx)
    assert raw.concepts[0].value == pytest.approx(10.0)  # the logits, as the model gave them


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: cls
  nodes:
    - id: classify
      model:
        model_id: colours
        model_type_id: visual-classifier
        output_info:
          params: {params}
"""


def test_one_node_graph(colour_model: Path) -> None:
    wf = Workflow.from_yaml(_yaml(
        f"{{model_path: '{colour_model}', labels: [red, green, blue], mean: [0, 0, 0], "
        "std: [1, 1, 1], max_concepts: 2}"
    ))
    img = np.zeros((10, 10, 3), np.uint8)
    img[:] = (255, 0, 0)  # blue in BGR
    out = wf.predict([img]).results[0].outputs[0]
    assert [c.id for c in out.data.concepts] == ["blue", "red"]


@pytest.mark.parametrize("params,match", [
    ("{}", "model_path"),
    ("{model_path: /nope.onnx}", "no ONNX model file"),
    ("{model_path: MODEL, max_concepts: 0}", "max_concepts"),
    ("{model_path: MODEL, top_k: 3}", "top_k"),
    ("{model_path: MODEL, mean: [0, 0]}", "mean"),
])
def test_rejections(params: str, match: str, colour_model: Path) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params.replace("MODEL", f"'{colour_model}'")))
