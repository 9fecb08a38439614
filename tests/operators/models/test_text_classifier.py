"""text-classifier: a BERT-style ONNX export with its tokenizer.json, and zero-shot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import Context, Data, InputError, ParamsError, Workflow
from engine.app import App
from operators.models.text_classifier import TextClassifier
from tests.engine.app.conftest import hashing_base
from tests.operators.models._text_models import SPECIAL, bert_tokenizer, sequence_classifier

Params = TextClassifier.Params
SPORT = ["football", "goal", "match", "referee"]
FOOD = ["recipe", "oven", "salt", "##ed", "bake"]
VOCAB = [*SPORT, *FOOD, "the", "a"]


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """Sport words push class 0, food words class 1 (a bag-of-words classifier)."""
    table = np.zeros((len(SPECIAL) + len(VOCAB), 2), np.float32)
    for i, word in enumerate(VOCAB):
        table[len(SPECIAL) + i] = [4, 0] if word in SPORT else [0, 4] if word in FOOD else [0, 0]
    bert_tokenizer(tmp_path / "tokenizer.json", VOCAB)
    return sequence_classifier(tmp_path / "model.onnx", table)


def classify(op: TextClassifier, text: str, app: object = None) -> list[tuple[str, float]]:
    data = Data.model_validate({"text": {"raw": text}})
    out = op.process(data, Context(root=data, app=app))
    assert out is not None
    return [(c.id, round(c.value, 4)) for c in out.concepts]


def test_onnx_export_with_its_tokenizer(model: Path) -> None:
    op = TextClassifier(Params(model_path=str(model), labels=["sport", "food"]))
    # [CLS] the referee [UNK] the match [SEP]: two sport words of 7 tokens, softmax of the
    # mean logits (8/7, 0)
    got = classify(op, "The REFEREE stopped the match")
    p = 1 / (1 + np.exp(-8 / 7))
    assert got[0][0] == "sport" and got[0][1] == pytest.approx(p, abs=1e-4)
    assert classify(op, "Salted recipe")[0][0] == "food"  # salt + ##ed: a word piece
    sig = TextClassifier(
        Params(model_path=str(model), labels=["sport", "food"], activation="sigmoid", min_value=0.6)
    )
    assert [c for c, _ in classify(sig, "football goal")] == ["sport"]


def test_classes_named_by_concepts_and_unknown_words(model: Path) -> None:
    op = TextClassifier(
        Params(model_path=str(model), concepts=[{"id": "s"}, {"id": "f"}], max_concepts=1)
    )
    assert classify(op, "bake in the oven") == [
        ("f", pytest.approx(classify(op, "bake in the oven")[0][1]))
    ]
    assert classify(op, "zebra xylophone")[0][1] == pytest.approx(0.5)  # [UNK]s: no evidence


def test_zero_shot_nearest_concept_wins() -> None:
    concepts = [
        {"id": "weather", "name": "rain storm wind forecast"},
        {"id": "finance", "name": "stock market shares price"},
    ]
    op = TextClassifier(Params(model="zero-shot", concepts=concepts, embedder={"model": "hashing"}))
    got = classify(op, "heavy rain and a storm in the forecast")
    assert got[0][0] == "weather" and got[0][1] > got[1][1]
    assert classify(op, "the stock price of shares fell")[0][0] == "finance"


def test_zero_shot_over_the_apps_embedder(tmp_path: Path) -> None:
    app = App(tmp_path / "app", base_workflow=hashing_base())
    op = TextClassifier(
        Params(
            model="zero-shot",
            template="a text about {}",
            concepts=[
                {"id": "cats", "name": "cats kittens"},
                {"id": "cars", "name": "cars engines"},
            ],
            embedder={"source": "app"},
        )
    )
    assert classify(op, "my kittens", app)[0][0] == "cats"
    with pytest.raises(InputError, match="runs in an app"):
        classify(op, "my kittens")


def test_graph_onnx_and_zero_shot_nodes(model: Path) -> None:
    wf = Workflow.from_yaml(f"""
workflow:
  id: text
  nodes:
    - id: topic
      model:
        model_id: topic
        model_type_id: text-classifier
        output_info:
          params: {{model_path: "{model}", labels: [sport, food], max_concepts: 1}}
    - id: zero
      model:
        model_id: zero
        model_type_id: text-classifier
        output_info:
          data:
            concepts: [{{id: sport, name: football match goal}}, {{id: food, name: oven recipe}}]
          params: {{model: zero-shot, embedder: {{model: hashing}}}}
""")
    out = wf.predict([{"text": {"raw": "a football match"}}]).results[0].outputs
    assert [c.id for c in out[0].data.concepts] == ["sport"]
    assert out[1].data.concepts[0].id == "sport"


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ("{}", "needs 'model_path'"),
        ("{model_path: nowhere.onnx}", "no file"),
        ("{model: zero-shot}", "needs 'concepts'"),
        ("{model: zero-shot, concepts: [{id: a}], template: 'no slot'}", "template"),
        ("{model: zero-shot, concepts: [{id: a}], embedder: {model: bert}}", "model"),
        (
            "{model: zero-shot, concepts: [{id: a}], embedder: {source: app, model: hashing}}",
            "takes no other params",
        ),
        ("{model: zero-shot, concepts: [{id: a}], max_length: 1}", "max_length"),
        ("{model: magic}", "model"),
        ("{model_path: MODEL, template: 'x {}'}", "only to model 'zero-shot'"),
        ("{model_path: MODEL, activation: relu}", "activation"),
    ],
)
def test_hostile_params_are_refused(model: Path, params: str, match: str) -> None:
    params = params.replace("MODEL", f'"{model}"')
    with pytest.raises(ParamsError, match=match):
        Workflow.from_yaml(
            "workflow:\n  id: w\n  nodes:\n    - id: t\n      model:\n        model_id: t\n"
            f"        model_type_id: text-classifier\n        output_info: {{params: {params}}}\n"
        ).compile().instantiate()


def test_a_model_without_bert_inputs_and_bad_tokenizers(model: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read tokenizer"):
        TextClassifier(Params(model_path=str(model), tokenizer_path=str(model)))
    from tests.operators.models._onnx_models import mean_colour_head

    image_model = mean_colour_head(tmp_path / "image.onnx", np.eye(3))
    with pytest.raises(ValueError, match="BERT-style export takes input_ids"):
        TextClassifier(Params(model_path=str(image_model)))
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    (lonely / "m.onnx").write_bytes(model.read_bytes())
    with pytest.raises(ValueError, match=r"no tokenizer\.json beside"):
        Params(model_path=str(lonely / "m.onnx"))


def test_labels_from_the_config_json_beside_the_export(model: Path) -> None:
    (model.parent / "config.json").write_text('{"id2label": {"0": "sport", "1": "food"}}')
    assert classify(TextClassifier(Params(model_path=str(model))), "a goal")[0][0] == "sport"
    given = TextClassifier(Params(model_path=str(model), labels=["s", "f"]))
    assert classify(given, "a goal")[0][0] == "s"  # labels given win
