"""What ``opgraph run --input`` names: files, folders and glob patterns, as a list of files.

Each ``--input`` is taken in the order given; what one of them expands to is sorted by path,
so a run over a folder or a pattern is in the same order on every machine.  A folder gives
its media and text files (not its subfolders; ``DIR/**/*.jpg`` reaches into those); a
pattern gives the files it matches (``**`` crosses folders).  A pattern that matches
nothing, an empty folder or a missing file is a usage error naming the argument.
"""

from __future__ import annotations

import glob
from pathlib import Path

from engine.audio import AUDIO_SUFFIXES
from engine.errors import InputError
from engine.inputs import VIDEO_SUFFIXES

__all__ = ["MAX_INPUT_FILES", "MEDIA_SUFFIXES", "expand_inputs"]

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".pbm"}
)
TEXT_SUFFIXES = frozenset({".txt", ".md"})
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES | TEXT_SUFFIXES | AUDIO_SUFFIXES
# one command line runs at most this many files: a pattern like /**/* is refused, not walked
MAX_INPUT_FILES = 100_000
_GLOB_CHARS = frozenset("*?[")


def expand_inputs(args: list[str], limit: int = MAX_INPUT_FILES) -> list[str]:
    """The files ``--input`` arguments name, in a stable order (see the module docstring)."""
    files: list[str] = []
    for arg in args:
        files.extend(_expand(arg, limit - len(files)))
    return files


def _expand(arg: str, room: int) -> list[str]:
    path = Path(arg).expanduser()
    if path.is_dir():
        found = _folder(path, arg, room)
        if not found:
            raise InputError(f"--input {arg}: the folder has no image, video or text files")
        return found
    if path.is_file():
        return _capped([str(path)], arg, room)
    if _GLOB_CHARS & set(arg):
        found = _matches(str(path), room)
        if not found:
            raise InputError(f"--input {arg}: the pattern matches no files")
        return _capped(sorted(found), arg, room)
    raise InputError(f"no such input file: {arg}")


def _matches(pattern: str, room: int) -> list[str]:
    found: list[str] = []
    for match in glob.iglob(pattern, recursive=True):
        if Path(match).is_file():
            found.append(match)
            if len(found) > room:
                break
    return found


def _folder(path: Path, arg: str, room: int) -> list[str]:
    names: list[str] = []
    try:
        for p in path.iterdir():
            if p.suffix.lower() in MEDIA_SUFFIXES and not p.name.startswith(".") and p.is_file():
                names.append(str(p))
                if len(names) > room:
                    break
    except OSError as exc:
        raise InputError(f"--input {arg}: cannot list the folder: {exc.strerror}") from None
    return _capped(sorted(names), arg, room)


def _capped(found: list[str], arg: str, room: int) -> list[str]:
    if len(found) > room:
        raise InputError(
            f"--input {arg}: more than {MAX_INPUT_FILES} input files in one run; "
            "split the run or narrow the pattern"
        )
    return found
