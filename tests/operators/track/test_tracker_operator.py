"""operators/track/_operator.py and operators/models/_common.py: the regions a detector and a
tracker build per frame without validating them are exactly what validation makes.

A busy scene (many regions, low-score boxes, objects that vanish for a few frames so their
tracks are reported at predicted boxes) goes through detections-file -> tracker ->
object-counter on a real video.  Every output of every frame is rebuilt by validating its
own dump: the rebuilt objects must be equal, with the same JSON, the same "fields set" and
plain Python values (no numpy scalars) all the way down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from engine import Data, Region, Workflow
from tests.operators.track._graph import det, frames_of, write_replay

N_OBJECTS = 24


def _scene(n_frames: int = 14) -> list[np.ndarray]:
    """``N_OBJECTS`` boxes drifting right; every fourth scores in byte-tracker's low band on
    odd frames; objects 3 and 7 vanish on frames 6-8 (their tracks are projected)."""
    rows = []
    for k in range(n_frames):
        frame = []
        for i in range(N_OBJECTS):
            if i in (3, 7) and 6 <= k <= 8:
                continue
            score = 0.3 if i % 4 == 0 and k % 2 else 0.9 - i * 0.01
            x, y = 12 + (i % 6) * 50 + 2.3 * k, 20 + (i // 6) * 55 + 0.7 * k
            frame.append(det(x, y, score=score, w=28.5, h=40.25))
        rows.append(frame)
    return frames_of(*rows)


def _yaml(dets: Path, tracker: str, params: str) -> str:
    nodes = [
        ("detect", "detections-file", f"{{path: '{dets}', min_value: 0.2}}"),
        ("track", tracker, params),
        ("count", "object-counter", "{}"),
    ]
    lines = ["workflow:", "  id: busy", "  nodes:"]
    for k, (nid, type_id, p) in enumerate(nodes):
        lines += [f"    - id: {nid}", "      model:", f"        model_id: {nid}",
                  f"        model_type_id: {type_id}", f"        output_info: {{params: {p}}}"]
        if k:
            lines.append(f"      node_inputs: [{{node_id: {nodes[k - 1][0]}}}]")
    return "\n".join(lines) + "\n"


def _as_validated(obj: Any, where: str) -> None:
    """``obj`` (a model, or a list of them) is what validating its own fields makes."""
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _as_validated(item, f"{where}[{i}]")
        return
    if not isinstance(obj, BaseModel):
        assert not isinstance(obj, np.generic), f"{where}: a numpy scalar {obj!r}"
        return
    rebuilt = type(obj).model_validate(obj.model_dump(exclude_unset=True))
    assert rebuilt == obj, where
    assert rebuilt.model_dump_json() == obj.model_dump_json(), where
    assert rebuilt.model_fields_set == obj.model_fields_set, where
    for name in type(obj).model_fields:
        value, again = getattr(obj, name), getattr(rebuilt, name)
        assert type(value) is type(again), f"{where}.{name}: {type(value)} vs {type(again)}"
        _as_validated(value, f"{where}.{name}")


@pytest.mark.parametrize(
    ("tracker", "params"),
    [
        ("byte-tracker", "{}"),
        ("kalman-filter-tracker", "{filtered_probability: true, min_visible_frames: 1}"),
        ("kalman-reid-tracker", "{use_detect_box: 0}"),
    ],
)
def test_a_busy_frame_s_regions_are_what_validation_makes(
    tracker: str, params: str, tmp_path: Path
) -> None:
    video, dets = write_replay(tmp_path, _scene())
    wf = Workflow.from_yaml(_yaml(dets, tracker, params))
    seen: list[dict[str, Data | None]] = []
    wf.predict(str(video), sample_ms=100, keep_frames=False,
               on_frame=lambda i, info, ctx: seen.append(dict(ctx.outputs)))
    assert len(seen) == 14
    projected = low = 0
    for k, outputs in enumerate(seen):
        for node_id, data in outputs.items():
            assert data is not None, f"frame {k}: {node_id} stopped"
            _as_validated(data.model_copy(update={"image": None}), f"frame {k} {node_id}")
        detected = {r.id: r for r in outputs["detect"].regions}  # type: ignore[union-attr]
        tracked = outputs["track"].regions  # type: ignore[union-attr]
        low += sum(r.value is not None and r.value < 0.5 for r in detected.values())
        for r in tracked:
            if r.data is not None and r.data.metadata == {"projected": True}:
                projected += 1  # a track at its predicted box, its detection missing
                continue
            _same_as_model_copy(r, detected[r.id or ""])
    assert low > 0 and projected > 0  # the scene reached both paths
    assert len(seen[-1]["detect"].regions) == N_OBJECTS  # type: ignore[union-attr]


def _same_as_model_copy(tracked: Region, detected: Region) -> None:
    """The tracked region is its detection's, copied as ``model_copy`` copies it."""
    update: dict[str, Any] = {"track_id": tracked.track_id}
    if tracked.value != detected.value:
        update["value"] = tracked.value
    if tracked.region_info != detected.region_info:
        update["region_info"] = tracked.region_info
    slow = detected.model_copy(update=update)
    assert tracked == slow and tracked.to_dict() == slow.to_dict()
    assert tracked.model_fields_set == slow.model_fields_set
    assert tracked.data is detected.data  # shared, as model_copy shares it
