"""engine/cli.py: exit codes, one-line errors, JSON on stdout."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import tests.engine._ops  # noqa: F401  (registers the test operators)
from engine.cli import main

UPPER = """\
workflow:
  id: shout
  nodes:
    - id: up
      model:
        model_id: up
        model_type_id: test-upper
"""


@pytest.fixture
def shout(tmp_path: Path) -> Path:
    path = tmp_path / "shout.yml"
    path.write_text(UPPER)
    return path


def test_run_prints_clarifai_json(shout: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(shout), "--text", "hi", "--text", "there"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"]["code"] == 10000
    assert [r["outputs"][0]["data"]["text"]["raw"] for r in doc["results"]] == ["HI", "THERE"]


def test_run_exit_1_on_mixed_status_still_prints(
    shout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(shout), "--text", "ok", "--text", "boom"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"]["code"] == 10010


def test_run_json_input_and_out_file(shout: Path, tmp_path: Path) -> None:
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"inputs": [{"data": {"text": {"raw": "a"}}}]}))
    out = tmp_path / "out.json"
    assert main(["run", str(shout), "--json-input", str(req), "--out", str(out)]) == 0
    assert json.loads(out.read_text())["results"][0]["outputs"][0]["data"]["text"]["raw"] == "A"


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["run", "{wf}"], "give at least one --input"),
        (["run", "{wf}", "--input", "/no/such/file.png"], "no such input file"),
        (["run", "{wf}", "--json-input", "{bad_json}"], r"bad\.json:1:2: invalid JSON"),
        (["run", "{missing}", "--text", "a"], "cannot read workflow file"),
        (["validate", "{bad_wf}"], r"bad\.yml:2:7: workflow id 'a b' is not a valid id"),
        (
            ["run", "{wf}", "--text", "a", "--sample-ms", "7"],
            r"--sample-ms: must be 100\.\.60000, got 7",
        ),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    argv: list[str], match: str, shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.json").write_text("{oops")
    (tmp_path / "bad.yml").write_text(
        "workflow:\n  id: a b\n  nodes: [{id: x, model: {model_id: m}}]\n"
    )
    names = {
        "wf": shout,
        "bad_json": tmp_path / "bad.json",
        "missing": tmp_path / "nope.yml",
        "bad_wf": tmp_path / "bad.yml",
    }
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    import re

    assert re.search(match, err), err


def test_validate_refuses_unbound_as_run_does_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "ref.yml"
    wf.write_text("workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: mystery}\n")
    assert main(["validate", str(wf)]) == 2
    assert f"{wf}:5:13: node 'x' references model 'mystery'" in capsys.readouterr().err
    assert main(["run", str(wf), "--text", "hi"]) == 2
    assert f"{wf}:5:13: node 'x' references model 'mystery'" in capsys.readouterr().err
    assert main(["validate", "--allow-unbound", str(wf)]) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "ok (1 nodes)" in captured.out
    assert main(["validate", "--allow-unbound", "--strict", str(wf)]) == 2
    catalog = tmp_path / "models.yml"
    catalog.write_text("models:\n  - {model_id: mystery, model_type_id: test-upper}\n")
    assert main(["validate", "--strict", "--models", str(catalog), str(wf)]) == 0


def test_graph_prints_tree_and_mermaid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wf = tmp_path / "g.yml"
    wf.write_text(
        UPPER + "    - id: again\n      model: {model_id: a, model_type_id: test-upper}\n"
        "      node_inputs: [{node_id: up}]\n"
    )
    assert main(["graph", str(wf)]) == 0
    out = capsys.readouterr().out
    assert "└── up (test-upper)" in out and "    └── again (test-upper)" in out
    assert "graph TD" in out and "n0 --> n1" in out and 'n1["again<br/>test-upper"]' in out


def test_operators_lists_params(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["operators"]) == 0
    out = capsys.readouterr().out
    assert "test-keep-above" in out and "min_value: default 0.5 - lowest value kept" in out


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "workflow:\n  id: a\n  nodes:\n  - id: x\n    model: {model_id: m, model_type_id: nope}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{bad}:5:26: node 'x': unknown model_type_id 'nope'")
    assert "Traceback" not in proc.stderr


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "clarifai-workflows"


def _corpus() -> list[str]:
    files = sorted(str(p) for p in CORPUS.rglob("*.yml"))
    assert len(files) == 86
    return files


# Clarifai's language-aware OCR examples (and its OCR node example) run out of the box with
# the ocr extra: the bundled catalog binds their OCR model ids, and language-id-operator's
# `library: fasttext` without a model file uses the lid.176.ftz the extra installs
_OCR_FILES = {
    "examples__workflows__configs__language_aware_ocr.yml",
    "docs__code_snippets__python-sdk__workflows__outputs__lang_aware_yaml.yml",
    "examples__workflows__configs__Nodes__Predict__optical-character-recognizer.yml",
}
_UNBOUND = "bound to no local implementation"


def _is_positioned(line: str) -> bool:
    parts = line.split(":")
    return len(parts) > 3 and parts[1].isdigit() and parts[2].isdigit()


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared conformance corpus is not beside the repo"
)
def test_corpus_files_with_unbound_models_fail_validate_as_they_fail_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given Clarifai's own files, most of which reference models no local catalog binds
    files = _corpus()
    # when validated without a catalog
    assert main(["validate", *files]) == 2
    out, err = capsys.readouterr()
    # then the 14 files whose models are all bound (the OCR ones by the bundled catalog)
    # are ok, and every error is an unbound reference (72 files), each on its own line with
    # its position, exactly as `run` reports it
    assert out.count(": ok (") == 14
    assert all(f"{name}: ok (" in out for name in _OCR_FILES)
    lines = err.splitlines()
    assert all(_is_positioned(line) for line in lines), err
    unbound = [line for line in lines if _UNBOUND in line]
    assert len({line.split(":")[0] for line in unbound}) == 72
    assert unbound == lines


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="the shared conformance corpus is not beside the repo"
)
def test_every_clarifai_corpus_file_passes_validate_with_its_models_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a catalog binding every model the corpus references to a stand-in model
    files = _corpus()
    main(["validate", *files])
    refs = re.findall(r"references model '(?:[^/']*/)*([^/']+)'", capsys.readouterr().err)
    catalog = tmp_path / "models.yml"
    catalog.write_text(
        "models:\n"
        + "".join(f"  - {{model_id: {i}, model_type_id: test-any-model}}\n" for i in set(refs))
    )
    # when validated with it: every file parses, compiles (typed edges included) and its
    # nodes are built
    assert main(["validate", "--models", str(catalog), *files]) == 0
    out, err = capsys.readouterr()
    assert out.count(": ok (") == 86, err


def test_run_in_an_app_context_retrieves_and_annotates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app_dir = tmp_path / "app"
    assert main(["app", "create", str(app_dir), "--base-workflow", "text"]) == 0
    assert (
        main(
            [
                "app",
                "add",
                str(app_dir),
                "--text",
                "Repairs cost $1.2M in 2020.",
                "--text",
                "The cafeteria reopened in 2021.",
            ]
        )
        == 0
    )
    capsys.readouterr()
    wf = tmp_path / "rag.yml"
    wf.write_text(
        "workflow:\n  id: rag\n  nodes:\n"
        "    - id: rag\n      model:\n        model_id: rag\n        model_type_id: rag-prompter\n"
        "        output_info: {params: {max_results: 1}}\n"
        "    - id: write\n      model:\n        model_id: w\n"
        "        model_type_id: annotation-writer\n"
        "      node_inputs: [{node_id: rag}]\n"
    )
    assert main(["run", str(wf), "--app", str(app_dir), "--text", "What did repairs cost?"]) == 0
    doc = json.loads(capsys.readouterr().out)
    prompt = doc["results"][0]["outputs"][0]["data"]["text"]["raw"]
    assert "Repairs cost $1.2M in 2020." in prompt and "cafeteria" not in prompt
    assert doc["results"][0]["outputs"][1]["status"]["code"] == 10000


def test_out_file_is_written_whole_or_left_alone(shout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous results")
    assert main(["run", str(shout), "--text", "a", "--sample-ms", "50", "--out", str(out)]) == 2
    assert out.read_text() == "previous results"
    assert main(["run", str(shout), "--text", "a", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["status"]["code"] == 10000
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_stream_ends_with_the_results_of_still_inputs(
    shout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(shout), "--text", "hi", "--stream"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["results"][0]["outputs"][0]["data"]["text"]["raw"] == "HI"


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--text", "a", "--draw", "out.mp4"], "an image input is drawn to .png"),
        (["--text", "a", "--app", "{tmp}/no-app"], "no app here"),
        (["--input", "{tmp}"], "the folder has no image, video or text files"),
    ],
)
def test_more_user_errors(
    extra: list[str], match: str, shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(shout), *[a.format(tmp=tmp_path) for a in extra]]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "no-app").exists()  # --app never creates an app


def test_graph_ids_that_mermaid_would_misread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "g.yml"
    wf.write_text(
        "workflow:\n  id: g\n  nodes:\n"
        '    - {id: "a-b", model: {model_id: a, model_type_id: test-upper}}\n'
        '    - {id: "a_b", model: {model_id: b, model_type_id: test-upper},'
        ' node_inputs: [{node_id: "a-b"}]}\n'
    )
    assert main(["graph", str(wf)]) == 0
    out = capsys.readouterr().out
    assert "n0 --> n1" in out and "n1 --> n1" not in out


def test_graph_refuses_what_validate_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = tmp_path / "g.yml"
    wf.write_text(
        "workflow:\n  id: g\n  nodes:\n  - {id: a, model: {model_id: a, model_type_id: nope}}\n"
    )
    assert main(["graph", str(wf)]) == 2
    assert "unknown model_type_id 'nope'" in capsys.readouterr().err


def test_out_is_written_through_a_new_unpredictable_file_not_a_planted_symlink(
    shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given symlinks planted at the names a writer might predict, pointing at a victim
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out.json"
    import os

    for name in (f".out.json.{os.getpid()}.tmp", ".out.json.tmp", "out.json.tmp"):
        (tmp_path / name).symlink_to(victim)
    # when the result is written with --out
    assert main(["run", str(shout), "--text", "hi", "--out", str(out)]) == 0
    # then the victim is untouched, the output is complete, no temporary file is left
    assert victim.read_text() == "precious"
    assert json.loads(out.read_text())["results"][0]["outputs"][0]["data"]["text"]["raw"] == "HI"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.is_symlink()) == [
        "out.json",
        "shout.yml",
        "victim.txt",
    ]


def test_out_into_a_directory_or_missing_folder_is_one_line(
    shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(shout), "--text", "hi", "--out", str(tmp_path)]) == 2
    assert "it is a directory" in capsys.readouterr().err
    missing = tmp_path / "no" / "out.json"
    assert main(["run", str(shout), "--text", "hi", "--out", str(missing)]) == 2
    assert f"cannot write {missing}: No such file" in capsys.readouterr().err


def test_validate_reports_every_mistake_of_a_file_each_on_its_own_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text(
        "workflow:\n  id: a\n  nodes:\n"
        "    - id: one\n      model: {model_id: x, model_type_id: test-uper}\n"
        "    - id: [two]\n      model: {model_id: x}\n"
        "    - id: three\n      model: {model_id: x, model_type_id: test-keep-above,"
        " output_info: {params: {min_value: 7}}}\n"
        "    - id: four\n      model: {model_id: x, model_type_id: language-id-operator,"
        " output_info: {params: {library: fasttext, model_path: /no/lid.bin}}}\n"
    )
    assert main(["validate", str(flow)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{flow}:5:28",
        f"{flow}:6:11",
        f"{flow}:9:83",
        f"{flow}:11:79",
    ]
    assert "did you mean 'test-upper'" in lines[0] and "is not a file" in lines[3]


def test_validate_builds_nodes_as_run_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text(
        "workflow:\n  id: a\n  nodes:\n"
        "    - id: b\n      model: {model_id: x, model_type_id: test-broken-set-up}\n"
    )
    assert main(["validate", str(flow)]) == 2
    assert "cannot set up node 'b': RuntimeError: the runtime refused" in capsys.readouterr().err


def test_json_input_nested_100000_deep_or_not_a_file_is_one_line(
    shout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    fifo = tmp_path / "pipe.json"
    import os

    os.mkfifo(fifo)
    for path, message in [
        (deep, f"{deep}:1:513: JSON nested more than 512 levels deep"),
        (Path("/dev/zero"), "cannot read /dev/zero: a device, not a file"),
        (fifo, f"cannot read {fifo}: a pipe (FIFO), not a file"),
    ]:
        assert main(["run", str(shout), "--json-input", str(path)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


def test_validate_goes_on_past_a_wrong_node_that_others_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "flow.yml"
    flow.write_text(
        "workflow:\n  id: a\n  nodes:\n"
        "    - id: one\n      model: {model_id: x, model_type_id: random-sample, colour: red}\n"
        "    - id: two\n      model: {model_id: x, model_type_id: test-keep-above}\n"
        "      node_inputs: [{node_id: one}]\n"
        "    - id: three\n      model: {model_id: x, model_type_id: test-upper}\n"
        "      node_inputs: [{node_id: two}]\n"
    )
    assert main(["validate", str(flow)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "unknown key 'colour'" in lines[0], lines
    assert f"{flow}:9:7: node 'three' (test-upper) reads 'text'" in lines[1]
