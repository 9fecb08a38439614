"""engine/executor.py: branches, stops, failures, state, threads, the order nodes run in."""

from __future__ import annotations

import threading

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import (
    Context,
    Data,
    Operator,
    StatusCode,
    Workflow,
    register,
)
from tests.factories import concepts, text_data


def _keep_chain() -> Workflow:
    wf = Workflow("w")
    a = wf.add("test-keep-above", id="a", params={"min_value": 0.3})
    wf.add("test-keep-above", id="b", inputs=[a], params={"min_value": 0.8})
    return wf


def test_outputs_follow_yaml_order_and_filtering_stops_only_that_input() -> None:
    wf = _keep_chain()
    high = Data(concepts=concepts({"cat": 0.9, "dog": 0.4}))
    low = Data(concepts=concepts({"cat": 0.2}))
    resp = wf.predict([high, low])
    assert resp.status.code == StatusCode.SUCCESS
    first, second = resp.results
    assert [o.id for o in first.outputs] == ["a", "b"]
    assert [c.id for c in first.outputs[1].data.concepts] == ["cat"]
    # the low input is filtered out at 'a': both its outputs are there, empty, successful
    assert second.outputs[0].data.is_empty() and second.outputs[1].data.is_empty()
    assert second.status.code == StatusCode.SUCCESS


def test_one_failing_input_gives_mixed_status_and_the_rest_completes() -> None:
    wf = Workflow("w")
    up = wf.add("test-upper", id="up")
    wf.add("test-upper", id="again", inputs=[up])
    resp = wf.predict([text_data("hello"), text_data("boom"), {"data": {"text": {"raw": "x"}}}])
    assert resp.status.code == StatusCode.MIXED_STATUS
    ok, bad, ok2 = resp.results
    assert ok.outputs[1].data.text is not None and ok.outputs[1].data.text.raw == "HELLO"
    assert bad.outputs[0].status.code == StatusCode.FAILURE
    assert "RuntimeError: exploded" in (bad.outputs[0].status.details or "")
    assert "input node 'up' failed" in (bad.outputs[1].status.details or "")
    assert ok2.status.code == StatusCode.SUCCESS


def test_all_failing_gives_failure() -> None:
    wf = Workflow("w")
    wf.add("test-upper")
    assert wf.predict([text_data("boom")]).status.code == StatusCode.FAILURE


def test_bad_request_input_is_refused_alone() -> None:
    wf = Workflow("w")
    wf.add("test-upper")
    resp = wf.predict([{"data": {"text": {"raw": "a"}}}, {"data": {"bogus": 1}}, 42])
    assert [r.status.code for r in resp.results] == [
        StatusCode.SUCCESS,
        StatusCode.INPUT_INVALID_ARGUMENT,
        StatusCode.INPUT_INVALID_ARGUMENT,
    ]
    assert "bogus" in (resp.results[1].status.details or "")


def test_state_is_per_input_stream() -> None:
    wf = Workflow("w")
    wf.add("test-counter")
    resp = wf.predict([text_data("a"), text_data("b")])
    assert [r.outputs[0].data.metadata for r in resp.results] == [
        {"n": 1, "stream": "0"},
        {"n": 1, "stream": "1"},
    ]


@register
class _Meet(Operator):
    """Waits until two inputs are in process() at once: only concurrent runs get through."""

    type_id = "test-meet-io"
    reads = ("text",)
    writes = ("text",)
    io_bound = True
    barrier = threading.Barrier(2, timeout=10)

    def process(self, data: Data, ctx: Context) -> Data | None:
        _Meet.barrier.wait()  # raises BrokenBarrierError if the other input never comes
        return data


def test_io_bound_nodes_serve_several_inputs_at_once() -> None:
    _Meet.barrier.reset()
    wf = Workflow("w")
    wf.add("test-meet-io", id="a")
    resp = wf.predict([text_data("1"), text_data("2")])
    assert resp.status.code == StatusCode.SUCCESS, resp.results[0].outputs[0].status


