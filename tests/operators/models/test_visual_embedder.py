"""visual-embedder: the built-in colour + texture histogram and a user's ONNX embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Workflow
from operators.models.visual_embedder import VisualEmbedder
from tests.operators.models._onnx_models import mean_colour_head

Params = VisualEmbedder.Params


def _embed(op: VisualEmbedder, img: np.ndarray) -> np.ndarray:
    data = Data(image=Image.from_array(img))
    out = op.process(data, Context(root=data))
    assert out is not None and len(out.embeddings) == 1
    emb = out.embeddings[0]
    assert emb.num_dimensions == len(emb.vector)
    return np.asarray(emb.vector)


def _scene(colour: tuple[int, int, int], stripes: bool, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((96, 64, 3), np.uint8)
    img[:] = colour
    if stripes:
        img[::8] = 0
    return np.clip(img.astype(int) + rng.integers(-10, 10, img.shape), 0, 255).astype(np.uint8)


def test_histogram_embedding_is_unit_length_and_separates_looks() -> None:
    op = VisualEmbedder(Params())
    red_a = _embed(op, _scene((30, 30, 200), stripes=True, seed=1))
    red_b = _embed(op, _scene((30, 30, 200), stripes=True, seed=2))
    green = _embed(op, _scene((30, 200, 30), stripes=True))
    plain_red = _embed(op, _scene((30, 30, 200), stripes=False))
    assert red_a.shape == (256,) and np.linalg.norm(red_a) == pytest.approx(1.0)
    same = red_a @ red_b
    assert same > 0.95
    assert same > red_a @ green + 0.2  # colour differs
    assert same > red_a @ plain_red + 0.05  # texture differs


def test_onnx_embedder(tmp_path: Path) -> None:
    model = mean_colour_head(tmp_path / "emb.onnx", np.eye(3))
    op = VisualEmbedder(Params(model="onnx", model_path=str(model), mean=(0, 0, 0), std=(1, 1, 1)))
    img = np.zeros((8, 8, 3), np.uint8)
    img[:] = (255, 0, 255)  # blue + red
    assert _embed(op, img) == pytest.approx([2 ** -0.5, 0, 2 ** -0.5], abs=1e-4)


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: emb
  nodes:
    - id: embed
      model:
        model_id: embedder
        model_type_id: visual-embedder
        output_info:
          params: {params}
"""


def test_one_node_graph_and_bundled_general_embedding() -> None:
    img = np.full((20, 20, 3), 90, np.uint8)
    out = Workflow.from_yaml(_yaml("{}")).predict([img]).results[0].outputs[0]
    assert out.data.embeddings[0].num_dimensions == 256
    bundled = Workflow.from_yaml(
        "workflow:\n  id: g\n  nodes:\n    - id: e\n"
        "      model: {model_id: general-image-embedding, user_id: clarifai, app_id: main}\n"
    )
    res = bundled.predict([img]).results[0].outputs[0]
    assert len(res.data.embeddings[0].vector) == 256
    assert "local stand-in" in str(res.model.to_dict())


@pytest.mark.parametrize("params,match", [
    ("{model: clip}", "model"),
    ("{model: onnx}", "model_path"),
    ("{model_path: x.onnx}", "model_path"),
    ("{labels: [a]}", "no labels"),
])
def test_rejections(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params))
