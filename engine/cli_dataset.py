"""``opgraph run FLOW.yml --dataset DIR|GLOB|FILE.jsonl --out results.jsonl [--engine ray]``.

The arguments, and the command that hands them to ``engine.dataset_run`` (imported only
when a dataset is given, so ``opgraph`` starts as fast as before).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.errors import InputError

__all__ = ["add_dataset_arguments", "run_dataset_command"]


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def add_dataset_arguments(r: argparse.ArgumentParser) -> None:
    """``--dataset``, ``--engine``, ``--address``, ``--workers``, ``--batch-size`` on ``run``."""
    r.add_argument(
        "--dataset",
        metavar="DIR|GLOB|FILE.jsonl",
        help="run over a dataset of any size: a folder, a glob pattern or a JSON Lines file "
        "of inputs; one result line per input in --out (required), a rerun skips the ids there",
    )
    r.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="with --dataset: run in this process, or with Ray Data (pip install 'opgraph[ray]')",
    )
    r.add_argument(
        "--address",
        metavar="auto|ray://HOST:PORT",
        help="with --engine ray: the Ray cluster (default: start one on this machine)",
    )
    if "--workers" not in r._option_string_actions:
        r.add_argument(
            "--workers", type=_positive, metavar="N", help="with --engine ray: N actors (1)"
        )
    r.add_argument(
        "--batch-size",
        type=_positive,
        default=32,
        metavar="N",
        help="with --dataset: inputs per batch (and per write to --out)",
    )


def run_dataset_command(args: argparse.Namespace) -> int:
    """Run ``args.file`` over ``args.dataset`` into ``args.out``; prints a one-line summary."""
    from engine.cli import EXIT_FAILED, EXIT_OK
    from engine.dataset_run import run_dataset
    from engine.workflow import Workflow

    if not args.out:
        raise InputError("--dataset writes one line per input: give --out results.jsonl")
    if args.input or args.text or args.json_input or args.app or args.draw or args.stream:
        raise InputError(
            "--dataset takes its inputs from the dataset alone (no --input, --text, "
            "--json-input, --app, --draw or --stream)"
        )
    if args.engine != "ray" and args.address:
        raise InputError("--address is for --engine ray")
    from engine.cli import _models

    wf = Workflow.from_yaml(Path(args.file), models=_models(args))
    yaml_text = wf.with_catalog_resolved().to_yaml()
    ran, skipped, failed = run_dataset(
        yaml_text,
        args.dataset,
        Path(args.out),
        engine=args.engine,
        address=args.address,
        workers=getattr(args, "workers", None),
        batch_size=args.batch_size,
    )
    print(
        f"opgraph run: {ran} input(s) run ({failed} failed), {skipped} already in {args.out}",
        file=sys.stderr,
    )
    return EXIT_FAILED if failed else EXIT_OK
