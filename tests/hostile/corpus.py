"""The hostile corpus: every case, generated into a work folder at run time.

Classes follow the issue on exposing opgraph to other people's requests: security
(URL guard, redirects, endpoints, local file reads, content echo, file params, ``--out``),
resources (file sizes, regex bombs, tile counts, YAML aliases, huge PNGs, video timing,
deadlines), tracebacks (node_id types, deep nesting, numpy dtypes, encodings), lost inputs
(one bad input in a batch), apps (duplicate ids, concurrent adds, atomic creation) and
hostile requests to ``opgraph serve``.
"""

from __future__ import annotations

from pathlib import Path

from tests.hostile.corpus_api import api_cases
from tests.hostile.corpus_app import app_cases
from tests.hostile.corpus_files import file_cases
from tests.hostile.corpus_inputs import input_cases
from tests.hostile.corpus_net import net_cases
from tests.hostile.corpus_resources import resource_cases
from tests.hostile.fixtures import Files
from tests.hostile.harness import Case

__all__ = ["build_corpus"]


def build_corpus(work: Path, port: int) -> list[Case]:
    """Every case; ``port`` is the local server's (cases learn it again from their Ctx)."""
    files = Files(work)
    (work / "apps").mkdir(exist_ok=True)
    cases = (net_cases(files) + file_cases(files) + resource_cases(files) + input_cases(files)
             + app_cases(files) + api_cases())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
