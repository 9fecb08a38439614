"""Apps for the resource tests: a hashing text embedder (fast, no model files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from engine.app import App
from engine.workflow import Workflow


def hashing_base() -> Workflow:
    wf = Workflow("hashing-base")
    wf.add("text-embedder", id="embed", params={"model": "hashing"})
    return wf


@pytest.fixture
def app(app_location: Any) -> Iterator[App]:
    """An app on each store backend (SQLite, PostgreSQL)."""
    with App(app_location(), base_workflow=hashing_base()) as app:
        yield app


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two labelled sub-folders with a.png each (same name), texts, and a stray file."""
    root = tmp_path / "src"
    for label, shade in (("cats", 60), ("dogs", 200)):
        (root / label).mkdir(parents=True)
        cv2.imwrite(str(root / label / "a.png"), np.full((12, 16, 3), shade, np.uint8))
        (root / label / "note.txt").write_text(f"a note about {label}")
    (root / "README.md").write_text("not an input")
    (root / ".hidden.txt").write_text("left out")
    return root


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(
        "inputid,input,concepts,metadata,geopoints\n"
        "r1,hello world,\"greet,hi\",\"{'k': 1, 'deep': {'x': [1, 2]}}\",\"-122.4,37.7\"\n"
        "r2,goodbye world,,,\n"
        ",a row without id,,,\n"
        'r4,bad metadata,,"not json",\n'
    )
    return path
