"""``opgraph run`` on live sources: one JSON line per sampled frame, a status line on stderr.

A camera index (``0``) or device (``/dev/video0``), an HLS playlist (``.m3u8``) and an
``rtsp://`` / ``rtmp://`` URL are live by themselves; another http(s) URL is read as a live
MJPEG stream with ``--live`` (without it, it is an image or video file).
``--input`` given several times runs one stream per source, each in its own thread with its
own state; every line names its ``input`` (the position) and ``stream`` (the source).
``--draw out.mp4`` writes the drawn frames of one source; ``--preview PORT`` serves them as
MJPEG on 127.0.0.1.  The run goes on until every source ends, ``--max-frames`` frames are
done on each, or Ctrl-C; the lines already printed (or written to ``--out``) are kept.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from engine import media, progress
from engine.cli import EXIT_FAILED, EXIT_OK, _output, _Usage
from engine.errors import InputError
from engine.live import LiveReader, LiveSettings, is_live_by_itself, is_live_source
from engine.proto import FrameInfo, StatusCode, WorkflowResult

__all__ = ["MAX_SOURCES", "live_sources", "run_live"]

_STATUS_EVERY_S = 1.0
MAX_SOURCES = 16  # streams of one run; each holds a reader thread and its nodes' state
_DRAW_SUFFIXES = (".mp4", ".avi")
_DEFAULT_DRAW_FPS = 30.0  # sample_ms=None: frames come as the graph keeps up


def live_sources(args: argparse.Namespace) -> list[str] | None:
    """The live sources the arguments name, if any (then every input must be one)."""
    live = [p for p in args.input if _live_here(p, args.live)]
    if args.live and not live:
        raise _Usage(
            "opgraph run: --live needs an http(s) URL, rtsp:// or rtmp://, /dev/videoN or a "
            "camera index"
        )
    if getattr(args, "preview", None) is not None and not live:
        raise _Usage("opgraph run: --preview is for live sources")
    if not live:
        return None
    if len(live) < len(args.input) or args.text or args.json_input:
        raise _Usage("opgraph run: live sources cannot be mixed with other inputs")
    if len(live) > MAX_SOURCES:
        raise _Usage(f"opgraph run: at most {MAX_SOURCES} live sources at once")
    for flag in ("save_crops", "app"):
        if getattr(args, flag, None):
            raise _Usage(f"opgraph run: --{flag.replace('_', '-')} is not for live sources")
    if args.draw and (len(live) > 1 or Path(args.draw).suffix.lower() not in _DRAW_SUFFIXES):
        raise _Usage(
            "opgraph run: --draw on a live source takes one source and an .mp4 or .avi "
            "file (--preview shows several)"
        )
    if args.format == "csv":
        raise _Usage("opgraph run: a live source prints JSON lines; use --format jsonl")
    return [str(p) for p in live]


def _live_here(path: str, flag: bool) -> bool:
    return is_live_by_itself(path) or (flag and is_live_source(path))


def run_live(args: argparse.Namespace, wf: Any, sources: list[str]) -> int:
    """Run ``wf`` on every source until they end; exit 1 if any frame failed."""
    settings = LiveSettings(allow_private_urls=media.settings.allow_private_urls)
    readers = [LiveReader(s, settings) for s in sources]
    status = _Status(readers, sys.stderr if progress.shown() else None)
    preview = _open_preview(getattr(args, "preview", None), len(readers))
    show = _Show(wf, args, preview)
    try:
        with _output(args.out) as out:
            printer = _Printer(out, {n.id for n in wf.spec.nodes if not n.suppress_output})
            runs = [
                _StreamRun(k, r, wf, args, printer, status, show) for k, r in enumerate(readers)
            ]
            if len(runs) == 1:
                runs[0].run()
            else:
                _run_parallel(runs)
    finally:
        status.finish()
        show.close()
    return EXIT_FAILED if printer.failed else EXIT_OK


def _open_preview(port: int | None, streams: int) -> Any:
    if port is None:
        return None
    from engine.live_preview import PreviewServer

    try:
        server = PreviewServer(port, streams)
    except OSError as exc:
        raise _Usage(f"opgraph run: --preview {port}: {exc.strerror or exc}") from None
    sys.stderr.write(f"preview: {server.url} (one path per source: /0, /1, ...)\n")
    sys.stderr.flush()
    return server


class _StreamRun:
    """One source's stream, run in the calling thread."""

    def __init__(
        self,
        index: int,
        reader: LiveReader,
        wf: Any,
        args: argparse.Namespace,
        printer: _Printer,
        status: _Status,
        show: _Show,
    ) -> None:
        self.index, self.reader, self.wf, self.args = index, reader, wf, args
        self.printer, self.status, self.show = printer, status, show
        self.error: BaseException | None = None

    def run(self) -> None:
        results = self.wf.stream(
            self.reader,
            sample_ms=self.args.sample_ms,
            max_frames=self.args.max_frames,
            on_frame=self.show.hook(self.index),
        )
        try:
            for result in results:
                self.printer.write(self.index, result)
                self.status.frame_done()
        except KeyboardInterrupt:
            pass  # the user's way to stop a camera: what was printed stays
        finally:
            results.close()

    def run_caught(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # reported by the main thread, once every stream ends
            self.error = exc


def _run_parallel(runs: list[_StreamRun]) -> None:
    """Each stream in its own thread; Ctrl-C stops them all, keeping what was printed."""
    threads = [
        threading.Thread(target=r.run_caught, name=f"opgraph-stream-{r.index}", daemon=True)
        for r in runs
    ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        for r in runs:
            r.reader.close()  # its stream ends at the next frame
        for t in threads:
            t.join(timeout=10.0)
    errors = [r for r in runs if r.error is not None]
    if errors:
        if len(errors) == 1:
            raise errors[0].error  # type: ignore[misc]
        raise InputError("; ".join(f"input {r.index}: {r.error}" for r in errors))


class _Printer:
    """JSON lines from one or several stream threads, whole lines only."""

    def __init__(self, out: TextIO, shown: set[str]) -> None:
        self.out, self.shown = out, shown
        self.failed = False
        self._lock = threading.Lock()

    def write(self, index: int, result: WorkflowResult) -> None:
        """The line ``--stream`` prints for a video frame, plus the frame's status and its
        stream's name."""
        info: FrameInfo | None = None
        outputs = []
        for o in result.outputs:
            frame = o.data.frames[0] if o.data is not None and o.data.frames else None
            if frame is not None:
                info = frame.frame_info
            if o.id in self.shown:
                data = frame.data if frame is not None and frame.data is not None else None
                outputs.append({"id": o.id, "data": data.to_dict() if data is not None else {}})
        line: dict[str, Any] = {
            "input": index,
            "stream": result.input.id if result.input is not None else None,
            "frame_info": info.to_dict() if info else None,
            "status": result.status.to_dict(),
            "outputs": outputs,
        }
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self._lock:
            self.failed |= result.status.code != StatusCode.SUCCESS
            self.out.write(text)
            self.out.flush()


class _Show:
    """``--draw`` (the first source, to a video file) and ``--preview`` (every source)."""

    def __init__(self, wf: Any, args: argparse.Namespace, preview: Any) -> None:
        self.last = wf.node_ids[-1]
        self.draw_path: str | None = args.draw
        self.fps = 1000.0 / args.sample_ms if args.sample_ms else _DEFAULT_DRAW_FPS
        self.preview = preview
        self.writer: Any = None

    def hook(self, index: int) -> Callable[[FrameInfo, Any], None] | None:
        if self.preview is None and not (self.draw_path and index == 0):
            return None
        return lambda info, ctx: self._frame(index, ctx)

    def _frame(self, index: int, ctx: Any) -> None:
        from engine import draw

        image = ctx.root.image
        if image is None or not image.has_pixels:
            return
        pixels, data = image.array, ctx.outputs.get(self.last)
        if self.draw_path and index == 0:
            if self.writer is None:
                h, w = pixels.shape[:2]
                try:
                    self.writer = draw.VideoDrawer(self.draw_path, fps=self.fps, size=(w, h))
                except OSError as exc:
                    raise InputError(f"--draw: {exc}") from None
            self.writer.write(pixels, data)
        if self.preview is not None and self.preview.watched():
            self.preview.publish(index, draw.draw(pixels, data))

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.preview is not None:
            self.preview.close()


class _Status:
    """Frames per second in and processed, and frames dropped to stay current, on stderr."""

    def __init__(self, readers: LiveReader | list[LiveReader], err: TextIO | None) -> None:
        self.readers = readers if isinstance(readers, list) else [readers]
        self.err = err
        self.done = 0
        self.started = self.last = time.monotonic()
        self._lock = threading.Lock()

    def frame_done(self) -> None:
        with self._lock:
            self.done += 1
            now = time.monotonic()
            if self.err is not None and now - self.last >= _STATUS_EVERY_S:
                self.last = now
                self.err.write(f"\r{self.line(now)}")
                self.err.flush()

    def line(self, now: float) -> str:
        secs = max(now - self.started, 1e-9)
        received = sum(r.received for r in self.readers)
        dropped = sum(r.dropped for r in self.readers)
        streams = f" over {len(self.readers)} streams" if len(self.readers) > 1 else ""
        return (
            f"live: {received / secs:.1f} fps in, {self.done / secs:.1f} fps processed, "
            f"{dropped} dropped{streams}"
        )

    def finish(self) -> None:
        if self.err is not None:
            self.err.write(f"\r{self.line(time.monotonic())}\n")
            self.err.flush()
