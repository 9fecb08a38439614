"""``concept-synonym-mapper``: map concepts to related concepts in the app's knowledge graph."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from engine import BaseParams, Concept, Context, Data, InputError, Operator, register

__all__ = ["ConceptSynonymMapper"]

_MAX_HOPS = 8  # synonym chains longer than this are a data problem, not a use case


@register
class ConceptSynonymMapper(Operator):
    """Adds, for each input concept, the concepts the app relates to it.

    Follows synonym relations (transitively: a synonym of a synonym is a synonym), and
    with ``include_hypernyms`` / ``include_hyponyms`` also one step up to parents ("dog"
    -> "animal") or down to kinds ("animal" -> "dog").  Relations are read from the app
    (``app.add_concept_relation``) within ``knowledge_graph_id``.  A mapped concept gets
    the score of the concept it came from; when several paths reach it, the highest.
    The input concepts stay, followed by the mapped ones.  Typical use: map a general
    model's concepts onto an app's own concept ids before a thresholder and an
    annotation-writer (Clarifai's auto-annotation).

    Reads ``concepts``; writes ``concepts`` (the rest passes through).
    """

    type_id = "concept-synonym-mapper"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(BaseParams):
        knowledge_graph_id: str = Field(
            default="", description="the knowledge graph whose relations are followed"
        )
        include_hypernyms: bool = Field(
            default=False, description="also add each concept's parents (is a kind of)"
        )
        include_hyponyms: bool = Field(
            default=False, description="also add each concept's kinds (is a parent of)"
        )

    reads: ClassVar[tuple[str, ...]] = ("concepts",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "*")  # "*": the rest passes through

    def process(self, data: Data, ctx: Context) -> Data | None:
        if ctx.app is None:
            raise InputError(
                "concept-synonym-mapper reads the app's concept relations: run the workflow "
                "with app.predict(...) or as an app's base workflow"
            )
        if not data.concepts:
            return data
        scores = {c.id: c.value for c in data.concepts}
        mapped = self._synonyms(ctx, scores)
        mapped.update(self._one_step(ctx, {**scores, **mapped}))
        added = [Concept(id=c, name=c, value=v) for c, v in mapped.items() if c not in scores]
        return data.model_copy(update={"concepts": [*data.concepts, *added]})

    def _synonyms(self, ctx: Context, scores: dict[str, float]) -> dict[str, float]:
        """Every concept reachable through synonym relations, with its best source score."""
        found: dict[str, float] = {}
        frontier = dict(scores)
        for _ in range(_MAX_HOPS):
            step: dict[str, float] = {}
            kg = self.params.knowledge_graph_id  # type: ignore[attr-defined]
            for rel in ctx.app.concept_relations(list(frontier), kg):
                if rel.predicate != "synonym" or rel.object in scores:
                    continue
                value = frontier[rel.subject]
                if value > found.get(rel.object, float("-inf")):
                    found[rel.object] = step[rel.object] = value
            if not step:
                break
            frontier = step
        return found

    def _one_step(self, ctx: Context, scores: dict[str, float]) -> dict[str, float]:
        """Parents and/or kinds of ``scores``' concepts, as asked, one relation away."""
        p = self.params
        assert isinstance(p, ConceptSynonymMapper.Params)
        wanted = {"hyponym"} if p.include_hypernyms else set()  # "x hyponym y": y is x's parent
        wanted |= {"hypernym"} if p.include_hyponyms else set()
        if not wanted:
            return {}
        out: dict[str, float] = {}
        for rel in ctx.app.concept_relations(list(scores), p.knowledge_graph_id):
            if rel.predicate in wanted and rel.object not in scores:
                out[rel.object] = max(out.get(rel.object, float("-inf")), scores[rel.subject])
        return out
