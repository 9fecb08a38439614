"""Small ``tokenizer.json`` files made with the ``tokenizers`` package, for text towers."""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers


def word_tokenizer(path: Path, words: list[str]) -> Path:
    """A lower-casing word-level tokenizer: ``[PAD]`` 0, ``[UNK]`` 1, then ``words``."""
    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: k + 2 for k, w in enumerate(words)}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(path))
    return path
