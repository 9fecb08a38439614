"""Text to token ids for ONNX text models, with a Hugging Face ``tokenizer.json``.

The ``tokenizers`` package is imported when a tokenizer loads (the ``text`` extra installs
it), never when the operator registry loads.  Texts are cut to a bounded number of
characters before tokenizing and to ``max_length`` tokens after, then padded to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TextTokenizer"]

_CHARS_PER_TOKEN = 32  # characters tokenized per allowed token: bounds a hostile text's cost
_PAD_TOKENS = ("[PAD]", "<pad>", "<|endoftext|>")


class TextTokenizer:
    """A ``tokenizer.json`` that turns one text into ``(1, max_length)`` ids and mask."""

    def __init__(self, path: str, max_length: int) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError:  # pragma: no cover - the text extra installs it
            raise ValueError(
                "a text model needs the 'tokenizers' package: pip install 'opgraph[text]'"
            ) from None
        where = str(Path(path).expanduser())
        try:
            tok: Any = Tokenizer.from_file(where)
        except Exception as exc:  # tokenizers raises its own Exception for a bad file
            raise ValueError(f"cannot read tokenizer {where!r}: {exc}") from None
        self.max_length = max_length
        tok.enable_truncation(max_length)
        tok.enable_padding(length=max_length, pad_id=_pad_id(tok))
        self._tok = tok

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """``(1, max_length)`` int64 token ids and attention mask (1 on real tokens)."""
        enc = self._tok.encode(text[: self.max_length * _CHARS_PER_TOKEN])
        ids = np.asarray(enc.ids, dtype=np.int64)[None]
        mask = np.asarray(enc.attention_mask, dtype=np.int64)[None]
        return ids, mask


def _pad_id(tok: Any) -> int:
    padding = tok.padding
    if padding and padding.get("pad_id") is not None:
        return int(padding["pad_id"])
    for name in _PAD_TOKENS:
        found = tok.token_to_id(name)
        if found is not None:
            return int(found)
    return 0
