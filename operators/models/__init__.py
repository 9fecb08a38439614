"""Model nodes: local detectors, ONNX, embedders, LLMs over HTTP, remote models."""
