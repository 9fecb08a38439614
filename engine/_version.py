"""``engine.__version__``: the installed distribution's version, from its metadata."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("opgraph")
except PackageNotFoundError:  # a source tree used without installing it
    __version__ = "0+unknown"
