"""App cases: duplicate ids, resuming a bulk add, concurrent adds, crashes during creation."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hostile.checks import cli_refused
from tests.hostile.fixtures import Files
from tests.hostile.harness import Case, Ctx

__all__ = ["app_cases"]

_OWNER = "app"


def _text(i: Any, raw: str = "some text") -> dict[str, Any]:
    return {"id": str(i), "data": {"text": {"raw": raw}}}


def _app_path(ctx: Ctx) -> Path:
    return ctx.work / "apps" / ctx.slug


def _duplicate_in_one_add(ctx: Ctx) -> list[str]:
    from engine import App
    from engine.errors import InputError

    with App(_app_path(ctx)) as app:
        try:
            app.add_inputs([_text("a"), _text("b"), _text("a")])
        except InputError as exc:
            return [] if "twice" in str(exc) or "duplicate" in str(exc) else [f"message: {exc}"]
        return ["refused: one add with the same id twice was accepted"]


def _readd_refused(ctx: Ctx) -> list[str]:
    from engine import App
    from engine.errors import InputError

    with App(_app_path(ctx)) as app:
        app.add_inputs([_text("a")])
        try:
            app.add_inputs([_text("a"), _text("b")])
        except InputError as exc:
            return [] if "already" in str(exc) else [f"message: {exc}"]
        return ["refused: re-adding a stored id was accepted silently"]


def _skip_existing_api(ctx: Ctx) -> list[str]:
    from engine import App

    with App(_app_path(ctx)) as app:
        app.add_inputs([_text(i) for i in range(3)])
        try:
            app.add_inputs([_text(i) for i in range(6)], skip_existing=True)  # type: ignore[call-arg]
        except TypeError:
            return ["lost: App.add_inputs has no skip_existing: a crashed bulk add cannot resume"]
        n = app.count_inputs()
        return [] if n == 6 else [f"lost: {n} inputs stored after resuming, expected 6"]


def _skip_existing_cli(files: Files) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        path = str(_app_path(ctx))
        texts = [files.write(f"{ctx.slug}-{i}.txt", f"text {i}") for i in range(4)]
        if ctx.cli("app", "create", path).code != 0:
            return ["exit: opgraph app create failed"]
        ctx.cli("app", "add", path, *map(str, texts[:2]))
        res = ctx.cli("app", "add", path, "--skip-existing", *map(str, texts))
        return [] if res.code == 0 else [f"lost: `opgraph app add --skip-existing` exit "
                                         f"{res.code}: {res.err.strip()[:160]}"]

    return run


def _concurrent(ids_a: list[str], ids_b: list[str]) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import App

        path = _app_path(ctx)
        App(path).close()
        problems: list[str] = []
        for round_ in range(3):
            tag = f"r{round_}-"
            pids = [_fork_add(path, [tag + i for i in ids], ctx.work / f"{ctx.slug}-{round_}-{k}")
                    for k, ids in enumerate((ids_a, ids_b))]
            for pid in pids:
                os.waitpid(pid, 0)
            for k in range(2):
                outcome = (ctx.work / f"{ctx.slug}-{round_}-{k}").read_text()
                if outcome != "ok" and "already in the app" not in outcome:
                    problems.append(f"message: a concurrent add said: {outcome[:200]}")
        if set(ids_a).isdisjoint(ids_b) and not problems:
            # both adds must have stored everything
            want = sorted({f"r{r}-{i}" for r in range(3) for i in ids_a + ids_b})
            with App(path) as app:
                stored = len(app.get_inputs(want))
            if stored != len(want):
                problems.append(f"lost: {stored} of {len(want)} inputs stored by two processes")
        return sorted(set(problems))

    return run


def _fork_add(path: Path, ids: list[str], report: Path) -> int:
    pid = os.fork()
    if pid:
        return pid
    try:
        from engine import App

        with App(path) as app:
            app.add_inputs([_text(i) for i in ids])
        report.write_text("ok")
    except BaseException as exc:
        report.write_text(f"{type(exc).__name__}: {exc}")
    os._exit(0)


def _crash_during_create(delay: float) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import App
        from engine.errors import OpgraphError

        path = _app_path(ctx)
        pid = os.fork()
        if pid == 0:
            try:
                App(path, base_workflow="text").close()
            finally:
                os._exit(0)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        try:
            App(path, base_workflow="text").close()
        except OpgraphError as exc:
            return [f"app: after a crash during creation the app cannot be opened: {exc}"[:240]]
        return []

    return run


def _deep_app_metadata(files: Files, entry: str, depth: int) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import App
        from engine.errors import InputError

        deep: Any = 1
        for _ in range(depth):
            deep = {"k": deep}
        if entry == "cli":
            path = str(_app_path(ctx))
            ctx.cli("app", "create", path)
            text = '{"k": ' * depth + "1" + "}" * depth
            return cli_refused(ctx.cli("app", "add", path, str(files.png), "--metadata", text),
                               r"deep|nest|metadata")
        with App(_app_path(ctx)) as app:
            try:
                if entry == "argument":
                    app.add_inputs([_text("a")], metadata=deep)
                else:
                    app.add_inputs([{"id": "a", "data": {"text": {"raw": "x"}, "metadata": deep}}])
            except InputError:
                return []
            return ["refused: metadata nested past any bound was stored"]

    return run


def _search_args(files: Files, args: list[str]) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        path = str(_app_path(ctx))
        ctx.cli("app", "create", path)
        res = ctx.cli("app", "search", path, *args)
        return [] if res.code == 0 and not res.err.strip() else cli_refused(res)

    return run


def _train_args(args: list[str], match: str) -> Callable[[Ctx], list[str]]:
    """``opgraph app models train`` with a hostile argument: refused in one line, no model."""

    def run(ctx: Ctx) -> list[str]:
        from engine import App

        path = str(_app_path(ctx))
        ctx.cli("app", "create", path)
        ctx.cli("app", "add", path, "--text", "a cat", "--text", "a dog", "--concept", "pets")
        ctx.cli("app", "add", path, "--text", "a car", "--concept", "cars")
        problems = cli_refused(ctx.cli("app", "models", "train", path, "--id", "m", *args), match)
        with App(path) as app:
            if app._store.models.get("m") is not None:
                problems.append("refused: a model was stored by a refused training")
        return problems

    return run


def _csv_upload(files: Files, cell: str) -> Callable[[Ctx], list[str]]:
    """A dataset CSV whose middle row has a hostile metadata cell: that row fails alone."""

    def run(ctx: Ctx) -> list[str]:
        import csv

        from engine import App

        path = str(_app_path(ctx))
        table = files.dir / f"{ctx.slug}.csv"
        with table.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["inputid", "input", "concepts", "metadata", "geopoints"])
            w.writerows([["a", "first", "", "", ""], ["b", "bad", "", cell, ""],
                         ["c", "third", "", "", ""]])
        ctx.cli("app", "create", path)
        ctx.cli("app", "datasets", "create", path, "--id", "ds")
        res = ctx.cli("app", "datasets", "upload", path, "--id", "ds", "--csv", str(table))
        if res.code == 2:  # the file refused whole before anything is stored (csv's field cap)
            return cli_refused(res)
        problems = [] if res.code in (0, 1) else [f"exit: {res.code}: {res.err.strip()[:160]}"]
        with App(path) as app:
            stored = app.count_inputs()
        if stored < 2:
            problems.append(f"lost: {stored} of the 2 good rows stored beside a bad one")
        return problems

    return run


def app_cases(files: Files) -> list[Case]:
    cases = [
        Case("app/duplicate-ids/one-add", "app-duplicate-ids", _OWNER, _duplicate_in_one_add,
             repro="app.add_inputs([a, b, a])"),
        Case("app/duplicate-ids/re-add", "app-duplicate-ids", _OWNER, _readd_refused,
             repro="app.add_inputs([a]); app.add_inputs([a, b])"),
        Case("app/skip-existing/api", "app-skip-existing", _OWNER, _skip_existing_api,
             repro="app.add_inputs(6 inputs, skip_existing=True) after 3 stored"),
        Case("app/skip-existing/cli", "app-skip-existing", _OWNER, _skip_existing_cli(files),
             repro="opgraph app add APP --skip-existing a.txt b.txt c.txt d.txt"),
    ]
    shapes = {"same-id": (["x"], ["x"]), "overlap": (["x", "y", "z"], ["z", "w"]),
              "disjoint": (["p", "q"], ["r", "s"]), "same-many": ([str(i) for i in range(20)],
                                                                  [str(i) for i in range(20)])}
    cases += [
        Case(f"app/concurrent-adds/{name}", "app-concurrent-adds", _OWNER, _concurrent(a, b),
             timeout_s=40, repro=f"two processes add {a[:3]} and {b[:3]} to one app at once")
        for name, (a, b) in shapes.items()
    ]
    cases += [
        Case(f"app/atomic-create/kill-after-{int(d * 1000)}ms", "app-atomic-create", _OWNER,
             _crash_during_create(d), repro=f"kill -9 App(path) creation after {d * 1000:g} ms")
        for d in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05)
    ]
    cases += [
        Case(f"app/deep-metadata/{entry}/{depth}", "deep-metadata", "specsafe",
             _deep_app_metadata(files, entry, depth),
             repro=f"opgraph app add --metadata <{depth} deep> / App.add_inputs ({entry})")
        for entry in ("argument", "input", "cli")
        for depth in (300, 3000)
    ]
    cells = {"deep-3000": '{"k": ' * 3000 + "1" + "}" * 3000,
             "deep-list-100000": "[" * 100_000 + "]" * 100_000,
             "not-json": "{not json", "list": "[1, 2]",
             "huge-string": '{"k": "' + "x" * 10**6 + '"}'}
    cases += [
        Case(f"app/csv-upload-metadata/{name}", "app-csv-upload", _OWNER, _csv_upload(files, cell),
             repro=f"opgraph app datasets upload APP --id ds --csv <row 2 metadata: {name}>")
        for name, cell in cells.items()
    ]
    searches = {"max-results-negative": ["--text", "x", "--max-results", "-1"],
                "min-score-nan": ["--text", "x", "--min-score", "nan"],
                "metadata-not-json": ["--text", "x", "--metadata", "{not json"],
                "metadata-deep": ["--text", "x", "--metadata", '{"k": ' * 3000 + "1" + "}" * 3000],
                "max-results-huge": ["--text", "x", "--max-results", str(10**18)]}
    cases += [
        Case(f"app/search-args/{name}", "app-search-args", _OWNER, _search_args(files, args),
             repro=f"opgraph app search APP {' '.join(args)[:60]}")
        for name, args in searches.items()
    ]
    trainings = {
        "params-deep": (["--concept", "pets", "--params", '{"k": ' * 3000 + "1" + "}" * 3000],
                        "nested|JSON"),
        "params-list": (["--concept", "pets", "--params", "[1, 2]"], "params"),
        "params-nan": (["--concept", "pets", "--params", '{"regularization": NaN}'],
                       "regularization"),
        "clusters-huge": (["--type", "clusterer", "--params", '{"n_clusters": 1000000000}'],
                          "n_clusters"),
        "clusters-more-than-inputs": (["--type", "clusterer", "--params", '{"n_clusters": 50}'],
                                      "at least 50"),
        "concepts-many": ([a for i in range(1500) for a in ("--concept", f"c{i}")],
                          "at most 1000"),
        "version-id-path": (["--concept", "pets", "--concept", "cars", "--version-id", "../x"],
                            "version id"),
        "unknown-type": (["--type", "visual-detector"], "cannot be trained"),
    }
    cases += [
        Case(f"app/train-args/{name}", "app-train-args", "train", _train_args(args, match),
             timeout_s=40, repro=f"opgraph app models train APP --id m {' '.join(args)[:60]}")
        for name, (args, match) in trainings.items()
    ]
    return cases


_ = json
