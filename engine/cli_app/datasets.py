"""``opgraph app datasets ...``: datasets, their inputs, versions, uploads and exports.

Each verb prints the response of its V2 call: ``create`` / ``list`` / ``patch`` a
``MultiDatasetResponse``, ``get`` / ``import`` a ``SingleDatasetResponse``, ``add`` a
``MultiDatasetInputResponse``, ``version`` / ``versions`` a
``MultiDatasetVersionResponse``, ``export`` a ``MultiDatasetVersionExportResponse``,
``upload`` a ``MultiInputResponse`` (exit 1 when a file or row could not be stored, each
also listed on stderr), ``remove`` / ``delete`` a status.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.app import App
from engine.cli_app._output import EXIT_FAILED, EXIT_OK, emit, ok_status
from engine.cli_app._registry import command, group
from engine.proto import Status, StatusCode
from engine.proto_app import (
    DatasetVersionExport,
    MultiDatasetInputResponse,
    MultiDatasetResponse,
    MultiDatasetVersionExportResponse,
    MultiDatasetVersionResponse,
    SingleDatasetResponse,
)

__all__: list[str] = []

group("datasets", "datasets: create, add inputs, version, export, import, upload")


def _id(p: argparse.ArgumentParser) -> None:
    p.add_argument("--id", required=True, metavar="DATASET", help="the dataset id")


def _paging(p: argparse.ArgumentParser) -> None:
    p.add_argument("--page", type=int, default=1, metavar="N")
    p.add_argument("--per-page", type=int, default=128, metavar="N", help="1..1000 (128)")


def _create_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--description", default="", metavar="TEXT")
    p.add_argument("--notes", default="", metavar="TEXT")
    p.add_argument("--metadata", metavar="JSON", help="a JSON object")


@command("datasets create", "create a dataset", arguments=_create_args)
def _create(app: App, args: argparse.Namespace) -> int:
    ds = app.create_dataset(args.id, args.description, args.notes, args.metadata)
    emit(MultiDatasetResponse(datasets=[ds]).to_dict())
    return EXIT_OK


@command("datasets list", "list datasets, newest first", arguments=_paging)
def _list(app: App, args: argparse.Namespace) -> int:
    datasets = app.list_datasets(args.page, args.per_page)
    emit(MultiDatasetResponse(datasets=datasets).to_dict())
    return EXIT_OK


@command("datasets get", "one dataset", arguments=_id)
def _get(app: App, args: argparse.Namespace) -> int:
    emit(SingleDatasetResponse(dataset=app.get_dataset(args.id)).to_dict())
    return EXIT_OK


def _patch_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--description", metavar="TEXT")
    p.add_argument("--notes", metavar="TEXT")
    p.add_argument("--metadata", metavar="JSON", help="a JSON object")
    p.add_argument("--action", default="merge", metavar="A", help="merge | overwrite | remove")


@command("datasets patch", "patch a dataset's description, notes, metadata",
         arguments=_patch_args)
def _patch(app: App, args: argparse.Namespace) -> int:
    ds = app.patch_dataset(args.id, args.action, args.description, args.notes, args.metadata)
    emit(MultiDatasetResponse(datasets=[ds]).to_dict())
    return EXIT_OK


@command("datasets delete", "delete a dataset and its versions (its inputs stay)", arguments=_id)
def _delete(app: App, args: argparse.Namespace) -> int:
    app.delete_dataset(args.id)
    emit({"status": ok_status()})
    return EXIT_OK


def _inputs_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("input_ids", nargs="+", metavar="INPUT_ID")


@command("datasets add", "add stored inputs to a dataset", arguments=_inputs_args)
def _add(app: App, args: argparse.Namespace) -> int:
    added = app.dataset(args.id).add_inputs(args.input_ids)
    emit(MultiDatasetInputResponse(dataset_inputs=added).to_dict())
    return EXIT_OK


@command("datasets remove", "remove inputs from a dataset (not the app)", arguments=_inputs_args)
def _remove(app: App, args: argparse.Namespace) -> int:
    app.dataset(args.id).remove_inputs(args.input_ids)
    emit({"status": ok_status()})
    return EXIT_OK


def _inputs_list_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    _paging(p)


@command("datasets inputs", "list a dataset's inputs", arguments=_inputs_list_args)
def _inputs(app: App, args: argparse.Namespace) -> int:
    listed = app.dataset(args.id).list_inputs(args.page, args.per_page)
    emit(MultiDatasetInputResponse(dataset_inputs=listed).to_dict())
    return EXIT_OK


def _version_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--version-id", metavar="V", help="default: a new unique id")
    p.add_argument("--description", default="", metavar="TEXT")


@command("datasets version", "freeze the dataset as a new version", arguments=_version_args)
def _version(app: App, args: argparse.Namespace) -> int:
    version = app.dataset(args.id).create_version(args.version_id, args.description)
    emit(MultiDatasetVersionResponse(dataset_versions=[version]).to_dict())
    return EXIT_OK


@command("datasets versions", "list a dataset's versions", arguments=_inputs_list_args)
def _versions(app: App, args: argparse.Namespace) -> int:
    versions = app.dataset(args.id).list_versions(args.page, args.per_page)
    emit(MultiDatasetVersionResponse(dataset_versions=versions).to_dict())
    return EXIT_OK


def _export_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    p.add_argument("--version-id", metavar="V", help="default: the newest version")
    p.add_argument("--out", required=True, metavar="FOLDER", help="a new or empty folder")


@command(
    "datasets export", "write a version to a folder (JSON lines + media)", arguments=_export_args
)
def _export(app: App, args: argparse.Namespace) -> int:
    out = Path(args.out)
    app.dataset(args.id).export(out, args.version_id)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    done = Status(code=64200, description="DATASET_VERSION_EXPORT_SUCCESS")
    export = DatasetVersionExport(status=done, url=out.resolve().as_uri(), size=size)
    emit(MultiDatasetVersionExportResponse(exports=[export]).to_dict())
    return EXIT_OK


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("folder", metavar="FOLDER", help="a folder written by `datasets export`")
    p.add_argument("--id", metavar="DATASET", help="default: the exported dataset's id")


@command("datasets import", "store an exported version as a dataset", arguments=_import_args)
def _import(app: App, args: argparse.Namespace) -> int:
    emit(SingleDatasetResponse(dataset=app.import_dataset(args.folder, args.id)).to_dict())
    return EXIT_OK


def _upload_args(p: argparse.ArgumentParser) -> None:
    _id(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--folder", metavar="DIR", help="images, videos and .txt files")
    source.add_argument("--csv", metavar="FILE", help="columns inputid,input,concepts,...")
    p.add_argument("--input-type", metavar="T", help="image | video | text")
    p.add_argument("--csv-type", default="raw", metavar="T", help="raw | url | file_path")
    p.add_argument("--labels", action="store_true", help="folder: parent folder = concept")
    p.add_argument("--batch-size", type=int, default=128, metavar="N")


@command(
    "datasets upload",
    "upload a folder or a CSV (reruns skip what is stored)",
    arguments=_upload_args,
)
def _upload(app: App, args: argparse.Namespace) -> int:
    ds = app.dataset(args.id)
    if args.folder:
        report = ds.upload_from_folder(args.folder, args.input_type, args.labels, args.batch_size)
    else:
        report = ds.upload_from_csv(
            args.csv, args.input_type or "text", args.csv_type, True, args.batch_size
        )
    for where, reason in report.errors:
        print(f"{where}: {reason}", file=sys.stderr)
    for input_id, reason in report.failed:
        print(f"{input_id}: stored, but the base workflow failed: {reason}", file=sys.stderr)
    response = report.to_response()
    emit(response.to_dict())
    return EXIT_OK if response.status.code == StatusCode.SUCCESS else EXIT_FAILED
