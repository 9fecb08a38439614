"""``tokens-to-entity-operator``: a token classifier's per-token regions merged into entities."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from engine import BaseParams, Concept, Context, Data, Operator, Region, RegionInfo, Text, register

__all__ = ["TokensToEntityOperator"]

# B(egin), I(nside), E(nd) / L(ast), S(ingle) / U(nit): IOB2, BIOES and BILOU tags
_TAG = re.compile(r"^([BIESLU])[-_](.+)$")
_STARTS = ("B", "S", "U")
_ENDS = ("E", "L", "S", "U")


@dataclass
class _Token:
    start: int | None
    end: int | None
    raw: str
    label: str
    tag: str | None
    score: float


@dataclass
class _Entity:
    label: str
    tokens: list[_Token] = field(default_factory=list)
    closed: bool = False


@register
class TokensToEntityOperator(Operator):
    """Merges the token regions of a ``text-token-classifier`` into entity regions.

    Each region's best concept is its token's label.  ``B-``/``I-`` (also ``E-``, ``S-``,
    BILOU's ``L-``/``U-``) tags are read: ``B-X`` starts an entity of label ``X``, ``I-X``
    continues one of label ``X``; untagged labels merge with the token before when it has
    the same label.  Tokens merge only when nothing but white space lies between them in
    the text (a word piece, ``##ork``, joins without a space), so 'New' + 'York' (B-LOC,
    I-LOC) becomes one region 'New York' labelled ``LOC``.  Labels in ``skip_labels``
    (``O``: outside) and tokens below ``min_value`` are dropped.  An entity's span covers
    its tokens' characters, its text is that part of the input text, and its score
    aggregates its tokens' scores.

    Reads ``regions`` (``region_info.span``, ``data.concepts``) and the text they came
    from; writes ``regions`` with ``data.concepts`` and ``data.text``.
    """

    type_id = "tokens-to-entity-operator"

    class Params(BaseParams):
        aggregation: Literal["average", "max", "min", "first"] = Field(
            "average", description="an entity's score from its tokens' scores"
        )
        min_value: float = Field(
            0.0, ge=0.0, le=1.0, description="tokens scoring below this are dropped"
        )
        skip_labels: list[str] = Field(
            default_factory=lambda: ["O"],
            description="labels that are not entities (with or without a B-/I- tag)",
        )

    reads: ClassVar[tuple[str, ...]] = ("regions",)
    writes: ClassVar[tuple[str, ...]] = (
        "regions",
        "regions[].data.concepts",
        "regions[].data.text",
    )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: TokensToEntityOperator.Params = params

    def process(self, data: Data, ctx: Context) -> Data | None:
        source = ctx.look_back(lambda d: d.text is not None and bool(d.text.raw))
        text = source.text.raw if source is not None and source.text is not None else None
        tokens = [t for r in data.regions if (t := self._token(r)) is not None]
        if all(t.start is not None for t in tokens):
            tokens.sort(key=lambda t: (t.start or 0, t.end or 0))
        entities: list[_Entity] = []
        for token in tokens:
            last = entities[-1] if entities else None
            if last is not None and _continues(last, token, text):
                last.tokens.append(token)
                last.closed = token.tag in _ENDS
            else:
                entities.append(_Entity(token.label, [token], token.tag in _ENDS))
        return Data(regions=[self._region(e, i, text) for i, e in enumerate(entities)])

    def _token(self, region: Region) -> _Token | None:
        concepts = region.data.concepts if region.data is not None else []
        if not concepts:
            return None
        best = max(concepts, key=lambda c: c.value)
        name = best.name or best.id
        match = _TAG.match(name)
        tag, label = (match.group(1), match.group(2)) if match else (None, name)
        skip = self.params.skip_labels
        if name in skip or label in skip or best.value < self.params.min_value:
            return None
        span = region.region_info.span if region.region_info is not None else None
        raw = (span.raw_text if span is not None else None) or (
            region.data.text.raw if region.data is not None and region.data.text else ""
        )
        start, end = (span.char_start, span.char_end) if span is not None else (None, None)
        if start is not None and end is not None and end <= start:
            start = end = None  # no usable offsets: join by the tokens' own text
        return _Token(start, end, raw or "", label, tag, float(best.value))

    def _region(self, entity: _Entity, index: int, text: str | None) -> Region:
        first, last = entity.tokens[0], entity.tokens[-1]
        raw = _entity_text(entity, text)
        scores = np.array([t.score for t in entity.tokens])
        how = self.params.aggregation
        score = float(
            scores[0]
            if how == "first"
            else getattr(np, "mean" if how == "average" else how)(scores)
        )
        info = None
        if first.start is not None and last.end is not None:
            span = {"char_start": first.start, "char_end": last.end, "raw_text": raw}
            info = RegionInfo.model_validate({"span": span})
        concept = Concept(id=entity.label, name=entity.label, value=score)
        return Region(
            id=f"entity-{index}",
            region_info=info,
            value=score,
            data=Data(concepts=[concept], text=Text(raw=raw)),
        )


def _continues(entity: _Entity, token: _Token, text: str | None) -> bool:
    """Whether ``token`` extends ``entity``: same label, a continuing tag, and only white
    space (or nothing: a word piece) between them."""
    if entity.closed or token.label != entity.label or token.tag in _STARTS:
        return False
    prev = entity.tokens[-1]
    if token.raw.startswith("##"):
        return True
    if prev.end is None or token.start is None:
        return True  # no offsets: the order of the tokens is all there is
    if token.start < prev.end:
        return False
    if text is not None and token.start <= len(text):
        return text[prev.end : token.start].strip() == ""
    return token.start - prev.end <= 1


def _entity_text(entity: _Entity, text: str | None) -> str:
    first, last = entity.tokens[0], entity.tokens[-1]
    if text is not None and first.start is not None and last.end is not None:
        if last.end <= len(text):
            return text[first.start : last.end]
    out = ""
    for t in entity.tokens:
        piece = t.raw[2:] if t.raw.startswith("##") else t.raw
        glue = "" if not out or t.raw.startswith("##") else " "
        out += glue + piece
    return out
