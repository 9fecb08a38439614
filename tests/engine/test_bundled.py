"""engine/bundled.py: the workflow files shipped in the package, reached as builtin:NAME."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import StatusCode, Workflow, YamlError
from engine.bundled import GRAPHS_DIR, bundled_graphs, is_builtin, resolve_builtin
from engine.samples import SHELF_LABEL_CODES, shelf_label
from engine.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_every_graph_file_is_listed_with_its_summary() -> None:
    graphs = bundled_graphs()
    assert [g.name for g in graphs] == sorted(p.stem for p in GRAPHS_DIR.glob("*.yml"))
    assert {"barcode-reading", "video-sample-boxes"} <= {g.name for g in graphs}
    barcode = next(g for g in graphs if g.name == "barcode-reading")
    assert barcode.summary.startswith("Reads every barcode") and barcode.summary.endswith(".")


def test_the_repository_graphs_folder_is_the_packaged_one() -> None:
    assert (ROOT / "graphs").resolve() == GRAPHS_DIR
    assert GRAPHS_DIR.parent == Path(__file__).resolve().parents[2] / "engine"


@pytest.mark.parametrize("name", ["builtin:barcode-reading", "builtin:barcode-reading.yml"])
def test_builtin_names_resolve_from_any_folder(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    label = shelf_label(tmp_path / "label.png")
    wf = Workflow.from_yaml(name)
    assert wf.file == str(GRAPHS_DIR / "barcode-reading.yml")  # relative params resolve there
    result = wf.predict([str(label)])
    assert result.status.code == StatusCode.SUCCESS
    regions = result.results[0].outputs[0].data.regions
    found = {(r.data.concepts[0].id, r.data.text.raw) for r in regions}
    assert found == {(sym, text) for sym, _, text in SHELF_LABEL_CODES}


def test_a_wrong_name_suggests_the_closest_and_lists_them() -> None:
    with pytest.raises(YamlError, match=r"no bundled workflow 'barcode-readin' \(did you mean "):
        load_spec("builtin:barcode-readin")
    with pytest.raises(YamlError, match="bundled: barcode-reading, "):
        resolve_builtin("builtin:")


def test_only_a_one_line_prefixed_string_is_a_builtin_name() -> None:
    assert is_builtin("builtin:x") and is_builtin(Path("builtin:x"))
    assert not is_builtin("builtin:\n  id: a\n") and not is_builtin("graphs/builtin:x")
    assert os.sep not in "builtin:"  # the prefix can never be a folder of the user's
