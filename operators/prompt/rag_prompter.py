"""``rag-prompter``: a prompt built from the query and what the app's index returns for it."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, field_validator

from engine import BaseParams, Context, Data, Hit, InputError, JsonObject, Operator, Text, register

__all__ = ["RagPrompter"]

_QUERY = "{data.text.raw}"
_HITS = "{data.hits}"
_PLACEHOLDERS = re.compile(re.escape(_QUERY) + "|" + re.escape(_HITS))
_DEFAULT_TEMPLATE = (
    "Context information is below:\n{data.hits}\nGiven the context information and not prior "
    "knowledge, answer the query.\nQuery: {data.text.raw}\nAnswer: "
)
_MAX_DATASETS = 1000


def _id_list(value: Any) -> Any:
    """Clarifai's docs allow one id or a comma-separated string as well as a list."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
        value = [part for part in value if part]
    if isinstance(value, list):
        if len(value) > _MAX_DATASETS:
            raise ValueError(f"at most {_MAX_DATASETS} dataset ids, got {len(value)}")
        if any(isinstance(v, str) and not v.strip() for v in value):
            raise ValueError("a dataset id may not be empty")
    return value


@register
class RagPrompter(Operator):
    """Searches the app for the input text and puts the hits and the text into a template.

    Every ``{data.text.raw}`` in ``prompt_template`` becomes the input text and every
    ``{data.hits}`` the texts of the search hits, newline-separated, best first.  The
    substitution is one plain-text pass: nothing else in the template is interpreted,
    and placeholders inside the query or the hits are never expanded.  The search is the
    app's ``search(text=...)`` (its base workflow embeds the query), so the node only
    runs in an app's context (``app.predict`` or ``opgraph run --app``), and never in a
    base workflow, which would search the index it is building.

    Reads ``text``; writes ``text`` (the prompt) and ``hits`` (the hits used).
    """

    type_id = "rag-prompter"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(BaseParams):
        prompt_template: str = Field(
            default=_DEFAULT_TEMPLATE,
            description=f"prompt text; {_QUERY} becomes the query, {_HITS} the hit texts",
        )
        min_score: float = Field(
            default=0.0,
            ge=0.0,
            le=1.0,
            description="hits scoring below this are left out (Clarifai's score: 0.5 is "
            "unrelated, 1.0 the same)",
        )
        max_results: int = Field(
            default=5, ge=1, le=100, description="at most this many hits go into the prompt"
        )
        dataset_ids: Annotated[list[str], BeforeValidator(_id_list)] = Field(
            default_factory=list,
            description="search only inputs in these datasets: a list, one id, or ids "
            "separated by commas",
        )
        metadata: JsonObject = Field(
            default_factory=dict,
            description="search only inputs whose metadata contains these keys and values",
        )

        @field_validator("prompt_template")
        @classmethod
        def _has_placeholders(cls, value: str) -> str:
            missing = [p for p in (_QUERY, _HITS) if p not in value]
            if missing:
                raise ValueError(f"prompt_template must contain {' and '.join(missing)}")
            return value

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("text", "hits", "*")  # "*": the rest passes through

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("rag-prompter needs text.raw; this input has no text")
        if ctx.app is None:
            raise InputError(
                "rag-prompter searches an app: run the workflow with app.predict(...) or "
                "`opgraph run --app PATH`"
            )
        p = self.params
        assert isinstance(p, RagPrompter.Params)
        hits: list[Hit] = ctx.app.search(
            text=data.text.raw,
            dataset_ids=p.dataset_ids or None,
            metadata=p.metadata or None,
            min_score=p.min_score,
            max_results=p.max_results,
        ).hits
        context = "\n".join(_hit_text(h) for h in hits if _hit_text(h))
        values = {_QUERY: data.text.raw, _HITS: context}
        prompt = _PLACEHOLDERS.sub(lambda m: values[m.group(0)], p.prompt_template)
        return data.model_copy(update={"text": Text(raw=prompt), "hits": hits})


def _hit_text(hit: Hit) -> str:
    text = hit.input.data.text if hit.input is not None else None
    return text.raw or "" if text is not None else ""