def test_io_bound_branches_run_at_once() -> None:
    _Meet.barrier.reset()
    wf = Workflow("w")
    wf.add("test-meet-io", id="a")
    wf.add("test-meet-io", id="b")  # one input: only the two branches can meet
    resp = wf.predict([text_data("1")])
    assert resp.status.code == StatusCode.SUCCESS, resp.results[0].outputs[0].status


def test_a_refused_input_keeps_its_id_and_the_others_their_numbers() -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    resp = wf.predict([{"id": "bad-one", "data": {"bogus": 1}}, text_data("no image")])
    refused, second = resp.results
    assert refused.input is not None and refused.input.id == "bad-one"
    assert "input 1 has none" in (second.outputs[0].status.details or "")


def test_on_node_is_told_each_node_s_time_on_each_input() -> None:
    wf = _keep_chain()
    told: list[tuple[str, float]] = []
    high = Data(concepts=concepts({"cat": 0.9}))
    low = Data(concepts=concepts({"cat": 0.2}))  # stopped at 'a': 'b' does not run on it
    wf.predict([high, low], on_node=lambda node, s: told.append((node, s)))
    assert sorted(n for n, _ in told) == ["a", "a", "b"]
    assert all(s >= 0 for _, s in told)


def test_on_node_hears_failed_nodes_and_io_bound_nodes_from_their_threads() -> None:
    _Meet.barrier.reset()
    wf = Workflow("w")
    wf.add("test-meet-io", id="io")
    wf.add("test-upper", id="up")
    told: list[str] = []
    lock = threading.Lock()

    def hear(node: str, seconds: float) -> None:
        with lock:
            told.append(node)

    wf.predict([text_data("boom"), text_data("2")], on_node=hear)
    assert sorted(told) == ["io", "io", "up", "up"]  # 'boom' fails in 'up': still timed


_LOG: list[tuple[str, int]] = []  # (node id, input index) as test-log-order ran


@register
class _Log(Operator):
    """Appends (node id, input index) to a shared log; raises on input 1 of node 'b'."""

    type_id = "test-log-order"
    writes = ("concepts",)

    def process(self, data: Data, ctx: Context) -> Data | None:
        _LOG.append((ctx.node_id, ctx.input_index))
        if ctx.node_id == "b" and ctx.input_index == 1:
            raise RuntimeError("b fails on input 1")
        return data


def test_cpu_bound_graphs_run_input_by_input_in_plan_order() -> None:
    # given a chain a -> b and a branch c, all CPU-bound, outside an App
    _LOG.clear()
    wf = Workflow("w")
    a = wf.add("test-log-order", id="a")
    wf.add("test-log-order", id="b", inputs=[a])
    wf.add("test-log-order", id="c")
    # when three inputs run
    resp = wf.predict([text_data(str(i)) for i in range(3)], workers=1)
    # then each input goes through every node (level by level) before the next input
    assert _LOG == [(n, i) for i in range(3) for n in ("a", "c", "b")]
    # and a node's failure stays with its input, the others complete
    assert [r.status.code for r in resp.results] == [
        StatusCode.SUCCESS,
        StatusCode.FAILURE,
        StatusCode.SUCCESS,
    ]
    assert "b fails on input 1" in (resp.results[1].outputs[1].status.details or "")
    assert resp.results[1].outputs[2].status.code == StatusCode.SUCCESS


def test_an_app_batch_runs_node_by_node() -> None:
    # an App's nodes may share what they write (pending annotations): the order stays
    _LOG.clear()
    wf = Workflow("w")
    a = wf.add("test-log-order", id="a")
    wf.add("test-log-order", id="c", inputs=[a])
    wf.predict([text_data("0"), text_data("1")], app=object(), workers=1)
    assert _LOG == [("a", 0), ("a", 1), ("c", 0), ("c", 1)]


def test_on_step_counts_every_node_step_of_a_batch() -> None:
    wf = _keep_chain()
    steps: list[tuple[int, int]] = []
    high = Data(concepts=concepts({"cat": 0.9}))
    low = Data(concepts=concepts({"cat": 0.2}))  # stopped at 'a': 'b' still counts as a step
    resp = wf.predict([high, low], on_step=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [c.id for c in resp.results[0].outputs[1].data.concepts] == ["cat"]
