"""The ``opgraph`` command: validate, run, graph, operators, app.

Exit codes: 0 every result succeeded; 1 the run finished but some results failed
(MIXED_STATUS / FAILURE, the JSON is still printed); 2 a user error found before running
(bad file, bad option), reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from engine.errors import InputError, OpgraphError, SpecError
from engine.inputs import JsonItem
from engine.proto import FrameInfo, StatusCode

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


def _sample_ms(text: str) -> int:
    from engine.media import MAX_SAMPLE_MS, MIN_SAMPLE_MS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of milliseconds: {text!r}") from None
    if not MIN_SAMPLE_MS <= value <= MAX_SAMPLE_MS:
        raise argparse.ArgumentTypeError(f"must be {MIN_SAMPLE_MS}..{MAX_SAMPLE_MS}, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from engine import __version__

    p = _Parser(prog="opgraph", description="Run Clarifai-style workflows locally.")
    p.add_argument("--version", action="version", version=f"opgraph {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

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

    r = sub.add_parser("run", help="run a workflow on inputs and print the JSON response")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--models", metavar="M", help="model catalog YAML binding model ids")
    r.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="PATH",
        help="an image, video or text file (repeatable)",
    )
    r.add_argument("--text", action="append", default=[], metavar="TEXT", help="a text input")
    r.add_argument(
        "--json-input",
        action="append",
        default=[],
        metavar="FILE",
        help='Clarifai JSON: an input, a list of inputs or {"inputs": [...]}',
    )
    r.add_argument("--out", metavar="FILE", help="write the JSON here instead of stdout")
    r.add_argument(
        "--sample-ms", type=_sample_ms, default=1000, help="video: one frame per N ms (100..60000)"
    )
    r.add_argument("--stream", action="store_true", help="video: print one JSON line per frame")
    r.add_argument("--draw", metavar="OUT", help="draw the last node's output on the image/video")
    r.add_argument("--app", metavar="PATH", help="run in the context of this app")
    r.set_defaults(func=_run)

    g = sub.add_parser("graph", help="print the DAG as text and Mermaid")
    g.add_argument("file", metavar="FILE")
    g.add_argument("--models", metavar="M", help="model catalog YAML binding model ids")
    g.set_defaults(func=_graph)

    o = sub.add_parser("operators", help="list operator types, their params, reads and writes")
    o.set_defaults(func=_operators)

    from engine.cli_bundled import add_bundled_parsers

    add_bundled_parsers(sub)

    from engine.cli_serve import add_serve_parser

    add_serve_parser(sub)
    try:
        from engine import cli_app
    except ImportError:  # the app commands are optional while the store is absent
        return p
    cli_app.add_app_parser(sub)
    return p


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
    from engine.inputs import VIDEO_SUFFIXES
    from engine.workflow import Workflow

    wf = Workflow.from_yaml(Path(args.file), models=_models(args))
    inputs = _gather_inputs(args)
    if not inputs:
        raise _Usage("opgraph run: give at least one --input, --text or --json-input")
    videos = [p for p in args.input if Path(p).suffix.lower() in VIDEO_SUFFIXES]
    if args.draw:
        _check_draw_target(args.draw, bool(videos))
    app = _open_app(args.app) if args.app else None
    on_frame: _FramePrinter | None = None
    try:
        with _output(args.out) as out:
            on_frame = _FramePrinter(wf, out, args.stream, args.draw, args.sample_ms)
            on_frame.expect(videos, args.sample_ms)
            options = {
                "sample_ms": args.sample_ms,
                "on_frame": on_frame,
                "keep_frames": not args.stream,
            }
            # in an app's context the app runs it: annotation-writer knows the stored inputs
            response = app.predict(wf, inputs, **options) if app else wf.predict(inputs, **options)
            # with --stream the frames went out line by line; this last line has the rest
            json.dump(response.to_dict(), out, indent=None if args.stream else 2)
            out.write("\n")
    finally:
        if on_frame is not None:
            on_frame.finish()
        if app is not None:
            app.close()
    assert on_frame is not None  # set before predict, which is what got us here
    if args.draw and not on_frame.drew:  # after the JSON: a failed drawing loses no results
        _draw_still(response, args.draw)
    return EXIT_OK if response.status.code == StatusCode.SUCCESS else EXIT_FAILED


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


_VIDEO_OUT = (".mp4", ".avi")
_IMAGE_OUT = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def _check_draw_target(path: str, video: bool) -> None:
    suffix = Path(path).suffix.lower()
    allowed = _VIDEO_OUT if video else _IMAGE_OUT
    if suffix not in allowed:
        what = "a video input is drawn to" if video else "an image input is drawn to"
        raise _Usage(f"opgraph run: --draw {path}: {what} {', '.join(allowed)}")


def _gather_inputs(args: argparse.Namespace) -> list[Any]:
    inputs: list[Any] = []
    for path in args.input:
        if Path(path).is_dir():
            raise _Usage(f"opgraph run: {path} is a directory; give the files in it")
        if not Path(path).is_file():
            raise _Usage(f"opgraph run: no such input file: {path}")
        inputs.append(path)
    inputs.extend({"data": {"text": {"raw": t}}} for t in args.text)
    for file in args.json_input:
        doc = _read_json_request(file)
        items = doc.get("inputs", doc) if isinstance(doc, dict) else doc
        # JSON carries data, never a path to read: a string in it is refused (a dict's
        # fields are data already)
        for item in items if isinstance(items, list) else [items]:
            inputs.append(item if isinstance(item, dict) else JsonItem(item))
    return inputs


def _read_json_request(file: str) -> Any:
    """A --json-input file: a bounded regular file, nesting bounded before parsing."""
    from engine.limits import get_limits, load_json, read_file

    try:
        return load_json(read_file(file, get_limits().json_bytes))
    except OSError as exc:
        raise _Usage(f"opgraph run: cannot read {file}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise _Usage(f"opgraph run: cannot read {file}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise _Usage(f"{file}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except ValueError as exc:  # not a regular file, too big, nested too deeply
        if len(exc.args) == 3:
            raise _Usage(f"{file}:{exc.args[1]}:{exc.args[2]}: {exc.args[0]}") from None
        raise _Usage(f"opgraph run: cannot read {file}: {exc}") from None


def _open_app(path: str) -> Any:
    from engine.cli_app import open_app

    return open_app(path)  # --app names an app; it never creates one


class _FramePrinter:
    """Per-frame work for videos: JSON lines (--stream), drawing, a progress bar on a tty."""

    def __init__(
        self, wf: Any, out: TextIO, stream: bool, draw_path: str | None, sample_ms: int
    ) -> None:
        self.wf, self.out, self.stream, self.draw_path = wf, out, stream, draw_path
        self.fps = 1000.0 / sample_ms  # the drawn video plays the sampled frames in real time
        self.shown = {n.id for n in wf.spec.nodes if not n.suppress_output}
        self.tty = sys.stderr.isatty() and not os.environ.get("CI")
        self.drawer: Any = None
        self.drew = False
        self.done = 0
        self.total: int | None = None
        self.started = time.perf_counter()

    def expect(self, video_paths: list[str], sample_ms: int) -> None:
        """Learn how many frames to expect, for the progress bar (only on a terminal)."""
        if not self.tty or not video_paths:
            return
        from engine import media
        from engine.proto import Video

        try:
            counts = [
                media.estimated_samples(media.video_info(Video.from_source(p)), sample_ms)
                for p in video_paths
            ]
        except OpgraphError:
            return  # the run itself reports the unreadable video
        if all(c is not None for c in counts):
            self.total = sum(c for c in counts if c is not None)

    def __call__(self, index: int, info: FrameInfo, ctx: Any) -> None:
        if self.stream:
            outputs = [
                {"id": nid, "data": d.to_dict() if d is not None else {}}
                for nid, d in ctx.outputs.items()
                if nid in self.shown
            ]
            json.dump({"input": index, "frame_info": info.to_dict(), "outputs": outputs}, self.out)
            self.out.write("\n")
            self.out.flush()
        if self.draw_path:
            self._draw(ctx)
        self.done += 1
        if self.tty:
            fps = self.done / max(time.perf_counter() - self.started, 1e-9)
            of = f"/{self.total}" if self.total else ""
            print(f"\rframes {self.done}{of}  {fps:.1f} fps", end="", file=sys.stderr, flush=True)

    def _draw(self, ctx: Any) -> None:
        from engine import draw

        pixels = ctx.root.image.array
        last = ctx.outputs.get(self.wf.node_ids[-1])
        if self.drawer is None:
            assert self.draw_path is not None  # _draw runs only with --draw
            h, w = pixels.shape[:2]
            try:
                self.drawer = draw.VideoDrawer(self.draw_path, fps=self.fps, size=(w, h))
            except OSError as exc:
                raise InputError(f"--draw: {exc}") from None
        self.drawer.write(pixels, last)
        self.drew = True

    def finish(self) -> None:
        if self.drawer is not None:
            self.drawer.close()
        if self.tty and self.done:
            print(file=sys.stderr)


def _draw_still(response: Any, path: str) -> None:
    from engine import draw

    try:
        draw.save_image(path, draw.draw_result(response.results[0]))
    except (ValueError, OSError) as exc:
        raise InputError(f"--draw: {exc}") from None


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
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
