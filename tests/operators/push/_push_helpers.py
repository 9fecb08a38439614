"""What the action operators' tests share: a receiving HTTP server and a small workflow."""

from __future__ import annotations

import json
from typing import Any

from tests.http_servers import Recorded

__all__ = ["flow", "json_route"]


def json_route(statuses: list[int]) -> Any:
    """A route answering with ``statuses`` in turn (then 200), as a webhook receiver does."""

    def route(rec: Recorded) -> tuple[int, dict[str, str], bytes]:
        status = statuses.pop(0) if statuses else 200
        return status, {"Content-Type": "application/json"}, json.dumps({"ok": status}).encode()

    return route


def flow(action: str, params: dict[str, Any], *, after: str = "") -> str:
    """A workflow: a regex classifier, then ``action`` with ``params``, then a keyword filter
    that must still run on what the action passes on."""
    return f"""
workflow:
  id: alert
  nodes:
    - id: classify
      model:
        model_id: classify
        model_type_id: regex-based-classifier
        output_info:
          data: {{concepts: [{{id: fire, name: fire}}]}}
          params: {{regex: fire}}
    {after}
    - id: act
      model:
        model_id: act
        model_type_id: {action}
        output_info: {{params: {json.dumps(params)}}}
      node_inputs: [{{node_id: classify}}]
    - id: later
      model:
        model_id: later
        model_type_id: keyword-filter-operator
        output_info: {{params: {{keywords: [fire]}}}}
      node_inputs: [{{node_id: act}}]
"""
