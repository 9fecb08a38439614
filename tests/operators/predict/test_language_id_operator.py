"""language-id-operator: langdetect (seeded), py3langid, fasttext (user model), options."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from engine import Context, InputError, ParamsError, StatusCode, Workflow
from operators.predict import language_id_operator
from operators.predict.language_id_operator import LanguageIdOperator
from tests.factories import image_array, image_data, text_data

Params = LanguageIdOperator.Params

SENTENCES = {
    "en": ["The weather is lovely today and we are going for a walk in the park."],
    "fr": ["Le chat dort sur le canapé pendant que nous préparons le dîner."],
    "de": ["Der Zug nach Berlin hat heute leider wieder eine Stunde Verspätung."],
    "es": ["Mañana vamos a la playa con nuestros amigos si no llueve."],
    "it": ["Questa sera andiamo a mangiare una pizza nel ristorante vicino."],
    "nl": ["Wij gaan morgen met de fiets naar het strand als het mooi weer is."],
}


@pytest.fixture(scope="module")
def langdetect_op() -> LanguageIdOperator:
    return LanguageIdOperator(Params(topk=3))


@pytest.fixture(scope="module")
def py3langid_op() -> LanguageIdOperator:
    return LanguageIdOperator(Params(library="py3langid", topk=3))


def _langs(op: LanguageIdOperator, text: str) -> list[tuple[str, float]]:
    data = text_data(text)
    out = op.process(data, Context(root=data))
    assert out is not None
    return [(c.id, c.value) for c in out.concepts]


@pytest.mark.parametrize("library", ["langdetect", "py3langid"])
def test_identifies_six_languages(
    library: str, langdetect_op: LanguageIdOperator, py3langid_op: LanguageIdOperator
) -> None:
    op = langdetect_op if library == "langdetect" else py3langid_op
    for lang, texts in SENTENCES.items():
        for text in texts:
            top = _langs(op, text)[0]
            assert top[0] == lang, (library, text, top)
            assert 0.5 < top[1] <= 1.0


def test_langdetect_is_deterministic(langdetect_op: LanguageIdOperator) -> None:
    text = "ciao hola"  # ambiguous and short: an unseeded langdetect answers differently
    first = _langs(langdetect_op, text)
    again = LanguageIdOperator(Params(topk=3))
    assert all(_langs(again, text) == first for _ in range(5))


def test_topk_threshold_and_order(langdetect_op: LanguageIdOperator) -> None:
    ranked = _langs(langdetect_op, "ciao hola")
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    op = LanguageIdOperator(Params(topk=3, threshold=0.99))
    assert _langs(op, SENTENCES["en"][0]) == [("en", pytest.approx(1.0, abs=1e-3))]


def test_candidate_languages_are_renormalised() -> None:
    op = LanguageIdOperator(Params(library="py3langid", topk=5, languages=["en", "fr"]))
    ranked = _langs(op, SENTENCES["de"][0])
    assert {lang for lang, _ in ranked} <= {"en", "fr"}
    assert sum(p for _, p in ranked) == pytest.approx(1.0, abs=1e-4)


def test_lowercase_changes_the_text_seen() -> None:
    seen: list[str] = []

    class Spy:
        def rank(self, text: str) -> list[tuple[str, float]]:
            seen.append(text)
            return [("en", 1.0)]

    op = LanguageIdOperator(Params(library="py3langid", lowercase=True))
    op._backend = Spy()
    _langs(op, "HELLO There")
    assert seen == ["hello there"]


def test_text_without_letters_gets_no_concepts(py3langid_op: LanguageIdOperator) -> None:
    assert _langs(py3langid_op, "12345 !!") == []
    assert _langs(py3langid_op, "") == []


def test_no_text_is_an_input_error(py3langid_op: LanguageIdOperator) -> None:
    data = image_data()
    with pytest.raises(InputError, match="text"):
        py3langid_op.process(data, Context(root=data))


class _FakeFastTextModel:
    def predict(self, text: str, k: int = 1) -> tuple[list[str], list[float]]:
        assert "\n" not in text
        return ["__label__fr", "__label__en", "__label__de"], [0.7, 0.2, 0.1]


def test_fasttext_with_a_user_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    model = tmp_path / "lid.176.ftz"
    model.write_bytes(b"model")
    loaded: list[str] = []

    def load_model(path: str) -> Any:
        loaded.append(path)
        return _FakeFastTextModel()

    monkeypatch.setitem(sys.modules, "fasttext", types.SimpleNamespace(load_model=load_model))
    op = LanguageIdOperator(
        Params(library="fastText", model_path=str(model), topk=2, languages=["en", "de"])
    )
    assert loaded == [str(model)]
    assert _langs(op, "bonjour\nà tous") == [("en", 0.666667), ("de", 0.333333)]


def _graph(params: str) -> Workflow:
    return Workflow.from_yaml(
        f"""
