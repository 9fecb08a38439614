"""input-filter: judge the workflow input by type, metadata and labelled concepts."""

from __future__ import annotations

import pytest

from engine import Concept, Context, Data, ParamsError, Text, Workflow
from operators.filter.input_filter import InputFilter
from tests.factories import image_data, text_data


def _passes(root: Data, frame_index: int | None = None, **params: object) -> bool:
    op = InputFilter(InputFilter.Params(**params))
    data = Data(concepts=[Concept(id="upstream")])  # what an upstream node handed on
    out = op.process(data, Context(root=root, frame_index=frame_index))
    assert out is None or out is data
    return out is not None


@pytest.mark.parametrize(
    ("root", "types", "expected"),
    [
        (text_data("hi"), ["text"], True),
        (text_data("hi"), ["image", "video"], False),
        (image_data(), ["image"], True),
        (image_data(), ["text"], False),
        (image_data(), [], True),
    ],
)
def test_input_types(root: Data, types: list[str], expected: bool) -> None:
    assert _passes(root, input_types=types) is expected


def test_video_frames_count_as_video_not_image() -> None:
    frame = image_data()
    assert _passes(frame, frame_index=3, input_types=["video"])
    assert not _passes(frame, frame_index=3, input_types=["image"])


def test_metadata_is_matched_as_a_subset() -> None:
    root = Data(text=Text(raw="x"), metadata={"source": "cam1", "site": {"id": 4, "zone": "a"}})
    assert _passes(root, metadata={"source": "cam1"})
    assert _passes(root, metadata={"site": {"zone": "a"}})
    assert not _passes(root, metadata={"source": "cam2"})
    assert not _passes(root, metadata={"missing": 1})
    assert not _passes(text_data("x"), metadata={"source": "cam1"})


def test_concepts_any_of_with_minimum_value() -> None:
    root = Data(
        text=Text(raw="x"), concepts=[Concept(id="cat", value=1.0), Concept(id="dog", value=0.0)]
    )
    assert _passes(root, concepts=[{"id": "cat"}])
    assert not _passes(root, concepts=[{"id": "dog"}])  # a negative label does not match
    assert _passes(root, concepts=[{"id": "dog", "value": 0.0}, {"id": "bird"}])


def test_all_criteria_must_hold() -> None:
    root = Data(text=Text(raw="x"), metadata={"a": 1})
    assert not _passes(root, input_types=["text"], metadata={"a": 2})
    assert _passes(root, input_types=["text"], metadata={"a": 1})


def test_one_node_graph() -> None:
    yaml_text = """
workflow:
  id: inf
  nodes:
    - id: only-text
      model:
        model_id: only-text
        model_type_id: input-filter
        output_info:
          params:
            input_types: [text]
            metadata: {lang: en}
"""
    resp = Workflow.from_yaml(yaml_text).predict(
        [
            {"data": {"text": {"raw": "keep"}, "metadata": {"lang": "en"}}},
            {"data": {"text": {"raw": "drop"}, "metadata": {"lang": "fr"}}},
        ]
    )
    assert resp.results[0].outputs[0].data.text.raw == "keep"
    assert resp.results[1].outputs[0].data.text is None


def test_rejections() -> None:
    wf = Workflow("inf")
    with pytest.raises(ParamsError, match="input_types"):
        wf.add("input-filter", params={"input_types": ["pdf"]})
    with pytest.raises(ParamsError, match="metadata"):
        wf.add("input-filter", params={"metadata": "lang=en"})
    with pytest.raises(ParamsError, match=r"concept 'cat': value 2\.0 is not within 0\.\.1"):
        wf.add("input-filter", concepts=[{"id": "cat", "value": 2}])
    with pytest.raises(ParamsError, match="id or a name"):
        wf.add("input-filter", concepts=[{"value": 1.0}])
