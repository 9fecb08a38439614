"""The registry of ``opgraph app`` commands: each verb module registers its own.

A command is ``opgraph app NAME PATH ...`` or, inside a verb group, ``opgraph app GROUP
NAME PATH ...``; ``PATH`` (the app) is added to every command.  A handler gets the opened
``App`` and the parsed arguments and returns the exit code (0 ok, 1 some items failed);
user errors are raised as ``OpgraphError``s, which ``opgraph`` prints as one line, exit 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.app import App

__all__ = ["Command", "Handler", "build", "command", "find", "group"]

Handler = Callable[["App", argparse.Namespace], int]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    name: str  # "search", or "inputs list" inside the "inputs" group
    help: str
    run: Handler
    arguments: Arguments | None = None
    creates: bool = False  # opens an app that may not exist yet (``app create``)


_COMMANDS: dict[str, Command] = {}
_GROUPS: dict[str, str] = {}  # group name -> help


def command(
    name: str, help: str, *, arguments: Arguments | None = None, creates: bool = False
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as ``opgraph app NAME`` (``"group verb"`` nests)."""

    def register(run: Handler) -> Handler:
        if name in _COMMANDS:
            raise RuntimeError(f"opgraph app {name} is registered twice")
        _COMMANDS[name] = Command(name, help, run, arguments, creates)
        return run

    return register


def group(name: str, help: str) -> None:
    """Declare the verb group ``opgraph app NAME`` (its commands register as "NAME verb")."""
    _GROUPS[name] = help


def find(name: str) -> Command:
    return _COMMANDS[name]


class _Intermixed(argparse.ArgumentParser):
    """A command's parser that takes options between positionals
    (``opgraph app add APP --skip-existing a.txt b.txt``)."""

    _inside = False

    def parse_known_args(  # type: ignore[override]
        self, args: Any = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        nested = any(isinstance(a, argparse._SubParsersAction) for a in self._actions)
        if self._inside or nested:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return super().parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def build(app_parser: argparse.ArgumentParser) -> None:
    """Add every registered command (and group) under ``opgraph app``."""
    sub = app_parser.add_subparsers(
        dest="app_command", required=True, metavar="COMMAND", parser_class=_Intermixed
    )
    groups: dict[str, Any] = {}
    for name, cmd in _COMMANDS.items():
        head, _, verb = name.partition(" ")
        parent = sub
        if verb:
            if head not in groups:
                g = sub.add_parser(head, help=_GROUPS.get(head, f"{head} commands"))
                groups[head] = g.add_subparsers(
                    dest=f"{head}_command", required=True, metavar="VERB", parser_class=_Intermixed
                )
            parent = groups[head]
        p = parent.add_parser(verb or head, help=cmd.help, description=cmd.help)
        p.add_argument(
            "path",
            metavar="PATH",
            help="the app: a directory holding app.db, or a postgresql:// URL",
        )
        if cmd.arguments is not None:
            cmd.arguments(p)
        p.set_defaults(app_command_name=name)
