"""``AppDirectory``: two directories over one folder behave as two server processes do."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.app.directory import AppDirectory
from engine.errors import InputError


def test_an_app_deleted_through_another_directory_is_gone_here(tmp_path: Path) -> None:
    one, two = AppDirectory(tmp_path), AppDirectory(tmp_path)
    try:
        one.create("me", "a", base_workflow=None)
        assert two.get("me", "a").info()["name"] == "a"  # two now holds it open
        one.delete("me", "a")
        with pytest.raises(InputError, match="no app me/a"):
            two.get("me", "a")
    finally:
        one.close()
        two.close()


def test_an_app_made_again_elsewhere_is_the_new_one_here(tmp_path: Path) -> None:
    one, two = AppDirectory(tmp_path), AppDirectory(tmp_path)
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


def test_a_cached_app_is_the_same_object_while_its_file_is(tmp_path: Path) -> None:
    with_dir = AppDirectory(tmp_path)
    try:
        app = with_dir.create("me", "a", base_workflow=None)
        assert with_dir.get("me", "a") is app
        assert with_dir.list("me") == ["a"]
    finally:
        with_dir.close()
