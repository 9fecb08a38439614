"""requirements/dev.lock (what `make setup` and CI install) agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def _locked() -> dict[str, list[str]]:
    """Every pinned name and its versions (one per marker branch)."""
    pins: dict[str, list[str]] = {}
    for line in (ROOT / "requirements" / "dev.lock").read_text().splitlines():
        found = re.match(r"^([A-Za-z0-9._-]+)==([^ ;]+)", line)
        if found:
            pins.setdefault(canonicalize_name(found[1]), []).append(found[2])
    return pins


def _declared() -> list[Requirement]:
    """The runtime and dev requirements, with the extras that dev names (opgraph[x]) expanded."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    todo, out = [*project["dependencies"], *extras["dev"]], []
    while todo:
        req = Requirement(todo.pop())
        if canonicalize_name(req.name) == "opgraph":
            todo.extend(r for extra in req.extras for r in extras[extra])
        else:
            out.append(req)
    return out


def test_every_runtime_and_dev_dependency_is_locked_within_its_range() -> None:
    # a dependency added to pyproject.toml without `make lock` fails here, not on a fresh machine
    locked = _locked()
    for req in _declared():
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not locked: run make lock LOCK_FLAGS="
        for version in locked[name]:
            assert req.specifier.contains(version), f"{req.name}=={version} is not {req}"


def test_the_dev_lock_never_pulls_torch() -> None:
    # with no torch installed, a locked torch would be a CUDA build of several GB
    assert "torch" not in _locked()
