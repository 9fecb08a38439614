"""Cases about local files: reads through JSON requests and FFmpeg demuxers, file params,
content echoed in errors, ``--out`` through a symlink, big and device files, encodings."""

from __future__ import annotations

import base64
import bz2
import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

from tests.hostile.checks import as_response, cli_refused, input_failed, no_connect, no_leak, quiet
from tests.hostile.fixtures import SECRET, Files
from tests.hostile.harness import Case, Ctx

__all__ = ["file_cases"]


def _cli_batch_failed(res: object, index: int, match: str) -> list[str]:
    from tests.hostile.harness import CliResult

    assert isinstance(res, CliResult)
    problems = [] if res.code in (1, 2) else [f"exit: expected 1 or 2, got {res.code}"]
    if res.code == 2:
        return problems + cli_refused(res, match)
    try:
        doc = json.loads(res.out)
    except ValueError:
        return [*problems, "lost: no JSON response on stdout"]
    return problems + input_failed(as_response(doc), index, match)


# ---- JSON requests take data, not paths ---------------------------------------------------


def _json_path(files: Files, item: object, secret: Path) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        request = files.json(f"{ctx.slug}.json", item)
        res = ctx.cli("run", str(files.image_flow), "--json-input", str(request))
        problems = _cli_batch_failed(res, 0, "")
        opened = {os.path.realpath(p) for p in ctx.opened}
        if os.path.realpath(secret) in opened:
            problems.append(f"refused: a JSON request made opgraph open {secret}")
        return problems + no_leak(res.out + res.err, SECRET)

    return run


def json_path_cases(files: Files) -> list[Case]:
    s, p = str(files.secret), str(files.secret_png)
    rel = os.path.relpath(files.secret_png, files.dir.parent / "cwd")
    items = {
        "string-list-secret-png": ([p], files.secret_png),
        "string-list-relative": ([rel], files.secret_png),
        "inputs-string": ({"inputs": [p]}, files.secret_png),
        "bare-string": (p, files.secret_png),
        "string-etc-passwd": (["/etc/passwd"], Path("/etc/passwd")),
        "string-home": (["~/.bashrc"], Path("~/.bashrc").expanduser()),
        "string-secret-txt": ([s], files.secret),
        "image-url-file-scheme": ([{"data": {"image": {"url": f"file://{p}"}}}], files.secret_png),
        "video-url-file-scheme": ([{"data": {"video": {"url": f"file://{files.clip}"}}}],
                                  files.clip),
        "image-url-bare-path": ([{"data": {"image": {"url": p}}}], files.secret_png),
        "video-url-bare-path": ([{"data": {"video": {"url": str(files.clip)}}}], files.clip),
        "text-url-file-scheme": ([{"data": {"text": {"url": f"file://{s}"}}}], files.secret),
        "image-url-ftp": ([{"data": {"image": {"url": "ftp://127.0.0.1/x.png"}}}], files.secret),
        "image-url-data-uri": ([{"data": {"image": {"url": "data:image/png;base64,AAAA"}}}],
                               files.secret),
    }
    return [
        Case(f"json-request-paths/{name}", "json-request-paths", "netsec",
             _json_path(files, item, secret),
             repro=f"opgraph run image.yml --json-input <{json.dumps(item)[:60]}>")
        for name, (item, secret) in items.items()
    ]


# ---- FFmpeg demuxers that open other files ------------------------------------------------


def _playlists(files: Files, ctx: Ctx) -> dict[str, str]:
    clip = str(files.clip)
    return {
        "ffconcat": f"ffconcat version 1.0\nfile '{clip}'\n",
        "concat-subfile": f"ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:{clip}'\n",
        "hls-file": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{clip}\n"
                    "#EXT-X-ENDLIST\n",
        "hls-relative": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nclip.avi\n"
                        "#EXT-X-ENDLIST\n",
        "hls-http-local": "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n"
                          f"{ctx.url('file?name=clip.avi')}\n#EXT-X-ENDLIST\n",
    }


