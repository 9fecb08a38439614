"""engine/geometry.py: region ids, one box at a time and for a whole array."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from engine import geometry


@pytest.mark.parametrize("n", [0, 1, 5])
def test_region_ids_are_region_id_of_each_row(n: int) -> None:
    rng = np.random.default_rng(n)
    boxes = rng.random((n, 4))
    labels = [f"c{k % 2}" for k in range(n)]
    assert geometry.region_ids(boxes, labels) == [
        geometry.region_id(b, lab) for b, lab in zip(boxes, labels, strict=True)
    ]


def test_region_id_is_a_hash_of_the_label_and_the_rounded_box() -> None:
    key = b"person:[0.1, 0.2, 0.333333, 0.4]"
    want = hashlib.blake2b(key, digest_size=8).hexdigest()
    assert geometry.region_id([0.1, 0.2, 1 / 3, 0.4], "person") == want
    assert geometry.region_id([0.1, 0.2, 1 / 3 + 1e-9, 0.4], "person") == want
    with pytest.raises(ValueError):
        geometry.region_ids(np.zeros((2, 4)), ["only one label"])


def test_box_to_proto_takes_numpy_or_python_numbers() -> None:
    bb = geometry.box_to_proto(np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32))
    got = (bb.left_col, bb.top_row, bb.right_col, bb.bottom_row)
    assert got == pytest.approx((0.1, 0.2, 0.3, 0.4))
    assert all(type(v) is float for v in bb.model_dump().values())
    assert geometry.box_to_proto([1, 2, 3, 4]).to_dict() == {
        "top_row": 2.0, "left_col": 1.0, "bottom_row": 4.0, "right_col": 3.0
    }
