"""Parts shared by the local model nodes: the input image, output filters, detection regions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from engine import (
    BaseParams,
    BoundingBox,
    Concept,
    ConceptSpec,
    Data,
    Region,
    RegionInfo,
    assembled,
    geometry,
)

__all__ = [
    "Detections",
    "OutputFilterParams",
    "keep_concepts",
    "keep_detections",
    "regions_from_detections",
]


class OutputFilterParams(BaseParams):
    """Clarifai's ``output_config`` filters, as params."""

    min_value: float = Field(
        0.0, ge=0.0, le=1.0, description="concepts (or detections) scoring below this are dropped"
    )
    select_concepts: list[ConceptSpec] = Field(
        default_factory=list,
        description="keep only these concepts (by id, else name); empty keeps all",
    )


def _selected(select: Sequence[ConceptSpec], concept_id: str) -> bool:
    return not select or any(c.matches(concept_id, concept_id) for c in select)


def keep_concepts(
    scores: np.ndarray, labels: Sequence[str], params: OutputFilterParams, max_concepts: int
) -> list[Concept]:
    """The best ``max_concepts`` concepts that pass ``min_value`` and ``select_concepts``."""
    order = np.argsort(-scores, kind="stable")
    out: list[Concept] = []
    for i in order:
        score = float(scores[i])
        if score < params.min_value:
            break
        if _selected(params.select_concepts, labels[i]):
            out.append(Concept(id=labels[i], name=labels[i], value=score))
            if len(out) == max_concepts:
                break
    return out


class Detections:
    """Boxes (``(N, 4)`` xyxy fractions of the image), scores and one label (a ``str``) each."""

    def __init__(
        self,
        boxes: np.ndarray,
        scores: np.ndarray,
        labels: Sequence[str],
        track_ids: Sequence[str | None] | None = None,
    ) -> None:
        self.boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
        self.scores = np.asarray(scores, dtype=np.float64).reshape(-1)
        self.labels = list(labels)
        self.track_ids = list(track_ids) if track_ids is not None else [None] * len(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, idx: np.ndarray) -> Detections:
        rows = idx.tolist()
        return Detections(
            self.boxes[idx],
            self.scores[idx],
            [self.labels[i] for i in rows],
            [self.track_ids[i] for i in rows],
        )


def keep_detections(dets: Detections, params: OutputFilterParams, max_n: int) -> Detections:
    """Detections passing ``min_value`` and ``select_concepts``, best first, at most ``max_n``."""
    order = np.argsort(-dets.scores, kind="stable")
    ok = order[dets.scores[order] >= params.min_value]
    if params.select_concepts:
        ok = ok[[_selected(params.select_concepts, dets.labels[i]) for i in ok.tolist()]]
    return dets.take(ok[:max_n])


def regions_from_detections(dets: Detections) -> list[Region]:
    """One region per detection: its box, one concept with the score, ``value`` = the score."""
    boxes = geometry.clip(dets.boxes)
    ids = geometry.region_ids(boxes, dets.labels)
    # plain floats from one tolist() each, not a numpy scalar per value
    rows = zip(boxes.tolist(), dets.scores.tolist(), dets.labels, dets.track_ids, ids, strict=True)
    return [_region(rid, box, label, score, track) for box, score, label, track, rid in rows]


def _region(rid: str, box: list[float], label: str, score: float, track: str | None) -> Region:
    """What ``Region(id=rid, region_info=RegionInfo(bounding_box=box), data=Data(concepts=
    [Concept(id=label, name=label, value=score)]), value=score, track_id=track)`` makes, at
    a third of the cost (a detector makes a dozen a frame): every value is one this module
    built (a hash, four floats of a box, a float, a ``str`` label and track id), so there is
    nothing to validate.  Every field, in field order, as ``assembled`` needs them."""
    concept = assembled(
        Concept,
        {"id": label, "name": label, "value": score, "app_id": None, "language": None,
         "vocab_id": None, "keypoint_info": None},
    )
    x1, y1, x2, y2 = box
    bounding_box = assembled(
        BoundingBox, {"top_row": y1, "left_col": x1, "bottom_row": y2, "right_col": x2}
    )
    info = assembled(
        RegionInfo,
        {"bounding_box": bounding_box, "mask": None, "polygon": None, "point": None,
         "span": None, "keypoint_locations": []},
    )
    data = assembled(
        Data,
        {"image": None, "video": None, "concepts": [concept], "metadata": None, "geo": None,
         "colors": [], "embeddings": [], "regions": [], "frames": [], "text": None,
         "audio": None, "hits": [], "clusters": []},
    )
    fields = {"id": rid, "region_info": info, "data": data, "value": score, "track_id": track}
    return assembled(Region, fields)
