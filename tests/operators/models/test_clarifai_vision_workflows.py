"""Clarifai's own vision workflow files (its examples and SDK docs) validate with --strict
and run, once their model ids are bound to local ONNX files: segmenter, keypointer,
image-align and multimodal embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Data, Image, Workflow
from engine.cli import main
from tests.operators.models._onnx_models import (
    constant_outputs,
    mean_colour_head,
    pixel_classifier,
    token_bag_text_tower,
)
from tests.operators.models._tokenizers import word_tokenizer

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"
_NODES = "examples__workflows__configs__Nodes__"
pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared conformance corpus is not beside the repo"
)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    seg = pixel_classifier(tmp_path / "seg.onnx", np.eye(3) * 10, width=32, height=32)
    marks = constant_outputs(tmp_path / "marks.onnx", [np.array([[0.3, 0.4, 0.7, 0.4, 0.5,
                                                                   0.6, 0.35, 0.8, 0.65, 0.8]])])
    image = mean_colour_head(tmp_path / "image.onnx", np.eye(3), size=8)
    text = token_bag_text_tower(tmp_path / "text.onnx", np.vstack([np.zeros((2, 3)), np.eye(3)]))
    tok = word_tokenizer(tmp_path / "tokenizer.json", ["red", "green", "blue"])
    path = tmp_path / "models.yml"
    path.write_text(f"""
models:
  - model_id: image-general-segmentation
    model_type_id: visual-segmenter
    params: {{model_path: '{seg}', labels: [red, green, blue]}}
  - model_id: face-landmarks
    model_type_id: visual-keypointer
    params: {{model_path: '{marks}', format: landmarks, num_keypoints: 5, keypoint_dims: 2}}
  - model_id: workflow-model-d97d-c8716df365b3
    model_type_id: image-align
  - model_id: CLIP-ViT-L-14-DataComp-XL-s13B-b90K
    model_type_id: multimodal-embedder
    params: {{image_model_path: '{image}', text_model_path: '{text}',
              tokenizer_path: '{tok}', mean: [0, 0, 0], std: [1, 1, 1]}}
""")
    return path


_FILES = ["Predict__visual-segmenter", "Edit__visual-keypointer", "Edit__image-align",
          "Edit__multimodal-embedder"]


def test_the_files_validate_strictly_with_their_models_bound(
    catalog: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(CORPUS / f"{_NODES}{name}.yml") for name in _FILES]
    assert main(["validate", "--strict", "--models", str(catalog), *files]) == 0
    assert capsys.readouterr().out.count(": ok (") == 4


def _run(name: str, catalog: Path, data: Data) -> Data:
    wf = Workflow.from_yaml(CORPUS / f"{_NODES}{name}.yml", models=str(catalog))
    out = wf.predict([data]).results[0].outputs[0]
    assert out.status.code == 10000, out.status
    return out.data


def _picture() -> Data:
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :] = (255, 0, 0)  # blue, with a red square (BGR)
    img[16:48, 16:48] = (0, 0, 255)
    return Data(image=Image.from_array(img))


def test_segmenter_keypointer_align_and_embedder_files_run(catalog: Path) -> None:
    regions = _run("Predict__visual-segmenter", catalog, _picture()).regions
    assert sorted(r.data.concepts[0].id for r in regions) == ["blue", "red"]
    (face,) = _run("Edit__visual-keypointer", catalog, _picture()).regions
    assert len(face.region_info.keypoint_locations) == 5
    marked = Data(image=_picture().image, regions=[face])
    aligned = _run("Edit__image-align", catalog, marked).regions[0].data.image
    assert aligned is not None and aligned.array.shape == (112, 112, 3)
    vector = _run("Edit__multimodal-embedder", catalog, _picture()).embeddings[0].vector
    text = _run("Edit__multimodal-embedder", catalog, Data.model_validate(
        {"text": {"raw": "red"}})).embeddings[0].vector
    assert len(vector) == len(text) == 3 and text == pytest.approx([1.0, 0.0, 0.0])
