"""The bundled catalog: Clarifai ids bound to local stand-ins that say so."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Workflow
from engine.operator import find_binding, get_operator
from operators.models.catalog import bundled_bindings
from tests.operators.models._samples import sample_portrait

# clarifai-python's tests/workflow/fixtures/single_node.yml, verbatim
_SINGLE_NODE = """\
# A single node workflow
workflow:
  id: test-sn
  nodes:
    - id: detector
      model:
          model_id: face-detection
          model_version_id: fe995da8cb73490f8556416ecf25cea3
"""


def test_every_binding_names_a_real_operator_with_valid_params_and_a_note() -> None:
    bindings = bundled_bindings()
    assert {b.model_id for b in bindings} >= {"face-detection"}
    for b in bindings:
        cls = get_operator(b.model_type_id)
        assert cls is not None, b.model_type_id
        cls.Params.model_validate(b.params)
        assert b.note and "local stand-in" in b.note


def test_face_detection_is_found_for_clarifai_references() -> None:
    for user, app in ((None, None), ("clarifai", "main")):
        b = find_binding("face-detection", user, app)
        assert b is not None and b.params == {"model": "haar-face"}
    assert find_binding("face-detection", "someone-else", None) is None


def test_clarifai_single_node_face_workflow_runs_with_the_stand_in() -> None:
    out = Workflow.from_yaml(_SINGLE_NODE).predict([np.full((40, 40, 3), 127, np.uint8)])
    output = out.results[0].outputs[0]
    assert output.status.code == 10000
    assert "Haar cascade" in str(output.model.to_dict())


# clarifai-python's tests/workflow/fixtures/single_branch_with_public_cropper_model.yml
_DETECT_CROP = """\
workflow:
  id: test-sb
  nodes:
    - id: detector
      model:
          model_id: face-detection
          model_version_id: fe995da8cb73490f8556416ecf25cea3
          user_id: clarifai
          app_id: main
    - id: cropper
      model:
          model_id: margin-110-image-crop
          model_version_id: b9987421b40a46649566826ef9325303
          user_id: clarifai
          app_id: main
      node_inputs:
        - node_id: detector
"""


def test_clarifai_public_cropper_workflow_crops_each_face() -> None:
    path = sample_portrait()
    if path is None:
        pytest.skip("no portrait photo installed")
    out = Workflow.from_yaml(_DETECT_CROP).predict([str(path)]).results[0]
    faces, crops = out.outputs[0].data.regions, out.outputs[1].data.regions
    assert len(faces) == len(crops) == 1
    crop = crops[0].data.image
    assert crop is not None and crop.image_info is not None
    box = faces[0].region_info.bounding_box
    face_w = (box.right_col - box.left_col) * 512  # the portrait is 512 px wide
    assert crop.image_info.width == pytest.approx(face_w * 1.1, abs=2)
