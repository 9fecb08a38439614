"""engine/spec.py: the Clarifai YAML schema, with file:line:col on every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import SpecError, SpecErrors, YamlError
from engine.spec import load_spec, spec_from_dict

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "clarifai-workflows"

GOOD = """\
workflow:
  id: demo
  nodes:
    - id: detect
      model:
        model_id: face-detection
        user_id: clarifai
        app_id: main
    - id: crop
      model:
        model_id: cropper
        model_type_id: image-crop
        description: crops faces
        output_info:
          params:
            margin: 1.3
      node_inputs:
        - node_id: detect
      suppress_output: true
"""

_NODE_X = "workflow:\n  id: a\n  nodes:\n  - id: x\n"


def test_reads_every_field() -> None:
    spec = load_spec(GOOD)
    assert spec.id == "demo"
    detect, crop = spec.nodes
    assert (detect.user_id, detect.app_id, detect.model_id) == (
        "clarifai",
        "main",
        "face-detection",
    )
    assert detect.reference == "clarifai/main/face-detection"
    assert crop.model_type_id == "image-crop"
    assert crop.params == {"margin": 1.3}
    assert crop.inputs == ["detect"]
    assert crop.suppress_output is True
    assert crop.where["params.margin"].line == 16


def test_output_info_data_concepts_extension() -> None:
    spec = load_spec(
        "workflow:\n  id: w\n  nodes:\n  - id: t\n    model:\n      model_id: t\n"
        "      output_info:\n        data:\n          concepts: [{id: cat, value: 0.8}]\n"
    )
    assert spec.nodes[0].concepts == [{"id": "cat", "value": 0.8}]


@pytest.mark.parametrize(
    ("text", "where", "match"),
    [
        ("workflow: [\n", "2:1", "invalid YAML"),
        ("flow:\n  id: a\n", "1:1", "unknown key 'flow'.*did you mean 'workflow'"),
        ("workflow:\n  nodes: [{id: a, model: {model_id: m}}]\n", "1:1", "missing key 'id'"),
        (
            "workflow:\n  id: a b\n  nodes: [{id: a, model: {model_id: m}}]\n",
            "2:7",
            "not a valid id",
        ),
        ("workflow:\n  id: a\n  nodes: []\n", "3:3", "non-empty list"),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    modle: {model_id: m}\n",
            "5:5",
            "unknown key 'modle'.*did you mean 'model'",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m}\n"
            "  - id: x\n    model: {model_id: m}\n",
            "6:5",
            "duplicate node id 'x'",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m}\n"
            "    node_inputs: [{node_id: y}]\n  - id: y\n    model: {model_id: m}\n",
            "6:29",
            "missing input 'y'.*earlier node",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m}\n"
            "    node_inputs: [{node_id: x}]\n",
            "6:29",
            "the node itself",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m}\n"
            "    node_inputs: [{node_id: nope}]\n",
            "6:29",
            "no such node",
        ),
        (
            _NODE_X + "    model: {model_id: m, model_version_id: zz}\n",
            "5:44",
            "32 hex",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m, model_version_id: "
            "0123456789abcdef0123456789abcdef, model_type_id: t}\n",
            "5:44",
            "should not set",
        ),
        (
            _NODE_X + "    model: {model_id: m}\n    node_inputs: []\n",
            "6:5",
            "non-empty list",
        ),
        (
            "workflow:\n  id: a\n  nodes:\n  - id: 7\n    model: {model_id: m}\n",
            "4:9",
            "non-empty string",
        ),
        ("workflow:\n  id: a\n  id: b\n  nodes: []\n", "3:3", "duplicate key 'id'"),
        (
            _NODE_X + "    model: {model_id: m}\n    suppress_output: 3\n",
            "6:22",
            "true or false",
        ),
    ],
)
def test_errors_point_at_the_key(text: str, where: str, match: str) -> None:
    with pytest.raises(YamlError, match=match) as info:
        load_spec(text)
    assert str(info.value).startswith(f"<workflow>:{where}: ")


def test_upper_case_version_is_lowered() -> None:
    spec = load_spec(
        "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m, "
        "model_version_id: 0123456789ABCDEF0123456789ABCDEF}\n"
    )
    assert spec.nodes[0].model_version_id == "0123456789abcdef0123456789abcdef"


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("workflow:\n  id: a\n  nodes: 3\n")
    with pytest.raises(YamlError, match=r"bad\.yml:3:3: 'nodes' must be a non-empty list"):
        load_spec(path)
    with pytest.raises(YamlError, match="cannot read workflow file"):
        load_spec(tmp_path / "missing.yml")


def test_dict_errors_name_the_key_path() -> None:
    with pytest.raises(YamlError, match=r"workflow\.nodes"):
        spec_from_dict({"workflow": {"id": "a", "nodes": []}})


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared conformance corpus is not beside the repo"
)
def test_every_clarifai_corpus_file_loads() -> None:
    files = sorted(CORPUS.rglob("*.yml"))
    assert len(files) == 86
    for f in files:
        assert load_spec(f).nodes, f


_ONE_NODE = (
    "workflow:\n  id: a\n  nodes:\n    - id: x\n"
    "      model: {model_id: x, model_type_id: random-sample}\n"
)


@pytest.mark.parametrize("bad_id", ["[x]", "{a: 1}"])
def test_a_node_id_that_is_a_list_or_mapping_is_a_positioned_error(bad_id: str) -> None:
    text = _ONE_NODE.replace("- id: x", f"- id: {bad_id}")
    with pytest.raises(YamlError, match=r"<workflow>:4:11: node id must be a non-empty string"):
        load_spec(text)


def test_every_wrong_node_is_reported_not_only_the_first() -> None:
    text = (
        "workflow:\n  id: a\n  nodes:\n"
        "    - id: one\n      model: {model_id: x, model_type_id: random-sample, colour: red}\n"
        "    - id: [two]\n      model: {model_id: x}\n"
        "    - id: three\n      model: {model_id: 'bad id'}\n"
        "      node_inputs: [{node_id: nowhere}]\n"
        "    - id: four\n      model: {model_id: x, model_type_id: random-sample}\n"
        "      node_inputs: [{node_id: one}]\n"
    )
    with pytest.raises(SpecErrors) as info:
        load_spec(text)
    lines = str(info.value).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        "<workflow>:5:58",
        "<workflow>:6:11",
        "<workflow>:9:25",
        "<workflow>:10:31",
    ]
    assert "unknown key 'colour'" in lines[0] and "missing input 'nowhere'" in lines[3]
    # collected instead of raised: the right node is kept, the wrong ones are named
    errors: list[SpecError] = []
    spec = load_spec(text, errors=errors)
    assert [n.id for n in spec.nodes] == ["four"] and spec.broken == {"one", "three"}
    assert len(errors) == 4
