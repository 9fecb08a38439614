"""engine/cli_app/search.py: `opgraph app search` with --rank/--filter JSON and small flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clarifai_grpc.grpc.api import service_pb2

from engine.cli import main
from tests.clarifai_json import assert_clarifai_json


@pytest.fixture
def app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "app"
    assert main(["app", "create", str(path)]) == 0
    adds = [
        ("red bucket of water", "tools", '{"room": "porch"}'),
        ("blue garden spade", "tools", '{"room": "shed"}'),
        ("a cat asleep on the sofa", "home", '{"room": "house", "pet": {"kind": "cat"}}'),
    ]
    for text, dataset, meta in adds:
        argv = ["app", "add", str(path), "--text", text, "--dataset", dataset, "--metadata", meta]
        assert main(argv) == 0
    capsys.readouterr()
    return path


def _search(app: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    assert main(["app", "search", str(app), *argv]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert_clarifai_json(doc, service_pb2.MultiSearchResponse)
    assert doc["status"]["code"] == 10000
    return [h["input"]["data"]["text"]["raw"].split()[1] for h in doc.get("hits", [])]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--text", "a bucket of water", "--per-page", "1"], ["bucket"]),
        (["--rank", '{"text_raw": "garden spade"}', "--per-page", "1"], ["garden"]),
        (["--rank", '{"annotation": {"data": {"text": {"raw": "cat"}}}}', "--max-results", "1"],
         ["cat"]),
        ([], ["cat", "garden", "bucket"]),  # no rank: newest first
        (["--page", "2", "--per-page", "2"], ["bucket"]),
        (["--filter", '{"metadata": {"room": "shed"}}'], ["garden"]),
        (["--filter", '{"metadata": {"pet": {"kind": "cat"}}}'], ["cat"]),
        (["--metadata", '{"room": "porch"}', "--negate"], ["cat", "garden"]),
        (["--dataset", "tools"], ["garden", "bucket"]),
        (["--dataset", "tools", "--text", "cat", "--per-page", "1"], ["bucket"]),
        (["--input-type", "image"], []),
        (["--status", "30000", "--per-page", "1"], ["cat"]),
        (["--geo-point", "2.35,48.85,10"], []),
        (["--geo-box", "1,2,3,4", "--negate", "--per-page", "1"], ["cat"]),
        (["--text", "cat", "--metric", "euclidean", "--per-page", "1"], ["cat"]),
        (["--concept", "nothing"], []),
    ],
)  # fmt: skip
def test_search_prints_a_multi_search_response(
    app: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: list[str]
) -> None:
    assert _search(app, capsys, *argv) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--filter", '{"colour": "red"}'], "unknown key(s) 'colour'"),
        (["--filter", "{bad"], "--filter is not JSON"),
        (["--geo-box", "1,2,3"], "--geo-box takes 4"),
        (["--geo-box", "1,2,3,400"], "latitude must be a number in [-90, 90]"),
        (["--page", "-1"], "page must be a whole number >= 1"),
        (["--negate"], "--negate inverts the filter flags"),
        (["--input-id", "nope"], "unknown input id"),
    ],
)
def test_search_mistakes_are_one_line_and_exit_2(
    app: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["app", "search", str(app), *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