def _demuxer(files: Files, kind: str, entry: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import Workflow, media

        script = _playlists(files, ctx)[kind]
        mark = ctx.err_mark()
        wf = Workflow.from_yaml(files.video_flow)
        if entry == "base64":
            encoded = base64.b64encode(script.encode()).decode()
            item: object = {"data": {"video": {"base64": encoded}}}
        elif entry == "path":
            item = str(files.write(f"{ctx.slug}.mp4", script))
        else:
            os.environ["OPGRAPH_ALLOW_PRIVATE_URLS"] = "1"
            media.settings.allow_private_urls = True
            files.write(f"{ctx.slug}.m3u8", script)
            item = {"data": {"video": {"url": ctx.url(f"file?name={ctx.slug}.m3u8")}}}
        response = wf.predict([item])
        problems = input_failed(response, 0, "", what="refused")
        fetched = [h for h in ctx.hits() if "clip.avi" in h["path"]]
        if fetched:
            problems.append("refused: FFmpeg fetched a URL named inside the video")
        return problems + quiet(ctx, mark)

    return run


def demuxer_cases(files: Files) -> list[Case]:
    kinds = ("ffconcat", "concat-subfile", "hls-file", "hls-relative", "hls-http-local")
    return [
        Case(f"ffmpeg-demuxers/{entry}/{kind}", "ffmpeg-demuxers", "netsec",
             _demuxer(files, kind, entry),
             repro=f"a video input ({entry}) whose bytes are a {kind} playlist naming a local file")
        for kind in kinds
        for entry in ("base64", "path", "url")
    ]


# ---- content echo and file params ---------------------------------------------------------

_DETECTIONS = """workflow:
  id: hostile-detections
  nodes:
    - id: dets
      model:
        model_id: dets
        model_type_id: detections-file
        output_info:
          params: {{path: "{path}", format: {fmt}}}
"""


def _detections_flow(files: Files, ctx: Ctx, path: str, fmt: str = "auto") -> str:
    return str(files.write(f"{ctx.slug}.yml", _DETECTIONS.format(path=path, fmt=fmt)))


def _echo(files: Files, what: str, command: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        secret = str(files.secret)
        if what.startswith("detections"):
            fmt = what.split("-", 1)[1]
            args = [_detections_flow(files, ctx, secret, fmt)]
        elif what == "catalog":
            args = [str(files.text_flow), "--models", secret]
        elif what == "workflow-yaml":
            args = [str(files.write(f"{ctx.slug}.yml", f"workflow:\n  id: [x\n  {SECRET}: }}\n"))]
        elif what == "workflow-tab":
            args = [str(files.write(f"{ctx.slug}.yml", f"workflow:\n\tid: {SECRET}\n"))]
        else:  # a JSON request with the secret on its bad line
            bad = files.write(f"{ctx.slug}.json", f'{{"inputs": [{SECRET}]}}')
            args = [str(files.text_flow), "--json-input", str(bad)]
        if command == "run" and what not in ("json-input",):
            args += ["--text", "hi"] if not what.startswith("detections") else [
                "--input", str(files.png)]
        res = ctx.cli("run" if what == "json-input" else command, *args)
        # validate may not read the file at all; what matters is that nothing is echoed
        problems = [] if res.code in (0, 1, 2) else [f"exit: {res.code}"]
        return problems + no_leak(res.out + res.err, SECRET, where="error message")

    return run


def echo_cases(files: Files) -> list[Case]:
    whats = ("detections-mot", "detections-json", "detections-auto", "catalog", "workflow-yaml",
             "workflow-tab", "json-input")
    return [
        Case(f"content-echo/{command}/{what}", "content-echo", "specsafe",
             _echo(files, what, command),
             repro=f"opgraph {command} with a {what} file holding a secret line")
        for what in whats
        for command in ("validate", "run")
        if not (what == "json-input" and command == "validate")
    ]


_TOO_BIG = r"byte|size|limit|large|regular|not a file|device|allowed|no detections file"


def _file_param(files: Files, target: str, command: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        flow = _detections_flow(files, ctx, target, "mot")
        args = ["--input", str(files.png)] if command == "run" else []
        res = ctx.cli(command, flow, *args)
        return cli_refused(res, _TOO_BIG,
                           codes=(1, 2) if command == "run" else (2,))

    return run


def file_param_cases(files: Files) -> list[Case]:
    targets = {"dev-zero": "/dev/zero", "dev-urandom": "/dev/urandom",
               "sparse-1.5GB": str(files.sparse), "fifo": str(files.fifo)}
    return [
        Case(f"file-params/{command}/{name}", "file-params", "specsafe",
             _file_param(files, target, command), timeout_s=8,
             repro=f"opgraph {command} dets.yml  (detections-file path: {target})")
        for name, target in targets.items()
        for command in ("validate", "run")
    ]


# ---- --out through a predictable temporary name ------------------------------------------


def _out_symlink(files: Files, variant: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        victim = files.write(f"{ctx.slug}.victim", "precious\n")
        target = files.dir / f"{ctx.slug}.out.json"
        # every name a writer could derive from the target and our pid
        for name in (f".{target.name}.{os.getpid()}.tmp", f"{target.name}.tmp",
                     f".{target.name}.tmp"):
            link = target.with_name(name)
            if variant == "symlink":
                link.symlink_to(victim)
            else:
                link.symlink_to(files.dir / f"{ctx.slug}.elsewhere")
        res = ctx.cli("run", str(files.text_flow), "--text", "hi", "--out", str(target))
        problems = [] if res.code == 0 else [f"exit: expected 0, got {res.code}: {res.err[:150]}"]
        if victim.read_text() != "precious\n":
            problems.append("refused: --out wrote through a symlink into another file")
        if (files.dir / f"{ctx.slug}.elsewhere").exists():
            problems.append("refused: --out created a file where a planted symlink pointed")
        return problems

    return run


def out_cases(files: Files) -> list[Case]:
    return [Case(f"out-o-excl/{v}", "out-o-excl", "specsafe", _out_symlink(files, v),
                 repro=f"plant a {v} at --out's temporary name, then opgraph run --out")
            for v in ("symlink", "dangling-symlink")]


# ---- big, device and oddly encoded files as workflow, catalog, JSON request ---------------


def _bad_file(files: Files, role: str, path: str, match: str,
              may_be_valid: bool = False) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        if role == "workflow":
            res = ctx.cli("validate", path)
        elif role == "catalog":
            res = ctx.cli("validate", str(files.text_flow), "--models", path)
        elif role == "json-input":
            res = ctx.cli("run", str(files.text_flow), "--json-input", path)
        else:  # a text input
            res = ctx.cli("run", str(files.text_flow), "--input", path)
            return _cli_batch_failed(res, 0, match)
        if may_be_valid and res.code == 0:
            return []  # a file with a BOM may be read as what it is
        return cli_refused(res, match)

    return run


def _encoded(files: Files) -> dict[str, bytes]:
    flow = files.text_flow.read_text()
    accented = flow.replace("hostile-text", "hostile-text  # café")
    return {
        "latin-1": accented.encode("latin-1"),
        "utf-16-bom": flow.encode("utf-16"),
        "utf-16-le-no-bom": flow.encode("utf-16-le"),
        "utf-32": flow.encode("utf-32"),
        "nul-byte": flow.replace("nodes:", "no\0des:").encode(),
        "control-char": flow.replace("nodes:", "nodes:\x07\x1b").encode(),
        "gzip": gzip.compress(flow.encode()),
        "bzip2": bz2.compress(flow.encode()),
        "png-bytes": files.png.read_bytes(),
        "lone-ff": flow.encode() + b"\xff\xfe\xfa",
    }


_UNREADABLE = r"cannot|byte|limit|large|not a|invalid"


def size_cases(files: Files) -> list[Case]:
    cases = []
    devices = {"dev-zero": "/dev/zero", "dev-urandom": "/dev/urandom",
               "sparse-1.5GB": str(files.sparse), "fifo": str(files.fifo),
               "directory": str(files.dir), "proc-environ": "/proc/self/environ"}
    for role in ("workflow", "catalog", "json-input"):
        for name, path in devices.items():
            cases.append(Case(f"file-size/{role}/{name}", "file-size", "specsafe",
                              _bad_file(files, role, path, _UNREADABLE),
                              timeout_s=8, repro=f"opgraph ... {role} = {path}"))
    for name, path in {"sparse-1.5GB.txt": "sparse.txt", "fifo.txt": "fifo.txt"}.items():
        target = files.dir / path
        if name.startswith("sparse"):
            with target.open("wb") as f:
                f.truncate(1536 << 20)
        else:
            os.mkfifo(target)
        cases.append(Case(f"file-size/text-input/{name}", "file-size", "specsafe",
                          _bad_file(files, "text", str(target), r"byte|limit|large|not a|no such"),
                          timeout_s=8, repro=f"opgraph run text.yml --input {name}"))
    for role in ("workflow", "catalog", "json-input"):
        for name, data in _encoded(files).items():
            path = files.write(f"enc-{role}-{name}", data)
            cases.append(Case(f"encodings/{role}/{name}", "encodings", "specsafe",
                              _bad_file(files, role, str(path), re_escape_name(path),
                                        may_be_valid=name in ("utf-16-bom", "utf-32")),
                              repro=f"opgraph ... {role} = a {name} file"))
    return cases


def re_escape_name(path: Path) -> str:
    import re

    return re.escape(path.name)


def file_cases(files: Files) -> list[Case]:
    return (json_path_cases(files) + demuxer_cases(files) + echo_cases(files)
            + file_param_cases(files) + out_cases(files) + size_cases(files))


_ = (no_connect, quiet)
