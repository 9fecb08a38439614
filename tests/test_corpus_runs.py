"""Every one of Clarifai's own workflow files runs here, on local parts.

The 86 files of the conformance corpus reference Clarifai's hosted models; each is bound to
a local part (``tests/corpus_bindings.py``).  Every file of a deprecated type is refused at
validate time with its replacement, and every other file validates with ``--strict`` and
runs on an input of its kind, in an app, with every output a success.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import StatusCode
from engine.cli import main
from tests.corpus_bindings import (
    DEPRECATED,
    FILES,
    Parts,
    corpus_input,
    deprecated_type,
    local_parts,
    write_catalog,
)

pytestmark = [
    pytest.mark.skipif(not FILES, reason="the shared conformance corpus is not beside the repo"),
    pytest.mark.slow,
]


@pytest.fixture(scope="module")
def parts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parts]:
    yield from local_parts(tmp_path_factory.mktemp("corpus"))


def test_the_corpus_is_all_here() -> None:
    assert len(FILES) == 86
    assert sum(deprecated_type(f) is not None for f in FILES) == len(DEPRECATED)


@pytest.mark.parametrize("path", [f for f in FILES if deprecated_type(f)], ids=lambda f: f.stem)
def test_a_deprecated_type_is_refused_with_its_replacement(
    parts: Parts, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    type_id = deprecated_type(path)
    _, catalog = write_catalog(parts, path)
    assert main(["validate", "--strict", "--models", str(catalog), str(path)]) == 2
    err = capsys.readouterr().err
    assert re.match(r"\S+:\d+:\d+: ", err), err  # the catalog entry naming the type
    assert "deprecated" in err.lower() and str(type_id) in err, err


@pytest.mark.parametrize("path", [f for f in FILES if not deprecated_type(f)], ids=lambda f: f.stem)
def test_every_other_file_validates_strictly_and_runs(
    parts: Parts, path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine import Workflow

    bindings, catalog = write_catalog(parts, path)
    assert main(["validate", "--strict", "--models", str(catalog), str(path)]) == 0, (
        capsys.readouterr().err
    )
    wf = Workflow.from_yaml(path, models=bindings)
    item = corpus_input(path)
    app = parts.text_app if "text" in item["data"] else parts.app
    if "CLIP-ViT" in path.read_text():  # its nodes were trained on the CLIP towers' space
        app = parts.clip_app
    result = app.predict(wf, [item]).results[0]
    assert result.status.code == StatusCode.SUCCESS, result.status
    failed = {
        o.id: o.status.description for o in result.outputs if o.status.code != StatusCode.SUCCESS
    }
    assert not failed, failed
    assert result.outputs
