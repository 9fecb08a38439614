"""The params every tracker shares; each tracker's Params adds its own."""

from __future__ import annotations

from pydantic import Field

from engine import BaseParams
from operators.track._assign import Strategy

__all__ = ["TrackerParams"]


class TrackerParams(BaseParams):
    track_id_prefix: str = Field("", description="prefix of the reported track_id strings")
    class_aware: bool = Field(
        True,
        description="a track only takes detections of its own class (the region's top "
        "concept); regions without concepts match any track",
    )
    strategy: Strategy = Field("hungarian", description="assignment: hungarian or greedy")
