"""visual-detector-embedder: an embedding per detected object, from a crop embedder or from
the detector's own rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, Image, ParamsError, Region, Workflow
from operators.models.visual_detector_embedder import VisualDetectorEmbedder
from tests.operators.models._onnx_models import constant_outputs, mean_colour_head

Params = VisualDetectorEmbedder.Params

# YOLOv5 rows in a 64 x 64 model input: cx, cy, w, h, objectness, p(block), then (for the
# one-model case) a 3-dim embedding
_ROWS = np.array([
    [16, 16, 16, 16, 0.9, 0.9, 3, 0, 4],
    [48, 48, 16, 16, 0.9, 0.8, 0, 2, 0],
    [48, 16, 16, 16, 0.1, 0.9, 1, 1, 1],  # below min_value
])


_PLAIN = {"embedder_mean": (0, 0, 0), "embedder_std": (1, 1, 1)}  # pixels as 0..1


def _scene() -> np.ndarray:
    """Red block top left, blue block bottom right, on black (BGR), 64 x 64."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[8:24, 8:24] = (0, 0, 255)
    img[40:56, 40:56] = (255, 0, 0)
    return img


def _run(op: VisualDetectorEmbedder) -> list[Region]:
    data = Data(image=Image.from_array(_scene()))
    out = op.process(data, Context(root=data, node_id="de"))
    assert out is not None
    return out.regions


@pytest.fixture
def detector(tmp_path: Path) -> Path:
    return constant_outputs(tmp_path / "det.onnx", [_ROWS[None, :, :6]])


@pytest.fixture
def embedder(tmp_path: Path) -> Path:
    # the crop's mean R, G, B (the model sees RGB) as a 3-dim vector
    return mean_colour_head(tmp_path / "emb.onnx", np.eye(3), size=8)


def test_each_crop_is_embedded_by_the_embedder(detector: Path, embedder: Path) -> None:
    op = VisualDetectorEmbedder(Params(model_path=str(detector), labels=["block"],
                                       embedder_model_path=str(embedder), **_PLAIN))
    red, blue = _run(op)
    assert [r.data.concepts[0].id for r in (red, blue)] == ["block", "block"]
    assert red.region_info.bounding_box.left_col == 0.125
    # unit vectors along the block's own colour: red (1, 0, 0), blue (0, 0, 1) in RGB
    np.testing.assert_allclose(red.data.embeddings[0].vector, [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(blue.data.embeddings[0].vector, [0, 0, 1], atol=1e-6)
    assert red.data.embeddings[0].num_dimensions == 3


def test_a_margin_takes_in_the_background(detector: Path, embedder: Path) -> None:
    op = VisualDetectorEmbedder(Params(model_path=str(detector), labels=["block"],
                                       embedder_model_path=str(embedder), margin=2.0, **_PLAIN,
                                       normalize=False))
    red = _run(op)[0]
    # a 32 x 32 crop around a 16 x 16 red block: a quarter of it is red
    np.testing.assert_allclose(red.data.embeddings[0].vector, [0.25, 0, 0], atol=0.02)


def test_the_detector_s_own_embedding_columns(tmp_path: Path) -> None:
    path = constant_outputs(tmp_path / "jde.onnx", [_ROWS[None]])
    op = VisualDetectorEmbedder(Params(model_path=str(path), labels=["block"],
                                       embedding_dims=3, max_detections=1))
    (first,) = _run(op)
    np.testing.assert_allclose(first.data.embeddings[0].vector, [0.6, 0, 0.8])


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: de
  nodes:
    - id: detect-embed
      model:
        model_id: de
        model_type_id: visual-detector-embedder
        output_info:
          params: {params}
"""


def test_one_node_graph(detector: Path, embedder: Path) -> None:
    wf = Workflow.from_yaml(_yaml(
        f"{{model_path: '{detector}', labels: [block], embedder_model_path: '{embedder}'}}"))
    out = wf.predict([_scene()]).results[0].outputs[0].to_dict()
    assert [len(r["data"]["embeddings"][0]["vector"]) for r in out["data"]["regions"]] == [3, 3]


@pytest.mark.parametrize("params,match", [
    ("{}", "model_path"),
    ("{model_path: D}", "either 'embedder_model_path'"),
    ("{model_path: D, embedding_dims: 3, embedder_model_path: E}", "not both"),
    ("{model_path: D, embedding_dims: 3, margin: 1.2}", "applies only with"),
    ("{model_path: D, embedder_model_path: E, margin: 0}", "margin"),
    ("{model_path: D, embedder_model_path: /nowhere.onnx}", "no ONNX model file"),
])
def test_rejections(params: str, match: str, detector: Path, embedder: Path) -> None:
    yaml = _yaml(params.replace("D", f"'{detector}'").replace("E", f"'{embedder}'"))
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(yaml)


def test_a_detector_without_room_for_the_embedding_is_refused_at_load(detector: Path) -> None:
    wf = Workflow.from_yaml(_yaml(f"{{model_path: '{detector}', labels: [block], "
                                  "embedding_dims: 8}"))
    with pytest.raises(ParamsError, match=r"fits neither .*1 labels, 8 extra"):
        wf.compile().instantiate()
