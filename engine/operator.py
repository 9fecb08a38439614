"""The operator contract: ``Operator``, ``BaseParams``, ``Context`` and the registry.

An operator is one class per Clarifai ``model_type_id``.  It declares its ``Params``
(pydantic, the YAML ``output_info.params``), what Data paths it ``reads`` and ``writes``
(the compiler checks edges against them), builds what it needs once in ``__init__`` and
handles one input at a time in ``process``.  Stateful operators keep per-stream state in
``ctx.state``, never on ``self``.

Operators are found by ``type_id`` in the registry; built-in ones and third-party ones are
loaded through the ``opgraph.operators`` entry-point group (each entry point is a callable
that imports its operator modules, so their ``@register`` decorators run).
"""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from engine.errors import InputError
from engine.limits import check_file_param, check_struct, load_json
from engine.proto import Data

# the key of ``Context.carry`` in a node's state
STATE_CARRY = "carry"

__all__ = [
    "STATE_CARRY",
    "BaseParams",
    "ConceptSpec",
    "Context",
    "JsonObject",
    "LocalPath",
    "ModelBinding",
    "Operator",
    "bind_model",
    "find_binding",
    "get_operator",
    "model_bindings",
    "operator_types",
    "register",
    "suggest",
]


class BaseParams(BaseModel):
    """Base of every operator's ``Params``: unknown names are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _json_text(value: Any) -> Any:
    if isinstance(value, str):  # Clarifai's Portal passes JSON params as text
        try:
            value = load_json(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        except ValueError as exc:  # nested too deeply: (message, line, col)
            raise ValueError(f"not usable JSON: {exc.args[0]}") from None
    return check_struct(value, "the JSON object") if isinstance(value, dict) else value


# A JSON object param, given as a mapping or as JSON text (as the Portal sends it).
JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_text)]


def _beside_workflow(value: str, info: ValidationInfo) -> str:
    base = (info.context or {}).get("base_dir")
    if base is None or not value or os.path.isabs(value) or "://" in value:
        return value
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))


def _allowed_file(value: str) -> str:
    if not value or "://" in value:
        return value
    return check_file_param(value)


# A file param (a model, a detections file): relative paths are relative to the workflow
# file's folder, as users of a workflow file expect, not to wherever it is run from.  The
# file is capped in size (a device or FIFO is refused) and, when engine.limits names
# allowed roots (a server does), must lie inside one of them, symlinks resolved.
LocalPath = Annotated[str, AfterValidator(_beside_workflow), AfterValidator(_allowed_file)]


class ConceptSpec(BaseModel):
    """A concept given to an operator: ``output_info.data.concepts`` / ``params.concepts``.

    ``value`` is the concept's threshold for thresholders; other operators ignore it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = ""
    name: str = ""
    value: float = Field(default=1.0, description="threshold for this concept")

    def matches(self, concept_id: str, concept_name: str | None) -> bool:
        if self.id:
            return self.id == concept_id
        return bool(self.name) and self.name == concept_name


def _has_pixels(data: Data) -> bool:
    return data.image is not None and data.image.has_pixels


@dataclass(slots=True)
class Context:
    """What a node may see of the run besides its own input Data.

    The executor owns it: one per input (or per frame of a stream), with ``node_id`` and
    ``state`` set before each node's ``process``.
    """

    root: Data
    input_id: str | None = None
    input_index: int = 0
    stream_id: str = "0"
    node_id: str = ""
    frame_index: int | None = None
    frame_time_ms: int | None = None
    # sampled frames per second of a video stream (1000 / sample_ms); None for still inputs
    frame_rate: float | None = None
    # the frame's number in the video itself (frame_index counts sampled frames only)
    frame_number: int | None = None
    state: dict[str, Any] = field(default_factory=dict)
    app: Any = None
    # outputs of nodes already run for this input, by node id
    outputs: dict[str, Data | None] = field(default_factory=dict)
    # why nodes already run for this input failed, by node id (a status-push reports it)
    errors: dict[str, str] = field(default_factory=dict)
    # node id -> its ancestors, nearest first (set by the executor from the compiled graph)
    ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def image(self, data: Data) -> np.ndarray:
        """The BGR pixels a node works on: its input's image, else the nearest upstream one
        (a detector outputs only regions), else the workflow input's; ``InputError`` if none."""
        found = data if _has_pixels(data) else self.look_back(_has_pixels)
        if found is None or found.image is None:
            raise InputError(
                f"node '{self.node_id}' needs an image but input {self.input_index} has none "
                "(give the workflow an image, or place the node after one that outputs images)"
            )
        return found.image.array

    @property
    def carry(self) -> dict[str, Any]:
        """The part of ``state`` that survives a reset within the stream (a live source back
        after a long gap), though the rest of the state goes: a tracker's id counter."""
        kept: dict[str, Any] = self.state.setdefault(STATE_CARRY, {})
        return kept

    def look_back(self, has: Callable[[Data], bool]) -> Data | None:
        """The nearest upstream Data (then the workflow input) for which ``has`` is true."""
        for node_id in self.ancestors.get(self.node_id, ()):
            data = self.outputs.get(node_id)
            if data is not None and has(data):
                return data
        return self.root if has(self.root) else None


