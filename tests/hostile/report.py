"""The failing cases as Markdown, grouped by owner and class, with a one-line reproduction."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from typing import Any

__all__ = ["findings_markdown"]


def findings_markdown(outcomes: list[Any], seconds: float) -> str:
    failed = [o for o in outcomes if not o.ok]
    by_owner: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for o in failed:
        by_owner[o.owner][o.klass].append(o)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Hostile corpus findings",
        "",
        f"Run {stamp}: {len(outcomes)} cases, {len(failed)} failing, {seconds:.0f} s "
        f"(load average {os.getloadavg()[0]:.2f}).",
        "",
        "Reproduce one case: `.venv/bin/python -m tests.hostile.runner --only CASE_ID`",
        "(all: `.venv/bin/python -m tests.hostile.runner --findings FILE`).",
        "",
    ]
    for owner in sorted(by_owner):
        classes = by_owner[owner]
        count = sum(len(v) for v in classes.values())
        lines += [f"## {owner} ({count} failing)", ""]
        for klass in sorted(classes):
            lines += [f"### {klass}", ""]
            for o in classes[klass]:
                lines.append(f"- `{o.id}`: {'; '.join(o.problems)[:400]}")
                if o.repro:
                    lines.append(f"  - repro: `{o.repro}`")
            lines.append("")
    near = [o for o in outcomes if o.ok and (o.peak_mb > 600 or o.seconds > 5)]
    if near:
        lines += ["## Passing, but near a bound (peak > 600 MB or > 5 s)", ""]
        lines += [f"- `{o.id}` [{o.owner}]: {o.peak_mb:.0f} MB, {o.seconds:.1f} s" for o in near]
        lines.append("")
    passed: dict[str, int] = defaultdict(int)
    for o in outcomes:
        passed[o.klass] += o.ok
    totals: dict[str, int] = defaultdict(int)
    for o in outcomes:
        totals[o.klass] += 1
    lines += ["## Per class (passing / cases)", ""]
    lines += [f"- {k}: {passed[k]}/{totals[k]}" for k in sorted(totals)]
    return "\n".join(lines) + "\n"
