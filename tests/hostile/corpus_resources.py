"""Resource cases: regex bombs, tile counts, YAML alias bombs, huge PNGs, absurd video timing."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from tests.hostile.checks import batch_intact, cli_refused, input_failed, quiet
from tests.hostile.fixtures import Files
from tests.hostile.harness import Case, Ctx

__all__ = ["resource_cases"]

_REGEX = """workflow:
  id: hostile-regex
  nodes:
    - id: rx
      model:
        model_id: rx
        model_type_id: regex-based-classifier
        output_info:
          params: {{regex: '{pattern}', concepts: [{{id: hit}}]}}
"""

REGEX_BOMBS = {
    "nested-1000x1000": "(a{1000}){1000}",
    "nested-3-levels": "((a{100}){100}){100}",
    "nested-4-levels": "(?:(?:(?:a{40}){40}){40}){40}",
    "class-65535-squared": "(?:[a-z]{65535}){65535}",
    "digits-5000-squared": "(\\d{5000}){5000}",
    "lazy-nested": "(?:(?:x{999}?){999}?){99}",
    "alternation-nested": "((a|b){500}){500}",
    "backref-nested": "(a{300})(\\1{300}){30}",
}


def _regex(files: Files, pattern: str, command: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        flow = str(files.write(f"{ctx.slug}.yml", _REGEX.format(pattern=pattern)))
        args = ["--text", "aaaa"] if command == "run" else []
        res = ctx.cli(command, flow, *args)
        if res.code == 0 and not res.err.strip():
            return []  # compiled within the memory and time bounds the runner checks
        return cli_refused(res, r"regex|pattern|large|complex")

    return run


_TILES = """workflow:
  id: hostile-tiles
  nodes:
    - id: tiles
      model:
        model_id: tiles
        model_type_id: image-tiling-operator
        output_info:
          params: {params}
