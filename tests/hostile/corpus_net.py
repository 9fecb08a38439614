"""Security and resource cases on the network: the URL guard, redirects, endpoints, deadlines.

Every URL either names the corpus's own server on 127.0.0.1 or an address the guard must
refuse before connecting; the harness blocks (and records) any other connect attempt, so a
guard that fails shows up as a problem, never as traffic.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from tests.hostile.checks import as_response, cli_refused, input_failed, no_connect, no_leak, quiet
from tests.hostile.fixtures import Files
from tests.hostile.harness import Case, Ctx

__all__ = ["net_cases"]

REFUSAL = r"private|loopback|link-local|global|reserved|not allowed|refus(e|ing) to"

# (case name, host as written in a URL, True when it names the local server's own machine)
HOSTS: list[tuple[str, str, bool]] = [
    ("v4-10", "10.0.0.1", False),
    ("v4-172", "172.16.5.4", False),
    ("v4-192", "192.168.1.1", False),
    ("v4-metadata", "169.254.169.254", False),
    ("v4-cgnat", "100.64.0.1", False),
    ("v4-zero", "0.0.0.0", False),
    ("v4-benchmark", "198.18.0.1", False),
    ("v4-multicast", "224.0.0.1", False),
    ("v4-broadcast", "255.255.255.255", False),
    ("v4-loopback", "127.0.0.1", True),
    ("v4-short", "127.1", True),
    ("v4-decimal", "2130706433", True),
    ("v4-hex", "0x7f000001", True),
    ("v4-octal", "0177.0.0.1", True),
    ("v4-trailing-dot", "127.0.0.1.", True),
    ("dns-localhost", "localhost", True),
    ("dns-localhost-upper", "LOCALHOST", True),
    ("dns-localhost-dot", "localhost.", True),
    ("dns-to-10", "internal.test", False),
    ("dns-to-metadata", "metadata.test", False),
    ("dns-to-loopback", "loop.test", True),
    ("dns-to-v6-private", "v6private.test", False),
    ("dns-to-v6-mapped", "v6mapped.test", False),
    ("v6-loopback", "[::1]", False),
    ("v6-unspecified", "[::]", False),
    ("v6-mapped-loopback", "[::ffff:127.0.0.1]", False),
    ("v6-mapped-10", "[::ffff:10.0.0.1]", False),
    ("v6-mapped-metadata-hex", "[::ffff:a9fe:a9fe]", False),
    ("v6-compatible-loopback", "[::127.0.0.1]", False),
    ("v6-compatible-10", "[::10.0.0.1]", False),
    ("v6-siit-10", "[::ffff:0:10.0.0.1]", False),
    ("v6-nat64-10", "[64:ff9b::10.0.0.1]", False),
    ("v6-nat64-loopback", "[64:ff9b::7f00:1]", False),
    ("v6-nat64-local-10", "[64:ff9b:1::a00:1]", False),
    ("v6-6to4-10", "[2002:a00:1::1]", False),
    ("v6-6to4-loopback", "[2002:7f00:1::1]", False),
    ("v6-teredo-10", "[2001:0:4136:e378:8000:63bf:f5ff:fffe]", False),
    ("v6-link-local", "[fe80::1]", False),
    ("v6-link-local-zone", "[fe80::1%25lo]", False),
    ("v6-ula-fc", "[fc00::1]", False),
    ("v6-ula-fd", "[fd12:3456::1]", False),
    ("v6-multicast", "[ff02::1]", False),
    ("v6-documentation", "[2001:db8::1]", False),
]

_OWNER = "netsec"


def _url(ctx: Ctx, host: str, local: bool, action: str = "png") -> str:
    port = ctx.port if local else 80
    return f"http://{host}:{port}/c/{ctx.slug}/{action}"


def _predict(flow: Any, inputs: list[Any], **options: Any) -> Any:
    from engine import Workflow

    return Workflow.from_yaml(flow).predict(inputs, **options)


def _refused_url(files: Files, kind: str, host: str, local: bool) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        url = _url(ctx, host, local)
        mark = ctx.err_mark()
        flow = files.video_flow if kind == "video" else files.image_flow
        response = _predict(flow, [{"data": {kind: {"url": url}}}])
        return input_failed(response, 0, REFUSAL) + no_connect(ctx) + quiet(ctx, mark)

    return run


def _refused_url_cli(files: Files, host: str, local: bool) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        request = files.json(f"{ctx.slug}.json", {"inputs": [{"data": {"image": {
            "url": _url(ctx, host, local)}}}]})
        res = ctx.cli("run", str(files.image_flow), "--json-input", str(request))
        problems = [] if res.code == 1 else [f"exit: expected 1, got {res.code}"]
        try:
            doc = json.loads(res.out)
        except ValueError:
            return [*problems, "lost: no JSON response on stdout"]
        return problems + input_failed(as_response(doc), 0, REFUSAL) + no_connect(ctx)

    return run


def _open_closed_same(files: Files, host: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        texts = []
        for port in (ctx.port, 9):  # the corpus server, and the discard port nobody serves
            url = f"http://{host}:{port}/c/{ctx.slug}/png"
            result = _predict(files.image_flow, [{"data": {"image": {"url": url}}}]).results[0]
            texts.append(str(result.status.details).replace(str(port), "PORT"))
        problems = no_connect(ctx)
        if texts[0] != texts[1]:
            problems.append(f"refused: open and closed ports answer differently: {texts}"[:300])
        return problems

    return run


def _allow_only_loopback() -> None:
    """Private addresses allowed for the corpus's own server only (127.0.0.1)."""
    os.environ["OPGRAPH_ALLOW_PRIVATE_URLS"] = "127.0.0.1/32"


