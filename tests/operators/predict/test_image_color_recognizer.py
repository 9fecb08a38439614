"""image-color-recognizer: dominant colours, W3C names, proportions, graph and params."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Context, Data, Image, InputError, ParamsError, Workflow
from operators.predict.image_color_recognizer import W3C_HEX, W3C_NAMES, ImageColorRecognizer

WHITE, NAVY, GOLD = (255, 255, 255), (128, 0, 0), (0, 215, 255)  # BGR


def _stripes(*parts: tuple[tuple[int, int, int], int], height: int = 60) -> np.ndarray:
    """Vertical stripes of (BGR colour, width in pixels)."""
    return np.concatenate([np.full((height, w, 3), c, np.uint8) for c, w in parts], axis=1)


def _colors(img: np.ndarray, **params: object) -> list[tuple[str | None, str | None, float]]:
    op = ImageColorRecognizer(ImageColorRecognizer.Params.model_validate(params))
    data = Data(image=Image.from_array(img))
    out = op.process(data, Context(root=data, node_id="colors"))
    assert out is not None
    return [(c.w3c.name if c.w3c else None, c.raw_hex, c.value) for c in out.colors]


def test_table_has_the_140_w3c_names() -> None:
    assert len(W3C_NAMES) == len(set(W3C_NAMES)) == len(W3C_HEX) == 140
    assert W3C_HEX[W3C_NAMES.index("WhiteSmoke")] == "#f5f5f5"


def test_names_and_proportions_of_flat_colours_largest_first() -> None:
    found = _colors(_stripes((WHITE, 60), (NAVY, 30), (GOLD, 10)))
    assert [(n, h) for n, h, _ in found] == [
        ("White", "#ffffff"),
        ("Navy", "#000080"),
        ("Gold", "#ffd700"),
    ]
    np.testing.assert_allclose([v for *_, v in found], [0.6, 0.3, 0.1], atol=0.01)


def test_off_palette_colours_get_the_nearest_name_and_keep_their_own_hex() -> None:
    found = _colors(_stripes(((10, 20, 250), 50), ((245, 245, 240), 50)))  # near red, near white
    assert {(n, h) for n, h, _ in found} == {("Red", "#fa140a"), ("WhiteSmoke", "#f0f5f5")}


def test_noise_and_large_images_still_give_the_dominant_colours() -> None:
    rng = np.random.default_rng(0)
    img = _stripes((WHITE, 1200), (NAVY, 720), height=1080).astype(np.int16)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    found = _colors(img, max_colors=4, min_value=0.05)
    shares: dict[str, float] = {}
    for name, _, value in found:
        shares[name or ""] = shares.get(name or "", 0) + value
    assert shares.get("Navy", 0) == pytest.approx(0.375, abs=0.03)
    # noise splits white into near-white clusters whose W3C names (Snow, MintCream, ...)
    # depend on the clustering: judge them by their own colour
    near_white = [v for _, h, v in found if h and min(bytes.fromhex(h[1:])) >= 235]
    assert sum(near_white) > 0.55


def test_min_value_drops_small_colours_and_gray_input_works() -> None:
    assert [n for n, *_ in _colors(_stripes((WHITE, 95), (GOLD, 5)), min_value=0.1)] == ["White"]
    assert [n for n, *_ in _colors(np.full((20, 20), 128, np.uint8))] == ["Gray"]


def test_no_image_is_an_input_error() -> None:
    op = ImageColorRecognizer(ImageColorRecognizer.Params())
    with pytest.raises(InputError, match="needs an image"):
        op.process(Data(), Context(root=Data(), node_id="colors"))


def test_one_node_graph() -> None:
    wf = Workflow.from_yaml(
        """
workflow:
  id: colors
  nodes:
    - id: color
      model:
        model_id: color-recognition
        model_type_id: image-color-recognizer
        output_info:
          params:
            max_colors: 4
"""
    )
    out = wf.predict([_stripes((NAVY, 50), (GOLD, 50))]).results[0].outputs[0]
    assert out.status.is_success, out.status
    assert sorted(c["w3c"]["name"] for c in out.data.to_dict()["colors"]) == ["Gold", "Navy"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"max_colors": 0}, "max_colors"),
        ({"max_colors": 100}, "max_colors"),
        ({"min_value": 2}, "min_value"),
        ({"max_colours": 4}, "did you mean 'max_colors'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("c").add("image-color-recognizer", params=params)


@pytest.mark.parametrize(
    ("img", "names"),
    [
        (np.full((1, 1, 3), 255, np.uint8), ["White"]),  # one pixel: no k-means to run
        (np.asarray([[[0, 0, 255], [0, 0, 255]]], np.uint8), ["Red"]),
        (np.asarray([[[0, 0, 255], [128, 0, 0]]], np.uint8), ["Red", "Navy"]),  # 2 px, 2 colours
    ],
)
def test_tiny_images(img: np.ndarray, names: list[str]) -> None:
    assert sorted(n or "" for n, *_ in _colors(img)) == sorted(names)


def test_same_image_same_colours_without_touching_opencvs_global_rng() -> None:
    import cv2

    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (40, 40, 3)).astype(np.uint8)
    cv2.setRNGSeed(7)
    expected = cv2.randu(np.zeros(4), 0, 1).copy()
    cv2.setRNGSeed(7)
    first = _colors(img, max_colors=5)
    assert np.array_equal(cv2.randu(np.zeros(4), 0, 1), expected)  # the process RNG went on
    assert _colors(img, max_colors=5) == first
