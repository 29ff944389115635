"""Reading the inbox's screen as a user does: the position under the list, the rows, the toasts."""

from __future__ import annotations

import re

PANE_EDGE = "▏"
"""Drawn between the list and the preview in the wide layout."""

POSITION = re.compile(r"(?<![\d,])(\d[\d,]*)/(\d[\d,]*)$")


def left(line: str) -> str:
    return line.split(PANE_EDGE, 1)[0].rstrip()


def right(line: str) -> str:
    return line.split(PANE_EDGE, 1)[1] if PANE_EDGE in line else ""


def status(lines: list[str]) -> str:
    """The status line under the list (the line above the footer)."""
    return left(lines[-2]) if len(lines) >= 2 else ""


def position(lines: list[str]) -> tuple[int, int] | None:
    """(row, of how many) as the status line shows it (``None`` if it shows none, or has no room for it)."""
    found = POSITION.search(status(lines))
    if found is None:
        return None
    return int(found.group(1).replace(",", "")), int(found.group(2).replace(",", ""))


def rows(lines: list[str]) -> list[str]:
    """The list pane's lines (between the tabs and the status line)."""
    return [left(line) for line in lines[3:-2]]


def shows_row(lines: list[str], text: str) -> bool:
    return any(text in row for row in rows(lines))


def preview(lines: list[str]) -> str:
    return "\n".join(right(line) for line in lines)


def anywhere(lines: list[str], text: str) -> bool:
    return any(text in line for line in lines)


def bare_count(lines: list[str]) -> int | None:
    for line in lines:
        found = re.search(r"bare (\d+)", line)
        if found:
            return int(found.group(1))
    return None
