"""``opgraph graphs`` (the bundled workflows) and ``opgraph samples`` (media to run them on)."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["add_bundled_parsers"]


def add_bundled_parsers(sub: Any) -> None:
    g = sub.add_parser("graphs", help="list the bundled workflows (run one as builtin:NAME)")
    g.add_argument("--paths", action="store_true", help="print each file's path, not a summary")
    g.set_defaults(func=_graphs)

    s = sub.add_parser("samples", help="draw sample media the bundled workflows run on")
    s.add_argument("out", metavar="DIR", nargs="?", default="opgraph-samples")
    s.set_defaults(func=_samples)


def _graphs(args: argparse.Namespace) -> int:
    from engine.bundled import PREFIX, bundled_graphs

    for g in bundled_graphs():
        if args.paths:
            print(g.path)
            continue
        print(f"{PREFIX}{g.name}")
        print(textwrap.fill(g.summary, 96, initial_indent="    ", subsequent_indent="    "))
    return 0


def _samples(args: argparse.Namespace) -> int:
    from engine.errors import InputError
    from engine.samples import write_samples

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} exists and is not a folder")
    try:
        written = write_samples(out)
    except OSError as exc:
        raise InputError(f"cannot write the samples to {out}: {exc}") from None
    for path in written:
        print(path)
    return 0
