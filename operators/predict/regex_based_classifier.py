"""``regex-based-classifier``: label text with the node's concepts when a regex matches."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from pydantic import Field, field_validator

from engine import BaseParams, Concept, ConceptSpec, Context, Data, InputError, Operator, register
from operators.predict._regex_size import expanded_size

__all__ = [
    "HOLD_S",
    "MAX_PATTERN_SIZE",
    "RELEASE_GIL_FROM",
    "RegexBasedClassifier",
    "search_within",
]

# The regex engine expands counted repeats: a pattern this large compiles to ~40 MB.
MAX_PATTERN_SIZE = 100_000
# A match of a text shorter than RELEASE_GIL_FROM first runs for up to HOLD_S holding the
# GIL: most end by then, and releasing it would cost more than it gives.  A match that
# released the GIL waits to take it back, in a busy process up to the interpreter's switch
# interval (5 ms) however short the match was; a match held for HOLD_S (1 ms) delays other
# threads less than that interval does.  A match still running after HOLD_S starts again
# with the GIL released.  A simple pattern scans about 1.4 M characters a millisecond
# (benchmarks/regex_gil.py), so texts from RELEASE_GIL_FROM on release it at once.
HOLD_S = 0.001
RELEASE_GIL_FROM = 1 << 20


def _compile(pattern: str) -> Any:
    # The third-party `regex` engine is used instead of `re` because its matcher takes a
    # timeout: a pattern such as (x+x+)+y backtracks for hours on a long input, and one
    # bad input must not hang the whole workflow.
    import regex

    return regex.compile(pattern)


def search_within(pattern: Any, text: str, budget_s: float) -> Any:
    """``pattern.search(text)``, stopped (``TimeoutError``) once it has used about
    ``budget_s`` of this thread's CPU time.

    A short text is matched holding the GIL for up to ``HOLD_S`` first (see ``HOLD_S``);
    a longer match, or a long text, runs with the GIL released, so other threads run
    meanwhile.  The regex engine's own timeout counts wall-clock time.  In a busy process
    that includes the time a match that released the GIL waits to get it back, so a trivial
    match could be stopped.  A match stopped while it had used little CPU runs once more
    with what is left of the budget, holding the GIL this time (no waiting; other threads
    wait at most that long): a pattern that backtracks is still stopped after ``budget_s``
    of work in all.
    """
    start = time.thread_time()
    if len(text) < RELEASE_GIL_FROM:
        try:
            return pattern.search(text, timeout=min(HOLD_S, budget_s), concurrent=False)
        except TimeoutError:
            if budget_s <= HOLD_S:
                raise
    try:
        left = budget_s - (time.thread_time() - start)
        if left <= 0:
            raise TimeoutError("the budget is spent")
        return pattern.search(text, timeout=left, concurrent=True)
    except TimeoutError:
        left = budget_s - (time.thread_time() - start)
        if left <= budget_s / 10:
            raise
    return pattern.search(text, timeout=left, concurrent=False)


@register
class RegexBasedClassifier(Operator):
    """Outputs the node's concepts (value 1.0) when ``regex`` matches anywhere in ``text.raw``.

    No match gives an empty concept list.  A pattern that would compile to too much
    memory (counted repeats multiply: ``(a{1000}){1000}``) is refused when the workflow is
    compiled.  One match is bounded in time by
    ``match_timeout_ms`` of CPU time; a match that runs longer is stopped and reported as an
    error for that input only (the pattern is likely to backtrack catastrophically on it).
    A match that takes more than a millisecond, or of a text of a million characters or
    more, releases the GIL, so other branches keep running meanwhile; time spent waiting to
    get it back (a busy server) does not count against the bound.

    Reads ``text``; writes ``concepts`` (the rest of the Data passes through).
    """

    type_id = "regex-based-classifier"

    class Params(BaseParams):
        regex: str = Field(
            min_length=1, description="pattern searched for anywhere in the text (Python syntax)"
        )
        concepts: list[ConceptSpec] = Field(
            min_length=1, description="concepts given to the text when the pattern matches"
        )
        match_timeout_ms: int = Field(
            default=250,
            ge=1,
            le=60_000,
            description="longest time one match may take before it is stopped as an error",
        )

        @field_validator("regex")
        @classmethod
        def _compiles(cls, value: str) -> str:
            size = expanded_size(value)
            if size > MAX_PATTERN_SIZE:
                raise ValueError(
                    f"the regex expands to about {size:,} pattern items (counted repeats such "
                    f"as {{1000}} multiply), more than {MAX_PATTERN_SIZE:,}: it would compile "
                    "to too much memory; use + or * instead of large counts"
                )
            try:
                _compile(value)
            except Exception as exc:  # regex.error carries the position of the mistake
                raise ValueError(f"invalid regex {value!r}: {exc}") from None
            return value

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._pattern = _compile(params.regex)
        self._timeout_s = params.match_timeout_ms / 1000.0
        self._concepts = [
            Concept(id=c.id or c.name, name=c.name or c.id, value=1.0) for c in params.concepts
        ]

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("regex-based-classifier needs text.raw; this input has no text")
        try:
            found = search_within(self._pattern, data.text.raw, self._timeout_s)
        except TimeoutError:
            raise ValueError(
                f"regex match stopped after {self._timeout_s * 1000:.0f} ms "
                f"(match_timeout_ms): the pattern {self._pattern.pattern!r} backtracks too "
                "much on this text; simplify it or raise match_timeout_ms"
            ) from None
        return data.model_copy(update={"concepts": list(self._concepts) if found else []})
