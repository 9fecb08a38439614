"""The ``opgraph`` command: validate, run, graph, operators, app.

Exit codes: 0 every result succeeded; 1 the run finished but some results failed
(MIXED_STATUS / FAILURE, the JSON is still printed); 2 a user error found before running
(bad file, bad option), reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from engine import progress
from engine.cli_output import FORMATS
from engine.errors import OpgraphError, SpecError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line and exit 2, like every user error
        raise _Usage(f"{self.prog}: {message}")


class _Usage(Exception):
    pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        _configure_logging(args.verbose, args.quiet)
        return int(args.func(args))
    except _Usage as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except OpgraphError as exc:
        print(str(exc) if isinstance(exc, SpecError) else f"opgraph: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("opgraph: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


_LOGGERS = ("engine", "operators")
_handler: logging.Handler | None = None


def _configure_logging(verbose: int, quiet: bool) -> None:
    """Library code logs to the ``engine`` / ``operators`` loggers; the command shows them
    on stderr: warnings by default, ``-v`` info, ``-vv`` debug, ``-q`` errors only (and no
    progress bars)."""
    global _handler
    if quiet:
        level = logging.ERROR
    else:
        level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    progress.set_quiet(quiet)
    handler = logging.StreamHandler(sys.stderr)  # the stderr of this call (tests swap it)
    fmt = (
        "opgraph: %(levelname)s: %(message)s"
        if verbose < 2
        else ("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(logging.Formatter(fmt))
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _handler is not None:
            logger.removeHandler(_handler)
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
    _handler = handler


def _add_verbosity(parser: argparse.ArgumentParser, top: bool) -> None:
    # on the top parser and on each command, so `opgraph -v run ...` and `opgraph run ... -v`
    # both work; a command's copy must not reset what the top parser set
    keep: dict[str, Any] = {} if top else {"default": argparse.SUPPRESS}
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        help="say more on stderr (-vv: debug)",
        **({"default": 0} if top else keep),
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="errors only on stderr, no progress bars",
        **({"default": False} if top else keep),
    )


def _sample_ms(text: str) -> int:
    from engine.media import MAX_SAMPLE_MS, MIN_SAMPLE_MS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of milliseconds: {text!r}") from None
    if not MIN_SAMPLE_MS <= value <= MAX_SAMPLE_MS:
        raise argparse.ArgumentTypeError(f"must be {MIN_SAMPLE_MS}..{MAX_SAMPLE_MS}, got {value}")
    return value


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number >= 1: {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number (0 to 65535): {text!r}")
    return int(text)


def _build_parser() -> argparse.ArgumentParser:
    from engine import __version__

    p = _Parser(prog="opgraph", description="Run Clarifai-style workflows locally.")
    p.add_argument("--version", action="version", version=f"opgraph {__version__}")
    _add_verbosity(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    _add_validate_parser(sub)
    _add_run_parser(sub)
    _add_graph_parsers(sub)

    from engine.cli_bundled import add_bundled_parsers

    add_bundled_parsers(sub)

    from engine.cli_serve import add_serve_parser

    add_serve_parser(sub)
    try:
        from engine import cli_app

        cli_app.add_app_parser(sub)
    except ImportError:  # the app commands are optional while the store is absent
        pass
    _add_verbosity_below(sub)
    return p


def _add_validate_parser(sub: Any) -> None:
    v = sub.add_parser("validate", help="check workflow files as run builds them")
    v.add_argument("files", nargs="+", metavar="FILE")
    v.add_argument("--models", metavar="M", help="model catalog YAML binding model ids")
    v.add_argument(
        "--allow-unbound",
        action="store_true",
        help="a model reference bound to nothing is a warning, not an error (run refuses it)",
    )
    v.add_argument("--strict", action="store_true", help="warnings are errors too")
    v.set_defaults(func=_validate)


def _add_run_parser(sub: Any) -> None:
    r = sub.add_parser("run", help="run a workflow on inputs and print the JSON response")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--models", metavar="M", help="model catalog YAML binding model ids")
    r.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="PATH",
        help="an image, video or text file, a folder (its media and text files) or a glob "
        "pattern like 'photos/*.jpg' (repeatable; each expands in sorted order)",
    )
    r.add_argument("--text", action="append", default=[], metavar="TEXT", help="a text input")
    r.add_argument(
        "--json-input",
        action="append",
        default=[],
        metavar="FILE",
        help='Clarifai JSON: an input, a list of inputs or {"inputs": [...]}',
    )
    r.add_argument("--out", metavar="FILE", help="write the results here instead of stdout")
    r.add_argument(
        "--format",
        choices=FORMATS,
        default="json",
        help="json: the whole response (indented on a terminal); jsonl: one line per input; "
        "csv: one row per input x node x region x concept",
    )
    r.add_argument(
        "--save-crops",
        metavar="DIR",
        help="save every region image (crops, tiles) as DIR/<input>-<id>-<node>-<region>.png",
    )
    _add_video_arguments(r)
    r.add_argument("--app", metavar="PATH", help="run in the context of this app")
    r.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="spread the inputs (a video whole) over N worker processes (with --dataset "
        "--engine ray: N Ray actors); default: the cores for a CPU-bound graph whose batch "
        "pays for them (README: All cores), else 1",
    )
    from engine.cli_dataset import add_dataset_arguments

    add_dataset_arguments(r)
    r.set_defaults(func=_run)


def _add_video_arguments(r: argparse.ArgumentParser) -> None:
    """``run``'s video and live-stream options."""
    r.add_argument(
        "--sample-ms", type=_sample_ms, default=1000, help="video: one frame per N ms (100..60000)"
    )
    r.add_argument("--stream", action="store_true", help="video: print one JSON line per frame")
    r.add_argument(
        "--live",
        action="store_true",
        help="read the --input URLs as live MJPEG streams (cameras /dev/videoN and 0 are live "
        "by themselves; several --input run in parallel); one JSON line per frame until "
        "they end or Ctrl-C",
    )
    r.add_argument(
        "--max-frames", type=_positive_int, metavar="N", help="live: stop after N frames"
    )
    r.add_argument(
        "--draw",
        metavar="OUT",
        help="draw the last node's output on the image/video (a live source: an .mp4/.avi)",
    )
    r.add_argument(
        "--preview",
        type=_port,
        metavar="PORT",
        help="live: serve the drawn frames as MJPEG on http://127.0.0.1:PORT/ (0: any port)",
    )


