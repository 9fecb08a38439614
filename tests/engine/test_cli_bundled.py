"""engine/cli_bundled.py and the package's entry points: graphs, --version, python -m engine."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import engine
from engine.bundled import GRAPHS_DIR
from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_graphs_lists_every_bundled_name_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graphs"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = [line for line in out if not line.startswith(" ")]
    assert names == [f"builtin:{p.stem}" for p in sorted(GRAPHS_DIR.glob("*.yml"))]
    assert all(len(line) <= 100 for line in out)
    assert main(["graphs", "--paths"]) == 0
    assert capsys.readouterr().out.split() == [str(p) for p in sorted(GRAPHS_DIR.glob("*.yml"))]


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    assert engine.__version__ == version("opgraph")
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"opgraph {engine.__version__}\n"


def test_python_dash_m_engine_is_the_command(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "run", "builtin:barcode-readin", "--text", "x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "did you mean 'barcode-reading'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_users_operators_folder_is_named_not_silently_used(tmp_path: Path) -> None:
    # a folder of the user's named like ours, first on sys.path beside their script
    (tmp_path / "operators").mkdir()
    (tmp_path / "operators" / "__init__.py").write_text(
        "raise SystemExit('imported the user code')\n"
    )
    script = tmp_path / "flow.py"
    script.write_text(
        "from engine import Workflow\n"
        "Workflow('w').add('concept-thresholder', concepts=[{'id': 'a', 'value': 0.5}])\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert f"a package named 'operators' at {tmp_path / 'operators'} hides" in proc.stderr
    assert "imported the user code" not in proc.stderr
    (tmp_path / "operators" / "__init__.py").unlink()
    (tmp_path / "operators").rmdir()
    proc = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
