"""engine/cli_inputs.py: what `opgraph run --input` names, in a stable order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine.cli import main
from engine.cli_inputs import expand_inputs
from engine.errors import InputError
from tests.engine.test_cli import UPPER


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    media = tmp_path / "in"
    (media / "sub").mkdir(parents=True)
    for name in ("b.txt", "a.txt", "c.md", "notes.yml", ".hidden.txt", "sub/d.txt", "x.PNG"):
        (media / name).write_text(name.split(".")[0])
    return media


def test_a_folder_gives_its_media_and_text_files_sorted(folder: Path) -> None:
    names = [Path(p).name for p in expand_inputs([str(folder)])]
    # not its subfolders, hidden files or other files; suffixes in any case
    assert names == ["a.txt", "b.txt", "c.md", "x.PNG"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.txt", ["a.txt", "b.txt"]),
        ("**/*.txt", ["a.txt", "b.txt", "sub/d.txt"]),
        ("[bc].*", ["b.txt", "c.md"]),
    ],
)
def test_a_pattern_gives_the_files_it_matches_sorted(
    folder: Path, pattern: str, expected: list[str]
) -> None:
    found = expand_inputs([f"{folder}/{pattern}"])
    assert [str(Path(p).relative_to(folder)) for p in found] == expected


def test_arguments_keep_their_order_and_each_expands_in_place(folder: Path) -> None:
    found = expand_inputs([str(folder / "c.md"), f"{folder}/*.txt", str(folder / "a.txt")])
    assert [Path(p).name for p in found] == ["c.md", "a.txt", "b.txt", "a.txt"]


@pytest.mark.parametrize(
    ("arg", "match"),
    [
        ("{f}/*.jpg", "the pattern matches no files"),
        ("{f}/sub/nothing", "no such input file"),
        ("{f}/empty", "the folder has no image, video or text files"),
    ],
)
def test_nothing_to_run_is_refused_naming_the_argument(folder: Path, arg: str, match: str) -> None:
    (folder / "empty").mkdir()
    with pytest.raises(InputError, match=match):
        expand_inputs([arg.format(f=folder)])


def test_too_many_files_is_refused_before_running(folder: Path) -> None:
    with pytest.raises(InputError, match=r"more than .* input files"):
        expand_inputs([str(folder), f"{folder}/*.txt"], limit=5)
    with pytest.raises(InputError, match="more than"):
        expand_inputs([f"{folder}/**/*"], limit=3)


def test_run_takes_a_folder_and_a_pattern(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "shout.yml"
    flow.write_text(UPPER)
    assert main(["run", str(flow), "--input", str(folder), "--input", f"{folder}/sub/*"]) == 1
    doc = json.loads(capsys.readouterr().out)
    ids = [r["input"]["id"] for r in doc["results"]]
    assert ids == ["a", "b", "c", "x", "d"]
    texts = [r["outputs"][0]["data"].get("text", {}).get("raw") for r in doc["results"]]
    assert texts[:3] == ["A", "B", "C"]  # x.PNG is no image: its input fails on its own
    assert doc["results"][3]["status"]["code"] != 10000


def test_run_with_a_pattern_that_matches_nothing_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "shout.yml"
    flow.write_text(UPPER)
    assert main(["run", str(flow), "--input", f"{tmp_path}/*.jpg"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "matches no files" in err
