"""``opgraph run``: inputs in, results out (JSON, JSONL or CSV), with drawing, crops, progress.

``--input`` arguments expand through ``engine.cli_inputs``; results are written by
``engine.cli_output``; videos are handled frame by frame by ``_FramePrinter`` (JSON lines
with ``--stream``, the ``--draw`` video, ``--save-crops`` files, a frames bar).  Progress bars
go to stderr only (``engine.progress``), never into the results.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any, TextIO

from engine import progress
from engine.cli import EXIT_FAILED, EXIT_OK, _models, _output, _Usage
from engine.cli_live import live_sources, run_live
from engine.cli_output import write_response
from engine.cli_spool import FrameSpool
from engine.errors import InputError, OpgraphError
from engine.inputs import JsonItem
from engine.proto import FrameInfo, StatusCode

__all__ = ["run"]


def run(args: argparse.Namespace) -> int:
    """``opgraph run``: see ``opgraph run --help`` and the README."""
    from engine.inputs import VIDEO_SUFFIXES
    from engine.workflow import Workflow

    if args.dataset:
        from engine.cli_dataset import run_dataset_command

        return run_dataset_command(args)
    if args.stream and args.format == "csv":
        raise _Usage("opgraph run: --stream prints JSON lines; use --format json or jsonl")
    live = live_sources(args)
    wf = Workflow.from_yaml(Path(args.file), models=_models(args))
    if live is not None:
        return run_live(args, wf, live)
    paths = _input_paths(args.input)
    inputs = _gather_inputs(args, paths)
    if not inputs:
        raise _Usage("opgraph run: give at least one --input, --text or --json-input")
    videos = [p for p in paths if Path(p).suffix.lower() in VIDEO_SUFFIXES]
    if args.draw:
        _check_draw_target(args.draw, bool(videos))
    workers = _check_workers(args, videos)
    crops = _crop_writer(args.save_crops)
    app = _open_app(args.app) if args.app else None
    on_frame: _FramePrinter | None = None
    spool: FrameSpool | None = None
    stills = len(inputs) - len(videos)
    try:
        with (
            _output(args.out) as out,
            progress.Bar(stills, "inputs", "input", enabled=None if stills > 1 else False) as bar,
        ):
            # per-frame work runs here: with it (or one video), videos stay in this process
            here = workers == 1 or _per_frame(args) or (workers is None and len(videos) < 2)
            if videos and here and not args.stream:  # frames go to disk as they come
                spool = FrameSpool([n.id for n in wf.spec.nodes if not n.suppress_output])
            on_frame = _FramePrinter(wf, out, args, crops, _input_ids(inputs), spool)
            on_frame.expect(videos, args.sample_ms)
            options = {
                "sample_ms": args.sample_ms,
                "on_frame": on_frame if videos and here else None,
                "keep_frames": not args.stream and spool is None,
                "on_step": _step_bar(bar, stills) if bar.enabled and stills > 1 else None,
            }
            # in an app's context the app runs it: annotation-writer knows the stored inputs
            if app is not None:
                response = app.predict(wf, inputs, **options)
            else:
                response = wf.predict(inputs, workers=workers, **options)
            bar.close()
            on_frame.finish()
            # with --stream the frames went out line by line; the rest follows them
            pretty = not args.stream and _is_terminal(out)
            write_response(response, out, args.format, pretty, spool)
    finally:
        if on_frame is not None:
            on_frame.finish()
        if spool is not None:
            spool.close()
        if app is not None:
            app.close()
    assert on_frame is not None  # set before predict, which is what got us here
    if crops is not None:  # after the results: a full disk loses no results
        _save_crops(crops, response)
    if args.draw and not on_frame.drew:  # after the JSON: a failed drawing loses no results
        _draw_still(response, args.draw)
    return EXIT_OK if response.status.code == StatusCode.SUCCESS else EXIT_FAILED


def _per_frame(args: argparse.Namespace) -> bool:
    """Whether each video frame has work in this process (JSON lines, drawing, crops)."""
    return bool(args.stream or args.draw or args.save_crops)


def _check_workers(args: argparse.Namespace, videos: list[str]) -> int | None:
    """``--workers``, refused with what needs this one process."""
    from engine.run.workers import MAX_WORKERS

    workers: int | None = args.workers
    if workers is not None and workers > MAX_WORKERS:
        raise _Usage(f"opgraph run: --workers must be at most {MAX_WORKERS}")
    if workers is not None and workers > 1:
        if args.app:
            raise _Usage("opgraph run: --app runs in one process; leave out --workers")
        if videos and _per_frame(args):
            raise _Usage(
                "opgraph run: --stream, --draw and --save-crops handle video frames in this "
                "process; leave out --workers"
            )
    return workers


def _is_terminal(out: TextIO) -> bool:
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def _step_bar(bar: progress.Bar, stills: int) -> Any:
    """Node steps of the still batch, shown as inputs' worth of steps done."""

    def on_step(done: int, total: int) -> None:
        target = stills * done // max(total, 1)
        if target > bar.done:
            bar.update(target - bar.done)

    return on_step


