"""engine/cli_app/inputs.py: `opgraph app add` and `opgraph app inputs ...`."""

from __future__ import annotations

from pathlib import Path

import pytest
from clarifai_grpc.grpc.api import service_pb2
from clarifai_grpc.grpc.api.status import status_pb2

from tests.engine.cli_app.conftest import Run


def test_inputs_lifecycle(run: Run, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    for folder in ("x", "y"):
        (tmp_path / folder / "a.txt").write_text(f"a note in {folder}")
    files = [str(tmp_path / "x" / "a.txt"), str(tmp_path / "y" / "a.txt")]
    added = run(
        "add",
        *files,
        "--concept",
        "note",
        "--dataset",
        "d",
        response=service_pb2.MultiInputResponse,
    )
    ids = [i["id"] for i in added["inputs"]]
    assert len(set(ids)) == 2 and all(i.startswith("a-") for i in ids)
    doc = run("add", *files, expect=2, response=status_pb2.BaseResponse)
    assert doc["status"]["code"] == 30100 and doc["status"]["description"] == "INPUT_DUPLICATE"
    again = run(
        "add", *files, "--text", "third", "--skip-existing", response=service_pb2.MultiInputResponse
    )
    assert len(again["inputs"]) == 3
    listed = run(
        "inputs", "list", "--per-page", "2", "--page", "1", response=service_pb2.MultiInputResponse
    )
    assert [i["id"] for i in listed["inputs"]] == ids
    assert run(
        "inputs",
        "list",
        "--dataset",
        "d",
        "--type",
        "text",
        response=service_pb2.MultiInputResponse,
    )["inputs"][0]["dataset_ids"] == ["d"]
    got = run("inputs", "get", ids[0], response=service_pb2.SingleInputResponse)
    assert got["input"]["data"]["concepts"][0]["id"] == "note"
    patched = run(
        "inputs",
        "patch",
        ids[0],
        "--metadata",
        '{"k": 1}',
        "--concept",
        "memo:0.5",
        response=service_pb2.MultiInputResponse,
    )
    assert patched["inputs"][0]["data"]["metadata"] == {"k": 1}
    assert [c["id"] for c in patched["inputs"][0]["data"]["concepts"]] == ["note", "memo"]
    removed = run(
        "inputs",
        "patch",
        "--json",
        f'{{"id": "{ids[0]}", "data": {{"concepts": [{{"id": "note"}}]}}}}',
        "--action",
        "remove",
        response=service_pb2.MultiInputResponse,
    )
    assert [c["id"] for c in removed["inputs"][0]["data"]["concepts"]] == ["memo"]
    counts = run("inputs", "count", response=service_pb2.SingleInputCountResponse)
    assert counts["counts"]["processed"] == 3
    run("inputs", "delete", ids[1], response=status_pb2.BaseResponse)
    assert (
        run("inputs", "count", response=service_pb2.SingleInputCountResponse)["counts"]["processed"]
        == 2
    )


def test_bad_input_commands_exit_2_with_clarifais_status(run: Run) -> None:
    run("add", "--text", "x")
    cases = [
        (("inputs", "get", "ghost"), 30102),
        (("inputs", "patch", "ghost", "--metadata", "{}"), 30102),
        (("inputs", "delete", "ghost"), 30102),
        (("inputs", "list", "--page", "-1"), 11102),
        (("inputs", "list", "--per-page", "5000"), 11102),
        (("inputs", "list", "--type", "smell"), 30104),
        (("inputs", "patch", "x", "--metadata", "{bad"), 30104),
        (("add", "--text", "y", "--metadata", '{"a":' * 300 + "1" + "}" * 300), 30104),
    ]
    for argv, code in cases:
        doc = run(*argv, expect=2, response=status_pb2.BaseResponse)
        assert doc["status"]["code"] == code, argv
    assert run("inputs", "count")["counts"]["processed"] == 1


@pytest.mark.slow  # starts two worker processes
def test_add_with_workers_indexes_as_one_process_does(run: Run) -> None:
    texts = [w for i in range(6) for w in ("--text", f"note {i}")]
    one = run("add", *texts[:6], "--workers", "1", response=service_pb2.MultiInputResponse)
    two = run("add", *texts[6:], "--workers", "2", response=service_pb2.MultiInputResponse)
    codes = {i["status"]["code"] for i in one["inputs"] + two["inputs"]}
    assert codes == {30000} and len(two["inputs"]) == 3
    hits = run("search", "--text", "note 4", "--max-results", "1")["hits"]
    assert hits[0]["input"]["data"]["text"]["raw"] == "note 4"  # indexed by a worker
