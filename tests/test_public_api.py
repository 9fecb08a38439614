"""Pins the public API, as httpx does: a change here is a deliberate API change."""

import engine

EXPECTED = [
    "Annotation",
    "App",
    "AppError",
    "BaseParams",
    "BoundingBox",
    "Color",
    "Concept",
    "ConceptSpec",
    "Context",
    "Data",
    "DeliveryError",
    "Embedding",
    "FetchError",
    "Frame",
    "FrameInfo",
    "GraphError",
    "Hit",
    "Image",
    "Input",
    "InputError",
    "JsonObject",
    "LocalPath",
    "Model",
    "ModelBinding",
    "MultiAnnotationResponse",
    "MultiSearchResponse",
    "Operator",
    "OperatorError",
    "OpgraphError",
    "Output",
    "ParamsError",
    "Point",
    "Polygon",
    "PostWorkflowResultsResponse",
    "Region",
    "RegionInfo",
    "Session",
    "SpecError",
    "SpecErrors",
    "Status",
    "StatusCode",
    "StoreError",
    "Text",
    "UnknownOperatorError",
    "Video",
    "Workflow",
    "WorkflowResult",
    "YamlError",
    "assembled",
    "bind_model",
    "evolve",
    "fetch",
    "geometry",
    "limits",
    "register",
    "resolve_allowed",
]


def test_all_is_pinned_and_sorted() -> None:
    assert engine.__all__ == sorted(engine.__all__, key=lambda s: (s[0].islower(), s))
    assert sorted(engine.__all__) == sorted(EXPECTED)


def test_every_name_resolves() -> None:
    for name in engine.__all__:
        assert getattr(engine, name) is not None
