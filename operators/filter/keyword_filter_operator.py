"""``keyword-filter-operator``: which of a set of words occur in the input text."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import Field, model_validator

from engine import BaseParams, Concept, ConceptSpec, Context, Data, InputError, Operator, register

__all__ = ["KeywordFilterOperator"]


@register
class KeywordFilterOperator(Operator):
    """Finds the configured words in ``text.raw`` and outputs one concept per word found.

    Clarifai's operator "is initialized with a set of words, and then determines which are
    found in the input text"; it outputs concepts.  Words are given as ``keywords`` or as
    concepts (the concept's name is the word, its id the output concept id).  A word
    matches as a whole word (not inside a longer word); a phrase matches across any run of
    whitespace.  When no word is found the branch stops for this input, so the node works
    as a filter in front of other nodes.

    Reads ``text``; writes ``concepts`` (the rest of the Data passes through).
    """

    type_id = "keyword-filter-operator"

    class Params(BaseParams):
        keywords: list[str] = Field(
            default_factory=list, description="words or phrases to look for"
        )
        concepts: list[ConceptSpec] = Field(
            default_factory=list,
            description="words given as concepts: the name is looked for, the id is output",
        )
        case_sensitive: bool = Field(
            default=False, description="match letter case exactly instead of ignoring it"
        )

        @model_validator(mode="after")
        def _has_words(self) -> KeywordFilterOperator.Params:
            for spec in self.concepts:
                # an empty word would compile to a pattern matching at every punctuation mark
                if not (spec.name or spec.id).strip():
                    raise ValueError("every concept needs an id or a name (the word to find)")
            words = [w for w in self.keywords if w.strip()]
            words += [c.name or c.id for c in self.concepts]
            if not words:
                raise ValueError("give at least one word in keywords or concepts")
            return self

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        fold = (lambda w: w) if params.case_sensitive else str.casefold
        self._fold = fold
        # word as found (folded) -> concept to output; the first definition of a word wins
        self._concepts: dict[str, Concept] = {}
        for spec in params.concepts:
            word = " ".join((spec.name or spec.id).split())
            self._concepts.setdefault(fold(word), Concept(id=spec.id or word, name=word))
        for word in (" ".join(w.split()) for w in params.keywords if w.strip()):
            self._concepts.setdefault(fold(word), Concept(id=word, name=word))
        # Longest first so a phrase wins over a word it starts with.
        alternatives = sorted(self._concepts, key=len, reverse=True)
        body = "|".join(r"\s+".join(map(re.escape, w.split())) for w in alternatives)
        flags = 0 if params.case_sensitive else re.IGNORECASE
        self._pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("keyword-filter-operator needs text.raw; this input has no text")
        found: dict[str, Concept] = {}
        for match in self._pattern.finditer(data.text.raw):
            key = self._fold(" ".join(match.group(0).split()))
            concept = self._concepts.get(key)
            if concept is not None:
                found.setdefault(key, concept)
        if not found:
            return None
        return data.model_copy(update={"concepts": list(found.values())})
