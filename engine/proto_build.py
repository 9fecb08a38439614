"""Building messages from values that are already valid, without validating them again.

The engine's hot paths (the executor's ``Output`` per node per input, a filter's copy of
every region it keeps) build many messages whose values are known to be valid: these are
several times cheaper than pydantic's ``model_construct`` and ``model_copy``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

__all__ = ["assembled", "evolve", "trusted"]

_M = TypeVar("_M", bound=BaseModel)
_DEFAULTS: dict[type[BaseModel], dict[str, Any]] = {}
_MISSING = object()


def trusted(cls: type[_M], **values: Any) -> _M:
    """Build ``cls`` from values that are already valid, skipping validation.

    The executor's hot path builds an ``Output`` per node per input; this is about five
    times cheaper than ``model_construct``.  Fields with a default factory must be given.
    Given every field, in field order, it skips even the defaults lookup.
    """
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        # in field order, so JSON keys come out in proto order; _MISSING marks factories
        defaults = _DEFAULTS[cls] = {
            n: _MISSING if f.default_factory is not None else f.default
            for n, f in cls.model_fields.items()
        }
    if len(values) == len(defaults):
        fields = values
    else:
        fields = {n: values[n] if n in values else d for n, d in defaults.items()}
        if any(v is _MISSING for v in fields.values()):
            raise TypeError(f"trusted({cls.__name__}) needs every field with a default factory")
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


def evolve(obj: _M, **changes: Any) -> _M:
    """A shallow copy of ``obj`` with some fields replaced by values that are already valid:
    what ``obj.model_copy(update=changes)`` makes, about three times cheaper.

    For operators' hot paths (a filter copies every region it keeps).  The copy shares every
    other field's value with ``obj``, as ``model_copy`` does: outputs are never mutated in
    place.  ``changes`` must name fields of ``obj``'s class; nothing is validated.
    """
    new = _new(type(obj))
    fields = obj.__dict__.copy()
    fields.update(changes)
    _set(new, "__dict__", fields)
    _set(new, "__pydantic_fields_set__", obj.__pydantic_fields_set__ | changes.keys())
    extra = obj.__pydantic_extra__
    _set(new, "__pydantic_extra__", None if extra is None else dict(extra))
    private = obj.__pydantic_private__
    if private is not None:
        private = {k: v for k, v in private.items() if v is not PydanticUndefined}
    _set(new, "__pydantic_private__", private)
    return new


def assembled(cls: type[_M], fields: dict[str, Any]) -> _M:
    """``cls`` around ``fields``, which hold every field of ``cls`` in field order (so JSON
    keys come out in proto order), already valid: the dict becomes the object's own.

    The executor's cheapest way to build its many ``Output`` objects: a copy of a per-node
    template with the node's data set.  The objects of a class share one set of "fields
    set" (every field): pydantic only ever adds a field's name to it, which changes nothing.
    """
    everything = _EVERY_FIELD.get(cls)
    if everything is None:
        everything = _EVERY_FIELD[cls] = set(cls.model_fields)
    obj = _new(cls)
    _set(obj, "__dict__", fields)
    _set(obj, "__pydantic_fields_set__", everything)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


_new = object.__new__
_set = object.__setattr__
_EVERY_FIELD: dict[type[BaseModel], set[str]] = {}
