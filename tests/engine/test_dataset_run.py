"""``opgraph run --dataset``: datasets read from folders, globs and JSON Lines, resumable
output, failures kept to their input, and Ray's run equal to the in-process one."""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.cli import main
from engine.dataset_run import DatasetItem, done_ids, read_dataset, run_dataset
from engine.errors import InputError
from engine.workflow import Workflow


def _flow() -> str:
    wf = Workflow("ds-flow")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    wf.add("regex-based-classifier", id="cls", params={"regex": "red", "concepts": [{"id": "red"}]})
    return wf.to_yaml()


def _jsonl(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w") as f:
        for i in range(start, start + n):
            text = f"item {i} is {'red' if i % 3 == 0 else 'blue'} and number {i * 7}"
            f.write(json.dumps({"id": f"x{i}", "data": {"text": {"raw": text}}}) + "\n")
    return path


def _results(path: Path) -> dict[str, Any]:
    return {doc["id"]: doc for doc in map(json.loads, path.read_text().splitlines())}


def test_a_folder_a_glob_and_json_lines_each_name_their_inputs(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a.txt").write_text("one")
    (tmp_path / "d" / "sub" / "b.txt").write_text("two")
    assert [i.id for i in read_dataset(str(tmp_path / "d"))] == ["a.txt", "sub/b.txt"]
    assert [Path(i.path).name for i in read_dataset(str(tmp_path / "d" / "*.txt"))] == ["a.txt"]
    lines = tmp_path / "in.jsonl"
    lines.write_text('{"id": "k", "data": {"text": {"raw": "x"}}}\n\n{"data": {}}\n')
    assert [i.id for i in read_dataset(str(lines))] == ["k", "line-3"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "not a JSON input"),
        ("[1, 2]\n", "an input is a JSON object"),
        ("[" * 100_000 + "\n", "not a JSON input"),
    ],
)
def test_a_bad_line_is_one_error_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok"}\n' + content)
    with pytest.raises(InputError, match=f"in.jsonl:2: {message}"):
        list(read_dataset(str(path)))


def test_a_line_past_the_bound_is_refused_without_reading_it_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine import dataset_run

    monkeypatch.setattr(dataset_run, "_MAX_LINE", 1000)
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok"}\n' + "x" * 5000)
    with pytest.raises(InputError, match=r"in\.jsonl:2: a line longer than"):
        list(read_dataset(str(path)))


def test_a_path_that_is_none_of_them_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f.csv").write_text("a,b\n")
    for spec in (str(tmp_path / "missing"), str(tmp_path / "f.csv")):
        with pytest.raises(InputError, match=r"not a folder, a glob pattern or a \.jsonl"):
            list(read_dataset(spec))


def test_a_rerun_skips_what_is_done_and_drops_a_line_cut_short(tmp_path: Path) -> None:
    data, out = _jsonl(tmp_path / "in.jsonl", 10), tmp_path / "out.jsonl"
    assert run_dataset(_flow(), str(data), out, batch_size=4, show_progress=False) == (10, 0, 0)
    whole = _results(out)
    text = out.read_text()
    cut = text.index("\n", len(text) // 2) + 20  # half the lines and a piece of the next
    out.write_text(text[:cut])
    kept = done_ids(out)
    assert 0 < len(kept) < 10 and out.read_text().endswith("\n")
    ran, skipped, _ = run_dataset(_flow(), str(data), out, batch_size=4, show_progress=False)
    assert (ran, skipped) == (10 - len(kept), len(kept))
    assert _results(out) == whole and len(out.read_text().splitlines()) == 10


def test_a_bad_input_fails_alone(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "in.jsonl", 3)
    with data.open("a") as f:
        f.write(json.dumps({"id": "bad", "data": {"image": {"url": "file:///etc/passwd"}}}) + "\n")
    out = tmp_path / "out.jsonl"
    assert run_dataset(_flow(), str(data), out, show_progress=False).failed == 1
    got = _results(out)
    assert [got[f"x{i}"]["status"]["code"] for i in range(3)] == [10000] * 3
    assert got["bad"]["status"]["code"] != 10000


def test_the_command_needs_out_and_takes_no_other_inputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text(_flow())
    data = _jsonl(tmp_path / "in.jsonl", 5)
    assert main(["run", str(flow), "--dataset", str(data)]) == 2
    assert "give --out" in capsys.readouterr().err
    assert main(["run", str(flow), "--dataset", str(data), "--text", "x", "--out", "o"]) == 2
    assert "from the dataset alone" in capsys.readouterr().err
    out = tmp_path / "out.jsonl"
    assert main(["run", str(flow), "--dataset", str(data), "--out", str(out)]) == 0
    assert "5 input(s) run (0 failed), 0 already" in capsys.readouterr().err
    assert main(["run", str(flow), "--dataset", str(data), "--out", str(out)]) == 0
    assert "0 input(s) run (0 failed), 5 already" in capsys.readouterr().err
    assert [d["id"] for d in _results(out).values()] == [f"x{i}" for i in range(5)]
    with data.open("a") as f:  # one input that fails: the run exits 1, as run does
        f.write(json.dumps({"id": "bad", "data": {"image": {"url": "file:///etc/x"}}}) + "\n")
    assert main(["run", str(flow), "--dataset", str(data), "--out", str(out)]) == 1
    assert "1 input(s) run (1 failed), 5 already" in capsys.readouterr().err


@pytest.fixture(scope="module")
def ray_local() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_ray_gives_the_in_process_results_input_by_input(ray_local: Any, tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "in.jsonl", 3000)
    here, there = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_dataset(_flow(), str(data), here, batch_size=64, show_progress=False)
    run_dataset(
        _flow(), str(data), there, engine="ray", workers=2, batch_size=64, show_progress=False
    )
    local, distributed = _results(here), _results(there)
    assert list(distributed) == list(local)  # in the dataset's order, too
    for input_id, result in local.items():
        assert distributed[input_id] == result, input_id
    assert sum(1 for r in local.values() if r["outputs"][1]["data"].get("concepts")) == 1000
    # resumable under Ray as well: nothing left to run
    again = run_dataset(_flow(), str(data), there, engine="ray", show_progress=False)
    assert again == (0, 3000, 0)


def test_items_carry_either_a_path_or_json() -> None:
    assert DatasetItem("a", path="p").json == "" and DatasetItem("b", json="{}").path == ""
