"""``visual-keypointer``: objects with their keypoints from a user's YOLO-pose ONNX model."""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from engine import Concept, Context, Data, Operator, Region, RegionInfo, geometry, register
from operators.models._common import OutputFilterParams
from operators.models._keypoints import COCO_KEYPOINTS, COCO_SKELETON, points
from operators.models._masks import ModelFrame
from operators.models._onnx import OnnxModel, OnnxParams
from operators.models._pose_decode import check_single, heatmap_points, landmark_points
from operators.models._yolo_heads import check_head, decode_head, keep_best

__all__ = ["VisualKeypointer"]

_YOLO_ONLY = ("nms_threshold", "max_detections")



@register
class VisualKeypointer(Operator):
    """Finds objects and their keypoints (a person's joints, a face's landmarks).

    Decodes YOLO pose exports: YOLOv8-pose ``[1, 4+C+K*D, N]`` or YOLOv5/v7-style
    ``[1, N, 5+C+K*D]`` rows, where each of the K keypoints is x, y (and a confidence when
    ``keypoint_dims`` is 3), after per-class NMS.  One region per object: its box, one
    concept whose ``keypoint_info`` names the keypoints and the skeleton joining them, and
    ``region_info.keypoint_locations`` in that order (fractions of the image; a keypoint
    below ``keypoint_threshold`` is ``NOT_VISIBLE``).  Without names, 17 keypoints are
    COCO's body keypoints with COCO's skeleton.  Models that see one object per image (a
    face or body crop, after ``image-crop``) are read with ``format: landmarks`` (regressed
    coordinates, e.g. PFLD) or ``heatmaps`` (one map per keypoint, its peak; e.g. HRNet):
    one region covering the image, scored by the keypoints' mean confidence.

    Reads ``image``; writes ``regions`` (with ``regions[].region_info.keypoint_locations``
    and ``regions[].data.concepts``).
    """

    type_id = "visual-keypointer"

    class Params(OnnxParams, OutputFilterParams):
        min_value: float = Field(
            0.25, ge=0.0, le=1.0, description="objects scoring below this are dropped"
        )
        max_detections: int = Field(
            100, ge=1, le=1000, description="keep at most this many objects, best first"
        )
        nms_threshold: float = Field(
            0.45, ge=0.0, le=1.0, description="overlap (IoU) above which a weaker box of the "
            "same class is suppressed",
        )
        format: Literal["yolo", "landmarks", "heatmaps"] = Field(
            "yolo", description="yolo: objects with keypoints; landmarks ([1, K*D] or [1, K, D] "
            "coordinates) and heatmaps ([1, K, H, W]): one object filling the image (a crop)",
        )
        landmark_units: Literal["fractions", "pixels"] = Field(
            "fractions", description="landmarks: coordinates as fractions of the model input, "
            "or its pixels",
        )
        letterbox: bool | None = Field(
            None, description="resize keeping aspect ratio and pad; default: on for yolo (as "
            "YOLO trains), off for landmarks and heatmaps",
        )
        num_keypoints: int = Field(17, ge=1, le=1000, description="keypoints per object (K)")
        keypoint_dims: Literal[2, 3] = Field(
            3, description="numbers per keypoint: x, y and, with 3, a confidence"
        )
        keypoint_threshold: float = Field(
            0.5, ge=0.0, le=1.0,
            description="keypoints less confident than this are marked NOT_VISIBLE",
        )
        keypoint_names: list[str] = Field(
            default_factory=list,
            description="name of each keypoint, in order (default: COCO's 17 body keypoints "
            "when K is 17, else their numbers)",
        )
        skeleton: list[tuple[int, int]] | None = Field(
            None, description="pairs of keypoint indices joined when drawn (default: COCO's "
            "skeleton for COCO's keypoints, else none)",
        )

        @model_validator(mode="after")
        def _consistent(self) -> VisualKeypointer.Params:
            if self.model_path is None:
                raise ValueError("visual-keypointer needs 'model_path' (an ONNX file)")
            k = self.num_keypoints
            if self.keypoint_names and len(self.keypoint_names) != k:
                raise ValueError(f"'keypoint_names' names {len(self.keypoint_names)} "
                                 f"keypoints but num_keypoints is {k}")
            bad = [e for e in self.skeleton or () if not (0 <= e[0] < k and 0 <= e[1] < k)]
            if bad:
                raise ValueError(f"skeleton edge {list(bad[0])} names a keypoint outside "
                                 f"0..{k - 1}")
            own = _YOLO_ONLY if self.format != "yolo" else ("landmark_units",)
            stray = sorted(set(own) & self.model_fields_set)
            if stray:
                raise ValueError(f"{stray[0]!r} does not apply to format '{self.format}'")
            if self.format == "heatmaps" and "keypoint_dims" in self.model_fields_set:
                raise ValueError("'keypoint_dims' does not apply to format 'heatmaps'")
            return self

    reads: ClassVar[tuple[str, ...]] = ("image",)
    writes: ClassVar[tuple[str, ...]] = (
        "regions", "regions[].region_info.keypoint_locations", "regions[].data.concepts"
    )

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: VisualKeypointer.Params = params
        letterbox = params.letterbox if params.letterbox is not None else params.format == "yolo"
        self._model = OnnxModel(params, default_size=640, letterbox=letterbox)
        k, dims = params.num_keypoints, params.keypoint_dims
        if params.format == "yolo":
            check_head(self._model.output_shapes[0], len(params.labels), k * dims)
        else:
            check_single(self._model.output_shapes[0], params.format, k, dims)
        self._names, self._skeleton = _keypoint_info(params)

    def process(self, data: Data, ctx: Context) -> Data | None:
        bgr = ctx.image(data)
        outputs, scale, pad = self._model.run(bgr)
        h, w = bgr.shape[:2]
        frame = ModelFrame.of((w, h), self._model.size, self._model.letterbox, scale, pad)
        if self.params.format != "yolo":
            return Data(regions=self._single(outputs[0], frame, (w, h)))
        p = self.params
        heads = decode_head(outputs[0], len(p.labels), p.num_keypoints * p.keypoint_dims,
                            p.min_value, p.nms_threshold)
        labels = [self._label(int(c)) for c in heads.classes]
        heads = keep_best(heads, labels, p.select_concepts, p.max_detections)
        boxes = geometry.clip(geometry.to_fractions(frame.to_image(heads.boxes), w, h))
        kps = heads.extra.reshape(len(heads), p.num_keypoints, p.keypoint_dims)
        return Data(regions=[
            self._region(box, float(score), self._label(int(cls)),
                         frame.to_image_points(kp[:, :2]),
                         kp[:, 2] if p.keypoint_dims == 3 else None, (w, h))
            for box, score, cls, kp in zip(boxes, heads.scores, heads.classes, kps, strict=True)
        ])

    def _single(self, out: np.ndarray, frame: ModelFrame, wh: tuple[int, int]) -> list[Region]:
        """One object filling the image: scored by its keypoints' mean confidence."""
        p, size = self.params, (frame.width, frame.height)
        if p.format == "heatmaps":
            xy, conf = heatmap_points(out, p.num_keypoints, size)
        else:
            xy, conf = landmark_points(out, p.num_keypoints, p.keypoint_dims,
                                       p.landmark_units == "fractions", size)
        score, label = float(np.clip(conf.mean(), 0.0, 1.0)), self._label(0)
        selected = not p.select_concepts or any(c.matches(label, label)
                                                for c in p.select_concepts)
        if score < p.min_value or not selected:
            return []
        uses_conf = p.format == "heatmaps" or p.keypoint_dims == 3
        return [self._region(np.array([0.0, 0.0, 1.0, 1.0]), score, label,
                             frame.to_image_points(xy), conf if uses_conf else None, wh)]

    def _region(
        self, box: np.ndarray, score: float, label: str, xy: np.ndarray,
        conf: np.ndarray | None, wh: tuple[int, int],
    ) -> Region:
        located = points(xy, conf, wh, self.params.keypoint_threshold)
        concept = Concept(id=label, name=label, value=score, keypoint_info={
            "keypoint_names": self._names,
            "skeleton": [{"k1": a, "k2": b} for a, b in self._skeleton],
        })
        return Region(
            id=geometry.region_id(box, label),
            region_info=RegionInfo(bounding_box=geometry.box_to_proto(box),
                                   keypoint_locations=located),
            data=Data(concepts=[concept]),
            value=score,
        )

    def _label(self, k: int) -> str:
        return self.params.labels[k] if k < len(self.params.labels) else str(k)


def _keypoint_info(p: VisualKeypointer.Params) -> tuple[list[str], list[tuple[int, int]]]:
    coco = p.num_keypoints == len(COCO_KEYPOINTS) and not p.keypoint_names
    names = list(p.keypoint_names) or (
        list(COCO_KEYPOINTS) if coco else [str(k) for k in range(p.num_keypoints)]
    )
    skeleton = p.skeleton if p.skeleton is not None else (list(COCO_SKELETON) if coco else [])
    return names, [(int(a), int(b)) for a, b in skeleton]

