"""Regression check of every tracker's MOTA / IDF1 / ID switches on small synthetic scenes.

The figures live in golden_metrics.json; an intended change is recorded by running
``python -m tests.operators.track._scenes --update`` (and saying why in the commit).
"""

from __future__ import annotations

import json

import pytest

from tests.operators.track import _scenes

GOLDEN = json.loads(_scenes.GOLDEN.read_text())
CASES = [(t, s) for t in GOLDEN for s in GOLDEN[t]]


@pytest.mark.parametrize("tracker,scene", CASES)
def test_metrics_match_the_golden_file(tracker: str, scene: str) -> None:
    import operators.track as track

    sc = _scenes.SCENES[scene]()
    got = _scenes.metrics(sc, _scenes.run(getattr(track, tracker)(), sc,
                                          tracker == "KalmanReidTracker"))
    want = GOLDEN[tracker][scene]
    assert got["MOTA"] == pytest.approx(want["MOTA"], abs=0.005), got
    assert got["IDF1"] == pytest.approx(want["IDF1"], abs=0.005), got
    assert got["IDSW"] == want["IDSW"], got  # deterministic: any change is a real one


def test_the_scene_metrics_are_right_on_ground_truth() -> None:
    sc = _scenes.SCENES["crossing"]()
    oracle = [g[:, [0, 1, 2, 3, 4]] for g in sc.gt]
    assert _scenes.metrics(sc, oracle) == {"MOTA": 1.0, "IDF1": 1.0, "IDSW": 0}
