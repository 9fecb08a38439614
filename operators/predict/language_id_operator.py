"""``language-id-operator``: the language of a text as language-code concepts."""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from engine import (
    BaseParams,
    Concept,
    Context,
    Data,
    InputError,
    LocalPath,
    Operator,
    register,
)
from operators.predict._langid import FASTTEXT_NEEDS_MODEL, bundled_fasttext_model, load_backend

__all__ = ["LanguageIdOperator"]


@register
class LanguageIdOperator(Operator):
    """Identifies the language of ``text.raw``; outputs up to ``topk`` language concepts.

    Each concept's id and name are the language code (``en``, ``fr``, ``zh-cn`` ...) and
    its value the probability; only languages with a probability above ``threshold`` are
    kept.  ``library`` picks the identifier: ``langdetect`` (Clarifai's default; seeded, so
    the same text always gets the same answer), ``fasttext`` (a fastText model:
    ``model_path``, or by default fastText's published ``lid.176.ftz`` that the ``fasttext``
    and ``ocr`` extras install; without either the workflow is refused when it is compiled)
    or ``py3langid`` (bundled model, about 40x faster than langdetect on short texts).
    With ``languages`` only those codes are considered and their probabilities
    renormalised.  A text with nothing to go on (no letters) gets no
    concepts.

    Reads ``text``; writes ``concepts`` (the rest of the Data passes through).
    """

    type_id = "language-id-operator"

    class Params(BaseParams):
        library: Literal["langdetect", "fasttext", "py3langid"] = Field(
            default="langdetect", description="language identification library"
        )
        topk: int = Field(default=1, ge=1, le=250, description="most languages returned")
        threshold: float = Field(
            default=0.0, ge=0.0, le=1.0, description="languages at or below this are dropped"
        )
        lowercase: bool = Field(default=False, description="lower-case the text first")
        languages: list[str] = Field(
            default_factory=list,
            description="candidate language codes; empty: every language the library knows",
        )
        model_path: LocalPath | None = Field(
            default=None,
            description="model file: required by fasttext, optional for py3langid (relative: "
            "to the workflow file's folder)",
        )

        @field_validator("library", mode="before")
        @classmethod
        def _case_insensitive(cls, value: Any) -> Any:
            return value.lower() if isinstance(value, str) else value  # docs write "fastText"

        @model_validator(mode="after")
        def _model_path_fits_library(self) -> LanguageIdOperator.Params:
            if self.model_path and self.library == "langdetect":
                raise ValueError("model_path is not used by langdetect; drop it or pick fasttext")
            if self.library == "fasttext" and not self.model_path and not bundled_fasttext_model():
                raise ValueError(FASTTEXT_NEEDS_MODEL)
            if self.model_path and not os.path.isfile(os.path.expanduser(self.model_path)):
                raise ValueError(f"model_path '{self.model_path}' is not a file")
            return self

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("concepts", "*")  # "*": the rest passes through

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._p = params
        candidates = frozenset(code.strip() for code in params.languages if code.strip())
        self._backend = load_backend(params.library, candidates, params.model_path)

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("language-id-operator needs text.raw; this input has no text")
        text = data.text.raw.lower() if self._p.lowercase else data.text.raw
        ranked = self._backend.rank(text) if any(ch.isalpha() for ch in text) else []
        scored = ((lang, round(p, 6)) for lang, p in ranked[: self._p.topk])
        concepts = [
            Concept(id=lang, name=lang, value=p) for lang, p in scored if p > self._p.threshold
        ]
        return data.model_copy(update={"concepts": concepts})
