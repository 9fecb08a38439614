"""Clarifai's own Python SDK (``clarifai``), unchanged, pointed at a local ``opgraph serve``
by ``base_url`` and a token the server made: apps, datasets, uploads, create_workflow,
workflow and model predictions, and search."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.engine.api.conftest import Server

pytest.importorskip("clarifai", reason="the clarifai SDK is a test dependency (dev extra)")

FLOW = """\
workflow:
  id: translate
  nodes:
    - id: lang
      model:
        model_id: lang
        model_type_id: language-id-operator
        output_info:
          params:
            library: py3langid
    - id: prompt
      model:
        model_id: prompt
        model_type_id: prompter
        output_info:
          params:
            prompt_template: 'Translate: {data.text.raw}'
      node_inputs:
        - node_id: lang
"""


def _kw(server: Server) -> dict[str, str]:
    return {"base_url": f"http://127.0.0.1:{server.grpc_port}", "pat": server.token}


def test_the_sdk_runs_unchanged(server: Server, tmp_path: Path) -> None:
    from clarifai.client.input import Inputs
    from clarifai.client.model import Model
    from clarifai.client.search import Search
    from clarifai.client.user import User
    from clarifai.client.workflow import Workflow

    kw = _kw(server)
    app = User(user_id="me", **kw).create_app(app_id="notes", base_workflow="Text")
    dataset = app.create_dataset(dataset_id="reports")
    assert dataset.id == "reports"

    inputs = Inputs(user_id="me", app_id="notes", **kw)
    inputs.upload_text(
        input_id="t1",
        raw_text="$480,000 was spent on machinery repairs in 2020.",
        dataset_id="reports",
    )
    inputs.upload_text(input_id="t2", raw_text="The cafeteria reopened in 2021.")
    assert sorted(i.id for i in inputs.list_inputs()) == ["t1", "t2"]

    config = tmp_path / "translate.yml"
    config.write_text(FLOW)
    created = app.create_workflow(config_filepath=str(config), display=False)
    assert created.id == "translate"
    flow = Workflow(user_id="me", app_id="notes", workflow_id="translate", **kw)
    result = flow.predict_by_bytes(b"Le chat est assis sur le tapis rouge.", "text")
    outputs = result.results[0].outputs
    assert [c.id for c in outputs[0].data.concepts] == ["fr"]
    assert outputs[1].data.text.raw == "Translate: Le chat est assis sur le tapis rouge."

    search = Search(user_id="me", app_id="notes", top_k=2, **kw)
    pages = list(
        search.query(
            ranks=[{"text_raw": "money spent on repairs"}], filters=[{"input_types": ["text"]}]
        )
    )
    assert pages[0].hits[0].input.id == "t1"

    model = Model(user_id="me", app_id="notes", model_id="lang", **kw)
    out = model.predict_by_bytes("Der Hund schläft im Garten neben dem Haus.".encode(), "text")
    assert [c.id for c in out.outputs[0].data.concepts] == ["de"]


def test_image_upload_from_bytes(server: Server) -> None:
    from clarifai.client.input import Inputs
    from clarifai.client.user import User

    kw = _kw(server)
    User(user_id="me", **kw).create_app(app_id="pics", base_workflow="General")
    png = cv2.imencode(".png", np.full((24, 24, 3), 128, np.uint8))[1].tobytes()
    inputs = Inputs(user_id="me", app_id="pics", **kw)
    inputs.upload_from_bytes(input_id="grey", image_bytes=png)
    stored = server.state.apps.get("me", "pics").get_input("grey")
    assert stored.status is not None and stored.status.code == 30000
