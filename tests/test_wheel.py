"""The built package on its own: sdist -> wheel, installed in an empty venv, run from an
empty folder on sample media it draws itself.

Slow (a minute or more: a build and a venv of every dependency), so it runs in CI
(``CI=true``) or on ``make test-wheel``.  The venv is made without the system's
site-packages, so a dependency missing from pyproject.toml fails here; the versions come from
the lock and the files from pip's cache, as ``make setup`` left them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "dev.lock"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        not (os.environ.get("CI") or os.environ.get("OPGRAPH_TEST_WHEEL")),
        reason="builds and installs the wheel (slow): runs in CI or on `make test-wheel`",
    ),
]


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding only the wheel and its dependencies."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    # sdist first, then the wheel from the unpacked sdist: both must carry the graphs
    _run(sys.executable, "-m", "build", "--outdir", dist, ROOT, cwd=tmp)
    wheel = next(dist.glob("opgraph-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "engine/py.typed" in names and "engine/graphs/barcode-reading.yml" in names
    assert "engine/graphs/video-sample-boxes.det.json" in names
    assert "engine/api/console/index.html" in names and "engine/api/console/console.js" in names
    assert "engine/api/console/js-yaml.mjs" in names  # vendored, with its licence
    assert "engine/api/console/js-yaml.LICENSE.txt" in names
    assert not [n for n in names if n.startswith(("tests/", "graphs/", "examples/"))]
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp)
    bin_ = venv / "bin"
    _run(bin_ / "python", "-m", "pip", "install", "-q", "-c", LOCK, wheel, cwd=tmp)
    return bin_


def _clean_env(bin_: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**env, "PATH": f"{bin_}{os.pathsep}{env.get('PATH', '')}"}


def test_the_wheel_runs_a_bundled_graph_from_an_empty_folder(
    installed: Path, tmp_path: Path
) -> None:
    env = _clean_env(installed)
    work = tmp_path / "empty"
    work.mkdir()
    version = _run("opgraph", "--version", cwd=work, env=env).split()
    assert version[0] == "opgraph" and version[1][0].isdigit()
    assert "builtin:barcode-reading" in _run("opgraph", "graphs", cwd=work, env=env)
    _run("opgraph", "samples", "media", cwd=work, env=env)
    out = _run(
        "opgraph", "run", "builtin:barcode-reading", "--input", "media/shelf-label.png",
        cwd=work, env=env,
    )  # fmt: skip
    regions = json.loads(out)["results"][0]["outputs"][0]["data"]["regions"]
    assert {r["data"]["text"]["raw"] for r in regions} >= {"BIN-17", "5901234123457"}
    # a graph whose detections file sits beside it in the installed package
    out = _run(
        installed / "python", "-m", "engine", "run", "builtin:video-sample-boxes",
        "--input", "media/moving-boxes.mp4", cwd=work, env=env,
    )  # fmt: skip
    frames = json.loads(out)["results"][0]["outputs"][-1]["data"]["frames"]
    assert len(frames) == 6
    # the package came from the venv, not from the repository
    where = _run(
        installed / "python", "-c", "import engine, operators; print(engine.__file__, "
        "operators.__file__)", cwd=work, env=env,
    )  # fmt: skip
    assert str(ROOT) not in where and str(installed.parent) in where