def _add_graph_parsers(sub: Any) -> None:
    g = sub.add_parser("graph", help="print the DAG as text and Mermaid")
    g.add_argument("file", metavar="FILE")
    g.add_argument("--models", metavar="M", help="model catalog YAML binding model ids")
    g.set_defaults(func=_graph)

    o = sub.add_parser("operators", help="list operator types, their params, reads and writes")
    o.set_defaults(func=_operators)


def _add_verbosity_below(sub: Any) -> None:
    for command in sub.choices.values():
        _add_verbosity(command, top=False)
        for action in command._actions:  # `app add` and the other nested commands
            if isinstance(action, argparse._SubParsersAction):
                _add_verbosity_below(action)


# ---- validate -----------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    """Every mistake of every file, one ``file:line:col`` line each; exit 2 if any."""
    from engine.catalog import load_catalog
    from engine.check import check_workflow

    models = load_catalog(_models(args))
    failed = 0
    for file in args.files:
        report = check_workflow(Path(file), models=models, allow_unbound=args.allow_unbound)
        for error in report.errors:
            print(str(error), file=sys.stderr)
        for warning in report.warnings:
            print(warning, file=sys.stderr)
        if report.errors or (args.strict and report.warnings):
            failed += 1
            continue
        assert report.graph is not None  # no errors: the file compiled
        print(f"{file}: ok ({len(report.graph.nodes)} nodes)")
    return EXIT_USAGE if failed else EXIT_OK


# ---- run ----------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from engine.cli_run import run

    return run(args)


def _models(args: argparse.Namespace) -> Path | None:
    return Path(args.models) if args.models else None  # a path, never YAML text, on the CLI


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    """stdout, or ``path`` written in full or not at all (an earlier file survives a failure).

    The JSON goes to a new temporary file beside the target, created exclusively under an
    unpredictable name (a symlink planted there is never followed), then renamed over it.
    """
    if not path:
        yield sys.stdout
        return
    target = Path(path)
    if target.is_dir():
        raise _Usage(f"opgraph run: cannot write {path}: it is a directory")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _Usage(f"opgraph run: cannot write {path}: {exc.strerror or exc}") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        tmp.chmod(0o644 & ~_umask())
        os.replace(tmp, target)
    except IsADirectoryError:
        raise _Usage(f"opgraph run: cannot write {path}: it is a directory") from None
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---- graph / operators --------------------------------------------------------------------


def _graph(args: argparse.Namespace) -> int:
    from engine.graph import compile_spec
    from engine.spec import load_spec

    spec = load_spec(Path(args.file))
    compile_spec(spec, models=_catalog(args), strict=False)  # draw only what would validate
    types = {n.id: n.model_type_id or n.reference for n in spec.nodes}
    children: dict[str, list[str]] = {"": []}
    for n in spec.nodes:
        for parent in n.inputs or [""]:
            children.setdefault(parent, []).append(n.id)
    lines = [f"workflow {spec.id} ({len(spec.nodes)} nodes)", "Input"]

    def walk(parent: str, prefix: str) -> None:
        kids = children.get(parent, [])
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{kid} ({types[kid]})")
            walk(kid, prefix + ("    " if last else "│   "))

    walk("", "")
    # Mermaid ids by position: node ids may hold characters Mermaid reads as syntax
    mid = {n.id: f"n{k}" for k, n in enumerate(spec.nodes)}
    lines += ["", "```mermaid", "graph TD", "  input((Input))"]
    for n in spec.nodes:
        label = f"{n.id}<br/>{types[n.id]}".replace('"', "#quot;")
        lines.append(f'  {mid[n.id]}["{label}"]')
        for src in n.inputs:
            lines.append(f"  {mid[src]} --> {mid[n.id]}")
        if not n.inputs:
            lines.append(f"  input --> {mid[n.id]}")
    lines.append("```")
    print("\n".join(lines))
    return EXIT_OK


def _catalog(args: argparse.Namespace) -> list[Any]:
    from engine.catalog import load_catalog

    return load_catalog(_models(args))


def _operators(args: argparse.Namespace) -> int:
    from engine.operator import operator_types

    for type_id, cls in operator_types().items():
        print(type_id)
        print(f"  reads:  {', '.join(cls.reads) or '-'}")
        print(f"  writes: {', '.join(cls.writes) or '-'}")
        fields = cls.Params.model_fields
        if not fields:
            print("  params: none")
        for name, f in fields.items():
            default = (
                "required"
                if f.is_required()
                else f"default {f.get_default(call_default_factory=True)!r}"
            )
            desc = f" - {f.description}" if f.description else ""
            print(f"  {name}: {default}{desc}")
    from engine.deprecated import DEPRECATED_TYPES

    print("\ndeprecated by Clarifai (refused when a workflow is validated):")
    for type_id, instead in DEPRECATED_TYPES.items():
        print(f"  {type_id}: {instead}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
