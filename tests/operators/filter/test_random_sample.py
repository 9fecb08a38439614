"""random-sample: keep_fraction on average, reproducible with a seed."""

from __future__ import annotations

import pytest

from engine import Context, ParamsError, Workflow
from operators.filter.random_sample import RandomSample
from tests.factories import text_data


def _kept(op: RandomSample, n: int, frame_index: int | None = None) -> list[int]:
    data = text_data("x")
    return [
        i
        for i in range(n)
        if op.process(data, Context(root=data, input_index=i, node_id="s", frame_index=frame_index))
        is not None
    ]


@pytest.mark.parametrize(("fraction", "expected"), [(0.0, 0), (1.0, 400)])
def test_extremes(fraction: float, expected: int) -> None:
    op = RandomSample(RandomSample.Params(keep_fraction=fraction))
    assert len(_kept(op, 400)) == expected


def test_keeps_the_fraction_on_average() -> None:
    op = RandomSample(RandomSample.Params(keep_fraction=0.3, seed=1))
    assert 0.25 < len(_kept(op, 2000)) / 2000 < 0.35


def test_seed_reproduces_the_same_sample_across_instances_and_order() -> None:
    a = RandomSample(RandomSample.Params(keep_fraction=0.5, seed=42))
    b = RandomSample(RandomSample.Params(keep_fraction=0.5, seed=42))
    c = RandomSample(RandomSample.Params(keep_fraction=0.5, seed=43))
    assert _kept(a, 100) == _kept(b, 100)
    assert _kept(a, 100) != _kept(c, 100)
    data = text_data("x")
    backwards = [
        i
        for i in reversed(range(100))
        if b.process(data, Context(root=data, input_index=i, node_id="s")) is not None
    ]
    assert sorted(backwards) == _kept(a, 100)


def test_frames_draw_independently() -> None:
    op = RandomSample(RandomSample.Params(keep_fraction=0.5, seed=7))
    assert _kept(op, 64, frame_index=0) != _kept(op, 64, frame_index=1)


def test_passes_data_unchanged() -> None:
    data = text_data("hello")
    op = RandomSample(RandomSample.Params(keep_fraction=1.0))
    assert op.process(data, Context(root=data)) is data


def test_one_node_graph_is_reproducible() -> None:
    yaml_text = """
workflow:
  id: rs
  nodes:
    - id: sample
      model:
        model_id: sample
        model_type_id: random-sample
        output_info:
          params: {keep_fraction: 0.5, seed: 3}
"""
    inputs = [{"data": {"text": {"raw": f"t{i}"}}} for i in range(20)]

    def kept() -> list[int]:
        resp = Workflow.from_yaml(yaml_text).predict(inputs)
        return [i for i, r in enumerate(resp.results) if r.outputs[0].data.text is not None]

    first = kept()
    assert first == kept()
    assert 0 < len(first) < 20


@pytest.mark.parametrize(
    ("params", "match"),
    [({"keep_fraction": 1.5}, "keep_fraction"), ({"keep_fraction": 0.5, "sed": 1}, "seed")],
)
def test_rejections(params: dict, match: str) -> None:
    wf = Workflow("rs")
    with pytest.raises(ParamsError, match=match):
        wf.add("random-sample", params=params)
