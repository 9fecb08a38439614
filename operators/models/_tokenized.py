"""A user's BERT-style ONNX text model with its Hugging Face ``tokenizer.json``.

The export takes ``input_ids`` (and, when it declares them, ``attention_mask`` and
``token_type_ids``) as int64 ``[1, T]`` and returns logits: ``[1, C]`` for a sequence
classifier, ``[1, T, C]`` for a token classifier.  The tokenizer is the ``tokenizers``
package reading the export's ``tokenizer.json`` (``pip install 'opgraph[text]'``);
onnxruntime and tokenizers are imported when a model is loaded, never at registry load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from engine import LocalPath
from operators.models._common import OutputFilterParams

__all__ = ["Encoded", "TokenizedModel", "TokenizedParams", "activate", "labels_beside"]

_FEEDS = ("input_ids", "attention_mask", "token_type_ids")
_MAX_CONFIG_BYTES = 1 << 20  # a Hugging Face config.json is a few KiB


class TokenizedParams(OutputFilterParams):
    """Where the ONNX export and its tokenizer are, and how its logits become scores."""

    model_path: LocalPath | None = Field(
        None, description="the .onnx export (relative: to the workflow file's folder)"
    )
    tokenizer_path: LocalPath | None = Field(
        None, description="its tokenizer.json (default: tokenizer.json beside the model)"
    )
    labels: list[str] = Field(
        default_factory=list,
        description="concept id of each output class, in order (default: the id2label of "
        "the config.json beside the model)",
    )
    max_length: int = Field(
        512, ge=2, le=8192, description="tokens fed to the model; the rest of a text is cut"
    )
    activation: Literal["softmax", "sigmoid", "none"] = Field(
        "softmax", description="how logits become scores: softmax, sigmoid (multi-label), none"
    )

    @field_validator("model_path", "tokenizer_path")
    @classmethod
    def _exists(cls, v: str | None) -> str | None:
        if v is not None and not Path(v).expanduser().is_file():
            raise ValueError(f"no file at {v!r}")
        return v

    @model_validator(mode="after")
    def _tokenizer_beside(self) -> TokenizedParams:
        if self.model_path is not None and self.tokenizer_path is None:
            beside = Path(self.model_path).expanduser().parent / "tokenizer.json"
            if not beside.is_file():
                raise ValueError(f"no tokenizer.json beside {self.model_path}: give tokenizer_path")
        return self

    def tokenizer_file(self) -> str:
        if self.tokenizer_path is not None:
            return str(Path(self.tokenizer_path).expanduser())
        assert self.model_path is not None
        return str(Path(self.model_path).expanduser().parent / "tokenizer.json")


def labels_beside(model_path: str) -> list[str]:
    """The class names of the ``config.json`` beside an export (``id2label``, as Hugging
    Face's exporters write it), or [] when there is none; ``ValueError`` for a bad one."""
    path = Path(model_path).expanduser().parent / "config.json"
    if not path.is_file():
        return []
    if path.stat().st_size > _MAX_CONFIG_BYTES:
        raise ValueError(f"{path} is larger than {_MAX_CONFIG_BYTES >> 20} MiB")
    try:
        found = json.loads(path.read_text(encoding="utf-8")).get("id2label") or {}
        pairs = sorted((int(k), str(v)) for k, v in dict(found).items())
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: no usable id2label ({type(exc).__name__})") from None
    if [k for k, _ in pairs] != list(range(len(pairs))):
        raise ValueError(f"{path}: id2label must number the classes 0, 1, 2, ...")
    return [v for _, v in pairs]


@dataclass
class Encoded:
    """A tokenized text: ids, each token's (start, end) characters, which are special."""

    ids: np.ndarray
    offsets: list[tuple[int, int]]
    special: list[bool]


class TokenizedModel:
    """The loaded tokenizer and ONNX session."""

    def __init__(self, params: TokenizedParams) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError:
            raise ValueError(
                "text models need tokenizers and onnxruntime: pip install 'opgraph[text]'"
            ) from None
        assert params.model_path is not None
        path = str(Path(params.model_path).expanduser())
        try:
            self._tokenizer = Tokenizer.from_file(params.tokenizer_file())
        except Exception as exc:  # tokenizers raises its own Exception type for bad files
            raise ValueError(f"cannot read tokenizer {params.tokenizer_file()!r}: {exc}") from None
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(params.max_length)
        try:
            self._session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for bad files
            raise ValueError(f"cannot load ONNX model {path!r}: {exc}") from None
        self._inputs = [i.name for i in self._session.get_inputs()]
        if "input_ids" not in self._inputs or set(self._inputs) - set(_FEEDS):
            raise ValueError(
                f"{path}: a BERT-style export takes input_ids (attention_mask, "
                f"token_type_ids); this one takes {self._inputs}"
            )

    def encode(self, text: str) -> Encoded:
        enc = self._tokenizer.encode(text)
        return Encoded(
            np.asarray(enc.ids, dtype=np.int64),
            [(int(a), int(b)) for a, b in enc.offsets],
            [bool(s) for s in enc.special_tokens_mask],
        )

    def logits(self, enc: Encoded) -> np.ndarray:
        """The model's first output for one encoded text, batch axis removed."""
        n = len(enc.ids)
        feeds: dict[str, Any] = {
            "input_ids": enc.ids[None, :],
            "attention_mask": np.ones((1, n), dtype=np.int64),
            "token_type_ids": np.zeros((1, n), dtype=np.int64),
        }
        out = self._session.run(None, {k: feeds[k] for k in _FEEDS if k in self._inputs})
        return np.asarray(out[0], dtype=np.float64)[0]


def activate(logits: np.ndarray, how: str) -> np.ndarray:
    """Scores from logits along the last axis."""
    if how == "softmax":
        z = np.exp(logits - logits.max(axis=-1, keepdims=True))
        out: np.ndarray = z / z.sum(axis=-1, keepdims=True)
        return out
    if how == "sigmoid":
        sig: np.ndarray = 1.0 / (1.0 + np.exp(-logits))
        return sig
    return logits
