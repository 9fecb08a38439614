"""A text encoder exported to ONNX: token ids (and mask) in, one vector out.

Inputs are matched by name: one whose name holds ``mask`` gets the attention mask, one
holding ``type`` gets zeros (BERT's token types), the other the token ids, each cast to the
type the model declares.  A ``[1, D]`` output is the embedding; a ``[1, L, D]`` one (per-token
states) is mean-pooled over the real tokens, as sentence encoders are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from operators.models._tokenize import TextTokenizer

__all__ = ["TextTower"]

_MAX_LENGTH = 4096  # tokens a text model may take


class TextTower:
    """One loaded ONNX text model and its tokenizer."""

    def __init__(self, model_path: str, tokenizer_path: str, max_length: int) -> None:
        import onnxruntime as ort

        path = str(Path(model_path).expanduser())
        try:
            self._session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for bad files
            raise ValueError(f"cannot load ONNX model {path!r}: {exc}") from None
        inputs = self._session.get_inputs()
        self._feeds = [(i.name, i.type, _role(i.name)) for i in inputs]
        if [r for _, _, r in self._feeds].count("ids") != 1 or not all(
            "int" in i.type and len(i.shape) == 2 for i in inputs
        ):
            taken = ", ".join(f"{i.name} {i.type} {i.shape}" for i in inputs)
            raise ValueError(f"text model {path!r} takes {taken}: expected token ids "
                             "[1, L] (and optionally an attention mask), integers")
        length = _fixed_length(self._session.get_inputs()[0].shape) or max_length
        if not 1 <= length <= _MAX_LENGTH:
            raise ValueError(f"text model {path!r} takes {length} tokens (1..{_MAX_LENGTH})")
        out = self._session.get_outputs()[0].shape
        if len(out) not in (2, 3):
            raise ValueError(f"text model {path!r} outputs {out}: expected an embedding "
                             "[1, D] or per-token states [1, L, D]")
        self.dims = out[-1] if isinstance(out[-1], int) and out[-1] > 0 else None
        self._tokenizer = TextTokenizer(tokenizer_path, length)

    def __call__(self, text: str) -> np.ndarray:
        ids, mask = self._tokenizer.encode(text)
        feeds = {}
        for name, kind, role in self._feeds:
            value = {"ids": ids, "mask": mask, "types": np.zeros_like(ids)}[role]
            feeds[name] = value.astype(np.int32 if "int32" in kind else np.int64)
        out = np.asarray(self._session.run(None, feeds)[0], dtype=np.float64)
        if out.ndim == 3:  # per-token states: the mean over real tokens
            weights = mask[0].astype(np.float64)[:, None]
            return np.asarray((out[0] * weights).sum(axis=0) / max(weights.sum(), 1.0))
        return out.reshape(-1)


def _role(name: str) -> str:
    lowered = name.lower()
    return "mask" if "mask" in lowered else "types" if "type" in lowered else "ids"


def _fixed_length(shape: list[object]) -> int | None:
    if len(shape) == 2 and isinstance(shape[1], int) and shape[1] > 0:
        return int(shape[1])
    return None
