"""engine/executor_results.py: shown outputs, token counts, shared per-node templates."""

from __future__ import annotations

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import Data, Workflow
from tests.factories import concepts, text_data


def _keep_chain() -> Workflow:
    wf = Workflow("w")
    a = wf.add("test-keep-above", id="a", params={"min_value": 0.3})
    wf.add("test-keep-above", id="b", inputs=[a], params={"min_value": 0.8})
    return wf


def test_suppress_output_hides_a_node_but_runs_it() -> None:
    wf = Workflow("w")
    up = wf.add("test-upper", id="hidden", suppress_output=True)
    wf.add("test-upper", id="shown", inputs=[up])
    result = wf.predict([text_data("a")]).results[0]
    assert [o.id for o in result.outputs] == ["shown"]
    assert result.outputs[0].data.text is not None and result.outputs[0].data.text.raw == "A"


def test_token_counts_reach_the_output_only_from_nodes_that_count_them() -> None:
    wf = Workflow("usage")
    first = wf.add("test-usage", id="llm")
    wf.add("test-upper", id="after", inputs=[first])
    outputs = wf.predict([{"text": {"raw": "hi"}}]).results[0].outputs
    assert (outputs[0].prompt_tokens, outputs[0].completion_tokens) == (11, 4)
    assert outputs[0].cached_tokens == 8
    assert outputs[0].to_dict()["completion_tokens"] == 4
    assert outputs[1].prompt_tokens is None and "prompt_tokens" not in outputs[1].to_dict()


def test_outputs_of_one_node_share_its_model_and_ok_status_but_not_their_fields() -> None:
    wf = _keep_chain()
    first, second = wf.predict([Data(concepts=concepts({"cat": 0.9}))] * 2).results
    assert first.outputs[0].model is second.outputs[0].model
    assert first.outputs[0].model is not None and first.outputs[0].model.id == "a"
    first.outputs[0].id = "changed"  # a caller's change to one result stays in it
    assert second.outputs[0].id == "a"
    assert first.outputs[0].to_dict()["data"] == second.outputs[0].to_dict()["data"]
