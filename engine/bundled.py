"""The workflow files shipped inside the package, reached as ``builtin:NAME``.

``opgraph run builtin:barcode-reading ...`` and ``Workflow.from_yaml("builtin:barcode-reading")``
work from any folder, in a repository checkout and in an installed wheel alike: the files
live in ``engine/graphs/`` (the repository's top-level ``graphs/`` points there), so file
params given relative to a graph (a detections file) resolve beside the installed copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.errors import YamlError
from engine.operator import suggest

__all__ = ["PREFIX", "BundledGraph", "bundled_graphs", "is_builtin", "resolve_builtin"]

PREFIX = "builtin:"
GRAPHS_DIR = Path(__file__).resolve().parent / "graphs"


@dataclass(frozen=True)
class BundledGraph:
    name: str
    path: Path
    summary: str  # the first sentence of the file's leading comment


def is_builtin(source: str | Path) -> bool:
    text = str(source)
    return text.startswith(PREFIX) and "\n" not in text


def bundled_graphs() -> list[BundledGraph]:
    """Every bundled workflow, by name."""
    return [
        BundledGraph(p.stem, p, _summary(p))
        for p in sorted(GRAPHS_DIR.glob("*.yml"))
        if p.is_file()
    ]


def resolve_builtin(source: str | Path) -> Path:
    """The file of ``builtin:NAME`` (``.yml`` may be given); a clear error for a wrong name."""
    name = str(source)[len(PREFIX) :].removesuffix(".yml").removesuffix(".yaml")
    names = [g.name for g in bundled_graphs()]
    if name not in names:
        known = ", ".join(names) or "none"
        raise YamlError(
            f"no bundled workflow '{name}'{suggest(name, names)}; bundled: {known} "
            "(opgraph graphs lists them)",
            file=str(source),
        )
    return GRAPHS_DIR / f"{name}.yml"


def _summary(path: Path) -> str:
    lines: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                break
            lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]
