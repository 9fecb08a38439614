"""The Python API in one page: build a workflow, run it, read Clarifai JSON, export YAML.

    .venv/bin/python examples/python_api.py

It draws its own input (a shelf label with barcodes) and builds, in Python, the workflow
that graphs/barcode-reading.yml declares in YAML, plus a branch that counts the codes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from make_media import shelf_label

from engine import StatusCode, Workflow


def main() -> None:
    wf = Workflow("shelf-audit")
    codes = wf.add(
        "barcode-operator",
        id="codes",
        params={"formats": ["qr-code", "ean-13", "code-128", "code-39"]},
    )
    wf.add("object-counter", id="count", inputs=[codes])

    with tempfile.TemporaryDirectory() as tmp:
        label = shelf_label(Path(tmp) / "label.png")
        response = wf.predict([str(label), {"data": {"text": {"raw": "not an image"}}}])

    first, second = response.results
    for region in first.outputs[0].data.regions:
        assert region.data is not None and region.data.text is not None
        print(f"{region.data.concepts[0].id:>9}: {region.data.text.raw}")
    print("codes counted:", first.outputs[1].data.metadata)
    # the text input has no image: that input fails alone, with a reason, and the batch goes on
    assert response.status.code == StatusCode.MIXED_STATUS
    print("second input:", second.outputs[0].status.details)

    print(json.dumps(response.to_dict()["results"][0]["outputs"][1], indent=2)[:400], "...")
    print(wf.to_yaml())


if __name__ == "__main__":
    main()