def _input_paths(args: list[str]) -> list[str]:
    from engine.cli_inputs import expand_inputs

    try:
        return expand_inputs(args)
    except InputError as exc:
        raise _Usage(f"opgraph run: {exc}") from None


def _input_ids(inputs: list[Any]) -> list[str | None]:
    """What names each input in crop file names: a file's stem, a JSON input's id."""
    ids: list[str | None] = []
    for item in inputs:
        if isinstance(item, str):
            ids.append(Path(item).stem)
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.append(item["id"])
        else:
            ids.append(None)
    return ids


def _crop_writer(folder: str | None) -> Any:
    if not folder:
        return None
    from engine.cli_output import CropWriter

    try:
        return CropWriter(folder)
    except OSError as exc:
        raise _Usage(f"opgraph run: {exc}") from None


def _save_crops(crops: Any, response: Any) -> None:
    try:
        for i, result in enumerate(response.results):
            crops.save_result(i, result)
    except OSError as exc:
        raise InputError(f"--save-crops: {exc}") from None
    logging.getLogger(__name__).info("saved %d crops to %s", crops.saved, crops.folder)


_VIDEO_OUT = (".mp4", ".avi")
_IMAGE_OUT = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def _check_draw_target(path: str, video: bool) -> None:
    suffix = Path(path).suffix.lower()
    allowed = _VIDEO_OUT if video else _IMAGE_OUT
    if suffix not in allowed:
        what = "a video input is drawn to" if video else "an image input is drawn to"
        raise _Usage(f"opgraph run: --draw {path}: {what} {', '.join(allowed)}")


def _gather_inputs(args: argparse.Namespace, paths: list[str]) -> list[Any]:
    inputs: list[Any] = list(paths)
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
    """Per-frame work for videos: JSON lines (--stream), drawing, crops, a progress bar, and
    the frames kept on disk for the results (``spool``)."""

    def __init__(
        self,
        wf: Any,
        out: TextIO,
        args: argparse.Namespace,
        crops: Any,
        ids: list[str | None],
        spool: FrameSpool | None = None,
    ) -> None:
        self.wf, self.out, self.stream, self.draw_path = wf, out, args.stream, args.draw
        self.crops, self.ids, self.spool = crops, ids, spool
        self.fps = 1000.0 / args.sample_ms  # the drawn video plays the sampled frames in real time
        self.shown = {n.id for n in wf.spec.nodes if not n.suppress_output}
        self.drawer: Any = None
        self.drew = False
        self.done = 0
        self.bar: progress.Bar | None = None

    def expect(self, video_paths: list[str], sample_ms: int) -> None:
        """Open the frames bar, with a total (and so an ETA) where the videos tell it."""
        if not video_paths or not progress.shown():
            return
        from engine import media
        from engine.proto import Video

        total: int | None = None
        try:
            counts = [
                media.estimated_samples(media.video_info(Video.from_source(p)), sample_ms)
                for p in video_paths
            ]
            if all(c is not None for c in counts):
                total = sum(c for c in counts if c is not None)
        except OpgraphError:
            pass  # the run itself reports the unreadable video
        self.bar = progress.Bar(total, "frames", "frame")

    def __call__(self, index: int, info: FrameInfo, ctx: Any) -> None:
        if self.stream:
            outputs = [
                {"id": nid, "data": d.to_dict() if d is not None else {}}
                for nid, d in ctx.outputs.items()
                if nid in self.shown
            ]
            line = {"input": index, "frame_info": info.to_dict(), "outputs": outputs}
            json.dump(line, self.out, separators=(",", ":"))
            self.out.write("\n")
            self.out.flush()
        if self.spool is not None:
            try:
                self.spool.add(index, info, ctx.outputs)
            except OSError as exc:
                raise InputError(f"cannot keep the video's frames on disk: {exc}") from None
        if self.draw_path:
            self._draw(ctx)
        if self.crops is not None:
            self._crop(index, info, ctx)
        self.done += 1
        if self.bar is not None:
            self.bar.update()

    def _crop(self, index: int, info: FrameInfo, ctx: Any) -> None:
        input_id = self.ids[index] if index < len(self.ids) else None
        try:
            for nid, data in ctx.outputs.items():
                if nid in self.shown:
                    self.crops.save(index, input_id, nid, data, info.index)
        except OSError as exc:
            raise InputError(f"--save-crops: {exc}") from None

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
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _draw_still(response: Any, path: str) -> None:
    from engine import draw

    try:
        draw.save_image(path, draw.draw_result(response.results[0]))
    except (ValueError, OSError) as exc:
        raise InputError(f"--draw: {exc}") from None
