"""Tracks objects through a video with the byte-tracker, and draws the tracks.

    .venv/bin/python examples/track_video.py [OUT.mp4]

Draws its own clip (three boxes crossing a frame) and its detections file, replays the
detections (so no model runs: the detector could be any visual-detector), gives each box
a stable track id and counts the tracked boxes of every frame.  With OUT.mp4 it also writes
the clip with boxes and track ids drawn, as `opgraph run ... --draw` does.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from make_media import moving_boxes

from engine import Workflow
from engine.draw import VideoDrawer


def main(drawn: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip = moving_boxes(Path(tmp) / "clip.mp4", Path(tmp) / "clip.det.json")
        wf = Workflow("track-boxes")
        det = wf.add(
            "detections-file",
            id="detect",
            params={"path": str(Path(tmp) / "clip.det.json"), "label": "box"},
        )
        track = wf.add("byte-tracker", id="track", inputs=[det], params={"track_id_prefix": "box-"})
        wf.add("object-counter", id="count", inputs=[track])
        drawer: VideoDrawer | None = None

        def on_frame(index: int, info: object, ctx: object) -> None:
            nonlocal drawer
            if drawn is None:
                return
            frame = ctx.root.image.array  # type: ignore[attr-defined]
            if drawer is None:
                drawer = VideoDrawer(drawn, fps=10, size=(frame.shape[1], frame.shape[0]))
            drawer.write(frame, ctx.outputs["track"])  # type: ignore[attr-defined]

        result = wf.predict([str(clip)], sample_ms=100, on_frame=on_frame).results[0]
        if drawer is not None:
            drawer.close()
    frames = result.outputs[1].data.frames
    ids = sorted({r.track_id for f in frames for r in f.data.regions if r.track_id})
    print(f"{len(frames)} frames, tracks: {', '.join(ids)}")
    last = result.outputs[2].data.frames[-1]
    print(f"boxes counted on the last frame: {(last.data.metadata or {}).get('object_count')}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
