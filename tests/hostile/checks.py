"""Expectations shared by the hostile cases; each returns a list of problems (empty: fine).

Categories, the first word of every problem:
  refused   a security case that was not refused (or refused only after connecting/reading)
  lost      an input of a batch lost its result, or a good input's result changed
  message   the refusal is not one clear line (several lines, noise from OpenCV/FFmpeg, none)
  exit      the wrong exit code
  leak      a secret (file content, API key) reached the output or a server
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from tests.hostile.harness import CliResult, Ctx

__all__ = [
    "as_response",
    "batch_intact",
    "cli_refused",
    "input_failed",
    "no_connect",
    "no_leak",
    "quiet",
]

_TRACEBACK = "Traceback (most recent call last)"


def cli_refused(res: CliResult, match: str = "", codes: Sequence[int] = (2,)) -> list[str]:
    """``opgraph`` refused: the given exit code, one clear line on stderr matching ``match``."""
    problems: list[str] = []
    if res.code not in codes:
        problems.append(f"exit: expected {'/'.join(map(str, codes))}, got {res.code}")
    lines = res.lines()
    if _TRACEBACK in res.err:
        return problems  # the runner reports it as a traceback
    if len(lines) != 1:
        shown = " | ".join(lines[:3])[:300] or "(nothing on stderr)"
        problems.append(f"message: expected one line on stderr, got {len(lines)}: {shown}")
    if match and not re.search(match, res.err, re.I):
        problems.append(f"message: stderr does not say /{match}/: {res.err.strip()[:200]}")
    return problems


def input_failed(response: Any, index: int, match: str = "", what: str = "refused") -> list[str]:
    """Result ``index`` of a predict response has an error status whose text matches."""
    results = response.results
    if index >= len(results):
        return [f"lost: result {index} is missing ({len(results)} results)"]
    status = results[index].status
    text = f"{status.description or ''} {status.details or ''}"
    for out in results[index].outputs:
        text += f" {out.status.description or ''} {out.status.details or ''}"
    if _succeeded(results[index]):
        return [f"{what}: input {index} succeeded (expected an error status)"]
    if match and not re.search(match, text, re.I):
        return [f"{what}: input {index} failed but not as /{match}/: {text.strip()[:200]}"]
    return []


def batch_intact(response: Any, total: int, bad: Sequence[int], strict: bool = True) -> list[str]:
    """Every input outside ``bad`` succeeded and every input kept its result; ``strict``:
    the inputs in ``bad`` failed (otherwise they may also succeed, as long as none is lost)."""
    results = response.results
    if len(results) != total:
        return [f"lost: {len(results)} results for {total} inputs"]
    problems = []
    for i, result in enumerate(results):
        if i not in bad and not _succeeded(result):
            desc = result.status.details or result.status.description
            problems.append(f"lost: good input {i} failed beside a bad one: {desc}"[:240])
        if strict and i in bad and _succeeded(result):
            problems.append(f"lost: bad input {i} reported success")
    return problems


def _succeeded(result: Any) -> bool:
    if result.status.code != _SUCCESS:
        return False
    return all(o.status.code == _SUCCESS for o in result.outputs)


_SUCCESS = 10000


def as_response(doc: Any) -> Any:
    """The printed JSON of ``opgraph run`` with the attributes the checks read."""

    def status(d: Any) -> SimpleNamespace:
        d = d or {}
        return SimpleNamespace(code=d.get("code"), description=d.get("description"),
                               details=d.get("details"))

    results = [
        SimpleNamespace(
            status=status(r.get("status")),
            outputs=[SimpleNamespace(status=status(o.get("status"))) for o in r.get("outputs", [])],
        )
        for r in (doc or {}).get("results", [])
    ]
    return SimpleNamespace(results=results)


def no_connect(ctx: Ctx, allowed_hits: int = 0) -> list[str]:
    """Nothing was connected to but the local server, and that at most ``allowed_hits`` times."""
    problems = [f"refused: connected to {peer} (must refuse before connecting)"
                for peer in sorted(set(ctx.off_loopback()))]
    local = [c for c in ctx.connects if c.startswith("127.0.0.1:")]
    if len(local) > allowed_hits:
        problems.append(
            f"refused: {len(local)} connection(s) to 127.0.0.1 where {allowed_hits} expected "
            "(must refuse before connecting)"
        )
    return problems


def no_leak(text: str, *secrets: str, where: str = "output") -> list[str]:
    return [f"leak: the {where} contains {s!r}" for s in secrets if s and s in text]


def quiet(ctx: Ctx, mark: int) -> list[str]:
    """Nothing was written to stderr since ``mark`` (OpenCV/FFmpeg noise, warnings)."""
    text = ctx.stderr_since(mark)
    if not text.strip() or _TRACEBACK in text:
        return []
    first = text.strip().splitlines()[0][:200]
    return [f"message: stderr noise: {first}"]
