"""The part every tracker operator shares: regions in, the same regions with ``track_id`` out.

One frame at a time: the regions' fractional boxes become pixel detections (the frame's
size comes from its image, or from the nearest upstream image), the per-stream tracker in
``ctx.state`` updates, and each reported row names the detection it took, so its region is
copied with the track id, with no re-matching of boxes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from engine import (
    Concept,
    Context,
    Data,
    Operator,
    Region,
    RegionInfo,
    evolve,
    geometry,
)
from operators.track._assign import load_solver
from operators.track._base import REFERENCE_FPS

__all__ = ["TrackerOperator", "embeddings_of", "frame_pixels"]

# Without any image the boxes stay fractions, scaled so the numbers look like pixels.
FRACTION_SCALE = 1000


class TrackerOperator(Operator):
    """Base of the four tracker operators; subclasses set ``type_id``, ``Params`` and
    ``tracker_cls`` (a class from ``operators.track`` taking the params as keywords)."""

    tracker_cls: ClassVar[type[Any]]
    uses_embeddings: ClassVar[bool] = False
    # the tracker decides every reported box (kalman-reid-tracker's use_detect_box frames)
    reports_tracker_box: ClassVar[bool] = False
    reads: ClassVar[tuple[str, ...]] = ("regions",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "*")  # "*": the rest passes through
    # a frame on which the detector's branch stopped is still a frame: tracks age on it
    every_frame = True

    def __init__(self, params: Any) -> None:
        super().__init__(params)
        load_solver(getattr(params, "strategy", "hungarian"))
        # looked up once: a missing field costs pydantic an AttributeError per region
        self._report_smoothed = bool(getattr(params, "filtered_probability", False))
        self._prefix: str = params.track_id_prefix

    def _tracker(self, ctx: Context) -> Any:
        tracker = ctx.state.get("tracker")
        if tracker is None:
            fields = self.params.model_dump()
            # max_disappeared counts frames at 30 fps: the tracker rescales it to the
            # stream's sampled rate (a still input has none: the reference rate)
            rate = ctx.frame_rate or REFERENCE_FPS
            tracker = ctx.state["tracker"] = self.tracker_cls(frame_rate=rate, **fields)
            # after a reset of the stream (a live source back from a long gap) new tracks
            # go on from the ids given before it: an id never names two objects in a stream
            tracker.next_id = ctx.carry.get("next_id", 1)
            ctx.state["classes"] = {}
            ctx.state["concepts"] = {}
        return tracker

    def process(self, data: Data, ctx: Context) -> Data | None:
        tracker = self._tracker(ctx)
        regions = [r for r in data.regions if r.region_info and r.region_info.bounding_box]
        w, h = _frame_size(data, ctx)
        protos = [r.region_info.bounding_box for r in regions if r.region_info]
        boxes = geometry.to_pixels(geometry.boxes_from_proto(protos), w, h)
        dets = np.zeros((len(regions), 6))
        dets[:, :4] = boxes
        if regions:
            dets[:, 4:] = _scores_and_classes(regions, ctx.state["classes"])
        emb = self._embeddings(regions, boxes, data, ctx)
        if hasattr(tracker, "image_size"):
            tracker.image_size = (w, h)
        rows = _ordered(tracker.update(dets, emb))
        fractions = geometry.clip(geometry.to_fractions(rows[:, :4], w, h))  # one call a frame
        memory: dict[int, list[Concept]] = ctx.state["concepts"]
        # plain Python numbers from one tolist() each, not a numpy scalar per value
        out = [
            self._tracked(row, box, regions, memory)
            for row, box in zip(rows.tolist(), fractions.tolist(), strict=True)
        ]
        _forget_dropped(memory, tracker.live_ids())
        ctx.carry["next_id"] = tracker.next_id
        # the regions are this node's own, the rest of the frame's Data passes through as is
        return evolve(data, regions=out)

    def _embeddings(
        self, regions: list[Region], boxes: np.ndarray, data: Data, ctx: Context
    ) -> np.ndarray | None:
        """One row per region (``boxes``: theirs in pixels), or None without appearance."""
        return embeddings_of(regions) if self.uses_embeddings else None

    def _tracked(
        self, row: list[float], box: list[float], regions: list[Region], memory: dict[int, Any]
    ) -> Region:
        """The region of one reported row (``box``: its box in fractions): its detection's
        region with the track id (plus the tracker's box / smoothed score where the params
        ask), or a projected one."""
        number, det = int(row[4]), int(row[7])
        track_id = f"{self._prefix}{number}"
        if det < 0:  # a track reported at its predicted box while its detection is missing
            return Region(
                region_info=RegionInfo(bounding_box=geometry.box_to_proto(box)),
                data=Data(concepts=list(memory.get(number, [])), metadata={"projected": True}),
                value=row[5],
                track_id=track_id,
            )
        region = regions[det]
        if region.data is not None and region.data.concepts:
            memory[number] = list(region.data.concepts)
        # the values below are the engine's own (a string, a box, a float): no validation
        changes: dict[str, Any] = {"track_id": track_id}
        if self.reports_tracker_box:
            info = region.region_info or RegionInfo()
            changes["region_info"] = evolve(info, bounding_box=geometry.box_to_proto(box))
        if self._report_smoothed:
            changes["value"] = row[5]
        return evolve(region, **changes)


def frame_pixels(data: Data, ctx: Context) -> np.ndarray | None:
    """The frame's decoded image (this Data's or the nearest upstream one), if any."""
    src = data if data.image is not None else ctx.look_back(lambda d: d.image is not None)
    if src is None or src.image is None or not src.image.has_pixels:
        return None
    return src.image.array


def _frame_size(data: Data, ctx: Context) -> tuple[int, int]:
    src = data if data.image is not None else ctx.look_back(lambda d: d.image is not None)
    if src is None or src.image is None:
        return FRACTION_SCALE, FRACTION_SCALE
    info = src.image.image_info
    if info is not None and info.width and info.height:
        return int(info.width), int(info.height)
    if not src.image.has_pixels:
        return FRACTION_SCALE, FRACTION_SCALE
    h, w = src.image.array.shape[:2]
    return int(w), int(h)


def _scores_and_classes(regions: list[Region], classes: dict[str, int]) -> list[list[float]]:
    """Per region: its score (``value``, else its best concept's, else 1) and the index of
    its top concept's class in ``classes`` (-1 without concepts; new classes are added)."""
    out = []
    for region in regions:
        concepts = region.data.concepts if region.data is not None else []
        score = region.value
        if score is None:
            score = max((c.value for c in concepts), default=1.0)
        if concepts:
            top = max(concepts, key=_value) if len(concepts) > 1 else concepts[0]
            cls = classes.setdefault(top.id or top.name or "", len(classes))
        else:
            cls = -1
        out.append([float(score), cls])
    return out


def _value(concept: Concept) -> float:
    return concept.value


def embeddings_of(regions: list[Region]) -> np.ndarray | None:
    """One row per region; all zeros (unknown appearance) where a region has none."""
    vectors = [
        r.data.embeddings[0].vector if r.data and r.data.embeddings else None for r in regions
    ]
    dim = next((len(v) for v in vectors if v), 0)
    if dim == 0:
        return None
    out = np.zeros((len(regions), dim))
    for i, v in enumerate(vectors):
        if v and len(v) == dim:
            out[i] = v
    return out


def _forget_dropped(memory: dict[int, Any], live: np.ndarray) -> None:
    """Concepts are remembered only for tracks the tracker still holds."""
    for number in memory.keys() - set(live.tolist()):
        del memory[number]


def _ordered(rows: np.ndarray) -> np.ndarray:
    """Detected tracks in the input's region order, then the projected ones."""
    det = rows[:, 7]
    key = np.where(det >= 0, det, np.inf)
    return rows[np.argsort(key, kind="stable")]
