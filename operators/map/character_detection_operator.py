"""``character-detection-operator``: a character detector's regions as OCR text regions."""

from __future__ import annotations

import itertools
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from engine import (
    BaseParams,
    Concept,
    Context,
    Data,
    InputError,
    Operator,
    Region,
    RegionInfo,
    Text,
    geometry,
    register,
)

__all__ = ["CharacterDetectionOperator"]


@register
class CharacterDetectionOperator(Operator):
    """Turns a visual detector's per-character regions into OCR-style text regions.

    A detector trained on characters (licence plates, meter dials, serial numbers) gives
    one region per character with the character as its concept.  Each region's best
    concept becomes ``data.text.raw`` (its name, or its id with ``use: id``), as OCR
    models write text, so ``text-aggregation-operator`` and everything after it read
    them.  With ``merge_words`` (the default) characters on one line whose gap is at most
    ``max_char_gap`` x the character height join into one word region: its box covers
    theirs, its text is theirs left to right and its ``value`` their mean score (the
    aggregator then puts spaces between words, not between letters).  Regions without a
    concept at ``min_value`` or above are dropped.

    Reads ``regions[].data.concepts``; writes ``regions`` (with ``regions[].data.text``).
    """

    type_id = "character-detection-operator"

    class Params(BaseParams):
        min_value: float = Field(
            0.0, ge=0.0, le=1.0, description="characters scoring below this are dropped"
        )
        use: Literal["name", "id"] = Field(
            "name", description="which of the concept's fields becomes the text"
        )
        merge_words: bool = Field(
            True, description="join neighbouring characters of a line into word regions"
        )
        max_char_gap: float = Field(
            0.6, ge=0.0, le=10.0,
            description="largest gap between two characters of a word, in character heights",
        )

    reads: ClassVar[tuple[str, ...]] = ("regions[].data.concepts",)
    writes: ClassVar[tuple[str, ...]] = ("regions", "regions[].data.text")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: CharacterDetectionOperator.Params = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        chars = [c for c in (self._character(r) for r in data.regions) if c is not None]
        if not self.params.merge_words or not chars:
            return Data(regions=[_text_region(r, t, s) for r, t, s in chars])
        width, height = _image_size(data, ctx)
        return Data(regions=self._words(chars, width, height))

    def _character(self, region: Region) -> tuple[Region, str, float] | None:
        concepts = region.data.concepts if region.data else []
        best: Concept | None = max(concepts, key=lambda c: c.value, default=None)
        p = self.params
        if best is None or best.value < p.min_value:
            return None
        text = (best.name or best.id) if p.use == "name" else best.id
        return (region, text, best.value) if text else None

    def _words(
        self, chars: list[tuple[Region, str, float]], width: int, height: int
    ) -> list[Region]:
        boxes = geometry.boxes_from_proto(
            [r.region_info.bounding_box if r.region_info else None for r, _, _ in chars]
        ) * np.array([width, height, width, height], dtype=np.float64)
        gap = self.params.max_char_gap
        words: list[list[int]] = []
        for i in np.lexsort((boxes[:, 0], boxes[:, 1])):  # top to bottom, then left to right
            word = next((w for w in words if _continues(boxes[w[-1]], boxes[i], gap)), None)
            if word is None:
                words.append([int(i)])
            else:
                word.append(int(i))
        spans = np.array([[*boxes[w, :2].min(axis=0), *boxes[w, 2:].max(axis=0)] for w in words])
        out = []
        for k in _reading_order(spans):
            word = sorted(words[k], key=lambda j: boxes[j, 0])
            text = "".join(chars[j][1] for j in word)
            score = float(np.mean([chars[j][2] for j in word]))
            box = geometry.to_fractions(spans[k][None], width, height)[0]
            out.append(_region(box, text, score))
        return out


def _continues(last: np.ndarray, nxt: np.ndarray, max_gap: float) -> bool:
    """Whether ``nxt`` is the next character after ``last`` on the same line."""
    tall = max(last[3] - last[1], nxt[3] - nxt[1], 1e-9)
    same_line = abs((last[1] + last[3]) - (nxt[1] + nxt[3])) / 2 < 0.5 * tall
    gap = nxt[0] - last[2]
    return bool(same_line and -0.5 * tall <= gap <= max_gap * tall)


def _image_size(data: Data, ctx: Context) -> tuple[int, int]:
    """Pixels, so gaps and heights compare alike; without an image, a square one."""
    try:
        h, w = ctx.image(data).shape[:2]
    except InputError:
        return 1, 1
    return int(w), int(h)


def _text_region(region: Region, text: str, score: float) -> Region:
    info = region.region_info or RegionInfo()
    return Region(
        id=region.id,
        region_info=info,
        data=Data(text=Text(raw=text)),
        value=region.value if region.value is not None else score,
        track_id=region.track_id,
    )


def _region(box: np.ndarray, text: str, score: float) -> Region:
    return Region(
        id=geometry.region_id(box, text),
        region_info=RegionInfo(bounding_box=geometry.box_to_proto(box)),
        data=Data(text=Text(raw=text)),
        value=round(score, 6),
    )


def _reading_order(spans: np.ndarray) -> list[int]:
    """Lines top to bottom (centres within half a height are one line), each left to right."""
    centre = (spans[:, 1] + spans[:, 3]) / 2
    tall = spans[:, 3] - spans[:, 1]
    line = np.zeros(len(spans), dtype=np.int64)
    order = np.argsort(centre, kind="stable")
    for prev, cur in itertools.pairwise(order):
        near = centre[cur] - centre[prev] < 0.5 * max(tall[cur], tall[prev], 1e-9)
        line[cur] = line[prev] if near else line[prev] + 1
    return [int(i) for i in np.lexsort((spans[:, 0], line))]
