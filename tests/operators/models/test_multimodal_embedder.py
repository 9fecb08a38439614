"""multimodal-embedder: an image tower and a text tower into one space; text search finds
images in an App."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Text, Workflow
from engine.app import App
from operators.models.multimodal_embedder import MultimodalEmbedder
from tests.operators.models._onnx_models import mean_colour_head, token_bag_text_tower
from tests.operators.models._tokenizers import word_tokenizer

Params = MultimodalEmbedder.Params

# the space: (red, green, blue); each word has its place in it
_WORDS = ["a", "photo", "of", "red", "green", "blue", "apple", "grass", "sky"]
_TABLE = np.array([
    [0, 0, 0], [0, 0, 0],  # [PAD], [UNK]
    [0.1, 0.1, 0.1], [0.1, 0.1, 0.1], [0.1, 0.1, 0.1],  # a, photo, of
    [1, 0, 0], [0, 1, 0], [0, 0, 1],  # red, green, blue
    [0.8, 0.2, 0], [0.1, 0.9, 0], [0, 0.2, 0.8],  # apple, grass, sky
])
_BGR = {"red": (0, 0, 255), "green": (0, 255, 0), "blue": (255, 0, 0)}
_PLAIN = {"mean": (0, 0, 0), "std": (1, 1, 1)}  # the image tower sees pixels as 0..1


@pytest.fixture
def towers(tmp_path: Path) -> dict[str, str]:
    return {
        "image_model_path": str(mean_colour_head(tmp_path / "image.onnx", np.eye(3), size=8)),
        "text_model_path": str(token_bag_text_tower(tmp_path / "text.onnx", _TABLE)),
        "tokenizer_path": str(word_tokenizer(tmp_path / "tokenizer.json", _WORDS)),
    }


def _embed(op: MultimodalEmbedder, data: Data) -> np.ndarray:
    out = op.process(data, Context(root=data, node_id="clip"))
    assert out is not None
    return np.array(out.embeddings[0].vector)


def _image(colour: str) -> Data:
    img = np.zeros((32, 32, 3), np.uint8)
    img[:] = _BGR[colour]
    return Data(image=Image.from_array(img))


def test_images_and_texts_land_in_one_space(towers: dict[str, str]) -> None:
    op = MultimodalEmbedder(Params(**towers, **_PLAIN))
    red = _embed(op, _image("red"))
    np.testing.assert_allclose(red, [1, 0, 0], atol=1e-6)
    apple = _embed(op, Data(text=Text(raw="A photo of an apple")))  # "an": unknown, zero
    assert np.linalg.norm(apple) == pytest.approx(1.0)
    sims = {c: float(_embed(op, _image(c)) @ apple) for c in _BGR}
    assert max(sims, key=sims.get) == "red"
    sky = _embed(op, Data(text=Text(raw="sky")))
    np.testing.assert_allclose(sky, np.array([0, 0.2, 0.8]) / np.linalg.norm([0, 0.2, 0.8]))


def test_padding_and_truncation_follow_max_length(tmp_path: Path,
                                                  towers: dict[str, str]) -> None:
    # a text tower of any length: max_length decides; only 2 tokens of "red red green" count
    towers["text_model_path"] = str(token_bag_text_tower(tmp_path / "any.onnx", _TABLE, None))
    op = MultimodalEmbedder(Params(**towers, max_length=2, normalize=False))
    np.testing.assert_allclose(_embed(op, Data(text=Text(raw="red red green"))), [2, 0, 0])


def test_one_tower_alone_and_the_other_kind_is_an_input_error(towers: dict[str, str]) -> None:
    text_only = MultimodalEmbedder(Params(text_model_path=towers["text_model_path"],
                                          tokenizer_path=towers["tokenizer_path"]))
    with pytest.raises(InputError, match="no image tower"):
        _embed(text_only, _image("red"))
    image_only = MultimodalEmbedder(Params(image_model_path=towers["image_model_path"]))
    with pytest.raises(InputError, match="no text tower"):
        _embed(image_only, Data(text=Text(raw="red")))


def _png(colour: str) -> str:
    img = np.zeros((24, 24, 3), np.uint8)
    img[:] = _BGR[colour]
    img[8:16, 8:16] = (128, 128, 128)  # a grey spot: not a pure colour
    return base64.b64encode(cv2.imencode(".png", img)[1].tobytes()).decode()


def test_text_search_finds_images_in_an_app(tmp_path: Path, towers: dict[str, str]) -> None:
    wf = Workflow("clip-base")
    wf.add("multimodal-embedder", id="embed", params={**towers, **_PLAIN})
    app = App(tmp_path / "app", base_workflow=wf)
    app.add_inputs([{"id": c, "data": {"image": {"base64": _png(c)}}} for c in _BGR])
    for query, first in (("a photo of grass", "green"), ("apple", "red"), ("blue sky", "blue")):
        hits = app.search(text=query).hits
        assert hits[0].input.id == first, query


def _yaml(params: str) -> str:
    return f"""
workflow:
  id: clip
  nodes:
    - id: embed
      model:
        model_id: clip
        model_type_id: multimodal-embedder
        output_info:
          params: {params}
"""


def test_one_node_graph_on_text_and_image(towers: dict[str, str]) -> None:
    params = ", ".join(f"{k}: '{v}'" for k, v in towers.items())
    wf = Workflow.from_yaml(_yaml(f"{{{params}}}"))
    res = wf.predict([{"data": {"text": {"raw": "green"}}}, _image("green")]).results
    assert [len(r.outputs[0].data.embeddings[0].vector) for r in res] == [3, 3]


@pytest.mark.parametrize("params,match", [
    ("{}", "needs 'image_model_path', 'text_model_path' or both"),
    ("{text_model_path: T}", "go together"),
    ("{image_model_path: I, tokenizer_path: K}", "go together"),
    ("{image_model_path: /nowhere.onnx}", "no file at"),
    ("{image_model_path: I, max_length: 0}", "max_length"),
    ("{image_model_path: I, channel_order: rbg}", "channel_order"),
])
def test_rejections(params: str, match: str, towers: dict[str, str]) -> None:
    for key, letter in (("image_model_path", "I"), ("text_model_path", "T"),
                        ("tokenizer_path", "K")):
        params = params.replace(f": {letter}", f": '{towers[key]}'")
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(_yaml(params))


def _load(params: str) -> None:
    Workflow.from_yaml(_yaml(params)).compile().instantiate()


def test_bad_towers_are_refused_at_load(tmp_path: Path, towers: dict[str, str]) -> None:
    bad_tok = tmp_path / "bad.json"
    bad_tok.write_text("{not json")
    with pytest.raises(ParamsError, match="cannot read tokenizer"):
        _load(f"{{text_model_path: '{towers['text_model_path']}', tokenizer_path: '{bad_tok}'}}")
    wide = token_bag_text_tower(tmp_path / "wide.onnx", np.zeros((len(_WORDS) + 2, 5)))
    with pytest.raises(ParamsError, match="3-dim vectors but the text tower 5-dim"):
        _load(f"{{image_model_path: '{towers['image_model_path']}', text_model_path: '{wide}', "
              f"tokenizer_path: '{towers['tokenizer_path']}'}}")
    # an image model is no text tower: its input is not token ids
    with pytest.raises(ParamsError, match=r"takes images tensor\(float\).*expected token ids"):
        _load(f"{{text_model_path: '{towers['image_model_path']}', "
              f"tokenizer_path: '{towers['tokenizer_path']}'}}")
