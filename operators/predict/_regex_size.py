"""How large a regex compiles to, estimated from its counted repeats, without compiling it.

The ``regex`` engine expands counted repeats (``a{1000}`` becomes a thousand nodes), so
``(a{1000}){1000}`` compiles to a million nodes, gigabytes of memory.  ``expanded_size``
walks the pattern once and multiplies counted repeats through the groups they apply to;
``*``, ``+`` and ``?`` loop without expanding and count once.
"""

from __future__ import annotations

import re

__all__ = ["expanded_size"]

_COUNTED = re.compile(r"\{(\d*)(?:,(\d*))?\}")


def expanded_size(pattern: str) -> int:
    """About how many nodes ``pattern`` compiles to (an upper bound for counted repeats)."""
    # each frame: [total of the finished items of this group, size of the last item]
    stack: list[list[int]] = [[0, 0]]
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        top = stack[-1]
        if ch == "\\":
            top[0] += top[1]
            top[1] = 1
            i += 2
        elif ch == "[":
            top[0] += top[1]
            top[1] = 1
            i = _class_end(pattern, i)
        elif ch == "(":
            top[0] += top[1]
            top[1] = 0
            stack.append([0, 0])
            i += 1
        elif ch == ")" and len(stack) > 1:
            inner = stack.pop()
            top = stack[-1]
            top[1] = inner[0] + inner[1] + 1
            i += 1
        elif ch == "{" and (m := _COUNTED.match(pattern, i)) and (m.group(1) or m.group(2)):
            low, high = m.group(1), m.group(2)
            count = int(high) if high else int(low or 0)
            top[1] = top[1] * max(count, 1)
            i = m.end()
        elif ch == "|":
            top[0] += top[1]
            top[1] = 0
            i += 1
        else:
            top[0] += top[1]
            top[1] = 0 if ch in "*+?" else 1
            i += 1
    while len(stack) > 1:  # an unclosed group: the compiler reports it
        inner = stack.pop()
        stack[-1][1] += inner[0] + inner[1]
    return stack[0][0] + stack[0][1]


def _class_end(pattern: str, i: int) -> int:
    """The index just past the character class that opens at ``pattern[i]``."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    depth = 1
    while j < len(pattern) and depth:
        if pattern[j] == "\\":
            j += 2
            continue
        if pattern[j] == "[":  # regex's nested set syntax, [[a-z]--[aeiou]]
            depth += 1
        elif pattern[j] == "]":
            depth -= 1
        j += 1
    return j
