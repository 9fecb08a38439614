"""engine/deprecated.py: Clarifai's deprecated types are refused with their replacement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.catalog import load_catalog
from engine.deprecated import DEPRECATED_TYPES, deprecation
from engine.errors import SpecError, UnknownOperatorError
from engine.graph import compile_spec
from engine.operator import get_operator
from engine.spec import load_spec

REPLACEMENTS = {
    "tesseract-operator": "optical-character-recognizer",
    "neural-tracker": "kalman-filter-tracker",
    "neural-lite-tracker": "byte-tracker",
    "custom-code-operator": "opgraph.operators",
    "aws-lambda": "results-push",
    "isolation-operator": "region-thresholder",
}


def _flow(type_id: str) -> str:
    return (
        "workflow:\n  id: old\n  nodes:\n    - id: old\n      model:\n"
        f"        model_id: old\n        model_type_id: {type_id}\n"
    )


def test_every_deprecated_type_is_listed_with_a_replacement() -> None:
    assert set(DEPRECATED_TYPES) == set(REPLACEMENTS)
    for type_id in DEPRECATED_TYPES:
        assert get_operator(type_id) is None  # none of them is registered by mistake
    assert deprecation("byte-tracker") is None


@pytest.mark.parametrize(("type_id", "instead"), sorted(REPLACEMENTS.items()))
def test_a_workflow_naming_one_is_refused_at_its_model_type_id(type_id: str, instead: str) -> None:
    with pytest.raises(UnknownOperatorError) as info:
        compile_spec(load_spec(_flow(type_id), file="old.yml"))
    message = str(info.value)
    assert message.startswith("old.yml:7:9: node 'old': ")
    assert f"'{type_id}' is deprecated by Clarifai" in message
    assert instead in message
    assert "did you mean" not in message


def test_a_catalog_binding_one_is_refused_in_the_catalog(tmp_path: Path) -> None:
    cat = tmp_path / "models.yml"
    cat.write_text("models:\n  - model_id: ocr\n    model_type_id: tesseract-operator\n")
    with pytest.raises(SpecError, match=r"models\.yml:3:20: .*deprecated.*optical-character"):
        load_catalog(str(cat))


def test_validate_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    flow = tmp_path / "old.yml"
    flow.write_text(_flow("neural-tracker"))
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "validate", str(flow)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert f"{flow}:7:9: node 'old': 'neural-tracker' is deprecated by Clarifai" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_operators_lists_them_apart_with_their_replacement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    assert main(["operators"]) == 0
    out = capsys.readouterr().out
    listed = out.split("deprecated by Clarifai", 1)[1]
    assert "  tesseract-operator: use optical-character-recognizer (OCR)" in listed
    assert "\nneural-tracker\n" not in out  # never listed as a runnable type
