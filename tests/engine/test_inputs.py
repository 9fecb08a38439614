"""engine/inputs.py: what predict accepts, and that JSON requests never name local files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine import InputError, StatusCode, Workflow, inputs
from engine.cli import main
from engine.inputs import JsonItem, to_input

SECRET = "top-secret-line"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(SECRET)
    return path


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shared"
    root.mkdir()
    (root / "note.txt").write_text("shared note")
    monkeypatch.setattr(inputs.settings, "json_path_roots", (str(root),))
    return root


@pytest.mark.parametrize("shape", ["absolute", "relative", "home", "dotdot"])
def test_a_string_in_a_json_request_is_not_read_as_a_path(
    shape: str, secret: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(secret.parent)
    value = {"absolute": str(secret), "relative": secret.name, "home": "~/.bashrc",
             "dotdot": f"../outside/{secret.name}"}[shape]
    with pytest.raises(InputError, match="not a local file path"):
        to_input(JsonItem(value), 0)
    assert to_input(str(secret)).data.text.raw == SECRET  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [3, 2.5, None, True, ["a.png"]])
def test_a_json_input_that_is_no_object_is_refused(value: Any) -> None:
    with pytest.raises(InputError, match="must be an object"):
        to_input(JsonItem(value), 0)


@pytest.mark.parametrize(
    "data",
    [
        {"image": {"url": "/etc/passwd"}},
        {"image": {"url": "file:///etc/passwd"}},
        {"image": {"url": "../../etc/passwd"}},
        {"video": {"url": "/etc/passwd"}},
        {"video": {"url": "file:///etc/passwd"}},
    ],
)
def test_clarifai_json_urls_are_fetched_never_read_from_disk(data: dict[str, Any]) -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    status = wf.predict([{"data": data}]).results[0].status
    assert status.code != StatusCode.SUCCESS
    assert "only http and https" in (status.details or "") and "root:" not in (status.details or "")


def test_the_cli_json_input_refuses_paths_and_keeps_the_rest(
    secret: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "w.yml"
    wf.write_text(
        "workflow:\n  id: w\n  nodes:\n    - id: up\n      model:\n"
        "        model_id: up\n        model_type_id: test-upper\n"
    )
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"inputs": [str(secret), {"data": {"text": {"raw": "ok"}}}]}))
    assert main(["run", str(wf), "--json-input", str(req)]) == 1
    out = capsys.readouterr().out
    assert SECRET not in out and SECRET.upper() not in out
    results = json.loads(out)["results"]
    assert "not a local file path" in results[0]["status"]["details"]
    assert results[1]["outputs"][0]["data"]["text"]["raw"] == "OK"


def test_allowed_roots_let_a_json_request_name_files_inside_them(
    shared: Path, secret: Path
) -> None:
    assert to_input(JsonItem("note.txt")).data.text.raw == "shared note"  # type: ignore[union-attr]
    assert to_input(JsonItem(str(shared / "note.txt"))).data.text is not None
    (shared / "link.txt").symlink_to(secret)  # a link inside pointing outside
    for escape in (str(secret), "../outside/secret.txt", "link.txt", ".", "", "a\0b"):
        with pytest.raises(InputError, match="not a local file path"):
            to_input(JsonItem(escape))
    with pytest.raises(InputError, match="no such file"):
        to_input(JsonItem("missing.txt"))


def test_text_files_are_read_up_to_a_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(64 << 20)  # sparse: 64 MB of zeros that take no disk
    monkeypatch.setattr(inputs.settings, "max_text_bytes", 1000)
    with pytest.raises(InputError, match="more than the 1000-byte text limit"):
        to_input(str(big))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe latin")
    with pytest.raises(InputError, match="cannot read"):
        to_input(str(bad))


@pytest.mark.parametrize(
    "array",
    [
        np.array([[1, 2], [3, 4]], dtype=object),
        np.full((4, 4, 3), "x", dtype="<U1"),
        np.full((4, 4), b"x", dtype="S1"),
        np.zeros((4, 4, 3), dtype=np.complex64),
        np.zeros((2, 2), dtype=[("a", "u1")]),
    ],
    ids=["object", "unicode", "bytes", "complex", "record"],
)
def test_numpy_arrays_that_hold_no_numbers_fail_only_their_input(array: np.ndarray) -> None:
    wf = Workflow("w")
    wf.add("test-image-size")
    good = np.zeros((6, 9, 3), np.uint8)
    results = wf.predict([good, array, good]).results
    assert [r.status.code == StatusCode.SUCCESS for r in results] == [True, False, True]
    assert "must hold numbers" in (results[1].status.details or "")


def test_float_images_with_nan_and_infinity_decode() -> None:
    pixels = np.full((4, 4, 3), np.nan, np.float32)
    pixels[0, 0] = np.inf
    image = to_input(pixels).data.image
    assert image is not None and image.array.dtype == np.uint8
    assert image.array[0, 0, 0] == 255 and image.array[1, 1, 0] == 0


def test_paths_from_python_callers_are_read(tmp_path: Path) -> None:
    note = tmp_path / "n.md"
    note.write_text("# hi")
    assert to_input(note).data.text.raw == "# hi"  # type: ignore[union-attr]
