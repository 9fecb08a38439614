"""``opgraph run`` on a live source: one JSON line per sampled frame, a status line on stderr.

A camera index (``0``) or device (``/dev/video0``) is live by itself; an http(s) URL is
read as a live MJPEG stream with ``--live`` (without it a URL is an image or video file).
The run goes on until the source ends, ``--max-frames`` frames are done, or Ctrl-C; the
lines already printed (or written to ``--out``) are kept either way.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, TextIO

from engine import media, progress
from engine.cli import EXIT_FAILED, EXIT_OK, _output, _Usage
from engine.live import LiveReader, LiveSettings, is_live_source
from engine.proto import StatusCode, WorkflowResult

__all__ = ["live_source", "run_live"]

_STATUS_EVERY_S = 1.0


def live_source(args: argparse.Namespace) -> str | None:
    """The live source the arguments name, if any (then it must be the only input)."""
    live = [
        p
        for p in args.input
        if (p.isdigit() or p.startswith("/dev/video") or args.live) and is_live_source(p)
    ]
    if args.live and not live:
        raise _Usage("opgraph run: --live needs an http(s) URL, /dev/videoN or a camera index")
    if not live:
        return None
    if len(args.input) > 1 or args.text or args.json_input:
        raise _Usage("opgraph run: a live source must be the only input")
    for flag in ("draw", "save_crops", "app"):
        if getattr(args, flag, None):
            raise _Usage(f"opgraph run: --{flag.replace('_', '-')} is not for live sources")
    if args.format == "csv":
        raise _Usage("opgraph run: a live source prints JSON lines; use --format jsonl")
    return str(live[0])


def run_live(args: argparse.Namespace, wf: Any, source: str) -> int:
    """Run ``wf`` on ``source`` until it ends; exit 1 if any frame failed."""
    settings = LiveSettings(allow_private_urls=media.settings.allow_private_urls)
    reader = LiveReader(source, settings)
    status = _Status(reader, sys.stderr if progress.shown() else None)
    shown = {n.id for n in wf.spec.nodes if not n.suppress_output}
    failed = False
    with _output(args.out) as out:
        results = wf.stream(reader, sample_ms=args.sample_ms, max_frames=args.max_frames)
        try:
            for result in results:
                _write_line(out, result, shown)
                failed |= result.status.code != StatusCode.SUCCESS
                status.frame_done()
        except KeyboardInterrupt:
            pass  # the user's way to stop a camera: what was printed stays
        finally:
            results.close()
            status.finish()
    return EXIT_FAILED if failed else EXIT_OK


def _write_line(out: TextIO, result: WorkflowResult, shown: set[str]) -> None:
    """The line ``--stream`` prints for a video frame, plus the frame's status."""
    info = None
    outputs = []
    for o in result.outputs:
        frame = o.data.frames[0] if o.data is not None and o.data.frames else None
        if frame is not None:
            info = frame.frame_info
        if o.id in shown:
            data = frame.data if frame is not None and frame.data is not None else None
            outputs.append({"id": o.id, "data": data.to_dict() if data is not None else {}})
    line: dict[str, Any] = {"input": 0, "frame_info": info.to_dict() if info else None}
    line["status"] = result.status.to_dict()
    line["outputs"] = outputs
    json.dump(line, out, separators=(",", ":"))
    out.write("\n")
    out.flush()


class _Status:
    """Frames per second in and processed, and frames dropped to stay current, on stderr."""

    def __init__(self, reader: LiveReader, err: TextIO | None) -> None:
        self.reader, self.err = reader, err
        self.done = 0
        self.started = self.last = time.monotonic()

    def frame_done(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.err is not None and now - self.last >= _STATUS_EVERY_S:
            self.last = now
            self.err.write(f"\r{self.line(now)}")
            self.err.flush()

    def line(self, now: float) -> str:
        secs = max(now - self.started, 1e-9)
        r = self.reader
        return (
            f"live: {r.received / secs:.1f} fps in, {self.done / secs:.1f} fps processed, "
            f"{r.dropped} dropped"
        )

    def finish(self) -> None:
        if self.err is not None:
            self.err.write(f"\r{self.line(time.monotonic())}\n")
            self.err.flush()
