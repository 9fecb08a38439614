"""keyword-filter-operator: which configured words occur in the text."""

from __future__ import annotations

import pytest

from engine import Context, Data, InputError, ParamsError, Workflow
from operators.filter.keyword_filter_operator import KeywordFilterOperator
from tests.factories import image_data, text_data


def _found(text: str, **params: object) -> list[str] | None:
    op = KeywordFilterOperator(KeywordFilterOperator.Params(**params))
    data = text_data(text)
    out = op.process(data, Context(root=data))
    return None if out is None else [c.id for c in out.concepts]


def test_whole_words_case_insensitive_by_default() -> None:
    assert _found("The CAT sat; a category.", keywords=["cat", "dog"]) == ["cat"]
    assert _found("concatenate", keywords=["cat"]) is None


def test_case_sensitive() -> None:
    assert _found("The CAT sat", keywords=["cat"], case_sensitive=True) is None
    assert _found("The cat sat", keywords=["cat"], case_sensitive=True) == ["cat"]


def test_phrases_match_across_whitespace_and_win_over_their_first_word() -> None:
    found = _found("I like ice\n  cream and ice.", keywords=["ice", "ice cream"])
    assert found == ["ice cream", "ice"]


def test_concepts_give_words_and_output_ids() -> None:
    found = _found("refund please", concepts=[{"id": "c-refund", "name": "refund"}])
    assert found == ["c-refund"]


def test_each_word_reported_once_in_order_found() -> None:
    assert _found("dog cat dog", keywords=["cat", "dog"]) == ["dog", "cat"]


def test_special_characters_are_literal() -> None:
    assert _found("we use c++ daily", keywords=["c++", "a.b"]) == ["c++"]
    assert _found("axb", keywords=["a.b"]) is None


def test_text_passes_through() -> None:
    op = KeywordFilterOperator(KeywordFilterOperator.Params(keywords=["x"]))
    data = text_data("x y")
    out = op.process(data, Context(root=data))
    assert out is not None and out.text == data.text


def test_input_without_text_is_an_input_error() -> None:
    op = KeywordFilterOperator(KeywordFilterOperator.Params(keywords=["x"]))
    data = image_data()
    with pytest.raises(InputError, match="text"):
        op.process(data, Context(root=data))


def test_one_node_graph() -> None:
    wf = Workflow("kw")
    wf.add("keyword-filter-operator", id="kw", params={"keywords": ["urgent", "refund"]})
    resp = wf.predict(
        [{"data": {"text": {"raw": "URGENT: refund now"}}}, {"data": {"text": {"raw": "hello"}}}]
    )
    assert [c.id for c in resp.results[0].outputs[0].data.concepts] == ["urgent", "refund"]
    assert resp.results[1].outputs[0].data == Data()


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "at least one word"),
        ({"keywords": ["  "]}, "at least one word"),
        ({"keywords": "cat"}, "keywords"),
        ({"keyword": ["cat"]}, "did you mean 'keywords'"),
        # an empty concept would match at every punctuation mark
        ({"keywords": ["cat"], "concepts": [{}]}, "every concept needs an id or a name"),
        ({"concepts": [{"name": " "}]}, "every concept needs an id or a name"),
    ],
)
def test_rejections(params: dict, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("kw").add("keyword-filter-operator", params=params)
