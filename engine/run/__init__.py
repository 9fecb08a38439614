"""Running at scale: worker processes on one machine (``engine.run.workers``)."""

from engine.run.workers import (
    AUTO_MIN_INPUT_SECONDS,
    AUTO_MIN_SECONDS,
    MAX_WORKERS,
    WorkersUnavailable,
    choose_workers,
    run_in_workers,
)

__all__ = [
    "AUTO_MIN_INPUT_SECONDS",
    "AUTO_MIN_SECONDS",
    "MAX_WORKERS",
    "WorkersUnavailable",
    "choose_workers",
    "run_in_workers",
]
