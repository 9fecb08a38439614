"""``opgraph app ...``: one module per resource verb group, each registering its commands.

Every command prints Clarifai JSON (the response type of the matching V2 call) and exits
0 (ok) or 1 (some items failed); user errors raise ``OpgraphError``s, which ``opgraph``
turns into one line on stderr and exit 2 (an ``AppError`` also prints its Clarifai
``status`` on stdout, as the V2 API answers a refused request).  A module here that does
not start with ``_`` is imported on start and registers its commands with
``_registry.command``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from pathlib import Path
from typing import Any

from engine.cli_app import _registry
from engine.cli_app._output import emit, error_status
from engine.errors import AppError, StoreError

__all__ = ["add_app_parser", "open_app", "require_app", "run_app_command"]


def _load_verb_modules() -> None:
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        if not module.startswith("_"):
            importlib.import_module(f"{__name__}.{module}")


def add_app_parser(subparsers: Any) -> None:
    """Add ``app`` and its subcommands to the ``opgraph`` subparsers."""
    _load_verb_modules()
    app = subparsers.add_parser("app", help="apps: stored, indexed, searchable inputs")
    _registry.build(app)
    app.set_defaults(func=run_app_command)


def run_app_command(args: argparse.Namespace) -> int:
    """Run one ``opgraph app`` command; returns the exit code."""
    from engine.app import App

    cmd = _registry.find(args.app_command_name)
    try:
        if cmd.creates:
            with App(args.path, base_workflow=args.base_workflow) as app:
                return cmd.run(app, args)
        with open_app(args.path) as app:
            return cmd.run(app, args)
    except AppError as exc:  # the response Clarifai would send, then the one-line error
        emit({"status": error_status(exc)})
        raise


def require_app(path: Path | str) -> None:
    """``StoreError`` unless ``path`` holds an app (commands other than create never make one)."""
    from engine.store._app_support import is_postgres_url, open_store

    if is_postgres_url(path):
        open_store(str(path), create=False).close()
        return
    path = Path(path)
    db = path if path.is_file() else path / "app.db"
    if not db.is_file():
        raise StoreError(f"{path}: no app here; create one with `opgraph app create {path}`")


def open_app(path: str) -> Any:
    """The existing app at ``path``."""
    from engine.app import App

    require_app(path)
    return App(path)