class Operator:
    """Base class of every node implementation; see the module docstring."""

    type_id: ClassVar[str] = ""
    Params: ClassVar[type[BaseParams]] = BaseParams
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()
    # True for nodes that wait on I/O (HTTP models); the executor may run them in threads.
    io_bound: ClassVar[bool] = False
    # True for stream nodes that must see every frame, even one on which their branch stopped
    # upstream (trackers age their tracks on frames without detections): they get empty Data.
    every_frame: ClassVar[bool] = False
    # True for generative nodes whose ``metadata.usage`` holds the token counts of their own
    # call: the executor copies them to the Output's prompt_tokens / completion_tokens.
    counts_tokens: ClassVar[bool] = False
    # True for nodes that read or write the App through ``ctx.app`` (annotation-writer,
    # rag-prompter, models trained in an app, ...): a graph holding one runs in the App's
    # own process, never in worker processes (an App does not cross a process boundary).
    uses_app: ClassVar[bool] = False

    def __init__(self, params: BaseParams) -> None:
        self.params = params

    @classmethod
    def check(cls, params: BaseParams, upstream_writes: frozenset[str]) -> str | None:
        """A rule spanning params and the incoming edge; return an error message or None."""
        return None

    def process(self, data: Data, ctx: Context) -> Data | None:
        """Handle one input; return new Data, or None to stop this branch for this input."""
        raise NotImplementedError

    def close(self, ctx: Context) -> None:
        """Release per-stream resources when a stream ends."""


_OP = TypeVar("_OP", bound=type[Operator])
_REGISTRY: dict[str, type[Operator]] = {}
_loaded = False


def register(cls: _OP) -> _OP:
    """Class decorator: make ``cls`` available under its ``type_id``."""
    if not cls.type_id:
        raise TypeError(f"{cls.__name__} has no type_id")
    existing = _REGISTRY.get(cls.type_id)
    if existing is not None and existing is not cls:
        raise RuntimeError(f"type_id '{cls.type_id}' is registered twice")
    _REGISTRY[cls.type_id] = cls
    return cls


def _load_entry_points() -> None:
    global _loaded
    if _loaded:
        return
    found = entry_points(group="opgraph.operators")
    for ep in found:
        _refuse_shadowed_builtins(ep)  # before anything loads, and again on the next call
    _loaded = True
    for ep in found:
        try:
            ep.load()()
        except Exception as exc:  # one broken plugin must not take every command down
            warnings.warn(
                f"operator plugin '{ep.name}' ({ep.value}) failed to load and is skipped: "
                f"{type(exc).__name__}: {exc}",
                RuntimeWarning,
                stacklevel=2,
            )


def _refuse_shadowed_builtins(ep: EntryPoint) -> None:
    """Our own ``operators`` package must be the one beside ``engine``.

    A user's folder named ``operators/`` (with an ``__init__.py``) beside their script comes
    first on ``sys.path`` and would be imported instead: every built-in type would then be
    "unknown".  Refuse that before importing the user's code, and name the folder."""
    dist = getattr(ep, "dist", None)
    if dist is None or dist.name != "opgraph" or not ep.value.startswith("operators:"):
        return
    ours = Path(__file__).resolve().parent.parent / "operators"
    found = importlib.util.find_spec("operators")
    where = found.origin if found is not None and found.origin else None
    if where is None or Path(where).resolve().parent != ours:
        raise RuntimeError(
            f"a package named 'operators' at {Path(where).parent if where else '?'} hides "
            f"opgraph's built-in operators (in {ours}): rename that folder (or take it off "
            "sys.path), or every built-in operator type is unknown"
        )


def operator_types() -> dict[str, type[Operator]]:
    """Every registered operator, by type_id (loads entry points on first call)."""
    _load_entry_points()
    return dict(sorted(_REGISTRY.items()))


def get_operator(type_id: str) -> type[Operator] | None:
    _load_entry_points()
    return _REGISTRY.get(type_id)


def suggest(word: str, choices: Iterator[str] | list[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True)
class ModelBinding:
    """A model id bound to a local implementation: an operator type plus its params."""

    model_id: str
    model_type_id: str
    params: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None
    app_id: str | None = None
    note: str | None = None  # e.g. "local stand-in for clarifai/main/face-detection"


_BINDINGS: list[ModelBinding] = []


def bind_model(binding: ModelBinding) -> None:
    """Add a built-in binding (operator packages call this when loaded)."""
    _BINDINGS.append(binding)


def model_bindings() -> list[ModelBinding]:
    """The built-in bindings (the bundled catalog), in the order they were added."""
    _load_entry_points()
    return list(_BINDINGS)


def find_binding(
    model_id: str,
    user_id: str | None,
    app_id: str | None,
    extra: list[ModelBinding] | None = None,
) -> ModelBinding | None:
    """The binding for a model reference: the user's catalog first, then built-in ones.

    A binding that names ``user_id``/``app_id`` only matches references that agree with them
    (a reference that leaves them out matches any).
    """
    _load_entry_points()
    for b in [*(extra or []), *_BINDINGS]:
        if b.model_id != model_id:
            continue
        if user_id and b.user_id and b.user_id != user_id:
            continue
        if app_id and b.app_id and b.app_id != app_id:
            continue
        return b
    return None
