"""rag-prompter: template substitution, search params, the app end to end, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import Context, Data, Hit, Input, InputError, ParamsError, Text, Workflow
from engine.app import App
from engine.proto import MultiSearchResponse
from operators.prompt.rag_prompter import RagPrompter
from tests.factories import text_data

# The five inputs of Clarifai's RAG Prompter walkthrough, and its question.
MACHINERY = [
    "The audit findings indicate that $460,000 was expended on machinery repairs during the "
    "previous twelve months.",
    "The total expenditure allocated to machinery repairs in the 2022 fiscal year amounted to "
    "$500,000.",
    "The expenses for machinery repairs in the year 2021 totaled $550,000, reflecting increased "
    "maintenance requirements.",
    "The financial records indicate that $480,000 was disbursed for machinery repairs during 2020 "
    "calendar year.",
    "During the 2019 fiscal year, the organization disbursed $475,000 on machinery repairs to "
    "ensure operational efficiency.",
]
QUESTION = "How much was spent on machinery repairs in 2020?"
TEMPLATE = (
    "Context information is below: {data.hits} Given the context information and not prior "
    "knowledge, answer the query.Query: {data.text.raw} Answer: "
)


class _FakeApp:
    """Records the search call and answers with fixed hits."""

    def __init__(self, texts: list[str]) -> None:
        self.texts, self.calls = texts, []  # type: list[str], list[dict[str, Any]]

    def search(self, **kwargs: Any) -> MultiSearchResponse:
        self.calls.append(kwargs)
        return MultiSearchResponse(
            hits=[
                Hit(score=1.0 - i / 10, input=Input(id=str(i), data=Data(text=Text(raw=t))))
                for i, t in enumerate(self.texts)
            ]
        )


def _run(params: dict[str, Any], data: Data, app: Any) -> Data | None:
    op = RagPrompter(RagPrompter.Params(**params))
    return op.process(data, Context(root=data, app=app))


def test_hits_go_in_newline_separated_best_first_and_the_query_everywhere() -> None:
    app = _FakeApp(["first {data.text.raw}", "second"])
    template = "Q: {data.text.raw}\nC:\n{data.hits}\nQ again: {data.text.raw}"
    out = _run({"prompt_template": template}, text_data("why {data.hits}?"), app)
    assert out is not None and out.text is not None
    # placeholders inside the query or the hits are never expanded
    assert out.text.raw == (
        "Q: why {data.hits}?\nC:\nfirst {data.text.raw}\nsecond\nQ again: why {data.hits}?"
    )
    assert [h.input.id for h in out.hits] == ["0", "1"]


def test_search_params_reach_the_app() -> None:
    app = _FakeApp([])
    params = {
        "min_score": 0.3,
        "max_results": 2,
        "dataset_ids": ["d"],
        "metadata": '{"team": "ops"}',
    }
    _run(params, text_data("q"), app)
    assert app.calls == [
        {
            "text": "q",
            "dataset_ids": ["d"],
            "metadata": {"team": "ops"},
            "min_score": 0.3,
            "max_results": 2,
        }
    ]


@pytest.mark.parametrize(
    ("given", "searched"),
    [
        ("d1", ["d1"]),
        ("d1, d2,d3", ["d1", "d2", "d3"]),
        ("d1,,d2,", ["d1", "d2"]),
        (["d1", "d2"], ["d1", "d2"]),
        ("", None),
        ([], None),
    ],
)
def test_dataset_ids_take_one_id_a_comma_separated_string_or_a_list(
    given: Any, searched: list[str] | None
) -> None:
    app = _FakeApp([])
    _run({"dataset_ids": given}, text_data("q"), app)
    assert app.calls[0]["dataset_ids"] == searched


def test_dataset_ids_as_text_in_a_workflow_file(tmp_path: Path) -> None:
    flow = tmp_path / "rag.yml"
    flow.write_text(
        "workflow:\n  id: rag\n  nodes:\n    - id: rag\n      model:\n"
        "        model_id: rag\n        model_type_id: rag-prompter\n"
        "        output_info:\n          params: {dataset_ids: 'manuals, faq'}\n"
    )
    wf = Workflow.from_yaml(str(flow))
    node = wf.compile().nodes[0]
    assert node.params.dataset_ids == ["manuals", "faq"]  # type: ignore[union-attr]


def test_no_app_or_no_text_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"app\.predict"):
        _run({}, text_data("q"), None)
    with pytest.raises(InputError, match=r"needs text\.raw"):
        _run({}, Data(), _FakeApp([]))


def test_machinery_repairs_2020_is_the_top_hit_with_the_default_embedder(tmp_path: Path) -> None:
    app = App(tmp_path / "app")  # the built-in text base workflow: the hashing embedder
    app.add_inputs([{"text": {"raw": t}} for t in MACHINERY])
    yaml = f"""
workflow:
  id: wf-rag
  nodes:
    - id: rag-prompter
      model:
        model_id: rag-prompter
        model_type_id: rag-prompter
        output_info:
          params:
            prompt_template: "{TEMPLATE}"
            max_results: 3
"""
    result = app.predict(yaml, [{"text": {"raw": QUESTION}}]).results[0]
    out = result.outputs[0].data
    assert result.status.code == 10000
    assert out.hits[0].input.data.text.raw == MACHINERY[3]
    assert len(out.hits) == 3
    assert out.text.raw.startswith(f"Context information is below: {MACHINERY[3]}\n")
    assert out.text.raw.endswith(f"Query: {QUESTION} Answer: ")


def test_one_node_graph_without_an_app_reports_the_error_per_input() -> None:
    wf = Workflow("rag")
    wf.add("rag-prompter", id="rag")
    result = wf.predict([{"text": {"raw": QUESTION}}]).results[0]
    assert result.outputs[0].status.code != 10000
    assert "app.predict" in (result.outputs[0].status.details or "")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"prompt_template": "only {data.text.raw}"}, r"must contain \{data.hits\}"),
        ({"prompt_template": "{data.hits}"}, r"must contain \{data.text.raw\}"),
        ({"min_score": 1.5}, "min_score"),
        ({"max_results": 0}, "max_results"),
        ({"metadata": "{oops"}, "metadata.*not JSON"),
        ({"top_k": 3}, "unknown param 'top_k'"),
        ({"dataset_ids": ["a", " "]}, "dataset_ids.*may not be empty"),
        ({"dataset_ids": ",".join(["d"] * 1001)}, "dataset_ids.*at most 1000"),
        ({"dataset_ids": 7}, "dataset_ids"),
    ],
)
def test_bad_params_are_refused(params: dict[str, Any], match: str) -> None:
    wf = Workflow("rag")
    with pytest.raises(ParamsError, match=match):
        wf.add("rag-prompter", id="rag", params=params)
