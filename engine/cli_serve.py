"""``opgraph serve`` and ``opgraph serve token create``: the command-line side of the API.

Kept apart from ``engine.api`` so that the rest of the CLI never imports grpc or the web
framework; they are imported when ``serve`` runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from pathlib import Path
from typing import Any

from engine.errors import InputError

__all__ = ["add_serve_parser"]


def add_serve_parser(sub: Any) -> None:
    s = sub.add_parser("serve", help="serve Clarifai's V2 API (gRPC and REST) over apps in DIR")
    s.add_argument(
        "--data",
        metavar="DIR|URL",
        help="folder holding the apps, or a postgresql:// database shared by several "
        "servers (required)",
    )
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8080, help="REST port")
    s.add_argument("--grpc-port", type=int, default=18080, help="gRPC port")
    _add_limit_arguments(s)
    s.add_argument(
        "--file-root",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder that workflows' file params (ONNX models, ...) may read; repeatable",
    )
    s.add_argument(
        "--allow-private-urls",
        metavar="NETS",
        default="",
        help="private networks input URLs may reach, e.g. 10.0.0.0/8 (default: none)",
    )
    s.add_argument(
        "--models",
        metavar="M",
        help="model catalog YAML: model ids that posted workflows may name, bound here",
    )
    s.add_argument(
        "--insecure-dev",
        action="store_true",
        help="no tokens (only on a loopback host; said on every start)",
    )
    s.set_defaults(func=_serve)
    _add_token_parser(s, sub._parser_class)


def _add_limit_arguments(s: argparse.ArgumentParser) -> None:
    """How much of the machine the server uses, and how much a request may."""
    s.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes sharing the ports (default: the number of cores)",
    )
    s.add_argument(
        "--threads", type=int, default=8, help="threads that run requests, per worker process"
    )
    s.add_argument("--max-request-mb", type=float, default=32.0, help="largest request body")
    s.add_argument(
        "--max-in-flight",
        type=int,
        default=64,
        help="concurrent requests per worker; more are refused with a queue-full status",
    )


def _add_token_parser(s: argparse.ArgumentParser, parser_class: Any) -> None:
    """``opgraph serve token create``."""
    ts = s.add_subparsers(dest="serve_command", parser_class=parser_class)
    token = ts.add_parser("token", help="tokens").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="make a token; printed once, only its hash is kept")
    create.add_argument("--data", metavar="DIR|URL", required=True, dest="token_data")
    create.add_argument(
        "--scopes", required=True, help="e.g. apps:read,inputs:write,workflows:*,predict or *"
    )
    create.add_argument("--app", metavar="USER/APP", help="the one app this token may use")
    create.set_defaults(func=_token_create)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _checked_workers(args: argparse.Namespace) -> int:
    """The worker processes to start, once ``serve``'s arguments are known to be usable."""
    if not args.data:
        raise InputError("serve needs --data DIR: the folder that holds the apps")
    if args.insecure_dev and not _loopback(args.host):
        raise InputError("--insecure-dev turns tokens off, so it is only allowed on 127.0.0.1")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if min(workers, args.threads, args.max_in_flight) < 1 or args.max_request_mb <= 0:
        raise InputError(
            "--workers, --threads, --max-in-flight and --max-request-mb must be positive"
        )
    return int(workers)


def _serve(args: argparse.Namespace) -> int:
    from engine.catalog import load_catalog

    try:
        from engine.api import Limits, ServerState, serve
    except ImportError as exc:
        raise InputError(
            f"opgraph serve needs the 'serve' extra ({exc.name} is missing): "
            "pip install 'opgraph[serve]'"
        ) from None

    workers = _checked_workers(args)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    if args.insecure_dev:
        print(
            "opgraph serve: --insecure-dev: NO AUTHENTICATION, anyone on this machine can "
            "read and change every app",
            file=sys.stderr,
        )
    limits = Limits(
        max_request_bytes=int(args.max_request_mb * 1024 * 1024),
        max_in_flight=args.max_in_flight,
        threads=args.threads,
        workers=workers,
    )
    state = ServerState(
        _data(args.data),
        insecure_dev=args.insecure_dev,
        limits=limits,
        file_roots=tuple(str(Path(r).resolve()) for r in args.file_root),
        allow_private_urls=args.allow_private_urls or False,
        models=load_catalog(args.models) if args.models else [],
    )
    serve(state, args.host, args.port, args.grpc_port)
    return 0


def _data(value: str) -> Path | str:
    """``--data``: a folder, or a PostgreSQL URL kept as it is."""
    from engine.store._pg_conn import is_postgres_url

    return value if is_postgres_url(value) else Path(value)


def _token_create(args: argparse.Namespace) -> int:
    from engine.api.auth import TokenStore, parse_scopes

    try:
        scopes = parse_scopes(args.scopes)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    app = None
    if args.app:
        user_id, _, app_id = args.app.partition("/")
        if not user_id or not app_id:
            raise InputError(f"--app must be USER/APP, not {args.app!r}")
        app = (user_id, app_id)
    data = _data(args.token_data)
    store = TokenStore(data if isinstance(data, str) else data / "server.db")
    try:
        print(store.create(scopes, app))
    finally:
        store.close()
    return 0