def _allow_private() -> None:
    from engine import media

    os.environ["OPGRAPH_ALLOW_PRIVATE_URLS"] = "1"
    media.settings.allow_private_urls = True


REDIRECT_TARGETS = [
    ("to-10", "http://10.0.0.1/x.png"),
    ("to-metadata", "http://169.254.169.254/latest/meta-data/"),
    ("to-mapped-10", "http://[::ffff:10.0.0.1]/x.png"),
    ("to-nat64-10", "http://[64:ff9b::a00:1]/x.png"),
    ("to-dns-10", "http://internal.test/x.png"),
    ("to-v6-loopback", "http://[::1]/x.png"),
    ("to-file", "file:///etc/passwd"),
    ("to-ftp", "ftp://127.0.0.1/x.png"),
    ("to-data", "data:image/png;base64,AAAA"),
]


def _redirect(files: Files, kind: str, target: str, code: int) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        _allow_only_loopback()
        from urllib.parse import quote

        url = ctx.url(f"redirect?code={code}&to={quote(target, safe='')}")
        flow = files.video_flow if kind == "video" else files.image_flow
        response = _predict(flow, [{"data": {kind: {"url": url}}}])
        problems = input_failed(response, 0, REFUSAL + "|scheme")
        problems += no_connect(ctx, allowed_hits=1)
        if not ctx.hits():
            problems.append("refused: the allowed local server was never asked (the allow-list "
                            "for 127.0.0.1 is not honoured, so the redirect went untested)")
        return problems

    return run


