"""tokens-to-entity-operator: per-token regions of a token classifier merged into entities."""

from __future__ import annotations

from typing import Any

import pytest

from engine import Context, Data, ParamsError, Workflow
from operators.aggregate.tokens_to_entity_operator import TokensToEntityOperator

Params = TokensToEntityOperator.Params
TEXT = "Ada Lovelace moved to New York in 1835."


def token(text: str, word: str, label: str, score: float = 0.9, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(word.removeprefix("##"), start + 1)
    end = start + len(word.removeprefix("##"))
    return {
        "region_info": {"span": {"char_start": start, "char_end": end, "raw_text": word}},
        "data": {"concepts": [{"id": label, "name": label, "value": score}]},
    }


def run(regions: list[dict[str, Any]], text: str | None = TEXT, **params: Any) -> list[tuple]:  # type: ignore[type-arg]
    root = Data.model_validate({"text": {"raw": text}} if text is not None else {})
    data = Data.model_validate({"regions": regions})
    out = TokensToEntityOperator(Params(**params)).process(data, Context(root=root))
    assert out is not None
    rows = []
    for r in out.regions:
        assert r.data is not None and r.data.text is not None
        span = r.region_info.span if r.region_info is not None else None
        where = (span.char_start, span.char_end) if span is not None else None
        rows.append(
            (r.data.text.raw, r.data.concepts[0].id, round(r.data.concepts[0].value, 3), where)
        )
    return rows


def test_b_and_i_tags_merge_new_york() -> None:
    regions = [
        token(TEXT, "Ada", "B-PER", 0.9),
        token(TEXT, "Lovelace", "I-PER", 0.7),
        token(TEXT, "moved", "O"),
        token(TEXT, "to", "O"),
        token(TEXT, "New", "B-LOC", 0.8),
        token(TEXT, "York", "I-LOC", 0.6),
        token(TEXT, "1835", "B-DATE", 0.5),
    ]
    assert run(regions) == [
        ("Ada Lovelace", "PER", 0.8, (0, 12)),
        ("New York", "LOC", 0.7, (22, 30)),
        ("1835", "DATE", 0.5, (34, 38)),
    ]


def test_b_starts_a_new_entity_and_labels_must_agree() -> None:
    text = "Paris London Berlin"
    regions = [
        token(text, "Paris", "B-LOC"),
        token(text, "London", "B-LOC"),
        token(text, "Berlin", "I-ORG"),
    ]
    assert [r[:2] for r in run(regions, text)] == [
        ("Paris", "LOC"),
        ("London", "LOC"),
        ("Berlin", "ORG"),
    ]


def test_untagged_same_labels_merge_when_adjacent_only() -> None:
    text = "New York, Paris"
    regions = [token(text, "New", "LOC"), token(text, "York", "LOC"), token(text, "Paris", "LOC")]
    # a comma lies between York and Paris: two entities
    assert [r[0] for r in run(regions, text)] == ["New York", "Paris"]


def test_word_pieces_join_without_a_space_and_bioes_ends() -> None:
    text = "Lovelace Babbage"
    regions = [
        token(text, "Love", "B-PER", 1.0),
        token(text, "##lace", "I-PER", 0.5),
        token(text, "Babbage", "S-PER"),
    ]
    assert run(regions, text, aggregation="max") == [
        ("Lovelace", "PER", 1.0, (0, 8)),
        ("Babbage", "PER", 0.9, (9, 16)),
    ]
    regions = [token(text, "Lovelace", "E-PER"), token(text, "Babbage", "I-PER")]
    assert [r[0] for r in run(regions, text)] == ["Lovelace", "Babbage"]


def test_without_offsets_or_text_tokens_join_by_their_own_text() -> None:
    regions = [
        {"data": {"concepts": [{"id": "B-LOC", "value": 0.9}], "text": {"raw": "New"}}},
        {"data": {"concepts": [{"id": "I-LOC", "value": 0.5}], "text": {"raw": "York"}}},
        {"data": {"concepts": [{"id": "I-LOC", "value": 0.5}], "text": {"raw": "##er"}}},
    ]
    assert run(regions, None, aggregation="min") == [("New Yorker", "LOC", 0.5, None)]


def test_min_value_skip_labels_and_regions_without_concepts() -> None:
    regions = [
        token(TEXT, "Ada", "B-PER", 0.2),
        token(TEXT, "New", "B-LOC"),
        token(TEXT, "York", "I-LOC"),
        {"data": {}},
    ]
    assert [r[0] for r in run(regions, min_value=0.5)] == ["New York"]
    assert [r[0] for r in run(regions, skip_labels=["LOC"])] == ["Ada"]
    assert run([]) == []


def test_out_of_range_offsets_do_not_crash() -> None:
    regions = [token(TEXT, "New", "B-LOC"), token(TEXT, "York", "I-LOC")]
    regions[1]["region_info"]["span"]["char_end"] = 10_000
    assert run(regions)[0][0] == "New York"
    regions[1]["region_info"]["span"].update(char_start=5, char_end=2)  # backwards: no offsets
    assert run(regions)[0][0] == "New York"


def test_graph_after_regions_from_a_json_input() -> None:
    wf = Workflow.from_yaml("""
workflow:
  id: ner
  nodes:
    - id: entities
      model:
        model_id: entities
        model_type_id: tokens-to-entity-operator
        output_info: {params: {aggregation: first}}
""")
    regions = [token(TEXT, "New", "B-LOC", 0.8), token(TEXT, "York", "I-LOC", 0.6)]
    out = wf.predict([{"data": {"regions": regions}}]).results[0].outputs[0]
    assert out.data.regions[0].data.concepts[0].value == pytest.approx(0.8)
    assert out.data.regions[0].data.text.raw == "New York"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{aggregation: median}", "aggregation"),
        ("{min_value: 1.5}", "min_value"),
        ("{skip_labels: O}", "skip_labels"),
        ("{merge: true}", "merge"),
    ],
)
def test_hostile_params_are_refused(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: t\n      model:\n        model_id: t\n"
            "        model_type_id: tokens-to-entity-operator\n"
            f"        output_info: {{params: {params}}}\n"
        )
