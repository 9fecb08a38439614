"""Running at scale: worker processes on one machine (``engine.run.workers``)."""

from engine.run.workers import AUTO_MIN_SECONDS, MAX_WORKERS, choose_workers, run_in_workers

__all__ = ["AUTO_MIN_SECONDS", "MAX_WORKERS", "choose_workers", "run_in_workers"]