def _slow(files: Files, kind: str, action: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from engine import media

        _allow_private()
        media.settings.url_timeout_s = 2.0
        media.settings.video_url_timeout_s = 2.0
        flow = files.video_flow if kind == "video" else files.image_flow
        response = _predict(flow, [{"data": {kind: {"url": ctx.url(action)}}}])
        return input_failed(response, 0, r"time|limit|deadline|bytes", what="hang")

    return run


def url_cases(files: Files) -> list[Case]:
    cases = []
    for name, host, local in HOSTS:
        for kind in ("image", "video"):
            cases.append(Case(f"url-guard/{kind}-url/{name}", "url-guard", _OWNER,
                              _refused_url(files, kind, host, local),
                              repro=f"predict([{{'data': {{'{kind}': {{'url': "
                                    f"'http://{host}/...'}}}}}}])"))
    for name, host, local in HOSTS[::3]:
        cases.append(Case(f"url-guard/cli-json-input/{name}", "url-guard", _OWNER,
                          _refused_url_cli(files, host, local),
                          repro=f"opgraph run image.yml --json-input (image.url http://{host}/)"))
    for host in ("127.0.0.1", "localhost", "127.1", "0x7f000001"):
        cases.append(Case(f"url-guard/open-vs-closed-port/{host}", "url-guard", _OWNER,
                          _open_closed_same(files, host),
                          repro=f"image.url http://{host}:<open port> vs :9: same error"))
    for name, target in REDIRECT_TARGETS:
        for kind, code in (("image", 302), ("video", 301), ("image", 307)):
            cases.append(Case(f"url-redirect/{kind}-{code}/{name}", "url-redirect", _OWNER,
                              _redirect(files, kind, target, code),
                              repro=f"{kind}.url on 127.0.0.1 (allowed) -> {code} -> {target}"))
    for kind in ("image", "video"):
        for action in ("slow-headers", "slow-body", "huge"):
            cases.append(Case(f"url-deadline/{kind}/{action}", "url-deadline", _OWNER,
                              _slow(files, kind, action), timeout_s=8,
                              repro=f"{kind}.url to a server sending {action}, timeout 2 s"))
    return cases


# ---- endpoints (text-to-text) -------------------------------------------------------------

_LLM = """workflow:
  id: hostile-llm
  nodes:
    - id: llm
      model:
        model_id: llm
        model_type_id: text-to-text
        output_info:
          params: {{base_url: "{base}", model: m, api_key_env: {env}, timeout: {timeout},
                    max_retries: 0}}
"""

SECRET_ENVS = ["AWS_SECRET_ACCESS_KEY", "CLARIFAI_PAT", "GITHUB_TOKEN", "DATABASE_URL",
               "SSH_AUTH_SOCK", "HOME", "PATH", "GOOGLE_APPLICATION_CREDENTIALS"]


_KEY_ENV = "OPGRAPH_HOSTILE_KEY"  # a name the key rule allows (OPGRAPH_*)


def _llm_flow(files: Files, ctx: Ctx, base: str, env: str = _KEY_ENV,
              timeout: float = 2) -> str:
    path = files.write(f"{ctx.slug}.yml", _LLM.format(base=base, env=env, timeout=timeout))
    return str(path)


def _key_env(files: Files, env: str, command: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        _allow_private()
        secret = os.environ.setdefault(env, f"hostile-{env}-value")
        flow = _llm_flow(files, ctx, ctx.url("chat").rsplit("/", 1)[0], env)
        args = ("validate", flow) if command == "validate" else ("run", flow, "--text", "hi")
        res = ctx.cli(*args)
        problems = cli_refused(res, r"api_key_env|environment")
        sent = json.dumps(ctx.hits())
        return problems + no_leak(sent, secret, f"Bearer {secret}", where="server's log")

    return run


def _private_base(files: Files, host: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        os.environ[_KEY_ENV] = "hostile-openai-key"
        flow = _llm_flow(files, ctx, f"http://{host}/v1")
        res = ctx.cli("run", flow, "--text", "hi")
        problems = [] if res.code in (1, 2) else [f"exit: expected 1 or 2, got {res.code}"]
        if not re.search(REFUSAL, res.out + res.err, re.I):
            problems.append(f"refused: base_url {host} not refused as private: "
                            f"{(res.err or res.out)[-200:]}")
        return problems + no_connect(ctx)

    return run


def _auth_redirect(files: Files, code: int, host: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        from urllib.parse import quote

        _allow_private()
        secret = "hostile-openai-key"
        os.environ[_KEY_ENV] = secret
        target = f"http://{host}:{ctx.port}/c/{ctx.slug}/chat/completions"
        base = ctx.url(f"redirect?code={code}&to={quote(target, safe='')}&x=")
        res = ctx.cli("run", _llm_flow(files, ctx, base), "--text", "hi")
        first = [h for h in ctx.hits() if h["path"].startswith(f"/c/{ctx.slug}/redirect")]
        if not first or f"Bearer {secret}" not in json.dumps(first):
            return [f"leak: untested: the endpoint was never called with the key ({res.err[:120]})"]
        later = [h for h in ctx.hits() if h["path"].startswith(f"/c/{ctx.slug}/chat")]
        return no_leak(json.dumps(later), secret, where="redirected request")

    return run


def _slow_endpoint(files: Files, action: str) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        _allow_private()
        os.environ[_KEY_ENV] = "hostile-openai-key"
        res = ctx.cli("run", _llm_flow(files, ctx, ctx.url(action), timeout=1), "--text", "hi")
        problems = [] if res.code in (1, 2) else [f"exit: expected 1 or 2, got {res.code}"]
        if not ctx.hits():
            problems.append(f"hang: untested: the endpoint was never called ({res.err[:120]})")
        return problems

    return run


def endpoint_cases(files: Files) -> list[Case]:
    cases = []
    for env in SECRET_ENVS:
        for command in ("validate", "run"):
            cases.append(Case(f"endpoint-key-env/{command}/{env}", "endpoint-key-env", _OWNER,
                              _key_env(files, env, command),
                              repro=f"opgraph {command} llm.yml  (api_key_env: {env})"))
    for name, host, _ in HOSTS:
        if name.startswith(("v4-10", "v4-metadata", "dns-to-10", "v6-mapped-10", "v6-nat64-10",
                            "v6-6to4-10", "v6-ula-fd", "v4-192", "dns-to-metadata")):
            cases.append(Case(f"endpoint-base-url/{name}", "endpoint-base-url", _OWNER,
                              _private_base(files, host),
                              repro=f"text-to-text base_url: http://{host}/v1"))
    for code in (301, 302, 303, 307, 308):
        cases.append(Case(f"endpoint-auth-redirect/{code}-other-host", "endpoint-auth-redirect",
                          _OWNER, _auth_redirect(files, code, "localhost"),
                          repro=f"base_url answers {code} to another host: Authorization resent"))
    for action in ("slow-headers", "slow-body"):
        cases.append(Case(f"endpoint-deadline/{action}", "endpoint-deadline", _OWNER,
                          _slow_endpoint(files, action), timeout_s=8,
                          repro=f"text-to-text timeout: 1 against a server sending {action}"))
    return cases


# ---- generative and action nodes: every address they reach goes through the guard ----------

_ONE_NODE = """workflow:
  id: hostile-{type_id}
  nodes:
    - id: node
      model:
        model_id: node
        model_type_id: {type_id}
        output_info:
          params: {params}
"""


def _node_to(files: Files, type_id: str, params: dict[str, Any]) -> Callable[[Ctx], list[str]]:
    def run(ctx: Ctx) -> list[str]:
        os.environ["OPGRAPH_HOSTILE_TOKEN"] = "hostile-token"
        text = _ONE_NODE.format(type_id=type_id, params=json.dumps(params))
        flow = files.write(f"{ctx.slug}.yml", text)
        res = ctx.cli("run", str(flow), "--text", "hi")
        problems = [] if res.code == 1 else [f"exit: expected 1, got {res.code}"]
        if not re.search(REFUSAL, res.out + res.err, re.I):
            problems.append(f"refused: {type_id} reached a private address: "
                            f"{(res.err or res.out)[-200:]}")
        return problems + no_connect(ctx)

    return run


def _node_params(host: str) -> dict[str, dict[str, Any]]:
    base = {"base_url": f"http://{host}/v1", "model": "m", "max_retries": 0}
    return {
        "text-to-image": base,
        "text-to-audio": base,
        "multimodal-to-text": base,
        "results-push": {"url": f"http://{host}/hook", "max_retries": 0},
        "status-push": {"url": f"http://{host}/hook", "max_retries": 0},
        "sms": {"gateway_url": f"http://{host}", "account_sid": "AC1", "max_retries": 0,
                "auth_token_env": "OPGRAPH_HOSTILE_TOKEN", "from_number": "+15550001111",
                "to_numbers": "+15550002222"},
        "email": {"smtp_host": host.strip("[]"), "smtp_port": 25, "security": "none",
                  "from_address": "a@example.com", "to_addresses": "b@example.com",
                  "max_retries": 0, "timeout": 2},
    }


def node_address_cases(files: Files) -> list[Case]:
    cases = []
    for name, host in (("v4-metadata", "169.254.169.254"), ("v6-mapped-10", "[::ffff:10.0.0.1]")):
        for type_id, params in _node_params(host).items():
            cases.append(Case(f"node-address/{type_id}/{name}", "node-address", _OWNER,
                              _node_to(files, type_id, params),
                              repro=f"{type_id} pointed at {host}"))
    return cases


def net_cases(files: Files) -> list[Case]:
    return url_cases(files) + endpoint_cases(files) + node_address_cases(files)
