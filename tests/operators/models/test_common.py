"""operators/models/_common.py: the detection regions every local detector outputs."""

from __future__ import annotations

import numpy as np

from engine import BoundingBox, Concept, Data, Region, RegionInfo, geometry
from operators.models._common import (
    Detections,
    OutputFilterParams,
    keep_detections,
    regions_from_detections,
)


def _validated(dets: Detections) -> list[Region]:
    """The regions as validating every message makes them (what the detectors once did)."""
    boxes = geometry.clip(dets.boxes)
    out = []
    for k, (box, score) in enumerate(zip(boxes, dets.scores, strict=True)):
        label = dets.labels[k]
        x1, y1, x2, y2 = (float(v) for v in box)
        out.append(
            Region(
                id=geometry.region_id(box, label),
                region_info=RegionInfo(
                    bounding_box=BoundingBox(top_row=y1, left_col=x1, bottom_row=y2, right_col=x2)
                ),
                data=Data(concepts=[Concept(id=label, name=label, value=float(score))]),
                value=float(score),
                track_id=dets.track_ids[k],
            )
        )
    return out


def _busy(n: int = 60) -> Detections:
    rng = np.random.default_rng(7)
    xy = rng.uniform(-0.1, 0.9, (n, 2))  # some boxes start outside the image: clipped
    boxes = np.concatenate([xy, xy + rng.uniform(0.01, 0.3, (n, 2))], axis=1)
    scores = rng.uniform(0.05, 1.0, n)
    labels = [("car", "person", "bicycle")[k % 3] for k in range(n)]
    return Detections(boxes, scores, labels, [str(k) if k % 2 else None for k in range(n)])


def test_detection_regions_are_what_validation_makes() -> None:
    dets = _busy()
    fast, slow = regions_from_detections(dets), _validated(dets)
    assert fast == slow
    assert [r.to_dict() for r in fast] == [r.to_dict() for r in slow]
    assert [r.model_dump_json() for r in fast] == [r.model_dump_json() for r in slow]
    assert Data(regions=fast).to_dict() == Data(regions=slow).to_dict()
    inner = [r.data for r in fast if r.data is not None]
    assert all(type(r.value) is float and type(d.concepts[0].value) is float
               for r, d in zip(fast, inner, strict=True))  # plain Python values
    assert len({id(d.regions) for d in inner}) == len(fast)  # lists of their own, as validated
    assert regions_from_detections(Detections(np.zeros((0, 4)), np.zeros(0), [])) == []


def test_keep_detections_filters_sorts_and_caps() -> None:
    dets = _busy(30)
    kept = keep_detections(dets, OutputFilterParams(min_value=0.5), 8)
    expected = [i for i in np.argsort(-dets.scores, kind="stable") if dets.scores[i] >= 0.5][:8]
    assert kept.scores.tolist() == dets.scores[expected].tolist()
    assert kept.labels == [dets.labels[i] for i in expected]
    assert kept.track_ids == [dets.track_ids[i] for i in expected]
    params = OutputFilterParams(select_concepts=[{"id": "car"}])
    assert set(keep_detections(dets, params, 100).labels) == {"car"}
    assert len(keep_detections(dets, OutputFilterParams(min_value=1.0), 5)) == 0
