"""Models created in an app and their versions: create, version, run, patch, delete, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine import App
from engine.errors import AppError
from engine.proto import StatusCode
from tests.clarifai_json import assert_clarifai_json


def test_created_model_versions_are_fixed_and_runnable(app_location: Any) -> None:
    with App(app_location()) as app:
        made = app.create_model("money", "regex-based-classifier", description="finds sums")
        assert made.model_version is None
        v1 = app.create_model_version(
            "money", {"params": {"regex": r"\$[0-9,]+"}, "data": {"concepts": [{"id": "money"}]}}
        )
        v2 = app.create_model_version(
            "money", {"params": {"regex": r"cafe"}, "data": {"concepts": [{"id": "money"}]}}
        )
        assert v1.model_version and v2.model_version
        assert [v.id for v in app.list_model_versions("money")] == [
            v2.model_version.id,
            v1.model_version.id,
        ]
        got = app.get_model_version("money", str(v1.model_version.id))
        assert got.output_info is not None and got.output_info.params == {"regex": r"\$[0-9,]+"}

        out = app.model("money").predict([{"data": {"text": {"raw": "the cafe"}}}])
        assert [c.id for c in out.outputs[0].data.concepts] == ["money"]  # the newest version
        assert_clarifai_json(out.to_dict(), service_pb2.MultiOutputResponse)

        patched = app.patch_model("money", name="Money", metadata={"team": "ops"})
        assert patched.name == "Money" and patched.metadata == {"team": "ops"}
        app.delete_model("money")
        with pytest.raises(AppError, match="Model does not exist") as err:
            app.get_model_version("money", str(v1.model_version.id))
        assert err.value.code == StatusCode.MODEL_DOES_NOT_EXIST


def test_refusals_change_nothing(tmp_path: Path) -> None:
    with App(tmp_path / "a") as app:
        with pytest.raises(AppError, match="unknown model_type_id") as err:
            app.create_model("m", "no-such-type")
        assert err.value.code == StatusCode.MODEL_INVALID_ARGUMENT
        app.create_model("m", "concept-thresholder")
        with pytest.raises(AppError, match="already exists"):
            app.create_model("m", "concept-thresholder")
        with pytest.raises(AppError, match="concept_threshold_type") as err:
            app.create_model_version(
                "m",
                {
                    "params": {"concept_threshold_type": "SIDEWAYS"},
                    "data": {"concepts": [{"id": "x", "value": 0.5}]},
                },
            )
        assert err.value.code == StatusCode.MODEL_INVALID_ARGUMENT
        assert app.list_model_versions("m") == []
        with pytest.raises(AppError, match="Model does not exist"):
            app.create_model_version("nope", {})
