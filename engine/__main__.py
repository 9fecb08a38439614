"""``python -m engine``: the ``opgraph`` command, for when the script is not on PATH."""

from engine.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    raise SystemExit(main())
