"""concept-thresholder: per-concept thresholds, the five comparisons, stopping the branch."""

from __future__ import annotations

import pytest

from engine import ConceptSpec, Context, Data, ParamsError, Workflow
from operators.filter.concept_thresholder import ConceptThresholder
from tests.factories import concepts

Params = ConceptThresholder.Params


def _run(
    values: dict[str, float], specs: list[dict[str, object]], kind: str | int | float
) -> Data | None:
    params = Params(concepts=[ConceptSpec(**s) for s in specs], concept_threshold_type=kind)
    data = Data(concepts=concepts(values))
    return ConceptThresholder(params).process(data, Context(root=data))


@pytest.mark.parametrize(
    ("kind", "kept"),
    [
        ("GREATER_THAN", ["high"]),
        ("GREATER_THAN_OR_EQUAL", ["high", "equal"]),
        ("EQUAL", ["equal"]),
        ("LESS_THAN", ["low"]),
        ("LESS_THAN_OR_EQUAL", ["equal", "low"]),
        (1, ["high"]),  # Clarifai's ValueComparator numbers are accepted too
        (5, ["equal"]),
        (1.0, ["high"]),  # Clarifai's Struct params carry numbers as doubles
        ("1", ["high"]),
        (" 3 ", ["low"]),
        (">=", ["high", "equal"]),
    ],
)
def test_comparisons(kind: str | int | float, kept: list[str]) -> None:
    specs = [{"id": c, "value": 0.5} for c in ("high", "equal", "low")]
    out = _run({"high": 0.9, "equal": 0.5, "low": 0.1}, specs, kind)
    assert out is not None
    assert [c.id for c in out.concepts] == kept


def test_thresholds_are_per_concept_and_unlisted_concepts_are_dropped() -> None:
    specs = [{"id": "cat", "value": 0.9}, {"id": "dog", "value": 0.2}]
    out = _run({"cat": 0.8, "dog": 0.3, "bird": 0.99}, specs, "GREATER_THAN")
    assert out is not None
    assert [c.id for c in out.concepts] == ["dog"]


def test_match_by_name_when_no_id() -> None:
    out = _run({"cat": 0.8}, [{"name": "cat", "value": 0.5}], "GREATER_THAN")
    assert out is not None and out.concepts[0].id == "cat"


def test_equal_tolerates_float32_rounding() -> None:
    out = _run({"cat": 0.949999988079071}, [{"id": "cat", "value": 0.95}], "EQUAL")
    assert out is not None


def test_nothing_passes_stops_the_branch() -> None:
    assert _run({"cat": 0.1}, [{"id": "cat", "value": 0.5}], "GREATER_THAN") is None
    assert _run({}, [{"id": "cat", "value": 0.5}], "GREATER_THAN") is None


def test_rest_of_the_data_passes_through_and_input_is_untouched() -> None:
    params = Params(concepts=[ConceptSpec(id="cat", value=0.5)])
    data = Data(concepts=concepts({"cat": 0.9, "dog": 0.9}), metadata={"k": 1})
    out = ConceptThresholder(params).process(data, Context(root=data))
    assert out is not None and out.metadata == {"k": 1}
    assert len(data.concepts) == 2


_YAML = """
workflow:
  id: ct
  nodes:
    - id: thresholder
      model:
        model_id: thresholder
        model_type_id: concept-thresholder
        output_info:
          data:
            concepts: [{id: cat, value: 0.5}, {id: dog, value: 0.8}]
          params:
            concept_threshold_type: KIND
"""


def test_one_node_graph() -> None:
    wf = Workflow.from_yaml(_YAML.replace("KIND", "GREATER_THAN"))
    inputs = [
        {"data": {"concepts": [{"id": "cat", "value": 0.6}, {"id": "dog", "value": 0.7}]}},
        {"data": {"concepts": [{"id": "dog", "value": 0.1}]}},
    ]
    resp = wf.predict(inputs)
    first = resp.results[0].outputs[0].data
    assert [c.id for c in first.concepts] == ["cat"]
    assert resp.results[1].outputs[0].data.concepts == []


def test_params_concepts_are_accepted_too() -> None:
    wf = Workflow("ct")
    wf.add("concept-thresholder", params={"concepts": [{"id": "cat", "value": 0.5}]})
    resp = wf.predict([{"data": {"concepts": [{"id": "cat", "value": 0.6}]}}])
    assert resp.results[0].outputs[0].data.concepts[0].id == "cat"


@pytest.mark.parametrize(
    ("yaml_text", "match"),
    [
        (_YAML.replace("KIND", "BIGGER"), "concept_threshold_type"),
        (_YAML.replace("KIND", "9"), "concept_threshold_type"),
        (_YAML.replace("KIND", "1.5"), "concept_threshold_type"),
        (_YAML.replace("KIND", "'9'"), "concept_threshold_type"),
        (
            _YAML.replace("concept_threshold_type", "concept_treshold_type").replace(
                "KIND", "EQUAL"
            ),
            "did you mean 'concept_threshold_type'",
        ),
        (
            _YAML.replace("[{id: cat, value: 0.5}, {id: dog, value: 0.8}]", "[]").replace(
                "KIND", "EQUAL"
            ),
            "concepts",
        ),
        (
            _YAML.replace("{id: cat, value: 0.5}", "{value: 0.5}").replace("KIND", "EQUAL"),
            "id or a name",
        ),
        (
            _YAML.replace("{id: cat, value: 0.5}", "{id: cat}").replace("KIND", "GREATER_THAN"),
            "concept 'cat' needs a threshold",
        ),
        (
            _YAML.replace("{id: cat, value: 0.5}", "{id: cat, value: 1.5}").replace(
                "KIND", "EQUAL"
            ),
            "concept 'cat': value 1.5 is not within 0..1",
        ),
        (
            _YAML.replace("{id: dog, value: 0.8}", "{name: Dog, value: -0.1}").replace(
                "KIND", "EQUAL"
            ),
            "concept 'Dog': value -0.1",
        ),
    ],
)
def test_bad_params_are_refused(yaml_text: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(yaml_text)
