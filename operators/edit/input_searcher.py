"""``input-searcher``: searches an app with what the node receives; the hits as regions."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from engine import (
    BaseParams,
    Context,
    Data,
    Hit,
    InputError,
    JsonObject,
    Operator,
    Region,
    register,
)

__all__ = ["InputSearcher"]

_APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_DB = "app.db"


def _has_image(d: Data) -> bool:
    return d.image is not None and d.image.has_pixels


@register
class InputSearcher(Operator):
    """Searches an app's inputs with the input's concepts, text or image; outputs the hits.

    The query is, with ``rank_by: auto``, the input's concepts scoring at least
    ``concept_threshold`` (an upstream classifier's), else its text, else its image (found
    along the graph as the cropper finds it); the search is the app's own (Clarifai's
    ranks: concepts predicted or labelled, or similarity of the base workflow's
    embeddings).  It runs in the app the workflow runs in, or in the app ``app_id`` beside
    it (in the same folder, as a server keeps one user's apps).  The best ``max_results``
    hits scoring at least ``min_score`` come out as ``hits`` and as regions, one per hit:
    the region's id is the hit input's id, its value the score, its data the input's
    (text, concepts, metadata; a region hit keeps its box).

    Reads the input's concepts, text or image; writes ``regions`` and ``hits``.
    """

    type_id = "input-searcher"
    uses_app = True  # reads or writes the App through ctx.app: never in worker processes

    class Params(BaseParams):
        app_id: str = Field(
            "", description="search the app of this id beside the running one (empty: this app)"
        )
        rank_by: Literal["auto", "concepts", "text", "image"] = Field(
            "auto", description="what of the input the search ranks by"
        )
        concept_threshold: float = Field(
            0.5, ge=0.0, le=1.0, description="input concepts at least this sure form the query"
        )
        max_results: int = Field(10, ge=1, le=1000, description="hits output at most")
        min_score: float = Field(0.0, ge=0.0, le=1.0, description="hits scoring below are dropped")
        metadata: JsonObject = Field(
            default_factory=dict, description="search only inputs whose metadata contains these"
        )

    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ("regions", "hits")

    def __init__(self, params: Params) -> None:
        super().__init__(params)
        self.params: InputSearcher.Params = params
        if params.app_id and not _APP_ID.match(params.app_id):
            raise ValueError(f"app_id {params.app_id!r} is not an app id (letters, digits, _ . -)")
        self._apps: dict[Path, Any] = {}  # other apps, opened once per compiled graph
        self._lock = threading.Lock()

    def process(self, data: Data, ctx: Context) -> Data | None:
        app = self._app(ctx)
        query = self._query(data, ctx)
        p = self.params
        hits: list[Hit] = app.search(
            **query,
            metadata=p.metadata or None,
            min_score=p.min_score,
            max_results=p.max_results,
        ).hits
        return Data(regions=[_region(h) for h in hits], hits=hits)

    def _query(self, data: Data, ctx: Context) -> dict[str, Any]:
        how = self.params.rank_by
        sure = [c for c in data.concepts if c.value >= self.params.concept_threshold and c.id]
        if how in ("auto", "concepts") and sure:
            ids = list(dict.fromkeys(c.id for c in sure))[:8]
            return {"ranks": [{"concepts": [{"id": i, "value": 1} for i in ids]}]}
        text = data.text.raw if data.text is not None else None
        if how in ("auto", "text") and text:
            return {"text": text}
        if how in ("auto", "image"):
            found = data if _has_image(data) else ctx.look_back(_has_image)
            if found is not None and found.image is not None:
                return {"image": found.image.array}
        wanted = "concepts, text or an image" if how == "auto" else how
        raise InputError(f"input-searcher: input {ctx.input_index} has no {wanted} to search with")

    def _app(self, ctx: Context) -> Any:
        app = ctx.app
        if app is None or not hasattr(app, "search"):
            raise InputError(
                "input-searcher searches an app: run the workflow in one (app.predict(...) or "
                "opgraph run --app APP)"
            )
        if not self.params.app_id:
            return app
        other = Path(app.path).parent / self.params.app_id
        if not (other / _DB).is_file():
            raise InputError(f"input-searcher: no app '{self.params.app_id}' beside this app")
        with self._lock:
            if other not in self._apps:
                from engine import App

                self._apps[other] = App(other)
            return self._apps[other]


def _region(hit: Hit) -> Region:
    """A hit as a region: the input's id and data (no pixels), the score; a region hit's box."""
    inp = hit.input
    data = inp.data.model_copy(update={"image": None}) if inp is not None else Data()
    annotated = hit.annotation.data.regions if hit.annotation and hit.annotation.data else []
    info = annotated[0].region_info if annotated else None
    return Region(
        id=inp.id if inp is not None else None, region_info=info, value=hit.score, data=data
    )