"""

TILE_BOMBS = {
    "1px-on-3000px": ("{tile_size: 1, overlap: 0}", 3000),
    "2px-on-4000px": ("{tile_size: 2, overlap: 1}", 4000),
    "1x2px-on-2000px": ("{tile_size: [1, 2], overlap: [0, 0]}", 2000),
    "3px-on-6000px": ("{tile_size: 3, overlap: 0}", 6000),
    "4px-overlap-3-on-2000px": ("{tile_size: 4, overlap: 3}", 2000),
}


def _tiles(files: Files, params: str, side: int) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        import numpy as np

        from engine import Workflow

        flow = files.write(f"{ctx.slug}.yml", _TILES.format(params=params))
        wf = Workflow.from_yaml(flow)
        small = np.full((64, 64, 3), 128, np.uint8)
        response = wf.predict([small, np.zeros((side, side, 3), np.uint8), small])
        return batch_intact(response, 3, bad=[1]) + input_failed(response, 1, r"tile")

    return run


def _laughs(levels: int = 9, width: int = 10) -> str:
    """A billion-laughs mapping in flow style: ``width ** levels`` strings once expanded."""
    parts = ["l0: &l0 [lol]"]
    for k in range(1, levels):
        parts.append(f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * width)}]")
    return "{" + ", ".join(parts) + "}"


def _bomb_flow(where: str) -> str:
    bomb = _laughs()
    body = {
        "description": f"        model_type_id: image-color-recognizer\n"
                       f"        description: {bomb}",
        "params": f"        model_type_id: image-color-recognizer\n        output_info:\n"
                  f"          params: {{max_colors: 2, extra: {bomb}}}",
        "concepts": f"        model_type_id: concept-thresholder\n        output_info:\n"
                    f"          data:\n            concepts: [{bomb}]",
        "annotation-info": f"        model_type_id: annotation-writer\n        output_info:\n"
                           f"          params: {{annotation_info: {{x: {bomb}}}}}",
    }[where]
    head = "workflow:\n  id: bomb\n  nodes:\n    - id: n\n      model:\n        model_id: n\n"
    return f"{head}{body}\n"


def _yaml_bomb(files: Files, where: str, entry: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        flow = files.write(f"{ctx.slug}.yml", _bomb_flow(where))
        if entry == "validate":
            return cli_refused(ctx.cli("validate", str(flow)), r"alias|expan|large|nest|size")
        if entry == "catalog":
            catalog = files.write(f"{ctx.slug}.models.yml", f"models: [{_laughs()}]\n")
            res = ctx.cli("validate", str(files.text_flow), "--models", str(catalog))
            return cli_refused(res, r"alias|expan|large|nest|size")
        from engine import App
        from engine.errors import OpgraphError

        try:
            App(ctx.work / "apps" / ctx.slug, base_workflow=str(flow)).close()
        except OpgraphError:
            return []
        return ["refused: an app took a base workflow whose aliases expand past any bound"]

    return run


def _huge_png(files: Files, name: str, spec: tuple[int, int, int, int],
              entry: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import Workflow

        path = files.huge_png(name, *spec)
        small = files.png.read_bytes()
        item: Any = str(path)
        if entry == "base64":
            item = {"data": {"image": {"base64": base64.b64encode(path.read_bytes()).decode()}}}
        elif entry == "bytes":
            item = path.read_bytes()
        mark = ctx.err_mark()
        response = Workflow.from_yaml(files.image_flow).predict([small, item, small])
        # decoded within the bounds is as good as refused: the runner checks memory and time
        return batch_intact(response, 3, bad=[1], strict=False) + quiet(ctx, mark)

    return run


PNG_BOMBS = {
    "rgba16-99MP": ("rgba16.png", (9950, 9950, 16, 6)),
    "rgba8-99MP": ("rgba8.png", (9950, 9950, 8, 6)),
}

VIDEO_TIMING = {
    "fps-1e-9": (10**9, 1, None),
    "fps-1e-6": (10**6, 1, None),
    "fps-0.001": (1000, 1, None),
    "fps-4e9": (1, 4_000_000_000, None),
    "rate-0": (1, 0, None),
    "scale-0": (0, 10, None),
    "length-2^31": (1, 10, 2**31 - 1),
    "fps-1e-9-length-2^31": (10**9, 1, 2**31 - 1),
}


def _timing(files: Files, name: str, spec: tuple[int, int, int | None],
            entry: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        path = files.avi_timing(f"{ctx.slug}.avi", *spec)
        mark = ctx.err_mark()
        if entry == "cli":
            res = ctx.cli("run", str(files.video_flow), "--input", str(path), "--sample-ms", "100")
            return [] if res.code in (0, 1, 2) else [f"exit: {res.code}"]
        from engine import Workflow

        response = Workflow.from_yaml(files.video_flow).predict(
            [files.png.read_bytes(), str(path), files.png.read_bytes()], sample_ms=100)
        problems = batch_intact(response, 3, bad=[1], strict=False) if entry == "batch" else []
        return problems + quiet(ctx, mark)

    return run


def resource_cases(files: Files) -> list[Case]:
    for fname, spec in PNG_BOMBS.values():  # made once here, not by three cases at a time
        files.huge_png(fname, *spec)
    cases = [
        Case(f"regex-bombs/{command}/{name}", "regex-bombs", "specsafe",
             _regex(files, pattern, command), timeout_s=30,
             repro=f"opgraph {command} rx.yml  (regex: {pattern})")
        for name, pattern in REGEX_BOMBS.items()
        for command in ("validate", "run")
    ]
    cases += [
        Case(f"tile-cap/{name}", "tile-cap", "specsafe", _tiles(files, params, side),
             timeout_s=10, repro=f"image-tiling-operator {params} on a {side}px image")
        for name, (params, side) in TILE_BOMBS.items()
    ]
    cases += [
        Case(f"yaml-alias-bombs/{entry}/{where}", "yaml-alias-bombs", "specsafe",
             _yaml_bomb(files, where, entry), timeout_s=20,
             repro=f"billion laughs ({where}) through {entry}")
        for where in ("description", "params", "concepts", "annotation-info")
        for entry in ("validate", "app-create")
    ]
    cases.append(Case("yaml-alias-bombs/catalog/models", "yaml-alias-bombs", "specsafe",
                      _yaml_bomb(files, "params", "catalog"), timeout_s=20,
                      repro="opgraph validate text.yml --models <billion laughs>"))
    cases += [
        Case(f"image-decode-bytes/{entry}/{name}", "image-decode-bytes", "netsec",
             _huge_png(files, fname, spec, entry), timeout_s=60,
             repro=f"predict([png, <{name} PNG as {entry}>, png])")
        for name, (fname, spec) in PNG_BOMBS.items()
        for entry in ("path", "bytes", "base64")
    ]
    cases += [
        Case(f"video-timing/{entry}/{name}", "video-timing", "netsec",
             _timing(files, name, spec, entry), timeout_s=10,
             repro=f"an AVI declaring {name}, through {entry}")
        for name, spec in VIDEO_TIMING.items()
        for entry in ("batch", "cli")
    ]
    return cases
