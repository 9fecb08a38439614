"""``Searcher``: the shape of the Clarifai SDK's ``Search`` client, over one app.

>>> s = app.searcher(top_k=50, metric="cosine")               # doctest: +SKIP
>>> for page in s.query(ranks=[{"text_raw": "a red bucket"}],  # doctest: +SKIP
...                     filters=[{"input_types": ["text"]}]):
...     print([h.input.id for h in page.hits])

As in the SDK, ``query`` takes ``ranks=[{}]`` and ``filters=[{}]`` (an empty dict is no rank
or filter) and yields one ``MultiSearchResponse`` per page until ``top_k`` hits or the
last hit; ``page_no`` (with ``per_page``) asks for that one page only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine.errors import AppError
from engine.proto import MultiSearchResponse, StatusCode
from engine.query import MAX_PER_PAGE, MAX_WINDOW, METRICS

if TYPE_CHECKING:
    from engine.app.facade import App

__all__ = ["Searcher"]

_BAD = StatusCode.SEARCH_INVALID_REQUEST


class Searcher:
    """Clarifai's ``Search(user_id, app_id, top_k, metric)`` for this app."""

    def __init__(self, app: App, top_k: int = 10, metric: str = "cosine") -> None:
        if metric not in METRICS:
            raise AppError("Metric should be either cosine or euclidean", code=_BAD)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_WINDOW:
            raise AppError(f"top_k must be a whole number in 1..{MAX_WINDOW}", code=_BAD)
        self._app, self.top_k, self.metric = app, top_k, metric

    def query(
        self,
        ranks: Sequence[dict[str, Any]] = ({},),
        filters: Sequence[dict[str, Any]] = ({},),
        page_no: int | None = None,
        per_page: int | None = None,
    ) -> Iterator[MultiSearchResponse]:
        """Pages of hits (see the module doc); the query is checked before the first page."""
        size = per_page if per_page is not None else min(self.top_k, MAX_PER_PAGE)
        first = self._page(ranks, filters, page_no or 1, size)  # raises now on a bad query
        return self._pages(ranks, filters, first, page_no, size)

    def _pages(
        self,
        ranks: Sequence[dict[str, Any]],
        filters: Sequence[dict[str, Any]],
        first: MultiSearchResponse,
        page_no: int | None,
        size: int,
    ) -> Iterator[MultiSearchResponse]:
        response, page, seen = first, page_no or 1, 0
        while True:
            if not response.hits:
                return
            if page_no is None:
                response.hits = response.hits[: self.top_k - seen]
            yield response
            seen += len(response.hits)
            if page_no is not None or seen >= self.top_k or len(response.hits) < size:
                return
            page += 1
            response = self._page(ranks, filters, page, size)

    def _page(
        self,
        ranks: Sequence[dict[str, Any]],
        filters: Sequence[dict[str, Any]],
        page: int,
        size: int,
    ) -> MultiSearchResponse:
        return self._app.search(
            list(ranks), list(filters), page=page, per_page=size, metric=self.metric
        )
