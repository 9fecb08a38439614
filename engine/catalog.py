"""Model catalogs: YAML that binds Clarifai model ids to local implementations.

A workflow node that only references a model (``model_id`` with optional ``user_id``,
``app_id``, ``model_version_id``, as Clarifai's own files do) runs whatever the catalog binds
that id to::

    models:
      - model_id: face-detection
        user_id: clarifai        # optional: then only references with this owner match
        app_id: main             # optional
        model_type_id: visual-detector
        params: {model: haar-face}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.deprecated import deprecation
from engine.operator import ModelBinding, get_operator, operator_types, suggest
from engine.spec_yaml import YamlReader, looks_like_path, read_spec_file

__all__ = ["REMOTE_TYPE", "load_catalog"]

_KEYS = ("model_id", "user_id", "app_id", "model_type_id", "params", "remote", "note")
REMOTE_TYPE = "remote-model"  # runs a binding's ``remote:`` model on a V2 endpoint


def load_catalog(source: str | Path | list[ModelBinding] | None) -> list[ModelBinding]:
    """Bindings from a catalog file path or YAML text (a list of bindings passes through)."""
    if source is None:
        return []
    if isinstance(source, list):
        return source
    file = "<models>"
    text = str(source)
    if isinstance(source, Path) or looks_like_path(text):
        file = str(source)
        text = read_spec_file(source, "model catalog")
    reader = YamlReader(file)
    doc = reader.read(text)
    entries = doc.get("models") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise reader.error("a model catalog is a list of bindings under 'models:'", ())
    base: tuple[Any, ...] = ("models", "=") if isinstance(doc, dict) else ()
    return [_binding(e, (*base, i), reader) for i, e in enumerate(entries)]


def _binding(entry: Any, path: tuple[Any, ...], reader: YamlReader) -> ModelBinding:
    if not isinstance(entry, dict):
        raise reader.error("each catalog entry must be a mapping", path)
    for k in entry:
        if k not in _KEYS:
            raise reader.error(
                f"unknown key '{k}' in a catalog entry{suggest(str(k), list(_KEYS))}", (*path, k)
            )
    for k in ("model_id", "model_type_id"):
        if not isinstance(entry.get(k), str) or not entry[k]:
            raise reader.error(f"catalog entry needs '{k}'", path)
    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise reader.error("'params' must be a mapping", (*path, "params"))
    if "remote" in entry:
        entry, params = _remote(entry, params, path, reader)
    return ModelBinding(
        model_id=entry["model_id"],
        model_type_id=entry["model_type_id"],
        params=_checked_params(entry, params, path, reader),
        user_id=entry.get("user_id"),
        app_id=entry.get("app_id"),
        note=entry.get("note"),
    )


def _remote(
    entry: dict[str, Any], params: dict[str, Any], path: tuple[Any, ...], reader: YamlReader
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``remote: {base_url, model_id, user_id, app_id, ...}``: the model runs on a V2
    endpoint; the entry's ``model_type_id`` says what it is."""
    remote = entry["remote"]
    if not isinstance(remote, dict):
        raise reader.error("'remote' must be a mapping", (*path, "remote"))
    if params:
        raise reader.error("a remote model takes 'remote', not 'params'", (*path, "params"))
    note = entry.get("note") or (
        f"runs {remote.get('user_id')}/{remote.get('app_id')}/{remote.get('model_id')} "
        f"at {remote.get('base_url')}"
    )
    bound = {**entry, "model_type_id": REMOTE_TYPE, "note": note}
    return bound, {**remote, "model_type_id": entry["model_type_id"]}


def _checked_params(
    entry: dict[str, Any], params: dict[str, Any], path: tuple[Any, ...], reader: YamlReader
) -> dict[str, Any]:
    """The entry's params, checked against its operator here, so that a mistake is reported
    in the catalog file; relative file params come back resolved beside the catalog."""
    type_id = entry["model_type_id"]
    cls = get_operator(type_id)
    if cls is None:
        hint = suggest(type_id, list(operator_types()))
        why = deprecation(type_id) or f"unknown model_type_id '{type_id}'{hint}"
        raise reader.error(why, (*path, "model_type_id", "="))
    folder = Path(reader.file).parent
    # as a node that uses the binding would be checked: with its model id
    context: dict[str, Any] = {"model_id": entry["model_id"]}
    if Path(reader.file).is_file():
        context["base_dir"] = str(folder)
    try:
        checked = cls.Params.model_validate(params, context=context)
    except ValidationError as exc:
        # a required param may come from the workflow node that uses the binding
        errors = [e for e in exc.errors() if e["type"] != "missing"]
        if not errors:
            return params
        err = errors[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "extra_forbidden":
            why = f"unknown param '{name}'{suggest(name, list(cls.Params.model_fields))}"
        else:
            why = f"param '{'.'.join(str(x) for x in err['loc'])}': {err['msg']}"
        where = (*path, "params", "=", name) if name in params else (*path, "params")
        raise reader.error(f"model '{entry['model_id']}' ({type_id}): {why}", where) from None
    return checked.model_dump(include=set(params))
