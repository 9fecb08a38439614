"""opgraph: run Clarifai-style workflows locally.

The public API, re-exported on purpose; ``tests/test_public_api.py`` pins ``__all__``.
"""

import os
from typing import TYPE_CHECKING

# OpenCV and its FFmpeg log straight to stderr (e.g. "moov atom not found" for a broken mp4)
# on top of the one clear error opgraph gives; keep them quiet unless the user asks.  Set
# before anything imports cv2, which reads them once.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

from engine import geometry, limits
from engine._version import __version__ as __version__
from engine.errors import (
    AppError,
    DeliveryError,
    GraphError,
    InputError,
    OperatorError,
    OpgraphError,
    ParamsError,
    SpecError,
    SpecErrors,
    StoreError,
    UnknownOperatorError,
    YamlError,
)
from engine.operator import (
    BaseParams,
    ConceptSpec,
    Context,
    JsonObject,
    LocalPath,
    ModelBinding,
    Operator,
    bind_model,
    register,
)
from engine.proto import (
    Annotation,
    BoundingBox,
    Color,
    Concept,
    Data,
    Embedding,
    Frame,
    FrameInfo,
    Hit,
    Image,
    Input,
    Model,
    MultiAnnotationResponse,
    MultiSearchResponse,
    Output,
    Point,
    Polygon,
    PostWorkflowResultsResponse,
    Region,
    RegionInfo,
    Status,
    StatusCode,
    Text,
    Video,
    WorkflowResult,
    assembled,
    evolve,
)
from engine.session import Session
from engine.workflow import Workflow

__all__ = [
    "Annotation",
    "App",
    "AppError",
    "BaseParams",
    "BoundingBox",
    "Color",
    "Concept",
    "ConceptSpec",
    "Context",
    "Data",
    "DeliveryError",
    "Embedding",
    "FetchError",
    "Frame",
    "FrameInfo",
    "GraphError",
    "Hit",
    "Image",
    "Input",
    "InputError",
    "JsonObject",
    "LocalPath",
    "Model",
    "ModelBinding",
    "MultiAnnotationResponse",
    "MultiSearchResponse",
    "Operator",
    "OperatorError",
    "OpgraphError",
    "Output",
    "ParamsError",
    "Point",
    "Polygon",
    "PostWorkflowResultsResponse",
    "Region",
    "RegionInfo",
    "Session",
    "SpecError",
    "SpecErrors",
    "Status",
    "StatusCode",
    "StoreError",
    "Text",
    "UnknownOperatorError",
    "Video",
    "Workflow",
    "WorkflowResult",
    "YamlError",
    "assembled",
    "bind_model",
    "evolve",
    "fetch",
    "geometry",
    "limits",
    "register",
    "resolve_allowed",
]

if TYPE_CHECKING:
    from engine._fetch import FetchError, fetch, resolve_allowed
    from engine.app import App


def __getattr__(name: str) -> object:
    # App pulls in the store (sqlite3, the vector index): load it on first use, so that
    # `import engine` and `opgraph validate` stay fast
    if name == "App":
        from engine.app import App

        return App
    # http.client and ssl: only for graphs that fetch
    if name in ("FetchError", "fetch", "resolve_allowed"):
        from engine import _fetch

        return getattr(_fetch, name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
