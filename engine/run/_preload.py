"""Imported once by the forkserver that starts worker processes (``engine.run.pool``).

Every worker forked from it then starts with the engine and every registered operator
module already imported (the registry walks all of them, and the entry points, on first
use: most of a worker's start-up otherwise), so a worker is ready once its graph compiles.
"""

from engine.operator import operator_types

__all__: list[str] = []

operator_types()
