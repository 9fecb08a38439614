"""character-detection-operator: per-character detections become OCR-style word regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import Context, Data, ParamsError, Workflow
from operators.map.character_detection_operator import CharacterDetectionOperator
from tests.factories import region
from tests.operators.models._text_images import font_file

Params = CharacterDetectionOperator.Params


def _chars(text: str, x0: float = 0.1, y0: float = 0.4, w: float = 0.04, step: float = 0.05,
           score: float = 0.9) -> list:
    """One region per non-space character, side by side on one line (square image)."""
    out = []
    for i, ch in enumerate(text):
        if ch != " ":
            x = x0 + i * step
            out.append(region((x, y0, x + w, y0 + 0.08), {ch: score}))
    return out


def _run(data: Data, **params: object) -> list[tuple[str, float]]:
    out = CharacterDetectionOperator(Params(**params)).process(data, Context(root=data))
    assert out is not None
    return [(r.data.text.raw, r.value) for r in out.regions]  # type: ignore[union-attr]


def test_characters_on_a_line_become_words_in_reading_order() -> None:
    # given a plate "KA 51" and a second line "7Z", detected character by character
    data = Data(regions=[*_chars("7Z", y0=0.6), *reversed(_chars("KA 51"))])
    # then words, top to bottom and left to right, each with the mean score
    assert _run(data) == [("KA", 0.9), ("51", 0.9), ("7Z", 0.9)]


def test_without_merging_each_character_is_its_own_text_region() -> None:
    data = Data(regions=_chars("AB"))
    assert [t for t, _ in _run(data, merge_words=False)] == ["A", "B"]


def test_best_concept_min_value_and_id_or_name() -> None:
    low = region((0.1, 0.1, 0.2, 0.2), {"x": 0.2})
    two = region((0.5, 0.1, 0.6, 0.2), {"a": 0.3, "b": 0.8})
    two.data.concepts[1].name = "B"  # type: ignore[union-attr]
    data = Data(regions=[low, two, region((0.7, 0.7, 0.8, 0.8))])  # the last has no concept
    assert _run(data, min_value=0.5, merge_words=False) == [("B", 0.8)]
    assert _run(data, min_value=0.5, merge_words=False, use="id") == [("b", 0.8)]


def test_no_regions_gives_no_regions() -> None:
    assert _run(Data()) == []


def _plate(tmp_path: Path, text: str) -> tuple[object, Path]:
    """A drawn plate and a detections file boxing each of its characters, as a detector would."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font_file("DejaVuSansMono-Bold.ttf")), 48)
    page = Image.new("L", (420, 120), 255)
    draw = ImageDraw.Draw(page)
    draw.text((20, 30), text, fill=0, font=face)
    dets = []
    for i, ch in enumerate(text):
        if ch != " ":
            x = 20 + face.getlength(text[:i])
            box = draw.textbbox((x, 30), ch, font=face)
            dets.append({"box": list(box), "score": 0.95, "label": ch})
    path = tmp_path / "chars.json"
    path.write_text(json.dumps({"0": dets}))
    return np.repeat(np.asarray(page)[:, :, None], 3, axis=2), path


def test_graph_detector_then_text_aggregation_reads_the_plate(tmp_path: Path) -> None:
    image, dets = _plate(tmp_path, "KA 51 MX 2024")
    flow = f"""
workflow:
  id: plate
  nodes:
    - id: chars
      model:
        model_id: chars
        model_type_id: detections-file
        output_info: {{params: {{path: '{dets}', format: json}}}}
    - id: to-text
      model: {{model_id: to-text, model_type_id: character-detection-operator}}
      node_inputs: [{{node_id: chars}}]
    - id: text
      model: {{model_id: text, model_type_id: text-aggregation-operator}}
      node_inputs: [{{node_id: to-text}}]
"""
    outputs = Workflow.from_yaml(flow).predict([image]).results[0].outputs
    assert [r.data.text.raw for r in outputs[1].data.regions] == ["KA", "51", "MX", "2024"]
    assert outputs[2].data.text.raw == "KA 51 MX 2024"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{min_value: 2}", "min_value"),
        ("{use: label}", "use"),
        ("{max_char_gap: -1}", "max_char_gap"),
        ("{merge: true}", "merge"),
    ],
)
def test_bad_params_are_refused_at_their_position(params: str, match: str) -> None:
    flow = f"""
workflow:
  id: c
  nodes:
    - id: c
      model:
        model_id: c
        model_type_id: character-detection-operator
        output_info:
          params: {params}
"""
    with pytest.raises(ParamsError, match=rf"<workflow>:\d+:\d+: .*{match}"):
        Workflow.from_yaml(flow)
