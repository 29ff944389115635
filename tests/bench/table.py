"""The benchmark's table: each figure beside its floor from the same run, the ratio and the target."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


@dataclass
class Row:
    what: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    met: bool | None


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def ratio(self, what: str, measured: float, floor: float, floor_name: str, limit: float | None) -> None:
        """A time against its floor; *limit* is the target ratio (``None``: shown, not judged)."""
        ratio = measured / floor if floor > 0 else math.inf
        self.rows.append(
            Row(
                what,
                ms(measured),
                f"{floor_name} {ms(floor)}",
                ratio,
                f"≤ {limit:g}×" if limit is not None else "",
                None if limit is None else ratio <= limit,
            )
        )

    def absolute(self, what: str, measured: str, floor: str, target: str, met: bool | None) -> None:
        self.rows.append(Row(what, measured, floor, None, target, met))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def render(self) -> str:
        header = ("what", "this app", "floor (same run)", "ratio", "target", "")
        body = [
            (
                row.what,
                row.measured,
                row.floor,
                f"{row.ratio:.2f}×" if row.ratio is not None else "",
                row.target,
                {True: "met", False: "NOT MET", None: ""}[row.met],
            )
            for row in self.rows
        ]
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in body]
        lines += [f"\n{note}" for note in self.notes]
        return "\n".join(lines)
