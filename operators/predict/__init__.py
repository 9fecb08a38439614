"""Algorithmic predict operators: regex classifier, language id, barcodes."""
