"""SqliteModels on both backends: models, immutable versions and a trained version's arrays."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.store._sql import SqlStore
from engine.store.models import ModelRecord, ModelVersionRecord


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
