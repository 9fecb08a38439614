"""text-token-classifier: per-token labels from a BERT-style ONNX export + tokenizer.json."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, ParamsError, Workflow
from operators.models.text_token_classifier import TextTokenClassifier
from tests.operators.models._text_models import SPECIAL, bert_tokenizer, token_classifier

Params = TextTokenClassifier.Params
LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
TAGS = {
    "Ada": "B-PER",
    "Love": "I-PER",
    "##lace": "I-PER",
    "New": "B-LOC",
    "York": "I-LOC",
    "Paris": "B-LOC",
}
VOCAB = ["Ada", "Love", "##lace", "New", "York", "Paris", "moved", "to", "in", "and"]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    table = np.zeros((len(SPECIAL) + len(VOCAB), len(LABELS)), np.float32)
    for i, word in enumerate(VOCAB):
        table[len(SPECIAL) + i, LABELS.index(TAGS.get(word, "O"))] = 5.0
    bert_tokenizer(tmp_path / "tokenizer.json", VOCAB, lowercase=False)
    return token_classifier(tmp_path / "ner.onnx", table)


TEXT = "Ada Lovelace moved to New York and Paris"


def test_each_token_gets_its_span_and_label(model: Path) -> None:
    op = TextTokenClassifier(Params(model_path=str(model), labels=LABELS))
    data = Data.model_validate({"text": {"raw": TEXT}})
    out = op.process(data, Context(root=data))
    assert out is not None
    rows = [
        (r.region_info.span.raw_text, r.region_info.span.char_start, r.data.concepts[0].id)
        for r in out.regions
        if r.region_info and r.region_info.span and r.data
    ]
    assert rows == [
        ("Ada", 0, "B-PER"),
        ("Love", 4, "I-PER"),
        ("lace", 8, "I-PER"),
        ("New", 22, "B-LOC"),
        ("York", 26, "I-LOC"),
        ("Paris", 35, "B-LOC"),
    ]
    p = np.exp(5) / (np.exp(5) + 4)
    assert out.regions[0].data.concepts[0].value == pytest.approx(p)
    every = TextTokenClassifier(
        Params(model_path=str(model), labels=LABELS, skip_labels=[], max_concepts=2)
    )
    out = every.process(data, Context(root=data))
    assert out is not None and len(out.regions) == 9  # [CLS] and [SEP] are never regions
    assert all(len(r.data.concepts) == 2 for r in out.regions if r.data)


def test_graph_token_classifier_then_tokens_to_entity(model: Path) -> None:
    wf = Workflow.from_yaml(f"""
workflow:
  id: ner
  nodes:
    - id: tokens
      model:
        model_id: tokens
        model_type_id: text-token-classifier
        output_info:
          params: {{model_path: "{model}", labels: {LABELS}}}
    - id: entities
      model:
        model_id: entities
        model_type_id: tokens-to-entity-operator
      node_inputs: [{{node_id: tokens}}]
""")
    out = wf.predict([{"text": {"raw": TEXT}}]).results[0].outputs[1]
    got = [(r.data.text.raw, r.data.concepts[0].id) for r in out.data.regions]
    assert got == [("Ada Lovelace", "PER"), ("New York", "LOC"), ("Paris", "LOC")]
    span = out.data.regions[1].region_info.span
    assert (span.char_start, span.char_end, span.raw_text) == (22, 30, "New York")


def test_long_text_is_cut_at_max_length(model: Path) -> None:
    op = TextTokenClassifier(Params(model_path=str(model), labels=LABELS, max_length=4))
    data = Data.model_validate({"text": {"raw": TEXT}})
    out = op.process(data, Context(root=data))
    assert out is not None and [r.data.text.raw for r in out.regions] == ["Ada", "Love"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{}", "needs 'model_path'"),
        ("{model_path: MODEL, max_concepts: 0}", "max_concepts"),
        ("{model_path: MODEL, max_length: 100000}", "max_length"),
        ("{model_path: MODEL, skip_labels: O}", "skip_labels"),
        ("{model_path: /dev/null}", "is a device"),
    ],
)
def test_hostile_params_are_refused(model: Path, params: str, match: str) -> None:
    params = params.replace("MODEL", f'"{model}"')
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: t\n      model:\n        model_id: t\n"
            "        model_type_id: text-token-classifier\n"
            f"        output_info: {{params: {params}}}\n"
        ).compile().instantiate()


def test_a_sequence_classifier_is_refused_at_run(tmp_path: Path) -> None:
    from tests.operators.models._text_models import sequence_classifier

    bert_tokenizer(tmp_path / "tokenizer.json", VOCAB)
    seq = sequence_classifier(tmp_path / "seq.onnx", np.zeros((len(SPECIAL) + len(VOCAB), 2)))
    wf = Workflow.from_yaml(
        "workflow:\n  id: w\n  nodes:\n    - id: t\n      model:\n        model_id: t\n"
        "        model_type_id: text-token-classifier\n"
        f"        output_info: {{params: {{model_path: '{seq}'}}}}\n"
    )
    out = wf.predict([{"text": {"raw": "Ada"}}]).results[0].outputs[0]
    assert out.status.code != 10000 and "[1, tokens, classes]" in out.status.details


def test_labels_from_the_config_json_beside_the_export(model: Path) -> None:
    import json

    config = model.parent / "config.json"
    config.write_text(json.dumps({"id2label": {str(i): lab for i, lab in enumerate(LABELS)}}))
    op = TextTokenClassifier(Params(model_path=str(model)))
    data = Data.model_validate({"text": {"raw": "New York"}})
    out = op.process(data, Context(root=data))
    assert out is not None
    assert [r.data.concepts[0].id for r in out.regions if r.data] == ["B-LOC", "I-LOC"]
    for bad, why in (
        ({"id2label": {"0": "O", "2": "B-LOC"}}, "number the classes"),
        ({"id2label": ["O"]}, "no usable id2label"),
        ([1, 2], "no usable id2label"),
    ):
        config.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=why):
            TextTokenClassifier(Params(model_path=str(model)))
    config.write_text("{" * 5)
    with pytest.raises(ValueError, match="no usable id2label"):
        TextTokenClassifier(Params(model_path=str(model)))
