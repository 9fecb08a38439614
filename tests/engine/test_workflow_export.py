"""engine/workflow_export.py: a workflow's nodes as Clarifai YAML and as its proto."""

from __future__ import annotations

from dataclasses import replace

from engine.spec import load_spec, spec_from_dict
from engine.workflow_export import definition, workflow_dict, workflow_yaml

_YAML = """\
workflow:
  id: w
  nodes:
  - id: keep
    model:
      model_id: keep
      model_type_id: concept-thresholder
      description: keeps cats
      output_info:
        params:
          threshold_type: '>'
        data:
          concepts:
          - id: cat
            value: 0.5
  - id: hidden
    model:
      model_id: sample
      model_type_id: random-sample
    node_inputs:
    - node_id: keep
    suppress_output: true
"""


def test_the_yaml_written_is_the_yaml_read() -> None:
    nodes = load_spec(_YAML).nodes
    assert workflow_yaml("w", nodes) == _YAML
    again = spec_from_dict(workflow_dict("w", nodes)).nodes
    assert [replace(n, where={}) for n in again] == [replace(n, where={}) for n in nodes]


def test_the_definition_carries_ids_models_edges_and_hidden_nodes_only() -> None:
    d = definition("w", load_spec(_YAML).nodes).to_dict()
    assert d["id"] == "w"
    keep, hidden = d["nodes"]
    assert keep == {"id": "keep", "model": {"id": "keep", "model_type_id": "concept-thresholder"}}
    assert hidden["node_inputs"] == [{"node_id": "keep"}] and hidden["suppress_output"] is True
