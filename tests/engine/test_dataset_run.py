"""``opgraph run --dataset``: datasets read from folders, globs and JSON Lines, resumable
output, failures kept to their input, and Ray's run equal to the in-process one."""

from __future__ import annotations

import json
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
    from engine import dataset_read

    monkeypatch.setattr(dataset_read, "_MAX_LINE", 1000)
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


def _video_flow(dets: Path) -> str:
    wf = Workflow("streams")
    params = {"path": str(dets), "fps": 10, "label": "box"}
    wf.add("detections-file", id="detect", params=params)
    wf.add("centroid-tracker", id="track", inputs=["detect"], params={"track_id_prefix": "b-"})
    wf.add("object-counter", id="count", inputs=["track"])
    return wf.to_yaml()


def _videos(folder: Path) -> Path:
    """Three short videos of different lengths, and the detections they replay."""
    from engine import samples

    folder.mkdir()
    dets = folder.parent / "boxes.det.json"
    for name, seconds in (("a", 2), ("b", 3), ("c", 1)):
        samples.moving_boxes(folder / f"{name}.mp4", dets, seconds=seconds)
    samples.moving_boxes(folder.parent / "long.mp4", dets, seconds=3)  # dets cover 3 s
    return dets


@pytest.mark.slow
def test_ray_runs_each_video_as_one_stream_as_the_in_process_run_does(
    ray_local: Any, tmp_path: Path
) -> None:
    dets = _videos(tmp_path / "videos")
    here, there = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    flow = _video_flow(dets)
    run_dataset(flow, str(tmp_path / "videos"), here, show_progress=False)
    counts = run_dataset(flow, str(tmp_path / "videos"), there, engine="ray", workers=2)
    assert counts == (3, 0, 0)
    assert there.read_text().splitlines() == here.read_text().splitlines()
    results = _results(there)
    assert list(results) == ["a.mp4", "b.mp4", "c.mp4"]
    for input_id, seconds in (("a.mp4", 2), ("b.mp4", 3), ("c.mp4", 1)):
        frames = results[input_id]["outputs"][1]["data"]["frames"]
        assert len(frames) == seconds  # one frame a second: the default sample_ms
        # each stream's tracker starts afresh: its own ids, kept from its first frame
        tracks = {r["track_id"] for f in frames for r in f["data"].get("regions", [])}
        assert tracks == {"b-1", "b-2", "b-3"}, input_id


def test_a_video_is_a_unit_alone_and_stills_are_batched(tmp_path: Path) -> None:
    from engine.dataset_read import plan_units, read_unit

    folder = tmp_path / "d"
    folder.mkdir()
    for name in ("1.txt", "2.txt", "3.mp4", "4.txt", "5.txt", "6.txt"):
        (folder / name).write_text("x")
    units = plan_units(str(folder), {"4.txt"}, batch_size=2)
    assert [[i.id for i in read_unit(u)] for u in units] == [
        ["1.txt", "2.txt"],
        ["3.mp4"],
        ["5.txt", "6.txt"],
    ]
    assert [u.video for u in units] == [False, True, False]


def test_json_lines_are_planned_as_byte_ranges_and_read_back(tmp_path: Path) -> None:
    from engine.dataset_read import Unit, plan_units, read_unit

    data = _jsonl(tmp_path / "in.jsonl", 7)
    with data.open("a") as f:
        f.write("\n" + json.dumps({"data": {"video": {"url": "file:///v.mp4"}}}) + "\n")
        f.write(json.dumps({"data": {"text": {"raw": "no id"}}}) + "\n")
    units = plan_units(str(data), {"x2", "x3"}, batch_size=3)
    read = [[i.id for i in read_unit(Unit.from_json(u.to_json()))] for u in units]
    assert read == [["x0", "x1", "x4"], ["x5", "x6"], ["line-9"], ["line-10"]]
    assert [len(u.ranges) for u in units] == [2, 1, 1, 1]  # a done line splits a range
    assert units[2].video and sum(u.size for u in units) == 7
    texts = [i.json for u in units for i in read_unit(u)]
    assert [json.loads(t).get("id") for t in texts][:5] == ["x0", "x1", "x4", "x5", "x6"]


def test_items_carry_either_a_path_or_json() -> None:
    assert DatasetItem("a", path="p").json == "" and DatasetItem("b", json="{}").path == ""


def test_a_folder_run_resumes_by_the_files_paths(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    (folder / "sub").mkdir(parents=True)
    for name in ("a.txt", "sub/a.txt"):  # one stem twice: the path tells them apart
        (folder / name).write_text("red car")
    out = tmp_path / "out.jsonl"
    assert run_dataset(_flow(), str(folder), out, show_progress=False) == (2, 0, 0)
    assert list(_results(out)) == ["a.txt", "sub/a.txt"]
    assert run_dataset(_flow(), str(folder), out, show_progress=False) == (0, 2, 0)
