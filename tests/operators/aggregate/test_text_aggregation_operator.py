"""text-aggregation-operator: OCR words into lines, in reading order."""

from __future__ import annotations

import pytest

from engine import Context, Data, ParamsError, Region, Text, Workflow
from operators.aggregate.text_aggregation_operator import TextAggregationOperator
from tests.factories import region

Params = TextAggregationOperator.Params


def _word(text: str, x: float, y: float, w: float = 0.08, h: float = 0.04) -> Region:
    r = region((x, y, x + w, y + h))
    return r.model_copy(update={"data": Data(text=Text(raw=text))})


def _aggregate(regions: list[Region], **params: float) -> str:
    data = Data(regions=regions)
    out = TextAggregationOperator(Params(**params)).process(data, Context(root=data))
    assert out is not None and out.text is not None and out.text.raw is not None
    return out.text.raw


def test_reading_order_from_shuffled_words() -> None:
    words = [
        _word("world", 0.20, 0.10),
        _word("second", 0.10, 0.20),
        _word("hello", 0.10, 0.10),
        _word("line", 0.20, 0.201),
    ]
    assert _aggregate(words) == "hello world\nsecond line"


def test_small_vertical_jitter_stays_on_one_line() -> None:
    words = [_word("a", 0.10, 0.100), _word("b", 0.20, 0.108), _word("c", 0.30, 0.095)]
    assert _aggregate(words) == "a b c"


def test_wide_gap_splits_columns_read_left_then_right() -> None:
    words = [
        _word("left1", 0.05, 0.10),
        _word("right1", 0.70, 0.10),
        _word("left2", 0.05, 0.20),
        _word("right2", 0.70, 0.20),
    ]
    # With a narrow width window the two columns are separate lines, read row by row.
    assert _aggregate(words) == "left1\nright1\nleft2\nright2"
    # A wide window joins them into one line per row.
    assert _aggregate(words, avg_word_width_window_factor=10.0) == "left1 right1\nleft2 right2"


def test_height_window_factor_controls_line_merging() -> None:
    words = [_word("up", 0.10, 0.10), _word("down", 0.20, 0.13)]  # centres 0.03 apart, h=0.04
    assert _aggregate(words) == "up\ndown"
    assert _aggregate(words, avg_word_height_window_factor=2.0) == "up down"


def test_regions_without_text_are_ignored_and_boxless_text_goes_last() -> None:
    loose = Region(data=Data(text=Text(raw="footer")))
    words = [region((0.5, 0.5, 0.6, 0.6)), loose, _word("title", 0.1, 0.1)]
    assert _aggregate(words) == "title\nfooter"


def test_no_text_gives_empty_text() -> None:
    assert _aggregate([]) == ""


def test_clarifai_example_params_in_a_graph() -> None:
    yaml_text = """
workflow:
  id: ta
  nodes:
    - id: text-aggregator
      model:
          model_id: text-aggregation
          model_type_id: text-aggregation-operator
          output_info:
            params:
              avg_word_width_window_factor: 2.0
              avg_word_height_window_factor: 1.0
"""
    regions = [_word("b", 0.2, 0.1).to_dict(), _word("a", 0.1, 0.1).to_dict()]
    resp = Workflow.from_yaml(yaml_text).predict([{"data": {"regions": regions}}])
    assert resp.results[0].outputs[0].data.text.raw == "a b"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"avg_word_width_window_factor": 0}, "avg_word_width_window_factor"),
        ({"avg_word_height_window_factor": -1}, "avg_word_height_window_factor"),
        ({"avg_word_width_factor": 2}, "did you mean"),
    ],
)
def test_rejections(params: dict, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("ta").add("text-aggregation-operator", params=params)