workflow:
  id: lid
  nodes:
    - id: language-id-operator
      model:
          model_id: language-id
          model_type_id: language-id-operator
          output_info:
            params: {params}
"""
    )


def test_one_node_graph() -> None:
    wf = _graph("{library: py3langid, topk: 1, threshold: 0.1, lowercase: true}")
    texts = [SENTENCES["fr"][0], SENTENCES["es"][0]]
    resp = wf.predict([{"data": {"text": {"raw": t}}} for t in texts])
    assert [r.outputs[0].data.concepts[0].id for r in resp.results] == ["fr", "es"]


def test_fasttext_without_a_model_is_refused_when_compiled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Clarifai's own example file asks for fasttext with no model: without the fasttext
    # extra's bundled model, validate refuses it, as run does, at the node's params
    monkeypatch.setattr(language_id_operator, "bundled_fasttext_model", lambda: None)
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*needs model_path"):
        _graph("{library: fasttext, topk: 1, threshold: 0.1, lowercase: true}")
    with pytest.raises(ParamsError, match="is not a file"):
        _graph(f"{{library: fasttext, model_path: '{tmp_path / 'nope.bin'}'}}")
    with pytest.raises(ParamsError, match="is a directory, not a file"):
        _graph(f"{{library: py3langid, model_path: '{tmp_path}'}}")


def test_fasttext_package_missing_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = tmp_path / "lid.bin"
    model.write_bytes(b"x")
    monkeypatch.setitem(sys.modules, "fasttext", None)  # makes `import fasttext` fail
    with pytest.raises(ValueError, match=r"pip install 'opgraph\[fasttext\]'"):
        LanguageIdOperator(Params(library="fasttext", model_path=str(model)))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{library: cld3}", "library"),
        ("{topk: 0}", "topk"),
        ("{threshold: 1.5}", "threshold"),
        ("{library: langdetect, model_path: /x.bin}", "model_path is not used by langdetect"),
        ("{top_k: 2}", "did you mean 'topk'"),
    ],
)
def test_rejections(params: str, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        _graph(params)


def test_unknown_candidate_language_is_refused_when_set_up() -> None:
    with pytest.raises(ValueError, match="xx"):
        LanguageIdOperator(Params(library="py3langid", languages=["en", "xx"]))
    with pytest.raises(ValueError, match="xx"):
        LanguageIdOperator(Params(languages=["xx"]))


def test_failed_input_in_a_batch_does_not_stop_the_others() -> None:
    wf = _graph("{library: py3langid}")
    resp = wf.predict([{"data": {"text": {"raw": SENTENCES["it"][0]}}}, image_array()])
    first, second = (r.outputs[0] for r in resp.results)
    assert first.status.code == StatusCode.SUCCESS and first.data.concepts[0].id == "it"
    assert second.status.code != StatusCode.SUCCESS
    assert "needs text.raw" in (second.status.details or "")
