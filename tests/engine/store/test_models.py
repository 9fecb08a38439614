"""SqliteModels on both backends: models, immutable versions and a trained version's arrays."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from engine.store._sql import SqlStore
from engine.store.models import ModelRecord, ModelVersionRecord
from engine.store.sqlite import SqliteStore


def test_versions_keep_their_arrays_and_go_with_the_model(
    new_store: Callable[..., SqlStore],
) -> None:
    models = new_store().models
    assert models.create(ModelRecord("m", "embeddings-classifier", created_at="t"))
    assert not models.create(ModelRecord("m", "clusterer"))
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert models.add_version(ModelVersionRecord("v1", "m", {"a": 1}), {"w": weights})
    assert not models.add_version(ModelVersionRecord("v1", "m"))  # the id is taken
    assert not models.add_version(ModelVersionRecord("v1", "nope"))
    assert models.add_version(ModelVersionRecord("v2", "m"))
    got = models.arrays("m", "v1")
    assert list(got) == ["w"] and got["w"].dtype == np.float32
    np.testing.assert_array_equal(got["w"], weights)
    assert models.arrays("m", "v2") == {}
    assert models.latest_version_id("m") == "v2"
    assert [v.id for v in models.versions("m", 0, 10)] == ["v2", "v1"]
    assert models.delete("m") and models.get("m") is None and models.arrays("m", "v1") == {}


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    """A SQLite store (these tests reach into its file)."""
    s = SqliteStore(tmp_path / "app.db")
    assert s.models.create(ModelRecord("m", "clusterer", created_at="t", modified_at="t"))
    return s


def test_arrays_round_trip_with_their_version(store: SqliteStore) -> None:
    arrays = {
        "coef": np.arange(6, dtype=np.float64).reshape(2, 3) / 7,
        "small": np.ones((2, 2), np.float32),
        "flag": np.array([1], np.int32),
    }
    assert store.models.add_version(ModelVersionRecord("v1", "m", {}, "", "t"), arrays)
    got = store.models.arrays("m", "v1")
    assert np.array_equal(got["coef"], arrays["coef"]) and got["coef"].dtype == np.float64
    assert got["small"].dtype == np.float32 and got["flag"].dtype == np.int64
    assert got["coef"].flags.writeable  # a copy, not a view of the row's bytes
    assert store.models.latest_version_id("m") == "v1"
    assert store.models.arrays("m", "nope") == {}
    assert store.models.latest_version_id("unknown") is None


def test_a_clash_or_a_bad_array_writes_nothing(store: SqliteStore) -> None:
    assert store.models.add_version(ModelVersionRecord("v1", "m", {}, "", "t"), {"a": np.ones(2)})
    assert not store.models.add_version(
        ModelVersionRecord("v1", "m", {}, "", "t"), {"b": np.ones(2)}
    )
    with pytest.raises(TypeError, match="cannot be stored"):
        store.models.add_version(
            ModelVersionRecord("v2", "m", {}, "", "t"), {"o": np.array([object()])}
        )
    assert store.models.version("m", "v2") is None
    assert list(store.models.arrays("m", "v1")) == ["a"]


def test_an_unknown_dtype_on_disk_is_refused(store: SqliteStore, tmp_path: Path) -> None:
    assert store.models.add_version(ModelVersionRecord("v1", "m", {}, "", "t"), {"a": np.ones(2)})
    with sqlite3.connect(tmp_path / "app.db") as c:
        c.execute("UPDATE app_model_arrays SET dtype = '|O'")
    with pytest.raises(ValueError, match="unknown dtype"):
        store.models.arrays("m", "v1")


def test_deleting_the_model_deletes_its_arrays(store: SqliteStore, tmp_path: Path) -> None:
    assert store.models.add_version(ModelVersionRecord("v1", "m", {}, "", "t"), {"a": np.ones(2)})
    assert store.models.delete("m")
    with sqlite3.connect(tmp_path / "app.db") as c:
        assert c.execute("SELECT count(*) FROM app_model_arrays").fetchone() == (0,)
