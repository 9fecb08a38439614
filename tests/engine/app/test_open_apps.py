"""engine/app/open_apps.py: the open-app cache both app directories use, and id checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.app.facade import App
from engine.app.open_apps import OpenApps, app_exists, check_id, no_app
from engine.errors import InputError


def _opener(tmp_path: Path, opened: list[str]) -> Callable[[str], App]:
    def open_app(identity: str) -> App:
        opened.append(identity)
        return App(tmp_path / identity, base_workflow=None)

    return open_app


def test_an_app_is_served_from_the_cache_while_its_identity_is_unchanged(tmp_path: Path) -> None:
    apps: OpenApps[str] = OpenApps()
    opened: list[str] = []
    try:
        first = apps.get(("me", "a"), "one", _opener(tmp_path, opened))
        assert apps.get(("me", "a"), "one", _opener(tmp_path, opened)) is first
        assert opened == ["one"]
        second = apps.get(("me", "a"), "two", _opener(tmp_path, opened))
        assert second is not first and opened == ["one", "two"]
    finally:
        apps.close()


def test_an_app_gone_elsewhere_is_closed_and_refused(tmp_path: Path) -> None:
    apps: OpenApps[str] = OpenApps()
    opened: list[str] = []
    first = apps.get(("me", "a"), "one", _opener(tmp_path, opened))
    closed: list[bool] = []
    first.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with pytest.raises(InputError, match="no app me/a") as err:
        apps.get(("me", "a"), None, _opener(tmp_path, opened))
    assert err.value.status_code == 11101
    assert closed == [True] and opened == ["one"]


def test_put_and_forget(tmp_path: Path) -> None:
    apps: OpenApps[str] = OpenApps()
    app = App(tmp_path / "made", base_workflow=None)
    apps.put(("me", "a"), app, "made")
    assert apps.get(("me", "a"), "made", lambda _: pytest.fail("opened again")) is app
    closed: list[bool] = []
    app.close = lambda: closed.append(True)  # type: ignore[method-assign]
    apps.forget(("me", "a"))
    apps.forget(("me", "a"))  # forgetting what is not cached is fine
    assert closed == [True]


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "a..b", ".hidden", "x" * 129, 7])
def test_ids_that_could_be_paths_are_refused(bad: object) -> None:
    with pytest.raises(InputError, match="not a valid id") as err:
        check_id("app id", bad)  # type: ignore[arg-type]
    assert err.value.status_code == 11102


def test_the_errors_carry_clarifai_codes() -> None:
    assert check_id("app id", "my-app_1.0") == "my-app_1.0"
    assert no_app("me", "a").status_code == 11101
    assert app_exists("me", "a").status_code == 40010
    assert "already exists" in str(app_exists("me", "a"))
