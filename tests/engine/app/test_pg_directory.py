"""``PgAppDirectory``: two directories over one database behave as two servers do."""

from __future__ import annotations

from typing import Any

import pytest

from engine.errors import InputError


def _directories(postgres: Any) -> tuple[Any, Any]:
    from engine.app.pg_directory import PgAppDirectory

    url = postgres.new_database()
    return PgAppDirectory(url), PgAppDirectory(url)


def test_an_app_deleted_through_another_directory_is_gone_here(postgres: Any) -> None:
    one, two = _directories(postgres)
    try:
        one.create("me", "a", base_workflow=None)
        assert two.get("me", "a").info()["name"] == "a"  # two now holds it open
        one.delete("me", "a")
        with pytest.raises(InputError, match="no app me/a"):
            two.get("me", "a")
        assert not two.exists("me", "a")
    finally:
        one.close()
        two.close()


def test_an_app_made_again_elsewhere_is_the_new_one_here(postgres: Any) -> None:
    one, two = _directories(postgres)
    try:
        one.create("me", "a", base_workflow=None, description="first")
        assert two.get("me", "a").info()["description"] == "first"
        one.delete("me", "a")
        one.create("me", "a", base_workflow=None, description="second")
        assert two.get("me", "a").info()["description"] == "second"
        with pytest.raises(InputError, match="already exists"):
            two.create("me", "a", base_workflow=None)
    finally:
        one.close()
        two.close()


def test_a_cached_app_is_the_same_object_while_its_schema_is(postgres: Any) -> None:
    one, two = _directories(postgres)
    try:
        app = one.create("me", "a", base_workflow=None)
        assert one.get("me", "a") is app
        assert two.list("me") == ["a"]
        with pytest.raises(InputError, match="not a valid id"):
            one.get("me", "../a")
    finally:
        one.close()
        two.close()
